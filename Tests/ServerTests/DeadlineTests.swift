import AsyncHTTPClient
import Foundation
import MemoryGraph
import NIOCore
import NIOHTTP1
import Testing

/// A server of its own with a one-second request deadline (`MEMGRAPH_REQUEST_TIMEOUT`): a request
/// that runs past it is cancelled and answered 503, and the connection it came on goes on serving.
@Suite(.tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(3)))
struct DeadlineTests {
    @Test func aRequestPastItsDeadlineIsCancelledAndTheServerGoesOn() async throws {
        let key = try await TestServer.shared().serviceKey
        let (url, process) = try await TestServer.launch(["--no-worker"], environment: ["MEMGRAPH_REQUEST_TIMEOUT": "1"])
        // One connection, so that the requests after the cancelled one reuse its connection.
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1)))
        do {
            try await run(client: client, url: url, key: key)
            try await client.shutdown()
            process.terminate()
        } catch {
            try? await client.shutdown()
            process.terminate()
            throw error
        }
    }

    func run(client: HTTPClient, url: String, key: String) async throws {
        // 400 memories of ~60 tokens each, imported (quick) and then embedded before the answer
        // (seconds of encoder time on this machine): the wait outlasts the deadline.
        let user = freshUser("deadline")
        let count = 400
        var lines = [#"{"kind": "user", "user_id": "\#(user)"}"#]
        for i in 0..<count {
            let summary = "Note \(i): the harbour master said the spring tides peak twice a month, the evening ferry "
                + "leaves from the north pier at seven, the timetable changes in October, and the freight line "
                + "runs on Tuesdays and Fridays unless the weather closes the sound for the night."
            lines.append(#"{"kind": "node", "key": "n\#(i)", "context_type": "conversation_fact", "summary": "\#(summary)"}"#)
        }
        let started = ContinuousClock.now
        let answer = try await TestServer.send(client, .POST, "\(url)/v1/users/\(user)/import?wait=embedded", token: key,
                                              body: lines.joined(separator: "\n"), headers: [("Content-Type", "application/x-ndjson")])
        let elapsed = ContinuousClock.now - started
        #expect(answer.status == 503, "\(answer)")
        #expect(answer.errorCode == "deadline", "\(answer)")
        #expect(answer.body.contains("MEMGRAPH_REQUEST_TIMEOUT"), "\(answer)")
        // Answered at the deadline, not when the embedding would have ended.
        #expect(elapsed < .seconds(10), "answered after \(elapsed)")

        // The import is one transaction: all of it or none. Its wait was cut short: fields are
        // left to embed (this server runs no worker).
        let stats = try await TestServer.send(client, .GET, "\(url)/v1/users/\(user)/stats", token: key)
        if stats.status == 404 {
            // The deadline came inside the import's transaction (a busy machine): none of it.
            #expect(stats.errorCode == "unknown_user", "\(stats)")
        } else {
            #expect(stats.status == 200, "\(stats)")
            let document = try stats.json().objectValue
            #expect(document?["total_nodes"]?.doubleValue == Double(count), "all of the import or none: \(stats)")
            let embeddings = document?["embeddings"]?.doubleValue ?? .infinity
            #expect(embeddings < Double(count), "the wait was not cut short: \(stats)")
        }

        // The connection the cancelled request came on goes on serving, well inside the deadline.
        for _ in 0..<3 {
            let health = try await TestServer.send(client, .GET, "\(url)/healthz", token: nil)
            #expect(health.status == 200, "\(health)")
            let query = try await TestServer.send(client, .POST, "\(url)/v1/users/\(user)/query", token: key, body: #"{"query": "LOOKUP n1"}"#)
            #expect(query.status == 200 || query.status == 404, "\(query)")
        }
    }
}
