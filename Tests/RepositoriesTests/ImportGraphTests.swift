import Foundation
import MemoryGraph
import Repositories
import Testing

@Suite("importGraph and shortestPath")
struct ImportGraphTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures")

    static func sample() throws -> FixtureSet {
        try FixtureLoader.load(paths: ["crm.json", "support.jsonl", "engineering"].map { fixtures.appendingPathComponent($0) })
    }

    @Test("small batches give the same graph as one batch: merges across statements")
    func batchSizes() async throws {
        let store = try await TestDatabase.store()
        let graph = try Self.sample()
        let (one, many) = (freshUser(), freshUser())
        let whole = try await store.importGraph(one, graph)
        let chunked = try await store.importGraph(many, graph, batchSize: 7)
        #expect(whole == chunked)
        #expect(whole.inserted + whole.merged == graph.nodes.count)
        #expect(try await store.stats(one).nodesByContextType == store.stats(many).nodesByContextType)
        #expect(try await store.counters(one) == store.counters(many))
    }

    @Test("importing again inserts nothing; plain nodes are recognised by what they say")
    func reimport() async throws {
        let store = try await TestDatabase.store()
        let graph = try Self.sample()
        let user = freshUser()
        let first = try await store.importGraph(user, graph)
        let before = try await store.stats(user)
        let second = try await store.importGraph(user, graph, batchSize: 11)
        #expect(second.inserted == 0)
        #expect(second.relationshipsInserted == 0)
        #expect(second.kvEntries == first.kvEntries)
        #expect(try await store.stats(user).nodesByContextType == before.nodesByContextType)
        #expect(graph.nodes.contains { $0.key == nil }, "the sample should hold plain nodes")
    }

    @Test("a missing relationship end fails the whole import, naming it")
    func missingEnd() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let graph = try FixtureLoader.load(paths: [Self.fixtures.appendingPathComponent("broken/missing-key.json")])
        let error = await #expect(throws: RepositoriesError.self) { try await store.importGraph(user, graph) }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("$.relationships[0].to: no node has the key \"no-such-company\"") == true)
        #expect(try await store.counters(user) == (0, 0))
    }

    @Test("shortestPath walks edges either way, or only forwards, within the depth")
    func shortestPath() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        _ = try await store.importGraph(user, try Self.sample())
        let ids = try await store.nodeIDs(user, keys: ["marcus-webb", "acme-security-audit", "sarah-chen"])
        let marcus = try #require(ids["marcus-webb"]), audit = try #require(ids["acme-security-audit"])
        let path = try #require(try await store.shortestPath(user, from: marcus, to: audit))
        #expect(path.length == 2)
        #expect(path.nodes.map(\.key) == ["marcus-webb", "acme-corp", "acme-security-audit"])
        #expect(try await store.shortestPath(user, from: audit, to: marcus, direction: .outgoing) == nil)
        #expect(try await store.shortestPath(user, from: marcus, to: audit, maxDepth: 1) == nil)
        #expect(try await store.shortestPath(user, from: marcus, to: marcus)?.length == 0)
        // Another user sees no path, nor the nodes.
        #expect(try await store.shortestPath(freshUser(), from: marcus, to: audit) == nil)
    }
}
