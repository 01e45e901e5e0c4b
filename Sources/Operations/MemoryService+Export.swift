import Foundation
import MemoryGraph
import Repositories

extension MemoryService {
    /// Writes the user's live graph as fixture JSONL (docs/fixtures.md), one line at a time through
    /// `write`: a `{"kind": "user"}` line, every node with its key, content, tags, metadata,
    /// base_relevance and timestamps, then every relationship by its ends' keys.
    ///
    /// Importing the lines for another user gives the same graph. A node's own key is written as
    /// `key`; a node known by a key derived from its entity name is written without one (the import
    /// derives it again), and relationships name it by that key. When an entity name gives the same
    /// key as another node's, the node LOOKUP finds by it is written with it as its key, and the
    /// others, like a keyless node that a relationship touches, with the key `node-<id>`, so that
    /// the file is valid, every relationship names its node, and LOOKUP finds the same node after.
    /// - Returns: the numbers of nodes and relationships written.
    @discardableResult
    public func export(
        _ user: UserID, as owner: UserID? = nil, _ write: (String) async throws -> Void
    ) async throws -> (nodes: Int, relationships: Int) {
        try await write(Documents.line(["kind": "user", "user_id": .string((owner ?? user).rawValue)]))
        var linked = Set<UUID>(), ambiguous = Set<ExactKey>(), holders = Set<UUID>()
        var keys: [UUID: String] = [:]
        var counts = (nodes: 0, relationships: 0)
        try await store.exportGraph(user) { page in
            switch page {
            case .context(let nodes, let keys, let keyHolders):
                (linked, ambiguous, holders) = (nodes, keys, keyHolders)
            case .nodes(let nodes):
                for node in nodes {
                    var written = node.key
                    if let own = node.key {
                        keys[node.id!] = own
                    } else if let derived = node.derivedKey, !ambiguous.contains(ExactKey(derived)) {
                        keys[node.id!] = derived  // not written: the import derives it again
                    } else if let derived = node.derivedKey, holders.contains(node.id!) {
                        // The node LOOKUP finds by a shared derived key: written with it, so that it
                        // still does after an import.
                        written = derived
                        keys[node.id!] = derived
                    } else if node.derivedKey != nil || linked.contains(node.id!) {
                        // A shared derived key would make the file name two entities with one key.
                        written = Documents.exportKey(node.id!)
                        keys[node.id!] = written
                    }
                    try await write(Documents.line(Documents.fixtureNode(node, key: written)))
                    counts.nodes += 1
                }
            case .relationships(let edges):
                for edge in edges {
                    let from = keys[edge.from] ?? Documents.exportKey(edge.from)
                    let to = keys[edge.to] ?? Documents.exportKey(edge.to)
                    try await write(Documents.line(Documents.fixtureRelationship(edge, from: from, to: to)))
                    counts.relationships += 1
                }
            }
        }
        return counts
    }
}
