import Foundation
import Logging
import MemoryGraph
import PostgresNIO
import Testing
@testable import Repositories

/// The built `memgraph` binary: MEMGRAPH_BIN, or .build/debug/memgraph beside this checkout.
func memgraphBinary() -> URL {
    if let path = ProcessInfo.processInfo.environment["MEMGRAPH_BIN"], !path.isEmpty {
        return URL(fileURLWithPath: path)
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/memgraph")
}

/// `memgraph worker` as a child process. Its stderr goes to a temporary file, read by ``log``.
final class WorkerProcess {
    let process = Process()
    let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-worker-\(UUID().uuidString.prefix(8)).log")

    /// The last `limit` characters the worker wrote to stderr.
    func log(limit: Int = 4_000) -> String {
        guard let data = FileManager.default.contents(atPath: logURL.path) else { return "(no worker log)" }
        return String(String(decoding: data, as: UTF8.self).suffix(limit))
    }

    init(environment: [String: String], arguments: [String] = []) throws {
        process.executableURL = memgraphBinary()
        process.arguments = ["worker", "--workers", "2", "--lease", "2", "--sweep-interval", "0.5"] + arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        guard FileManager.default.createFile(atPath: logURL.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: logURL.path])
        }
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
    }

    /// The log is removed unless MEMGRAPH_KEEP_WORKER_LOGS is set (with MEMGRAPH_LOG_LEVEL=trace, every
    /// lease and release of a connection is in it, with the connection's id).
    deinit {
        if ProcessInfo.processInfo.environment["MEMGRAPH_KEEP_WORKER_LOGS"] == nil { try? FileManager.default.removeItem(at: logURL) }
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// Waits until the queue holds nothing pending or processing.
func waitForDrain(_ store: MemoryStore, timeout: Duration = .seconds(240)) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        let stats = try await store.queueStats()
        if stats.pending == 0 && stats.processing == 0 { return }
        try await Task.sleep(for: .milliseconds(250))
    }
    Issue.record("the queue did not drain within \(timeout)")
}

/// Waits until a worker reports a connected listener within the last 2 s (workers report every sweep).
func waitForListener(_ store: MemoryStore, timeout: Duration) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await store.pipelines().contains(where: { $0.listenerConnected && $0.secondsSinceReport < 2 }) { return true }
        try await Task.sleep(for: .milliseconds(250))
    }
    return false
}

@Suite("The memgraph worker process", .serialized, .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct WorkerProcessTests {
    @Test("SIGKILL the worker three times during a load of 2,000 nodes: every node ends embedded exactly once")
    func killTheWorker() async throws {
        try await TestDatabase.withScratch { name, configuration in
            var server = try TestDatabase.superuser()
            server.database = name
            let url = "postgresql://\(server.username):\(server.password ?? "")@\(server.host):\(server.port)/\(name)?sslmode=disable"
            try await Database.withDatabase(configuration, logger: TestDatabase.logger) { database in
                let store = MemoryStore(database: database)
                let user = freshUser()
                var worker = try WorkerProcess(environment: ["DATABASE_URL": url, "MEMGRAPH_ALLOW_RLS_BYPASS": "true"])
                for round in 0..<20 {
                    _ = try await store.remember(user, facts(100, prefix: "load \(round)"))
                    if round % 6 == 5 {  // rounds 5, 11, 17
                        try await Task.sleep(for: .milliseconds(300))
                        worker.kill()
                        worker = try WorkerProcess(environment: ["DATABASE_URL": url, "MEMGRAPH_ALLOW_RLS_BYPASS": "true"])
                    }
                }
                try await waitForDrain(store)
                worker.terminate()
                let gaps = try await embeddingGaps(store, user)
                #expect(gaps.missing == 0)
                #expect(gaps.duplicates == 0)
                #expect(gaps.jobs == ["completed": 2_000])
            }
        }
    }

    @Test("restarting Postgres in the middle of a load: the listener reconnects by itself and every node ends embedded")
    func restartPostgres() async throws {
        try await TestDatabase.withOwnCluster("restart") { cluster, _, environment, database in
            let store = MemoryStore(database: database)
            let user = freshUser()
            let worker = try WorkerProcess(environment: environment)
            defer { worker.terminate() }
            _ = try await store.remember(user, facts(300, prefix: "before"))
            // Restart only once the worker is up and listening: the restart is what is under test,
            // not a worker that starts on a busy machine while the cluster is going down.
            #expect(try await waitForListener(store, timeout: .seconds(120)), "worker log:\n\(worker.log())")
            try cluster.stop()
            try cluster.start()
            // The pool reconnects too; retry the first write while it does.
            var written = false
            for _ in 0..<50 where !written {
                do {
                    _ = try await store.remember(user, facts(300, prefix: "after"))
                    written = true
                } catch {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            #expect(written)
            try await waitForDrain(store)
            let gaps = try await embeddingGaps(store, user)
            #expect(gaps.missing == 0 && gaps.duplicates == 0)
            #expect(gaps.jobs == ["completed": 600], "worker log:\n\(worker.log())")
            // The worker's listener is connected again (it reports every sweep).
            #expect(try await waitForListener(store, timeout: .seconds(10)), "worker log:\n\(worker.log())")
        }
    }
}
