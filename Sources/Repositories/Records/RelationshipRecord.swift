import Foundation
import MemoryGraph
import PostgresNIO

/// A row of `memory.relationships`.
public struct RelationshipRecord: RepositoryRecord, Equatable {
    public enum Column: String, RepositoryColumn {
        case relationshipID = "relationship_id", fromNodeID = "from_node_id", toNodeID = "to_node_id"
        case relationshipType = "relationship_type", strength, createdAt = "created_at", metadata
    }

    public var relationship: Relationship

    public init(relationship: Relationship) {
        self.relationship = relationship
    }

    public static let table = "memory.relationships"
    public static let idColumn = Column.relationshipID
    public static let softDeleteColumn: Column? = nil
    public static let selectList = "relationship_id, from_node_id, to_node_id, relationship_type, strength::float8, metadata, created_at"

    public init(row: PostgresRow) throws {
        let (id, from, to, type, strength, metadata, created) = try row.decode(
            (UUID, UUID, UUID, String, Double, JSONValue, Date).self)
        guard let relationshipType = RelationshipType(rawValue: type) else {
            throw RepositoriesError(.query, "a relationship has the unknown type '\(type)'")
        }
        relationship = Relationship(
            id: id, from: from, to: to, type: relationshipType, strength: strength, metadata: metadata.objectValue ?? [:],
            createdAt: created)
    }

    /// One statement; a relation that exists already gets the new strength and merged metadata.
    public static func upsertStatements(_ user: UserID, _ records: [RelationshipRecord], context: RecordContext) throws -> [UpsertStatement] {
        var bindings = PostgresBindings()
        bindings.append(user.rawValue)
        for record in records where !(0...1).contains(record.relationship.strength) {
            throw RepositoriesError(.invalidInput, "strength must be between 0 and 1", operation: "relate", user: user.rawValue)
        }
        let rels = records.map(\.relationship)
        try bindings.append(BindArray.uuid(rels.map(\.from)), context: .default)
        try bindings.append(BindArray.uuid(rels.map(\.to)), context: .default)
        try bindings.append(BindArray.text(rels.map(\.type.rawValue)), context: .default)
        try bindings.append(BindArray.float8(rels.map(\.strength)), context: .default)
        try bindings.append(BindArray.jsonb(rels.map { .object($0.metadata) }), context: .default)
        // The last of several identical edges in one batch wins, as if stored one after another.
        let sql = """
            WITH i AS (
                SELECT *, min(ordinal) OVER (PARTITION BY from_node_id, to_node_id, relationship_type) AS first_ordinal
                FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::float8[], $6::jsonb[])
                    WITH ORDINALITY AS u(from_node_id, to_node_id, relationship_type, strength, metadata, ordinal)
            ), d AS (
                SELECT DISTINCT ON (from_node_id, to_node_id, relationship_type) * FROM i
                ORDER BY from_node_id, to_node_id, relationship_type, ordinal DESC
            ), u AS (
                INSERT INTO memory.relationships AS r (user_id, from_node_id, to_node_id, relationship_type, strength, metadata)
                SELECT $1, from_node_id, to_node_id, relationship_type, strength, metadata FROM d
                ON CONFLICT (user_id, from_node_id, to_node_id, relationship_type) DO UPDATE SET
                    strength = EXCLUDED.strength, metadata = r.metadata || EXCLUDED.metadata
                RETURNING r.relationship_id, r.from_node_id, r.to_node_id, r.relationship_type, (old.relationship_id IS NULL) AS inserted
            )
            SELECT i.ordinal::int8, u.relationship_id, u.inserted AND i.ordinal = i.first_ordinal
            FROM i JOIN u USING (from_node_id, to_node_id, relationship_type)
            """
        return [UpsertStatement(query: PostgresQuery(unsafeSQL: sql, binds: bindings))]
    }
}

/// A row of `memory.kv_store`, the LOOKUP cache: natural key → node.
public struct KVEntryRecord: RepositoryRecord, Equatable {
    public enum Column: String, RepositoryColumn {
        case entityKey = "entity_key", nodeID = "node_id", explicit, updatedAt = "updated_at"
    }

    public var key: String
    public var nodeID: UUID
    /// True for a node's own key; false for one derived from its entity_name.
    public var explicit: Bool

    public init(key: String, nodeID: UUID, explicit: Bool) {
        self.key = key
        self.nodeID = nodeID
        self.explicit = explicit
    }

    public static let table = "memory.kv_store"
    public static let idColumn = Column.nodeID
    public static let softDeleteColumn: Column? = nil
    public static let selectList = "entity_key, node_id, explicit"

    public init(row: PostgresRow) throws {
        (key, nodeID, explicit) = try row.decode((String, UUID, Bool).self)
    }

    /// kv_store is kept by triggers on nodes; this writes entries directly (repairs, tests).
    public static func upsertStatements(_ user: UserID, _ records: [KVEntryRecord], context: RecordContext) throws -> [UpsertStatement] {
        var bindings = PostgresBindings()
        bindings.append(user.rawValue)
        try bindings.append(BindArray.text(records.map(\.key)), context: .default)
        try bindings.append(BindArray.uuid(records.map(\.nodeID)), context: .default)
        try bindings.append(BindArray(records.map(\.explicit), type: .bool, arrayType: .boolArray), context: .default)
        let sql = """
            WITH i AS (
                SELECT * FROM unnest($2::text[], $3::uuid[], $4::bool[]) WITH ORDINALITY AS u(entity_key, node_id, explicit, ordinal)
            ), u AS (
                INSERT INTO memory.kv_store AS k (user_id, entity_key, node_id, explicit)
                SELECT DISTINCT ON (entity_key) $1, entity_key, node_id, explicit FROM i ORDER BY entity_key, ordinal DESC
                ON CONFLICT (user_id, entity_key) DO UPDATE SET node_id = EXCLUDED.node_id, explicit = EXCLUDED.explicit, updated_at = now()
                RETURNING k.entity_key, k.node_id, (old.node_id IS NULL) AS inserted
            )
            SELECT i.ordinal::int8, u.node_id, u.inserted FROM i JOIN u USING (entity_key)
            """
        return [UpsertStatement(query: PostgresQuery(unsafeSQL: sql, binds: bindings))]
    }
}

/// A row of `memory.embeddings`: one vector per (node, field, model).
public struct EmbeddingRecord: RepositoryRecord, Equatable {
    public enum Column: String, RepositoryColumn {
        case nodeID = "node_id", field, model, contentSHA = "content_sha", dims, createdAt = "created_at"
    }

    public var nodeID: UUID
    public var field: String
    public var model: String
    /// A hash of the text the vector was computed from.
    public var contentSHA: [UInt8]
    public var vector: [Float]

    public init(nodeID: UUID, field: String, model: String, contentSHA: [UInt8], vector: [Float]) {
        self.nodeID = nodeID
        self.field = field
        self.model = model
        self.contentSHA = contentSHA
        self.vector = vector
    }

    public static let table = "memory.embeddings"
    public static let idColumn = Column.nodeID
    public static let softDeleteColumn: Column? = nil
    public static let selectList = "node_id, field, model, content_sha, embedding"

    public init(row: PostgresRow) throws {
        let (id, field, model, sha, vector) = try row.decode((UUID, String, String, ByteBuffer, PGVector).self)
        self.init(nodeID: id, field: field, model: model, contentSHA: Array(buffer: sha), vector: vector.values)
    }

    /// One statement; the vectors travel as a binary `vector[]`.
    public static func upsertStatements(_ user: UserID, _ records: [EmbeddingRecord], context: RecordContext) throws -> [UpsertStatement] {
        var bindings = PostgresBindings()
        bindings.append(user.rawValue)
        try bindings.append(BindArray.uuid(records.map(\.nodeID)), context: .default)
        try bindings.append(BindArray.text(records.map(\.field)), context: .default)
        try bindings.append(BindArray.text(records.map(\.model)), context: .default)
        try bindings.append(
            BindArray(records.map { ByteBuffer(bytes: $0.contentSHA) }, type: .bytea, arrayType: .byteaArray), context: .default)
        try bindings.append(
            BindArray(
                elements: records.map { PGVector($0.vector, oid: context.vectorTypes.vector) },
                elementType: context.vectorTypes.vector, arrayType: context.vectorTypes.vectorArray),
            context: .default)
        let sql = """
            WITH i AS (
                SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bytea[], $6::vector[])
                    WITH ORDINALITY AS u(node_id, field, model, content_sha, embedding, ordinal)
            ), u AS (
                INSERT INTO memory.embeddings AS e (user_id, node_id, field, model, content_sha, dims, embedding)
                SELECT DISTINCT ON (node_id, field, model) $1, node_id, field, model, content_sha, vector_dims(embedding), embedding
                FROM i ORDER BY node_id, field, model, ordinal DESC
                ON CONFLICT (user_id, node_id, field, model) DO UPDATE SET
                    content_sha = EXCLUDED.content_sha, dims = EXCLUDED.dims, embedding = EXCLUDED.embedding, created_at = now()
                RETURNING e.node_id, e.field, e.model, (old.node_id IS NULL) AS inserted
            )
            SELECT i.ordinal::int8, u.node_id, u.inserted FROM i JOIN u USING (node_id, field, model)
            """
        return [UpsertStatement(query: PostgresQuery(unsafeSQL: sql, binds: bindings))]
    }
}
