import Foundation
import MemoryGraph
import Repositories
import Testing

/// Issue 27, items 8 and 9: what a node may hold and what a query may ask are bounded, with a
/// clear error and nothing written.
@Suite("Bounds on input and work", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(3)))
struct BoundsTests {
    /// Expects `remember` to refuse `node` with `words` in the message, and the user to hold nothing.
    func expectRefused(_ node: MemoryNode, _ words: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let store = try await TestDatabase.store()
        let user = freshUser("bounds")
        do {
            try await store.remember(user, node)
            Issue.record("remember accepted it", sourceLocation: sourceLocation)
        } catch let error as RepositoriesError {
            #expect(error.code == .invalidInput, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(words), "\(error)", sourceLocation: sourceLocation)
        }
        #expect(try await store.stats(user).totalNodes == 0, sourceLocation: sourceLocation)
    }

    static func nested(_ depth: Int) -> JSONValue {
        (0..<depth).reduce(JSONValue.string("bottom")) { inner, _ in .object(["x": inner]) }
    }

    @Test("a NUL character anywhere in a node is invalid input")
    func nulCharacters() async throws {
        try await expectRefused(MemoryNode(contextType: .conversationFact, summary: "a\u{0}b"), "NUL")
        try await expectRefused(MemoryNode(contextType: .conversationFact, summary: "x", content: ["note": "a\u{0}b"]), "NUL")
        try await expectRefused(MemoryNode(contextType: .conversationFact, summary: "x", metadata: ["a\u{0}": 1]), "NUL")
        try await expectRefused(MemoryNode(contextType: .conversationFact, summary: "x", tags: ["t\u{0}"]), "NUL")
    }

    @Test("content nested deeper than 100 levels is refused; 100 levels store and read back")
    func nesting() async throws {
        try await expectRefused(MemoryNode(contextType: .conversationFact, summary: "deep", content: ["a": Self.nested(250)]), "nests")
        let store = try await TestDatabase.store()
        let user = freshUser("bounds")
        let stored = try await store.remember(user, MemoryNode(
            key: "deep", contextType: .conversationFact, summary: "deep", content: ["a": Self.nested(99)]))
        let node = try await store.node(user, id: stored.nodeID)
        #expect(node?.content["a"] == Self.nested(99))
    }

    @Test("content and metadata over the size bound are refused")
    func size() async throws {
        let big = String(repeating: "x", count: MemoryNode.defaultMaximumContentBytes)
        try await expectRefused(MemoryNode(contextType: .conversationFact, summary: "big", content: ["text": .string(big)]), "the limit is")
    }

    @Test("a bad node late in a large batch is named by its position, after earlier statements ran, and nothing is written")
    func badNodeLateInABatch() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser("bounds")
        var batch = (0..<15_000).map { MemoryNode(key: "k\($0)", contextType: .toolOutput, summary: "row \($0)") }
        batch[14_321].summary = "a\u{0}b"
        do {
            _ = try await store.remember(user, batch)
            Issue.record("remember accepted it")
        } catch let error as RepositoriesError {
            #expect(error.code == .invalidInput, "\(error)")
            #expect(error.message.hasPrefix("node 14322: "), "\(error)")
        }
        #expect(try await store.stats(user).totalNodes == 0)
        #expect(try await store.lookup(user, key: "k1") == nil)
    }

    @Test("a store configured with a larger size bound stores a node over the default one, in one and in many")
    func configuredSizeBound() async throws {
        try await TestDatabase.withScratch { _, configuration in
            var configuration = configuration
            configuration.maximumContentBytes = 2 * MemoryNode.defaultMaximumContentBytes
            try await Database.withDatabase(configuration, logger: TestDatabase.logger) { database in
                let store = MemoryStore(database: database)
                let user = freshUser("bounds")
                let big = String(repeating: "x", count: MemoryNode.defaultMaximumContentBytes + 1_000)
                let one = try await store.remember(user, MemoryNode(contextType: .conversationFact, summary: "big", content: ["text": .string(big)]))
                #expect(try await store.node(user, id: one.nodeID)?.content["text"]?.stringValue?.count == big.count)
                let many = try await store.remember(user, (0..<2).map {
                    MemoryNode(contextType: .conversationFact, summary: "big \($0)", content: ["text": .string(big)])
                })
                #expect(many.count == 2)
            }
        }
    }

    @Test("a key derived from a long entity_name is refused with a remedy")
    func derivedKeyLength() async throws {
        let name = String(repeating: "Alexander ", count: 40)
        try await expectRefused(entity("crm", "A-1", name: name), "give the node a key")
    }

    @Test("FUZZY refuses THRESHOLD 0 and long text; limits are clamped, never overflow")
    func queryBounds() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser("bounds")
        try await store.remember(user, MemoryNode(key: "n0", contextType: .toolOutput, summary: "zero"))
        await #expect(throws: RepositoriesError.self) { try await store.fuzzy(user, text: "zero", threshold: 0) }
        await #expect(throws: RepositoriesError.self) {
            try await store.fuzzy(user, text: String(repeating: "zero ", count: 50))
        }
        #expect(try await store.fuzzy(user, text: "zero", limit: .max).count == 1)
        #expect(try await store.search(user, vector: unitVector(seed: 1), limit: .max).count <= RemQuery.limitRange.upperBound)
    }

    @Test("TRAVERSE from a hub with 3,000 neighbours stops at the node cap and says it was truncated; below the cap it is whole")
    func traverseCap() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser("bounds")
        let at = FixtureLocation(file: "hub.jsonl")
        let leaves = (0..<3_000).map { FixtureNode(node: MemoryNode(key: "leaf-\($0)", contextType: .toolOutput, summary: "leaf \($0)"), location: at) }
        let hub = FixtureNode(node: MemoryNode(key: "hub", contextType: .toolOutput, summary: "the hub"), location: at)
        let edges = (0..<3_000).map { FixtureRelationship(fromKey: "hub", toKey: "leaf-\($0)", type: .relatesTo, location: at) }
        _ = try await store.importGraph(user, FixtureSet(nodes: [hub] + leaves, relationships: edges))
        let start = try #require(try await store.lookup(user, key: "hub")?.id)

        let capped = try await store.traverse(user, from: start, depth: 2)
        #expect(capped.truncated)
        #expect(capped.nodes.count == Subgraph.defaultNodeCap)
        #expect(capped.nodes.first?.node.id == start)
        let kept = Set(capped.nodes.map { $0.node.id! })
        #expect(capped.edges.allSatisfy { kept.contains($0.from) && kept.contains($0.to) })

        let whole = try await store.traverse(user, from: start, depth: 2, maxNodes: 5_000)
        #expect(!whole.truncated && whole.nodes.count == 3_001 && whole.edges.count == 3_000)
    }
}
