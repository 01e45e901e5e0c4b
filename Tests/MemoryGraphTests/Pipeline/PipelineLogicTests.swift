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

    func embed(_ texts: [String]) async throws -> [[Float]] {
        calls.add(1, ordering: .relaxed)
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
