/// Turns texts into fixed-size vectors. The store and the embedding pipeline depend only on this.
///
/// Implementations are shared between concurrent callers, so they must be `Sendable`.
///
/// ```swift
/// let embedder: any Embedder = try MiniLMEmbedder()
/// let vectors = try await embedder.embed(["Sarah Chen is the VP of engineering."])
/// // vectors[0].count == embedder.dimensions
/// ```
public protocol Embedder: Sendable {
    /// A stable name for the model, stored beside every vector it produced
    /// (e.g. `"sentence-transformers/all-MiniLM-L6-v2"`).
    var modelIdentifier: String { get }

    /// The length of every vector this embedder returns.
    var dimensions: Int { get }

    /// Embeds `texts`, returning one vector per text, in the same order.
    ///
    /// An empty list returns an empty list.
    /// - Throws: ``MemoryGraphError`` with code `.embeddingFailed` or `.invalidInput`.
    func embed(_ texts: [String]) async throws -> [[Float]]

    /// Embeds `texts` as ``embed(_:)`` does; an embedder that queues work runs `.query` calls
    /// before `.document` calls waiting. The default ignores the priority.
    /// - Throws: as ``embed(_:)``.
    func embed(_ texts: [String], priority: EmbeddingPriority) async throws -> [[Float]]
}

extension Embedder {
    public func embed(_ texts: [String], priority: EmbeddingPriority) async throws -> [[Float]] {
        try await embed(texts)
    }
}

/// What an embedding is for, so that an embedder under load can serve a question first.
public enum EmbeddingPriority: Sendable {
    /// A question someone waits on (SEARCH, RECALL): taken first.
    case query
    /// A memory's texts (the pipeline, a write that waits for its embeddings, an import).
    case document
}

/// The names of the models memgraph has an encoder and a vector index for: the one Swift source
/// of each. The schema repeats a name where a partial index must match it literally
/// (`SQL/schema/0016_baseline.sql`, `functions/60_search.sql`); a test checks that the two agree.
public enum ModelNames {
    /// all-MiniLM-L6-v2, 384 dimensions.
    public static let miniLML6v2 = "sentence-transformers/all-MiniLM-L6-v2"
}
