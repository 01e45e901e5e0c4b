import Sessions
import Foundation
import Logging
import MemoryGraph
import PostgresNIO
import ServiceLifecycle
import Testing
@testable import Repositories

/// A session database of its own in a temporary directory. Its timeout is 30 s, not 2 s: the
/// whole suite shares two cores, and only the `timed…` tests (run alone by scripts/test) are about
/// how long a call waits.
func scratchSessionStore(_ configure: (inout SessionConfiguration) -> Void = { _ in }) throws -> SessionStore {
    var configuration = SessionConfiguration()
    configuration.timeout = .seconds(30)
    configure(&configuration)
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("memgraph-sessions-\(UUID().uuidString.prefix(8))").appendingPathComponent("sessions.sqlite")
    return try SessionStore(path: path, configuration: configuration)
}

/// Rows of `table` for `user`, seen past row-level security.
func rowCount(_ table: String, user: UserID, where condition: String = "true") async throws -> Int {
    try await TestDatabase.asSuperuser { connection in
        try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT count(*)::int8 FROM memory.\(table) WHERE user_id = $1 AND \(condition)",
                binds: { var b = PostgresBindings(); b.append(user.rawValue); return b }()),
            logger: TestDatabase.logger
        ).collect().first!.decode(Int.self)
    }
}

@Suite("sessions over the real Postgres", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct SessionTests {
    @Test("temporary_state: readable in its session, never in memory.nodes, gone after the session ends")
    func temporaryStateNeverReachesPostgres() async throws {
        let store = try await TestDatabase.store()
        let memory = SessionMemory(store: try scratchSessionStore(), longTerm: store)
        let user = freshUser()
        let session = try await memory.start(user: user)
        let write = try await memory.remember(
            session.id, MemoryNode(key: "plan", contextType: .temporaryState, summary: "step 2: draft the reply"))
        #expect(write.status == .local)
        _ = try await memory.remember(session.id, MemoryNode(key: "fact", contextType: .conversationFact, summary: "a fact"))
        #expect(try await memory.lookup(session.id, key: "plan")?.summary == "step 2: draft the reply")
        #expect(try await rowCount("nodes", user: user, where: "context_type = 'temporary_state'") == 0)
        #expect(try await rowCount("nodes", user: user) == 1)
        #expect(try await store.lookup(user, key: "plan") == nil)
        try await memory.end(session.id)
        let next = try await memory.start(user: user)
        #expect(try await memory.lookup(next.id, key: "plan") == nil)
        #expect(try await memory.lookup(next.id, key: "fact")?.summary == "a fact")
    }

    @Test("a session's cache holds the user's most relevant memories, and LOOKUP is served from it")
    func cacheLoad() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        var nodes: [MemoryNode] = []
        for index in 0..<30 {
            nodes.append(MemoryNode(
                key: "n-\(index)", contextType: .conversationFact, summary: "fact \(index)", baseRelevance: Double(index) / 30))
        }
        _ = try await store.remember(user, nodes)
        let sessions = try scratchSessionStore { $0.cacheSize = 10 }
        let memory = SessionMemory(store: sessions, longTerm: store)
        let session = try await memory.start(user: user)
        #expect(session.cachedNodes == 10)
        // The ten with the highest base_relevance (equal recency and use): a session without a
        // database answers for those, and only those.
        let offline = SessionMemory(store: sessions, longTerm: nil)
        for node in nodes {
            let index = Int(node.key!.dropFirst(2))!
            if index >= 20 {
                #expect(try await offline.lookup(session.id, key: node.key!)?.summary == node.summary)
            } else {
                await #expect(throws: MemoryGraphError.self) { try await offline.lookup(session.id, key: node.key!) }
            }
        }
    }

    @Test("read-your-writes: a write through the session is what the next read returns, cached or not")
    func readYourWrites() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        _ = try await store.remember(user, entity("crm", "C-1", name: "Sarah Chen", data: ["title": "VP"], summary: "Sarah, VP"))
        let memory = SessionMemory(store: try scratchSessionStore(), longTerm: store)
        let session = try await memory.start(user: user)
        #expect(session.cachedNodes == 1)
        // Cached before the write.
        #expect(try await memory.lookup(session.id, key: "sarah-chen")?.summary == "Sarah, VP")
        let write = try await memory.remember(session.id, entity("crm", "C-1", name: "Sarah Chen", data: ["title": "CTO"], summary: "Sarah, CTO"))
        #expect(write.status == .applied)
        let after = try #require(try await memory.lookup(session.id, key: "sarah-chen"))
        #expect(after.summary == "Sarah, CTO")
        #expect(after.content["entity_data"] == ["title": "CTO"])
        #expect(try await memory.node(session.id, id: write.nodeID!)?.summary == "Sarah, CTO")
        // Not cached before the write.
        let fresh = try await memory.remember(session.id, entity("crm", "C-2", name: "Raj Patel", data: ["team": "data"]))
        #expect(fresh.status == .applied)
        #expect(try await memory.lookup(session.id, key: "raj-patel")?.content["entity_data"] == ["team": "data"])
        // A relationship between a node by key and one by the operation that wrote it.
        let edge = try await memory.relate(session.id, RelateRequest(from: .key("sarah-chen"), to: fresh.reference!, type: .relatesTo))
        #expect(edge.status == .applied)
        #expect(try await rowCount("relationships", user: user) == 1)
    }

    @Test("an operation is applied once: a replay returns the first outcome and changes nothing")
    func exactlyOnce() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let operation = SessionOperation(kind: .remember(entity("crm", "C-9", name: "Ada", data: ["n": 1])))
        let first = try await store.apply(user, operation)
        let again = try await store.apply(user, operation)
        #expect(first == again)
        #expect(try await rowCount("nodes", user: user, where: "(content->>'update_count')::int = 0") == 1)
        // Another user's replay of the same id is that user's own operation.
        let other = freshUser()
        _ = try await store.apply(other, operation)
        #expect(try await rowCount("applied_operations", user: other) == 1)
        #expect(try await rowCount("applied_operations", user: user) == 1)
    }

    @Test("a session import of 10,000 nodes, slower than the session timeout with Postgres up, is applied once (issue 27, item 3)")
    func slowApplyIsNotAnOutage() async throws {
        let store = try await TestDatabase.store()
        // A timeout far below what the import takes: the apply must get the apply timeout instead.
        let memory = SessionMemory(store: try scratchSessionStore { $0.timeout = .milliseconds(200) }, longTerm: store)
        let user = freshUser()
        let session = try await memory.start(user: user)
        let nodes = (0..<10_000).map {
            FixtureNode(
                node: MemoryNode(key: "bulk-\($0)", contextType: .conversationFact, summary: "bulk fact number \($0)"),
                location: FixtureLocation(file: "bulk.jsonl", line: $0 + 1))
        }
        let write = try await memory.importGraph(session.id, FixtureSet(nodes: nodes, relationships: []))
        if write.status == .queued {
            let report = await memory.flush()
            #expect(report.error == nil && report.failed == 0 && report.complete)
        }
        let operation = try #require(write.operationID)
        let entry = try #require(try await memory.store.outboxEntry(operation))
        #expect(entry.status == .applied)
        #expect(try await rowCount("nodes", user: user) == 10_000)
        #expect(try await rowCount("applied_operations", user: user) == 1)
        #expect(try await memory.store.outboxDepth() == 0)
    }

    @Test("Postgres stopped: 200 writes are acknowledged as queued within the timeout; started again, the outbox drains in order, each write once", .tags(.timing), .selected(by: "timing"))
    func timedPostgresStopped() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-outbox-\(UUID().uuidString.prefix(8))")
        let environment = ["MEMGRAPH_HOME": home.path]
        let cluster = try EmbeddedPostgres(home: MemgraphHome(environment: environment), logger: TestDatabase.logger)
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(at: home)
        }
        var configuration = try DatabaseConfiguration.load(environment: environment)
        // The cluster is created, started and migrated with the usual connect timeout first, and
        // the writes below get 3 s to connect, not 1: on a loaded machine (every suite in parallel
        // on two cores) a new cluster's first connections took over 1 s. The writes are bounded by
        // the session's own 2 s timeout either way.
        try await Database.withDatabase(configuration, logger: TestDatabase.logger) { _ in }
        configuration.connectTimeout = .seconds(3)
        try await Database.withDatabase(configuration, logger: TestDatabase.logger) { database in
            let store = MemoryStore(database: database)
            let user = freshUser()
            _ = try await store.remember(user, entity("crm", "E-0", name: "Cached Person", data: ["v": 0], summary: "cached"))
            let sessions = try scratchSessionStore { $0.timeout = .seconds(2); $0.retryAfter = .seconds(1) }
            let memory = SessionMemory(store: sessions, longTerm: store)
            // The cache is filled while Postgres is up. Under the full suite's load, the first reads
            // of a new cluster have outlasted the session's 2 s timeout (the session then starts
            // with nothing cached): start again until it is cached.
            var session = try await memory.start(user: user)
            let deadline = ContinuousClock.now + .seconds(60)
            while session.cachedNodes == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .seconds(1))
                session = try await memory.start(user: user)
            }
            #expect(session.cachedNodes == 1)

            try cluster.stop()
            let clock = ContinuousClock()
            var slowest = Duration.zero
            var statuses: [SessionWrite.Status] = []
            // 200 writes to 50 entities: each entity is written 4 times, the last value must win.
            for index in 0..<200 {
                let node = entity("crm", "E-\(index % 50)", name: "Person \(index % 50)", data: ["v": .number(Double(index))])
                let elapsed = try await clock.measure { statuses.append(try await memory.remember(session.id, node).status) }
                slowest = max(slowest, elapsed)
            }
            #expect(statuses.allSatisfy { $0 == .queued })
            // Each write is bounded by the 2 s timeout; the slack is for a loaded machine (every
            // suite runs in parallel on two cores). A write that hung on the stopped server fails it.
            #expect(slowest < .seconds(10), "slowest queued write took \(slowest)")
            #expect(try await sessions.outboxDepth(user: user) == 200)
            // Degraded reads: LOOKUP from the session, FUZZY refuses quickly.
            #expect(try await memory.lookup(session.id, key: "cached-person")?.summary == "cached")
            #expect(try await memory.lookup(session.id, key: "person-7")?.content["entity_data"] == ["v": 157])
            let fuzzyTime = await clock.measure {
                await #expect(throws: MemoryGraphError.self) { try await memory.fuzzy(session.id, text: "persn") }
            }
            #expect(fuzzyTime < .seconds(10))

            try cluster.start()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await OutboxFlusher(memory: memory, logger: TestDatabase.logger).run() }
                var depth = 200
                for _ in 0..<120 where depth > 0 {
                    try await Task.sleep(for: .milliseconds(500))
                    depth = try await sessions.outboxDepth(user: user)
                }
                group.cancelAll()
                #expect(depth == 0)
            }
            #expect(try await store.stats(user).totalNodes == 50)
            for person in 0..<50 {
                let node = try #require(try await store.lookup(user, key: "person-\(person)"))
                #expect(node.content["entity_data"] == ["v": .number(Double(150 + person))])
            }
            let counts = try await database.withUser(user, operation: "check") { connection in
                try await connection.query(
                    """
                    SELECT (SELECT count(*) FROM memory.applied_operations WHERE user_id = \(user.rawValue))::int8,
                           (SELECT sum(coalesce((content->>'update_count')::int, 0)) FROM memory.nodes WHERE user_id = \(user.rawValue) AND entity_id <> 'E-0')::int8
                    """, logger: TestDatabase.logger
                ).collect().first!.decode((Int, Int).self)
            }
            #expect(counts.0 == 200)
            #expect(counts.1 == 147)  // E-1…E-49: an insert, then 3 merges each, exactly once
            #expect(try await sessions.status().lastFlushError == nil)
        }
    }

    @Test("session start for a user with 10,000 nodes loads them in one batched read", .tags(.timing), .selected(by: "timing"))
    func timedLargeCache() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let nodes = (0..<10_000).map { MemoryNode(key: "k-\($0)", contextType: .conversationFact, summary: "fact number \($0)") }
        _ = try await store.remember(user, nodes)
        let sessions = try scratchSessionStore { $0.cacheSize = 10_000; $0.timeout = .seconds(120) }
        let memory = SessionMemory(store: sessions, longTerm: store)
        let clock = ContinuousClock()
        var session: SessionInfo?
        let elapsed = try await clock.measure { session = try await memory.start(user: user) }
        #expect(session?.cachedNodes == 10_000)
        let size = (try? FileManager.default.attributesOfItem(atPath: sessions.path.path + "-wal")[.size] as? Int) ?? 0
        print("session start, 10,000 nodes: \(elapsed), WAL \(size / 1024) KiB")
    }
}
