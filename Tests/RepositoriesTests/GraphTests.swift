import Foundation
import MemoryGraph
import PostgresNIO
import Testing
@testable import Repositories

@Suite("Relationships and maintenance", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct GraphTests {
    @Test("a duplicate relation updates its strength; relationships, neighbours and traverse follow edges")
    func relations() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let ids = try await store.remember(user, [
            entity("sf", "A", name: "Acme"), entity("sf", "S", name: "Sarah"), entity("sf", "M", name: "Marcus"),
            MemoryNode(key: "deal", contextType: .conversationFact, summary: "the deal"),
        ]).map(\.nodeID)
        let first = try await store.relate(user, from: ids[1], to: ids[0], type: .belongsTo, strength: 0.4)
        let again = try await store.relate(user, from: ids[1], to: ids[0], type: .belongsTo, strength: 0.9)
        #expect(first.inserted && !again.inserted && first.id == again.id)
        try await store.relate(user, from: ids[2], to: ids[0], type: .belongsTo, strength: 0.6)
        try await store.relate(user, from: ids[3], to: ids[1], type: .relatesTo, strength: 0.3)
        let ofAcme = try await store.relationships(user, of: ids[0])
        #expect(ofAcme.map(\.strength) == [0.9, 0.6])  // as given: stored as real, read back with its digits
        #expect(try await store.relationships(user, of: ids[0], direction: .outgoing).isEmpty)
        #expect(try await store.relationships(user, of: ids[1], direction: .outgoing, type: .belongsTo).count == 1)
        #expect(try await store.neighbours(user, of: ids[0]).map(\.node.id) == [ids[1], ids[2]])
        let graph = try await store.traverse(user, from: ids[0], depth: 2)
        #expect(Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.node.id!, $0.depth) }) == [ids[0]: 0, ids[1]: 1, ids[2]: 1, ids[3]: 2])
        #expect(graph.edges.count == 3)
        #expect(try await store.traverse(user, from: ids[0], depth: 1).nodes.count == 3)
        #expect(try await store.traverse(user, from: ids[0], depth: 2, types: [.belongsTo]).nodes.count == 3)
        #expect(try await store.traverse(user, from: ids[0], depth: 2, direction: .outgoing).nodes.count == 1)
        await #expect(throws: RepositoriesError.self) { try await store.relate(user, from: ids[0], to: ids[1], type: .ledTo, strength: 1.5) }
    }

    /// Explore, TRAVERSE and /graph drew both ends of an edge between two nodes of the last level
    /// but not the edge (no level read it): a cycle among the outermost nodes went missing.
    @Test("a traversal keeps the edges among the nodes it placed, those of the last level too")
    func edgesAmongTheLastLevel() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let ids = try await store.remember(user, ["root", "end", "graph", "far"].map {
            MemoryNode(key: $0, contextType: .conversationFact, summary: $0)
        }).map(\.nodeID)
        try await store.relate(user, from: ids[0], to: ids[1], type: .relatesTo, strength: 1)
        try await store.relate(user, from: ids[0], to: ids[2], type: .relatesTo, strength: 1)
        try await store.relate(user, from: ids[1], to: ids[2], type: .ledTo, strength: 1)
        try await store.relate(user, from: ids[2], to: ids[1], type: .relatesTo, strength: 1)
        try await store.relate(user, from: ids[2], to: ids[3], type: .relatesTo, strength: 1)  // to a node past depth 1
        let pairs = { (graph: Subgraph) in Set(graph.edges.map { "\($0.from == ids[1] ? "end" : $0.from == ids[2] ? "graph" : "root")→\($0.to == ids[1] ? "end" : $0.to == ids[2] ? "graph" : $0.to == ids[3] ? "far" : "root")" }) }
        let both = try await store.traverse(user, from: ids[0], depth: 1)
        #expect(both.nodes.count == 3)
        #expect(pairs(both) == ["root→end", "root→graph", "end→graph", "graph→end"])
        #expect(pairs(try await store.traverse(user, from: ids[0], depth: 1, direction: .outgoing)) == ["root→end", "root→graph", "end→graph", "graph→end"])
        #expect(pairs(try await store.traverse(user, from: ids[0], depth: 1, types: [.relatesTo])) == ["root→end", "root→graph", "graph→end"])
        #expect(try await store.traverse(user, from: ids[0], depth: 0).edges.isEmpty)
    }

    @Test("a relation between nodes of different users is refused")
    func crossUser() async throws {
        let store = try await TestDatabase.store()
        let a = freshUser("a"), b = freshUser("b")
        let aID = try await store.remember(a, entity("sf", "1")).nodeID
        let bID = try await store.remember(b, entity("sf", "2")).nodeID
        do {
            try await store.relate(a, from: aID, to: bID, type: .relatesTo)
            Issue.record("a cross-user relation was stored")
        } catch let error as RepositoriesError {
            #expect(error.code == .notFound)
        }
        #expect(try await store.stats(a).relationships == 0)
    }

    @Test("deleting a node removes its relationships and embeddings")
    func cascade() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let ids = try await store.remember(user, [entity("sf", "1"), entity("sf", "2"), entity("sf", "3")]).map(\.nodeID)
        try await store.relate(user, from: ids[0], to: ids[1], type: .ledTo)
        try await store.relate(user, from: ids[2], to: ids[0], type: .produces)
        try await store.relate(user, from: ids[1], to: ids[2], type: .dependsOn)
        try await store.storeEmbeddings(user, ids.map {
            EmbeddingRecord(nodeID: $0, field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [1], vector: unitVector(seed: 3))
        })
        #expect(try await store.forget(user, id: ids[0], hard: true))
        let stats = try await store.stats(user)
        #expect(stats.relationships == 1)
        #expect(stats.embeddings == 2)
        #expect(try await store.counters(user) == (2, 1))
    }

    @Test("user_metadata counters match the real counts after inserts and deletes")
    func counters() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let ids = try await store.remember(user, (0..<25).map { MemoryNode(contextType: .toolOutput, summary: "out \($0)") }).map(\.nodeID)
        for i in 0..<10 { try await store.relate(user, from: ids[i], to: ids[i + 1], type: .ledTo) }
        _ = try await store.remember(user, MemoryNode(key: "k", contextType: .conversationFact))
        _ = try await store.remember(user, MemoryNode(key: "k", contextType: .conversationFact))  // a merge adds nothing
        try await store.forget(user, id: ids[0])               // soft
        try await store.forget(user, id: ids[1], hard: true)   // hard, takes 2 relations with it
        try await store.forget(user, id: ids[0], hard: true)   // hard after soft
        let (nodes, relationships) = try await store.counters(user)
        let stats = try await store.stats(user)
        #expect(nodes == stats.totalNodes)
        #expect(nodes == 24)
        #expect(relationships == stats.relationships)
        #expect(relationships == 8)
        #expect(stats.nodesByContextType == ["tool_output": 23, "conversation_fact": 1])
        #expect(stats.lastActivity != nil)
    }

    @Test("a user's writes do not wait for each other's commit to count their nodes, and the counts stay exact")
    func countersDoNotSerializeWrites() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        _ = try await store.remember(user, MemoryNode(contextType: .toolOutput, summary: "first"))
        @Sendable func deltaRows() async throws -> Int {
            try await store.database.withUser(user, operation: "test") { connection in
                var count = 0
                for try await n in try await connection.query(
                    "SELECT count(*)::int8 FROM memory.user_count_deltas WHERE user_id = \(user.rawValue)", logger: TestDatabase.logger
                ).decode(Int.self) { count = n }
                return count
            }
        }
        // Transaction A writes a node and stays open; B writes one beside it and must not wait for
        // A's commit (the counters row used to be held until then: B would time out on its lock).
        try await store.database.withUser(user, operation: "test") { connection in
            try await connection.query(
                "INSERT INTO memory.nodes (user_id, context_type, summary) VALUES (\(user.rawValue), 'tool_output', 'in A')",
                logger: TestDatabase.logger)
            try await store.database.withUser(user, operation: "test") { other in
                try await other.query("SET LOCAL lock_timeout = '2s'", logger: TestDatabase.logger)
                try await other.query(
                    "INSERT INTO memory.nodes (user_id, context_type, summary) VALUES (\(user.rawValue), 'tool_output', 'in B')",
                    logger: TestDatabase.logger)
            }
        }
        #expect(try await deltaRows() == 1)
        #expect(try await store.counters(user) == (3, 0))
        #expect(try await store.stats(user).totalNodes == 3)
        // The next write that gets the row folds the delta in.
        _ = try await store.remember(user, MemoryNode(contextType: .toolOutput, summary: "last"))
        #expect(try await deltaRows() == 0)
        #expect(try await store.counters(user) == (4, 0))
        #expect(try await store.stats(user).lastActivity != nil)
    }

    @Test("cleanup(olderThan:) deletes only that user's old nodes")
    func cleanup() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser(), other = freshUser()
        let old = Date().addingTimeInterval(-100 * 86_400)
        _ = try await store.remember(user, [
            MemoryNode(contextType: .toolOutput, summary: "old 1", createdAt: old),
            MemoryNode(contextType: .toolOutput, summary: "old 2", createdAt: old),
            MemoryNode(contextType: .toolOutput, summary: "new"),
        ])
        _ = try await store.remember(other, MemoryNode(contextType: .toolOutput, summary: "other old", createdAt: old))
        #expect(try await store.cleanup(user, olderThan: .seconds(90 * 86_400)) == 2)
        #expect(try await store.stats(user).totalNodes == 1)
        #expect(try await store.stats(other).totalNodes == 1)
        #expect(try await store.counters(user).nodes == 1)
    }

    @Test("loadUserMemories ranks by relevance and brings the relationships among the loaded nodes")
    func load() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let ids = try await store.remember(user, [
            MemoryNode(contextType: .conversationFact, summary: "minor", baseRelevance: 0.1),
            MemoryNode(contextType: .conversationFact, summary: "major", baseRelevance: 0.95),
            MemoryNode(contextType: .conversationFact, summary: "middle", baseRelevance: 0.5),
        ]).map(\.nodeID)
        try await store.relate(user, from: ids[1], to: ids[2], type: .relatesTo)
        try await store.relate(user, from: ids[0], to: ids[1], type: .relatesTo)
        let (nodes, edges) = try await store.loadUserMemories(user, limit: 2)
        #expect(nodes.map(\.summary) == ["major", "middle"])
        #expect(edges.count == 1)
    }

    @Test("a batch of 10,000 nodes goes through the batched path in one transaction")
    func batch() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let nodes = (0..<10_000).map { i -> MemoryNode in
            i % 2 == 0 ? entity("bulk", "E\(i)", name: "Entity \(i)", data: ["i": .number(Double(i))])
                : MemoryNode(contextType: .toolOutput, summary: "row \(i)")
        }
        let results = try await store.remember(user, nodes)
        #expect(results.count == 10_000 && results.allSatisfy(\.inserted))
        #expect(try await store.counters(user).nodes == 10_000)
        #expect(try await store.lookup(user, key: "entity-9998")?.id == results[9998].nodeID)
        let again = try await store.remember(user, Array(nodes.prefix(100)))
        #expect(again.filter(\.inserted).count == 50)  // entities merge; plain nodes are new
    }
}
