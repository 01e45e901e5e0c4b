import Foundation
import MemoryGraph
import Testing

@Suite("Model")
struct ModelTests {
    @Test("natural keys are lower-case with runs of non-alphanumerics as one dash", arguments: [
        ("Sarah Chen", "sarah-chen"), ("Acme Corp.", "acme-corp"), ("  O'Brien & Sons  ", "o-brien-sons"),
        ("Zoë Ångström", "zoë-ångström"), ("---", nil), ("ACC-001", "acc-001"),
    ])
    func naturalKey(input: String, expected: String?) {
        #expect(NodeKey.normalize(input) == expected)
    }

    @Test("JSON values round-trip and integers stay integers")
    func json() throws {
        let value: JSONValue = ["a": 1, "b": [true, nil, "x"], "c": 1.5]
        #expect(try JSONValue.parse(value.jsonText()) == value)
        #expect(value.jsonText() == #"{"a":1,"b":[true,null,"x"],"c":1.5}"#)
    }

    @Test("validation names the field at fault")
    func validation() {
        let cases: [(MemoryNode, String)] = [
            (MemoryNode(contextType: .domainEntity, content: ["entity_id": "1"]), "entity_system"),
            (MemoryNode(contextType: .toolOutput, baseRelevance: 2), "base_relevance"),
            (MemoryNode(key: "", contextType: .toolOutput), "key"),
            (MemoryNode(contextType: .domainEntity, content: ["entity_id": "1", "entity_system": "s", "entity_data": [1]]), "entity_data"),
            (MemoryNode(contextType: .temporaryState), "temporary_state"),
        ]
        for (node, field) in cases {
            do {
                try node.validate()
                Issue.record("accepted a node with a bad \(field)")
            } catch let error as MemoryGraphError {
                #expect(error.description.contains(field))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test("user ids must be non-empty, bounded and free of control characters")
    func userIDs() {
        #expect(throws: MemoryGraphError.self) { try UserID("") }
        #expect(throws: MemoryGraphError.self) { try UserID("a\u{0}b") }
        #expect(throws: MemoryGraphError.self) { try UserID(String(repeating: "x", count: 300)) }
        #expect((try? UserID("user-1"))?.rawValue == "user-1")
    }
}
