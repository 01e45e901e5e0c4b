import Foundation
import Testing

@testable import Encoder
import MemoryGraph

extension EmbeddingTests {
    @Suite("MiniLM embedder", .timeLimit(.minutes(5)))
    struct MiniLMEmbedderTests {
        @Test(
            "batch 1: cosine ≥ 0.9999 with sentence-transformers, on each kernel this processor runs",
            arguments: EncoderKernel.available, ReferenceFixture.cases)
        func matchesReferenceAlone(_ kernel: EncoderKernel, _ reference: ReferenceFixture.Case) async throws {
            let embedder = try SharedModel.require(kernel)
            #expect(embedder.kernel == kernel)
            let vectors = try await embedder.embed([reference.text])
            #expect(vectors.count == 1)
            #expect(vectors[0].count == 384)
            #expect(cosine(vectors[0], reference.embedding) >= 0.9999)
        }

        @Test(
            "batch 32: every fixture sentence in one call, mixed lengths, still ≥ 0.9999, on each kernel",
            arguments: EncoderKernel.available)
        func matchesReferenceBatched(_ kernel: EncoderKernel) async throws {
            let embedder = try SharedModel.require(kernel)
            #expect(embedder.batchSize == 32)
            let cases = ReferenceFixture.cases
            let vectors = try await embedder.embed(cases.map(\.text))
            #expect(vectors.count == cases.count)
            for (vector, reference) in zip(vectors, cases) {
                let similarity = cosine(vector, reference.embedding)
                #expect(similarity >= 0.9999, "\(reference.name): cosine \(similarity)")
            }
        }

        @Test("a vector does not depend on the batch it ran in")
        func batchIndependence() async throws {
            let embedder = try SharedModel.require()
            let texts = ReferenceFixture.cases.map(\.text)
            let batched = try await embedder.embed(texts)
            for (index, text) in texts.enumerated() {
                let alone = try await embedder.embed([text])[0]
                #expect(cosine(alone, batched[index]) >= 0.999999)
            }
        }

        @Test("vectors have unit length")
        func unitLength() async throws {
            let embedder = try SharedModel.require()
            for vector in try await embedder.embed(["one", "two words", ""]) {
                let norm = vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                #expect(abs(norm - 1) < 1e-5)
            }
        }

        @Test("an empty list gives an empty list")
        func emptyList() async throws {
            let embedder = try SharedModel.require()
            #expect(try await embedder.embed([]).isEmpty)
        }

        @Test("the empty string is embedded like the reference")
        func emptyString() async throws {
            let embedder = try SharedModel.require()
            let reference = try #require(ReferenceFixture.cases.first { $0.text.isEmpty })
            let vector = try await embedder.embed([""])[0]
            #expect(cosine(vector, reference.embedding) >= 0.9999)
        }

        @Test("concurrent callers sharing one embedder get the same vectors as one caller")
        func concurrentCallers() async throws {
            let embedder = try SharedModel.require()
            let texts = ReferenceFixture.cases.map(\.text)
            let expected = try await embedder.embed(texts)
            let results = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
                for worker in 0..<6 {
                    group.addTask {
                        // Each worker embeds a different rotation of the texts, in small batches.
                        let rotated = Array(texts[worker...] + texts[..<worker])
                        var vectors: [[Float]] = []
                        for start in stride(from: 0, to: rotated.count, by: 5) {
                            vectors += try await embedder.embed(Array(rotated[start..<min(start + 5, rotated.count)]))
                        }
                        return (worker, vectors)
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for (worker, vectors) in results {
                for (index, vector) in vectors.enumerated() {
                    let original = (index + worker) % texts.count
                    #expect(cosine(vector, expected[original]) >= 0.999999)
                }
            }
        }

        @Test("a missing model says to run scripts/setup, naming the place looked at, on one line")
        func missingModel() throws {
            let error = try #require(throws: MemoryGraphError.self) {
                try MiniLMEmbedder(environment: ["MEMGRAPH_MODEL_DIR": "/nonexistent/minilm"])
            }
            #expect(error.code == .modelUnavailable)
            #expect(error.description.contains("model not found: run scripts/setup"))
            #expect(error.description.contains("/nonexistent/minilm"))
            #expect(!error.description.contains("\n"))
        }

        @Test("MEMGRAPH_ENCODER_WORKERS sets the threads of a forward pass; a bad value is an error naming it")
        func workersVariable() throws {
            let folder = try SharedModel.require().modelDirectory.path
            let one = try MiniLMEmbedder(environment: ["MEMGRAPH_MODEL_DIR": folder, "MEMGRAPH_ENCODER_WORKERS": "1"])
            #expect(one.workers == 1)
            let unset = try MiniLMEmbedder(environment: ["MEMGRAPH_MODEL_DIR": folder])
            #expect(unset.workers == MiniLMEmbedder.defaultWorkers)
            for bad in ["0", "-2", "two", "65", ""] {
                let error = try #require(throws: MemoryGraphError.self) {
                    try MiniLMEmbedder(environment: ["MEMGRAPH_MODEL_DIR": folder, "MEMGRAPH_ENCODER_WORKERS": bad])
                }
                #expect(error.code == .invalidInput)
                #expect(error.description.contains("MEMGRAPH_ENCODER_WORKERS"), "\(error)")
            }
        }

        @Test("a truncated model.safetensors is a one-line error naming it")
        func truncatedModel() throws {
            let source = try SharedModel.require().modelDirectory
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("memgraph-model-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            for name in ["config.json", "vocab.txt"] {
                try FileManager.default.copyItem(
                    at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
            }
            let weights = try Data(contentsOf: source.appendingPathComponent("model.safetensors"), options: .alwaysMapped)
            let cut = folder.appendingPathComponent("model.safetensors")
            try weights.prefix(1_000_000).write(to: cut)
            let error = try #require(throws: MemoryGraphError.self) { try MiniLMEmbedder(modelDirectory: folder) }
            #expect(error.code == .modelCorrupt)
            #expect(error.description.contains(cut.path))
            #expect(!error.description.contains("\n"))
        }
    }
}
