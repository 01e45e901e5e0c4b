import Foundation
import MemoryGraph

/// What one run of the memgraph binary printed, and its exit status.
struct Run: Sendable, CustomStringConvertible {
    var status: Int32
    var stdoutData: Data
    var stderr: String

    var stdout: String { String(decoding: stdoutData, as: UTF8.self) }

    /// stdout parsed as one JSON document.
    func json() throws -> JSONValue {
        try JSONValue.parse(stdout)
    }

    var description: String { "status \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs the built binary: `MEMGRAPH_BIN` (set by scripts/test), else `.build/debug/memgraph` in
/// the package. It runs in the package root, so fixture paths are relative (`fixtures/crm.json`),
/// as messages show them, and it inherits MEMGRAPH_HOME, so it uses the test cluster.
enum Memgraph {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["MEMGRAPH_BIN"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return root.appendingPathComponent(".build/debug/memgraph")
    }

    /// At most this many binaries run at once: each starts, connects and checks the schema, and
    /// dozens at once on a small shared machine make other suites' connections time out.
    static let gate = Gate(limit: 3)

    /// Runs `memgraph arguments…`, with `input` as stdin (else /dev/null; never a terminal).
    static func run(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) async throws -> Run {
        await gate.enter()
        do {
            let run = try await runNow(arguments, input: input, environment: environment)
            await gate.leave()
            return run
        } catch {
            await gate.leave()
            throw error
        }
    }

    private static func runNow(_ arguments: [String], input: String?, environment: [String: String]) async throws -> Run {
        try await runProgram(binary.path, arguments, input: input, environment: environment)
    }

    /// Runs any program in the package root, as ``run(_:input:environment:)`` runs memgraph.
    static func runProgram(
        _ program: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:]
    ) async throws -> Run {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        let inURL = scratch.appendingPathComponent("stdin")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        try Data((input ?? "").utf8).write(to: inURL)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let inp = try FileHandle(forReadingFrom: inURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = root
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, override in override }
        }
        process.standardInput = inp
        process.standardOutput = out
        process.standardError = err
        // Files rather than pipes: nothing to drain, and waiting does not block a thread.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try out.close()
        try err.close()
        try inp.close()
        return Run(
            status: process.terminationStatus, stdoutData: try Data(contentsOf: outURL),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// `memgraph import paths… --user U --json`, which must succeed.
    static func importFixtures(_ paths: [String], user: UserID, extra: [String] = []) async throws -> Run {
        try await run(["import"] + paths + ["--user", user.rawValue, "--json"] + extra)
    }
}

/// A counting semaphore for async code.
actor Gate {
    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func enter() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the slot to the next waiter, if any.
    func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// A user id no other test uses.
func freshUser(_ prefix: String = "cli") -> UserID {
    try! UserID("\(prefix)-\(UUID().uuidString.lowercased())")
}

extension JSONValue {
    /// The array, when this value is one.
    var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The number as an Int, when this value is one.
    var intValue: Int? { doubleValue.map { Int($0) } }
}
