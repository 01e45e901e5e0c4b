import Foundation
import MemoryGraph
import Testing

@Suite("Fixture loader: JSON and JSONL text", .timeLimit(.minutes(5)))
struct FixtureFormatTests {
    func load(_ text: String, _ format: FixtureLoader.Format, name: String = "t") throws -> FixtureSet {
        try FixtureLoader.load(data: Data(text.utf8), name: name, format: format)
    }

    /// The first problem's text for a document that must fail.
    func problem(_ text: String, _ format: FixtureLoader.Format) throws -> String {
        let error = try #require(throws: MemoryGraphError.self) { try load(text, format) }
        return String(error.message.split(separator: "\n")[0])
    }

    @Test("JSONL: user, node and relationship lines; blank lines, CRLF and a byte order mark")
    func jsonl() throws {
        let text = "\u{FEFF}{\"user_id\": \"u1\"}\r\n\n"
            + #"{"kind": "node", "key": "a", "context_type": "tool_output", "summary": "x", "tags": ["t"], "base_relevance": 1}"# + "\r\n"
            + "   \n"
            + #"{"kind": "node", "context_type": "domain_entity", "content": {"entity_system": "s", "entity_id": "1", "entity_name": "Zoë Ångström"}}"# + "\n"
            + #"{"kind": "relationship", "from": "a", "to": "zoë-ångström", "type": "produces"}"# + "\n"
            + #"{"kind": "user", "user_id": "u1"}"#
        let set = try load(text, .jsonl)
        #expect(set.userID?.rawValue == "u1")
        #expect(set.nodes.map(\.key) == ["a", "zoë-ångström"])
        #expect(set.nodes.map(\.location.line) == [3, 5])
        #expect(set.nodes[0].node.baseRelevance == 1)
        #expect(set.nodes[1].node.baseRelevance == 0.5)
        #expect(set.relationships == [FixtureRelationship(
            fromKey: "a", toKey: "zoë-ångström", type: .produces, strength: 1, location: FixtureLocation(file: "t", line: 6, path: "$"))])
        #expect(set.unresolvedReferences.isEmpty)
    }

    @Test("JSONL errors name the line", arguments: [
        (#"{"key": "a", "context_type": "tool_output"}"#, #"t: line 1: missing "kind": each line needs "kind""#),
        (#"{"kind": 3}"#, "t: line 1: $.kind: expected a string"),
        ("[1, 2]", "t: line 1: expected a JSON object with a \"kind\", found an array"),
        (#"{"kind": "user"}"#, #"t: line 1: a user line needs a "user_id""#),
        (#"{"kind": "user", "user_id": ""}"#, "t: line 1: $.user_id: a user id must be 1 to 256 bytes"),
        ("{\"kind\": \"node\"", "t: line 1, column 16: invalid JSON: expected \",\" or \"}\" in an object, found the end of the text"),
        (#"{"kind": "node", "context_type": "tool_output"} {}"#, "t: line 1, column 49: invalid JSON: expected the end of the JSON text"),
        (#"{"kind": "relationship", "from": "", "to": "b", "type": "led_to"}"#, "t: line 1: $.from: expected a key, found an empty string"),
        (#"{"kind": "relationship", "to": "b", "type": "led_to"}"#, #"t: line 1: missing the required field "from""#),
    ])
    func jsonlErrors(line: String, expected: String) throws {
        #expect(try problem(line, .jsonl).hasPrefix(expected))
    }

    @Test("JSON text errors name the line and column", arguments: [
        ("{\n  \"nodes\": [,]\n}", "t: line 2, column 13: invalid JSON: expected a JSON value, found \",\""),
        ("{\"nodes\": [], \"nodes\": []}", #"t: line 1, column 15: invalid JSON: the member "nodes" appears twice"#),
        ("{\"nodes\": [] \"x\": 1}", #"t: line 1, column 14: invalid JSON: expected "," or "}" in an object, found a string"#),
        ("{\"user_id\": \"a\nb\"}", "t: line 1, column 15: invalid JSON: a control character must be escaped"),
        ("{\"user_id\": \"abc}", "t: line 1, column 13: invalid JSON: this string has no closing double quote"),
        (#"{"user_id": "\x"}"#, "t: line 1, column 14: invalid JSON: unknown escape sequence"),
        (#"{"user_id": "\ud800"}"#, "t: line 1, column 14: invalid JSON: a high surrogate"),
        (#"{"user_id": "a\u0000"}"#, "t: line 1, column 15: invalid JSON: \\u0000 cannot be stored"),
        (#"{"user_id": "\u12"}"#, "t: line 1, column 14: invalid JSON: a \\u escape needs four hexadecimal digits"),
        (#"{"nodes": [01]}"#, "t: line 1, column 12: invalid JSON: malformed number"),
        (#"{"nodes": [1.]}"#, "t: line 1, column 12: invalid JSON: malformed number"),
        (#"{"nodes": [-]}"#, "t: line 1, column 12: invalid JSON: malformed number"),
        (#"{"nodes": [1e999]}"#, "t: line 1, column 12: invalid JSON: this number is too large"),
        (#"{"nodes": [9007199254740992]}"#, "t: line 1, column 12: invalid JSON: this integer is beyond ±9007199254740991"),
        (#"{"nodes": [-12345678901234567890]}"#, "t: line 1, column 12: invalid JSON: this integer is beyond ±9007199254740991"),
        (#"{"nodes": [1e-400]}"#, "t: line 1, column 12: invalid JSON: this number is too small: it would be kept as 0"),
        (#"{"nodes": [True]}"#, #"t: line 1, column 12: invalid JSON: expected a JSON value, found "True""#),
        (#"{nodes: []}"#, #"t: line 1, column 2: invalid JSON: expected a member name in double quotes, found "nodes""#),
        ("{\"nodes\": []} x", #"t: line 1, column 15: invalid JSON: expected the end of the JSON text, found "x""#),
        ("é{}", #"t: line 1, column 1: invalid JSON: expected a JSON value, found "é""#),
        ("  \n\t ", "t: the file is empty"),
        ("[]", "t: $: expected a JSON object with \"nodes\" and \"relationships\", found an array"),
        (String(repeating: "[", count: 300), "t: line 1, column 201: invalid JSON: the JSON nests deeper than 200 levels"),
    ])
    func jsonErrors(text: String, expected: String) throws {
        #expect(try problem(text, .json).hasPrefix(expected))
    }

    @Test("strings decode every JSON escape, including surrogate pairs")
    func escapes() throws {
        let text = #"{"nodes": [{"context_type": "tool_output", "summary": "q\" b\\ s\/ \b\f\n\r\t \u00e9 \uD83D\uDE00 é"}]}"#
        let set = try load(text, .json)
        #expect(set.nodes[0].node.summary == "q\" b\\ s/ \u{8}\u{C}\n\r\t é 😀 é")
    }

    @Test("field types are checked with the path of the field", arguments: [
        (#"{"user_id": 5}"#, "t: $.user_id: expected a string, found a number"),
        (#"{"nodes": {}}"#, "t: $.nodes: expected an array of nodes, found an object"),
        (#"{"relationships": null}"#, "t: $.relationships: expected an array of relationships, found null"),
        (#"{"nodes": [3]}"#, "t: $.nodes[0]: expected a node object, found a number"),
        (#"{"nodes": [{"context_type": 1}]}"#, "t: $.nodes[0].context_type: expected a string, found a number"),
        (#"{"nodes": [{"context_type": "tool_output", "key": ""}]}"#, "t: $.nodes[0].key: a key must be 1 to 255 bytes"),
        (#"{"nodes": [{"context_type": "tool_output", "key": "a\tb"}]}"#, "t: $.nodes[0].key: a key must not hold control characters"),
        (#"{"nodes": [{"context_type": "tool_output", "key": "   "}]}"#, "t: $.nodes[0].key: a key must not be only spaces"),
        (#"{"nodes": [{"context_type": "tool_output", "tags": ["a", 1]}]}"#, "t: $.nodes[0].tags[1]: expected a string, found a number"),
        (#"{"nodes": [{"context_type": "tool_output", "metadata": []}]}"#, "t: $.nodes[0].metadata: expected an object, found an array"),
        (#"{"nodes": [{"context_type": "tool_output", "content": "x"}]}"#, "t: $.nodes[0].content: expected an object, found a string"),
        (#"{"nodes": [{"context_type": "tool_output", "base_relevance": true}]}"#, "t: $.nodes[0].base_relevance: expected a number from 0 to 1, found a boolean"),
        (#"{"nodes": [{"context_type": "domain_entity", "content": {"entity_system": "s", "entity_id": 7}}]}"#, "t: $.nodes[0].content.entity_id: expected a string, found a number"),
        (#"{"nodes": [{"context_type": "domain_entity", "content": {"entity_system": "s", "entity_id": "1", "entity_data": []}}]}"#, "t: $.nodes[0].content.entity_data: expected an object, found an array"),
        (#"{"nodes": [{"context_type": "tool_output", "odd key": 1}]}"#, #"t: $.nodes[0]["odd key"]: unknown field "odd key" in a node"#),
        (#"{"relationships": [{"from": "a", "to": "b", "type": "led_to", "metadata": 1}]}"#, "t: $.relationships[0].metadata: expected an object, found a number"),
        (#"{"relationships": [{"from": "a", "to": "b", "type": "led_to", "strenght": 1}]}"#, #"t: $.relationships[0].strenght: unknown field "strenght" in a relationship; did you mean "strength"?"#),
    ])
    func fieldTypes(text: String, expected: String) throws {
        #expect(try problem(text, .json).hasPrefix(expected))
    }

    @Test("a key may repeat for the same entity, or without an entity, but not for two entities nor an entity and a node that is not one")
    func keys() throws {
        let same = #"""
            {"nodes": [
              {"key": "k", "context_type": "domain_entity", "content": {"entity_system": "s", "entity_id": "1"}},
              {"key": "k", "context_type": "domain_entity", "content": {"entity_system": "s", "entity_id": "1"}},
              {"key": "j", "context_type": "conversation_fact"},
              {"key": "j", "context_type": "tool_output"}
            ]}
            """#
        #expect(try load(same, .json).nodes.count == 4)
        // An entity's written key on a node that is not an entity, before or after it.
        for (first, second, at) in [("domain_entity", "conversation_fact", "$.nodes[1].key"), ("conversation_fact", "domain_entity", "$.nodes[0].key")] {
            let entity = #"{"key": "k", "context_type": "domain_entity", "content": {"entity_system": "s", "entity_id": "1"}}"#
            let plain = #"{"key": "k", "context_type": "conversation_fact"}"#
            let text = #"{"nodes": ["# + [first, second].map { $0 == "domain_entity" ? entity : plain }.joined(separator: ", ") + "]}"
            #expect(try problem(text, .json).hasPrefix(#"t: \#(at): the key "k" is an entity's at t: $.nodes["#), "\(first), \(second)")
        }
        // The derived key of one entity collides with the explicit key of another.
        let derived = #"""
            {"nodes": [
              {"key": "acme", "context_type": "domain_entity", "content": {"entity_system": "s", "entity_id": "1"}},
              {"context_type": "domain_entity", "content": {"entity_system": "s", "entity_id": "2", "entity_name": "ACME"}}
            ]}
            """#
        #expect(try problem(derived, .json).hasPrefix(#"t: $.nodes[1].content.entity_name: the key "acme" already names a different entity"#))
    }

    @Test("file extensions decide the format, case-insensitively")
    func formats() {
        #expect(FixtureLoader.Format(fileName: "a.JSONL") == .jsonl)
        #expect(FixtureLoader.Format(fileName: "a.json") == .json)
        #expect(FixtureLoader.Format(fileName: "a.txt") == nil)
    }
}
