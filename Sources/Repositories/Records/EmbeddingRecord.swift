import Foundation
import MemoryGraph
import PostgresNIO

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

    /// How an insert into `memory.embeddings AS e` replaces the vector a (node, field, model)
    /// already has: the new one and its hash, and in SEARCH's graph if either was.
    static let onConflict = """
        ON CONFLICT (user_id, node_id, field, model) DO UPDATE SET
            content_sha = EXCLUDED.content_sha, dims = EXCLUDED.dims, embedding = EXCLUDED.embedding, created_at = now(),
            in_graph = e.in_graph OR EXCLUDED.in_graph
        """

    /// One statement; the vectors travel as a binary `vector[]`. They go into SEARCH's HNSW graph
    /// when the user is large enough to be searched through it (`memory.in_search_graph`, schema 21).
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
                INSERT INTO memory.embeddings AS e (user_id, node_id, field, model, content_sha, dims, embedding, in_graph)
                SELECT DISTINCT ON (node_id, field, model) $1, node_id, field, model, content_sha, vector_dims(embedding), embedding,
                    (SELECT memory.in_search_graph($1::text))
                FROM i ORDER BY node_id, field, model, ordinal DESC
                \(onConflict)
                RETURNING e.node_id, e.field, e.model, (old.node_id IS NULL) AS inserted
            )
            SELECT i.ordinal::int8, u.node_id, u.inserted, now() FROM i JOIN u USING (node_id, field, model)
            """
        return [UpsertStatement(query: PostgresQuery(unsafeSQL: sql, binds: bindings))]
    }
}
