import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The event-driven embedding core: workers claim jobs from an ``EmbeddingJobSource``, embed
/// them in batches with an ``Embedder`` and store the vectors. A `Service`: add it to a
/// `ServiceGroup`, or call ``run()``; it returns only when cancelled or shut down gracefully,
/// after giving unfinished claims back to the queue.
///
/// Workers wake on the source's notifications and also sweep for due jobs on start, after
/// every reconnect of the listener, and every `sweepInterval`, so a lost notification costs
/// latency, never data.
///
/// A write in the same process tells the pipeline its texts before it is sent
/// (``ListenerEvent/queued(texts:)``): the pipeline starts embedding them at once, while Postgres
/// writes and commits and a worker then claims, and a claimed job whose text is one of them takes
/// that vector instead of embedding it again (``EmbeddingsAhead``). The write, the claim and the
/// embedding overlap (`bench pipeline`: the embedding ends ~2.8 ms after the insert began, the
/// claim ~3.4, the stored vector ~4.4). Only the job's own text decides what is stored.
///
/// When its source hands them (``EmbeddingJobSource/claimWrites(worker:)``: one pipeline per
/// process), such a write's new jobs are written already claimed by this pipeline's
/// "`name`-writes" worker, which stores their vectors as the write returns: no notification, no
/// claim. A graceful stop ends the hand-over first and releases what came too late.
///
/// ```swift
/// let pipeline = EmbeddingPipeline(source: source, embedder: try MiniLMEmbedder(), logger: logger)
/// let group = ServiceGroup(services: [database, pipeline], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
public final class EmbeddingPipeline: Service, Sendable {
    public struct Configuration: Sendable {
        /// Concurrent workers. Default: the number of cores.
        public var workers: Int
        /// Jobs claimed and embedded together. Default 32.
        public var batchSize: Int
        /// How often idle workers look for due jobs without being woken. Default 5 s.
        public var sweepInterval: Duration
        /// Listen for notifications; off means pure polling (behind a transaction-pooling proxy).
        public var listen: Bool
        public var retry: RetryPolicy
        /// A name for this process's workers in the queue (`claimed_by`).
        public var name: String
        /// The longest a worker waits for one call to the job source (claim, complete, fail,
        /// release). A backstop: after a Postgres restart such a call was seen to never return, not
        /// even when cancelled (a query written to a connection that had just closed; the Postgres
        /// source now notices that itself). Past this the worker abandons the call and goes on, and
        /// what it had claimed returns to the queue when the lease ends. Default 30 s.
        public var callTimeout: Duration

        public init(
            workers: Int = ProcessInfo.processInfo.activeProcessorCount, batchSize: Int = 32,
            sweepInterval: Duration = .seconds(5), listen: Bool = true, retry: RetryPolicy = RetryPolicy(),
            name: String = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)",
            callTimeout: Duration = .seconds(30)
        ) {
            self.workers = max(1, workers)
            self.batchSize = max(1, batchSize)
            self.sweepInterval = sweepInterval
            self.listen = listen
            self.retry = retry
            self.name = name
            self.callTimeout = callTimeout
        }
    }

    public let configuration: Configuration
    public let monitor: PipelineMonitor
    let source: any EmbeddingJobSource
    let embedder: any Embedder
    let logger: Logger
    private let wake = WakeSignal()
    private let stopping = Atomic(false)
    private let ahead = EmbeddingsAhead()
    /// Stops the hand-over of jobs claimed at write (``EmbeddingJobSource/claimWrites(worker:)``).
    private let stopWritten = Mutex<(@Sendable () -> Void)?>(nil)

    public init(source: any EmbeddingJobSource, embedder: any Embedder, configuration: Configuration = .init(), logger: Logger) {
        self.source = source
        self.embedder = embedder
        self.configuration = configuration
        self.logger = logger
        self.monitor = PipelineMonitor(workers: configuration.workers)
    }

    /// Runs the workers until graceful shutdown (they finish their batch, then give unfinished
    /// claims back) or cancellation (claims return when their lease ends).
    public func run() async throws {
        await withGracefulShutdownHandler {
            await self.runWorkers()
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// The workers, the listener and the reporter, until ``stop()`` or cancellation.
    private func runWorkers() async {
        await withTaskGroup(of: Void.self) { group in
            if self.configuration.listen {
                group.addTask { await self.listen() }
            }
            group.addTask { await self.reportPeriodically() }
            await withTaskGroup(of: Void.self) { workers in
                for index in 0..<self.configuration.workers {
                    workers.addTask { await self.work(id: "\(self.configuration.name)-\(index)") }
                }
                let writesWorker = "\(self.configuration.name)-writes"
                if let written = self.source.claimWrites(worker: writesWorker) {
                    self.stopWritten.withLock { $0 = written.stop }
                    if self.stopping.load(ordering: .relaxed) { written.stop() }
                    workers.addTask { await self.work(written, id: writesWorker) }
                }
            }
            self.logger.debug("embedding workers stopped; stopping the listener and the reporter")
            group.cancelAll()
        }
        // The last report says that nothing runs any more, so `health` does not show this
        // pipeline alive until its heartbeat expires.
        var last = await monitor.snapshot()
        (last.workers, last.busyWorkers, last.listenerConnected) = (0, 0, false)
        let stopped = last
        do {
            try await bounded { try await self.source.report(pipeline: self.configuration.name, stopped) }
        } catch {
            logger.debug("could not publish that the pipeline stopped; its heartbeat expires instead", metadata: ["error": "\(error)"])
        }
    }

    /// Asks the workers to stop after their current batch.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        stopWritten.withLock { $0 }?()
        wake.signal()
        ahead.cancelAll()
    }

    /// The vectors of `texts`, in order: those embedded ahead of their claim are taken (and no
    /// longer held), the rest embedded in one call. A guess that failed is embedded again here.
    private func embed(_ texts: [String]) async throws -> [[Float]] {
        var vectors = [[Float]?](repeating: nil, count: texts.count)
        for (index, task) in ahead.take(texts).enumerated() {
            guard let task else { continue }
            do {
                vectors[index] = try await task.value
            } catch {
                logger.debug("embedding a text ahead of its claim failed; it is embedded with its batch", metadata: ["error": "\(error)"])
            }
        }
        let missing = vectors.indices.filter { vectors[$0] == nil }
        if !missing.isEmpty {
            await monitor.embedderCalled()
            let computed = try await embedder.embed(missing.map { texts[$0] })
            guard computed.count == missing.count else {
                throw MemoryGraphError(code: .embeddingFailed, message: "the embedder returned \(computed.count) vectors for \(missing.count) texts")
            }
            for (index, vector) in zip(missing, computed) { vectors[index] = vector }
        }
        return vectors.map { $0! }
    }

    private var shouldRun: Bool {
        !Task.isCancelled && !stopping.load(ordering: .relaxed)
    }

    /// Runs until `isDrained` says the queue holds nothing more to do, then stops gracefully
    /// (for `import --wait` and tests). A graceful shutdown of the process does not stop it: the
    /// caller is a request in flight, which a graceful shutdown lets finish; cancellation does.
    public func runUntilDrained(isDrained: @escaping @Sendable () async throws -> Bool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.runWorkers() }
            while try await !isDrained() {
                try await Task.sleep(for: .milliseconds(100))
            }
            stop()
            try await group.waitForAll()
        }
    }

    private func listen() async {
        for await event in source.wakeUps() {
            switch event {
            case .notification:
                wake.signal()
            case .queued(let texts):
                // Told before the write is sent: its jobs are claimable only once Postgres's
                // notification says it committed.
                if !stopping.load(ordering: .relaxed) { ahead.start(texts, embedder: embedder, monitor: monitor) }
            case .connected:
                await monitor.listener(connected: true)
                wake.signal()  // sweep for what was notified while away
            case .disconnected(let reason):
                await monitor.listener(connected: false)
                await monitor.error("listener disconnected: \(reason)")
            }
        }
        logger.debug("embedding listener stopped")
    }

    /// Publishes the monitor's state every ``PipelineMonitor/heartbeat`` (or sweep interval, if
    /// shorter), for `memgraph health`: a pipeline whose reports stop is dead after
    /// ``PipelineMonitor/expiry``.
    private func reportPeriodically() async {
        while !Task.isCancelled {
            do {
                try await source.report(pipeline: configuration.name, await monitor.snapshot())
            } catch {
                logger.debug("could not publish the pipeline's state", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: min(configuration.sweepInterval, PipelineMonitor.heartbeat))
        }
        logger.debug("embedding pipeline reporter stopped")
    }

    private func work(id worker: String) async {
        while shouldRun {
            let jobs: [EmbeddingJob]
            do {
                jobs = try await bounded {
                    try await self.source.claim(
                        limit: self.configuration.batchSize, worker: worker, policy: self.configuration.retry)
                }
            } catch {
                await report("claiming jobs failed: \(error)", worker: worker)
                await wake.wait(timeout: configuration.sweepInterval)
                continue
            }
            if jobs.isEmpty {
                await wake.wait(timeout: configuration.sweepInterval)
                if stopping.load(ordering: .relaxed) { wake.signal() }  // pass the stop on to the next waiter
                continue
            }
            if jobs.count == configuration.batchSize {
                wake.signal()  // probably more due: let an idle worker help
            }
            await monitor.workerBusy(true)
            await process(jobs, worker: worker)
            await monitor.workerBusy(false)
        }
        await release(worker)
    }

    /// Gives the worker's unfinished claims back to the queue as it stops gracefully; cancelled,
    /// it leaves them to their lease.
    private func release(_ worker: String) async {
        guard !Task.isCancelled else {
            logger.info("worker cancelled; its unfinished claims return to the queue when their lease ends", metadata: ["worker": "\(worker)"])
            return
        }
        do {
            let released = try await bounded { try await self.source.release(worker: worker) }
            if released > 0 { logger.info("released unfinished jobs", metadata: ["worker": "\(worker)", "jobs": "\(released)"]) }
        } catch {
            logger.error("could not release jobs; they return to the queue after the lease", metadata: ["worker": "\(worker)", "error": "\(error)"])
        }
        logger.debug("embedding worker stopped", metadata: ["worker": "\(worker)"])
    }

    /// The worker of the jobs written already claimed by it: each write's jobs as they commit
    /// (their texts mostly embedded ahead by then), until the hand-over stops; then its claims
    /// that were handed over too late go back to the queue, as a claiming worker's do.
    private func work(_ written: WrittenClaims, id worker: String) async {
        for await jobs in written.jobs {
            await process(jobs, worker: worker)
            written.finished(jobs.count)
        }
        written.stop()
        await release(worker)
    }

    /// Embeds a batch in one call. When the call fails, each job is tried on its own, so one
    /// poison row fails alone and the rest of its batch completes.
    private func process(_ jobs: [EmbeddingJob], worker: String) async {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let vectors = try await embed(jobs.map(\.text))
            try await store(jobs, vectors, worker: worker, started: start)
        } catch is DeadlineExceeded {
            // Postgres did not answer the complete: the claims return to the queue at lease end.
            await report("storing \(jobs.count) embeddings timed out; they are retried after the lease", worker: worker)
        } catch {
            guard jobs.count > 1 else {
                await fail(jobs, error: error, worker: worker)
                return
            }
            for job in jobs {
                do {
                    await monitor.embedderCalled()
                    let vectors = try await embedder.embed([job.text])
                    try await store([job], vectors, worker: worker, started: start)
                } catch {
                    await fail([job], error: error, worker: worker)
                }
            }
        }
    }

    private func store(_ jobs: [EmbeddingJob], _ vectors: [[Float]], worker: String, started: ContinuousClock.Instant) async throws {
        guard vectors.count == jobs.count, vectors.allSatisfy({ $0.count == embedder.dimensions }) else {
            throw MemoryGraphError(code: .embeddingFailed, message: "the embedder returned \(vectors.count) vectors for \(jobs.count) texts, or vectors of the wrong size")
        }
        let completed = try await bounded {
            try await self.source.complete(jobs, vectors: vectors, model: self.embedder.modelIdentifier, worker: worker)
        }
        await monitor.completed(completed, batchDuration: ContinuousClock().now - started)
    }

    private func fail(_ jobs: [EmbeddingJob], error: any Error, worker: String) async {
        let message = String(describing: error)
        do {
            let outcome = try await bounded {
                try await self.source.fail(jobs, error: message, worker: worker, policy: self.configuration.retry)
            }
            await monitor.failed(outcome, attempts: jobs.count, error: message)
            if outcome.deadLettered > 0 {
                logger.warning("embedding jobs dead-lettered", metadata: ["jobs": "\(outcome.deadLettered)", "error": "\(message)"])
            }
        } catch {
            // The claims stay in processing; the lease returns them to the queue.
            await report("recording a failure failed: \(error)", worker: worker)
        }
    }

    /// `call`, abandoned after ``Configuration/callTimeout`` with `DeadlineExceeded`.
    private func bounded<T: Sendable>(_ call: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withDeadline(configuration.callTimeout, call)
    }

    private func report(_ message: String, worker: String) async {
        logger.warning("embedding worker: \(message)", metadata: ["worker": "\(worker)"])
        await monitor.error(message)
    }
}

/// Wakes one waiting worker per signal: a notification means a claim's worth of work, and a worker
/// that finds a full batch signals again for help (every worker woken at once made every
/// notification cost one claim per worker, all but one empty, on the cores that embed). A signal
/// with nobody waiting is kept until the next wait, so a wake-up that arrives between a worker's
/// empty claim and its wait is not lost.
final class WakeSignal: Sendable {
    private struct State {
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<UUID> = []
        var pending = false
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let first = state.waiters.first else {
                state.pending = true
                return nil
            }
            state.waiters.removeValue(forKey: first.key)
            return first.value
        }
        waiter?.resume()
    }

    /// Returns on a signal, after `timeout`, or when the task is cancelled.
    func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForSignal() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    if state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
    }
}
