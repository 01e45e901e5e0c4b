import MemoryGraph
import Encoder

extension CLI {
    /// The MiniLM embedder, loaded once per process (SEARCH in `shell` reuses it).
    private static let sharedEmbedder = Result<MiniLMEmbedder, any Error> {
        // The model's settings from the environment and the config file; no command has flags for them.
        try MiniLMEmbedder(environment: Settings.load().values)
    }

    /// The embedder SEARCH, `worker` and the benchmarks use.
    /// - Throws: `MemoryGraphError` (`.modelUnavailable`: "model not found: run scripts/setup").
    static func makeEmbedder() throws -> any Embedder {
        try sharedEmbedder.get()
    }
}
