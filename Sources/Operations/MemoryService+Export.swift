import Foundation
import MemoryGraph
import Repositories

extension MemoryService {
    /// Writes the user's live graph as fixture JSONL (docs/fixtures.md), one line at a time through
    /// `write`: a `{"kind": "user"}` line, every node with its key, content, tags, metadata,
    /// base_relevance and timestamps, then every relationship by its ends' keys.
    ///
    /// Importing the lines for another user gives the same graph. A node without a key of its own
    /// (no `key`, no `entity_name`) that a relationship touches is given the key `node-<id>`, so the
    /// relationship can name it.
    /// - Returns: the numbers of nodes and relationships written.
    @discardableResult
    public func export(
        _ user: UserID, as owner: UserID? = nil, _ write: (String) async throws -> Void
    ) async throws -> (nodes: Int, relationships: Int) {
        try await write(Documents.line(["kind": "user", "user_id": .string((owner ?? user).rawValue)]))
        // Keyless nodes that an edge touches need a key for the edge to name them.
        let linked = try await store.linkedNodeIDs(user)
        var keys: [UUID: String] = [:]
        var counts = (nodes: 0, relationships: 0)
        try await store.exportGraph(user) { nodes, relationships in
            for node in nodes {
                let key = node.lookupKey ?? (linked.contains(node.id!) ? Documents.exportKey(node.id!) : nil)
                if let key { keys[node.id!] = key }
                try await write(Documents.line(Documents.fixtureNode(node, key: key)))
                counts.nodes += 1
            }
            for edge in relationships {
                let from = keys[edge.from] ?? Documents.exportKey(edge.from)
                let to = keys[edge.to] ?? Documents.exportKey(edge.to)
                try await write(Documents.line(Documents.fixtureRelationship(edge, from: from, to: to)))
                counts.relationships += 1
            }
        }
        return counts
    }
}
