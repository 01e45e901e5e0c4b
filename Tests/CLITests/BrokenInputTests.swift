import Foundation
import MemoryGraph
import Testing

@Suite("memgraph import of broken input", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct BrokenInputTests {
    /// A broken fixture (see fixtures/broken/README.md) and what stderr must say about it.
    struct Case: Sendable, CustomTestStringConvertible {
        var kind: String
        var path: String
        var expected: String
        var testDescription: String { kind }
    }

    static let cases: [Case] = [
        .init(kind: "invalid JSON", path: "fixtures/broken/invalid-json.json",
              expected: "fixtures/broken/invalid-json.json: line 4, column 5: invalid JSON"),
        .init(kind: "invalid UTF-8", path: "fixtures/broken/invalid-utf8.json",
              expected: "fixtures/broken/invalid-utf8.json: line 3, column 81: not valid UTF-8"),
        .init(kind: "empty file", path: "fixtures/broken/empty.json",
              expected: "fixtures/broken/empty.json: the file is empty"),
        .init(kind: "unknown context_type", path: "fixtures/broken/unknown-context-type.json",
              expected: "fixtures/broken/unknown-context-type.json: $.nodes[1].context_type: unknown context type \"meeting_note\""),
        .init(kind: "unknown relationship type", path: "fixtures/broken/unknown-relationship-type.json",
              expected: "fixtures/broken/unknown-relationship-type.json: $.relationships[0].type: unknown relationship type \"works_at\""),
        .init(kind: "relationship to a missing key", path: "fixtures/broken/missing-key.json",
              expected: "fixtures/broken/missing-key.json: $.relationships[0].to: no node has the key \"no-such-company\""),
        .init(kind: "same key, different entities", path: "fixtures/broken/conflicting-key.json",
              expected: "fixtures/broken/conflicting-key.json: $.nodes[1].key: the key \"acme\" already names a different entity"),
        .init(kind: "wrong value types", path: "fixtures/broken/wrong-types.json",
              expected: "fixtures/broken/wrong-types.json: $.nodes[0].summary: expected a string, found a number"),
        .init(kind: "strength outside 0..1", path: "fixtures/broken/strength-out-of-range.json",
              expected: "fixtures/broken/strength-out-of-range.json: $.relationships[0].strength: expected a number from 0 to 1, found 1.5"),
        .init(kind: "summary over the size limit", path: "fixtures/broken/summary-too-long.json",
              expected: "fixtures/broken/summary-too-long.json: $.nodes[0].summary: the summary is 9999 bytes; the limit is 8192 bytes"),
        .init(kind: "a directory with one bad file among good ones", path: "fixtures/broken/mixed-directory",
              expected: "fixtures/broken/mixed-directory/b-contacts.json: $.relationships[0].strength: expected a number from 0 to 1, found 2"),
        .init(kind: "base_relevance outside 0..1", path: "fixtures/broken/base-relevance-out-of-range.json",
              expected: "fixtures/broken/base-relevance-out-of-range.json: $.nodes[0].base_relevance: expected a number from 0 to 1, found -0.2"),
        .init(kind: "half an entity identity", path: "fixtures/broken/entity-without-system.json",
              expected: "fixtures/broken/entity-without-system.json: $.nodes[0]: an entity needs both entity_system and entity_id"),
        .init(kind: "unknown field", path: "fixtures/broken/unknown-field.json",
              expected: "fixtures/broken/unknown-field.json: $.nodes[0].contxt_type: unknown field \"contxt_type\""),
        .init(kind: "temporary_state", path: "fixtures/broken/temporary-state.json",
              expected: "fixtures/broken/temporary-state.json: $.nodes[0].context_type: temporary_state cannot be imported"),
        .init(kind: "invalid JSON on a JSONL line", path: "fixtures/broken/bad-line.jsonl",
              expected: "fixtures/broken/bad-line.jsonl: line 4, column 89: invalid JSON"),
        .init(kind: "bad JSONL records", path: "fixtures/broken/bad-record.jsonl",
              expected: "fixtures/broken/bad-record.jsonl: line 5: $.kind: unknown kind \"edge\""),
        .init(kind: "user_ids that disagree", path: "fixtures/broken/user-conflict.jsonl",
              expected: "fixtures/broken/user-conflict.jsonl: line 3: $.user_id: user_id \"bob\" differs from \"alice\""),
        .init(kind: "a path that does not exist", path: "fixtures/broken/does-not-exist.json",
              expected: "fixtures/broken/does-not-exist.json: no such file or directory"),
    ]

    @Test("exits 1, names the file and the JSON path or line, and changes no row", arguments: cases)
    func refused(_ broken: Case) async throws {
        let user = freshUser()
        // A user with a graph already, so that a partial write would show.
        #expect(try await Memgraph.importFixtures(["fixtures/crm.json"], user: user).status == 0)
        let before = try await Snapshot.of(user)
        for extra in [[], ["--dry-run"]] {
            let run = try await Memgraph.run(["import", broken.path, "--user", user.rawValue] + extra)
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains(broken.expected), "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
        }
        #expect(try await Snapshot.of(user) == before)
    }

    @Test("the good files of a directory with a bad one are not imported either")
    func mixedDirectoryWritesNothing() async throws {
        let user = freshUser()
        let run = try await Memgraph.run(["import", "fixtures/broken/mixed-directory", "--user", user.rawValue])
        #expect(run.status == 1, "\(run)")
        #expect(try await Snapshot.of(user) == Snapshot.of(freshUser()))
        let lookup = try await Memgraph.run(["query", "FUZZY acme", "--user", user.rawValue, "--json"])
        #expect(try lookup.json()["results"] == .array([]))
    }

    @Test("no user, neither --user nor user_id: exit 1, naming the file")
    func noUser() async throws {
        let run = try await Memgraph.run(["import", "fixtures/broken/no-user.json"])
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("fixtures/broken/no-user.json: no user"), "\(run)")
        #expect(run.stderr.contains("--user"), "\(run)")
        #expect(run.stdout.isEmpty)
    }

    @Test("the whole broken directory reports several problems at once")
    func brokenDirectory() async throws {
        let run = try await Memgraph.run(["import", "fixtures/broken", "--user", freshUser().rawValue])
        #expect(run.status == 1, "\(run)")
        let problems = run.stderr.split(separator: "\n").filter { $0.hasPrefix("memgraph: fixtures/broken/") }
        #expect(problems.count >= 10, "\(run)")
        #expect(run.stderr.contains("skipped fixtures/broken/mixed-directory"), "\(run)")
    }
}
