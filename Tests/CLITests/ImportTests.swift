import Foundation
import MemoryGraph
import Testing

@Suite("memgraph import", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct ImportTests {
    /// The counts `stats --json` gives, without last_activity.
    static func counts(_ user: UserID) async throws -> JSONValue {
        let run = try await Memgraph.run(["stats", "--user", user.rawValue, "--json"])
        #expect(run.status == 0, "\(run)")
        var stats = try run.json().objectValue ?? [:]
        stats["last_activity"] = nil
        return .object(stats)
    }

    @Test("each fixture imports, and importing it again changes no counts", arguments: [
        ["fixtures/crm.json"], ["fixtures/support.jsonl"], ["fixtures/engineering"],
        ["fixtures/crm.json", "fixtures/support.jsonl", "fixtures/engineering"],
    ])
    func importsTwice(paths: [String]) async throws {
        let user = freshUser()
        let first = try await Memgraph.importFixtures(paths, user: user)
        #expect(first.status == 0, "\(first)")
        let summary = try first.json()
        let inserted = try #require(summary["inserted"]?.intValue)
        #expect(inserted > 0)
        #expect(try #require(summary["relationships"]?.intValue) > 0)
        #expect(try #require(summary["kv_entries"]?.intValue) > 0)
        let before = try await Self.counts(user)
        #expect(before["total_nodes"]?.intValue == inserted)

        let second = try await Memgraph.importFixtures(paths, user: user)
        #expect(second.status == 0, "\(second)")
        let again = try second.json()
        #expect(again["inserted"]?.intValue == 0)
        #expect(again["relationships_inserted"]?.intValue == 0)
        #expect(again["merged"] == .number(Double((summary["inserted"]?.intValue ?? 0) + (summary["merged"]?.intValue ?? 0))))
        #expect(again["kv_entries"] == summary["kv_entries"])
        #expect(try await Self.counts(user) == before)
    }

    @Test("the CRM's duplicate Acme Corp is merged, and support.jsonl merges into the CRM's entities")
    func mergesEntities() async throws {
        let user = freshUser()
        let crm = try await Memgraph.importFixtures(["fixtures/crm.json"], user: user)
        #expect(crm.status == 0, "\(crm)")
        #expect(try crm.json()["merged"]?.intValue == 1)
        let support = try await Memgraph.importFixtures(["fixtures/support.jsonl"], user: user)
        #expect(support.status == 0, "\(support)")
        #expect(try #require(support.json()["merged"]?.intValue) >= 4)
        let acme = try await Memgraph.run(["node", "get", "acme-corp", "--user", user.rawValue, "--json"])
        #expect(acme.status == 0, "\(acme)")
        #expect(try #require(acme.json()["content"]?["update_count"]?.intValue) >= 2)
    }

    @Test("--dry-run reports what an import would do and writes nothing")
    func dryRun() async throws {
        let user = freshUser()
        let before = try await Snapshot.of(user)
        let dry = try await Memgraph.importFixtures(["fixtures/crm.json", "fixtures/support.jsonl"], user: user, extra: ["--dry-run"])
        #expect(dry.status == 0, "\(dry)")
        #expect(try await Snapshot.of(user) == before)
        let real = try await Memgraph.importFixtures(["fixtures/crm.json", "fixtures/support.jsonl"], user: user)
        var expected = try real.json().objectValue ?? [:]
        var reported = try dry.json().objectValue ?? [:]
        #expect(reported.removeValue(forKey: "dry_run") == .bool(true))
        #expect(expected.removeValue(forKey: "dry_run") == .bool(false))
        #expect(reported == expected)
    }

    @Test("relationship ends may name keys the user already has")
    func endsInStore() async throws {
        let user = freshUser()
        #expect(try await Memgraph.importFixtures(["fixtures/crm.json"], user: user).status == 0)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("""
            {"nodes": [{"key": "renewal-call", "context_type": "completed_action", "summary": "Called Sarah about the renewal."}],
             "relationships": [{"from": "renewal-call", "to": "sarah-chen", "type": "relates_to", "strength": 0.7}]}
            """.utf8).write(to: file)
        let run = try await Memgraph.importFixtures([file.path], user: user)
        #expect(run.status == 0, "\(run)")
        #expect(try run.json()["relationships_inserted"]?.intValue == 1)
        let path = try await Memgraph.run(["path", "renewal-call", "acme-corp", "--user", user.rawValue, "--json"])
        #expect(path.status == 0, "\(path)")
        #expect(try path.json()["length"]?.intValue == 2)
    }

    @Test("the file's user_id is used without --user")
    func userFromFile() async throws {
        let user = freshUser()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("""
            {"user_id": "\(user.rawValue)"}
            {"kind": "node", "key": "only-node", "context_type": "conversation_fact", "summary": "The user prefers email."}
            """.utf8).write(to: file)
        let run = try await Memgraph.run(["import", file.path, "--json"])
        #expect(run.status == 0, "\(run)")
        #expect(try run.json()["user"] == .string(user.rawValue))
        #expect(try await Self.counts(user)["total_nodes"]?.intValue == 1)
    }

    @Test("an export keeps the node LOOKUP finds by a key two entities' names give")
    func sharedDerivedKeySurvivesExport() async throws {
        let (user, copy) = (freshUser("shared-name"), freshUser("shared-copy"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Two people named Sarah Chen, imported one after the other: LOOKUP sarah-chen finds the newer.
        for (name, id, summary) in [("first.json", "C1", "Sarah Chen at Acme"), ("second.json", "C2", "Sarah Chen at Globex")] {
            let json = #"{"nodes": [{"context_type": "domain_entity", "summary": "\#(summary)", "content": {"entity_system": "crm", "entity_id": "\#(id)", "entity_name": "Sarah Chen"}}]}"#
            try Data(json.utf8).write(to: directory.appendingPathComponent(name))
            let run = try await Memgraph.importFixtures([directory.appendingPathComponent(name).path], user: user)
            #expect(run.status == 0, "\(run)")
        }
        let before = try await Memgraph.run(["query", "LOOKUP sarah-chen", "--user", user.rawValue, "--json"])
        #expect(before.stdout.contains("Sarah Chen at Globex"), "\(before)")
        let file = directory.appendingPathComponent("export.jsonl")
        #expect(try await Memgraph.run(["export", "--user", user.rawValue, "--output", file.path]).status == 0)
        let imported = try await Memgraph.importFixtures([file.path], user: copy)
        #expect(imported.status == 0, "\(imported)")
        let after = try await Memgraph.run(["query", "LOOKUP sarah-chen", "--user", copy.rawValue, "--json"])
        #expect(after.status == 0 && after.stdout.contains("Sarah Chen at Globex"), "\(after)")
    }
}
