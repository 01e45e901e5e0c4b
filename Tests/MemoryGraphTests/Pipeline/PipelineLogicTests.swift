import Foundation
import Logging
import MemoryGraph
import Synchronization
import Testing

/// A stand-in model: a 4-dimension vector from the text's length, or a failure while `failing` is set.
final class CountingEmbedder: Embedder {
    let modelIdentifier = "test/counting"
    let dimensions = 4
    let failing = Atomic(false)
    let calls = Atomic(0)
    /// Every text embedded, in order.
    let embedded = Mutex<[String]>([])

    func embed(_ texts: [String]) async throws -> [[Float]] {
        calls.add(1, ordering: .relaxed)
        embedded.withLock { $0 += texts }
        if failing.load(ordering: .relaxed) {
            throw MemoryGraphError(code: .embeddingFailed, message: "the test embedder fails on purpose")
        }
        return texts.map { [Float($0.count), 1, 0, 0] }
    }
}

@Suite("Embedding pipeline logic (in memory, no database)", .timeLimit(.minutes(2)))
struct PipelineLogicTests {
    static let logger = Logger(label: "memgraph-tests")

    static func pipeline(_ source: InMemoryJobSource, _ embedder: CountingEmbedder, retry: RetryPolicy = RetryPolicy()) -> EmbeddingPipeline {
        EmbeddingPipeline(
            source: source, embedder: embedder,
            configuration: .init(workers: 2, batchSize: 4, sweepInterval: .milliseconds(50), retry: retry, name: "test"),
            logger: logger)
    }

    @Test("every queued job is embedded once, in batches, and its vector stored")
    func drains() async throws {
        let source = InMemoryJobSource()
        let jobs = (0..<10).map { source.enqueue("fact number \($0)") }
        let embedder = CountingEmbedder()
        let pipeline = Self.pipeline(source, embedder)
        try await pipeline.runUntilDrained { source.isDrained }
        #expect(source.states.allSatisfy { $0 == .completed })
        for job in jobs { #expect(source.vectors[job.nodeID] == [Float(job.text.count), 1, 0, 0]) }
        // Batches of at most 4: at least 3 calls for 10 jobs, never one call per job.
        #expect((3...10).contains(embedder.calls.load(ordering: .relaxed)))
        #expect(await pipeline.monitor.snapshot().processed == 10)
    }

    @Test("texts a write in the process queued are embedded ahead of their claim, and a claimed job takes that vector; a wrong guess is not stored")
    func embedsAhead() async throws {
        let source = InMemoryJobSource()
        let embedder = CountingEmbedder()
        source.claimsOpen.store(false, ordering: .releasing)
        let right = source.enqueue("the renewal moved to April", notify: false)
        let other = source.enqueue("a job nobody guessed", notify: false)
        source.tellQueued(["the renewal moved to April", "a text no job holds"])
        let pipeline = Self.pipeline(source, embedder)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pipeline.runUntilDrained { source.isDrained } }
            // Claims open only once both guesses are embedded: the job must take its guess's vector.
            let deadline = ContinuousClock.now + .seconds(20)
            while embedder.embedded.withLock({ $0.count }) < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(Set(embedder.embedded.withLock { $0 }) == ["the renewal moved to April", "a text no job holds"])
            source.claimsOpen.store(true, ordering: .releasing)
            try await group.waitForAll()
        }
        #expect(source.states.allSatisfy { $0 == .completed })
        #expect(source.vectors[right.nodeID] == [Float(right.text.count), 1, 0, 0])
        #expect(source.vectors[other.nodeID] == [Float(other.text.count), 1, 0, 0])
        // The guessed text was embedded once (ahead), the unguessed one with its claim.
        let embedded = embedder.embedded.withLock { $0 }
        #expect(embedded.filter { $0 == right.text }.count == 1, "\(embedded)")
        #expect(embedded.filter { $0 == other.text }.count == 1, "\(embedded)")
        #expect(source.vectors.count == 2)
    }

    @Test("a notification wakes one idle worker, not all: one claim takes its job and one more finds the queue empty")
    func notificationWakesOne() async throws {
        let source = InMemoryJobSource()
        let pipeline = EmbeddingPipeline(
            source: source, embedder: CountingEmbedder(),
            configuration: .init(workers: 4, batchSize: 4, sweepInterval: .seconds(60), name: "test"), logger: Self.logger)
        final class Flag: Sendable { let value = Atomic(false) }
        let finished = Flag()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pipeline.runUntilDrained { finished.value.load(ordering: .acquiring) } }
            // Settled: each worker's first claim and the one the listener's sweep wakes, all empty
            // (a loaded machine runs them late).
            let deadline = ContinuousClock.now + .seconds(20)
            while source.claimCalls.load(ordering: .acquiring) < 5, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(100))
            let before = source.claimCalls.load(ordering: .acquiring)
            let job = source.enqueue("one job, one notification")
            while source.vectors[job.nodeID] == nil || source.claimCalls.load(ordering: .acquiring) - before < 2,
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(5))
            }
            // Any other worker the notification woke would have claimed by now.
            try await Task.sleep(for: .milliseconds(300))
            let claims = source.claimCalls.load(ordering: .acquiring) - before
            finished.value.store(true, ordering: .releasing)
            try await group.waitForAll()
            // Woken all at once, the four workers claimed four times, and the one with the job once more.
            #expect(source.vectors[job.nodeID] != nil)
            #expect(claims == 2, "claims after one notification: \(claims)")
        }
    }

    @Test("an embedder that keeps failing: each job is retried with backoff, then dead-lettered with its error")
    func deadLetters() async throws {
        let source = InMemoryJobSource()
        source.enqueue("doomed one")
        source.enqueue("doomed two")
        let embedder = CountingEmbedder()
        embedder.failing.store(true, ordering: .relaxed)
        let pipeline = Self.pipeline(source, embedder, retry: RetryPolicy(maxRetries: 3, retryInterval: .milliseconds(20)))
        try await pipeline.runUntilDrained { source.isDrained }
        #expect(source.states == [.failed, .failed])
        #expect(source.vectors.isEmpty)
        #expect(source.errors.allSatisfy { $0?.contains("fails on purpose") == true })
        let snapshot = await pipeline.monitor.snapshot()
        #expect(snapshot.deadLettered == 2)
        #expect(snapshot.retried >= 2)
    }

    @Test("an embedder that fails once: the jobs are retried and then stored")
    func recovers() async throws {
        let source = InMemoryJobSource()
        let job = source.enqueue("flaky")
        let embedder = CountingEmbedder()
        embedder.failing.store(true, ordering: .relaxed)
        let pipeline = Self.pipeline(source, embedder, retry: RetryPolicy(maxRetries: 5, retryInterval: .milliseconds(200)))
        try await pipeline.runUntilDrained {
            // The first attempt has failed: let the retry succeed.
            if source.errors.first! != nil { embedder.failing.store(false, ordering: .relaxed) }
            return source.isDrained
        }
        #expect(source.states == [.completed])
        #expect(source.vectors[job.nodeID] != nil)
        #expect(await pipeline.monitor.snapshot().retried >= 1)
    }
}
