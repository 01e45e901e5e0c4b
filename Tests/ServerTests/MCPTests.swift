import Foundation
import MemoryGraph
import Testing

/// The MCP server, driven by a client no one here wrote: the official Python `mcp` package, which
/// scripts/setup installs into .memgraph/vendor/python-mcp. The script (Resources/mcp_check.py)
/// lists the tools, remembers, recalls in the next call, looks up, and provokes tool errors.
@Suite(.tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(5)))
struct MCPTests {
    static var vendor: String {
        ProcessInfo.processInfo.environment["MEMGRAPH_VENDOR_DIR"] ?? Memgraph.root.appendingPathComponent(".memgraph/vendor").path
    }

    /// Runs the check script; returns what it printed, parsed, once it says ok.
    func check(_ arguments: [String]) async throws -> [String: JSONValue] {
        let script = Memgraph.root.appendingPathComponent("Tests/ServerTests/Resources/mcp_check.py").path
        let run = try await Memgraph.runProgram(
            "/usr/bin/env", ["python3", script] + arguments, environment: ["PYTHONPATH": "\(Self.vendor)/python-mcp"])
        let line = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let result = try JSONValue.parse(line.isEmpty ? "{}" : line).objectValue ?? [:]
        #expect(run.status == 0 && result["ok"] == .bool(true), "\(run)")
        return result
    }

    @Test func stdioServerWorksWithTheOfficialClient() async throws {
        let user = freshUser("mcp-stdio")
        let result = try await check(["stdio", Memgraph.binary.path, user.rawValue])
        #expect(result["tools"]?.arrayValue?.count == 7)
        // What the tools stored belongs to --user, and to no one else.
        let stats = try await Memgraph.run(["stats", "--user", user.rawValue, "--json"])
        #expect(try stats.json().objectValue?["total_nodes"]?.doubleValue == 1, "\(stats)")
    }

    /// A client that writes its requests and closes stdin at once (`printf … | memgraph mcp`) gets
    /// every answer, and what it asked to remember is stored: the server answers what it read
    /// before it closes the database.
    @Test func stdioAnswersWhatWasAskedBeforeInputEnded() async throws {
        let user = freshUser("mcp-eof")
        let lines = [
            #"{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "eof-test", "version": "1"}}}"#,
            #"{"jsonrpc": "2.0", "method": "notifications/initialized"}"#,
            #"{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "remember", "arguments": {"summary": "Written just before stdin closed.", "key": "eof-write"}}}"#,
            #"{"jsonrpc": "2.0", "id": "three", "method": "tools/call", "params": {"name": "recall", "arguments": {"query": "what was written before stdin closed?"}}}"#,
            #"{"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "lookup", "arguments": [1]}}"#,
            #"{"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "remember", "arguments": {"summary": "A big id.", "key": "big-id", "metadata": {"id": 12345678901234567}}}}"#,
            // Requests JSON-RPC calls invalid, and a line that is not JSON: each answered, not left waiting.
            #"{"jsonrpc": "2.0", "id": {"n": 1}, "method": "tools/list"}"#,
            #"{"jsonrpc": "1.0", "id": 6, "method": "tools/list"}"#,
            #"{"jsonrpc": "2.0", "id": 1.5, "method": "tools/list"}"#,
            #"{"jsonrpc": "2.0", "id": 7, "method": "tools/list""#,
            // JSON that only memgraph's own parser refuses (a member twice) is still the SDK's to answer.
            #"{"jsonrpc": "2.0", "id": 8, "method": "tools/list", "params": {"x": 1, "x": 2}}"#,
            // A NUL in an argument: a tool error naming the argument, not a column of some JSON text.
            #"{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "remember", "arguments": {"summary": "nul\u0000byte"}}}"#,
            #"{"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"name": "recall", "arguments": {"query": "x", "context_types": ["domain_entity", "nope"]}}}"#,
        ]
        let run = try await Memgraph.run(["mcp", "--user", user.rawValue], input: lines.joined(separator: "\n") + "\n")
        #expect(run.status == 0, "\(run)")
        let answers = run.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }
        for id: JSONValue in [1, 2, "three", 8] {
            let answer = answers.first { $0["id"] == id }
            #expect(answer?["result"] != nil, "no answer to request \(id): \(run)")
        }
        // Arguments that are not an object: invalid params (-32602), not the SDK's internal error.
        let invalid = answers.first { $0["id"] == 4 }?["error"]?.objectValue
        #expect(invalid?["code"] == -32602 && invalid?["message"]?.stringValue?.contains("arguments") == true, "\(run)")
        let version = answers.first { $0["id"] == 6 }?["error"]?.objectValue
        #expect(version?["code"] == -32600 && version?["message"]?.stringValue?.contains("jsonrpc") == true, "\(run)")
        let nullIDs = answers.filter { $0["id"] == .null }.compactMap { $0["error"]?.objectValue?["code"] }
        #expect(nullIDs.sorted { ($0.doubleValue ?? 0) < ($1.doubleValue ?? 0) } == [-32700, -32600, -32600], "\(run)")
        for (id, path) in [(9, "$.summary"), (10, "$.context_types[1]")] {
            let result = answers.first { $0["id"] == .number(Double(id)) }?["result"]?.objectValue
            #expect(result?["isError"] == .bool(true) && "\(result ?? [:])".contains(path), "\(id): \(run)")
        }
        // Each tool's input schema says what the server holds to: no argument it does not name.
        let listed = answers.first { $0["id"] == 8 }?["result"]?.objectValue?["tools"]?.arrayValue ?? []
        #expect(listed.count == 7 && listed.allSatisfy { $0.objectValue?["inputSchema"]?.objectValue?["additionalProperties"] == .bool(false) }, "\(run)")
        // An integer a JSON number would change is a tool error, and nothing is stored.
        let bigID = answers.first { $0["id"] == 5 }?["result"]?.objectValue
        #expect(bigID?["isError"] == .bool(true) && "\(bigID ?? [:])".contains("2^53"), "\(run)")
        let remembered = answers.first { $0["id"] == 2 }?["result"]?.objectValue
        #expect(remembered?["isError"] == .bool(false), "\(run)")
        let lookup = try await Memgraph.run(["query", "LOOKUP eof-write", "--user", user.rawValue, "--json"])
        #expect(lookup.status == 0 && lookup.stdout.contains("Written just before stdin closed."), "\(lookup)")
        #expect(try await Memgraph.run(["query", "LOOKUP big-id", "--user", user.rawValue, "--json"]).stdout.contains("A big id.") == false)
    }

    /// Over stdio, a tool call has the request deadline too: a recall (an embedding alone takes
    /// milliseconds) against a 1 ms MEMGRAPH_REQUEST_TIMEOUT is a tool error that says so.
    @Test func stdioToolCallsHaveADeadline() async throws {
        let lines = [
            #"{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "deadline-test", "version": "1"}}}"#,
            #"{"jsonrpc": "2.0", "method": "notifications/initialized"}"#,
            #"{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "recall", "arguments": {"query": "what did the harbour master say about the tides?"}}}"#,
        ]
        let run = try await Memgraph.run(["mcp", "--user", freshUser("mcp-deadline").rawValue], input: lines.joined(separator: "\n") + "\n",
                                         environment: ["MEMGRAPH_REQUEST_TIMEOUT": "0.001"])
        #expect(run.status == 0, "\(run)")
        let answer = run.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }.first { $0["id"] == 2 }
        let result = answer?["result"]?.objectValue
        #expect(result?["isError"] == .bool(true), "\(run)")
        #expect(run.stdout.contains("took longer than 0.001 s (MEMGRAPH_REQUEST_TIMEOUT)"), "\(run)")
    }

    @Test func httpServerWorksWithTheOfficialClient() async throws {
        let server = try await TestServer.shared()
        let user = freshUser("mcp-http")
        let token = try await TestServer.token(for: user)
        let result = try await check(["http", server.url + "/mcp", token])
        #expect(result["recall_keys"]?.arrayValue?.isEmpty == false)
        let stats = try await server.request(.GET, "/v1/users/\(user)/stats", token: token)
        #expect(try stats.json().objectValue?["total_nodes"]?.doubleValue == 1, "\(stats)")
        // A service key has no user of its own: /mcp refuses it, /v1/users/{user}/mcp takes the path's.
        let refused = try await server.request(.POST, "/mcp", token: server.serviceKey, body: #"{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}"#)
        #expect(refused.status == 403, "\(refused)")
        let listed = try await server.request(
            .POST, "/v1/users/\(user)/mcp", token: server.serviceKey, body: #"{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}"#,
            headers: [("Accept", "application/json, text/event-stream"), ("MCP-Protocol-Version", "2025-06-18")])
        #expect(listed.status == 200 && listed.body.contains("recall"), "\(listed)")
        let invalid = try await server.request(
            .POST, "/v1/users/\(user)/mcp", token: server.serviceKey,
            body: #"{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "lookup", "arguments": "key"}}"#,
            headers: [("Accept", "application/json, text/event-stream"), ("MCP-Protocol-Version", "2025-06-18")])
        #expect(invalid.status == 200 && invalid.body.contains("-32602") && invalid.body.contains(#""id":7"#), "\(invalid)")
        // An id JSON-RPC does not allow: answered at once (the SDK left it waiting for the deadline).
        let object = try await server.request(
            .POST, "/v1/users/\(user)/mcp", token: server.serviceKey, body: #"{"jsonrpc": "2.0", "id": {"n": 1}, "method": "tools/list"}"#,
            headers: [("Accept", "application/json, text/event-stream"), ("MCP-Protocol-Version", "2025-06-18")])
        #expect(object.status == 400 && object.body.contains("-32600") && object.body.contains(#""id":null"#), "\(object)")
        // A batch: refused as an invalid request (the stateless transport called it a parse error).
        let batch = try await server.request(
            .POST, "/v1/users/\(user)/mcp", token: server.serviceKey, body: #"[{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]"#,
            headers: [("Accept", "application/json, text/event-stream"), ("MCP-Protocol-Version", "2025-06-18")])
        #expect(batch.status == 400 && batch.body.contains("-32600") && batch.body.contains("batches"), "\(batch)")
    }
}
