import Foundation
import MemoryGraph
import PostgresNIO
import Testing
@testable import Repositories

@Suite("RECALL: lexical, vector, name and graph evidence fused", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct RecallTests {
    /// Stores `nodes` for `user` with the given summary vectors; returns their ids.
    static func store(_ store: MemoryStore, _ user: UserID, _ nodes: [(MemoryNode, [Float])]) async throws -> [UUID] {
        let ids = try await store.remember(user, nodes.map(\.0)).map(\.nodeID)
        try await store.storeEmbeddings(user, zip(ids, nodes).map {
            EmbeddingRecord(nodeID: $0, field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [0], vector: $1.1)
        })
        return ids
    }

    /// A query vector and one away from it, from `seed` (nodes are placed between them with `blend`).
    static func directions(seed: UInt64) -> (query: [Float], away: [Float]) {
        (unitVector(seed: seed), unitVector(seed: seed + 1))
    }

    static func fact(_ key: String, _ summary: String, _ type: ContextType = .conversationFact) -> MemoryNode {
        MemoryNode(key: key, contextType: type, summary: summary)
    }

    /// Six nodes near the query vector (one of them, "near-0", nearest), one far from it whose
    /// summary holds the rare word "zamboni".
    static func rareWordGraph(_ user: UserID, seed: UInt64) async throws -> (store: MemoryStore, query: [Float]) {
        let store = try await TestDatabase.store()
        let (query, away) = Self.directions(seed: seed)
        var nodes = (0..<6).map { i in
            (fact("near-\(i)", "the weekly sync about quarterly planning number \(i)"), blend(query, away, Float(i) * 0.05))
        }
        nodes.append((fact("rare", "Tomas drove the zamboni at the ice rink on Saturday"), blend(query, away, 0.9)))
        _ = try await Self.store(store, user, nodes)
        return (store, query)
    }

    @Test("RECALL's prepared statement takes filters or none, in either order on one connection")
    func recallStatementPrepared() async throws {
        let database = try await TestDatabase.database()
        let store = MemoryStore(database: database)
        let user = freshUser("recall")
        let query = unitVector(seed: 9_300)
        _ = try await Self.store(store, user, (0..<6).map { i in
            (Self.fact("q\(i)", "the quarterly planning sync number \(i)", i % 2 == 0 ? .conversationFact : .toolOutput),
             blend(query, unitVector(seed: 9_301), Float(i) * 0.1))
        })
        func statement(_ types: Set<ContextType>, since: Date?) -> RecallStatement {
            MemoryStore.recallStatement(
                user: user, model: EmbeddingModels.miniLML6v2, vector: PGVector(query, oid: database.vectorTypes.vector),
                query: RecallQuery(text: "quarterly planning", contextTypes: types, since: since), tuning: .standard)
        }
        // The parameter types come from the first call on a connection: a NULL filter leaves the
        // type to the statement's cast, a filter gives it. Both orders, each on a new connection.
        let calls: [(Set<ContextType>, Date?)] = [([], nil), ([.toolOutput], Date(timeIntervalSinceNow: -3_600))]
        for order in [calls, calls.reversed()] {
            try await TestDatabase.asSuperuser { connection in
                for (types, since) in order + order {
                    var keys: Set<String> = []
                    for try await hit in try await connection.execute(statement(types, since: since), logger: TestDatabase.logger) {
                        keys.insert(hit.node.key ?? "")
                    }
                    #expect(keys == (types.isEmpty ? Set((0..<6).map { "q\($0)" }) : ["q1", "q3", "q5"]), "\(types)")
                }
                let prepared = try await connection.query(
                    "SELECT name FROM pg_prepared_statements", logger: TestDatabase.logger
                ).collect().map { try $0.decode(String.self) }
                #expect(prepared == [RecallStatement.name])
            }
        }
    }

    @Test("the lexical arm finds a rare word that the vector arm ranks last, and RECALL puts it first")
    func rareWord() async throws {
        let user = freshUser("recall")
        let (store, query) = try await Self.rareWordGraph(user, seed: 9_100)
        let text = "who drove the zamboni?"
        let vectorOnly = try await store.recall(user, RecallQuery(text: text), vector: query, tuning: RecallTuning.standard.only([.vector]))
        #expect(vectorOnly.first?.node.key == "near-0")
        #expect(vectorOnly.firstIndex { $0.node.key == "rare" } == vectorOnly.count - 1)
        let lexicalOnly = try await store.recall(user, RecallQuery(text: text), vector: query, tuning: RecallTuning.standard.only([.lexical]))
        #expect(lexicalOnly.map { $0.node.key } == ["rare"])
        let hits = try await store.recall(user, RecallQuery(text: text), vector: query)
        #expect(hits.first?.node.key == "rare")
        #expect(hits.first?.arms[.lexical]?.rank == 1)
        #expect(hits.first?.arms[.vector]?.rank == 7)
    }

    /// A memory with no vector (embed false, or not embedded yet) came 7th behind unrelated nodes
    /// the vector arm filled its candidates with, though it was the lexical arm's first (a probe).
    @Test("a node without a vector that the lexical arm finds first is not outranked by weak cosine hits")
    func nodeWithoutVector() async throws {
        let user = freshUser("recall")
        let store = try await TestDatabase.store()
        let (query, away) = Self.directions(seed: 9_300)
        // Ten embedded nodes at middling similarity, about nothing the question says; two linked,
        // so that the graph arm adds to them too.
        let noise = (0..<10).map { i in (Self.fact("noise-\(i)", "the quarterly planning sync, item \(i)"), blend(query, away, 0.4 + Float(i) * 0.02)) }
        let ids = try await Self.store(store, user, noise)
        try await store.relate(user, from: ids[0], to: ids[1], type: .relatesTo, strength: 1)
        let unembedded = try await store.remember(user, MemoryNode(
            key: "tuba", contextType: .conversationFact, summary: "Ignatius owns a purple tuba named Florentine.", metadata: ["embed": false]))
        let hits = try await store.recall(user, RecallQuery(text: "who owns a purple tuba?", limit: 3), vector: query)
        #expect(hits.first?.node.id == unembedded.nodeID, "\(hits.map { ($0.node.key ?? "-", $0.score) })")
        #expect(hits.first?.arms[.vector] == nil && hits.first?.arms[.lexical]?.rank == 1)
        // An embedded node is ranked as before (rareWord: the vector arm's rank 7 stays 7).
    }

    @Test("a node two arms found ranks above one that only one arm found first")
    func twoArmsBeatOne() async throws {
        let user = freshUser("recall")
        let store = try await TestDatabase.store()
        let (query, away) = Self.directions(seed: 9_200)
        _ = try await Self.store(store, user, [
            (Self.fact("vector-only", "an unrelated note about the weather"), query),
            (Self.fact("both", "the renewal of the Northwind contract is due in March"), blend(query, away, 0.1)),
            (Self.fact("far", "a recipe for lentil soup"), away),
        ])
        // MIN keeps the far node out of the vector arm; the lexical arm finds only "both".
        let hits = try await store.recall(user, RecallQuery(text: "when is the Northwind renewal due?", minSimilarity: 0.5), vector: query)
        #expect(hits.map { $0.node.key } == ["both", "vector-only"])
        #expect(hits[0].arms[.vector]?.rank == 2 && hits[0].arms[.lexical]?.rank == 1)
        #expect(hits[1].arms[.vector]?.rank == 1 && hits[1].arms[.lexical] == nil)
        #expect(hits[0].score > hits[1].score)
    }

    @Test("the graph arm brings in a neighbour of the best hit that no other arm found")
    func graphNeighbour() async throws {
        let user = freshUser("recall")
        let store = try await TestDatabase.store()
        let (query, away) = Self.directions(seed: 9_300)
        let ids = try await Self.store(store, user, [
            (Self.fact("d1-1", "Maya: guess what, I adopted a dog last weekend!"), query),
            (Self.fact("d1-2", "Maya: a beagle, her name is Pepper"), away),
            (Self.fact("d2-1", "Tomas: my sister visits in June"), blend(away, query, 0.1)),
        ])
        _ = try await store.relate(user, from: ids[0], to: ids[1], type: .ledTo, strength: 0.5)
        let question = RecallQuery(text: "did anyone adopt a pet?", minSimilarity: 0.5)
        let without = try await store.recall(user, question, vector: query, tuning: RecallTuning.standard.only([.vector, .lexical, .name]))
        #expect(!without.contains { $0.node.key == "d1-2" })
        let hits = try await store.recall(user, question, vector: query)
        let neighbour = try #require(hits.first { $0.node.key == "d1-2" })
        #expect(neighbour.arms.keys.sorted { $0.rawValue < $1.rawValue } == [.graph])
        #expect(neighbour.arms[.graph]?.rank == 1)
        #expect(!hits.contains { $0.node.key == "d2-1" })
    }

    @Test("the name arm finds the node whose key the question names")
    func names() async throws {
        let user = freshUser("recall")
        let store = try await TestDatabase.store()
        let (query, away) = Self.directions(seed: 9_400)
        _ = try await Self.store(store, user, [
            (entity("crm", "C-1", name: "Ingrid Halvorsen", summary: "a contact at a logistics firm"), away),
            (entity("crm", "C-2", name: "Ingrid Berg", summary: "a contact at a bakery"), blend(away, query, 0.2)),
            (Self.fact("other", "nothing to do with anyone"), query),
        ])
        let hits = try await store.recall(
            user, RecallQuery(text: "what do we know about Ingrid Halvorsen?"), vector: query, tuning: RecallTuning.standard.only([.name]))
        #expect(hits.map { $0.node.lookupKey } == ["ingrid-halvorsen"])
        #expect(hits.first?.arms[.name]?.rank == 1)
        // "Ingrid" alone names a part of both keys; "What" is a stop word, not a name.
        let first = try await store.recall(
            user, RecallQuery(text: "What did Ingrid say?"), vector: query, tuning: RecallTuning.standard.only([.name]))
        #expect(Set(first.compactMap(\.node.lookupKey)) == ["ingrid-halvorsen", "ingrid-berg"])
    }

    @Test("a name that is a key exactly finds that node alone; when the filters leave it out, similar keys are searched")
    func exactName() async throws {
        let user = freshUser("recall")
        let store = try await TestDatabase.store()
        let query = unitVector(seed: 9_450)
        _ = try await Self.store(store, user, [
            (entity("crm", "C-1", name: "Ingrid Halvorsen", summary: "a contact at a logistics firm"), query),
            (Self.fact("ingrid-halvorsen-notes", "notes from the call"), query),
        ])
        let nameOnly = RecallTuning.standard.only([.name])
        // The whole name is in both keys (word similarity 1): the exact key is the evidence.
        let exact = try await store.recall(user, RecallQuery(text: "What about Ingrid Halvorsen?"), vector: query, tuning: nameOnly)
        #expect(exact.map { $0.node.lookupKey } == ["ingrid-halvorsen"])
        #expect(exact.first?.arms[.name]?.score == 1)
        // IN conversation_fact leaves the entity out, so the name is searched among the keys.
        let filtered = try await store.recall(
            user, RecallQuery(text: "What about Ingrid Halvorsen?", contextTypes: [.conversationFact]), vector: query, tuning: nameOnly)
        #expect(filtered.map { $0.node.lookupKey } == ["ingrid-halvorsen-notes"])
    }

    @Test("IN, SINCE and UNTIL hold in every arm, alone and fused")
    func filters() async throws {
        let user = freshUser("recall")
        let store = try await TestDatabase.store()
        let query = unitVector(seed: 9_500)
        let ids = try await Self.store(store, user, [
            (Self.fact("fact", "Ingrid Halvorsen mentioned the zamboni"), query),
            (Self.fact("tool", "the zamboni report for Ingrid Halvorsen", .toolOutput), blend(query, unitVector(seed: 9_501), 0.1)),
            (entity("crm", "C-9", name: "Ingrid Halvorsen", summary: "Ingrid Halvorsen drives the zamboni"), query),
        ])
        _ = try await store.relate(user, from: ids[0], to: ids[1], type: .relatesTo, strength: 1)
        _ = try await store.relate(user, from: ids[2], to: ids[1], type: .relatesTo, strength: 1)
        let text = "Ingrid Halvorsen zamboni"
        let tunings = [RecallTuning.standard] + RecallArm.allCases.filter { $0 != .graph }.map { RecallTuning.standard.only([$0]) }
        for tuning in tunings {
            let typed = try await store.recall(user, RecallQuery(text: text, contextTypes: [.toolOutput]), vector: query, tuning: tuning)
            #expect(typed.allSatisfy { $0.node.contextType == .toolOutput }, "\(tuning.weights.keys)")
            let future = try await store.recall(user, RecallQuery(text: text, since: Date().addingTimeInterval(3_600)), vector: query, tuning: tuning)
            #expect(future.isEmpty, "\(tuning.weights.keys)")
            let past = try await store.recall(user, RecallQuery(text: text, until: Date().addingTimeInterval(-3_600)), vector: query, tuning: tuning)
            #expect(past.isEmpty, "\(tuning.weights.keys)")
            let window = RecallQuery(text: text, since: Date().addingTimeInterval(-3_600), until: Date().addingTimeInterval(3_600))
            #expect(try await !store.recall(user, window, vector: query, tuning: tuning).isEmpty, "\(tuning.weights.keys)")
        }
        // The graph arm's neighbour is of the filtered-out type: not brought in.
        let facts = try await store.recall(user, RecallQuery(text: text, contextTypes: [.conversationFact]), vector: query)
        #expect(facts.map { $0.node.key } == ["fact"])
        await #expect(throws: RepositoriesError.self) {
            try await store.recall(user, RecallQuery(text: text, since: Date(), until: Date().addingTimeInterval(-1)), vector: query)
        }
    }

    @Test("a user never sees another user's node through any arm")
    func isolation() async throws {
        let owner = freshUser("recall-a")
        let other = freshUser("recall-b")
        let (store, query) = try await Self.rareWordGraph(owner, seed: 9_600)
        _ = try await Self.store(store, owner, [(entity("crm", "C-1", name: "Ingrid Halvorsen"), query)])
        let ids = try await store.remember(other, [Self.fact("mine", "something of my own")]).map(\.nodeID)
        let text = "Ingrid Halvorsen and the zamboni at the weekly sync"
        let tunings = [RecallTuning.standard] + RecallArm.allCases.map { RecallTuning.standard.only([$0]) }
        for tuning in tunings {
            let seen = try await store.recall(other, RecallQuery(text: text), vector: query, tuning: tuning)
            #expect(seen.allSatisfy { $0.node.id == ids[0] }, "\(tuning.weights.keys): \(seen.map(\.node.key))")
        }
        // And the owner does find its own, through each arm that can.
        #expect(try await !store.recall(owner, RecallQuery(text: text), vector: query, tuning: RecallTuning.standard.only([.name])).isEmpty)
        #expect(try await !store.recall(owner, RecallQuery(text: text), vector: query, tuning: RecallTuning.standard.only([.lexical])).isEmpty)
    }

    @Test("SEARCH IN a rare type finds it for a user past the exact-scan limit (the HNSW path filters inside the scan)")
    func searchRareTypeLargeUser() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser("rare-type")
        let seed = UInt64.random(in: 0..<(1 << 40)) * 1_000_000
        let center = unitVector(seed: seed)
        let count = MemoryStore.exactSearchLimit + 200
        var nodes: [(MemoryNode, [Float])] = (0..<count).map { i in
            (MemoryNode(contextType: .toolOutput, summary: "tool run \(i)"), blend(center, unitVector(seed: seed + 1 + UInt64(i)), 0.3))
        }
        // Five facts, further from the query than every tool output.
        for i in 0..<5 {
            nodes.append((MemoryNode(key: "rare-\(i)", contextType: .conversationFact, summary: "fact \(i)"),
                          blend(center, unitVector(seed: seed + 900_000 + UInt64(i)), 0.8)))
        }
        _ = try await Self.store(store, user, nodes)
        let hits = try await store.search(user, vector: center, contextTypes: [.conversationFact], limit: 5)
        #expect(hits.count == 5)
        #expect(hits.allSatisfy { $0.node.contextType == .conversationFact })
        let recalled = try await store.recall(user, RecallQuery(text: "fact", contextTypes: [.conversationFact], limit: 5), vector: center)
        #expect(recalled.count == 5 && recalled.allSatisfy { $0.node.contextType == .conversationFact })
        _ = try await store.cleanup(user, olderThan: .zero)
    }

    @Test("MEMGRAPH_TEXT_SEARCH_CONFIG rebuilds the documents at start-up: simple does not stem; an unknown one is refused")
    func textSearchConfig() async throws {
        try await TestDatabase.withScratch { _, configuration in
            let user = freshUser("recall")
            let query = unitVector(seed: 9_700)
            let lexical = RecallTuning.standard.only([.lexical])
            func found(_ configuration: DatabaseConfiguration) async throws -> [String?] {
                try await Database.withDatabase(configuration, logger: TestDatabase.logger) { database in
                    try await MemoryStore(database: database).recall(user, RecallQuery(text: "adopt"), vector: query, tuning: lexical)
                        .map(\.node.key)
                }
            }
            try await Database.withDatabase(configuration, logger: TestDatabase.logger) { database in
                _ = try await Self.store(MemoryStore(database: database), user, [(Self.fact("dog", "Maya adopted a beagle"), query)])
            }
            #expect(try await found(configuration) == ["dog"])
            var simple = configuration
            simple.textSearchConfig = "simple"
            #expect(try await found(simple) == [])
            #expect(try await found(configuration) == ["dog"])
            var unknown = configuration
            unknown.textSearchConfig = "klingon"
            do {
                _ = try await found(unknown)
                Issue.record("an unknown text search configuration was accepted")
            } catch let error as RepositoriesError {
                #expect(error.code == .configuration && error.description.contains("klingon"), "\(error) \(error.code) \(error.sqlState ?? "")")
            }
        }
    }
}
