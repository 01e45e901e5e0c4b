import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
    /// The nodes reachable from `start` within `depth` edges, breadth first: one query per level,
    /// then one for the nodes, all in one transaction. The walk keeps at most `maxNodes` nodes
    /// (nearer levels first; within the level where it stops, whichever edges Postgres reads first)
    /// and keeps at most `8 × maxNodes` edges; past either it stops and the subgraph says it was
    /// truncated. No level's statement reads more edges than that, whatever the degree of a node.
    public func traverse(
        _ user: UserID, from start: UUID, depth: Int = 2, types: Set<RelationshipType> = [], direction: Direction = .both,
        maxNodes: Int = Subgraph.defaultNodeCap
    ) async throws -> Subgraph {
        let maxNodes = max(1, maxNodes)
        let maxEdges = maxNodes.multipliedReportingOverflow(by: 8).overflow ? Int.max : maxNodes * 8
        let typeNames = types.isEmpty ? nil : types.map(\.rawValue).sorted()
        return try await database.withUser(user, operation: "traverse") { connection in
            var depthOf: [UUID: Int] = [start: 0]
            var frontier = [start]
            var edges: [UUID: Relationship] = [:]
            var level = 0
            var truncated = false
            let out = direction != .incoming
            let incoming = direction != .outgoing
            /// The edges leaving `frontier` in the walk's direction and types (with `placed`, only
            /// those whose other end is among them), one more than the edge budget left.
            func edgesOf(_ frontier: [UUID], endingIn placed: [UUID]? = nil) async throws -> PostgresRowSequence {
                try await connection.query(
                    """
                    SELECT \(unescaped: RelationshipRecord.selectList) FROM memory.relationships
                    WHERE user_id = \(user.rawValue)
                      AND ((\(out) AND from_node_id = ANY(\(frontier)) AND (\(placed)::uuid[] IS NULL OR to_node_id = ANY(\(placed)::uuid[])))
                        OR (\(incoming) AND to_node_id = ANY(\(frontier)) AND (\(placed)::uuid[] IS NULL OR from_node_id = ANY(\(placed)::uuid[]))))
                      AND (\(typeNames)::text[] IS NULL OR relationship_type = ANY(\(typeNames)::text[]))
                    LIMIT \(maxEdges - edges.count + 1)
                    """, logger: database.logger)
            }
            walk: while level < max(0, depth), !frontier.isEmpty {
                level += 1
                let rows = try await edgesOf(frontier)
                // Rows read, not edges kept, against the budget: with DIRECTION both, each level
                // reads again the edges back to the level before.
                let budget = maxEdges - edges.count
                var read = 0
                var next: [UUID] = []
                for try await row in rows {
                    read += 1
                    guard read <= budget else {
                        truncated = true
                        continue  // the one row past the budget: there is more
                    }
                    let edge = try RelationshipRecord(row: row).relationship
                    let new = [edge.from, edge.to].filter { depthOf[$0] == nil }
                    guard depthOf.count + Set(new).count <= maxNodes else {
                        truncated = true
                        continue
                    }
                    edges[edge.id!] = edge
                    for end in new where depthOf[end] == nil {
                        depthOf[end] = level
                        next.append(end)
                    }
                }
                if truncated { break walk }
                frontier = next
            }
            // The walk stopped at `depth`: the edges among the nodes it placed that start (or, in
            // reverse, end) at the last level are not read by any level. They are part of the
            // graph within `depth` edges (a cycle among the outermost nodes was missing from
            // explore's "also:", DOT and Mermaid).
            if !truncated, !frontier.isEmpty {
                let budget = maxEdges - edges.count
                var read = 0
                for try await row in try await edgesOf(frontier, endingIn: Array(depthOf.keys)) {
                    read += 1
                    guard read <= budget else {
                        truncated = true
                        break
                    }
                    let edge = try RelationshipRecord(row: row).relationship
                    edges[edge.id!] = edge
                }
            }
            let ids = Array(depthOf.keys)
            let rows = try await connection.query(
                """
                SELECT \(unescaped: NodeRecord.selectList) FROM memory.nodes
                WHERE user_id = \(user.rawValue) AND node_id = ANY(\(ids)) AND deleted_at IS NULL
                """, logger: database.logger)
            var entries: [Subgraph.Entry] = []
            for try await row in rows {
                let node = try NodeRecord(row: row).node
                entries.append(.init(node: node, depth: depthOf[node.id!] ?? 0))
            }
            let live = Set(entries.map { $0.node.id! })
            guard live.contains(start) else { return Subgraph(nodes: [], edges: []) }
            entries.sort { ($0.depth, $0.node.key ?? "~", $0.node.id!.uuidString) < ($1.depth, $1.node.key ?? "~", $1.node.id!.uuidString) }
            let kept = edges.values.filter { live.contains($0.from) && live.contains($0.to) }
                .sorted { ($0.from.uuidString, $0.to.uuidString, $0.type.rawValue) < ($1.from.uuidString, $1.to.uuidString, $1.type.rawValue) }
            database.accessLog.record(user, entries.compactMap(\.node.id))
            return Subgraph(nodes: entries, edges: kept, truncated: truncated)
        }
    }
}
