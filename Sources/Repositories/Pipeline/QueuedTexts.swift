import Foundation
import MemoryGraph
import Synchronization

/// What this process's own small writes are about to queue for embedding, told to this process's
/// embedding pipelines before each write is sent (``PostgresEmbeddingJobSource/wakeUps()`` passes
/// it on as `ListenerEvent.queued(texts:)`), so that they embed while Postgres writes, commits
/// and notifies, and while they claim. A hint, never the record: what a worker embeds and stores
/// is what its claim returns; a write that fails or changes no text leaves a guess no claim takes,
/// which expires. Nobody listening (no pipeline in the process) costs nothing.
public final class QueuedTexts: Sendable {
    /// Writes of at most this many nodes are told; larger ones are batch work, claimed in batches.
    public static let largestWrite = 8

    private let listeners = Mutex<[UUID: AsyncStream<[String]>.Continuation]>([:])

    public init() {}

    /// The texts of every write told from now on, until the task iterating it is cancelled.
    public func subscribe() -> AsyncStream<[String]> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: [String].self, bufferingPolicy: .bufferingNewest(64))
        listeners.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.listeners.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    /// Tells every listener the texts a write is about to queue.
    public func tell(_ texts: [String]) {
        guard !texts.isEmpty else { return }
        let current = listeners.withLock { Array($0.values) }
        for listener in current { listener.yield(texts) }
    }

    /// Whether a pipeline of this process is listening.
    public var hasListeners: Bool { listeners.withLock { !$0.isEmpty } }

    // MARK: - Jobs claimed as they are written

    /// The pipeline worker that takes this process's small writes' jobs as they are written.
    private struct Claimant {
        var worker: String
        var continuation: AsyncStream<[EmbeddingJob]>.Continuation
        /// Jobs handed over and not yet finished.
        var unfinished: Int
    }

    private let claimant = Mutex<Claimant?>(nil)

    /// Most jobs handed to the claimant and not finished yet: past this, writes queue their jobs
    /// pending, for any worker (a claimant that falls behind does not hold a backlog under lease).
    public static let claimedBacklog = 8

    /// Makes `worker` the claimant of this process's small writes' jobs (one at a time: a second
    /// pipeline in the process is not one), until its ``WrittenClaims/stop`` is called or the
    /// iteration of its jobs ends; stopping ends them after those already handed over. Returns nil
    /// when another worker is the claimant.
    public func claimWrites(as worker: String) -> WrittenClaims? {
        let (stream, continuation) = AsyncStream.makeStream(of: [EmbeddingJob].self)
        let taken = claimant.withLock { current -> Bool in
            guard current == nil else { return false }
            current = Claimant(worker: worker, continuation: continuation, unfinished: 0)
            return true
        }
        guard taken else { return nil }
        let stop: @Sendable () -> Void = { [weak self] in
            _ = self?.claimant.withLock { current in
                if current?.worker == worker { current = nil }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in stop() }
        return WrittenClaims(jobs: stream, finished: { [weak self] in self?.finishedClaimed($0) }, stop: stop)
    }

    /// The worker a small write should write its new jobs claimed by, or nil (none, or it is
    /// behind by ``claimedBacklog`` jobs).
    public func claimantForWrite() -> String? {
        claimant.withLock { current in
            guard let current, current.unfinished < Self.claimedBacklog else { return nil }
            return current.worker
        }
    }

    /// Hands the jobs a write claimed for `worker` to it. When it has stopped meanwhile they are
    /// not handed to anyone: their lease returns them to the queue (a stopping pipeline releases
    /// its claims first).
    public func claimed(_ jobs: [EmbeddingJob], by worker: String) {
        guard !jobs.isEmpty else { return }
        let continuation = claimant.withLock { current -> AsyncStream<[EmbeddingJob]>.Continuation? in
            guard current?.worker == worker else { return nil }
            current?.unfinished += jobs.count
            return current?.continuation
        }
        continuation?.yield(jobs)
    }

    /// The claimant finished `count` of the jobs handed to it.
    func finishedClaimed(_ count: Int) {
        claimant.withLock { current in
            if current != nil { current!.unfinished = max(0, current!.unfinished - count) }
        }
    }
}
