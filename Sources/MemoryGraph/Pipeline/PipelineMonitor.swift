import Foundation
import Metrics

/// What the pipeline has done lately (seed 001's EmbeddingMonitor): counters, the latency from
/// a job's creation to its committed embedding over a recent window, the last error, and the
/// state of the listener and the workers. Also reported through swift-metrics, without any
/// user dimension.
public actor PipelineMonitor {
    /// A point-in-time copy, for `memgraph health`.
    public struct Snapshot: Sendable, Equatable {
        public var processed: Int
        public var stale: Int
        public var failedAttempts: Int
        public var retried: Int
        public var deadLettered: Int
        public var embedderCalls: Int
        public var busyWorkers: Int
        public var workers: Int
        public var listenerConnected: Bool
        public var lastError: String?
        /// Milliseconds, over the last ``PipelineMonitor/window`` completed jobs.
        public var latencyP50: Double?
        public var latencyP95: Double?
        public var latencyP99: Double?
        public var latencySamples: Int
    }

    /// How often a running pipeline publishes its state, at the longest.
    public static let heartbeat: Duration = .seconds(5)
    /// A pipeline that has not published for this long is no longer running (three heartbeats).
    public static let expiry: Duration = .seconds(15)

    /// How many recent latencies the percentiles cover.
    public static let window = 2_000

    private var processed = 0, stale = 0, failedAttempts = 0, retried = 0, deadLettered = 0, embedderCalls = 0
    private var busy = 0
    private let workers: Int
    private var listenerConnected = false
    private var lastError: String?
    private var latencies: [Double] = []
    private var next = 0

    private let processedCounter = Counter(label: "memgraph_embedding_jobs_processed_total")
    private let staleCounter = Counter(label: "memgraph_embedding_jobs_stale_total")
    private let failedCounter = Counter(label: "memgraph_embedding_jobs_failed_attempts_total")
    private let retriedCounter = Counter(label: "memgraph_embedding_jobs_retried_total")
    private let deadLetterCounter = Counter(label: "memgraph_embedding_jobs_dead_lettered_total")
    private let latencyTimer = Timer(label: "memgraph_embedding_latency_seconds")
    private let batchTimer = Timer(label: "memgraph_embedding_batch_seconds")

    public init(workers: Int) {
        self.workers = workers
    }

    func workerBusy(_ isBusy: Bool) {
        busy += isBusy ? 1 : -1
    }

    func listener(connected: Bool) {
        listenerConnected = connected
    }

    func embedderCalled() {
        embedderCalls += 1
    }

    func completed(_ jobs: [CompletedJob], batchDuration: Duration) {
        batchTimer.recordNanoseconds(Int64(batchDuration.components.seconds) * 1_000_000_000 + batchDuration.components.attoseconds / 1_000_000_000)
        for job in jobs {
            guard job.stored else {
                stale += 1
                staleCounter.increment()
                continue
            }
            processed += 1
            processedCounter.increment()
            let seconds = max(0, job.committedAt.timeIntervalSince(job.job.createdAt))
            latencyTimer.recordNanoseconds(Int64(seconds * 1e9))
            if latencies.count < Self.window {
                latencies.append(seconds * 1000)
            } else {
                latencies[next] = seconds * 1000
                next = (next + 1) % Self.window
            }
        }
    }

    func failed(_ outcome: FailureOutcome, attempts: Int, error: String) {
        failedAttempts += attempts
        retried += outcome.retried
        deadLettered += outcome.deadLettered
        failedCounter.increment(by: attempts)
        retriedCounter.increment(by: outcome.retried)
        deadLetterCounter.increment(by: outcome.deadLettered)
        lastError = error
    }

    func error(_ message: String) {
        lastError = message
    }

    public func snapshot() -> Snapshot {
        let sorted = latencies.sorted()
        func at(_ q: Double) -> Double? {
            sorted.isEmpty ? nil : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
        }
        return Snapshot(
            processed: processed, stale: stale, failedAttempts: failedAttempts, retried: retried, deadLettered: deadLettered,
            embedderCalls: embedderCalls, busyWorkers: busy, workers: workers, listenerConnected: listenerConnected,
            lastError: lastError, latencyP50: at(0.5), latencyP95: at(0.95), latencyP99: at(0.99), latencySamples: sorted.count)
    }
}
