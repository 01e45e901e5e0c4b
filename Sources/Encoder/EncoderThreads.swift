import Foundation
import MemoryGraph

/// The encoder's own threads: under concurrent calls, forward passes run here, not on Swift
/// concurrency's threads.
///
/// Why: a forward pass is milliseconds of pure CPU. Run on the caller's task, it holds one of the
/// few threads Swift concurrency has (two on a two-core machine), so under concurrent requests every
/// other task (a LOOKUP's reply, a database round trip, an HTTP read) waits behind matrix products:
/// `bench serve` measured LOOKUP at p50 ~35 ms under 16 clients while a LOOKUP alone took 1.3 ms.
/// Here callers wait on a continuation. The one exception is a single pass while the encoder is
/// idle: it runs on its caller's thread (one caller at a time), which keeps a lone query as fast as
/// it was before these threads.
///
/// There is one thread per worker, each taking the next pass: passes of concurrent calls run side by
/// side, one thread each, which is how two cores do the most small passes. A pass that finds every
/// other thread idle and nothing waiting is split between all the workers instead, so that one
/// call alone (a query, a batch of 32) finishes as fast as the cores allow. Passes of
/// ``EmbeddingPriority/query`` calls are taken before any ``EmbeddingPriority/document`` pass
/// waiting: a search's question does not queue behind a backlog of writes. (A taken pass is never
/// interrupted.)
final class EncoderThreads: @unchecked Sendable {
    // @unchecked: the queues and counters are only touched under `condition`; a job's own state
    // under its lock; each thread owns its workspace.

    /// One `embed` call: its passes, their results, and the caller waiting for all of them.
    final class Job: @unchecked Sendable {
        // @unchecked: every field after init is touched only under `lock`.
        private let lock = NSLock()
        private var results: [[[Float]]?]
        private var remaining: Int
        private var cancelled = false
        private var continuation: CheckedContinuation<[[[Float]]], any Error>?

        init(passes: Int) {
            results = Array(repeating: nil, count: passes)
            remaining = passes
        }

        var isCancelled: Bool { lock.withLock { cancelled } }

        func cancel() { lock.withLock { cancelled = true } }

        func wait(_ continuation: CheckedContinuation<[[[Float]]], any Error>) {
            let finished: [[[Float]]]?? = lock.withLock {
                guard remaining == 0 else {
                    self.continuation = continuation
                    return nil
                }
                return .some(outcome)
            }
            if let finished { Self.resume(continuation, finished) }
        }

        /// Records pass `index`'s vectors (`nil` when it was skipped for cancellation).
        func finish(_ index: Int, _ vectors: [[Float]]?) {
            let waiting: (CheckedContinuation<[[[Float]]], any Error>, [[[Float]]]?)? = lock.withLock {
                results[index] = vectors
                remaining -= 1
                guard remaining == 0, let continuation else { return nil }
                self.continuation = nil
                return (continuation, outcome)
            }
            if let (continuation, results) = waiting { Self.resume(continuation, results) }
        }

        /// The vectors pass by pass, or nil for a cancelled job. Read under `lock`, once every pass is done.
        private var outcome: [[[Float]]]? { cancelled ? nil : results.map { $0 ?? [] } }

        private static func resume(_ continuation: CheckedContinuation<[[[Float]]], any Error>, _ results: [[[Float]]]?) {
            if let results { continuation.resume(returning: results) } else { continuation.resume(throwing: CancellationError()) }
        }
    }

    private struct Pass {
        let job: Job
        let index: Int
        let sequences: [[Int32]]
    }

    private let condition = NSCondition()
    private var queries: [Pass] = []
    private var documents: [Pass] = []
    private var busy = 0
    private var stopped = false
    /// The workspace of a pass run on its caller's thread (``compute(_:priority:)``).
    private var inlineWorkspace: BertWorkspace?
    private let workers: Int
    private let run: (_ sequences: [[Int32]], _ workspace: BertWorkspace, _ workers: Int) -> [[Float]]

    /// Starts `workers` threads, which run until ``stop()``. `run` computes one pass on a
    /// workspace with the given number of helpers.
    init(
        workers: Int, makeWorkspace: () -> BertWorkspace,
        run: @escaping (_ sequences: [[Int32]], _ workspace: BertWorkspace, _ workers: Int) -> [[Float]]
    ) {
        self.workers = workers
        self.run = run
        inlineWorkspace = makeWorkspace()
        for number in 0..<workers {
            let workspace = UncheckedSendable(makeWorkspace())
            let thread = Thread { [self] in loop(workspace.value) }
            thread.name = "memgraph-encoder-\(number)"
            thread.start()
        }
    }

    /// Computes `passes` (each a batch of token sequences) and returns their vectors, pass by pass.
    /// - Throws: `CancellationError` if the task is cancelled before its passes have all run (the
    ///   ones not yet taken are skipped).
    func compute(_ passes: [[[Int32]]], priority: EmbeddingPriority) async throws -> [[[Float]]] {
        try Task.checkCancellation()
        // A single pass while the encoder is idle runs on the caller's thread, as a call alone
        // always did: the hop to an encoder thread and back cost a single-client SEARCH ~0.6 ms
        // (bench store, 2,000 nodes: 5.2-6.0 against 4.6-5.5 ms), though the embedding alone timed
        // the same. At most one caller is inside at a time (it counts as busy), so at most one of
        // Swift concurrency's threads is held; any call meanwhile queues for the encoder threads.
        if passes.count == 1, let workspace = takeInline() {
            defer { giveInline(workspace) }
            return [run(passes[0], workspace, workers)]
        }
        let job = Job(passes: passes.count)
        enqueue(passes.enumerated().map { Pass(job: job, index: $0, sequences: $1) }, priority: priority)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { job.wait($0) }
        } onCancel: {
            job.cancel()
        }
    }

    /// The inline workspace, when nothing runs or waits (and then the caller counts as busy).
    private func takeInline() -> BertWorkspace? {
        condition.lock()
        defer { condition.unlock() }
        guard busy == 0, queries.isEmpty, documents.isEmpty, let workspace = inlineWorkspace else { return nil }
        inlineWorkspace = nil
        busy += 1
        return workspace
    }

    private func giveInline(_ workspace: BertWorkspace) {
        condition.lock()
        inlineWorkspace = workspace
        busy -= 1
        condition.unlock()
    }

    private func enqueue(_ passes: [Pass], priority: EmbeddingPriority) {
        condition.lock()
        if priority == .query { queries += passes } else { documents += passes }
        condition.broadcast()
        condition.unlock()
    }

    /// Lets the threads end once the passes queued so far have run.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Whether the calling thread is one of an encoder's threads.
    static var onEncoderThread: Bool { Thread.current.threadDictionary[threadKey] != nil }
    private static let threadKey = "memgraph.encoder-thread"

    private func loop(_ workspace: BertWorkspace) {
        Thread.current.threadDictionary[Self.threadKey] = true
        while true {
            condition.lock()
            while queries.isEmpty && documents.isEmpty && !stopped { condition.wait() }
            if queries.isEmpty && documents.isEmpty {
                condition.unlock()
                return
            }
            let pass = queries.isEmpty ? documents.removeFirst() : queries.removeFirst()
            busy += 1
            // Alone with nothing waiting: share this pass with the idle threads' cores.
            let helpers = busy == 1 && queries.isEmpty && documents.isEmpty ? workers : 1
            condition.unlock()
            let vectors = pass.job.isCancelled ? nil : run(pass.sequences, workspace, helpers)
            condition.lock()
            busy -= 1
            condition.unlock()
            pass.job.finish(pass.index, vectors)
        }
    }
}
