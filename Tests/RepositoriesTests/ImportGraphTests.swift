import Foundation
import MemoryGraph
import PostgresNIO
import Repositories
import Testing

@Suite("importGraph and shortestPath", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct ImportGraphTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures")

    static func sample() throws -> FixtureSet {
        try FixtureLoader.load(paths: ["crm.json", "support.jsonl", "engineering"].map { fixtures.appendingPathComponent($0) })
    }

    /// (node, field) pairs where the user's embedding jobs and memory.field_text's texts (with their
    /// sha256) disagree: a job too many, or one missing.
    static func jobMismatches(_ user: UserID) async throws -> [(String, String)] {
        try await TestDatabase.asSuperuser { connection in
            try await connection.query(
                """
                SELECT coalesce(e.node_id, j.node_id)::text, coalesce(e.field, j.field)
                FROM (SELECT n.node_id, f.field, sha256(convert_to(memory.field_text(n, f.field), 'UTF8')) AS sha
                      FROM memory.nodes n CROSS JOIN memory.embedded_fields f
                      WHERE n.user_id = \(user.rawValue) AND n.deleted_at IS NULL
                        AND coalesce(n.metadata->>'embed', 'true') <> 'false' AND memory.field_text(n, f.field) IS NOT NULL) e
                FULL JOIN (SELECT node_id, field, content_sha FROM memory.embedding_jobs WHERE user_id = \(user.rawValue)) j
                    ON j.node_id = e.node_id AND j.field = e.field AND j.content_sha = e.sha
                WHERE e.node_id IS NULL OR j.node_id IS NULL
                """, logger: TestDatabase.logger
            ).collect().map { try $0.decode((String, String).self) }
        }
    }

    @Test("small batches give the same graph as one batch: merges across statements")
    func batchSizes() async throws {
        let store = try await TestDatabase.store()
        let graph = try Self.sample()
        let (one, many) = (freshUser(), freshUser())
        let whole = try await store.importGraph(one, graph)
        let chunked = try await store.importGraph(many, graph, batchSize: 7)
        #expect(whole == chunked)
        #expect(whole.inserted + whole.merged == graph.nodes.count)
        #expect(try await store.stats(one).nodesByContextType == store.stats(many).nodesByContextType)
        #expect(try await store.counters(one) == store.counters(many))
    }

    @Test("importing again inserts nothing; plain nodes are recognised by what they say")
    func reimport() async throws {
        let store = try await TestDatabase.store()
        let graph = try Self.sample()
        let user = freshUser()
        let first = try await store.importGraph(user, graph)
        let before = try await store.stats(user)
        let second = try await store.importGraph(user, graph, batchSize: 11)
        #expect(second.inserted == 0)
        #expect(second.relationshipsInserted == 0)
        #expect(second.kvEntries == first.kvEntries)
        #expect(try await store.stats(user).nodesByContextType == before.nodesByContextType)
        #expect(graph.nodes.contains { $0.key == nil }, "the sample should hold plain nodes")
    }

    @Test("new nodes' embedding jobs are the fields memory.field_text finds, with the hash of its text")
    func jobsOfNewNodes() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        _ = try await store.importGraph(user, try Self.sample())
        // The edges of the text rule: the summary from content when the column is empty, blank
        // text, a field that is not a string, an opted-out node.
        _ = try await store.remember(user, [
            MemoryNode(contextType: .conversationFact, content: ["summary": "from content", "text": "  padded  "]),
            MemoryNode(contextType: .conversationFact, summary: "   ", content: ["body": "", "notes": .number(3), "message": "hi"]),
            MemoryNode(contextType: .conversationFact, summary: "opted out", content: ["text": "x"], metadata: ["embed": false]),
        ])
        let mismatches = try await Self.jobMismatches(user)
        #expect(mismatches.isEmpty, "jobs and field_text disagree on \(mismatches)")
        let jobs = try await TestDatabase.asSuperuser { connection in
            try await connection.query(
                "SELECT count(*)::int8 FROM memory.embedding_jobs WHERE user_id = \(user.rawValue) AND field IN ('text', 'message')",
                logger: TestDatabase.logger
            ).collect().first!.decode(Int.self)
        }
        #expect(jobs >= 2, "the padded text and the message should have jobs")
    }

    @Test("a bulk insert queues its nodes as a batch; updates, deletes and the split keep the jobs equal to memory.field_text's")
    func jobsOfBulkInsert() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        // One statement of memory.bulk_job_rows() nodes, with the text rule's edges among them.
        var nodes = (0..<996).map { MemoryNode(contextType: .conversationFact, summary: "bulk \($0)", content: ["notes": .string("n \($0)")]) }
        nodes += [
            MemoryNode(contextType: .conversationFact, content: ["summary": "from content", "text": "  padded  "]),
            MemoryNode(contextType: .conversationFact, summary: "   ", content: ["body": "", "notes": .number(3), "message": "hi"]),
            MemoryNode(contextType: .conversationFact, summary: "opted out", content: ["text": "x"], metadata: ["embed": false]),
            MemoryNode(contextType: .conversationFact, content: ["nothing": "to embed"]),
        ]
        let ids = try await store.remember(user, nodes).map(\.nodeID)
        /// Jobs by field, and the node ids in the user's batches.
        func queue() async throws -> (jobs: [String: Int], batched: Set<UUID>) {
            try await TestDatabase.asSuperuser { connection in
                var jobs: [String: Int] = [:]
                for try await (field, count) in try await connection.query(
                    "SELECT field, count(*)::int8 FROM memory.embedding_jobs WHERE user_id = \(user.rawValue) GROUP BY field",
                    logger: TestDatabase.logger
                ).decode((String, Int).self) { jobs[field] = count }
                let batched = try await connection.query(
                    "SELECT id FROM memory.embedding_batches, unnest(node_ids) AS id WHERE user_id = \(user.rawValue)",
                    logger: TestDatabase.logger
                ).collect().map { try $0.decode(UUID.self) }
                return (jobs, Set(batched))
            }
        }
        let optedOut = ids[998]
        var queued = try await queue()
        #expect(queued.jobs.isEmpty)
        #expect(queued.batched == Set(ids).subtracting([optedOut]), "every node but the opted-out one, once")
        #expect(try await store.jobCounts(user) == ["pending": 999])
        // Before the split: a changed summary gets its per-field jobs at once; a node deleted for
        // good leaves the batch; one deleted softly stays in it and gets no jobs.
        try await TestDatabase.asSuperuser { connection in
            try await connection.query(
                "UPDATE memory.nodes SET summary = 'changed' WHERE user_id = \(user.rawValue) AND node_id = \(ids[0])",
                logger: TestDatabase.logger)
        }
        #expect(try await store.forget(user, id: ids[1], hard: true))
        #expect(try await store.forget(user, id: ids[2]))
        queued = try await queue()
        #expect(queued.jobs == ["summary": 1, "notes": 1])
        #expect(queued.batched == Set(ids).subtracting([optedOut, ids[1]]))
        // The application role splits only its own user's batches (row-level security).
        let other = freshUser()
        _ = try await store.remember(other, (0..<1_000).map { MemoryNode(contextType: .toolOutput, summary: "other \($0)") })
        let foreign = try await store.database.withUser(user, operation: "test") { connection in
            try await connection.query("SELECT memory.expand_embedding_batches(\(other.rawValue), false, NULL)", logger: TestDatabase.logger)
                .collect().first!.decode(Int.self)
        }
        #expect(foreign == 0)
        #expect(try await store.jobCounts(other) == ["pending": 1_000])
        // Deleting all of a user's nodes leaves no batch behind.
        try await TestDatabase.asSuperuser { connection in
            try await connection.query("DELETE FROM memory.nodes WHERE user_id = \(other.rawValue)", logger: TestDatabase.logger)
        }
        #expect(try await store.jobCounts(other).isEmpty)
        let written = try await store.database.withUser(user, operation: "test") { connection in
            try await connection.query("SELECT memory.expand_embedding_batches(\(user.rawValue), false, NULL)", logger: TestDatabase.logger)
                .collect().first!.decode(Int.self)
        }
        // 993 plain nodes with a summary and notes, "from content" + "  padded  ", the message
        // (node 0's jobs were there already).
        #expect(written == 993 * 2 + 2 + 1)
        queued = try await queue()
        #expect(queued.batched.isEmpty)
        let mismatches = try await Self.jobMismatches(user)
        #expect(mismatches.isEmpty, "jobs and field_text disagree on \(mismatches)")
    }

    @Test("a bulk import's summary counts the texts its batch will embed")
    func bulkImportQueuedTexts() async throws {
        let store = try await TestDatabase.store()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-bulk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bulk.jsonl")
        let lines = (0..<1_200).map { index in
            #"{"kind": "node", "context_type": "tool_output", "summary": "run \#(index) finished", "content": {"text": "log \#(index)"}}"#
        }
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let user = freshUser()
        let summary = try await store.importGraph(user, try FixtureLoader.load(paths: [file]))
        #expect(summary.inserted == 1_200)
        #expect(summary.embeddingsQueued == 2_400)
        #expect(try await store.jobCounts(user) == ["pending": 1_200], "a batched node counts as one job until a worker splits the batch")
        // Ten of them changed before a worker split the batch: their fields' jobs are queued at once
        // and counted (2 each); the batch counts its other nodes only (not 1,200 + 20, as it did).
        let changed = try await TestDatabase.asSuperuser { connection in
            try await connection.query(
                """
                UPDATE memory.nodes SET summary = summary || ' again' WHERE user_id = \(user.rawValue)
                AND node_id IN (SELECT node_id FROM memory.nodes WHERE user_id = \(user.rawValue) ORDER BY node_id LIMIT 10) RETURNING 1
                """, logger: TestDatabase.logger
            ).collect().count
        }
        #expect(changed == 10)
        #expect(try await store.jobCounts(user) == ["pending": 1_190 + 20])
        let queue = try await store.queueStats()
        #expect(queue.pending >= 1_210, "\(queue)")
    }

    @Test("a missing relationship end fails the whole import, naming it")
    func missingEnd() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let graph = try FixtureLoader.load(paths: [Self.fixtures.appendingPathComponent("broken/missing-key.json")])
        let error = await #expect(throws: RepositoriesError.self) { try await store.importGraph(user, graph) }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("$.relationships[0].to: no node has the key \"no-such-company\"") == true)
        #expect(try await store.counters(user) == (0, 0))
    }

    @Test("shortestPath walks edges either way, or only forwards, within the depth")
    func shortestPath() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        _ = try await store.importGraph(user, try Self.sample())
        let ids = try await store.nodeIDs(user, keys: ["marcus-webb", "acme-security-audit", "sarah-chen"])
        let marcus = try #require(ids["marcus-webb"]), audit = try #require(ids["acme-security-audit"])
        let path = try #require(try await store.shortestPath(user, from: marcus, to: audit))
        #expect(path.length == 2)
        #expect(path.nodes.map(\.key) == ["marcus-webb", "acme-corp", "acme-security-audit"])
        #expect(try await store.shortestPath(user, from: audit, to: marcus, direction: .outgoing) == nil)
        #expect(try await store.shortestPath(user, from: marcus, to: audit, maxDepth: 1) == nil)
        #expect(try await store.shortestPath(user, from: marcus, to: marcus)?.length == 0)
        // Another user sees no path, nor the nodes.
        #expect(try await store.shortestPath(freshUser(), from: marcus, to: audit) == nil)
    }
}
