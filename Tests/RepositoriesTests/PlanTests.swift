import Foundation
import MemoryGraph
import PostgresNIO
import Synchronization
import Testing
@testable import Repositories

/// A flag a test's callbacks read from other tasks.
private final class ArmedFlag: Sendable {
    let flag = Atomic<Bool>(false)
}

@Suite("Query plans under stale statistics", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct PlanTests {
    /// The plan Postgres picks for `sql`, as the superuser (which a foreign-key check runs as);
    /// `verbose` adds each node's output expressions.
    private func plan(_ sql: String, verbose: Bool = false) async throws -> String {
        try await TestDatabase.asSuperuser { connection in
            var lines: [String] = []
            for try await line in try await connection.query(
                PostgresQuery(unsafeSQL: "EXPLAIN (\(verbose ? "VERBOSE, " : "")COSTS OFF) " + sql), logger: TestDatabase.logger
            ).decode(String.self) {
                lines.append(line)
            }
            return lines.joined(separator: "\n")
        }
    }

    @Test("a foreign-key check on nodes can only use the primary key, even for a user the statistics do not know")
    func foreignKeyCheckUsesThePrimaryKey() async throws {
        let store = try await TestDatabase.store()
        let known = freshUser()
        // Enough rows that a sequential scan is not cheaper in any case (in a fresh cluster running
        // this suite alone, 50 rows fitted in one page and the plan read it instead of the index).
        _ = try await store.remember(known, (0..<2_000).map { MemoryNode(contextType: .toolOutput, summary: "row \($0)") })
        try await store.refreshStatistics()
        // The statement Postgres runs for each job, embedding and relationship row it checks.
        let check = try await plan("""
            SELECT 1 FROM ONLY memory.nodes x WHERE user_id = 'nobody-the-statistics-know' \
            AND node_id = '01900000-0000-7000-8000-000000000000' FOR KEY SHARE OF x
            """)
        #expect(check.contains("nodes_pkey"), "\(check)")
    }

    @Test("the application role may refresh the statistics, and a large batch does so by itself")
    func refreshStatistics() async throws {
        let store = try await TestDatabase.store()
        try await store.refreshStatistics()
        let user = freshUser()
        _ = try await store.remember(
            user, (0..<MemoryStore.statisticsRefreshRows).map { MemoryNode(contextType: .toolOutput, summary: "bulk \($0)") })
        // The statistics now know the user, as one of the most common values of user_id.
        let known = try await TestDatabase.asSuperuser { connection in
            try await connection.query(
                "SELECT count(*)::int8 FROM pg_stats WHERE schemaname = 'memory' AND tablename = 'nodes' AND attname = 'user_id' AND \(user.rawValue) = ANY(most_common_vals::text::text[])",
                logger: TestDatabase.logger
            ).collect().first!.decode(Int.self)
        }
        #expect(known == 1)
    }

    @Test("FUZZY and SEARCH of a user the statistics do not know read each candidate's node by primary key")
    func candidatesJoinNodesByPrimaryKey() async throws {
        // A database of its own: the index scans counted below are the whole database's.
        try await TestDatabase.withScratchDatabase { name, database in
            let store = MemoryStore(database: database)
            _ = try await store.remember(freshUser(), (0..<50).map { MemoryNode(contextType: .toolOutput, summary: "row \($0)") })
            try await store.refreshStatistics()
            // Written after the statistics were taken, and too few to refresh them: Postgres guesses one row.
            let user = freshUser()
            let ids = try await store.remember(
                user, (0..<400).map { MemoryNode(contextType: .toolOutput, summary: "meeting notes number \($0)") }).map(\.nodeID)
            try await store.storeEmbeddings(user, ids.enumerated().map {
                EmbeddingRecord(
                    nodeID: $1, field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [0],
                    vector: unitVector(seed: UInt64($0) + 500))
            })
            // FUZZY's and SEARCH's statements run inside functions, where EXPLAIN cannot see: count
            // the index scans instead. Nodes are read through the primary key only (and, for
            // FUZZY's summaries, the trigram index).
            let fuzzy = try await TestDatabase.indexScans(
                database: name, of: MemoryStore.fuzzyQuery(user: user, text: "meeting notes numbr 12", threshold: 0.3, limit: 10))
            #expect(fuzzy.keys.contains(TestDatabase.IndexName(table: "nodes", index: "nodes_pkey")), "\(fuzzy)")
            #expect(fuzzy.keys.filter { $0.table == "nodes" }.allSatisfy { $0.index == "nodes_pkey" || $0.index.hasPrefix("idx_nodes_summary_trgm_") }, "\(fuzzy)")
            let search = try await TestDatabase.indexScans(database: name, of: MemoryStore.searchQuery(
                user: user, model: EmbeddingModels.miniLML6v2,
                vector: PGVector(unitVector(seed: 7), oid: database.vectorTypes.vector), types: nil, minSimilarity: 0, limit: 10))
            #expect(search.keys.contains { $0.table == "nodes" }, "\(search)")
            #expect(search.keys.filter { $0.table == "nodes" }.allSatisfy { $0.index == "nodes_pkey" }, "\(search)")
            // A user this small is searched exactly: the HNSW index is not touched (counted here, in
            // a database of its own, where no other test scans it).
            #expect(search[TestDatabase.IndexName(table: "embeddings", index: "idx_embeddings_minilm_l6_v2_hnsw")] == nil, "\(search)")
        }
    }

    @Test("FUZZY searches only the summaries whose trigram counts can reach the bar, and finds long ones when they can")
    func fuzzySkipsSummariesTooLongToMatch() async throws {
        try await TestDatabase.withScratchDatabase { name, database in
            let store = MemoryStore(database: database)
            let user = freshUser()
            let short = "Sarah Kanimo"  // 13 trigrams
            let long = "Sarah Kanimo, account manager at Northwind, asked about renewing the data platform contract before March"
            let ids = try await store.remember(user, [MemoryNode(contextType: .toolOutput, summary: short)]
                + (0..<30).map { MemoryNode(contextType: .toolOutput, summary: "\(long) (call \($0))") }).map(\.nodeID)
            // Enough other rows that the planner reads the trigram indexes rather than the table.
            _ = try await store.remember(user, (0..<3_000).map { MemoryNode(contextType: .toolOutput, summary: "meeting notes number \($0)") })
            try await store.refreshStatistics()
            // At 0.5 a summary needs at most 13 / 0.5 = 26 trigrams: only the two short buckets can match.
            let strict = try await TestDatabase.indexScans(
                database: name, of: MemoryStore.fuzzyQuery(user: user, text: short, threshold: 0.5, limit: 10))
            let scanned = Set(strict.keys.filter { $0.index.hasPrefix("idx_nodes_summary_trgm_") }.map(\.index))
            #expect(scanned == ["idx_nodes_summary_trgm_16", "idx_nodes_summary_trgm_32"], "\(strict)")
            #expect(try await store.fuzzy(user, text: short, threshold: 0.5).map(\.node.id) == [ids[0]])
            // At 0.1 the long summaries (about 100 trigrams, 13 shared: 0.13) can, and are found.
            let loose = try await TestDatabase.indexScans(
                database: name, of: MemoryStore.fuzzyQuery(user: user, text: short, threshold: 0.1, limit: 10))
            #expect(loose[TestDatabase.IndexName(table: "nodes", index: "idx_nodes_summary_trgm_long")] != nil, "\(loose)")
            let found = try await store.fuzzy(user, text: short, threshold: 0.1, limit: 50)
            #expect(found.count == 31)
            #expect(found.first?.node.id == ids[0])
        }
    }

    @Test("a bulk write's GIN index entries are merged from another connection while it writes")
    func bulkWriteMergesIndexEntriesAlongside() async throws {
        // A database of its own: no other test's inserts reach its pending lists.
        try await TestDatabase.withScratchDatabase { _, database in
            let store = MemoryStore(database: database)
            let rows = MemoryStore.statisticsRefreshRows
            /// Writes 2,000 nodes with a bulk write's settings, waits (`wait`), and then merges what
            /// is still pending in the nodes' GIN indexes from inside the write: the pages it merged.
            @Sendable func pendingAfterWriting(_ user: UserID, wait: @Sendable () async throws -> Void) async throws -> Int {
                try await database.withUser(user, operation: "test", settings: MemoryStore.bulkWriteSettings(rows: rows)) { connection in
                    _ = try await store.nodes.upsert(
                        user, (0..<2_000).map { NodeRecord(node: MemoryNode(contextType: .toolOutput, summary: "pending entry \($0)")) },
                        on: connection)
                    try await wait()
                    return try await connection.query(
                        "SELECT memory.merge_pending_index_entries(ARRAY['nodes'])", logger: TestDatabase.logger
                    ).collect().first!.decode(Int.self)
                }
            }
            // Alone, the write's entries wait in the pending lists (the bulk settings let them grow).
            #expect(try await pendingAfterWriting(freshUser()) { try await Task.sleep(for: .seconds(1)) } > 0)
            // Beside the merging connection (every 0.2 s), nothing is left once it has merged them:
            // the second merge that ends after the write's inserts began after them.
            let (merges, heard) = AsyncStream.makeStream(of: Int.self)
            let armed = ArmedFlag()
            let left = try await store.mergingPendingIndexEntries(
                rows: rows, tables: [.nodes], merged: { if armed.flag.load(ordering: .sequentiallyConsistent) { heard.yield($0) } }
            ) {
                try await pendingAfterWriting(freshUser()) {
                    armed.flag.store(true, ordering: .sequentiallyConsistent)
                    var reports = 0
                    for await _ in merges {
                        reports += 1
                        if reports == 2 { break }
                    }
                }
            }
            #expect(left == 0)
            // The function refuses a table group it does not know.
            await #expect(throws: (any Error).self) {
                try await database.withConnection(operation: "test") { connection in
                    _ = try await connection.query("SELECT memory.merge_pending_index_entries(ARRAY['pg_authid'])", logger: TestDatabase.logger).collect()
                }
            }
        }
    }

    @Test("a write of 500 rows or more merges its pending index entries, and analyzes when the statistics are stale")
    func midSizeWritesMergeAndAnalyzeWhenStale() async throws {
        try await TestDatabase.withScratchDatabase { name, database in
            try await TestDatabase.asSuperuser(database: name) { connection in
                try await connection.query("ALTER TABLE memory.nodes SET (autovacuum_enabled = false)", logger: TestDatabase.logger)
            }
            func reltuples() async throws -> Double {
                try await TestDatabase.asSuperuser(database: name) { connection in
                    try await connection.query(
                        "SELECT reltuples::float8 FROM pg_class WHERE oid = 'memory.nodes'::regclass", logger: TestDatabase.logger
                    ).collect().first!.decode(Double.self)
                }
            }
            let store = MemoryStore(database: database)
            func write(_ count: Int) async throws {
                _ = try await store.remember(freshUser(), (0..<count).map { MemoryNode(contextType: .toolOutput, summary: "mid-size write \($0)") })
            }
            // Under 500 rows: left to autovacuum and the worker's merger.
            try await write(MemoryStore.pendingMergeRows - 1)
            #expect(try await reltuples() < 0)
            #expect(try await store.mergePendingIndexEntries() > 0)
            // 600 rows into a table never analyzed: analyzed, and nothing left pending.
            try await write(600)
            #expect(try await reltuples() == Double(MemoryStore.pendingMergeRows - 1 + 600))
            #expect(try await store.mergePendingIndexEntries() == 0)
            // 600 rows into a table of 10,000 the statistics know: merged, not analyzed.
            try await write(MemoryStore.statisticsRefreshRows)
            try await write(MemoryStore.statisticsRefreshRows)
            let known = try await reltuples()
            try await write(600)
            #expect(try await reltuples() == known)
            #expect(try await store.mergePendingIndexEntries() == 0)
        }
    }

    @Test("the worker's merger merges what small writes left pending")
    func pendingIndexMerger() async throws {
        try await TestDatabase.withScratchDatabase { _, database in
            let store = MemoryStore(database: database)
            _ = try await store.remember(freshUser(), (0..<20).map { MemoryNode(contextType: .toolOutput, summary: "small write \($0)") })
            let (merges, heard) = AsyncStream.makeStream(of: Int.self)
            let merger = Task {
                try await PendingIndexMerger(
                    store: store, interval: .milliseconds(100), logger: TestDatabase.logger, merged: { heard.yield($0) }
                ).run()
            }
            // Until the merger has merged something (however slow a loaded machine makes it).
            for await pages in merges where pages > 0 { break }
            merger.cancel()
            _ = await merger.result
            #expect(try await store.mergePendingIndexEntries() == 0)
            // Without it, a small write's entries stay pending.
            _ = try await store.remember(freshUser(), (0..<20).map { MemoryNode(contextType: .toolOutput, summary: "small write \($0)") })
            #expect(try await store.mergePendingIndexEntries() > 0)
        }
    }

    @Test("a bulk write of nodes refreshes the statistics of what it wrote (the user's columns), not of the embeddings")
    func refreshCoversWhatWasWritten() async throws {
        try await TestDatabase.withScratchDatabase { name, database in
            // reltuples is -1 until a table is first analyzed; autovacuum is kept off the tables here.
            func reltuples(_ table: String) async throws -> Double {
                try await TestDatabase.asSuperuser(database: name) { connection in
                    try await connection.query(
                        "SELECT reltuples::float8 FROM pg_class WHERE oid = \("memory." + table)::regclass", logger: TestDatabase.logger
                    ).collect().first!.decode(Double.self)
                }
            }
            /// The columns of `table` that have statistics.
            func analyzedColumns(_ table: String) async throws -> Set<String> {
                try await TestDatabase.asSuperuser(database: name) { connection in
                    var columns: Set<String> = []
                    for try await column in try await connection.query(
                        "SELECT attname::text FROM pg_stats WHERE schemaname = 'memory' AND tablename = \(table)",
                        logger: TestDatabase.logger
                    ).decode(String.self) { columns.insert(column) }
                    return columns
                }
            }
            try await TestDatabase.asSuperuser(database: name) { connection in
                for table in ["embeddings", "nodes", "kv_store", "embedding_jobs"] {
                    try await connection.query(
                        "ALTER TABLE \(unescaped: "memory." + table) SET (autovacuum_enabled = false)", logger: TestDatabase.logger)
                }
            }
            let store = MemoryStore(database: database)
            let user = freshUser()
            let first = try await store.remember(user, [MemoryNode(contextType: .toolOutput, summary: "first")])
            try await store.storeEmbeddings(user, [EmbeddingRecord(
                nodeID: first[0].nodeID, field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [0],
                vector: unitVector(seed: 1))])
            #expect(try await reltuples("embeddings") < 0)
            _ = try await store.remember(
                user, (0..<MemoryStore.statisticsRefreshRows).map { MemoryNode(key: "bulk-\($0)", contextType: .toolOutput, summary: "bulk \($0)") })
            #expect(try await reltuples("nodes") >= Double(MemoryStore.statisticsRefreshRows))
            #expect(try await reltuples("kv_store") >= 0)
            // The columns a new user's rows change the plans of, and the full-text documents (RECALL's
            // lexical arm reads which words are common from them); content and summary wait for autovacuum.
            let nodeColumns = try await analyzedColumns("nodes"), kvColumns = try await analyzedColumns("kv_store")
            #expect(nodeColumns == ["user_id", "context_type", "deleted_at", "search_document"], "\(nodeColumns)")
            #expect(kvColumns == ["user_id"], "\(kvColumns)")
            #expect(try await reltuples("embedding_jobs") < 0, "the node write analyzed the embedding queue")
            #expect(try await reltuples("embeddings") < 0, "the node write analyzed the embeddings")
            try await store.refreshStatistics([.embeddings])
            #expect(try await reltuples("embeddings") == 1)
            // The function refuses a name it does not know, rather than analyzing anything else.
            await #expect(throws: (any Error).self) {
                try await database.withConnection(operation: "test") { connection in
                    _ = try await connection.query("SELECT memory.refresh_statistics(ARRAY['pg_authid'])", logger: TestDatabase.logger).collect()
                }
            }
        }
    }

    @Test("a node's full-text document is computed inline, not as a SQL function call per row, and is concat_ws's text exactly")
    func nodeDocumentIsInlined() async throws {
        // The stored generated column is computed by the statement's expression: with the document
        // function inlined, no call of it is left in the plan (the body that used concat_ws, a
        // STABLE function, was not inlined: one SQL function call per node written).
        _ = try await TestDatabase.database()  // migrated: the functions files applied
        let output = try await plan("SELECT memory.node_document(summary, content) FROM memory.nodes", verbose: true)
        #expect(output.contains("Output:") && output.contains("substr("), "\(output)")
        #expect(!output.contains("node_document"), "\(output)")
        // Its text is concat_ws(' ', …)'s, the definition the stored documents were built with,
        // including '' when every part is missing, empty parts, spaces, and fields that hold no string.
        let differing = try await TestDatabase.asSuperuser { connection in
            try await connection.query(
                """
                SELECT count(*)::int8 FROM (VALUES
                    (NULL::text, '{}'::jsonb), ('', '{}'), ('s', '{}'), (NULL, '{"summary": "from content"}'),
                    ('s', '{"summary": "ignored", "content": "c", "notes": "n"}'), (NULL, '{"content": ""}'),
                    ('  padded  ', '{"content": " lead", "description": "trail ", "text": "t", "body": "b",
                      "message": "m", "notes": "n", "entity_name": "e"}'),
                    (NULL, '{"content": 42, "description": {"a": [1, 2]}, "text": null, "body": true, "notes": ["x"]}'),
                    ('naïve café', '{"entity_name": "Zoë"}'), (NULL, '{"body": ""}')) AS v(summary, content)
                WHERE memory.node_document(v.summary, v.content) IS DISTINCT FROM concat_ws(' ',
                    coalesce(v.summary, v.content->>'summary'), v.content->>'content', v.content->>'description',
                    v.content->>'text', v.content->>'body', v.content->>'message', v.content->>'notes', v.content->>'entity_name')
                """, logger: TestDatabase.logger
            ).collect().first?.decode(Int.self)
        }
        #expect(differing == 0)
    }
}
