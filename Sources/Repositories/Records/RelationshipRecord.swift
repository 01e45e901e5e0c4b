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
            id: id, from: from, to: to, type: relationshipType, strength: Double(storedReal: strength), metadata: metadata.objectValue ?? [:],
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
        try bindings.append(BindArray.timestamptz(rels.map(\.createdAt)), context: .default)
        // The last of several identical edges in one batch wins, as if stored one after another;
        // the first date given is kept (a relationship stored again keeps its own).
        let sql = """
            WITH i AS (
                SELECT *, min(ordinal) OVER (PARTITION BY from_node_id, to_node_id, relationship_type) AS first_ordinal,
                       first_value(created_at) OVER (
                           PARTITION BY from_node_id, to_node_id, relationship_type ORDER BY created_at IS NULL, ordinal
                           ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS first_created_at
                FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::float8[], $6::jsonb[], $7::timestamptz[])
                    WITH ORDINALITY AS u(from_node_id, to_node_id, relationship_type, strength, metadata, created_at, ordinal)
            ), d AS (
                SELECT DISTINCT ON (from_node_id, to_node_id, relationship_type) * FROM i
                ORDER BY from_node_id, to_node_id, relationship_type, ordinal DESC
            ), u AS (
                INSERT INTO memory.relationships AS r (user_id, from_node_id, to_node_id, relationship_type, strength, metadata, created_at)
                SELECT $1, from_node_id, to_node_id, relationship_type, strength, metadata, coalesce(first_created_at, now()) FROM d
                ON CONFLICT (user_id, from_node_id, to_node_id, relationship_type) DO UPDATE SET
                    strength = EXCLUDED.strength, metadata = r.metadata || EXCLUDED.metadata
                RETURNING r.relationship_id, r.from_node_id, r.to_node_id, r.relationship_type, (old.relationship_id IS NULL) AS inserted
            )
            SELECT i.ordinal::int8, u.relationship_id, u.inserted AND i.ordinal = i.first_ordinal, now()
            FROM i JOIN u USING (from_node_id, to_node_id, relationship_type)
            """
        return [UpsertStatement(query: PostgresQuery(unsafeSQL: sql, binds: bindings))]
    }
}
