import Foundation
import MemoryGraph
import Testing
@testable import Repositories

@Suite("Entity dedup", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct DedupTests {
    @Test("storing the same entity twice gives one node with merged data and update_count 1")
    func twice() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let first = try await store.remember(user, entity("salesforce", "ACC-001", name: "Acme Corp", data: ["industry": "Technology", "tier": "gold"], summary: "Acme", tags: ["customer"]))
        let second = try await store.remember(user, entity("salesforce", "ACC-001", data: ["revenue": 1_000_000, "tier": "platinum"], tags: ["renewal"]))
        #expect(first.inserted)
        #expect(!second.inserted)
        #expect(first.nodeID == second.nodeID)
        let node = try #require(try await store.node(user, id: first.nodeID))
        let data = try #require(node.content["entity_data"]?.objectValue)
        #expect(data == ["industry": "Technology", "tier": "platinum", "revenue": 1_000_000])
        #expect(node.content["update_count"] == 1)
        #expect(node.content["last_updated"]?.stringValue != nil)
        #expect(node.content["entity_name"] == "Acme Corp")
        #expect(node.summary == "Acme")
        #expect(node.tags == ["customer", "renewal"])
        #expect(try await store.stats(user).totalNodes == 1)
    }

    @Test("32 concurrent remembers of one entity give one node holding all 32 keys, update_count 31")
    func concurrent() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let ids = try await withThrowingTaskGroup(of: RememberResult.self) { group in
            for i in 0..<32 {
                group.addTask {
                    try await store.remember(user, entity("hubspot", "C-42", name: "Dana Ortiz", data: ["k\(i)": .number(Double(i))]))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(ids.map(\.nodeID)).count == 1)
        #expect(ids.filter(\.inserted).count == 1)
        let node = try #require(try await store.node(user, id: ids[0].nodeID))
        let data = try #require(node.content["entity_data"]?.objectValue)
        #expect(data.count == 32)
        #expect(Set(data.keys) == Set((0..<32).map { "k\($0)" }))
        #expect(node.content["update_count"] == 31)
        #expect(try await store.stats(user).totalNodes == 1)
        #expect(try await store.counters(user).nodes == 1)
    }

    @Test("a batch holding one entity several times merges it in order, as separate stores would")
    func batchDuplicates() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let results = try await store.remember(user, [
            entity("sf", "A", name: "Acme", data: ["a": 1]),
            entity("sf", "B", name: "Beta"),
            entity("sf", "A", data: ["a": 2, "b": 3]),
        ])
        #expect(results[0].nodeID == results[2].nodeID)
        #expect(results.map(\.inserted) == [true, true, false])
        let node = try #require(try await store.node(user, id: results[0].nodeID))
        #expect(node.content["entity_data"] == ["a": 2, "b": 3])
        #expect(node.content["update_count"] == 1)
        // and against the stored node: one more merge
        _ = try await store.remember(user, [entity("sf", "A", data: ["c": 4]), entity("sf", "A", data: ["d": 5])])
        let again = try #require(try await store.node(user, id: results[0].nodeID))
        #expect(again.content["update_count"] == 3)
        #expect(again.content["entity_data"] == ["a": 2, "b": 3, "c": 4, "d": 5])
    }

    @Test("a node with a key upserts by key; one without key or entity is always new")
    func keyedAndPlain() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let a = try await store.remember(user, MemoryNode(key: "pref-theme", contextType: .userSelection, summary: "likes dark mode", content: ["text": "dark"]))
        let b = try await store.remember(user, MemoryNode(key: "pref-theme", contextType: .userSelection, summary: "likes light mode", content: ["text": "light"]))
        #expect(a.nodeID == b.nodeID && a.inserted && !b.inserted)
        #expect(try await store.lookup(user, key: "pref-theme")?.summary == "likes light mode")
        let p1 = try await store.remember(user, MemoryNode(contextType: .toolOutput, summary: "ran a query"))
        let p2 = try await store.remember(user, MemoryNode(contextType: .toolOutput, summary: "ran a query"))
        #expect(p1.nodeID != p2.nodeID && p1.inserted && p2.inserted)
    }

    @Test("a few nodes go through each rule's prepared statement, a large batch through unnamed statements; both merge the same")
    func preparedAndUnnamed() async throws {
        let database = try await TestDatabase.database()
        let nodes = Repository<NodeRecord>(database: database)
        let user = freshUser()
        let few = [entity("crm", "P-1", name: "Ada Lovelace", data: ["a": 1]), MemoryNode(key: "note", contextType: .conversationFact, summary: "first"),
                   MemoryNode(contextType: .conversationFact, summary: "plain")]
        let many = (0..<(NodeRecord.preparedStatementRows + 1)).map {
            entity("crm", "P-\($0)", name: "Person \($0)", data: ["b": .number(Double($0))])
        }
        let entityID = try await database.withUser(user, operation: "test") { connection in
            let first = try await nodes.upsert(user, few.map(NodeRecord.init), on: connection)
            #expect(first.map(\.inserted) == [true, true, true])
            let prepared = try await connection.query(
                "SELECT name FROM pg_prepared_statements ORDER BY name", logger: TestDatabase.logger
            ).collect().map { try $0.decode(String.self) }
            #expect(Set([NodeRecord.EntityRule.name, NodeRecord.KeyedRule.name, NodeRecord.PlainRule.name]).isSubset(of: Set(prepared)), "\(prepared)")
            // The large batch (unnamed) merges P-1 into the node the prepared statement wrote.
            let second = try await nodes.upsert(user, many.map(NodeRecord.init), on: connection)
            #expect(second[1].id == first[0].id && !second[1].inserted)
            #expect(second.filter(\.inserted).count == many.count - 1)
            return first[0].id
        }
        let merged = try #require(try await TestDatabase.store().node(user, id: entityID))
        #expect(merged.content["entity_data"] == ["a": 1, "b": 1])
    }

    @Test("a remember is written without a transaction of its own only when it is one statement: at most 64 nodes, all under one rule")
    func oneStatement() {
        let plain = MemoryNode(contextType: .conversationFact, summary: "plain")
        let keyed = MemoryNode(key: "note", contextType: .conversationFact, summary: "keyed")
        let person = entity("crm", "P-1", name: "Ada Lovelace")
        #expect(NodeRecord.isOneStatement([plain]))
        #expect(NodeRecord.isOneStatement([keyed, keyed]))
        #expect(NodeRecord.isOneStatement([person, entity("crm", "P-2", name: "Alan Turing")]))
        #expect(!NodeRecord.isOneStatement([plain, keyed]))
        #expect(!NodeRecord.isOneStatement([person, plain]))
        #expect(!NodeRecord.isOneStatement([]))
        #expect(NodeRecord.isOneStatement(Array(repeating: plain, count: NodeRecord.preparedStatementRows)))
        #expect(!NodeRecord.isOneStatement(Array(repeating: plain, count: NodeRecord.preparedStatementRows + 1)))
    }

    @Test("invalid nodes are refused with a message naming the field, and nothing is stored")
    func invalid() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        await #expect(throws: RepositoriesError.self) {
            try await store.remember(user, [
                entity("sf", "OK", name: "Fine"),
                MemoryNode(contextType: .conversationFact, summary: String(repeating: "x", count: MemoryNode.maximumSummaryBytes + 1)),
            ])
        }
        do {
            _ = try await store.remember(user, MemoryNode(contextType: .domainEntity, content: ["entity_system": "sf"]))
            Issue.record("an entity without entity_id was accepted")
        } catch let error as RepositoriesError {
            #expect(error.code == .invalidInput)
            #expect(error.description.contains("entity_id"))
        }
        #expect(try await store.stats(user).totalNodes == 0)
    }
}
