import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
    /// Nodes read per round trip by ``exportGraph(_:pageSize:_:)``.
    public static let exportPageSize = 2_000

    /// Reads the user's live graph in one consistent snapshot, page by page, and hands it to `body`:
    /// first the ids of the nodes that relationships touch and the ambiguous derived keys
    /// (``ExportPage/context``), then the nodes (oldest first), then the relationships between live
    /// nodes. One REPEATABLE READ, READ ONLY transaction holds the snapshot, so a relationship written
    /// during the export cannot name a node the export lacks.
    /// - Throws: `RepositoriesError`, or what `body` throws.
    public func exportGraph(
        _ user: UserID, pageSize: Int = exportPageSize, _ body: (ExportPage) async throws -> Void
    ) async throws {
        do {
            try await database.withConnection(operation: "export") { connection in
                try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: database.logger)
                do {
                    try await connection.query("SELECT set_config('memgraph.user_id', \(user.rawValue), true)", logger: database.logger)
                    let ambiguous = try await ambiguousDerivedKeys(user, on: connection)
                    try await body(.context(
                        linked: try await linkedNodeIDs(user, on: connection),
                        ambiguousKeys: Set(ambiguous.keys), derivedKeyHolders: Set(ambiguous.values.compactMap { $0 })))
                    try await pages(user, pageSize: pageSize, on: connection, body)
                    try await connection.query("COMMIT", logger: database.logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: database.logger)
                    throw error
                }
            }
        } catch let error as RepositoriesError {
            throw error
        } catch {
            throw RepositoriesError.wrap(error, operation: "export", user: user.rawValue)
        }
    }

    private func pages(
        _ user: UserID, pageSize: Int, on connection: PostgresConnection, _ body: (ExportPage) async throws -> Void
    ) async throws {
        var after: UUID? = nil
        while true {
            var nodes: [MemoryNode] = []
            let rows = try await connection.query(
                """
                SELECT \(unescaped: NodeRecord.selectList) FROM memory.nodes
                WHERE user_id = \(user.rawValue) AND deleted_at IS NULL AND (\(after)::uuid IS NULL OR node_id > \(after))
                ORDER BY node_id LIMIT \(pageSize)
                """, logger: database.logger)
            for try await row in rows { nodes.append(try NodeRecord(row: row).node) }
            if !nodes.isEmpty { try await body(.nodes(nodes)) }
            guard nodes.count == pageSize, let last = nodes.last?.id else { break }
            after = last
        }
        var afterEdge: UUID? = nil
        while true {
            var edges: [Relationship] = []
            let rows = try await connection.query(
                """
                SELECT \(unescaped: RelationshipRecord.selectList) FROM memory.relationships r
                WHERE r.user_id = \(user.rawValue) AND (\(afterEdge)::uuid IS NULL OR r.relationship_id > \(afterEdge))
                  AND EXISTS (SELECT FROM memory.nodes n WHERE n.user_id = r.user_id AND n.node_id = r.from_node_id AND n.deleted_at IS NULL)
                  AND EXISTS (SELECT FROM memory.nodes n WHERE n.user_id = r.user_id AND n.node_id = r.to_node_id AND n.deleted_at IS NULL)
                ORDER BY r.relationship_id LIMIT \(pageSize)
                """, logger: database.logger)
            for try await row in rows { edges.append(try RelationshipRecord(row: row).relationship) }
            if !edges.isEmpty { try await body(.relationships(edges)) }
            guard edges.count == pageSize, let last = edges.last?.id else { break }
            afterEdge = last
        }
    }

    /// The ids of the user's live nodes that have at least one relationship.
    func linkedNodeIDs(_ user: UserID, on connection: PostgresConnection) async throws -> Set<UUID> {
        var ids = Set<UUID>()
        let rows = try await connection.query(
            """
            SELECT from_node_id FROM memory.relationships WHERE user_id = \(user.rawValue)
            UNION SELECT to_node_id FROM memory.relationships WHERE user_id = \(user.rawValue)
            """, logger: database.logger)
        for try await row in rows { ids.insert(try row.decode(UUID.self)) }
        return ids
    }

    /// The keys derived from entity names that name more than one of the user's live nodes, or that
    /// some live node holds as its own key: in an export, such a node needs a key of its own. Each
    /// with the node LOOKUP finds by it when that is one of the nodes deriving it (kv_store's entry
    /// not explicit), else nil: the export writes that node with the key, so that LOOKUP finds the
    /// same node after an import.
    func ambiguousDerivedKeys(_ user: UserID, on connection: PostgresConnection) async throws -> [ExactKey: UUID?] {
        var keys: [ExactKey: UUID?] = [:]
        let rows = try await connection.query(
            """
            SELECT d.derived_key,
                   (SELECT kv.node_id FROM memory.kv_store kv
                    WHERE kv.user_id = \(user.rawValue) AND kv.entity_key = d.derived_key AND NOT kv.explicit)
            FROM memory.nodes d
            WHERE d.user_id = \(user.rawValue) AND d.deleted_at IS NULL AND d.node_key IS NULL AND d.derived_key IS NOT NULL
            GROUP BY d.derived_key
            HAVING count(*) > 1 OR EXISTS (
                SELECT FROM memory.nodes k
                WHERE k.user_id = \(user.rawValue) AND k.node_key = d.derived_key AND k.deleted_at IS NULL)
            """, logger: database.logger)
        for try await (key, holder) in rows.decode((String, UUID?).self) { keys[ExactKey(key)] = holder }
        return keys
    }
}

/// What ``MemoryStore/exportGraph(_:pageSize:_:)`` hands over, in this order.
public enum ExportPage: Sendable {
    /// First: the nodes that relationships touch, the derived keys more than one node has, and
    /// the nodes among those that LOOKUP finds by such a key.
    case context(linked: Set<UUID>, ambiguousKeys: Set<ExactKey>, derivedKeyHolders: Set<UUID>)
    case nodes([MemoryNode])
    case relationships([Relationship])
}
