import MemoryGraph

/// The embedding models the schema has an HNSW index for. SEARCH splices a model's name and
/// dimensions into SQL (the partial index must match literally), so they come only from this list.
public enum EmbeddingModels {
    public struct Model: Sendable, Equatable {
        public let name: String
        public let dimensions: Int
        /// Its HNSW index in schema memory (a literal of the schema, spliced into REINDEX).
        public let indexName: String
    }

    /// all-MiniLM-L6-v2, 384 dimensions (index `idx_embeddings_minilm_l6_v2_hnsw`).
    public static let miniLML6v2 = Model(
        name: ModelNames.miniLML6v2, dimensions: 384, indexName: "idx_embeddings_minilm_l6_v2_hnsw")

    public static let all: [Model] = [miniLML6v2]

    /// The model with this name.
    /// - Throws: `RepositoriesError` (`.invalidInput`) for a model with no index.
    public static func named(_ name: String) throws -> Model {
        guard let model = all.first(where: { $0.name == name }) else {
            throw RepositoriesError(
                .invalidInput,
                "no vector index for the model '\(name)'; known: \(all.map(\.name).joined(separator: ", "))")
        }
        return model
    }

    /// The model with this name, checked against a query vector's size.
    /// - Throws: `RepositoriesError` (`.invalidInput`) for a model with no index or a vector of another size.
    static func model(named name: String, for vector: [Float], operation: String, user: UserID) throws -> Model {
        let model = try named(name)
        guard vector.count == model.dimensions else {
            throw RepositoriesError(
                .invalidInput, "the query vector has \(vector.count) dimensions; \(model.name) has \(model.dimensions)",
                operation: operation, user: user.rawValue)
        }
        return model
    }
}
