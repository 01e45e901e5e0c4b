import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
    /// Nodes read per round trip by ``exportGraph(_:pageSize:_:)``.
    public static let exportPageSize = 2_000

    /// Reads the user's live graph page by page, oldest node first, and hands each page to `body`:
    /// the nodes, then, once every node has been handed over, the relationships between live nodes.
    /// Each page is one short transaction, so an export of a large user holds no long snapshot; a
    /// node written during the export may or may not be in it.
    /// - Throws: `RepositoriesError`, or what `body` throws.
    public func exportGraph(
        _ user: UserID, pageSize: Int = exportPageSize,
        _ body: (_ nodes: [MemoryNode], _ relationships: [Relationship]) async throws -> Void
    ) async throws {
        var after: UUID? = nil
        while true {
            let cursor = after
            let page = try await database.withUser(user, operation: "export") { connection in
                var nodes: [MemoryNode] = []
                let rows = try await connection.query(
                    """
                    SELECT \(unescaped: NodeRecord.selectList) FROM memory.nodes
                    WHERE user_id = \(user.rawValue) AND deleted_at IS NULL
                      AND (\(cursor)::uuid IS NULL OR node_id > \(cursor))
                    ORDER BY node_id LIMIT \(pageSize)
                    """, logger: database.logger)
                for try await row in rows { nodes.append(try NodeRecord(row: row).node) }
                return nodes
            }
            if !page.isEmpty { try await body(page, []) }
            guard page.count == pageSize, let last = page.last?.id else { break }
            after = last
        }
        var afterEdge: UUID? = nil
        while true {
            let cursor = afterEdge
            let page = try await database.withUser(user, operation: "export") { connection in
                var edges: [Relationship] = []
                let rows = try await connection.query(
                    """
                    SELECT \(unescaped: RelationshipRecord.selectList) FROM memory.relationships r
                    WHERE r.user_id = \(user.rawValue) AND (\(cursor)::uuid IS NULL OR r.relationship_id > \(cursor))
                      AND EXISTS (SELECT FROM memory.nodes n WHERE n.user_id = r.user_id AND n.node_id = r.from_node_id AND n.deleted_at IS NULL)
                      AND EXISTS (SELECT FROM memory.nodes n WHERE n.user_id = r.user_id AND n.node_id = r.to_node_id AND n.deleted_at IS NULL)
                    ORDER BY r.relationship_id LIMIT \(pageSize)
                    """, logger: database.logger)
                for try await row in rows { edges.append(try RelationshipRecord(row: row).relationship) }
                return edges
            }
            if !page.isEmpty { try await body([], page) }
            guard page.count == pageSize, let last = page.last?.id else { break }
            afterEdge = last
        }
    }

    /// The ids of the user's live nodes that have at least one relationship.
    public func linkedNodeIDs(_ user: UserID) async throws -> Set<UUID> {
        try await database.withUser(user, operation: "export") { connection in
            var ids = Set<UUID>()
            let rows = try await connection.query(
                """
                SELECT from_node_id FROM memory.relationships WHERE user_id = \(user.rawValue)
                UNION SELECT to_node_id FROM memory.relationships WHERE user_id = \(user.rawValue)
                """, logger: database.logger)
            for try await row in rows { ids.insert(try row.decode(UUID.self)) }
            return ids
        }
    }

    /// The keys derived from entity names that name more than one of the user's live nodes, or that
    /// some live node holds as its own key: in an export, a relationship cannot name such a node
    /// by its derived key.
    public func ambiguousDerivedKeys(_ user: UserID) async throws -> Set<String> {
        try await database.withUser(user, operation: "export") { connection in
            var keys = Set<String>()
            let rows = try await connection.query(
                """
                SELECT d.derived_key FROM memory.nodes d
                WHERE d.user_id = \(user.rawValue) AND d.deleted_at IS NULL AND d.node_key IS NULL AND d.derived_key IS NOT NULL
                GROUP BY d.derived_key
                HAVING count(*) > 1 OR EXISTS (
                    SELECT FROM memory.nodes k
                    WHERE k.user_id = \(user.rawValue) AND k.node_key = d.derived_key AND k.deleted_at IS NULL)
                """, logger: database.logger)
            for try await row in rows { keys.insert(try row.decode(String.self)) }
            return keys
        }
    }
}
