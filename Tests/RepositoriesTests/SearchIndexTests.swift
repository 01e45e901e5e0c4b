import Foundation
import Logging
import MemoryGraph
import PostgresNIO
import Testing
@testable import Repositories

@Suite("SEARCH's index rebuilds", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct SearchIndexTests {
    @Test("a rebuild is due from the floor up, once the index holds twice the vectors of its last build")
    func policy() {
        let policy = SearchIndexPolicy(minimumVectors: 50_000, growthFactor: 2, buildMemoryLimitMB: 2_048)
        #expect(!policy.needsRebuild(vectors: 49_999, vectorsAtBuild: 0))
        #expect(policy.needsRebuild(vectors: 50_000, vectorsAtBuild: 0))
        #expect(!policy.needsRebuild(vectors: 199_999, vectorsAtBuild: 100_000))
        #expect(policy.needsRebuild(vectors: 200_000, vectorsAtBuild: 100_000))
        #expect(!policy.needsRebuild(vectors: 60_000, vectorsAtBuild: 40_000))
        #expect(policy.buildMemoryMB(vectors: 200_000) == 391)
        #expect(policy.buildMemoryMB(vectors: 10) == 64)
        #expect(policy.buildMemoryMB(vectors: 100_000_000) == 2_048)
    }

    @Test("the app role rebuilds a doubled index in one pass; SEARCH finds the same; it is then not due; a second caller is told busy")
    func rebuild() async throws {
        try await Self.withAppDatabase { name, database in
            let store = MemoryStore(database: database)
            let user = freshUser("reindex")
            let vectors = try await Self.storeVectors(store, user, count: 300)
            let query = vectors[17]
            let before = try await store.search(user, vector: query, limit: 5).compactMap(\.node.id)

            let policy = SearchIndexPolicy(minimumVectors: 200)
            let fresh = try await store.searchIndexState()
            #expect(fresh.vectors == 300)
            #expect(fresh.vectorsAtBuild == 0)  // built empty when the schema was applied
            #expect(fresh.builtAt != nil)

            // Another connection holding the rebuild lock makes this caller step aside.
            let busy = try await TestDatabase.asSuperuser(database: name) { connection in
                _ = try await connection.query("SELECT pg_advisory_lock(\(MemoryStore.searchIndexLock))", logger: TestDatabase.logger).collect()
                let outcome = try await store.maintainSearchIndex(policy: policy)
                // Released here, not by the connection's close: the server ends a closed
                // connection's backend a moment later, and the next call would find it still held.
                _ = try await connection.query("SELECT pg_advisory_unlock(\(MemoryStore.searchIndexLock))", logger: TestDatabase.logger).collect()
                return outcome
            }
            #expect(busy == .busy)

            let oid = try await Self.indexOID(name)
            guard case .rebuilt(let state, let seconds, let dropped) = try await store.maintainSearchIndex(policy: policy) else {
                Issue.record("a doubled index was not rebuilt")
                return
            }
            #expect(state.vectors == 300 && state.vectorsAtBuild == 0)
            #expect(seconds > 0)
            #expect(dropped.isEmpty)
            #expect(try await Self.indexOID(name) != oid)  // a new index took the old one's place
            #expect(try await Self.indexes(name) == ["idx_embeddings_minilm_l6_v2_hnsw": true])
            #expect(try await store.search(user, vector: query, limit: 5).compactMap(\.node.id) == before)
            #expect(try await store.searchIndexState().vectorsAtBuild == 300)
            guard case .notNeeded(let after) = try await store.maintainSearchIndex(policy: policy) else {
                Issue.record("a just-rebuilt index was rebuilt again")
                return
            }
            #expect(after.vectors == 300 && after.vectorsAtBuild == 300)
            // The session settings the rebuild made do not stay on the pooled connections.
            try await database.withConnection(operation: "test") { connection in
                let rows = try await connection.query(
                    "SELECT current_setting('maintenance_work_mem'), current_setting('client_connection_check_interval')",
                    logger: TestDatabase.logger)
                for try await (memory, check) in rows.decode((String, String).self) {
                    #expect(memory == "256MB")
                    #expect(check == "0")
                }
            }
            // Forced, it rebuilds whatever the policy says.
            guard case .rebuilt = try await store.maintainSearchIndex(policy: SearchIndexPolicy(minimumVectors: .max), force: true) else {
                Issue.record("a forced rebuild did not happen")
                return
            }
        }
    }

    @Test("only large users' vectors go into SEARCH's graph; a user who grows large is moved in, and SEARCH finds every vector before and after")
    func graphMembers() async throws {
        try await Self.withAppDatabase { name, database in
            let store = MemoryStore(database: database)
            let sqlLimit = try await database.withConnection(operation: "test") { connection in
                try await connection.query("SELECT memory.exact_search_below()::int8", logger: TestDatabase.logger).collect().first?.decode(Int.self)
            }
            #expect(sqlLimit == MemoryStore.exactSearchLimit, "the store's exactSearchLimit and memory.exact_search_below() disagree")

            // Small: stored outside the graph, which stays empty.
            let user = freshUser("grows")
            let early = try await Self.storeVectors(store, user, count: 30, large: false)
            #expect(try await Self.graphMembership(name, user) == [false: 30])
            #expect(try await store.searchIndexState().vectors == 0)
            // The node whose own vector the query is (score 1), by its summary.
            func firstHit(_ vector: [Float], types: Set<ContextType> = []) async throws -> String? {
                let first = try await store.search(user, vector: vector, contextTypes: types, limit: 3).first
                return first.flatMap { $0.score > 0.999 ? $0.node.summary : nil }
            }
            #expect(try await firstHit(early[7]) == "output 7")

            // Grown past the limit: SEARCH goes through the graph, and still finds the vectors
            // stored outside it (an exact scan beside the graph), filtered or not. 60 in the graph:
            // more than the 40 candidates it asks for, so its fallback to an exact scan of all
            // the user's vectors (for a graph that yields too few) does not find them instead.
            _ = try await store.remember(user, (0..<MemoryStore.exactSearchLimit).map {
                MemoryNode(contextType: .conversationFact, summary: "later \($0)", metadata: ["embed": false])
            })
            let late = try await Self.storeVectors(store, user, count: 60, large: false, seed: 1_000)
            #expect(try await Self.graphMembership(name, user) == [false: 30, true: 60])
            #expect(try await store.searchIndexState().vectors == 60)
            #expect(try await firstHit(early[7]) == "output 7")
            #expect(try await firstHit(early[7], types: [.toolOutput]) == "output 7")
            #expect(try await firstHit(late[43]) == "output 43")

            // The upkeep moves them in (in batches; a second call finds none left).
            #expect(try await store.moveIntoSearchGraph(limit: 20) == 20)
            #expect(try await store.moveIntoSearchGraph() == 10)
            #expect(try await store.moveIntoSearchGraph() == 0)
            #expect(try await Self.graphMembership(name, user) == [true: 90])
            #expect(try await store.searchIndexState().vectors == 90)
            #expect(try await firstHit(early[7]) == "output 7")
            #expect(try await firstHit(early[7], types: [.toolOutput]) == "output 7")

            // The worker's completion: a large user's vector goes into the graph, a small user's not.
            _ = try await store.remember(user, MemoryNode(contextType: .conversationFact, summary: "The renewal is in March"))
            #expect(try await Self.completeJob(database, user, text: "The renewal is in March", vector: unitVector(seed: 77)))
            #expect(try await Self.graphMembership(name, user) == [true: 91])
            let small = freshUser("small")
            _ = try await store.remember(small, MemoryNode(contextType: .conversationFact, summary: "The renewal is in April"))
            #expect(try await Self.completeJob(database, small, text: "The renewal is in April", vector: unitVector(seed: 78)))
            #expect(try await Self.graphMembership(name, small) == [false: 1])
            #expect(try await store.moveIntoSearchGraph() == 0)
        }
    }

    @Test("the worker's merger moves a grown user's vectors into the graph within its interval, not only the maintainer")
    func mergerMovesGrownUsers() async throws {
        try await Self.withAppDatabase { name, database in
            let store = MemoryStore(database: database)
            let user = freshUser("grows")
            _ = try await Self.storeVectors(store, user, count: 30, large: false)
            _ = try await store.remember(user, (0..<MemoryStore.exactSearchLimit).map {
                MemoryNode(contextType: .conversationFact, summary: "later \($0)", metadata: ["embed": false])
            })
            #expect(try await Self.graphMembership(name, user) == [false: 30])
            let merger = Task { try await PendingIndexMerger(store: store, interval: .milliseconds(100), logger: TestDatabase.logger).run() }
            let deadline = ContinuousClock.now + .seconds(20)
            var membership = try await Self.graphMembership(name, user)
            while membership != [true: 30], ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                membership = try await Self.graphMembership(name, user)
            }
            merger.cancel()
            _ = await merger.result
            #expect(membership == [true: 30], "the merger did not move the vectors within 20 s")
            #expect(try await store.searchIndexState().vectors == 30)
        }
    }

    @Test("what an interrupted rebuild left is dropped before the next one")
    func leftovers() async throws {
        try await Self.withAppDatabase { name, database in
            let store = MemoryStore(database: database)
            _ = try await Self.storeVectors(store, freshUser("reindex"), count: 20)
            // A concurrent build that failed leaves its invalid copy behind, as a killed REINDEX
            // CONCURRENTLY does (here: a unique index over rows that all share the model).
            await #expect(throws: (any Error).self) {
                try await TestDatabase.asSuperuser(database: name) { connection in
                    try await connection.query(
                        "CREATE UNIQUE INDEX CONCURRENTLY idx_embeddings_minilm_l6_v2_hnsw_ccnew ON memory.embeddings (model)",
                        logger: TestDatabase.logger)
                }
            }
            #expect(try await Self.indexes(name)["idx_embeddings_minilm_l6_v2_hnsw_ccnew"] == false)
            guard case .rebuilt(_, _, let dropped) = try await store.maintainSearchIndex(policy: SearchIndexPolicy(minimumVectors: 10)) else {
                Issue.record("the index was not rebuilt")
                return
            }
            #expect(dropped == ["idx_embeddings_minilm_l6_v2_hnsw_ccnew"])
            #expect(try await Self.indexes(name) == ["idx_embeddings_minilm_l6_v2_hnsw": true])
        }
    }

    @Test("the worker's maintainer rebuilds a doubled index by itself, and stops when cancelled")
    func maintainer() async throws {
        try await Self.withAppDatabase { _, database in
            let store = MemoryStore(database: database)
            _ = try await Self.storeVectors(store, freshUser("reindex"), count: 120)
            let maintainer = SearchIndexMaintainer(
                store: store, interval: .milliseconds(100), policy: SearchIndexPolicy(minimumVectors: 100), logger: TestDatabase.logger)
            let running = Task { try await maintainer.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            var state = try await store.searchIndexState()
            while state.vectorsAtBuild != 120, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                state = try await store.searchIndexState()
            }
            running.cancel()
            try await running.value
            #expect(state.vectorsAtBuild == 120, "the maintainer did not rebuild the index within 20 s")
        }
    }

    // MARK: Helpers

    /// A scratch database, migrated by the superuser, and a ``Database`` on it as the application
    /// role (which owns nothing, as in use), dropped afterwards.
    static func withAppDatabase(_ body: @escaping @Sendable (String, Database) async throws -> Void) async throws {
        try await TestDatabase.withScratch { name, _ in
            let cluster = try EmbeddedPostgres(home: MemgraphHome(), logger: TestDatabase.logger)
            guard let info = try cluster.connectionInfo() else { throw RepositoriesError(.embeddedCluster, "no cluster") }
            var app = info.appServer, admin = info.superuserServer
            app.database = name
            admin.database = name
            let configuration = DatabaseConfiguration(target: .external(app: app, admin: admin), poolSize: 4, connectTimeout: .seconds(20))
            try await Database.withDatabase(configuration, logger: TestDatabase.logger) { try await body(name, $0) }
        }
    }

    /// `count` tool-output nodes of `user`, each with a distinct unit vector; returns the vectors.
    /// `large`: first enough nodes without vectors (opted out) that the user is searched through
    /// the HNSW graph, so the vectors go into it (schema 21).
    static func storeVectors(_ store: MemoryStore, _ user: UserID, count: Int, large: Bool = true, seed: UInt64 = 1) async throws -> [[Float]] {
        if large {
            _ = try await store.remember(user, (0..<max(0, MemoryStore.exactSearchLimit - count)).map {
                MemoryNode(contextType: .conversationFact, summary: "padding \($0)", metadata: ["embed": false])
            })
        }
        let ids = try await store.remember(user, (0..<count).map { MemoryNode(contextType: .toolOutput, summary: "output \($0)") })
            .map(\.nodeID)
        let vectors = (0..<count).map { unitVector(seed: UInt64($0) + seed) }
        try await store.storeEmbeddings(user, zip(ids, vectors).map {
            EmbeddingRecord(nodeID: $0, field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [1], vector: $1)
        })
        return vectors
    }

    /// How many of the user's vectors are in SEARCH's graph (true) and outside it (false).
    static func graphMembership(_ database: String, _ user: UserID) async throws -> [Bool: Int] {
        try await TestDatabase.asSuperuser(database: database) { connection in
            var found: [Bool: Int] = [:]
            for try await (inGraph, count) in try await connection.query(
                "SELECT in_graph, count(*)::int8 FROM memory.embeddings WHERE user_id = \(user.rawValue) GROUP BY in_graph",
                logger: TestDatabase.logger
            ).decode((Bool, Int).self) {
                found[inGraph] = count
            }
            return found
        }
    }

    /// Claims the user's jobs as worker "w1", completes the one for `text` with `vector`, and gives
    /// the others back; whether the vector was stored.
    static func completeJob(_ database: Database, _ user: UserID, text: String, vector: [Float]) async throws -> Bool {
        let source = PostgresEmbeddingJobSource(database: database, onlyUser: user)
        let jobs = try await source.claim(limit: 100, worker: "w1", policy: RetryPolicy())
        let job = try #require(jobs.first { $0.text == text }, "no job for \(text) among \(jobs.count)")
        let stored = try await source.complete([job], vectors: [vector], model: EmbeddingModels.miniLML6v2.name, worker: "w1")
        _ = try await source.release(worker: "w1")
        return stored.allSatisfy(\.stored)
    }

    /// SEARCH's index and its copies on memory.embeddings, by name, with whether each is valid.
    static func indexes(_ database: String) async throws -> [String: Bool] {
        try await TestDatabase.asSuperuser(database: database) { connection in
            var found: [String: Bool] = [:]
            for try await (name, valid) in try await connection.query(
                """
                SELECT c.relname::text, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = 'memory.embeddings'::regclass AND c.relname LIKE 'idx_embeddings_minilm_l6_v2_hnsw%'
                """, logger: TestDatabase.logger
            ).decode((String, Bool).self) {
                found[name] = valid
            }
            return found
        }
    }

    static func indexOID(_ database: String) async throws -> Int64 {
        try await TestDatabase.asSuperuser(database: database) { connection in
            let rows = try await connection.query(
                "SELECT 'memory.idx_embeddings_minilm_l6_v2_hnsw'::regclass::oid::int8", logger: TestDatabase.logger)
            for try await oid in rows.decode(Int64.self) { return oid }
            throw RepositoriesError(.query, "no index")
        }
    }
}
