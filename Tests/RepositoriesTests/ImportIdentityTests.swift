import Foundation
import MemoryGraph
import Repositories
import Testing

/// What a black-box probe of import found: repeats inside one import merge as a later import
/// would, keys are told apart byte for byte as the database does, derived keys do not depend on how
/// a name's accents were written, and a relationship goes to the node LOOKUP finds.
@Suite("import identity", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(5)))
struct ImportIdentityTests {
    func load(_ json: String) throws -> FixtureSet {
        try FixtureLoader.load(data: Data(json.utf8), name: "probe.json", format: .json)
    }

    /// A fresh user with `json` imported.
    func imported(_ json: String) async throws -> (store: MemoryStore, user: UserID, summary: ImportSummary) {
        let store = try await TestDatabase.store()
        let user = freshUser()
        return (store, user, try await store.importGraph(user, try load(json)))
    }

    @Test("repeats in one import keep the first date and unite tags and metadata")
    func repeatsMergeAsLaterImportsWould() async throws {
        let (store, user, _) = try await imported("""
            {"nodes": [
              {"key": "k1", "context_type": "conversation_fact", "summary": "first", "created_at": "2020-01-01T00:00:00Z",
               "tags": ["a"], "metadata": {"x": 1}},
              {"key": "k1", "context_type": "conversation_fact", "summary": "second", "tags": ["b"], "metadata": {"y": 2}},
              {"context_type": "domain_entity", "summary": "E", "created_at": "2021-05-05T00:00:00Z",
               "content": {"entity_system": "s", "entity_id": "1", "entity_name": "E One"}},
              {"context_type": "domain_entity", "summary": "E again", "created_at": "2022-06-06T00:00:00Z",
               "content": {"entity_system": "s", "entity_id": "1", "entity_name": "E One"}},
              {"context_type": "tool_output", "summary": "same words", "tags": ["t1"], "metadata": {"m": 1}},
              {"context_type": "tool_output", "summary": "same words", "tags": ["t2"], "metadata": {"n": 2}}
            ]}
            """)
        let k1 = try #require(try await store.lookup(user, key: "k1"))
        #expect(k1.summary == "second")
        #expect(k1.tags == ["a", "b"] && k1.metadata == ["x": 1, "y": 2])
        #expect(k1.createdAt == Date(timeIntervalSince1970: 1_577_836_800))
        let entity = try #require(try await store.lookup(user, key: "e-one"))
        #expect(entity.createdAt == DateTimeText.parse("2021-05-05T00:00:00Z"))
        #expect(try await store.stats(user).totalNodes == 3)
        let plain = try await TestDatabase.asSuperuser { connection in
            try await connection.query(
                "SELECT tags, metadata::text FROM memory.nodes WHERE user_id = \(user.rawValue) AND summary = 'same words'",
                logger: TestDatabase.logger
            ).collect().map { try $0.decode(([String], String).self) }
        }
        #expect(plain.count == 1 && plain.first?.0 == ["t1", "t2"], "\(plain)")
        #expect(plain.first.map { $0.1.contains("\"m\"") && $0.1.contains("\"n\"") } == true, "\(plain)")
    }

    @Test("keys differing only in normalization are two nodes, each found by its own bytes")
    func keysAreComparedByBytes() async throws {
        let composed = "k-caf\u{E9}", decomposed = "k-cafe\u{301}"
        let (store, user, summary) = try await imported("""
            {"nodes": [
              {"key": "\(composed)", "context_type": "conversation_fact", "summary": "composed"},
              {"key": "\(decomposed)", "context_type": "conversation_fact", "summary": "decomposed"},
              {"key": "hub", "context_type": "conversation_fact", "summary": "hub"}
            ],
             "relationships": [{"from": "hub", "to": "\(composed)", "type": "relates_to"}]}
            """)
        #expect(summary.inserted == 3, "\(summary)")
        #expect(try await store.lookup(user, key: composed)?.summary == "composed")
        #expect(try await store.lookup(user, key: decomposed)?.summary == "decomposed")
        let hub = try #require(try await store.lookup(user, key: "hub"))
        let edges = try await store.relationships(user, of: hub.id!, direction: .outgoing)
        #expect(try await edges.asyncMap { try await store.node(user, id: $0.to)?.summary } == ["composed"])
        // A later import names each by its own bytes.
        let ids = try await store.nodeIDs(user, keys: [composed, decomposed])
        #expect(ids.count == 2 && ids[ExactKey(composed)] != ids[ExactKey(decomposed)])
    }

    @Test("a name's derived key does not depend on how its accents were written")
    func derivedKeysAreComposed() {
        #expect(NodeKey.normalize("Caf\u{E9} Zo\u{EB}") == "caf\u{E9}-zo\u{EB}")
        #expect(NodeKey.normalize("Cafe\u{301} Zoe\u{308}") == "caf\u{E9}-zo\u{EB}")
        #expect(NodeKey.normalize("\u{939}\u{93F}\u{928}\u{94D}\u{926}\u{940} text") == "\u{939}\u{93F}\u{928}\u{94D}\u{926}\u{940}-text")
    }

    @Test("a relationship to a key goes to the node LOOKUP finds: a written key over a derived one")
    func explicitKeyWinsForRelationships() async throws {
        let (store, user, _) = try await imported("""
            {"nodes": [
              {"key": "sarah-chen", "context_type": "conversation_fact", "summary": "a note keyed sarah-chen"},
              {"context_type": "domain_entity", "summary": "Sarah Chen, the person",
               "content": {"entity_system": "crm", "entity_id": "C1", "entity_name": "Sarah Chen"}},
              {"key": "acme", "context_type": "conversation_fact", "summary": "Acme"}
            ],
             "relationships": [{"from": "sarah-chen", "to": "acme", "type": "relates_to"}]}
            """)
        let found = try #require(try await store.lookup(user, key: "sarah-chen"))
        #expect(found.summary == "a note keyed sarah-chen")
        #expect(try await store.relationships(user, of: found.id!, direction: .outgoing).count == 1)
    }

    @Test("a written key another stored node holds is reported with its file and JSON path, and nothing changes")
    func takenKeyNamesItsRecord() async throws {
        let (store, user, _) = try await imported("""
            {"nodes": [{"key": "acme", "context_type": "domain_entity", "summary": "Acme",
                        "content": {"entity_system": "crm", "entity_id": "A1", "entity_name": "Acme"}}]}
            """)
        let before = try await store.stats(user)
        let clash = try load("""
            {"nodes": [{"key": "fresh", "context_type": "conversation_fact", "summary": "fresh"},
                       {"key": "acme", "context_type": "domain_entity", "summary": "Acme again",
                        "content": {"entity_system": "crm", "entity_id": "A2", "entity_name": "Acme"}}]}
            """)
        do {
            _ = try await store.importGraph(user, clash)
            Issue.record("the import should have failed")
        } catch let error as RepositoriesError {
            #expect(error.code == .conflict)
            #expect(error.message.contains("probe.json: $.nodes[1].key"), "\(error)")
            #expect(error.message.contains("crm/A1"), "\(error)")
        }
        #expect(try await store.stats(user).totalNodes == before.totalNodes)
        #expect(try await store.lookup(user, key: "fresh") == nil)
    }

    /// A keyed memory that is not an entity, under an entity's key, merged into the entity: the
    /// entity became a conversation_fact that still carried its identity (found by a probe). It is
    /// a conflict now, as the other way round (an entity under such a memory's key) was.
    @Test("a memory that is not an entity cannot take an entity's key, nor an entity such a memory's")
    func entityKeysAreNotPlainNodes() async throws {
        let (store, user, _) = try await imported("""
            {"nodes": [{"key": "sarah-chen", "context_type": "domain_entity", "summary": "Sarah Chen, VP Eng",
                        "content": {"entity_system": "crm", "entity_id": "c1", "entity_data": {"title": "VP"}}},
                       {"key": "note", "context_type": "conversation_fact", "summary": "a note"}]}
            """)
        let entityBefore = try #require(try await store.lookup(user, key: "sarah-chen"))
        func rows() async throws -> [[String?]] {
            try await TestDatabase.asSuperuser { connection in
                try await connection.query(
                    """
                    SELECT node_key, context_type, summary, content::text, entity_id, deleted_at::text FROM memory.nodes
                    WHERE user_id = \(user.rawValue) ORDER BY node_key
                    """, logger: TestDatabase.logger
                ).collect().map {
                    let (a, b, c, d, e, f) = try $0.decode((String?, String?, String?, String?, String?, String?).self)
                    return [a, b, c, d, e, f]
                }
            }
        }
        let before = try await rows()
        let plainOntoEntity = try load("""
            {"nodes": [{"key": "sarah-chen", "context_type": "conversation_fact", "summary": "Sarah likes tea"}]}
            """)
        let entityOntoPlain = try load("""
            {"nodes": [{"key": "note", "context_type": "domain_entity", "summary": "N",
                        "content": {"entity_system": "crm", "entity_id": "n1"}}]}
            """)
        for (graph, path, holder, this) in [(plainOntoEntity, "probe.json: $.nodes[0].key", "the entity crm/c1", "memory"),
                                            (entityOntoPlain, "probe.json: $.nodes[0].key", "a node that is not an entity", "entity")] {
            let error = try await #require(throws: RepositoriesError.self) { try await store.importGraph(user, graph) }
            #expect(error.code == .conflict)
            #expect(error.message.contains(path) && error.message.contains("is already \(holder)'s; give this \(this) another key"), "\(error)")
        }
        // One memory at a time, as the API stores it: the same conflict.
        let single = try await #require(throws: RepositoriesError.self) {
            try await store.remember(user, MemoryNode(key: "sarah-chen", contextType: .conversationFact, summary: "Sarah likes tea"))
        }
        #expect(single.code == .conflict && single.message.contains("already an entity's"), "\(single)")
        #expect(try await rows() == before)
        #expect(try await store.lookup(user, key: "sarah-chen")?.contextType == entityBefore.contextType)
        // A memory that is not an entity still merges into another under its key.
        _ = try await store.remember(user, MemoryNode(key: "note", contextType: .toolOutput, summary: "a note, again"))
        #expect(try await store.lookup(user, key: "note")?.summary == "a note, again")
    }

    /// A name-only memory stored one at a time was a plain node; importing the same record (or an
    /// export of it) added a second one instead of merging (found by a probe).
    @Test("a memory known only by its name is the same node whether remembered or imported")
    func nameOnlyNodesAreOneWhateverTheirPath() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let remembered = try await store.remember(
            user, MemoryNode(contextType: .toolOutput, summary: "name only", content: ["entity_name": "Only Name"]))
        let summary = try await store.importGraph(user, try load("""
            {"nodes": [{"context_type": "tool_output", "summary": "name only, again", "content": {"entity_name": "Only Name"}}]}
            """))
        #expect(summary.inserted == 0 && summary.merged == 1, "\(summary)")
        #expect(try await store.stats(user).totalNodes == 1)
        let found = try #require(try await store.lookup(user, key: "only-name"))
        #expect(found.id == remembered.nodeID && found.summary == "name only, again")
    }

    @Test("dates that do not exist are errors, not the next day")
    func impossibleDates() throws {
        for text in ["2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T10:60:00Z",
                     "2016-12-31T23:59:60Z", "0000-01-01T00:00:00Z"] {
            #expect(DateTimeText.parse(text) == nil, "\(text)")
            let problems = FixtureLoader.validate(
                data: Data(#"{"nodes": [{"context_type": "conversation_fact", "summary": "x", "created_at": "\#(text)"}]}"#.utf8),
                name: "dates.json", format: .json).problems
            #expect(problems.first?.location.path == "$.nodes[0].created_at", "\(text): \(problems)")
        }
        #expect(DateTimeText.parse("2024-02-29T12:30:59.250Z") != nil)
        #expect(DateTimeText.parse("2026-05-08T13:56:00+02:00") != nil)
        #expect(throws: RemSyntaxError.self) { try RemParser.parse("RECALL x SINCE 2024-02-30T00:00:00Z") }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
