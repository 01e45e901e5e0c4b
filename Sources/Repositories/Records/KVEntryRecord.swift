import Foundation
import MemoryGraph
import PostgresNIO

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
            SELECT i.ordinal::int8, u.node_id, u.inserted, now() FROM i JOIN u USING (entity_key)
            """
        return [UpsertStatement(query: PostgresQuery(unsafeSQL: sql, binds: bindings))]
    }
}
