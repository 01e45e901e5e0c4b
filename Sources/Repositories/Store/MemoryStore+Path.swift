import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
    /// The most edges ``shortestPath(_:from:to:maxDepth:types:direction:)`` looks across.
    public static let maximumPathDepth = 10

    /// A shortest path from `start` to `goal` (fewest edges), or nil when none is within `maxDepth`
    /// edges or either node is absent, soft-deleted or another user's.
    ///
    /// Breadth first from `start`, one query per level, all in one transaction; soft-deleted nodes
    /// are not walked through. Among paths of equal length, the one whose edges were found first wins.
    /// - Throws: `RepositoriesError` (`.invalidInput` for `maxDepth` outside 1…``maximumPathDepth``).
    public func shortestPath(
        _ user: UserID, from start: UUID, to goal: UUID, maxDepth: Int = 6, types: Set<RelationshipType> = [],
        direction: Direction = .both
    ) async throws -> GraphPath? {
        guard (1...Self.maximumPathDepth).contains(maxDepth) else {
            throw RepositoriesError(
                .invalidInput, "the depth must be from 1 to \(Self.maximumPathDepth)", operation: "path", user: user.rawValue)
        }
        let typeNames = types.isEmpty ? nil : types.map(\.rawValue).sorted()
        let out = direction != .incoming
        let incoming = direction != .outgoing
        return try await database.withUser(user, operation: "path") { connection in
            let ends = try await liveNodes(user, [start, goal], on: connection)
            guard ends.count == Set([start, goal]).count else { return nil }
            // Each reached node remembers the edge it was reached by.
            var reachedBy: [UUID: Relationship?] = [start: nil]
            var frontier = [start]
            var level = 0
            while level < maxDepth, !frontier.isEmpty, reachedBy[goal] == nil {
                level += 1
                let rows = try await connection.query(
                    """
                    SELECT \(unescaped: RelationshipRecord.selectList) FROM memory.relationships
                    WHERE user_id = \(user.rawValue)
                      AND ((\(out) AND from_node_id = ANY(\(frontier))) OR (\(incoming) AND to_node_id = ANY(\(frontier))))
                      AND (\(typeNames)::text[] IS NULL OR relationship_type = ANY(\(typeNames)::text[]))
                    ORDER BY strength DESC, relationship_id
                    """, logger: database.logger)
                var candidates: [(node: UUID, edge: Relationship)] = []
                for try await row in rows {
                    let edge = try RelationshipRecord(row: row).relationship
                    if out, reachedBy[edge.from] != nil, reachedBy[edge.to] == nil { candidates.append((edge.to, edge)) }
                    if incoming, reachedBy[edge.to] != nil, reachedBy[edge.from] == nil { candidates.append((edge.from, edge)) }
                }
                let live = try await liveNodes(user, Array(Set(candidates.map(\.node))), on: connection)
                var next: [UUID] = []
                for (node, edge) in candidates where live.contains(node) && reachedBy[node] == nil {
                    reachedBy[node] = edge
                    next.append(node)
                }
                frontier = next
            }
            guard reachedBy[goal] != nil else { return nil }
            var ids = [goal]
            var edges: [Relationship] = []
            while let last = ids.last, let edge = reachedBy[last] ?? nil {
                edges.append(edge)
                ids.append(edge.from == last ? edge.to : edge.from)
            }
            let rows = try await connection.query(
                """
                SELECT \(unescaped: NodeRecord.selectList) FROM memory.nodes
                WHERE user_id = \(user.rawValue) AND node_id = ANY(\(ids))
                """, logger: database.logger)
            var byID: [UUID: MemoryNode] = [:]
            for try await row in rows {
                let node = try NodeRecord(row: row).node
                byID[node.id!] = node
            }
            return GraphPath(nodes: ids.reversed().compactMap { byID[$0] }, edges: edges.reversed())
        }
    }

    /// Those of `ids` that are live nodes of the user.
    private func liveNodes(_ user: UserID, _ ids: [UUID], on connection: PostgresConnection) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        var live: Set<UUID> = []
        for try await id in try await connection.query(
            """
            SELECT node_id FROM memory.nodes
            WHERE user_id = \(user.rawValue) AND node_id = ANY(\(ids)) AND deleted_at IS NULL
            """, logger: database.logger
        ).decode(UUID.self) {
            live.insert(id)
        }
        return live
    }
}
