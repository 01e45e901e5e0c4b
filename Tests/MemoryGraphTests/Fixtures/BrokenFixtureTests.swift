import Foundation
import MemoryGraph
import Testing

@Suite("Fixture loader: broken input", .timeLimit(.minutes(5)))
struct BrokenFixtureTests {
    /// A broken file under `fixtures/broken` and what its first problem must say.
    struct Case: Sendable, CustomTestStringConvertible {
        let file: String
        let location: String
        let message: String
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "invalid-json.json", location: "line 4, column 5", message: #"invalid JSON: expected "," or "]" in an array"#),
        Case(file: "invalid-utf8.json", location: "line 3, column 81", message: "not valid UTF-8 (byte 0xFF)"),
        Case(file: "empty.json", location: "", message: "the file is empty"),
        Case(file: "unknown-context-type.json", location: "$.nodes[1].context_type", message: #"unknown context type "meeting_note" (expected one of: search_result"#),
        Case(file: "unknown-relationship-type.json", location: "$.relationships[0].type", message: #"unknown relationship type "works_at""#),
        Case(file: "conflicting-key.json", location: "$.nodes[1].key", message: #"the key "acme" already names a different entity"#),
        Case(file: "wrong-types.json", location: "$.nodes[0].summary", message: "expected a string, found a number"),
        Case(file: "strength-out-of-range.json", location: "$.relationships[0].strength", message: "expected a number from 0 to 1, found 1.5"),
        Case(file: "base-relevance-out-of-range.json", location: "$.nodes[0].base_relevance", message: "expected a number from 0 to 1, found -0.2"),
        Case(file: "summary-too-long.json", location: "$.nodes[0].summary", message: "the summary is 9999 bytes; the limit is 8192 bytes"),
        Case(file: "entity-without-system.json", location: "$.nodes[0]", message: "an entity needs both entity_system and entity_id"),
        Case(file: "unknown-field.json", location: "$.relations", message: #"unknown field "relations" in a fixture file"#),
        Case(file: "temporary-state.json", location: "$.nodes[0].context_type", message: "temporary_state cannot be imported"),
        Case(file: "bad-line.jsonl", location: "line 4, column 89", message: #"invalid JSON: expected a member name in double quotes, found "strength""#),
        Case(file: "bad-record.jsonl", location: "line 4: $.type", message: #"unknown relationship type "employed_by""#),
        Case(file: "user-conflict.jsonl", location: "line 3: $.user_id", message: #"user_id "bob" differs from "alice""#),
        Case(file: "mixed-directory", location: "mixed-directory/b-contacts.json: $.relationships[0].strength", message: "found 2"),
        Case(file: "does-not-exist.json", location: "", message: "no such file or directory"),
    ]

    @Test("each broken file fails with its file, its path or line, and what is wrong", arguments: cases)
    func broken(_ testCase: Case) throws {
        let url = fixture("broken/" + testCase.file)
        let error = try #require(throws: MemoryGraphError.self) { try FixtureLoader.load(paths: [url]) }
        #expect(error.code == .invalidInput)
        let first = String(error.message.split(separator: "\n")[0])
        let prefix = testCase.location.isEmpty ? "\(url.path): " : "\(testCase.location): "
        #expect(first.contains(testCase.file), "\(first)")
        #expect(first.contains(prefix), "\(first)")
        #expect(first.contains(testCase.message), "\(first)")
    }

    @Test("every problem is listed, not only the first")
    func allProblems() throws {
        let (_, problems) = FixtureLoader.validate(paths: [fixture("broken/wrong-types.json")])
        #expect(problems.map(\.location.path) == ["$.nodes[0].summary", "$.nodes[0].tags", "$.relationships[0].strength"])
        let (_, typos) = FixtureLoader.validate(paths: [fixture("broken/unknown-field.json")])
        #expect(typos.contains { $0.message == #"unknown field "contxt_type" in a node; did you mean "context_type"?"# })
    }

    @Test("messages never quote summaries or content")
    func noContent() throws {
        for file in ["wrong-types.json", "summary-too-long.json", "conflicting-key.json", "invalid-utf8.json"] {
            let (_, problems) = FixtureLoader.validate(paths: [fixture("broken/" + file)])
            for problem in problems {
                #expect(!problem.description.contains("Acme Corp"), "\(problem)")
                #expect(!problem.description.contains("customer"), "\(problem)")
                #expect(!problem.description.contains("ACC-"), "\(problem)")
            }
        }
    }

    @Test("a relationship to an undefined key is not a problem but an unresolved reference")
    func missingKey() throws {
        let set = try FixtureLoader.load(paths: [fixture("broken/missing-key.json")])
        #expect(set.unresolvedReferences.map(\.key) == ["no-such-company"])
        #expect(set.unresolvedReferences[0].location.path == "$.relationships[0].to")
        // The same key defined by another file resolves it.
        let other = Data(#"{"kind":"node","key":"no-such-company","context_type":"domain_entity"}"#.utf8)
        let merged = try FixtureLoader.load(data: other, name: "extra.jsonl", format: .jsonl)
        #expect(merged.nodes.count == 1)
    }

    @Test("no user_id leaves userID nil for the CLI to ask for --user")
    func noUser() throws {
        #expect(try FixtureLoader.load(paths: [fixture("broken/no-user.json")]).userID == nil)
    }

    @Test("a directory's good files are still read when one is bad")
    func mixedDirectory() {
        let (set, problems) = FixtureLoader.validate(paths: [fixture("broken/mixed-directory")])
        #expect(problems.count == 1)
        #expect(set.files.count == 3)
        #expect(set.nodes.count == 3)
    }

    @Test("at most 20 problems are reported, and the cut is said")
    func limit() throws {
        let nodes = (0..<30).map { _ in #"{"context_type": "nope"}"# }.joined(separator: ",")
        let data = Data(#"{"nodes": [\#(nodes)]}"#.utf8)
        let error = try #require(throws: MemoryGraphError.self) {
            try FixtureLoader.load(data: data, name: "many.json", format: .json)
        }
        let lines = error.message.split(separator: "\n")
        #expect(lines.count == 21)
        #expect(lines.last == "(stopped after 20 problems)")
        #expect(lines[19].hasPrefix("many.json: $.nodes[19].context_type: "))
    }
}
