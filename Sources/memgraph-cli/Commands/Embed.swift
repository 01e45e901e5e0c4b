import ArgumentParser
import Foundation
import MemoryGraph
import Encoder

extension Memgraph {
    /// `memgraph embed [--json] TEXT…`: prints the MiniLM vectors of its arguments.
    struct Embed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the all-MiniLM-L6-v2 vectors of texts, for debugging and parity checks.",
            discussion: """
                The model is read from MEMGRAPH_MODEL_DIR, or from where scripts/setup installed it. \
                Without --json each vector is printed on one line, comma-separated.
                """)

        @Flag(help: "Print one JSON document on stdout, with token ids and vectors.")
        var json = false

        @Argument(help: "The texts to embed.")
        var texts: [String] = []

        func validate() throws {
            if texts.isEmpty {
                throw ValidationError("Give at least one TEXT to embed, e.g. memgraph embed \"hello world\".")
            }
        }

        func run() async throws {
            let embedder = try MiniLMEmbedder()
            let vectors = try await embedder.embed(texts)
            if json {
                let output = Output(
                    model: embedder.modelIdentifier, dimensions: embedder.dimensions,
                    embeddings: zip(texts, vectors).map { Output.Item(tokenIDs: embedder.tokenIDs($0), vector: $1) })
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(output), as: UTF8.self))
            } else {
                for vector in vectors {
                    print(vector.map { String($0) }.joined(separator: ","))
                }
            }
        }

        struct Output: Encodable {
            struct Item: Encodable {
                var tokenIDs: [Int]
                var vector: [Float]
            }
            var model: String
            var dimensions: Int
            var embeddings: [Item]
        }
    }
}
