import Foundation

/// One claimed job: embed `text`, the current text of `field` of one node.
public struct EmbeddingJob: Sendable, Hashable {
    public var userID: String
    public var nodeID: UUID
    public var field: String
    /// sha256 of `text`; the store keeps the vector only if the node's text still hashes to it.
    public var contentSHA: [UInt8]
    public var text: String
    /// Failed attempts so far.
    public var attempts: Int
    /// When the text changed: the start of the insert-to-embedding latency.
    public var createdAt: Date

    public init(userID: String, nodeID: UUID, field: String, contentSHA: [UInt8], text: String, attempts: Int, createdAt: Date) {
        self.userID = userID
        self.nodeID = nodeID
        self.field = field
        self.contentSHA = contentSHA
        self.text = text
        self.attempts = attempts
        self.createdAt = createdAt
    }
}

/// What happened to one completed job.
public struct CompletedJob: Sendable, Equatable {
    public var job: EmbeddingJob
    /// False when the node's text changed (or the node went) while the job ran: the vector was dropped.
    public var stored: Bool
    /// When the embedding was committed.
    public var committedAt: Date

    public init(job: EmbeddingJob, stored: Bool, committedAt: Date) {
        self.job = job
        self.stored = stored
        self.committedAt = committedAt
    }
}

/// What happened to the jobs of a failed attempt.
public struct FailureOutcome: Sendable, Equatable {
    /// Back in the queue, after a backoff.
    public var retried: Int
    /// Given up on: `failed`, with the error kept.
    public var deadLettered: Int

    public init(retried: Int, deadLettered: Int) {
        self.retried = retried
        self.deadLettered = deadLettered
    }
}

/// The queue the embedding pipeline works from. Repositories implements it over
/// `memory.embedding_jobs`; tests may use it with a failing embedder.
///
/// Jobs are claimed so that two workers never hold the same one; a claim not completed,
/// failed or released within the lease goes back to the queue by itself.
public protocol EmbeddingJobSource: Sendable {
    /// Claims up to `limit` due jobs for `worker`.
    func claim(limit: Int, worker: String, policy: RetryPolicy) async throws -> [EmbeddingJob]
    /// Stores the vectors of finished jobs (where the text is unchanged) and marks them completed.
    func complete(_ jobs: [EmbeddingJob], vectors: [[Float]], model: String, worker: String) async throws -> [CompletedJob]
    /// Records a failed attempt of each job: retried after a backoff, or dead-lettered after the last attempt.
    func fail(_ jobs: [EmbeddingJob], error: String, worker: String, policy: RetryPolicy) async throws -> FailureOutcome
    /// Returns the worker's unfinished claims to the queue (graceful shutdown).
    func release(worker: String) async throws -> Int
    /// Publishes this pipeline's state, so a health check in another process can see it.
    func report(pipeline name: String, _ snapshot: PipelineMonitor.Snapshot) async throws
    /// The listener's events: a notification, or a (re)connection after which notifications
    /// may have been missed, or a lost connection, or texts this process's writes just queued.
    /// The sequence ends when the task iterating it is cancelled.
    func wakeUps() -> AsyncStream<ListenerEvent>
    /// Makes `worker` the one that takes the jobs this process's small writes write already
    /// claimed by it, as they are written (the writer has their texts: no claim, no wake-up).
    /// Nil when the source hands none (the default), or another worker takes them.
    func claimWrites(worker: String) -> WrittenClaims?
}

extension EmbeddingJobSource {
    public func claimWrites(worker: String) -> WrittenClaims? { nil }
}

/// Jobs written already claimed by one worker (``EmbeddingJobSource/claimWrites(worker:)``).
public struct WrittenClaims: Sendable {
    /// Each write's jobs, as it commits; ends after ``stop`` once those handed over are read.
    public let jobs: AsyncStream<[EmbeddingJob]>
    /// Tells the writers that this many handed-over jobs are finished (they hand over no more
    /// while a few are unfinished, and queue them for any worker instead).
    public let finished: @Sendable (Int) -> Void
    /// Hands over no more: later writes queue their jobs for any worker.
    public let stop: @Sendable () -> Void

    public init(jobs: AsyncStream<[EmbeddingJob]>, finished: @escaping @Sendable (Int) -> Void, stop: @escaping @Sendable () -> Void) {
        self.jobs = jobs
        self.finished = finished
        self.stop = stop
    }
}

/// What the listener saw.
public enum ListenerEvent: Sendable, Equatable {
    /// New work may be due.
    case notification
    /// Listening (again); anything notified while away must be swept for.
    case connected
    /// The connection went away; reconnecting with backoff.
    case disconnected(reason: String)
    /// A write in this process is about to queue jobs for these texts (sent before the write
    /// goes to Postgres): these are the texts a claim will likely return once the write's
    /// notification says it committed, which the pipeline may start embedding at once (see
    /// ``EmbeddingPipeline``). Not a wake-up: nothing is claimable before the commit.
    case queued(texts: [String])
}

/// How failed jobs are retried (seed 001's RetryProcessor, bounded).
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts before a job is dead-lettered (`failed`). Default 3, as in the seed.
    public var maxRetries: Int
    /// The first backoff; each further attempt doubles it, with ±25 % jitter. Default 5 s.
    public var retryInterval: Duration
    /// How long a claim may stay unfinished before it is returned to the queue (a crashed worker). Default 60 s.
    public var lease: Duration
    /// Claims of one job without an outcome (it keeps taking its worker down) before it is dead-lettered. Default 10.
    public var maxClaims: Int

    public init(maxRetries: Int = 3, retryInterval: Duration = .seconds(5), lease: Duration = .seconds(60), maxClaims: Int = 10) {
        self.maxRetries = maxRetries
        self.retryInterval = retryInterval
        self.lease = lease
        self.maxClaims = maxClaims
    }
}
