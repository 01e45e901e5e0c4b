import Foundation
import Testing

@testable import Encoder
import MemoryGraph

/// The parity fixture written by `bench/reference_embeddings.py`: sentence-transformers' token ids
/// and vectors for a set of awkward sentences.
struct ReferenceFixture: Decodable, Sendable {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let ids: [Int]
        let embedding: [Float]
        var testDescription: String { name }
    }

    let model: String
    let generator: String
    let maxSeqLength: Int
    let cases: [Case]

    enum CodingKeys: String, CodingKey {
        case model, generator, cases
        case maxSeqLength = "max_seq_length"
    }

    static let shared: ReferenceFixture = {
        guard let url = Bundle.module.url(
            forResource: "minilm_reference", withExtension: "json", subdirectory: "Resources"),
            let data = try? Data(contentsOf: url),
            let fixture = try? JSONDecoder().decode(ReferenceFixture.self, from: data)
        else {
            fatalError("Resources/minilm_reference.json is missing or unreadable: run bench/reference_embeddings.py")
        }
        return fixture
    }()

    static var cases: [Case] { shared.cases }
}

/// The real model, loaded once for all tests through the same lookup as production
/// (`MEMGRAPH_MODEL_DIR`, else `.memgraph/vendor`). A missing model fails the tests that need it.
enum SharedModel {
    static let embedder: Result<MiniLMEmbedder, any Error> = Result { try MiniLMEmbedder() }

    /// One model per kernel this processor runs, for the parity tests that check each kernel; the
    /// default model serves its own kernel.
    static let byKernel: [EncoderKernel: Result<MiniLMEmbedder, any Error>] = Dictionary(
        uniqueKeysWithValues: EncoderKernel.available.map { kernel in
            if case .success(let shared) = embedder, shared.kernel == kernel { return (kernel, embedder) }
            return (kernel, Result { try MiniLMEmbedder(modelDirectory: MiniLMEmbedder.locateModel(), kernel: kernel) })
        })

    /// The model with the default kernel, or with `kernel`.
    static func require(_ kernel: EncoderKernel? = nil) throws -> MiniLMEmbedder {
        let embedder = kernel.map { byKernel[$0]! } ?? embedder
        switch embedder {
        case .success(let embedder):
            return embedder
        case .failure(let error):
            Issue.record("the real model is needed (install it with scripts/setup or set MEMGRAPH_MODEL_DIR): \(error)")
            throw error
        }
    }
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var dot = 0.0, normA = 0.0, normB = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        normA += Double(x) * Double(x)
        normB += Double(y) * Double(y)
    }
    return dot / (normA.squareRoot() * normB.squareRoot())
}

/// The parent suite of the encoder's tests, so that `swift test --filter Embedding` runs them all.
@Suite("Embedding", .timeLimit(.minutes(5)))
enum EmbeddingTests {}
