import Foundation
import MemoryGraph
import Testing

@Suite("Model", .timeLimit(.minutes(5)))
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

    @Test("the compact writer's text parses back to the same value, for random values")
    func compactWriterRoundTrips() throws {
        var random = SplitMix64(seed: 0x15_0A)
        let alphabet = Array("aZ09 _-/\\\"\n\r\t\u{8}\u{C}\u{1}\u{1F}\u{7F}éß漢🙂")
        func string() -> String {
            String((0..<Int(random.next() % 12)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        }
        func value(depth: Int) -> JSONValue {
            switch random.next() % (depth > 2 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(random.next() % 2 == 0)
            case 2:
                let numbers: [Double] = [0, -0.0, 1, -7, 1.5, 0.1, 1e-5, 123_456_789_012_345, 1e15, 1e300, -2.5e-300, .pi]
                return .number(random.next() % 3 == 0 ? Double(Int64(bitPattern: random.next()) >> 20) : numbers[Int(random.next() % UInt64(numbers.count))])
            case 3: return .string(string())
            case 4: return .array((0..<Int(random.next() % 4)).map { _ in value(depth: depth + 1) })
            default:
                return .object(Dictionary((0..<Int(random.next() % 4)).map { _ in (string(), value(depth: depth + 1)) }, uniquingKeysWith: { $1 }))
            }
        }
        for _ in 0..<2_000 {
            let original = value(depth: 0)
            #expect(try JSONValue.parse(original.compactJSON()) == original)
            #expect(try JSONValue.parse(original.compactJSON(sortedKeys: true)) == original)
        }
    }

    @Test("the compact writer escapes quotes, backslashes and control characters, and sorts keys on request")
    func compactWriterText() {
        let value: JSONValue = ["b": [1, 1.5, "a/b \"q\" \\ \n\u{1}"], "a": [true, nil], "c": 1e20]
        #expect(value.compactJSON(sortedKeys: true) == #"{"a":[true,null],"b":[1,1.5,"a/b \"q\" \\ \n\u0001"],"c":1e+20}"#)
        let keys = (0..<50).map { "k\($0)" }
        let many = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.null) }))
        #expect(many.compactJSON(sortedKeys: true) == "{" + keys.sorted().map { "\"\($0)\":null" }.joined(separator: ",") + "}")
        #expect(JSONValue.number(.nan).compactJSON() == "NaN")  // rejected by any JSON parser, never silently changed
        #expect(throws: (any Error).self) { try JSONValue.parse(JSONValue.array([.number(.infinity)]).compactJSON()) }
    }

    @Test("JSONValue.parse reads any JSON value and names the line and column of an error")
    func parseErrors() throws {
        #expect(try JSONValue.parse(" {\"a\": [1, -2.5e3, \"\\u00e9\\ud83d\\ude00\"], \"b\": {}} ") == ["a": [1, -2500, "é😀"], "b": [:]])
        #expect(try JSONValue.parse("\"x\"") == "x")
        #expect(try JSONValue.parse("null") == .null)
        for (text, place) in [("{\"a\": 1,\n \"a\": 2}", "line 2, column 2"), ("[1, 2", "line 1, column 6"), ("", "line 1, column 1"),
                              ("{} x", "line 1, column 4"), ("1e999", "line 1, column 1")] {
            let error = try #require(throws: MemoryGraphError.self) { try JSONValue.parse(text) }
            #expect(error.code == .invalidInput)
            #expect(error.message.contains(place), "\(text): \(error.message)")
        }
    }

    @Test("text from outside may not hold a number a Double would change; Postgres's own jsonb is read as it can be")
    func numbersADoubleWouldChange() throws {
        let safe = "[9007199254740991, -9007199254740991, 0, -0, 0e5, 0.000, 1e300, 12345678901234567.0, 2.5e-300]"
        let read = try JSONValue.parse(input: Array(safe.utf8))
        #expect(read == [9_007_199_254_740_991, -9_007_199_254_740_991, 0, 0, 0, 0, 1e300, 12_345_678_901_234_568, 2.5e-300])
        // The largest safe integer is written back digit for digit; beyond it, as a Double (which
        // reads back as input: a fraction or exponent says the writer meant a Double).
        #expect(JSONValue.number(9_007_199_254_740_991).compactJSON() == "9007199254740991")
        for large in [9_007_199_254_740_992, 1e17, -1e20] {
            let text = JSONValue.array([.number(large)]).compactJSON()
            #expect(text.contains(".") || text.contains("e"), "\(text)")
            #expect(try JSONValue.parse(input: Array(text.utf8)) == [.number(large)])
        }
        for (text, message) in [("9007199254740992", "beyond ±9007199254740991"), ("[1, -123456789012345678901]", "beyond ±9007199254740991"),
                                ("{\"x\": 1e-400}", "too small"), ("-0.1e-330", "too small")] {
            let error = try #require(throws: MemoryGraphError.self) { try JSONValue.parse(input: Array(text.utf8)) }
            #expect(error.message.contains(message), "\(text): \(error.message)")
            #expect(try JSONValue.parse(bytes: Array(text.utf8)) != .null, "\(text): read from Postgres as a Double holds it")
        }
    }

    @Test("validation names the field at fault")
    func validation() {
        let cases: [(MemoryNode, String)] = [
            (MemoryNode(contextType: .domainEntity, content: ["entity_id": "1"]), "entity_system"),
            (MemoryNode(contextType: .toolOutput, baseRelevance: 2), "base_relevance"),
            (MemoryNode(key: "", contextType: .toolOutput), "key"),
            (MemoryNode(contextType: .domainEntity, content: ["entity_id": "1", "entity_system": "s", "entity_data": [1]]), "entity_data"),
            (MemoryNode(contextType: .temporaryState), "temporary_state"),
            (MemoryNode(contextType: .toolOutput, content: ["rows": .number(.nan)]), "finite"),
            (MemoryNode(contextType: .toolOutput, metadata: ["score": [.number(-.infinity)]]), "finite"),
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

    @Test("user ids are equal byte for byte, as in Postgres, not by canonical equivalence")
    func userIDsCompareBytes() throws {
        let composed = try UserID("caf\u{E9}")  // é, one scalar
        let decomposed = try UserID("cafe\u{301}")  // e + combining acute
        #expect(composed.rawValue == decomposed.rawValue)  // Swift's String equality says equal...
        #expect(composed != decomposed)  // ...the user ids are two users
        #expect(Set([composed, decomposed, try UserID("caf\u{E9}")]).count == 2)
        #expect(try UserID("\u{212B}") != UserID("\u{C5}"))  // the angstrom sign and Å
    }
}
