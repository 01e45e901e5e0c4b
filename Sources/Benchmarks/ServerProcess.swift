import Foundation
import MemoryGraph
import Operations

/// A `memgraph serve` child process: started on a free loopback port, stopped with SIGTERM. It runs
/// under `setpriv --pdeathsig TERM`, so it does not outlive the benchmark.
final class ServerProcess: Sendable {
    let url: String
    let process: Process
    let log: URL

    private init(url: String, process: Process, log: URL) {
        self.url = url
        self.process = process
        self.log = log
    }

    /// - Parameter environment: set for the server on top of this process's environment.
    static func start(binary: URL, poolSize: Int, environment: [String: String] = [:]) async throws -> ServerProcess {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-bench-serve-\(UUID().uuidString).log")
        try Data().write(to: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--pdeathsig", "TERM", "--", binary.path, "serve", "--port", "0"]
        var childEnvironment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        childEnvironment["POSTGRES_POOL_SIZE"] = String(poolSize)
        process.environment = childEnvironment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let logHandle = try FileHandle(forWritingTo: log)
        defer { try? logHandle.close() }  // the child has its own copy
        process.standardError = logHandle
        try SpawnThread.shared.run { try process.run() }
        for _ in 0..<1200 {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                return ServerProcess(url: String(text[range]), process: process, log: log)
            }
            guard process.isRunning else {
                throw MemoryGraphError(code: .unavailable, message: "memgraph serve exited: \(text)", operation: "bench serve")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw MemoryGraphError(code: .unavailable, message: "memgraph serve did not start within 120 s", operation: "bench serve")
    }

    /// The server's peak resident set (VmHWM), in MB, read from /proc (0 where there is none). The
    /// server is setpriv's exec'd image, so the pid is the server's.
    func peakResidentMB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes / 1024
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: log)
    }

    /// Runs `binary arguments…` to its end; its stdout, or an error with its stderr.
    static func runToEnd(_ binary: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw MemoryGraphError(
                code: .unavailable, message: "memgraph \(arguments.first ?? "") failed: \(String(decoding: errors, as: UTF8.self))",
                operation: "bench serve")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Times MCP `recall` over stdio: `memgraph mcp --user U` as a desktop agent runs it, spoken to in
/// newline-delimited JSON-RPC (initialize, then tools/call one after another).
enum MCPStdioProbe {
    /// Times `calls` recall calls (after one to warm up); `called` gets the count so far.
    static func recall(
        binary: URL, user: UserID, calls: Int, questions: [String], called: (Int) -> Void = { _ in }
    ) async throws -> [Duration] {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["mcp", "--user", user.rawValue]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
        let reader = LineReader(handle: output.fileHandleForReading)
        func call(_ id: Int, _ method: String, _ params: JSONValue) throws -> JSONValue {
            let request: JSONValue = ["jsonrpc": "2.0", "id": .number(Double(id)), "method": .string(method), "params": params]
            input.fileHandleForWriting.write(Data((Documents.line(request) + "\n").utf8))
            while let line = reader.next() {
                let message = try JSONValue.parse(line)
                if message.objectValue?["id"] == .number(Double(id)) { return message }
            }
            throw MemoryGraphError(code: .unavailable, message: "memgraph mcp closed its output", operation: "bench serve")
        }
        _ = try call(0, "initialize", [
            "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "memgraph-bench", "version": "1"],
        ])
        input.fileHandleForWriting.write(Data((Documents.line(["jsonrpc": "2.0", "method": "notifications/initialized"]) + "\n").utf8))
        var latencies: [Duration] = []
        let clock = ContinuousClock()
        for index in 0...calls {
            let start = clock.now
            let answer = try call(index + 1, "tools/call", [
                "name": "recall", "arguments": ["query": .string(questions[index % questions.count]), "limit": 10],
            ])
            let elapsed = clock.now - start
            guard answer.objectValue?["result"]?.objectValue?["isError"] != .bool(true), answer.objectValue?["error"] == nil else {
                throw MemoryGraphError(code: .unavailable, message: "MCP recall failed: \(Documents.line(answer).prefix(300))", operation: "bench serve")
            }
            if index > 0 {  // the first call warms up
                latencies.append(elapsed)
                called(index)
            }
        }
        return latencies
    }
}

/// Blocking line reads from a pipe (the benchmark's one reader; a thread waits, as a client would).
final class LineReader: @unchecked Sendable {
    let handle: FileHandle
    var buffer = Data()

    init(handle: FileHandle) { self.handle = handle }

    func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                return String(decoding: line, as: UTF8.self)
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }
}
