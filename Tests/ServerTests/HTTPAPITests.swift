import Foundation
import JWTKit
import MemoryGraph
import NIOHTTP1
import Testing

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

/// `memgraph serve` over loopback, called as a runtime would: AsyncHTTPClient, real Postgres.
@Suite(.tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(5)))
struct HTTPAPITests {
    /// Imports the CRM fixture for a fresh user through the API and returns the user.
    func crmUser(_ server: TestServer, prefix: String = "http") async throws -> UserID {
        let user = freshUser(prefix)
        let fixture = try String(contentsOf: Memgraph.root.appendingPathComponent("fixtures/crm.json"), encoding: .utf8)
        let answer = try await server.request(.POST, "/v1/users/\(user)/import", token: server.serviceKey, body: fixture)
        #expect(answer.status == 201, "\(answer)")
        return user
    }

    @Test func healthNeedsNoCredentialButEverythingElseDoes() async throws {
        let server = try await TestServer.shared()
        let health = try await server.request(.GET, "/healthz", token: nil)
        #expect(health.status == 200)
        for path in ["/readyz", "/metrics", "/openapi.yaml", "/v1/users/anyone/stats"] {
            let answer = try await server.request(.GET, path, token: nil)
            #expect(answer.status == 401, "\(path): \(answer)")
            #expect(answer.errorCode == "unauthorized")
        }
        let ready = try await server.request(.GET, "/readyz", token: server.serviceKey)
        #expect(ready.status == 200, "\(ready)")
        #expect(try ready.json().objectValue?["model"]?.stringValue == "loaded")
        let document = try await server.request(.GET, "/openapi.yaml", token: server.serviceKey)
        #expect(document.status == 200 && document.body.hasPrefix("openapi: 3.1"), "\(document)")
        let unknown = try await server.request(.GET, "/v1/users/\(freshUser("nobody"))/stats", token: server.serviceKey)
        #expect(unknown.status == 404, "\(unknown)")
        let metrics = try await server.request(.GET, "/metrics", token: server.serviceKey)
        #expect(metrics.status == 200 && metrics.body.contains("hb_requests"), "\(metrics)")
        // No error counter that stays 0 for every route and status (errors are hb_requests by status).
        #expect(!metrics.body.contains("hb_request_errors"), "\(metrics.body.prefix(2000))")
        // Requests are counted with the status their client got: the 401s and the 404 above are
        // not 500s (errors thrown inside the failure middleware once were).
        for status in ["401", "404"] {
            let line = #"hb_requests{http_route="/v1/users/{user}/stats",http_request_method="GET",http_response_status_code="\#(status)"}"#
            #expect(metrics.body.contains(line), "no \(line) in \(metrics.body.prefix(4000))")
        }
    }

    @Test func rememberThenQueryAnswersTheCLIsDocument() async throws {
        let server = try await TestServer.shared()
        let user = freshUser("http")
        let remembered = try await server.request(
            .POST, "/v1/users/\(user)/memories?wait=embedded", token: server.serviceKey,
            body: #"[{"context_type": "conversation_fact", "summary": "Ana moved to Lisbon in May to work on tide gauges.", "key": "ana-move"},"# +
                #" {"context_type": "conversation_fact", "summary": "Bruno keeps bees on his roof.", "key": "bruno-bees"}]"#)
        #expect(remembered.status == 201, "\(remembered)")
        #expect(try remembered.json().objectValue?["memories"]?.arrayValue?.count == 2)

        // Searchable on return: RECALL and SEARCH find it at once.
        for query in [#"RECALL "who works on tide gauges""#, #"SEARCH "tide gauges in Lisbon" LIMIT 1"#, "LOOKUP ana-move"] {
            let body = String(decoding: try JSONEncoder().encode(["query": query]), as: UTF8.self)
            let answer = try await server.request(.POST, "/v1/users/\(user)/query", token: server.serviceKey, body: body)
            #expect(answer.status == 200, "\(answer)")
            let keys = try answer.json().objectValue?["results"]?.arrayValue?.compactMap { $0.objectValue?["key"]?.stringValue }
            #expect(keys?.first == "ana-move", "\(query): \(answer)")
            // The same document as `memgraph query --json`, field for field.
            let cli = try await Memgraph.run(["query", query, "--user", user.rawValue, "--json"])
            #expect(cli.status == 0, "\(cli)")
            #expect(try cli.json().withoutAccessCounts == answer.json().withoutAccessCounts, "\(query)")
        }
        // Plain text is RECALLed: the query an agent should use by default.
        let plain = try await server.request(.POST, "/v1/users/\(user)/query", token: server.serviceKey, body: #"{"query": "bees on a roof"}"#)
        #expect(try plain.json().objectValue?["query"]?.stringValue?.hasPrefix("RECALL") == true, "\(plain)")
        #expect(try plain.json().objectValue?["results"]?.arrayValue?.first?.objectValue?["key"]?.stringValue == "bruno-bees")
        // A structured query's canonical text is REM that parses back (MIN -0.0 printed as "-0.0" did not).
        let structured = try await server.request(
            .POST, "/v1/users/\(user)/query", token: server.serviceKey, body: #"{"verb": "recall", "text": "bees", "min": -0.0}"#)
        let canonical = try #require(try structured.json().objectValue?["query"]?.stringValue, "\(structured)")
        let reparsed = try await server.request(
            .POST, "/v1/users/\(user)/query", token: server.serviceKey, body: JSONValue.object(["query": .string(canonical)]).jsonText())
        #expect(reparsed.status == 200, "\(canonical): \(reparsed)")

        // GET by key and by id, DELETE.
        let node = try await server.request(.GET, "/v1/users/\(user)/memories/bruno-bees", token: server.serviceKey)
        let id = try #require(try node.json().objectValue?["node_id"]?.stringValue)
        let byID = try await server.request(.GET, "/v1/users/\(user)/memories/\(id)", token: server.serviceKey)
        #expect(byID.status == 200)
        #expect(try byID.json().withoutAccessCounts == node.json().withoutAccessCounts)
        let removed = try await server.request(.DELETE, "/v1/users/\(user)/memories/bruno-bees", token: server.serviceKey)
        #expect(removed.status == 200, "\(removed)")
        let gone = try await server.request(.GET, "/v1/users/\(user)/memories/bruno-bees", token: server.serviceKey)
        #expect(gone.status == 404 && gone.errorCode == "not_found", "\(gone)")
    }

    @Test func relationshipsGraphPathAndSessions() async throws {
        let server = try await TestServer.shared()
        let user = try await crmUser(server)
        let related = try await server.request(
            .POST, "/v1/users/\(user)/relationships", token: server.serviceKey,
            body: #"{"from": "sarah-chen", "to": "acme-corp", "type": "relates_to", "strength": 0.4}"#)
        #expect(related.status == 201, "\(related)")
        let graph = try await server.request(.GET, "/v1/users/\(user)/graph?root=acme-corp&depth=1", token: server.serviceKey)
        #expect(graph.status == 200 && graph.body.contains("sarah-chen"), "\(graph)")
        let dot = try await server.request(.GET, "/v1/users/\(user)/graph?root=acme-corp&depth=1&format=dot", token: server.serviceKey)
        #expect(dot.status == 200 && dot.body.hasPrefix("digraph"), "\(dot)")
        let mermaid = try await server.request(.GET, "/v1/users/\(user)/graph?root=acme-corp&depth=1&format=mermaid", token: server.serviceKey)
        #expect(mermaid.status == 200 && mermaid.body.hasPrefix("flowchart"), "\(mermaid)")
        let path = try await server.request(.GET, "/v1/users/\(user)/path?from=sarah-chen&to=acme-corp", token: server.serviceKey)
        #expect(path.status == 200, "\(path)")
        #expect(try path.json().objectValue?["length"]?.doubleValue == 1, "\(path)")
        let upper = try await server.request(.GET, "/v1/users/\(user)/path?from=sarah-chen&to=acme-corp&direction=BOTH", token: server.serviceKey)
        #expect(upper.status == 200, "directions are read in any case, as in REM: \(upper)")
        // ?type= as the CLI's --type: over belongs_to the direct edge; without it, a longer way or none.
        let typed = try await server.request(.GET, "/v1/users/\(user)/path?from=sarah-chen&to=acme-corp&type=belongs_to,led_to", token: server.serviceKey)
        #expect(try typed.json().objectValue?["length"]?.doubleValue == 1, "\(typed)")
        let ledTo = try await server.request(.GET, "/v1/users/\(user)/path?from=sarah-chen&to=acme-corp&type=led_to&max_depth=1", token: server.serviceKey)
        #expect(ledTo.status == 404, "a path only over led_to edges is not the belongs_to edge: \(ledTo)")

        let started = try await server.request(.POST, "/v1/users/\(user)/sessions", token: server.serviceKey, body: #"{"idle_ttl_seconds": 600}"#)
        #expect(started.status == 201, "\(started)")
        let session = try #require(try started.json().objectValue?["session_id"]?.stringValue)
        let base = "/v1/users/\(user)/sessions/\(session)/memory"
        let set = try await server.request(.PUT, "\(base)/draft", token: server.serviceKey, body: #"{"step": 2}"#)
        #expect(set.status == 200, "\(set)")
        let value = try await server.request(.GET, "\(base)/draft", token: server.serviceKey)
        #expect(try value.json().objectValue?["value"] == ["step": 2], "\(value)")
        let all = try await server.request(.GET, base, token: server.serviceKey)
        #expect(try all.json().objectValue?["values"]?.objectValue?.keys.sorted() == ["draft"])
        // Another user's token cannot see the session, even by its id.
        let other = try await server.request(.GET, "/v1/users/\(user)/sessions/\(session)", token: try await TestServer.token(for: freshUser()))
        #expect(other.status == 403, "\(other)")
        let ended = try await server.request(.DELETE, "/v1/users/\(user)/sessions/\(session)", token: server.serviceKey)
        #expect(ended.status == 200, "\(ended)")
        let after = try await server.request(.GET, "\(base)/draft", token: server.serviceKey)
        #expect(after.status == 404, "\(after)")
    }

    /// A user token for A, against every endpoint of B: 403, and B's rows are unchanged.
    @Test func isolationMatrix() async throws {
        let server = try await TestServer.shared()
        let bob = try await crmUser(server, prefix: "bob")
        let alice = freshUser("alice")
        let aliceToken = try await TestServer.token(for: alice)
        // Bob's session, with a value in its working memory (SQLite, which the snapshot does not read).
        let started = try await server.request(.POST, "/v1/users/\(bob)/sessions", token: server.serviceKey, body: "{}")
        let session = try #require(try started.json().objectValue?["session_id"]?.stringValue, "\(started)")
        let value = try await server.request(.PUT, "/v1/users/\(bob)/sessions/\(session)/memory/plan", token: server.serviceKey, body: #"{"step": 1}"#)
        #expect(value.status == 200, "\(value)")
        let sessionBefore = try await server.request(.GET, "/v1/users/\(bob)/sessions/\(session)/memory", token: server.serviceKey)
        let before = try await Snapshot.of(bob)
        let sessionRoutes: [(HTTPMethod, String, String?)] = [
            (.GET, "/sessions/\(session)", nil), (.GET, "/sessions/\(session)/memory", nil),
            (.GET, "/sessions/\(session)/memory/plan", nil), (.PUT, "/sessions/\(session)/memory/plan", #"{"step": 99}"#),
            (.DELETE, "/sessions/\(session)/memory/plan", nil), (.DELETE, "/sessions/\(session)", nil),
        ]
        let endpoints: [(HTTPMethod, String, String?)] = sessionRoutes + [
            (.POST, "/memories", #"{"context_type": "conversation_fact", "summary": "planted"}"#),
            (.GET, "/memories/acme-corp", nil), (.DELETE, "/memories/acme-corp", nil),
            (.POST, "/query", #"{"query": "LOOKUP acme-corp"}"#),
            (.POST, "/relationships", #"{"from": "sarah-chen", "to": "acme-corp", "type": "led_to"}"#),
            (.GET, "/graph?root=acme-corp", nil), (.GET, "/path?from=sarah-chen&to=acme-corp", nil),
            (.POST, "/import", #"{"nodes": [{"context_type": "conversation_fact", "summary": "planted"}]}"#),
            (.GET, "/export", nil), (.GET, "/stats", nil), (.POST, "/sessions", "{}"),
            (.POST, "/mcp", #"{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}"#), (.GET, "/mcp", nil), (.DELETE, "/mcp", nil),
            (.GET, "/graph?root=acme-corp&format=dot", nil), (.DELETE, "", nil),
        ]
        for (method, suffix, body) in endpoints {
            let answer = try await server.request(method, "/v1/users/\(bob)\(suffix)", token: aliceToken, body: body)
            #expect(answer.status == 403, "\(method) \(suffix): \(answer)")
            #expect(answer.errorCode == "forbidden", "\(method) \(suffix)")
        }
        #expect(try await Snapshot.of(bob) == before)

        // Bob's session through Alice's own path: as if it did not exist, and untouched.
        for (method, suffix, body) in sessionRoutes {
            let answer = try await server.request(method, "/v1/users/\(alice)\(suffix)", token: aliceToken, body: body)
            #expect(answer.status == 404, "\(method) \(suffix) on alice's path: \(answer)")
            #expect(!answer.body.contains("step"), "\(answer)")
        }
        let sessionAfter = try await server.request(.GET, "/v1/users/\(bob)/sessions/\(session)/memory", token: server.serviceKey)
        #expect(sessionAfter.status == 200 && sessionAfter.body == sessionBefore.body, "\(sessionBefore) then \(sessionAfter)")

        // Alice's token works on her own path, and a service key on anyone's.
        let own = try await server.request(.POST, "/v1/users/\(alice)/memories", token: aliceToken,
                                           body: #"{"context_type": "conversation_fact", "summary": "mine"}"#)
        #expect(own.status == 201, "\(own)")
        let service = try await server.request(.GET, "/v1/users/\(bob)/stats", token: server.serviceKey)
        #expect(service.status == 200, "\(service)")

        // Expired, forged and absent credentials: 401.
        let expired = try await TestServer.token(for: bob, expiresIn: -60)
        for token in [expired, aliceToken.dropLast(3) + "abc", "mgk_not-a-key", ""] {
            let answer = try await server.request(.GET, "/v1/users/\(bob)/stats", token: token.isEmpty ? nil : String(token))
            #expect(answer.status == 401, "\(answer)")
        }
        // A token that is not valid yet (nbf), that asks for an extension (crit), or whose header
        // names another algorithm than the one it is signed with: 401.
        var critical = JWTHeader()
        critical.crit = ["memgraph-unknown"]
        var lying = JWTHeader()
        lying.alg = "HS512"
        let strict = [
            ("nbf in the future", try await TestServer.token(for: bob, notBefore: Date().addingTimeInterval(600))),
            ("crit", try await TestServer.token(for: bob, header: critical)),
            ("alg HS512 signed HS256", try await TestServer.token(for: bob, header: lying)),
        ]
        // A claim named twice (RFC 7519 4: refuse it; the first sub was believed, where another JSON
        // library would read the last), a padded signature, and secrets that are no JWT at all.
        let exp = Int(Date().addingTimeInterval(600).timeIntervalSince1970)
        let twice = try await TestServer.rawToken(payload: #"{"sub":"\#(bob)","sub":"\#(alice)","exp":\#(exp)}"#)
        let signedRight = try await TestServer.rawToken(payload: #"{"sub":"\#(bob)","exp":\#(exp)}"#)
        #expect(try await server.request(.GET, "/v1/users/\(bob)/stats", token: signedRight).status == 200, "the raw signer signs right")
        let malformed = [("sub twice", twice), ("padded signature", signedRight + "="), ("not a JWT", "a.b.c"), ("two parts", "abc.def")]
        for (name, token) in strict + malformed {
            let answer = try await server.request(.GET, "/v1/users/\(bob)/stats", token: token)
            #expect(answer.status == 401 && answer.errorCode == "unauthorized", "\(name): \(answer)")
        }
        let notJWT = try await server.request(.GET, "/v1/users/\(bob)/stats", token: "a.b.c")
        #expect(notJWT.body.contains("neither an API key"), "\(notJWT)")
        let current = try await TestServer.token(for: bob, notBefore: Date().addingTimeInterval(-60))
        #expect(try await server.request(.GET, "/v1/users/\(bob)/stats", token: current).status == 200)
        // User ids are compared byte for byte: a token for "cafe" + U+0301 is not one for "café"
        // written with U+00E9, though Swift's String equality calls the two equal.
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let composed = try UserID("caf\u{E9}-\(suffix)")
        let decomposed = try UserID("cafe\u{301}-\(suffix)")
        let composedPath = "/v1/users/" + composed.rawValue.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!
        let planted = try await server.request(.POST, composedPath + "/memories", token: server.serviceKey,
                                               body: #"{"context_type": "conversation_fact", "key": "secret", "summary": "the safe code is 1234"}"#)
        #expect(planted.status == 201, "\(planted)")
        let composedBefore = try await Snapshot.of(composed)
        let lookalike = try await TestServer.token(for: decomposed)
        for (method, route, body) in [(HTTPMethod.GET, "/memories/secret", nil), (.GET, "/export", nil),
                                      (.POST, "/memories", #"{"context_type": "conversation_fact", "summary": "planted"}"#), (.DELETE, "", nil)] {
            let answer = try await server.request(method, composedPath + route, token: lookalike, body: body)
            #expect(answer.status == 403 && !answer.body.contains("1234"), "\(method) \(route): \(answer)")
        }
        #expect(try await Snapshot.of(composed) == composedBefore)
        // A user-scoped key is bound to its user.
        let scoped = try await Memgraph.run(["keys", "create", "--name", "alice-\(UUID().uuidString.prefix(8))", "--scope", "user:\(alice)", "--json"])
        let scopedKey = try #require(try scoped.json().objectValue?["secret"]?.stringValue)
        #expect(try await server.request(.GET, "/v1/users/\(alice)/stats", token: scopedKey).status == 200)
        #expect(try await server.request(.GET, "/v1/users/\(bob)/stats", token: scopedKey).status == 403)
        // A revoked key stops working at once.
        let name = try #require(try scoped.json().objectValue?["name"]?.stringValue)
        let revoke = try await Memgraph.run(["keys", "revoke", name])
        #expect(revoke.status == 0, "\(revoke)")
        let revoked = try await server.request(.GET, "/v1/users/\(alice)/stats", token: scopedKey)
        #expect(revoked.status == 401 && revoked.body.contains("revoked"), "\(revoked)")
        #expect(try await Snapshot.of(bob) == before)
    }

    /// A key that looks like a UUID is found by it (a node id is tried first), and a key taken by
    /// another node is a 409 that says so, not the index's name.
    @Test func keysThatLookLikeNodeIDsAndTakenKeys() async throws {
        let server = try await TestServer.shared()
        let user = freshUser("uuid-key")
        let key = UUID().uuidString
        let stored = try await server.request(.POST, "/v1/users/\(user)/memories", token: server.serviceKey,
                                              body: #"{"context_type": "conversation_fact", "key": "\#(key)", "summary": "Keyed by a ticket's UUID."}"#)
        #expect(stored.status == 201, "\(stored)")
        let read = try await server.request(.GET, "/v1/users/\(user)/memories/\(key)", token: server.serviceKey)
        #expect(read.status == 200 && read.body.contains("Keyed by a ticket's UUID."), "\(read)")
        let missing = try await server.request(.GET, "/v1/users/\(user)/memories/\(UUID().uuidString)", token: server.serviceKey)
        #expect(missing.status == 404, "\(missing)")
        // An entity that names a key a plain fact holds: the key is another node's.
        let taken = try await server.request(.POST, "/v1/users/\(user)/memories", token: server.serviceKey, body: """
            {"context_type": "domain_entity", "key": "\(key)", "summary": "Ticket",
             "content": {"entity_system": "tracker", "entity_id": "T-1", "entity_name": "Ticket"}}
            """)
        #expect(taken.status == 409 && taken.errorCode == "conflict", "\(taken)")
        #expect(taken.body.contains("already another node's") && !taken.body.contains("idx_"), "\(taken)")
    }

    /// Forgotten softly, then for good by its node id: the row and its embedding are gone.
    @Test func aForgottenMemoryCanBeDeletedForGood() async throws {
        let server = try await TestServer.shared()
        let user = freshUser("forget")
        let stored = try await server.request(.POST, "/v1/users/\(user)/memories?wait=embedded", token: server.serviceKey,
                                              body: #"{"context_type": "conversation_fact", "key": "old-address", "summary": "Ana lived in Porto."}"#)
        let id = try #require(try stored.json().objectValue?["memories"]?.arrayValue?.first?.objectValue?["node_id"]?.stringValue, "\(stored)")
        let soft = try await server.request(.DELETE, "/v1/users/\(user)/memories/old-address", token: server.serviceKey)
        #expect(soft.status == 200, "\(soft)")
        #expect(try await server.request(.GET, "/v1/users/\(user)/memories/\(id)", token: server.serviceKey).status == 404)
        #expect(try await server.request(.DELETE, "/v1/users/\(user)/memories/\(id)", token: server.serviceKey).status == 404)  // hidden already
        #expect(try await Superuser.count("nodes", user: user) == 1)
        let hard = try await server.request(.DELETE, "/v1/users/\(user)/memories/\(id)?hard=true", token: server.serviceKey)
        #expect(hard.status == 200 && hard.body.contains(id), "\(hard)")
        #expect(try await Superuser.count("nodes", user: user) == 0)
        #expect(try await Superuser.count("embeddings", user: user) == 0)
        // By its old key it is not found: a key names a live node only.
        #expect(try await server.request(.DELETE, "/v1/users/\(user)/memories/old-address?hard=true", token: server.serviceKey).status == 404)
    }

    @Test func exportThenImportAsAnotherUserGivesTheSameGraph() async throws {
        let server = try await TestServer.shared()
        let source = try await crmUser(server, prefix: "export")
        // A keyless node linked to a keyed one (exported with the key node-<id>), and a removed node (left out).
        let lunch = try await server.request(.POST, "/v1/users/\(source)/memories", token: server.serviceKey,
                                             body: #"{"context_type": "conversation_fact", "summary": "Lunch with Sarah went well."}"#)
        let lunchID = try #require(try lunch.json().objectValue?["memories"]?.arrayValue?.first?.objectValue?["node_id"]?.stringValue)
        let link = try await server.request(.POST, "/v1/users/\(source)/relationships", token: server.serviceKey,
                                            body: #"{"from": "\#(lunchID)", "to": "sarah-chen", "type": "relates_to", "strength": 0.3}"#)
        #expect(link.status == 201, "\(link)")
        _ = try await server.request(.DELETE, "/v1/users/\(source)/memories/search-erp-vendors", token: server.serviceKey)
        // Two entities whose names give one key, one of them linked, and an unlinked entity known by its derived key.
        // (One request may not name two entities with one key, as a fixture may not: two requests.)
        let twins = try await server.request(.POST, "/v1/users/\(source)/memories", token: server.serviceKey, body: """
            [{"context_type": "domain_entity", "summary": "Jordan Lee at Acme", "content": {"entity_system": "crm", "entity_id": "J-1", "entity_name": "Jordan Lee"}},
             {"context_type": "domain_entity", "summary": "Priya Raman", "content": {"entity_system": "crm", "entity_id": "P-1", "entity_name": "Priya Raman"}}]
            """)
        #expect(twins.status == 201, "\(twins)")
        let twin = try await server.request(.POST, "/v1/users/\(source)/memories", token: server.serviceKey, body: """
            {"context_type": "domain_entity", "summary": "Jordan Lee at Globex", "content": {"entity_system": "hr", "entity_id": "J-2", "entity_name": "Jordan Lee"}}
            """)
        #expect(twin.status == 201, "\(twin)")
        let twinID = try #require(try twins.json().objectValue?["memories"]?.arrayValue?.first?.objectValue?["node_id"]?.stringValue)
        let twinLink = try await server.request(.POST, "/v1/users/\(source)/relationships", token: server.serviceKey,
                                                body: #"{"from": "\#(twinID)", "to": "acme-corp", "type": "belongs_to"}"#)
        #expect(twinLink.status == 201, "\(twinLink)")
        let exported = try await server.request(.GET, "/v1/users/\(source)/export", token: server.serviceKey)
        #expect(exported.status == 200 && exported.contentType == "application/x-ndjson", "\(exported)")
        let target = freshUser("import")
        let imported = try await server.request(
            .POST, "/v1/users/\(target)/import", token: server.serviceKey, body: exported.body.replacingOccurrences(of: source.rawValue, with: target.rawValue),
            headers: [("Content-Type", "application/x-ndjson")])
        #expect(imported.status == 201, "\(imported)")
        let again = try await server.request(.GET, "/v1/users/\(target)/export", token: server.serviceKey)
        let lines = { (text: String) in try Self.graphLines(text) }
        #expect(exported.body.contains("\"key\":\"node-\(lunchID)\""), "the keyless linked node gets a key")
        #expect(exported.body.contains(#""strength":0.3,"#), "a strength as it was given, not float4's 0.30000001192092896")
        #expect(!exported.body.contains("search-erp-vendors"), "a removed node is left out")
        #expect(exported.body.contains("\"key\":\"node-\(twinID)\""), "a shared derived key becomes node-<id>")
        #expect(!exported.body.contains("\"key\":\"priya-raman\""), "a derived key is left to the import")
        #expect(try lines(exported.body).count > 90)
        try Self.expectSame(lines(again.body), lines(exported.body))
        // The same through the CLI: export to a file, import it for a third user.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let cliExport = try await Memgraph.run(["export", "--user", source.rawValue, "--output", file.path])
        #expect(cliExport.status == 0, "\(cliExport)")
        let third = freshUser("cli-import")
        let cliImport = try await Memgraph.run(["import", file.path, "--user", third.rawValue])
        #expect(cliImport.status == 0, "\(cliImport)")
        let thirdExport = try await server.request(.GET, "/v1/users/\(third)/export", token: server.serviceKey)
        try Self.expectSame(lines(thirdExport.body), lines(exported.body))
        // Back into the same user (a restore over what is there): nothing new, no node or edge twice.
        let statsBefore = try await server.request(.GET, "/v1/users/\(source)/stats", token: server.serviceKey).json()
        let restored = try await server.request(
            .POST, "/v1/users/\(source)/import", token: server.serviceKey, body: exported.body, headers: [("Content-Type", "application/x-ndjson")])
        #expect(restored.status == 201, "\(restored)")
        #expect(try restored.json().objectValue?["inserted"]?.doubleValue == 0, "\(restored)")
        let statsAfter = try await server.request(.GET, "/v1/users/\(source)/stats", token: server.serviceKey).json()
        for field in ["total_nodes", "total_relationships"] {
            #expect(statsAfter.objectValue?[field] == statsBefore.objectValue?[field], "\(field): \(statsBefore) → \(statsAfter)")
        }
        // The same graph, but for what a merge does (an entity's update_count and last_updated; tags in order).
        let restoredExport = try await server.request(.GET, "/v1/users/\(source)/export", token: server.serviceKey)
        try Self.expectSame(Self.graphLines(restoredExport.body, merged: true), Self.graphLines(exported.body, merged: true))
    }

    /// An export's node and relationship lines, without the user line and without the two content
    /// fields the store writes itself on every import of an entity (`last_updated`, `update_count`).
    static func graphLines(_ text: String, merged: Bool = false) throws -> Set<String> {
        Set(try text.split(separator: "\n").compactMap { line -> String? in
            // Whole records: an entity's update_count and last_updated come back as they went out
            // (into another user). Into the same one, each record merges: `merged` drops those two
            // and sorts tags, as a merge unites them.
            guard case .object(var record) = try JSONValue.parse(String(line)), record["kind"] != "user" else { return nil }
            if merged, case .object(var content)? = record["content"] {
                content["update_count"] = nil
                content["last_updated"] = nil
                record["content"] = .object(content)
            }
            if merged, case .array(let tags)? = record["tags"] {
                record["tags"] = .array(tags.sorted { ($0.stringValue ?? "") < ($1.stringValue ?? "") })
            }
            return String(decoding: try JSONEncoder.sorted.encode(JSONValue.object(record)), as: UTF8.self)
        })
    }

    /// Equal sets, and on a difference only a few of the lines that differ.
    static func expectSame(_ actual: Set<String>, _ expected: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        let missing = expected.subtracting(actual), extra = actual.subtracting(expected)
        #expect(missing.isEmpty && extra.isEmpty, "missing: \(Array(missing.sorted().prefix(2))) extra: \(Array(extra.sorted().prefix(2)))", sourceLocation: sourceLocation)
    }

    @Test func eraseDeletesEveryRowOfTheUserAndNothingElse() async throws {
        let server = try await TestServer.shared()
        let doomed = try await crmUser(server, prefix: "erase")
        let bystander = try await crmUser(server, prefix: "keep")
        _ = try await server.request(.POST, "/v1/users/\(doomed)/memories?wait=embedded", token: server.serviceKey,
                                     body: #"{"context_type": "conversation_fact", "summary": "to be erased"}"#)
        let session = try await server.request(.POST, "/v1/users/\(doomed)/sessions", token: server.serviceKey, body: "{}")
        let id = try #require(try session.json().objectValue?["session_id"]?.stringValue)
        _ = try await server.request(.PUT, "/v1/users/\(doomed)/sessions/\(id)/memory/k", token: server.serviceKey, body: "1")
        let bystanderBefore = try await Snapshot.of(bystander)
        let doomedKey = try await Memgraph.run(["keys", "create", "--name", "erase-\(UUID().uuidString.prefix(8))", "--scope", "user:\(doomed)", "--json"])
        let doomedSecret = try #require(try doomedKey.json().objectValue?["secret"]?.stringValue)
        #expect(try await server.request(.GET, "/v1/users/\(doomed)/stats", token: doomedSecret).status == 200)

        // A dry run counts and changes nothing.
        let before = try await Snapshot.of(doomed)
        let dry = try await server.request(.DELETE, "/v1/users/\(doomed)?dry_run=true", token: server.serviceKey)
        #expect(dry.status == 200, "\(dry)")
        #expect(try dry.json().objectValue?["erased"] == .bool(false), "\(dry)")
        #expect(try await Snapshot.of(doomed) == before)

        let erased = try await server.request(.DELETE, "/v1/users/\(doomed)", token: server.serviceKey)
        #expect(erased.status == 200, "\(erased)")
        #expect(try erased.json().objectValue?["sessions"]?.doubleValue == 1)
        for table in ["nodes", "relationships", "kv_store", "embeddings", "embedding_jobs", "embedding_batches", "applied_operations", "user_metadata", "user_count_deltas"] {
            #expect(try await Superuser.count(table, user: doomed) == 0, "memory.\(table)")
        }
        let gone = try await server.request(.GET, "/v1/users/\(doomed)/sessions/\(id)", token: server.serviceKey)
        #expect(gone.status == 404, "\(gone)")
        let sessions = try await Memgraph.run(["session", "list", "--user", doomed.rawValue, "--json"])
        #expect(try sessions.json().objectValue?["sessions"]?.arrayValue?.isEmpty == true, "\(sessions)")
        #expect(try await Snapshot.of(bystander) == bystanderBefore)
        // The user is unknown now, and the user's own key is revoked.
        let stats = try await server.request(.GET, "/v1/users/\(doomed)/stats", token: server.serviceKey)
        #expect(stats.status == 404 && stats.errorCode == "unknown_user", "\(stats)")
        // Erasing again: nothing there, an error on the command line too (it printed zero rows, exit 0).
        let cliAgain = try await Memgraph.run(["erase", "--user", doomed.rawValue, "--yes"])
        #expect(cliAgain.status == 1 && cliAgain.stderr.contains("nothing to erase"), "\(cliAgain)")
        #expect(try await server.request(.GET, "/v1/users/\(doomed)/stats", token: doomedSecret).status == 401)
        #expect(try erased.json().objectValue?["postgres"]?.objectValue?["api_keys"]?.doubleValue == 1)
    }

    @Test func badInputIsAnsweredWithItsCodeAndChangesNothing() async throws {
        let server = try await TestServer.shared()
        let user = try await crmUser(server, prefix: "bad")
        let before = try await Snapshot.of(user)
        let cases: [(String, HTTPMethod, String, String?, Int, String?)] = [
            ("malformed JSON", .POST, "/memories", #"{"context_type": "conversation_fact", "summary": }"#, 400, "$"),
            ("fixture problem", .POST, "/memories", #"[{"context_type": "conversation_fact"}, {"context_type": "meeting", "summary": "x"}]"#, 400, "$[1].context_type"),
            ("unknown field", .POST, "/memories", #"{"context_type": "conversation_fact", "sumary": "x"}"#, 400, "$.sumary"),
            ("import problem", .POST, "/import", #"{"nodes": [{"context_type": "domain_entity", "summary": "x"}], "relationships": [{"from": "a", "to": "b", "type": "nope"}]}"#, 400, "$.relationships[0].type"),
            ("REM error", .POST, "/query", #"{"query": "FUZZY sara THRESHOLD abc"}"#, 400, "column 22"),
            ("unknown key", .GET, "/memories/no-such-key", nil, 404, nil),
            ("unknown relationship end", .POST, "/relationships", #"{"from": "sarah-chen", "to": "nobody", "type": "led_to"}"#, 404, nil),
            ("window the wrong way round", .POST, "/query", #"{"verb": "recall", "text": "x", "since": "2025-01-01T00:00:00Z", "until": "2024-01-01T00:00:00Z"}"#, 400, "$.until"),
            ("REM window the wrong way round", .POST, "/query", #"{"query": "RECALL x SINCE 2025-01-01 UNTIL 2024-01-01"}"#, 400, "column 33"),
            ("depth out of range", .GET, "/graph?root=acme-corp&depth=11", nil, 400, "depth"),
            ("max_depth out of range", .GET, "/path?from=sarah-chen&to=acme-corp&max_depth=0", nil, 400, "max_depth"),
            ("FUZZY threshold below the store's floor", .POST, "/query", #"{"verb": "fuzzy", "text": "sara", "threshold": 0.01}"#, 400, "$.threshold"),
            ("FUZZY text too long", .POST, "/query", #"{"verb": "fuzzy", "text": ""# + String(repeating: "a", count: 201) + #""}"#, 400, "$.text"),
            ("an integer a double cannot keep", .POST, "/memories", #"{"context_type": "conversation_fact", "summary": "x", "metadata": {"id": 12345678901234567}}"#, 400, "$"),
            ("a misspelt parameter on erase", .DELETE, "?dryrun=true", nil, 400, "dryrun"),
            ("a strength a real cannot keep", .POST, "/relationships", #"{"from": "sarah-chen", "to": "acme-corp", "type": "led_to", "strength": 1e-320}"#, 400, "$.strength"),
            ("a base_relevance a real cannot keep", .POST, "/memories", #"{"context_type": "conversation_fact", "summary": "x", "base_relevance": 1e-320}"#, 400, "$.base_relevance"),
            ("a parameter a route does not take", .GET, "/stats?bogus=1", nil, 400, "bogus"),
            ("a parameter given twice", .GET, "/graph?root=acme-corp&root=sarah-chen", nil, 400, "root"),
            ("an unknown relationship type on path", .GET, "/path?from=sarah-chen&to=acme-corp&type=works_at", nil, 400, "type"),
            ("unknown import format", .POST, "/import?format=xml", #"{"nodes": [{"context_type": "conversation_fact", "summary": "x"}]}"#, 400, "format"),
            // Some 110,000 distinct words: a tsvector past Postgres's 1 MB, though under the content limit.
            ("text past a database limit", .POST, "/memories",
             #"{"context_type": "conversation_fact", "summary": "x", "content": {"text": ""# + (0..<110_000).map { "w\($0)" }.joined(separator: " ") + #""}}"#,
             400, nil),
        ]
        for (name, method, suffix, body, status, path) in cases {
            let answer = try await server.request(method, "/v1/users/\(user)\(suffix)", token: server.serviceKey, body: body)
            #expect(answer.status == status, "\(name): \(answer)")
            #expect(answer.errorPath == path, "\(name): \(answer)")
            #expect(try answer.json().objectValue?["error"]?.objectValue?["message"]?.stringValue?.isEmpty == false, "\(name)")
        }
        // Bytes that are not UTF-8: 400, not replacement characters in a stored summary.
        let latin1 = Array(#"{"context_type": "conversation_fact", "key": "bad-bytes", "summary": "caf"#.utf8) + [0xE9] + Array(#""}"#.utf8)
        let notUTF8 = try await TestServer.send(server.client, .POST, server.url + "/v1/users/\(user)/memories", token: server.serviceKey, bytes: latin1)
        #expect(notUTF8.status == 400 && notUTF8.body.contains("UTF-8"), "\(notUTF8)")
        // A route's path with another method: 405 naming those it takes; a path that is no route: 404.
        let wrongMethod = try await server.request(.PUT, "/v1/users/\(user)/stats", token: server.serviceKey)
        #expect(wrongMethod.status == 405 && wrongMethod.errorCode == "method_not_allowed" && wrongMethod.body.contains("GET"), "\(wrongMethod)")
        let noRoute = try await server.request(.GET, "/v1/users/\(user)/nowhere", token: server.serviceKey)
        #expect(noRoute.status == 404, "\(noRoute)")
        // Over the limit: 413, for a declared length and for a streamed body alike.
        let large = "[" + String(repeating: #"{"context_type": "conversation_fact", "summary": "padding padding padding"},"#, count: 20_000) + "{}]"
        let tooLarge = try await server.request(.POST, "/v1/users/\(user)/memories", token: server.serviceKey, body: large)
        #expect(tooLarge.status == 413 && tooLarge.errorCode == "too_large", "\(tooLarge)")
        #expect(try await Snapshot.of(user) == before)
        // An unknown user: 404 on reads.
        let unknown = freshUser("nobody")
        for path in ["/stats", "/export"] {
            #expect(try await server.request(.GET, "/v1/users/\(unknown)\(path)", token: server.serviceKey).status == 404, "\(path)")
        }
        let query = try await server.request(.POST, "/v1/users/\(unknown)/query", token: server.serviceKey, body: #"{"query": "LOOKUP x"}"#)
        #expect(query.status == 404 && query.errorCode == "unknown_user", "\(query)")
    }
}
