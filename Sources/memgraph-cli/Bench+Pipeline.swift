import ArgumentParser
import Foundation
import MemoryGraph
import Repositories
import Synchronization

extension Memgraph.Bench {
    struct Pipeline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Insert-to-embedding latency at a fixed rate, and the sustained embedding throughput.",
            discussion: """
                Runs an in-process pipeline with the real MiniLM embedder. Phase 1 inserts one node at a \
                time at --rate per second for --seconds and reports the latency from each insert to its \
                committed embedding (p50/p95/p99). Phase 2 inserts --burst nodes at once and reports how \
                many embeddings per second the pipeline stores while draining them. Run no other worker \
                against the same database meanwhile; the queue must be empty at the start (its pipeline \
                would embed and time other users' jobs too). The benchmark user is deleted afterwards.

                Examples:
                  swift build -c release && .build/release/memgraph bench pipeline
                  memgraph bench pipeline --rate 20 --seconds 10 --burst 1000 --json
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Inserts per second in phase 1.") var rate = 50.0
        @Option(help: "Seconds of phase 1.") var seconds = 20.0
        @Option(help: "Nodes inserted at once in phase 2.") var burst = 3_000
        @Option(help: "Workers (default: the number of cores).") var workers = ProcessInfo.processInfo.activeProcessorCount
        @Option(help: "Jobs per embedder call.") var batchSize = 32

        func validate() throws {
            guard rate > 0, rate <= 10_000, seconds > 0, seconds <= 3_600 else { throw ValidationError("--rate must be 0 to 10,000 and --seconds 0 to 3,600") }
            guard (0...1_000_000).contains(burst) else { throw ValidationError("--burst must be from 0 to 1,000,000") }
            guard (1...64).contains(workers), (1...1024).contains(batchSize) else { throw ValidationError("--workers must be 1 to 64 and --batch-size 1 to 1024") }
        }

        func run() async throws {
            let rate = rate, seconds = seconds, burst = burst, workers = workers, batchSize = batchSize
            let embedder = try CLI.makeEmbedder()
            let report = try await CLI.withStore(connection) { store -> JSONValue in
                let user = try UserID("bench-pipeline-\(UUID().uuidString.lowercased())")
                let clock = ContinuousClock()
                func pipeline() -> EmbeddingPipeline {
                    EmbeddingPipeline(
                        source: PostgresEmbeddingJobSource(database: store.database), embedder: embedder,
                        configuration: .init(workers: workers, batchSize: batchSize, sweepInterval: .seconds(1), name: "bench"),
                        logger: CLI.logger)
                }
                @Sendable func drained() async throws -> Bool {
                    let stats = try await store.queueStats()
                    return stats.pending == 0 && stats.processing == 0
                }
                // The pipeline claims every user's due jobs and times each: a backlog would be
                // embedded and timed with the benchmark's own.
                let backlog = try await store.queueStats()
                guard backlog.pending + backlog.processing == 0 else {
                    throw RepositoriesError(
                        .conflict,
                        "the embedding queue already holds \(backlog.pending) pending and \(backlog.processing) processing jobs; "
                            + "bench pipeline needs an empty queue (a fresh --home, or drain it first with `memgraph worker`)",
                        operation: "bench pipeline")
                }
                _ = try await embedder.embed(["warm up the model"])

                // Phase 1: a steady rate, latency per insert.
                let steady = pipeline()
                let inserts = Int(rate * seconds)
                let insertsDone = DoneFlag()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await steady.runUntilDrained {
                            guard insertsDone.isSet else { return false }
                            return try await drained()
                        }
                    }
                    let start = clock.now
                    for i in 0..<inserts {
                        let due = start + .milliseconds(Int(Double(i) * 1000 / rate))
                        try await clock.sleep(until: due)
                        _ = try await store.remember(user, MemoryNode(contextType: .conversationFact, summary: Self.sentence(i)))
                    }
                    insertsDone.set()
                    try await group.waitForAll()
                }
                let latency = await steady.monitor.snapshot()

                // Phase 2: a burst, embeddings stored per second while draining.
                var throughput = 0.0
                if burst > 0 {
                    _ = try await store.remember(user, (0..<burst).map { MemoryNode(contextType: .conversationFact, summary: Self.sentence(inserts + $0)) })
                    let drain = pipeline()
                    let start = clock.now
                    try await drain.runUntilDrained { try await drained() }
                    let elapsed = clock.now - start
                    throughput = Double(await drain.monitor.snapshot().processed) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                }
                _ = try await store.cleanup(user, olderThan: .zero)
                return [
                    "rate_per_second": .number(rate), "inserts": .number(Double(inserts)),
                    "latency_ms": [
                        "p50": latency.latencyP50.map(JSONValue.number) ?? .null,
                        "p95": latency.latencyP95.map(JSONValue.number) ?? .null,
                        "p99": latency.latencyP99.map(JSONValue.number) ?? .null,
                        "samples": .number(Double(latency.latencySamples)),
                    ],
                    "burst": .number(Double(burst)), "sustained_embeddings_per_second": .number(throughput),
                    "workers": .number(Double(workers)), "batch_size": .number(Double(batchSize)),
                ]
            }
            if output.json { CLI.printJSON(report) } else { print(BenchText.render(report)) }
        }

        static let subjects = ["Acme Corp", "Sarah Chen", "the renewal", "the security review", "Marcus Webb", "the pilot", "the invoice", "the roadmap"]
        static let verbs = ["asked about", "approved", "postponed", "escalated", "signed off on", "questioned", "reviewed", "mentioned"]
        static let objects = ["pricing for next year", "the data retention policy", "a discount for three seats", "the SSO rollout", "the March deadline", "support hours in Europe"]

        /// A short, varied sentence of about 12 to 16 tokens.
        static func sentence(_ i: Int) -> String {
            "\(subjects[i % subjects.count]) \(verbs[(i / 8) % verbs.count]) \(objects[(i / 64) % objects.count]) in meeting \(i)"
        }
    }
}

/// Set once, read from another task.
final class DoneFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
