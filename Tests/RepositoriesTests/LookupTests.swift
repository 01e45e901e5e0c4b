import Foundation
import MemoryGraph
import PostgresNIO
import Testing
@testable import Repositories

@Suite("FUZZY and SEARCH", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct LookupTests {
    @Test("FUZZY ranks 'sara chen' to sarah-chen first among similar names")
    func fuzzyRanks() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        for (i, name) in ["Sarah Connor", "Sam Chen", "Sara Chang", "Zara Chan", "Sarah Chen", "Marcus Webb"].enumerated() {
            _ = try await store.remember(user, entity("sf", "C\(i)", name: name, summary: "\(name), a contact"))
        }
        let hits = try await store.fuzzy(user, text: "sara chen")
        #expect(hits.first?.node.key == nil)  // derived keys are not node keys
        #expect(hits.first?.node.content["entity_name"] == "Sarah Chen")
        #expect(hits.count >= 3)
        #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score })
        #expect(!hits.contains { $0.node.content["entity_name"] == "Marcus Webb" })
        // A high threshold keeps only the close match; the limit is honoured.
        let strict = try await store.fuzzy(user, text: "sara chen", threshold: 0.7)
        #expect(strict.map { $0.node.content["entity_name"] } == ["Sarah Chen"])
        #expect(try await store.fuzzy(user, text: "sara chen", limit: 1).count == 1)
    }

    @Test("FUZZY orders names tied on trigram similarity by spelling: a swapped pair of letters finds its name first")
    func fuzzyTiesBySpelling() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        // Against "Tomas Fsei" every one of these keys shares the same 7 of 11 trigrams (0.47);
        // Fesi is stored last, so neither its key nor its id would put it among the first 10.
        let surnames = ["Feba", "Febo", "Feda", "Fedi", "Fefa", "Fega", "Feka", "Fela", "Fema", "Femo", "Fena", "Fene", "Feri", "Feta", "Fesi"]
        _ = try await store.remember(user, surnames.enumerated().map { i, surname in
            entity("sf", "T\(i)", name: "Tomas \(surname)", summary: "Tomas \(surname), a contact")
        })
        let hits = try await store.fuzzy(user, text: "Tomas Fsei")
        #expect(hits.count == 10)
        #expect(hits.first?.node.content["entity_name"] == "Tomas Fesi")
        #expect(Set(hits.map { ($0.score * 1e5).rounded() }).count == 1, "the names tie on trigram similarity")
        #expect(try await store.fuzzy(user, text: "tomas fsei", limit: 1).map { $0.node.content["entity_name"] } == ["Tomas Fesi"])
        // Then the two names two edits away (e and a letter for s and e); the rest are three.
        let rest = hits.dropFirst().compactMap { $0.node.content["entity_name"]?.stringValue }
        #expect(Set(rest.prefix(2)) == ["Tomas Fedi", "Tomas Feri"], "closest spellings after Fesi, got \(rest)")
    }

    @Test("FUZZY's top results equal a full scan's, whether a key or a summary scores, and ignore deleted nodes")
    func fuzzyTopIsExact() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        var nodes: [MemoryNode] = []
        for first in ["Sarah", "Sara", "Zara", "Sam", "Sabrina"] {
            for last in ["Chen", "Cheng", "Chan", "Chenko"] {
                nodes.append(entity("sf", "\(first)-\(last)", name: "\(first) \(last)", summary: "\(first) \(last), a contact at Acme"))
            }
        }
        // Keyless nodes found by their (short) summaries only, some closer than any key.
        // Also: a long summary with few distinct trigrams (repeats), and summaries in the longer
        // trigram-count buckets that FUZZY searches only for long texts.
        for summary in [
            "sara chen", "Sarah Chen!", "chen sara", "Sara Chenoweth", "a note about sara", "sara chen sara chen sara chen sara chen",
            "Sara Chenoweth met Zara Chan at Acme on Tuesday",
            "Sara Chenoweth met Zara Chan at Acme on Tuesday to talk about renewing the Acme support contract",
        ] {
            nodes.append(MemoryNode(contextType: .conversationFact, summary: summary))
        }
        _ = try await store.remember(user, nodes)
        // A deleted node with the best key of all must neither appear nor raise the summaries' bar.
        let deleted = try await store.remember(user, MemoryNode(key: "sara-chen", contextType: .conversationFact, summary: "gone"))
        #expect(try await store.forget(user, id: deleted.nodeID))

        for text in ["sara chen", "sabrina chenko", "zara", "sara chenoweth met zara chan at acme on tuesday to talk"] {
            let scan: [(id: UUID, score: Double)] = try await TestDatabase.asSuperuser { connection in
                let rows = try await connection.query(
                    """
                    SELECT n.node_id, greatest(coalesce(max(similarity(kv.entity_key, \(text))), 0),
                                               coalesce(similarity(n.summary, \(text)), 0))::float8 AS score
                    FROM memory.nodes n
                    LEFT JOIN memory.kv_store kv ON kv.user_id = n.user_id AND kv.node_id = n.node_id
                    WHERE n.user_id = \(user.rawValue) AND n.deleted_at IS NULL
                    GROUP BY n.node_id, n.summary
                    """, logger: TestDatabase.logger)
                var result: [(id: UUID, score: Double)] = []
                for try await (id, score) in rows.decode((UUID, Double).self) where score >= 0.3 { result.append((id, score)) }
                return result.sorted { $0.score > $1.score }
            }
            #expect(scan.count >= 3, "the scan finds candidates for \(text)")
            for limit in [1, 3, 10, 50] {
                let hits = try await store.fuzzy(user, text: text, limit: limit)
                let expected = Array(scan.prefix(limit))
                #expect(hits.map { ($0.score * 1e5).rounded() } == expected.map { ($0.score * 1e5).rounded() }, "\(text), limit \(limit)")
                // Ids are fixed except among ties at the last place.
                let last = expected.last?.score ?? 1
                #expect(Set(hits.filter { $0.score > last + 1e-6 }.compactMap(\.node.id))
                    == Set(expected.filter { $0.score > last + 1e-6 }.map(\.id)), "\(text), limit \(limit)")
                #expect(!hits.contains { $0.node.id == deleted.nodeID })
            }
        }
    }

    @Test("SEARCH returns nearest first and honours minSimilarity, the context filter and the limit")
    func searchOrdering() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let query = unitVector(seed: 1)
        let away = unitVector(seed: 2)
        var nodes: [MemoryNode] = []
        for i in 0..<8 {
            nodes.append(MemoryNode(key: "n\(i)", contextType: i % 2 == 0 ? .conversationFact : .toolOutput, summary: "node \(i)"))
        }
        let ids = try await store.remember(user, nodes).map(\.nodeID)
        let vectors = (0..<8).map { blend(query, away, Float($0) * 0.12) }
        try await store.storeEmbeddings(user, zip(ids, vectors).map {
            EmbeddingRecord(nodeID: $0, field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [1], vector: $1)
        })
        let all = try await store.search(user, vector: query, limit: 10)
        #expect(all.map { $0.node.key } == (0..<8).map { "n\($0)" })
        for (hit, vector) in zip(all, vectors) {
            #expect(abs(hit.score - cosine(query, vector)) < 1e-4)
        }
        let threshold = cosine(query, vectors[3]) - 1e-4
        #expect(try await store.search(user, vector: query, minSimilarity: threshold).map { $0.node.key } == ["n0", "n1", "n2", "n3"])
        #expect(try await store.search(user, vector: query, contextTypes: [.toolOutput], limit: 2).map { $0.node.key } == ["n1", "n3"])
        #expect(try await store.search(user, vector: query, limit: 3).count == 3)
        await #expect(throws: RepositoriesError.self) { try await store.search(user, vector: [1, 2, 3]) }
    }

    @Test("SEARCH's prepared statement takes a context filter or none, in either order on one connection")
    func searchStatementPrepared() async throws {
        let database = try await TestDatabase.database()
        let store = MemoryStore(database: database)
        let user = freshUser()
        let query = unitVector(seed: 11)
        let nodes = (0..<6).map { MemoryNode(key: "p\($0)", contextType: $0 % 2 == 0 ? .conversationFact : .toolOutput, summary: "node \($0)") }
        let ids = try await store.remember(user, nodes).map(\.nodeID)
        try await store.storeEmbeddings(user, ids.enumerated().map {
            EmbeddingRecord(nodeID: $1, field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [1],
                            vector: blend(query, unitVector(seed: 12), Float($0) * 0.1))
        })
        func statement(_ types: [String]?) -> SearchStatement {
            MemoryStore.searchStatement(
                user: user, model: EmbeddingModels.miniLML6v2, vector: PGVector(query, oid: database.vectorTypes.vector),
                types: types, minSimilarity: 0, limit: 10)
        }
        // The parameter types come from the first call on a connection: a NULL filter leaves the
        // array's type to the statement's cast, a filter gives it. Both orders, each on a new connection.
        for order in [[nil, ["tool_output"]], [["tool_output"], nil]] as [[[String]?]] {
            try await TestDatabase.asSuperuser { connection in
                for types in order + order {
                    var keys: [String] = []
                    for try await hit in try await connection.execute(statement(types), logger: TestDatabase.logger) {
                        keys.append(hit.node.key ?? "")
                    }
                    #expect(keys == (types == nil ? ["p0", "p1", "p2", "p3", "p4", "p5"] : ["p1", "p3", "p5"]), "\(String(describing: types))")
                }
                let prepared = try await connection.query(
                    "SELECT name FROM pg_prepared_statements", logger: TestDatabase.logger
                ).collect().map { try $0.decode(String.self) }
                #expect(prepared == [SearchStatement.name])
            }
        }
    }

    @Test("SEARCH of a large user goes through the HNSW index and keeps recall@10 ≥ 0.95; a small user is exact")
    func searchHNSW() async throws {
        let store = try await TestDatabase.store()
        let large = freshUser("large")
        let small = freshUser("small")
        let count = MemoryStore.exactSearchLimit + 1_000
        // Clustered vectors, as real embeddings are: 60 topics, each node near one. A seed of each
        // run's own: on a test cluster kept between runs, earlier runs' users would otherwise hold
        // exact copies of these vectors, which crowd the index's neighbour lists as no real
        // users' vectors do.
        let seed = UInt64.random(in: 0..<(1 << 40)) * 1_000_000
        let topics = (0..<60).map { unitVector(seed: seed + 10_000 + UInt64($0)) }
        func vector(_ i: Int) -> [Float] { blend(topics[i % 60], unitVector(seed: seed + UInt64(i) + 77), 0.45) }
        let largeVectors = (0..<count).map(vector)
        let largeIDs = try await store.remember(large, (0..<count).map { MemoryNode(contextType: .searchResult, summary: "doc \($0)") }).map(\.nodeID)
        try await store.storeEmbeddings(large, zip(largeIDs, largeVectors).map {
            EmbeddingRecord(nodeID: $0, field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [0], vector: $1)
        })
        let smallVectors = (0..<50).map { vector($0 * 7 + 3) }
        let smallIDs = try await store.remember(small, (0..<50).map { MemoryNode(contextType: .searchResult, summary: "mine \($0)") }).map(\.nodeID)
        try await store.storeEmbeddings(small, zip(smallIDs, smallVectors).map {
            EmbeddingRecord(nodeID: $0, field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [0], vector: $1)
        })
        // As the store's own refresh does: an ANALYZE that loses a deadlock to a concurrent REINDEX
        // CONCURRENTLY (CommandTests rebuilds the shared index meanwhile) is tried again.
        try await TestDatabase.asSuperuser { connection in
            for attempt in 1...5 {
                do {
                    try await connection.query("ANALYZE memory.embeddings", logger: TestDatabase.logger)
                    break
                } catch let error as PSQLError where attempt < 5 && error.serverInfo?[.sqlState] == "40P01" {
                    try await Task.sleep(for: .milliseconds(300))
                }
            }
        }

        // The HNSW index is scanned for the large user. (That a small user skips it is checked in
        // PlanTests, in a database of its own; here other tests scan it meanwhile. The small user's
        // exactness is checked below: recall 1.)
        let database = try await TestDatabase.database()
        func scans(_ user: UserID, _ query: [Float]) async throws -> [TestDatabase.IndexName: Int] {
            try await TestDatabase.indexScans(of: MemoryStore.searchQuery(
                user: user, model: EmbeddingModels.miniLML6v2, vector: PGVector(query, oid: database.vectorTypes.vector),
                types: nil, minSimilarity: 0, limit: 10))
        }
        let hnsw = TestDatabase.IndexName(table: "embeddings", index: "idx_embeddings_minilm_l6_v2_hnsw")
        let largeScans = try await scans(large, largeVectors[5])
        #expect(largeScans[hnsw, default: 0] >= 1, "\(largeScans)")

        // Recall@10 against an exact scan computed here.
        func exactTop(_ query: [Float], _ ids: [UUID], _ vectors: [[Float]]) -> Set<UUID> {
            Set(zip(ids, vectors).map { ($0, cosine(query, $1)) }.sorted { $0.1 > $1.1 }.prefix(10).map(\.0))
        }
        var largeRecall = 0.0
        var smallRecall = 0.0
        let queries = 20
        for q in 0..<queries {
            let query = blend(topics[(q * 7) % 60], unitVector(seed: seed + 999 + UInt64(q)), 0.4)
            let hits = try await store.search(large, vector: query, limit: 10)
            let got = Set(hits.map { $0.node.id! })
            largeRecall += Double(got.intersection(exactTop(query, largeIDs, largeVectors)).count) / 10
            // The index walks half-precision vectors (about 1e-3 off); the scores are the full-precision cosines.
            for hit in hits {
                let stored = largeVectors[largeIDs.firstIndex(of: hit.node.id!)!]
                #expect(abs(hit.score - cosine(query, stored)) < 1e-5, "score \(hit.score) against \(cosine(query, stored))")
            }
            let mine = try await store.search(small, vector: query, limit: 10)
            #expect(Set(mine.map { $0.node.id! }).isSubset(of: Set(smallIDs)))
            smallRecall += Double(Set(mine.map { $0.node.id! }).intersection(exactTop(query, smallIDs, smallVectors)).count) / 10
        }
        #expect(largeRecall / Double(queries) >= 0.95, "seed \(seed)")
        #expect(smallRecall / Double(queries) == 1.0, "seed \(seed)")
        // The large user's 6,000 vectors would otherwise stay in the test cluster's shared graph,
        // which every later run's inserts then walk (after seven local runs, 42,000 of them made
        // this test's store outlast the statement timeout under the full suite's load).
        _ = try await store.cleanup(large, olderThan: .zero)
        _ = try await store.cleanup(small, olderThan: .zero)
    }

    @Test("a MiniLM vector beyond half precision's range is refused (the graph stores half precision), and nothing is stored")
    func halfPrecisionRange() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser("range")
        let id = try await store.remember(user, MemoryNode(contextType: .toolOutput, summary: "huge")).nodeID
        var huge = unitVector(seed: 5)
        huge[0] = 100_000
        await #expect(throws: RepositoriesError.self) {
            try await store.storeEmbeddings(user, [
                EmbeddingRecord(nodeID: id, field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [0], vector: huge)
            ])
        }
        let stored = try await TestDatabase.asSuperuser { connection in
            try await connection.query(
                "SELECT count(*)::int8 FROM memory.embeddings WHERE user_id = \(user.rawValue)", logger: TestDatabase.logger
            ).collect().first!.decode(Int64.self)
        }
        #expect(stored == 0)
    }

    @Test("textSearch puts summary matches first and filters by context type")
    func textSearch() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        _ = try await store.remember(user, MemoryNode(contextType: .toolOutput, summary: "query result", content: ["text": "mentions Acme in the body"]))
        _ = try await store.remember(user, MemoryNode(contextType: .conversationFact, summary: "Acme wants a discount"))
        let hits = try await store.textSearch(user, text: "acme")
        #expect(hits.map(\.summary) == ["Acme wants a discount", "query result"])
        #expect(try await store.textSearch(user, text: "acme", contextTypes: [.toolOutput]).map(\.summary) == ["query result"])
        #expect(try await store.textSearch(user, text: "100%").isEmpty)
    }
}
