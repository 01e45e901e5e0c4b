import AsyncHTTPClient
import Foundation
import MemoryGraph
import NIOCore
import NIOSSL
import Testing

/// A server of its own, over TLS (a test certificate for 127.0.0.1 in Resources), stopped with
/// SIGTERM while a request is in flight: the request finishes, then the process exits 0.
@Suite(.tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(3)))
struct ShutdownTests {
    @Test func tlsServerFinishesTheRequestInFlightOnSIGTERM() async throws {
        let key = try await TestServer.shared().serviceKey
        let resources = Memgraph.root.appendingPathComponent("Tests/ServerTests/Resources")
        let (url, process) = try await TestServer.launch([
            "--no-worker", "--tls-cert", resources.appendingPathComponent("test-tls.crt").path,
            "--tls-key", resources.appendingPathComponent("test-tls.key").path,
        ])
        #expect(url.hasPrefix("https://"))
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            try await run(client: client, url: url, key: key, process: process)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            process.terminate()
            throw error
        }
    }

    func run(client: HTTPClient, url: String, key: String, process: Process) async throws {
        var health = HTTPClientRequest(url: url + "/healthz")
        health.method = .GET
        #expect(try await client.execute(health, timeout: .seconds(10)).status.code == 200)

        // An import that embeds 300 memories before it answers: a request that takes a while.
        let user = freshUser("shutdown")
        var lines = [#"{"kind": "user", "user_id": "\#(user)"}"#]
        for i in 0..<300 {
            lines.append(#"{"kind": "node", "key": "n\#(i)", "context_type": "conversation_fact", "summary": "Note \#(i) about the harbour tides and the ferry timetable."}"#)
        }
        var request = HTTPClientRequest(url: "\(url)/v1/users/\(user)/import?wait=embedded")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
        request.body = .bytes(ByteBuffer(string: lines.joined(separator: "\n")))
        let inFlight = Task { () throws -> (Int, String) in
            let response = try await client.execute(request, timeout: .seconds(120))
            return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
        }
        try await Task.sleep(for: .milliseconds(700))
        process.terminate()  // SIGTERM
        let (status, body) = try await inFlight.value
        #expect(status == 201, "\(body)")
        let exited = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
        #expect(exited == 0)
        let stats = try await Memgraph.run(["stats", "--user", user.rawValue, "--json"])
        #expect(try stats.json().objectValue?["embeddings"]?.doubleValue == 300, "\(stats)")
    }
}
