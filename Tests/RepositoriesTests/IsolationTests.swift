import Foundation
import MemoryGraph
import PostgresNIO
import Testing
@testable import Repositories

@Suite("User isolation", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct IsolationTests {
    @Test("every MemoryStore method called as user B never returns or changes user A's data")
    func matrix() async throws {
        let store = try await TestDatabase.store()
        let a = freshUser("a")
        let b = freshUser("b")
        // Overlapping keys and entity ids.
        let aNodes = try await store.remember(a, [
            entity("sf", "ACC-1", name: "Acme Corp", data: ["owner": "a"], summary: "Acme for A"),
            MemoryNode(key: "shared-key", contextType: .conversationFact, summary: "A's secret plan"),
        ])
        let bNodes = try await store.remember(b, [
            entity("sf", "ACC-1", name: "Acme Corp", data: ["owner": "b"], summary: "Acme for B"),
            MemoryNode(key: "shared-key", contextType: .conversationFact, summary: "B's note"),
        ])
        #expect(aNodes.allSatisfy(\.inserted) && bNodes.allSatisfy(\.inserted), "B's same entity must be B's own node")
        let aIDs = aNodes.map(\.nodeID)
        try await store.relate(a, from: aIDs[1], to: aIDs[0], type: .relatesTo, strength: 0.5)
        try await store.storeEmbeddings(a, [EmbeddingRecord(nodeID: aIDs[0], field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [1], vector: unitVector(seed: 5))])
        let aBefore = try await snapshot(store, a, aIDs)

        // Reads as B.
        #expect(try await store.lookup(b, key: "shared-key")?.summary == "B's note")
        #expect(try await store.lookup(b, key: "acme-corp")?.summary == "Acme for B")
        for id in aIDs { #expect(try await store.node(b, id: id) == nil) }
        #expect(try await store.fuzzy(b, text: "acme corp").allSatisfy { !aIDs.contains($0.node.id!) })
        #expect(try await store.search(b, vector: unitVector(seed: 5)).isEmpty)
        #expect(try await store.textSearch(b, text: "secret").isEmpty)
        #expect(try await store.relationships(b, of: aIDs[0]).isEmpty)
        #expect(try await store.neighbours(b, of: aIDs[0]).isEmpty)
        #expect(try await store.traverse(b, from: aIDs[1], depth: 3).nodes.isEmpty)
        let bLoaded = try await store.loadUserMemories(b)
        #expect(Set(bLoaded.nodes.map(\.id!)) == Set(bNodes.map(\.nodeID)))
        #expect(try await store.stats(b).totalNodes == 2)
        #expect(try await store.stats(b).relationships == 0)

        // Writes as B aimed at A's ids change nothing of A's.
        #expect(try await store.forget(b, id: aIDs[0]) == false)
        #expect(try await store.forget(b, id: aIDs[1], hard: true) == false)
        await #expect(throws: RepositoriesError.self) { try await store.relate(b, from: aIDs[0], to: aIDs[1], type: .ledTo) }
        await #expect(throws: RepositoriesError.self) { try await store.relate(b, from: bNodes[0].nodeID, to: aIDs[1], type: .ledTo) }
        await #expect(throws: RepositoriesError.self) {
            try await store.storeEmbeddings(b, [EmbeddingRecord(nodeID: aIDs[0], field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [2], vector: unitVector(seed: 6))])
        }
        _ = try await store.remember(b, entity("sf", "ACC-1", data: ["owner": "b2"]))
        #expect(try await store.cleanup(b, olderThan: .zero) == 2)

        #expect(try await snapshot(store, a, aIDs) == aBefore)
    }

    @Test("raw SQL as the application role without the user setting sees no rows")
    func rowLevelSecurity() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let id = try await store.remember(user, entity("sf", "Z", name: "Zed")).nodeID
        try await store.storeEmbeddings(user, [EmbeddingRecord(nodeID: id, field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [1], vector: unitVector(seed: 9))])
        let counts = try await store.database.withConnection(operation: "raw") { connection in
            var counts: [Int] = []
            for table in ["nodes", "relationships", "user_metadata", "kv_store", "embeddings"] {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int8 FROM memory.\(table)"), logger: TestDatabase.logger)
                for try await n in rows.decode(Int.self) { counts.append(n) }
            }
            return counts
        }
        #expect(counts == [0, 0, 0, 0, 0])
        // The application role cannot write rows for a user other than the one it set.
        await #expect(throws: RepositoriesError.self) {
            try await store.database.withUser(user, operation: "raw") { connection in
                try await connection.query(
                    "INSERT INTO memory.nodes (user_id, context_type) VALUES ('someone-else', 'tool_output')", logger: TestDatabase.logger)
            }
        }
        // And the superuser sees the row is there.
        let seen = try await TestDatabase.asSuperuser { connection in
            try await connection.query("SELECT count(*)::int8 FROM memory.nodes WHERE user_id = \(user.rawValue)", logger: TestDatabase.logger)
                .collect().first!.decode(Int.self)
        }
        #expect(seen == 1)
    }

    @Test("FUZZY's definer function reads only the transaction's user, and nothing without one")
    func fuzzyCandidatesAreScoped() async throws {
        let store = try await TestDatabase.store()
        let a = freshUser("a"), b = freshUser("b")
        let aID = try await store.remember(a, entity("sf", "F-1", name: "Fenella Quorn", summary: "Fenella Quorn, buyer")).nodeID
        let bID = try await store.remember(b, entity("sf", "F-1", name: "Fenella Quorn", summary: "Fenella Quorn, seller")).nodeID
        let query: PostgresQuery = "SELECT node_id FROM memory.fuzzy_candidates('fenela quorn', 0.1, 10)"
        func candidates(_ user: UserID?) async throws -> Set<UUID> {
            @Sendable func read(_ connection: PostgresConnection) async throws -> Set<UUID> {
                var ids = Set<UUID>()
                for try await id in try await connection.query(query, logger: TestDatabase.logger).decode(UUID.self) {
                    ids.insert(id)
                }
                return ids
            }
            guard let user else { return try await store.database.withConnection(operation: "raw", read) }
            return try await store.database.withUser(user, operation: "raw", read)
        }
        #expect(try await candidates(a) == [aID])
        #expect(try await candidates(b) == [bID])
        #expect(try await candidates(nil).isEmpty)
    }

    private struct Snapshot: Equatable {
        var nodes: [MemoryNode]
        var relationships: [Relationship]
        var stats: UserStats
        var lookups: [UUID?]
    }

    private func snapshot(_ store: MemoryStore, _ user: UserID, _ ids: [UUID]) async throws -> Snapshot {
        var nodes: [MemoryNode] = []
        for id in ids {
            // Reads move a node's access bookkeeping (the snapshot's own reads too): not data.
            if var node = try await store.node(user, id: id) {
                (node.accessCount, node.lastAccessed) = (nil, nil)
                nodes.append(node)
            }
        }
        return Snapshot(
            nodes: nodes, relationships: try await store.relationships(user, of: ids[0]), stats: try await store.stats(user),
            lookups: [try await store.lookup(user, key: "shared-key")?.id, try await store.lookup(user, key: "acme-corp")?.id])
    }

    @Test("operators planted in public are never called by the definer functions, which run as the owner (issue 27, item 5)")
    func plantedOperators() async throws {
        try await TestDatabase.withScratchDatabase { name, database in
            // Better matches than pg_catalog offers for `bar > 0` (bar real) in fuzzy_candidates and
            // `random() * 0.5` in fail_embedding_jobs: with public on their search_path, these won.
            try await TestDatabase.asSuperuser(database: name) { connection in
                for statement in [
                    "CREATE FUNCTION public.planted_gt(real, integer) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted > called as %', current_user; END $$",
                    "CREATE OPERATOR public.> (LEFTARG = real, RIGHTARG = integer, FUNCTION = public.planted_gt)",
                    "CREATE FUNCTION public.planted_times(double precision, numeric) RETURNS double precision LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted * called as %', current_user; END $$",
                    "CREATE OPERATOR public.* (LEFTARG = double precision, RIGHTARG = numeric, FUNCTION = public.planted_times)",
                ] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger)
                }
            }
            let store = MemoryStore(database: database)
            let user = freshUser()
            _ = try await store.remember(user, entity("crm", "C-1", name: "Sarah Kanemoto", summary: "Sarah Kanemoto, a contact"))
            #expect(try await store.fuzzy(user, text: "Sarah Kanimo", threshold: 0.1).first?.node.summary == "Sarah Kanemoto, a contact")
            let source = PostgresEmbeddingJobSource(database: database, onlyUser: user)
            let jobs = try await source.claim(limit: 5, worker: "w1", policy: RetryPolicy())
            #expect(!jobs.isEmpty)
            let outcome = try await source.fail(jobs, error: "scripted", worker: "w1", policy: RetryPolicy())
            #expect(outcome == FailureOutcome(retried: jobs.count, deadLettered: 0))
        }
    }
}
