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

    public init(nodes: [Entry], edges: [Relationship]) {
        self.nodes = nodes
        self.edges = edges
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
