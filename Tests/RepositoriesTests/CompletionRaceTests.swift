import Foundation
import MemoryGraph
import Synchronization
import Testing
@testable import Repositories

/// Holds every `embed` call until `release()`, after telling `started()` that one began: the
/// window between a claim and its completion, opened for as long as a test needs it.
final class GatedEmbedder: Embedder, Sendable {
    let base: any Embedder
    private let state = Mutex((began: false, open: false, startWaiters: [CheckedContinuation<Void, Never>](),
                               gateWaiters: [CheckedContinuation<Void, Never>]()))

    init(base: any Embedder) { self.base = base }

    var modelIdentifier: String { base.modelIdentifier }
    var dimensions: Int { base.dimensions }

    /// Returns once an `embed` call has begun.
    func started() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.began { return true }
                state.startWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Lets every held call, and every later one, go on.
    func release() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.gateWaiters = [] }
            return state.gateWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        let vectors = try await base.embed(texts)
        let starters = state.withLock { state in
            state.began = true
            defer { state.startWaiters = [] }
            return state.startWaiters
        }
        for starter in starters { starter.resume() }
        await withCheckedContinuation { continuation in
            let open = state.withLock { state -> Bool in
                if state.open { return true }
                state.gateWaiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
        return vectors
    }
}

/// Keeps what each `complete` answered.
final class RecordingJobSource: ForwardingJobSource, Sendable {
    let base: any EmbeddingJobSource
    private let completed = Mutex([CompletedJob]())

    init(base: any EmbeddingJobSource) { self.base = base }

    var completions: [CompletedJob] { completed.withLock { $0 } }

    func complete(_ jobs: [EmbeddingJob], vectors: [[Float]], model: String, worker: String) async throws -> [CompletedJob] {
        let result = try await base.complete(jobs, vectors: vectors, model: model, worker: worker)
        completed.withLock { $0 += result }
        return result
    }
}

@Suite("Embedding completion races", .serialized, .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(5)))
struct CompletionRaceTests {
    @Test("a node that opts out while its text is being embedded gets no vector back when the worker completes")
    func optOutDuringEmbedding() async throws {
        let embedder = GatedEmbedder(base: try TestEmbedder.miniLM())
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            _ = try await fixture.store.remember(user, MemoryNode(key: "secret", contextType: .conversationFact, summary: "The board meets on Friday"))
            let source = RecordingJobSource(base: PostgresEmbeddingJobSource(database: fixture.database, onlyUser: user))
            let pipeline = fixture.pipeline(embedder, workers: 1, source: source)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.runUntilDrained { !source.completions.isEmpty } }
                await embedder.started()
                _ = try await fixture.store.remember(
                    user, MemoryNode(key: "secret", contextType: .conversationFact, summary: "The board meets on Friday", metadata: ["embed": false]))
                #expect(try await fixture.store.jobCounts(user).isEmpty)
                embedder.release()
                try await group.waitForAll()
            }
            #expect(source.completions.map(\.stored) == [false])
            #expect(try await fixture.store.stats(user).embeddings == 0)
            #expect(try await fixture.store.jobCounts(user).isEmpty)
        }
    }

    @Test("a completion stores a vector only for the text its worker embedded, and only while the claim is still that worker's")
    func staleCompletions() async throws {
        let embedder = try TestEmbedder.miniLM()
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            _ = try await fixture.store.remember(user, MemoryNode(key: "note", contextType: .conversationFact, summary: "The renewal is in March"))
            let source = PostgresEmbeddingJobSource(database: fixture.database, onlyUser: user)
            let policy = RetryPolicy()
            let old = try #require(try await source.claim(limit: 5, worker: "w1", policy: policy).first)
            _ = try await fixture.store.remember(user, MemoryNode(key: "note", contextType: .conversationFact, summary: "The renewal moved to April"))
            let new = try #require(try await source.claim(limit: 5, worker: "w1", policy: policy).first)
            #expect(new.text == "The renewal moved to April" && new.contentSHA != old.contentSHA)

            // A claim that raced the update: the new text's hash beside the old text.
            var raced = new
            raced.text = old.text
            let first = try await source.complete([raced], vectors: try await embedder.embed([raced.text]), model: embedder.modelIdentifier, worker: "w1")
            #expect(first.map(\.stored) == [false])
            #expect(try await fixture.store.stats(user).embeddings == 0)
            #expect(try await fixture.store.jobCounts(user) == ["pending": 1], "the job goes back to be embedded again")

            // Requeued to run a second later (no hot loop on a text that keeps changing).
            try await Task.sleep(for: .milliseconds(1_100))
            // w1's claim runs out; w2 takes the job over. w1's late completion must not store.
            let mine = try #require(try await source.claim(limit: 5, worker: "w1", policy: policy).first)
            #expect(try await source.release(worker: "w1") == 1)
            let theirs = try #require(try await source.claim(limit: 5, worker: "w2", policy: policy).first)
            let vectors = try await embedder.embed([mine.text])
            let late = try await source.complete([mine], vectors: vectors, model: embedder.modelIdentifier, worker: "w1")
            #expect(late.map(\.stored) == [false])
            #expect(try await fixture.store.jobCounts(user) == ["processing": 1])
            let own = try await source.complete([theirs], vectors: vectors, model: embedder.modelIdentifier, worker: "w2")
            #expect(own.map(\.stored) == [true])
            #expect(try await fixture.store.jobCounts(user) == ["completed": 1])
            #expect(try await fixture.store.stats(user).embeddings == 1)
        }
    }
}
