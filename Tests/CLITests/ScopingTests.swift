import Foundation
import MemoryGraph
import Testing

@Suite("user scoping in every command", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct ScopingTests {
    @Test("--user B never sees user A's nodes")
    func otherUserSeesNothing() async throws {
        let alice = try await crmUser()
        let bob = freshUser()
        let aliceBefore = try await Snapshot.of(alice)
        let b = bob.rawValue

        for query in ["LOOKUP sarah-chen", "FUZZY sarah chen", "TRAVERSE acme-corp"] {
            let run = try await Memgraph.run(["query", query, "--user", b, "--json"])
            #expect(run.status == 0, "\(run)")
            #expect(try run.json()["results"] == .array([]), "\(query): \(run)")
        }
        for arguments in [
            ["explore", "acme-corp"], ["path", "sarah-chen", "acme-corp"], ["node", "get", "sarah-chen"],
            ["node", "rm", "sarah-chen"], ["relate", "sarah-chen", "acme-corp", "--type", "relates_to"],
        ] {
            let run = try await Memgraph.run(arguments + ["--user", b])
            #expect(run.status == 1, "\(arguments): \(run)")
            #expect(run.stderr.contains("no node has the key"), "\(arguments): \(run)")
            #expect(!run.stdout.contains("Sarah"), "\(arguments): \(run)")
        }
        let stats = try await Memgraph.run(["stats", "--user", b, "--json"])
        #expect(try stats.json()["total_nodes"] == .number(0))
        let shell = try await Memgraph.run(["shell", "--user", b], input: "LOOKUP sarah-chen\nFUZZY sarah\nopen sarah-chen\n")
        #expect(!shell.stdout.contains("sarah"), "\(shell)")
        // Bob's import cannot point at Alice's keys.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("""
            {"nodes": [{"key": "bob-note", "context_type": "conversation_fact", "summary": "A note."}],
             "relationships": [{"from": "bob-note", "to": "sarah-chen", "type": "relates_to"}]}
            """.utf8).write(to: file)
        let run = try await Memgraph.run(["import", file.path, "--user", b])
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("no node has the key \"sarah-chen\""), "\(run)")
        // Cleanup of everything Bob has leaves Alice alone.
        #expect(try await Memgraph.run(["cleanup", "--user", b, "--older-than", "0s"]).status == 0)

        #expect(try await Snapshot.of(alice) == aliceBefore)
        #expect(try await Snapshot.of(bob) == Snapshot.of(freshUser()))
    }
}
