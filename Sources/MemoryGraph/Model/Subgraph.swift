import Foundation

/// The part of a user's graph reached from one node: each node with its distance in edges, and
/// the edges walked.
public struct Subgraph: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var node: MemoryNode
        public var depth: Int

        public init(node: MemoryNode, depth: Int) {
            self.node = node
            self.depth = depth
        }
    }

    /// Nearest first; the start node has depth 0.
    public var nodes: [Entry]
    public var edges: [Relationship]
    /// True when the walk stopped at its node cap (``defaultNodeCap``) with more within its depth:
    /// the nodes kept are the nearest ones.
    public var truncated: Bool

    /// The most nodes a TRAVERSE or explore returns: a hub with a million edges must not make one
    /// query read them all (issue 27, item 9).
    public static let defaultNodeCap = 1_000

    public init(nodes: [Entry], edges: [Relationship], truncated: Bool = false) {
        self.nodes = nodes
        self.edges = edges
        self.truncated = truncated
    }
}

/// Counts for one user (`MemoryStore.stats`).
public struct UserStats: Sendable, Equatable, Codable {
    /// Live nodes by context type.
    public var nodesByContextType: [String: Int]
    public var totalNodes: Int
    /// Live nodes that are entities (carry entity_system and entity_id).
    public var entities: Int
    public var relationships: Int
    public var embeddings: Int
    /// The latest write, from user_metadata.
    public var lastActivity: Date?

    public init(
        nodesByContextType: [String: Int], totalNodes: Int, entities: Int, relationships: Int, embeddings: Int,
        lastActivity: Date?
    ) {
        self.nodesByContextType = nodesByContextType
        self.totalNodes = totalNodes
        self.entities = entities
        self.relationships = relationships
        self.embeddings = embeddings
        self.lastActivity = lastActivity
    }
}
