import MemoryGraph

extension CLI {
    /// Embeds the text of a SEARCH query.
    typealias EmbedText = @Sendable (String) async throws -> [Float]

    /// The embedder SEARCH uses: the one place to wire the MiniLM embedder in (issue 3).
    ///
    /// Until it is merged, SEARCH fails with this error (exit status 1); LOOKUP, FUZZY and
    /// TRAVERSE need no embedder.
    /// - Throws: `MemoryGraphError` (`.modelUnavailable`).
    static func makeEmbedder() throws -> EmbedText {
        throw MemoryGraphError(
            code: .modelUnavailable,
            message: "SEARCH by text needs the MiniLM embedder: not built into this memgraph yet; use FUZZY or LOOKUP meanwhile")
    }
}
