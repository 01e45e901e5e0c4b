import Encoder
import Foundation
import Logging
import MemoryGraph
import PostgresNIO
import Synchronization
import Testing
@testable import Repositories

/// The real MiniLM model, loaded once for the test process.
enum TestEmbedder {
    static let shared: Result<MiniLMEmbedder, any Error> = Result { try MiniLMEmbedder() }
    static func miniLM() throws -> MiniLMEmbedder { try shared.get() }
}

/// Counts calls and every text embedded; fails where told. The failures are what these tests are about.
final class ScriptedEmbedder: Embedder, Sendable {
    let base: any Embedder
    let failureRate: Double
    let poison: String?
    private let state = Mutex((calls: 0, failures: 0, texts: [String: Int]()))

    init(base: any Embedder, failureRate: Double = 0, poison: String? = nil) {
        self.base = base
        self.failureRate = failureRate
        self.poison = poison
    }

    var modelIdentifier: String { base.modelIdentifier }
    var dimensions: Int { base.dimensions }
    var calls: Int { state.withLock { $0.calls } }
    var failures: Int { state.withLock { $0.failures } }
    var texts: [String: Int] { state.withLock { $0.texts } }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        let fail = state.withLock { state -> Bool in
            state.calls += 1
            // failureRate of the calls, spread evenly (call n fails when n × rate passes a whole
            // number): random draws gave no failure at all in about 3% of runs of ~10 calls.
            let scripted = (Double(state.calls) * failureRate).rounded(.down) > (Double(state.calls - 1) * failureRate).rounded(.down)
            let fail = (poison.map { p in texts.contains { $0.contains(p) } } ?? false) || scripted
            if fail { state.failures += 1 }
            return fail
        }
        if fail { throw MemoryGraphError(code: .embeddingFailed, message: "scripted failure") }
        let vectors = try await base.embed(texts)
        state.withLock { state in for text in texts { state.texts[text, default: 0] += 1 } }
        return vectors
    }
}

/// Passes every call to `base`, except the first `complete`, which never returns and ignores
/// cancellation (as a query on a connection lost in a Postgres restart was seen to) until
/// `releaseHungCalls()`.
final class HangingJobSource: ForwardingJobSource, Sendable {
    let base: any EmbeddingJobSource
    private let state = Mutex((calls: 0, hung: 0, waiting: [CheckedContinuation<Void, Never>]()))

    init(base: any EmbeddingJobSource) { self.base = base }

    var hungCalls: Int { state.withLock { $0.hung } }

    func releaseHungCalls() {
        for waiter in state.withLock({ state in defer { state.waiting = [] }; return state.waiting }) { waiter.resume() }
    }

    func complete(_ jobs: [EmbeddingJob], vectors: [[Float]], model: String, worker: String) async throws -> [CompletedJob] {
        let hang = state.withLock { state -> Bool in
            state.calls += 1
            if state.calls == 1 { state.hung += 1 }
            return state.calls == 1
        }
        if hang {
            await withCheckedContinuation { continuation in state.withLock { $0.waiting.append(continuation) } }
            throw CancellationError()
        }
        return try await base.complete(jobs, vectors: vectors, model: model, worker: worker)
    }
}

/// A job source that passes every call to `base`, except those a test double implements itself.
protocol ForwardingJobSource: EmbeddingJobSource {
    var base: any EmbeddingJobSource { get }
}

extension ForwardingJobSource {
    func claim(limit: Int, worker: String, policy: RetryPolicy) async throws -> [EmbeddingJob] {
        try await base.claim(limit: limit, worker: worker, policy: policy)
    }
    func complete(_ jobs: [EmbeddingJob], vectors: [[Float]], model: String, worker: String) async throws -> [CompletedJob] {
        try await base.complete(jobs, vectors: vectors, model: model, worker: worker)
    }
    func fail(_ jobs: [EmbeddingJob], error: String, worker: String, policy: RetryPolicy) async throws -> FailureOutcome {
        try await base.fail(jobs, error: error, worker: worker, policy: policy)
    }
    func release(worker: String) async throws -> Int { try await base.release(worker: worker) }
    func report(pipeline name: String, _ snapshot: PipelineMonitor.Snapshot) async throws {
        try await base.report(pipeline: name, snapshot)
    }
    func wakeUps() -> AsyncStream<ListenerEvent> { base.wakeUps() }
}

/// Set once by a test, read by a closure it passes on.
final class TestFlag: Sendable {
    let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// A scratch database with a store and a pipeline factory, so a test's workers see only its own jobs.
struct PipelineFixture {
    let database: Database
    let store: MemoryStore

    func pipeline(
        _ embedder: any Embedder, workers: Int = 2, batchSize: Int = 16, listen: Bool = true, sweep: Duration = .milliseconds(200),
        retry: RetryPolicy = RetryPolicy(maxRetries: 3, retryInterval: .milliseconds(20), lease: .seconds(30)), name: String = "test",
        source: (any EmbeddingJobSource)? = nil, callTimeout: Duration = .seconds(30)
    ) -> EmbeddingPipeline {
        EmbeddingPipeline(
            source: source ?? PostgresEmbeddingJobSource(database: database), embedder: embedder,
            configuration: .init(
                workers: workers, batchSize: batchSize, sweepInterval: sweep, listen: listen, retry: retry, name: name,
                callTimeout: callTimeout),
            logger: TestDatabase.logger)
    }

    /// Runs the pipeline until no job is pending or processing (or the deadline passes).
    func drain(_ pipeline: EmbeddingPipeline, timeout: Duration = .seconds(120)) async throws {
        let store = self.store
        let deadline = ContinuousClock.now + timeout
        try await pipeline.runUntilDrained {
            guard ContinuousClock.now < deadline else { throw RepositoriesError(.query, "the queue did not drain in time") }
            let stats = try await store.queueStats()
            return stats.pending == 0 && stats.processing == 0
        }
    }

    /// Runs two pipelines ("a" and "b") on `embedder` at once until the queue is drained.
    func drainWithTwoPipelines(_ embedder: any Embedder) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await drain(pipeline(embedder, name: "a")) }
            group.addTask { try await drain(pipeline(embedder, name: "b")) }
            try await group.waitForAll()
        }
    }

    static func with<T: Sendable>(_ body: @Sendable (PipelineFixture) async throws -> T) async throws -> T {
        try await TestDatabase.withScratch { _, configuration in
            try await Database.withDatabase(configuration, logger: TestDatabase.logger) { database in
                try await body(PipelineFixture(database: database, store: MemoryStore(database: database)))
            }
        }
    }
}

func facts(_ count: Int, prefix: String = "fact") -> [MemoryNode] {
    (0..<count).map { MemoryNode(contextType: .conversationFact, summary: "\(prefix) number \($0) about the quarterly account review") }
}

/// (node, field) pairs of the user without exactly one embedding, and job counts by status.
func embeddingGaps(_ store: MemoryStore, _ user: UserID) async throws -> (missing: Int, duplicates: Int, jobs: [String: Int]) {
    let jobs = try await store.jobCounts(user)
    let (missing, duplicates) = try await store.database.withUser(user, operation: "test") { connection in
        try await connection.query(
            """
            SELECT count(*) FILTER (WHERE e.n IS NULL)::int8, count(*) FILTER (WHERE e.n > 1)::int8
            FROM memory.embedding_jobs j
            LEFT JOIN (SELECT node_id, field, count(*) AS n FROM memory.embeddings WHERE user_id = \(user.rawValue) GROUP BY 1, 2) e
              USING (node_id, field)
            WHERE j.user_id = \(user.rawValue)
            """, logger: TestDatabase.logger
        ).collect().first!.decode((Int, Int).self)
    }
    return (missing, duplicates, jobs)
}

@Suite("Embedding pipeline", .serialized, .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct PipelineTests {
    @Test("nodes inserted while no worker runs are embedded by the sweep once one starts (listening off)")
    func sweep() async throws {
        let embedder = try TestEmbedder.miniLM()
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            _ = try await fixture.store.remember(user, facts(40))
            #expect(try await fixture.store.jobCounts(user)["pending"] == 40)
            try await fixture.drain(fixture.pipeline(embedder, listen: false))
            let gaps = try await embeddingGaps(fixture.store, user)
            #expect(gaps.missing == 0 && gaps.duplicates == 0)
            #expect(gaps.jobs == ["completed": 40])
        }
    }

    @Test("a job-source call that never returns, even when cancelled, is abandoned after callTimeout and every node still ends embedded")
    func hungCallIsAbandoned() async throws {
        let embedder = try TestEmbedder.miniLM()
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            _ = try await fixture.store.remember(user, facts(20))
            let source = HangingJobSource(base: PostgresEmbeddingJobSource(database: fixture.database))
            defer { source.releaseHungCalls() }
            let pipeline = fixture.pipeline(
                embedder, workers: 1, batchSize: 8,
                retry: RetryPolicy(maxRetries: 3, retryInterval: .milliseconds(20), lease: .seconds(2)), name: "hung",
                source: source, callTimeout: .seconds(1))
            // The first complete hangs: its 8 claims come back after the 2 s lease, and the one
            // worker must have gone on in the meantime.
            try await fixture.drain(pipeline, timeout: .seconds(60))
            #expect(source.hungCalls == 1)
            let gaps = try await embeddingGaps(fixture.store, user)
            #expect(gaps.missing == 0 && gaps.duplicates == 0)
            #expect(gaps.jobs == ["completed": 20])
        }
    }

    @Test("an embedder failing 30% of calls still gets every node embedded, with retries counted")
    func transientFailures() async throws {
        let flaky = ScriptedEmbedder(base: try TestEmbedder.miniLM(), failureRate: 0.3)
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            _ = try await fixture.store.remember(user, facts(150))
            let pipeline = fixture.pipeline(flaky, retry: RetryPolicy(maxRetries: 20, retryInterval: .milliseconds(10)))
            try await fixture.drain(pipeline)
            let gaps = try await embeddingGaps(fixture.store, user)
            #expect(gaps.missing == 0)
            #expect(gaps.jobs == ["completed": 150])
            let snapshot = await pipeline.monitor.snapshot()
            #expect(flaky.failures > 0)
            #expect(snapshot.retried > 0)
            #expect(snapshot.deadLettered == 0)
        }
    }

    @Test("a poison row is dead-lettered after max_retries with its error while 500 others complete; retry-failed re-queues it")
    func poison() async throws {
        let poisoned = ScriptedEmbedder(base: try TestEmbedder.miniLM(), poison: "POISON")
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            let bad = try await fixture.store.remember(user, MemoryNode(contextType: .toolOutput, summary: "POISON pill output")).nodeID
            _ = try await fixture.store.remember(user, facts(500))
            let pipeline = fixture.pipeline(poisoned)
            try await fixture.drain(pipeline)
            #expect(try await fixture.store.jobCounts(user) == ["completed": 500, "failed": 1])
            let failed = try await fixture.store.failedJobs(user)
            #expect(failed.count == 1 && failed[0].nodeID == bad && failed[0].attempts == 3)
            #expect(failed[0].error?.contains("scripted failure") == true)
            #expect(await pipeline.monitor.snapshot().deadLettered == 1)
            #expect(try await fixture.store.retryFailedJobs(user) == 1)
            #expect(try await fixture.store.jobCounts(user) == ["completed": 500, "pending": 1])
        }
    }

    @Test("a small write tells this process's pipelines its summaries before it is sent, as the claim will return them; a large write and an opted-out node are not told")
    func tellsQueuedTexts() async throws {
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            let source = PostgresEmbeddingJobSource(database: fixture.database)
            let told = Mutex<[[String]]>([])
            let listening = Task {
                for await event in source.wakeUps() {
                    if case .queued(let texts) = event { told.withLock { $0.append(texts) } }
                }
            }
            defer { listening.cancel() }
            let deadline = ContinuousClock.now + .seconds(20)
            while !fixture.database.queuedTexts.hasListeners, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            _ = try await fixture.store.remember(user, facts(QueuedTexts.largestWrite + 1, prefix: "bulk"))
            _ = try await fixture.store.remember(user, [
                MemoryNode(contextType: .conversationFact, summary: "kept quiet", metadata: ["embed": false]),
                MemoryNode(contextType: .conversationFact, summary: "  the renewal moved to April "),
            ])
            _ = try await fixture.store.remember(user, MemoryNode(contextType: .conversationFact, summary: "the last write"))
            while told.withLock({ $0.last != ["the last write"] }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(told.withLock { $0 } == [["the renewal moved to April"], ["the last write"]])
            let claimed = try await source.claim(limit: 50, worker: "w1", policy: RetryPolicy())
            #expect(claimed.contains { $0.text == "the renewal moved to April" }, "the guess is not the text the claim returns")
            _ = try await source.release(worker: "w1")
        }
    }

    @Test("the claim and the completion commit without waiting for the WAL flush, in their own transactions only: the connection's next transaction is durable again")
    func claimsCommitAsynchronously() async throws {
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            try await fixture.database.withConnection(operation: "test") { connection in
                func setting() async throws -> String {
                    try await connection.query("SHOW synchronous_commit", logger: TestDatabase.logger).collect().first!.decode(String.self)
                }
                #expect(try await setting() == "on")
                for call: PostgresQuery in [
                    "SELECT count(*)::int8 FROM memory.claim_embedding_jobs(1, 'w-async', make_interval(secs => 60), 10, \(user.rawValue))",
                    "SELECT count(*)::int8 FROM memory.complete_embedding_jobs('w-async', 'm', '{}', '{}', '{}', '{}', '{}')",
                ] {
                    try await connection.query("BEGIN", logger: TestDatabase.logger)
                    _ = try await connection.query(call, logger: TestDatabase.logger).collect()
                    let inside = try await setting()
                    try await connection.query("ROLLBACK", logger: TestDatabase.logger)
                    #expect(inside == "off", "\(call.sql)")
                    #expect(try await setting() == "on", "\(call.sql)")
                }
            }
        }
    }

    @Test("a small write's jobs are written claimed by its process's pipeline, which stores them with no claim of its own; behind by 8 jobs, or for a large or folding write, they are queued for any worker")
    func claimsAtWrite() async throws {
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            let embedder = GatedEmbedder(base: try TestEmbedder.miniLM())
            let pipeline = fixture.pipeline(embedder, name: "writer")
            let texts = fixture.database.queuedTexts
            /// Each job's field (with its node's summary) and who holds it: "writer-writes" when claimed at write.
            func holders() async throws -> [String: String] {
                try await fixture.database.withUser(user, operation: "test") { connection in
                    var holders: [String: String] = [:]
                    for try await (summary, field, status, holder) in try await connection.query(
                        """
                        SELECT n.summary, j.field, j.status, coalesce(j.claimed_by, '')
                        FROM memory.embedding_jobs j JOIN memory.nodes n USING (user_id, node_id)
                        WHERE j.user_id = \(user.rawValue)
                        """, logger: TestDatabase.logger
                    ).decode((String, String, String, String).self) {
                        holders["\(summary)/\(field)"] = status == "processing" ? holder : status
                    }
                    return holders
                }
            }
            let done = TestFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.runUntilDrained { done.isSet } }
                let deadline = ContinuousClock.now + .seconds(20)
                while texts.claimantForWrite() == nil, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                #expect(texts.claimantForWrite() == "writer-writes")
                // Two jobs (the summary and a content text), then six of one: 8 unfinished, the
                // embedder holding every call. The ninth write's job is queued for any worker.
                _ = try await fixture.store.remember(
                    user, MemoryNode(contextType: .conversationFact, summary: "first", content: ["notes": "ask about seats"]))
                for index in 2...7 {
                    _ = try await fixture.store.remember(user, MemoryNode(contextType: .conversationFact, summary: "write \(index)"))
                }
                #expect(texts.claimantForWrite() == nil)
                _ = try await fixture.store.remember(user, MemoryNode(contextType: .conversationFact, summary: "behind"))
                // Folded into one row (the same key twice), and larger than a small write: never claimed at write.
                _ = try await fixture.store.remember(user, [
                    MemoryNode(key: "twice", contextType: .conversationFact, summary: "folded"),
                    MemoryNode(key: "twice", contextType: .conversationFact, summary: "folded"),
                ])
                _ = try await fixture.store.remember(user, facts(QueuedTexts.largestWrite + 1, prefix: "large"))
                let held = try await holders()
                #expect(held["first/summary"] == "writer-writes" && held["first/notes"] == "writer-writes", "\(held)")
                #expect((2...7).allSatisfy { held["write \($0)/summary"] == "writer-writes" }, "\(held)")
                #expect(held.filter { $0.value == "writer-writes" }.count == 8, "\(held)")
                #expect(held["behind/summary"] != nil && held["folded/summary"] != nil)
                embedder.release()
                while ContinuousClock.now < deadline {
                    let stats = try await fixture.store.queueStats()
                    if stats.pending + stats.processing == 0 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                done.set()
                try await group.waitForAll()
            }
            let gaps = try await embeddingGaps(fixture.store, user)
            #expect(gaps.missing == 0 && gaps.duplicates == 0, "\(gaps)")
            #expect(gaps.jobs == ["completed": 8 + 1 + 1 + QueuedTexts.largestWrite + 1], "\(gaps.jobs)")
            // Every text claimed at write was the one the database would embed: nothing went stale.
            #expect(await pipeline.monitor.snapshot().stale == 0)
            // Stopped, the pipeline takes no more writes.
            #expect(texts.claimantForWrite() == nil)
            _ = try await fixture.store.remember(user, MemoryNode(contextType: .conversationFact, summary: "after"))
            #expect(try await holders()["after/summary"] == "pending")
        }
    }

    @Test("the jobs a write hands to the claimant are the database's: node, field, hash, text and created_at, for the text rule's edges")
    func handedJobsAreTheDatabases() async throws {
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            let written = try #require(fixture.database.queuedTexts.claimWrites(as: "t-writes"))
            defer { written.stop() }
            var handed: [EmbeddingJob] = []
            for node in [
                MemoryNode(contextType: .conversationFact, content: ["summary": "from content", "text": "  padded  "]),
                MemoryNode(key: "edges", contextType: .conversationFact, summary: "  spaced ", content: ["notes": .number(3), "message": "hi"]),
                MemoryNode(contextType: .conversationFact, summary: "opted out", content: ["text": "x"], metadata: ["embed": false]),
            ] {
                _ = try await fixture.store.remember(user, node)
            }
            written.stop()
            for await jobs in written.jobs { handed += jobs }
            let stored = try await fixture.database.withUser(user, operation: "test") { connection in
                var rows: [EmbeddingJob] = []
                for try await (node, field, sha, text, created, holder) in try await connection.query(
                    """
                    SELECT j.node_id, j.field, j.content_sha, memory.field_text(n, j.field), j.created_at, coalesce(j.claimed_by, '')
                    FROM memory.embedding_jobs j JOIN memory.nodes n USING (user_id, node_id)
                    WHERE j.user_id = \(user.rawValue)
                    """, logger: TestDatabase.logger
                ).decode((UUID, String, ByteBuffer, String, Date, String).self) {
                    #expect(holder == "t-writes")
                    rows.append(EmbeddingJob(
                        userID: user.rawValue, nodeID: node, field: field, contentSHA: Array(buffer: sha), text: text, attempts: 0,
                        createdAt: created))
                }
                return rows
            }
            let key = { (job: EmbeddingJob) in "\(job.nodeID)/\(job.field)" }
            #expect(stored.count == 4, "\(stored)")
            #expect(Dictionary(uniqueKeysWithValues: handed.map { (key($0), $0) }) == Dictionary(uniqueKeysWithValues: stored.map { (key($0), $0) }))
        }
    }

    @Test("two pipelines at once never embed the same (node, field, text) twice")
    func twoWorkers() async throws {
        let counting = ScriptedEmbedder(base: try TestEmbedder.miniLM())
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            _ = try await fixture.store.remember(user, facts(300, prefix: "unique"))
            try await fixture.drainWithTwoPipelines(counting)
            #expect(counting.texts.count == 300)
            #expect(counting.texts.values.allSatisfy { $0 == 1 })
            let gaps = try await embeddingGaps(fixture.store, user)
            #expect(gaps.missing == 0 && gaps.duplicates == 0)
        }
    }

    @Test("a bulk insert's batch is split when workers run short of jobs: two pipelines embed every field's text exactly once")
    func bulkInsertJobs() async throws {
        let counting = ScriptedEmbedder(base: try TestEmbedder.miniLM())
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            // One statement of memory.bulk_job_rows() nodes; every third has a second text.
            let nodes = (0..<1_000).map { index in
                MemoryNode(
                    contextType: .conversationFact, summary: "bulk fact \(index) about the renewal",
                    content: index % 3 == 0 ? ["text": .string("bulk detail \(index) on pricing")] : [:])
            }
            _ = try await fixture.store.remember(user, nodes)
            #expect(try await fixture.store.jobCounts(user) == ["pending": 1_000])
            try await fixture.drainWithTwoPipelines(counting)
            #expect(counting.texts.count == 1_334)
            #expect(counting.texts.values.allSatisfy { $0 == 1 })
            #expect(try await fixture.store.jobCounts(user) == ["completed": 1_334])
            let gaps = try await embeddingGaps(fixture.store, user)
            #expect(gaps.missing == 0 && gaps.duplicates == 0)
        }
    }

    @Test("a claim that splits a batch with nothing left to embed goes on to the next batch")
    func claimPastEmptyBatch() async throws {
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            // Two bulk statements, so two batches; every node of the older one is then soft-deleted.
            let gone = try await fixture.store.remember(user, facts(1_000, prefix: "withdrawn")).map(\.nodeID)
            let kept = Set(try await fixture.store.remember(user, facts(1_000, prefix: "kept")).map(\.nodeID))
            try await fixture.database.withUser(user, operation: "test") { connection in
                try await connection.query(
                    "UPDATE memory.nodes SET deleted_at = now() WHERE user_id = \(user.rawValue) AND node_id = ANY(\(gone))",
                    logger: TestDatabase.logger)
            }
            #expect(try await fixture.store.jobCounts(user) == ["pending": 2_000], "two batches, neither split yet")
            let source = PostgresEmbeddingJobSource(database: fixture.database, onlyUser: user)
            let jobs = try await source.claim(limit: 10, worker: "test", policy: RetryPolicy())
            #expect(jobs.count == 10, "schema 13 returned none: the older batch split into no jobs")
            #expect(jobs.allSatisfy { kept.contains($0.nodeID) })
            #expect(try await fixture.store.jobCounts(user) == ["processing": 10, "pending": 990])
        }
    }

    @Test("a claim whose lease ran out goes back to the queue, and fails once it has been claimed max_claims times")
    func expiredClaims() async throws {
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            _ = try await fixture.store.remember(user, MemoryNode(contextType: .conversationFact, summary: "a claim that is never completed"))
            let source = PostgresEmbeddingJobSource(database: fixture.database, onlyUser: user)
            let policy = RetryPolicy(lease: .milliseconds(1), maxClaims: 2)
            #expect(try await source.claim(limit: 5, worker: "first", policy: policy).count == 1)
            try await Task.sleep(for: .milliseconds(20))
            // Claimed once, under max_claims: back to pending, and claimed again at once.
            #expect(try await source.claim(limit: 5, worker: "second", policy: policy).count == 1)
            try await Task.sleep(for: .milliseconds(20))
            #expect(try await source.claim(limit: 5, worker: "third", policy: policy).isEmpty)
            #expect(try await fixture.store.jobCounts(user) == ["failed": 1])
        }
    }

    @Test("a pipeline that ended (as import --wait's does) is not shown alive or busy: its last report says it stopped (issue 27, item 14)")
    func endedPipelineIsNotAlive() async throws {
        let embedder = try TestEmbedder.miniLM()
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            _ = try await fixture.store.remember(user, facts(20))
            try await fixture.drain(fixture.pipeline(embedder, name: "ended"))
            let ended = try #require(try await fixture.store.pipelines().first { $0.name == "ended" })
            #expect(ended.workers == 0 && ended.busyWorkers == 0 && !ended.listenerConnected)
            #expect(!ended.isAlive)
            #expect(ended.processed == 20, "the last report keeps what it did")
        }
    }

    @Test("in sync mode a bulk insert's nodes are embedded before remember returns")
    func syncModeBulk() async throws {
        let embedder = try TestEmbedder.miniLM()
        try await PipelineFixture.with { fixture in
            let store = MemoryStore(database: fixture.database, embedder: embedder, embeddingMode: .sync)
            let user = freshUser()
            _ = try await store.remember(user, facts(1_000, prefix: "synced"))
            #expect(try await store.jobCounts(user) == ["completed": 1_000])
            #expect(try await store.stats(user).embeddings == 1_000)
        }
    }

    @Test("changing a summary re-embeds it and replaces the vector; deleting the node leaves no jobs or embeddings")
    func contentChanges() async throws {
        let embedder = try TestEmbedder.miniLM()
        try await PipelineFixture.with { fixture in
            let user = freshUser()
            let id = try await fixture.store.remember(user, MemoryNode(key: "note", contextType: .conversationFact, summary: "The renewal is in March")).nodeID
            try await fixture.drain(fixture.pipeline(embedder))
            let first = try await fixture.store.search(user, vector: try await embedder.embed(["The renewal is in March"])[0])
            #expect(first.first?.node.id == id && (first.first?.score ?? 0) > 0.999)
            _ = try await fixture.store.remember(user, MemoryNode(key: "note", contextType: .conversationFact, summary: "Security review blocks the deal"))
            #expect(try await fixture.store.jobCounts(user) == ["pending": 1])
            try await fixture.drain(fixture.pipeline(embedder))
            let second = try await fixture.store.search(user, vector: try await embedder.embed(["Security review blocks the deal"])[0])
            #expect(second.first?.node.id == id && (second.first?.score ?? 0) > 0.999)
            #expect(try await fixture.store.stats(user).embeddings == 1)
            try await fixture.store.forget(user, id: id, hard: true)
            #expect(try await fixture.store.jobCounts(user).isEmpty)
            #expect(try await fixture.store.stats(user).embeddings == 0)
        }
    }

    @Test("in sync mode the vectors embedded before the write's transaction are those of the texts stored, trimmed; a merge that changes a text is embedded in it")
    func syncModeEmbedsAhead() async throws {
        let embedder = try TestEmbedder.miniLM()
        try await PipelineFixture.with { fixture in
            let store = MemoryStore(database: fixture.database, embedder: embedder, embeddingMode: .sync)
            let user = freshUser()
            let first = entity("sf", "ACC-7", name: "Orbit Labs", summary: "  Orbit Labs builds satellite radios  ")
            let id = try await store.remember(user, first).nodeID
            var second = entity("sf", "ACC-7", name: "Orbit Labs", summary: "Orbit Labs builds satellite radios")
            second.content["description"] = "They moved their factory to Porto in June"
            _ = try await store.remember(user, second)
            #expect(try await store.jobCounts(user) == ["completed": 3])
            for text in ["Orbit Labs builds satellite radios", "Orbit Labs", "They moved their factory to Porto in June"] {
                let hits = try await store.search(user, vector: try await embedder.embed([text])[0], limit: 1)
                #expect(hits.first?.node.id == id && (hits.first?.score ?? 0) > 0.999, "\(text)")
            }
            #expect(try await store.stats(user).embeddings == 3)
        }
    }

    @Test("a small sync write's new jobs are written claimed by it and completed in its transaction; what that misses is embedded there too")
    func syncModeClaimsAtWrite() async throws {
        // Every second call fails: the first write's embedding ahead succeeds, the second's fails
        // (its claimed job is then embedded by the transaction itself), the update's succeeds.
        let embedder = ScriptedEmbedder(base: try TestEmbedder.miniLM(), failureRate: 0.5)
        try await PipelineFixture.with { fixture in
            let store = MemoryStore(database: fixture.database, embedder: embedder, embeddingMode: .sync)
            let user = freshUser()
            /// Each job by its node's key: status, claims, holder.
            func jobs() async throws -> [String: String] {
                try await fixture.database.withUser(user, operation: "test") { connection in
                    var jobs: [String: String] = [:]
                    for try await (key, status, claims, holder) in try await connection.query(
                        """
                        SELECT n.node_key, j.status, j.claims::int8, coalesce(j.claimed_by, '-')
                        FROM memory.embedding_jobs j JOIN memory.nodes n USING (user_id, node_id)
                        WHERE j.user_id = \(user.rawValue)
                        """, logger: TestDatabase.logger
                    ).decode((String, String, Int, String).self) {
                        jobs[key] = "\(status) \(claims) \(holder)"
                    }
                    return jobs
                }
            }
            func found(_ text: String) async throws -> Bool {
                let hits = try await store.search(user, vector: try await embedder.base.embed([text])[0], limit: 1)
                return (hits.first?.score ?? 0) > 0.999
            }
            _ = try await store.remember(user, MemoryNode(key: "ahead", contextType: .conversationFact, summary: "The renewal moved to April"))
            #expect(try await jobs() == ["ahead": "completed 1 -"], "claimed at write (claims 1), completed, no holder left")
            #expect(embedder.failures == 0 && embedder.calls == 1)
            _ = try await store.remember(user, MemoryNode(key: "inline", contextType: .conversationFact, summary: "Legal wants a security review"))
            #expect(embedder.failures == 1 && embedder.calls == 3, "the ahead call failed; the transaction embedded the claimed job")
            #expect(try await jobs()["inline"] == "completed 1 -")
            _ = try await store.remember(user, MemoryNode(key: "ahead", contextType: .conversationFact, summary: "The renewal moved to May"))
            #expect(try await jobs() == ["ahead": "completed 0 -", "inline": "completed 1 -"], "an update's job is queued pending and completed")
            for text in ["The renewal moved to May", "Legal wants a security review"] {
                #expect(try await found(text), "\(text)")
            }
            #expect(try await !found("The renewal moved to April"))
            #expect(try await store.stats(user).embeddings == 2)
        }
    }

    @Test("in sync mode a node is searchable by meaning as soon as remember returns")
    func syncMode() async throws {
        let embedder = try TestEmbedder.miniLM()
        try await PipelineFixture.with { fixture in
            let store = MemoryStore(database: fixture.database, embedder: embedder, embeddingMode: .sync)
            let user = freshUser()
            let sarah = try await store.remember(user, entity("sf", "CON-1", name: "Sarah Chen", summary: "Sarah Chen is the VP of engineering at Acme Corp")).nodeID
            _ = try await store.remember(user, [
                entity("sf", "CON-2", name: "Marcus Webb", summary: "Marcus Webb runs procurement at Acme Corp"),
                MemoryNode(contextType: .conversationFact, summary: "The renewal is due in March"),
                MemoryNode(contextType: .toolOutput, summary: "The weather in Lisbon is sunny"),
            ])
            #expect(try await store.jobCounts(user)["pending"] == nil)
            let hits = try await store.search(user, text: "Who is the VP of engineering?", limit: 3)
            #expect(hits.first?.node.id == sarah)
        }
    }
}
