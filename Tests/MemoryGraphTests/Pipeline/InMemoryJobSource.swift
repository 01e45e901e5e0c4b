import Foundation
import MemoryGraph
import Synchronization

/// An ``EmbeddingJobSource`` held in memory, so that the pipeline's own logic (claiming in
/// batches, completing, retrying with backoff, dead-lettering, handing claims back) is tested in
/// milliseconds and without Postgres. The Postgres source has its own tests against the real
/// database (RepositoriesTests/PipelineTests).
final class InMemoryJobSource: EmbeddingJobSource {
    struct Entry {
        var job: EmbeddingJob
        var state: State
        var dueAt: Date
        var lastError: String?
    }

    enum State: Equatable { case pending, processing(worker: String), completed, failed }

    private let entries = Mutex<[Entry]>([])
    private let stored = Mutex<[UUID: [Float]]>([:])
    private let events: AsyncStream<ListenerEvent>
    private let continuation: AsyncStream<ListenerEvent>.Continuation

    init() {
        (events, continuation) = AsyncStream.makeStream(of: ListenerEvent.self)
        continuation.yield(.connected)
    }

    /// Queues a job for `text` and wakes the workers, as the trigger on nodes does (or, with
    /// `notify` false, silently: a test then wakes them itself).
    @discardableResult
    func enqueue(_ text: String, user: String = "u", notify: Bool = true) -> EmbeddingJob {
        let job = EmbeddingJob(
            userID: user, nodeID: UUID(), field: "summary", contentSHA: Array(text.utf8.prefix(8)), text: text,
            attempts: 0, createdAt: Date())
        entries.withLock { $0.append(Entry(job: job, state: .pending, dueAt: .distantPast)) }
        if notify { continuation.yield(.notification) }
        return job
    }

    /// Tells the pipeline that a write in its process queued these texts.
    func tellQueued(_ texts: [String]) {
        continuation.yield(.queued(texts: texts))
    }

    /// While false, claims wait (a test orders a claim after something else).
    let claimsOpen = Atomic(true)
    /// Claims made so far, empty ones included.
    let claimCalls = Atomic(0)

    var states: [State] { entries.withLock { $0.map(\.state) } }
    var vectors: [UUID: [Float]] { stored.withLock { $0 } }
    var errors: [String?] { entries.withLock { $0.map(\.lastError) } }

    /// Nothing pending or processing.
    var isDrained: Bool { entries.withLock { $0.allSatisfy { $0.state == .completed || $0.state == .failed } } }

    func claim(limit: Int, worker: String, policy: RetryPolicy) async throws -> [EmbeddingJob] {
        claimCalls.add(1, ordering: .relaxed)
        while !claimsOpen.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
        return entries.withLock { entries in
            var claimed: [EmbeddingJob] = []
            for index in entries.indices where claimed.count < limit && entries[index].state == .pending && entries[index].dueAt <= Date() {
                entries[index].state = .processing(worker: worker)
                claimed.append(entries[index].job)
            }
            return claimed
        }
    }

    func complete(_ jobs: [EmbeddingJob], vectors: [[Float]], model: String, worker: String) async throws -> [CompletedJob] {
        let done = entries.withLock { entries in
            zip(jobs, vectors).compactMap { job, vector -> (EmbeddingJob, [Float])? in
                guard let index = entries.firstIndex(where: { $0.job.nodeID == job.nodeID }),
                    entries[index].state == .processing(worker: worker)
                else { return nil }
                entries[index].state = .completed
                return (job, vector)
            }
        }
        stored.withLock { stored in for (job, vector) in done { stored[job.nodeID] = vector } }
        return done.map { CompletedJob(job: $0.0, stored: true, committedAt: Date()) }
    }

    func fail(_ jobs: [EmbeddingJob], error: String, worker: String, policy: RetryPolicy) async throws -> FailureOutcome {
        entries.withLock { entries in
            var outcome = FailureOutcome(retried: 0, deadLettered: 0)
            for job in jobs {
                guard let index = entries.firstIndex(where: { $0.job.nodeID == job.nodeID }) else { continue }
                entries[index].job.attempts += 1
                entries[index].lastError = error
                if entries[index].job.attempts >= policy.maxRetries {
                    entries[index].state = .failed
                    outcome.deadLettered += 1
                } else {
                    entries[index].state = .pending
                    entries[index].dueAt = Date().addingTimeInterval(policy.retryInterval.seconds)
                    outcome.retried += 1
                }
            }
            return outcome
        }
    }

    func release(worker: String) async throws -> Int {
        entries.withLock { entries in
            var released = 0
            for index in entries.indices where entries[index].state == .processing(worker: worker) {
                entries[index].state = .pending
                released += 1
            }
            return released
        }
    }

    func report(pipeline name: String, _ snapshot: PipelineMonitor.Snapshot) async throws {}

    func wakeUps() -> AsyncStream<ListenerEvent> { events }
}
