import ArgumentParser
import Foundation
import MemoryGraph
import Repositories

extension Memgraph.Bench {
    struct Store: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Batch import rate, and LOOKUP, FUZZY and SEARCH latency with SEARCH's recall@10.",
            discussion: """
                Imports --nodes synthetic nodes (half CRM entities with names, half tool outputs) for a fresh \
                user in one batch, stores one 384-dimension embedding per node, then times single \
                LOOKUP, FUZZY and SEARCH calls. Recall@10 compares SEARCH with an exact scan computed \
                in process. The user is deleted afterwards unless --keep.

                Examples:
                  swift build -c release && .build/release/memgraph bench store
                  memgraph bench store --nodes 50000 --queries 500
                """)
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Nodes to import.") var nodes = 10_000
        @Option(help: "Queries of each kind to time.") var queries = 300
        @Flag(help: "Keep the benchmark user's data.") var keep = false

        func validate() throws {
            guard (100...1_000_000).contains(nodes) else { throw ValidationError("--nodes must be from 100 to 1,000,000") }
            guard (10...100_000).contains(queries) else { throw ValidationError("--queries must be from 10 to 100,000") }
        }

        func run() async throws {
            let count = nodes, queryCount = queries, keep = keep
            let report = try await CLI.withStore(connection) { store -> JSONValue in
                let user = try UserID("bench-\(UUID().uuidString.lowercased())")
                let batch = (0..<count).map(Self.node)
                let clock = ContinuousClock()
                let start = clock.now
                let ids = try await store.remember(user, batch).map(\.nodeID)
                let importTime = clock.now - start

                let vectors = (0..<count).map { Self.vector(seed: $0) }
                let embedStart = clock.now
                for chunk in stride(from: 0, to: count, by: 5_000) {
                    let end = min(count, chunk + 5_000)
                    try await store.storeEmbeddings(user, (chunk..<end).map {
                        EmbeddingRecord(nodeID: ids[$0], field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [0], vector: vectors[$0])
                    })
                }
                let embeddingTime = clock.now - embedStart

                var generator = SplitMix64(seed: 42)
                var lookups: [Duration] = [], fuzzies: [Duration] = [], searches: [Duration] = []
                var recall = 0.0
                for q in 0..<queryCount {
                    let i = Int(generator.next() % UInt64(count / 2)) * 2
                    var t = clock.now
                    let found = try await store.lookup(user, key: "contact-\(i)-\(Self.surnames[i % Self.surnames.count].lowercased())")
                    lookups.append(clock.now - t)
                    guard found?.id == ids[i] else { throw RepositoriesError(.query, "LOOKUP of contact \(i) returned the wrong node", operation: "bench") }
                    t = clock.now
                    _ = try await store.fuzzy(user, text: "contact \(i) \(Self.surnames[i % Self.surnames.count].dropLast())")
                    fuzzies.append(clock.now - t)
                    let query = Self.vector(seed: 1_000_000 + q)
                    t = clock.now
                    let hits = try await store.search(user, vector: query, limit: 10)
                    searches.append(clock.now - t)
                    if q < 50 {
                        let exact = Set(zip(ids, vectors).map { ($0, Self.dot($1, query)) }.sorted { $0.1 > $1.1 }.prefix(10).map(\.0))
                        recall += Double(Set(hits.compactMap(\.node.id)).intersection(exact).count) / 10
                    }
                }
                if !keep { _ = try await store.cleanup(user, olderThan: .zero) }
                func figures(_ samples: [Duration]) -> JSONValue {
                    let s = LatencySummary(samples)
                    return ["p50_ms": .number(s.p50), "p95_ms": .number(s.p95), "p99_ms": .number(s.p99), "count": .number(Double(s.count))]
                }
                return [
                    "nodes": .number(Double(count)),
                    "import_seconds": .number(importTime.milliseconds / 1000),
                    "import_nodes_per_second": .number(Double(count) / (importTime.milliseconds / 1000)),
                    "embeddings_per_second": .number(Double(count) / (embeddingTime.milliseconds / 1000)),
                    "lookup": figures(lookups), "fuzzy": figures(fuzzies), "search_vector_only": figures(searches),
                    "search_recall_at_10": .number(recall / Double(min(50, queryCount))),
                ]
            }
            CLI.printJSON(report)
        }

        static let surnames = ["Chen", "Webb", "Okafor", "Lindqvist", "Haddad", "Moreau", "Tanaka", "Novak", "Silva", "Kowalski"]

        static func node(_ i: Int) -> MemoryNode {
            if i % 2 == 0 {
                let surname = surnames[i % surnames.count]
                return MemoryNode(
                    contextType: .domainEntity, summary: "Contact \(i) \(surname) works on account \(i % 97)",
                    content: [
                        "entity_system": "bench", "entity_id": .string("C\(i)"), "entity_type": "Contact",
                        "entity_name": .string("Contact \(i) \(surname)"), "entity_data": ["account": .number(Double(i % 97))],
                    ], tags: ["bench"])
            }
            return MemoryNode(contextType: .toolOutput, summary: "Tool run \(i) returned \(i % 13) rows", content: ["text": .string("output \(i)")])
        }

        /// Clustered unit vectors, as real embeddings are: 100 topics.
        static func vector(seed: Int) -> [Float] {
            var topic = SplitMix64(seed: UInt64(seed % 100) + 7)
            var noise = SplitMix64(seed: UInt64(seed) &* 31 &+ 1)
            var v = (0..<384).map { _ in Float(topic.unit()) + 0.8 * Float(noise.unit()) }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for j in v.indices { v[j] /= norm }
            return v
        }

        static func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    }
}
