/// A path between two nodes of one user: `nodes[i]` and `nodes[i + 1]` are joined by `edges[i]`,
/// which may point either way (a path may walk an edge against its direction).
///
/// ```swift
/// if let path = try await store.shortestPath(user, from: sarah, to: deal) {
///     print(path.length, path.nodes.map { $0.lookupKey ?? "-" })
/// }
/// ```
public struct GraphPath: Sendable, Equatable {
    /// From the start to the goal, both included.
    public var nodes: [MemoryNode]
    /// One fewer than `nodes`.
    public var edges: [Relationship]

    public init(nodes: [MemoryNode], edges: [Relationship]) {
        self.nodes = nodes
        self.edges = edges
    }

    /// The number of edges.
    public var length: Int { edges.count }
}
