import Foundation
import Logging
import MemoryGraph
import Repositories
import Synchronization

/// `memgraph bench pipeline`: insert-to-embedding latency at a fixed rate, then the sustained
/// embedding throughput of a burst (the command's help has the method).
public struct PipelineBenchmark: Sendable {
    /// Inserts per second in phase 1.
    public var rate: Double
    /// Seconds of phase 1.
    public var seconds: Double
    /// Nodes inserted at once in phase 2.
    public var burst: Int
    /// Pipeline workers.
    public var workers: Int
    /// Jobs per embedder call.
    public var batchSize: Int

    public init(rate: Double = 50, seconds: Double = 20, burst: Int = 3_000, workers: Int, batchSize: Int = 32) {
        self.rate = rate
        self.seconds = seconds
        self.burst = burst
        self.workers = workers
        self.batchSize = batchSize
    }

    /// Runs the benchmark against `store`'s database with `embedder`, and returns its report;
    /// `progress` gets phase 1's inserts and phase 2's embeddings as they are done.
    /// - Throws: `RepositoriesError` (`.conflict`) when the queue is not empty at the start; what the store throws.
    public func run(
        store: MemoryStore, embedder: any Embedder, logger: Logger, progress: @escaping BenchmarkProgress = { _, _, _ in }
    ) async throws -> JSONValue {
        let rate = rate, seconds = seconds, burst = burst, workers = workers, batchSize = batchSize
        let user = try UserID("bench-pipeline-\(UUID().uuidString.lowercased())")
        let clock = ContinuousClock()
        func pipeline() -> EmbeddingPipeline {
            EmbeddingPipeline(
                source: PostgresEmbeddingJobSource(database: store.database), embedder: embedder,
                configuration: .init(workers: workers, batchSize: batchSize, sweepInterval: .seconds(1), name: "bench"),
                logger: logger)
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
            let phase = "inserting \(Self.rate(rate))/s for \(Self.rate(seconds)) s"
            progress(phase, 0, inserts)
            for i in 0..<inserts {
                let due = start + .milliseconds(Int(Double(i) * 1000 / rate))
                try await clock.sleep(until: due)
                _ = try await store.remember(user, MemoryNode(contextType: .conversationFact, summary: Self.sentence(i)))
                progress(phase, i + 1, inserts)
            }
            insertsDone.set()
            progress("embedding the last inserts", 0, nil)
            try await group.waitForAll()
        }
        let latency = await steady.monitor.snapshot()

        // Phase 2: a burst, embeddings stored per second while draining.
        var throughput = 0.0
        if burst > 0 {
            progress("inserting a burst of \(burst)", 0, nil)
            _ = try await store.remember(user, (0..<burst).map { MemoryNode(contextType: .conversationFact, summary: Self.sentence(inserts + $0)) })
            let drain = pipeline()
            let start = clock.now
            try await drain.runUntilDrained {
                progress("embedding the burst", await drain.monitor.snapshot().processed, burst)
                return try await drained()
            }
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

    /// 50 as "50", 2.5 as "2.5".
    static func rate(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    static let subjects = ["Acme Corp", "Sarah Chen", "the renewal", "the security review", "Marcus Webb", "the pilot", "the invoice", "the roadmap"]
    static let verbs = ["asked about", "approved", "postponed", "escalated", "signed off on", "questioned", "reviewed", "mentioned"]
    static let objects = ["pricing for next year", "the data retention policy", "a discount for three seats", "the SSO rollout", "the March deadline", "support hours in Europe"]

    /// A short, varied sentence of about 12 to 16 tokens.
    static func sentence(_ i: Int) -> String {
        "\(subjects[i % subjects.count]) \(verbs[(i / 8) % verbs.count]) \(objects[(i / 64) % objects.count]) in meeting \(i)"
    }
}

/// Set once, read from another task.
final class DoneFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
