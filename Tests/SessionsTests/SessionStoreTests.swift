import Foundation
import Synchronization
import Testing
import MemoryGraph
@testable import Sessions

/// A fresh session database in a temporary directory, on the wall clock or on `clock`.
func scratchSessions(
    clock: ManualClock? = nil, _ configure: (inout SessionConfiguration) -> Void = { _ in }
) throws -> SessionStore {
    var configuration = SessionConfiguration()
    configure(&configuration)
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("memgraph-sessions-\(UUID().uuidString.prefix(8))").appendingPathComponent("sessions.sqlite")
    guard let clock else { return try SessionStore(path: path, configuration: configuration) }
    return try SessionStore(path: path, configuration: configuration, clock: { clock.now })
}

/// A clock that moves only when told: expiry tests step it instead of sleeping, so a loaded
/// machine (all suites run in parallel on two cores) cannot make them late.
final class ManualClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ duration: Duration) { time.withLock { $0 += duration.seconds } }
}

private let user = try! UserID("session-unit")

private func contact(_ id: String, name: String, data: [String: JSONValue]) -> MemoryNode {
    MemoryNode(
        contextType: .domainEntity, summary: "\(name), a contact",
        content: [
            "entity_system": "crm", "entity_id": .string(id), "entity_name": .string(name), "entity_data": .object(data),
        ])
}

@Suite("session store (SQLite, no database)", .timeLimit(.minutes(5)))
struct SessionStoreTests {
    @Test("the session database and its WAL are readable by their owner only, even one an older memgraph made 0644 (issue 27, item 6)")
    func privateFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-modes-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sessions.sqlite")
        func mode(_ file: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        let store = try SessionStore(path: path)
        let session = try await store.start(user: try UserID("modes"))
        try await store.set(session.id, key: "k", value: "secret")
        #expect(try mode(path.path) == 0o600)
        #expect(try mode(path.path + "-wal") == 0o600)
        // A file made with a wider mode is narrowed when it is opened.
        let older = directory.appendingPathComponent("older.sqlite")
        FileManager.default.createFile(atPath: older.path, contents: nil, attributes: [.posixPermissions: 0o644])
        _ = try SessionStore(path: older)
        #expect(try mode(older.path) == 0o600)
    }

    /// `memgraph serve` opens two stores on one file. The second one's set-up opened and closed the
    /// file, which drops every POSIX lock the process holds on it, SQLite's shared lock included
    /// (and SQLite, counting its connections per file, does not take it again). A CLI process then
    /// closing its connection took itself for the last user, checkpointed and deleted the WAL under
    /// the server: "database disk image is malformed". Found by a black-box probe.
    @Test("a second store on the same file keeps the locks the first one's connections hold")
    func secondStoreKeepsLocks() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-locks-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sessions.sqlite")
        let first = try SessionStore(path: path)
        let session = try await first.start(user: try UserID("locks"))
        try await first.set(session.id, key: "k", value: "v")
        var info = stat()
        #expect(stat(path.path, &info) == 0)
        // This process's POSIX locks on the file, from /proc/locks ("… POSIX ADVISORY READ <pid> <maj:min:inode> …").
        func locksHeld() throws -> Int {
            let table = try String(contentsOfFile: "/proc/locks", encoding: .utf8)
            return table.split(separator: "\n").filter { line in
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                return fields.count > 5 && fields[1] == "POSIX" && fields[4] == "\(getpid())" && fields[5].hasSuffix(":\(info.st_ino)")
            }.count
        }
        #expect(try locksHeld() > 0, "SQLite holds a shared lock on a WAL database while a connection is open")
        let second = try SessionStore(path: path)
        _ = try await second.list(user: nil)
        #expect(try locksHeld() > 0, "the second store's set-up dropped the first one's locks")
        #expect(try await first.get(session.id, key: "k") == "v")
    }

    @Test("working-memory keys are 1 to 255 bytes without control characters, as node keys")
    func workingMemoryKeys() async throws {
        let store = try scratchSessions()
        let session = try await store.start(user: user)
        for key in ["", "a\u{0}b", "tab\there", String(repeating: "k", count: 256)] {
            await #expect(throws: MemoryGraphError.self, "\(key.debugDescription)") { try await store.set(session.id, key: key, value: 1) }
        }
        try await store.set(session.id, key: String(repeating: "é", count: 127), value: 1)  // 254 bytes
        #expect(try await store.get(session.id, key: String(repeating: "é", count: 127)) == 1)
    }

    @Test("working memory: set, get, overwrite, delete; values are per session")
    func workingMemory() async throws {
        let store = try scratchSessions()
        let a = try await store.start(user: user), b = try await store.start(user: user)
        try await store.set(a.id, key: "draft", value: ["step": 1])
        try await store.set(a.id, key: "draft", value: ["step": 2])
        #expect(try await store.get(a.id, key: "draft") == ["step": 2])
        #expect(try await store.get(b.id, key: "draft") == nil)
        #expect(try await store.delete(a.id, key: "draft"))
        #expect(try await !store.delete(a.id, key: "draft"))
        #expect(try await store.get(a.id, key: "draft") == nil)
    }

    @Test("a value with a TTL is gone once it expires", .tags(.timing), .selected(by: "timing"))
    func timedValueTTL() async throws {
        let clock = ManualClock()
        let store = try scratchSessions(clock: clock)
        let session = try await store.start(user: user)
        try await store.set(session.id, key: "short", value: "soon gone", ttl: .milliseconds(500))
        try await store.set(session.id, key: "long", value: "stays")
        clock.advance(.milliseconds(400))
        #expect(try await store.get(session.id, key: "short") == "soon gone")
        clock.advance(.milliseconds(400))
        #expect(try await store.get(session.id, key: "short") == nil)
        #expect(try await store.values(session.id).map(\.key) == ["long"])
    }

    @Test("an idle session expires: its calls fail with not found and list leaves it out", .tags(.timing), .selected(by: "timing"))
    func timedIdleExpiry() async throws {
        let clock = ManualClock()
        let store = try scratchSessions(clock: clock)
        let session = try await store.start(user: user, idleTTL: .milliseconds(500))
        clock.advance(.milliseconds(400))
        try await store.set(session.id, key: "k", value: 1)  // activity: the idle time starts again
        clock.advance(.milliseconds(400))
        #expect(try await store.get(session.id, key: "k") == 1)
        clock.advance(.milliseconds(800))
        await #expect(throws: MemoryGraphError.self) { try await store.get(session.id, key: "k") }
        #expect(try await store.list(user: user).contains { $0.id == session.id } == false)
    }

    @Test("ending a session deletes its working memory but keeps its queued writes")
    func endKeepsOutbox() async throws {
        let memory = SessionMemory(store: try scratchSessions(), longTerm: nil)
        let session = try await memory.start(user: user)
        try await memory.store.set(session.id, key: "k", value: 1)
        let write = try await memory.remember(session.id, contact("C-1", name: "Ada Lovelace", data: ["title": "CTO"]))
        #expect(write.status == .queued)
        #expect(try await memory.end(session.id))
        await #expect(throws: MemoryGraphError.self) { try await memory.store.get(session.id, key: "k") }
        #expect(try await memory.store.outboxDepth() == 1)
    }

    @Test("temporary_state nodes stay in the session: readable by key and id, never queued, gone after end")
    func temporaryState() async throws {
        let memory = SessionMemory(store: try scratchSessions(), longTerm: nil)
        let session = try await memory.start(user: user)
        let node = MemoryNode(key: "scratch-plan", contextType: .temporaryState, summary: "step 2 of 5: draft the reply")
        let write = try await memory.remember(session.id, node)
        #expect(write.status == .local)
        #expect(write.operationID == nil)
        #expect(try await memory.lookup(session.id, key: "scratch-plan")?.summary == "step 2 of 5: draft the reply")
        #expect(try await memory.node(session.id, id: write.nodeID!)?.key == "scratch-plan")
        #expect(try await memory.store.outboxDepth() == 0)
        #expect(try await memory.store.status().temporaryNodes == 1)
        try await memory.end(session.id)
        #expect(try await memory.store.status().temporaryNodes == 0)
    }

    @Test("queued writes are read back at once, merged like the store merges entities")
    func readYourQueuedWrites() async throws {
        let memory = SessionMemory(store: try scratchSessions(), longTerm: nil)
        let session = try await memory.start(user: user)
        _ = try await memory.remember(session.id, contact("C-7", name: "Sarah Chen", data: ["title": "VP", "city": "Oslo"]))
        _ = try await memory.remember(session.id, contact("C-7", name: "Sarah Chen", data: ["title": "CTO"]))
        let node = try #require(try await memory.lookup(session.id, key: "sarah-chen"))
        #expect(node.content["entity_data"] == ["title": "CTO", "city": "Oslo"])
        #expect(try await memory.store.outboxDepth() == 2)
        // Without a database, what the session does not hold is "unavailable", not "absent".
        await #expect(throws: MemoryGraphError.self) { try await memory.lookup(session.id, key: "nobody") }
    }

    @Test("a node that fails validation is refused and nothing is queued")
    func invalidNode() async throws {
        let memory = SessionMemory(store: try scratchSessions(), longTerm: nil)
        let session = try await memory.start(user: user)
        var node = contact("C-1", name: "Ada", data: [:])
        node.baseRelevance = 2
        await #expect(throws: MemoryGraphError.self) { try await memory.remember(session.id, node) }
        #expect(try await memory.store.outboxDepth() == 0)
    }

    /// The bounds are wide because the suites run in parallel on two cores and a loaded machine
    /// delays any task by seconds; they still fail on what they guard against. Without the timeout
    /// `start` would wait forever on the silent store, and 50 writes that each waited for it would
    /// take 50 × 0.5 s = 25 s.
    @Test("bounded waits: a store that never answers costs at most the timeout, then writes queue at once", .tags(.timing), .selected(by: "timing"))
    func timedBoundedWaits() async throws {
        let store = try scratchSessions { $0.timeout = .milliseconds(500); $0.retryAfter = .seconds(60) }
        let silent = SilentStore()
        let memory = SessionMemory(store: store, longTerm: silent)
        let clock = ContinuousClock()
        var session: SessionInfo?
        let start = try await clock.measure { session = try await memory.start(user: user) }
        #expect(start < .seconds(10))
        #expect(session?.cacheError != nil)
        let id = try #require(session?.id)
        // Marked unavailable by start: every call now answers without waiting.
        var writes: [SessionWrite] = []
        let queued = try await clock.measure {
            for index in 0..<50 { writes.append(try await memory.remember(id, contact("C-\(index)", name: "Person \(index)", data: [:]))) }
        }
        #expect(writes.allSatisfy { $0.status == .queued })
        // Waiting 0.5 s each, they would take 25 s; each is an fsynced SQLite write, which under
        // the full suite's load (Postgres suites checkpointing on the same disk) took up to 0.25 s.
        #expect(queued < .seconds(20))
        #expect(silent.calls.withLock { $0 } == 1, "only the cache load should have tried the store")
        let fuzzy = await clock.measure {
            await #expect(throws: MemoryGraphError.self) { try await memory.fuzzy(id, text: "persn") }
        }
        #expect(fuzzy < .seconds(10))
        #expect(try await memory.lookup(id, key: "person-3")?.summary == "Person 3, a contact")
    }

    @Test("the outbox is applied in order; a refused write is set aside and the rest go on")
    func flushOrderAndRefusal() async throws {
        let recorder = RecordingStore(refuse: 3)
        let memory = SessionMemory(store: try scratchSessions(), longTerm: recorder)
        let session = try await memory.start(user: user)
        recorder.available.withLock { $0 = false }
        for index in 0..<6 { _ = try await memory.remember(session.id, contact("C-\(index)", name: "P\(index)", data: [:])) }
        #expect(try await memory.store.outboxDepth() == 6)
        recorder.available.withLock { $0 = true }
        let report = await memory.flush()
        #expect(report.applied == 5 && report.failed == 1 && report.complete)
        #expect(recorder.applied.withLock { $0 } == ["C-0", "C-1", "C-2", "C-4", "C-5"])
        #expect(try await memory.store.failedOperations().count == 1)
        #expect(try await memory.store.status().outboxFailed == 1)
    }

    @Test("an outbox entry that cannot be read is set aside as failed, with why, and the writes after it are applied (issue 27, item 3)")
    func unreadableEntry() async throws {
        let recorder = RecordingStore(refuse: -1)
        let memory = SessionMemory(store: try scratchSessions(), longTerm: recorder)
        let session = try await memory.start(user: user)
        recorder.available.withLock { $0 = false }
        for index in 0..<3 { _ = try await memory.remember(session.id, contact("C-\(index)", name: "P\(index)", data: [:])) }
        // As a newer memgraph's entry, or a damaged one, would read.
        try await memory.store.write("damage an entry") { db in
            try db.execute(sql: "UPDATE outbox SET payload = '{\"kind\": {\"teleport\": {}}}' WHERE seq = (SELECT min(seq) + 1 FROM outbox)")
        }
        recorder.available.withLock { $0 = true }
        let report = await memory.flush()
        #expect(report.applied == 2 && report.failed == 1 && report.complete)
        #expect(recorder.applied.withLock { $0 } == ["C-0", "C-2"])
        let failed = try await memory.store.failedOperations()
        #expect(failed.count == 1 && failed[0].kind == "remember" && failed[0].error.hasPrefix("the queued write cannot be read"))
        #expect(try await memory.store.outboxDepth() == 0)
    }
}

/// A long-term store that never answers (honours cancellation): Postgres behind a dead network.
/// Counts the calls made to it.
final class SilentStore: LongTermMemory {
    let calls = Mutex(0)

    private func hang<T>() async throws -> T {
        calls.withLock { $0 += 1 }
        try await Task.sleep(for: .seconds(3600))
        throw CancellationError()
    }
    func apply(_ user: UserID, _ operation: SessionOperation) async throws -> OperationOutcome { try await hang() }
    func lookup(_ user: UserID, key: String) async throws -> MemoryNode? { try await hang() }
    func node(_ user: UserID, id: UUID) async throws -> MemoryNode? { try await hang() }
    func fuzzy(_ user: UserID, text: String, threshold: Double, limit: Int) async throws -> [ScoredNode] { try await hang() }
    func search(_ user: UserID, text: String, contextTypes: Set<ContextType>, minSimilarity: Double, limit: Int) async throws -> [ScoredNode] {
        try await hang()
    }
    func sessionMemories(_ user: UserID, limit: Int) async throws -> [MemoryNode] { try await hang() }
    func ping() async throws { let _: Void = try await hang() }
    func isUnavailable(_ error: any Error) -> Bool { false }
}

/// A long-term store that records the entity ids it applies, can be switched off, and refuses
/// the `refuse`-th write (0-based) as invalid.
final class RecordingStore: LongTermMemory {
    struct Offline: Error {}
    let available = Mutex(true)
    let applied = Mutex<[String]>([])
    let calls = Mutex(0)
    let refuse: Int

    init(refuse: Int) { self.refuse = refuse }

    func apply(_ user: UserID, _ operation: SessionOperation) async throws -> OperationOutcome {
        guard available.withLock({ $0 }) else { throw Offline() }
        let call = calls.withLock { value in
            defer { value += 1 }
            return value
        }
        guard call != refuse else { throw MemoryGraphError.invalidInput("refused on purpose") }
        guard case .remember(let node) = operation.kind else { throw MemoryGraphError.invalidInput("only remember") }
        applied.withLock { $0.append(node.entityIdentity!.id) }
        return .remembered(RememberResult(nodeID: UUID(), inserted: true))
    }
    func lookup(_ user: UserID, key: String) async throws -> MemoryNode? { nil }
    func node(_ user: UserID, id: UUID) async throws -> MemoryNode? { nil }
    func fuzzy(_ user: UserID, text: String, threshold: Double, limit: Int) async throws -> [ScoredNode] { [] }
    func search(_ user: UserID, text: String, contextTypes: Set<ContextType>, minSimilarity: Double, limit: Int) async throws -> [ScoredNode] {
        []
    }
    func sessionMemories(_ user: UserID, limit: Int) async throws -> [MemoryNode] {
        guard available.withLock({ $0 }) else { throw Offline() }
        return []
    }
    func ping() async throws {
        guard available.withLock({ $0 }) else { throw Offline() }
    }
    func isUnavailable(_ error: any Error) -> Bool { error is Offline }
}
