import Foundation
import MemoryGraph
import Testing
import Sessions

/// A session database of its own, and the environment that points the binary at it.
private func scratchSessions() throws -> (path: URL, environment: [String: String]) {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("memgraph-cli-sessions-\(UUID().uuidString.prefix(8))").appendingPathComponent("sessions.sqlite")
    return (path, ["MEMGRAPH_SESSIONS_DB": path.path])
}

@Suite("memgraph session", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct SessionCommandTests {
    @Test("start prints the id alone; set, get, rm and status work; end removes the session")
    func lifecycle() async throws {
        let (_, environment) = try scratchSessions()
        let user = freshUser()
        let start = try await Memgraph.run(["session", "start", "--user", user.rawValue], environment: environment)
        #expect(start.status == 0, "\(start)")
        let id = start.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: id) != nil, "\(start)")
        #expect(start.stdout == id + "\n")

        #expect(try await Memgraph.run(["session", "set", "--session", id, "draft", #"{"step": 2}"#], environment: environment).status == 0)
        let get = try await Memgraph.run(["session", "get", "--session", id, "draft"], environment: environment)
        #expect(try get.json() == ["step": 2], "\(get)")
        #expect(try await Memgraph.run(["session", "rm", "--session", id, "draft"], environment: environment).status == 0)
        #expect(try await Memgraph.run(["session", "get", "--session", id, "draft"], environment: environment).status == 1)

        let list = try await Memgraph.run(["session", "list", "--user", user.rawValue, "--json"], environment: environment)
        #expect(try list.json()["sessions"]?.arrayValue?.count == 1, "\(list)")
        let status = try await Memgraph.run(["session", "status", "--json"], environment: environment)
        #expect(try status.json()["outbox_depth"]?.intValue == 0, "\(status)")
        #expect(try await Memgraph.run(["session", "end", "--session", id], environment: environment).status == 0)
        let gone = try await Memgraph.run(["session", "get", "--session", id, "draft"], environment: environment)
        #expect(gone.status == 1 && gone.stderr.contains("no session"), "\(gone)")
        let bad = try await Memgraph.run(["session", "get", "--session", "not-a-uuid", "k"], environment: environment)
        #expect(bad.status == 2, "\(bad)")
    }

    /// `--ttl 1e300` or `inf` crashed the CLI (Int64 of a huge Double); the API takes at most a year.
    @Test("--ttl past a year, or not a finite number, is a usage error, not a crash")
    func ttlBounds() async throws {
        let (_, environment) = try scratchSessions()
        let user = freshUser("ttl")
        for ttl in ["1e300", "inf", "99999999999", "nan"] {
            let run = try await Memgraph.run(["session", "start", "--user", user.rawValue, "--ttl", ttl], environment: environment)
            #expect(run.status == 2 && run.stderr.contains("--ttl"), "\(ttl): \(run)")
        }
        let session = try await Memgraph.run(["session", "start", "--user", user.rawValue, "--ttl", "31536000"], environment: environment)
        #expect(session.status == 0, "\(session)")
        let id = session.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let set = try await Memgraph.run(["session", "set", "--session", id, "k", "1", "--ttl", "1e300"], environment: environment)
        #expect(set.status == 2 && set.stderr.contains("--ttl"), "\(set)")
        _ = try await Memgraph.run(["session", "end", "--session", id], environment: environment)
    }

    @Test("import --session: applied when Postgres answers; queued (exit 0) when it does not, and flushed later")
    func importThroughSession() async throws {
        let (_, environment) = try scratchSessions()
        let user = freshUser()
        let start = try await Memgraph.run(["session", "start", "--user", user.rawValue], environment: environment)
        let id = start.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let applied = try await Memgraph.run(["import", "fixtures/crm.json", "--session", id, "--json"], environment: environment)
        #expect(applied.status == 0, "\(applied)")
        let inserted = try applied.json()["inserted"]?.intValue ?? 0
        #expect(inserted > 0, "\(applied)")

        // Postgres "away": an external server on a port nothing listens on.
        var away = environment
        away["DATABASE_URL"] = "postgres://memgraph_app:x@127.0.0.1:9/memgraph"
        let queued = try await Memgraph.run(["import", "fixtures/support.jsonl", "--session", id, "--json"], environment: away)
        #expect(queued.status == 0, "\(queued)")
        #expect(try queued.json()["queued"] == true, "\(queued)")
        let depth = try await Memgraph.run(["session", "status", "--json"], environment: environment)
        #expect(try depth.json()["outbox_depth"]?.intValue == 1, "\(depth)")
        let before = try await Superuser.count("nodes", user: user)

        let flush = try await Memgraph.run(["session", "flush", "--json"], environment: environment)
        #expect(flush.status == 0, "\(flush)")
        #expect(try flush.json()["applied"]?.intValue == 1, "\(flush)")
        #expect(try await Superuser.count("nodes", user: user) > before)
        #expect(try await Superuser.count("applied_operations", user: user) == 2)
    }

    @Test("killed mid-flush: 1,000 queued writes end applied exactly once, no duplicate relationship, no lost merge")
    func killedMidFlush() async throws {
        let (path, environment) = try scratchSessions()
        let user = freshUser()
        // Queue 1,000 writes with no database: 800 remembers over 200 entities (4 each, the last value
        // must win) and 200 relates over 100 pairs (each twice).
        let memory = SessionMemory(store: try SessionStore(path: path), longTerm: nil)
        let session = try await memory.start(user: user)
        var lastValue: [Int: Int] = [:]
        var remembers = 0
        for index in 0..<1_000 {
            if index % 5 == 4 {
                let pair = (index / 5) % 100
                _ = try await memory.relate(
                    session.id, RelateRequest(from: .key("person-\(pair)"), to: .key("person-\(pair + 1)"), type: .relatesTo))
            } else {
                let entity = remembers % 200
                remembers += 1
                lastValue[entity] = index
                let node = MemoryNode(
                    contextType: .domainEntity, summary: "Person \(entity)",
                    content: [
                        "entity_system": "crm", "entity_id": .string("P-\(entity)"), "entity_name": .string("Person \(entity)"),
                        "entity_data": ["v": .number(Double(index))],
                    ])
                _ = try await memory.remember(session.id, node)
            }
        }
        #expect(try await memory.store.outboxDepth() == 1_000)

        // Flush in a child process and kill it once part of the outbox is in Postgres.
        let process = Process()
        process.executableURL = Memgraph.binary
        process.arguments = ["session", "flush"]
        process.currentDirectoryURL = Memgraph.root
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var appliedAtKill = 0
        for _ in 0..<3_000 where appliedAtKill < 100 {
            try await Task.sleep(for: .milliseconds(10))
            appliedAtKill = try await Superuser.count("applied_operations", user: user)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(appliedAtKill >= 100 && appliedAtKill < 1_000, "applied when killed: \(appliedAtKill)")

        let again = try await Memgraph.run(["session", "flush", "--json"], environment: environment)
        #expect(again.status == 0, "\(again)")
        #expect(try await memory.store.outboxDepth() == 0)
        #expect(try await Superuser.count("applied_operations", user: user) == 1_000)
        #expect(try await Superuser.count("nodes", user: user) == 200)
        #expect(try await Superuser.count("nodes", user: user, where: "coalesce((content->>'update_count')::int, 0) <> 3") == 0)
        #expect(try await Superuser.count("relationships", user: user) == 100)
        for (entity, value) in lastValue where entity % 37 == 0 {
            let matches = try await Superuser.count(
                "nodes", user: user, where: "entity_id = 'P-\(entity)' AND (content->'entity_data'->>'v')::int = \(value)")
            #expect(matches == 1, "P-\(entity) should hold v = \(value)")
        }
    }

    @Test("two processes writing the same sessions.sqlite at once lose nothing and corrupt nothing")
    func twoProcesses() async throws {
        let (path, environment) = try scratchSessions()
        let store = try SessionStore(path: path)
        let session = try await store.start(user: freshUser())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<3 {
                group.addTask {
                    for index in 0..<20 {
                        let run = try await Memgraph.run(
                            ["session", "set", "--session", session.id.rawValue, "cli-\(lane)-\(index)", "\(index)"],
                            environment: environment)
                        #expect(run.status == 0, "\(run)")
                    }
                }
            }
            group.addTask {
                for index in 0..<200 {
                    try await store.set(session.id, key: "local-\(index)", value: .number(Double(index)))
                }
            }
            try await group.waitForAll()
        }
        let values = try await store.values(session.id)
        #expect(values.count == 260)
        #expect(try await store.integrityCheck() == "ok")
    }
}
