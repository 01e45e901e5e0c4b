import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
    // MARK: Planner statistics

    /// A write of at least this many rows refreshes the planner's statistics once it commits.
    public static let statisticsRefreshRows = 5_000

    /// Transaction settings for a write of `rows` rows. From ``statisticsRefreshRows`` rows up,
    /// work_mem is 128 MB for the transaction: the nodes' triggers read the statement's rows from
    /// transition tables, which spill to disk beyond work_mem (100,000 nodes: 0.3 s of 5.6).
    static func bulkWriteSettings(rows: Int) -> [(name: StaticString, value: String)] {
        rows >= statisticsRefreshRows ? [("work_mem", "128MB")] : []
    }

    /// The tables whose statistics a refresh covers.
    public enum StatisticsTables: String, Sendable, CaseIterable {
        /// The nodes, with the kv_store their triggers write (not the embedding queue: its
        /// queries go through partial indexes whatever the statistics say).
        case nodes
        case relationships
        case embeddings
    }

    /// Refreshes the planner's statistics of the memory tables (`ANALYZE` of the columns a new
    /// user's rows change: user_id and what the user's queries filter on with it, through
    /// `memory.refresh_statistics`), and merges their GIN pending lists. Right after a new user's
    /// bulk import the statistics do not know the user, and Postgres plans that user's queries as
    /// if they had one row; autovacuum catches up within minutes (and analyzes every column), this
    /// at once. About 0.2 s after a 100,000-node import among 100,000 others; `tables` limits it
    /// to what a write touched.
    /// - Throws: `RepositoriesError`.
    public func refreshStatistics(_ tables: Set<StatisticsTables> = Set(StatisticsTables.allCases)) async throws {
        let names = tables.map(\.rawValue).sorted()
        try await database.withConnection(operation: "refresh statistics") { connection in
            _ = try await connection.query("SELECT memory.refresh_statistics(\(names)::text[])", logger: database.logger).collect()
        }
    }

    /// After a committed write of `rows` rows to `tables`: refreshes their statistics when it is a
    /// bulk write. The write stands either way, so a failure here is logged as a warning, not thrown.
    func refreshStatisticsAfterBulkWrite(rows: Int, tables: Set<StatisticsTables>) async {
        guard rows >= Self.statisticsRefreshRows else { return }
        do {
            try await refreshStatistics(tables)
        } catch {
            database.logger.warning(
                "could not refresh the planner's statistics after a bulk write; queries may be slow until autovacuum does",
                metadata: ["error": "\(error)", "rows": "\(rows)"])
        }
    }

    // MARK: TRAVERSE

    /// The nodes reachable from `start` within `depth` edges, breadth first: one query per level,
    /// then one for the nodes, all in one transaction.
    public func traverse(
        _ user: UserID, from start: UUID, depth: Int = 2, types: Set<RelationshipType> = [], direction: Direction = .both
    ) async throws -> Subgraph {
        let typeNames = types.isEmpty ? nil : types.map(\.rawValue).sorted()
        return try await database.withUser(user, operation: "traverse") { connection in
            var depthOf: [UUID: Int] = [start: 0]
            var frontier = [start]
            var edges: [UUID: Relationship] = [:]
            var level = 0
            while level < max(0, depth), !frontier.isEmpty {
                level += 1
                let out = direction != .incoming
                let incoming = direction != .outgoing
                let rows = try await connection.query(
                    """
                    SELECT \(unescaped: RelationshipRecord.selectList) FROM memory.relationships
                    WHERE user_id = \(user.rawValue)
                      AND ((\(out) AND from_node_id = ANY(\(frontier))) OR (\(incoming) AND to_node_id = ANY(\(frontier))))
                      AND (\(typeNames)::text[] IS NULL OR relationship_type = ANY(\(typeNames)::text[]))
                    """, logger: database.logger)
                var next: [UUID] = []
                for try await row in rows {
                    let edge = try RelationshipRecord(row: row).relationship
                    edges[edge.id!] = edge
                    for end in [edge.from, edge.to] where depthOf[end] == nil {
                        depthOf[end] = level
                        next.append(end)
                    }
                }
                frontier = next
            }
            let ids = Array(depthOf.keys)
            let rows = try await connection.query(
                """
                SELECT \(unescaped: NodeRecord.selectList) FROM memory.nodes
                WHERE user_id = \(user.rawValue) AND node_id = ANY(\(ids)) AND deleted_at IS NULL
                """, logger: database.logger)
            var entries: [Subgraph.Entry] = []
            for try await row in rows {
                let node = try NodeRecord(row: row).node
                entries.append(.init(node: node, depth: depthOf[node.id!] ?? 0))
            }
            let live = Set(entries.map { $0.node.id! })
            guard live.contains(start) else { return Subgraph(nodes: [], edges: []) }
            entries.sort { ($0.depth, $0.node.key ?? "~", $0.node.id!.uuidString) < ($1.depth, $1.node.key ?? "~", $1.node.id!.uuidString) }
            let kept = edges.values.filter { live.contains($0.from) && live.contains($0.to) }
                .sorted { ($0.from.uuidString, $0.to.uuidString, $0.type.rawValue) < ($1.from.uuidString, $1.to.uuidString, $1.type.rawValue) }
            return Subgraph(nodes: entries, edges: kept)
        }
    }

    // MARK: Maintenance

    /// Counts by context type, entities, relationships, embeddings and last activity.
    public func stats(_ user: UserID) async throws -> UserStats {
        try await database.withUser(user, operation: "stats") { connection in
            var byType: [String: Int] = [:]
            var entities = 0
            for try await (type, count, entityCount) in try await connection.query(
                """
                SELECT context_type, count(*)::int8, count(entity_id)::int8 FROM memory.nodes
                WHERE user_id = \(user.rawValue) AND deleted_at IS NULL GROUP BY context_type
                """, logger: database.logger
            ).decode((String, Int, Int).self) {
                byType[type] = count
                entities += entityCount
            }
            let relationshipCount = try await relationships.count(user, on: connection)
            let embeddingCount = try await embeddings.count(user, on: connection)
            var lastActivity: Date?
            for try await date in try await connection.query(
                "SELECT last_activity FROM memory.user_metadata WHERE user_id = \(user.rawValue)", logger: database.logger
            ).decode(Date.self) {
                lastActivity = date
            }
            return UserStats(
                nodesByContextType: byType, totalNodes: byType.values.reduce(0, +), entities: entities,
                relationships: relationshipCount, embeddings: embeddingCount, lastActivity: lastActivity)
        }
    }

    /// The counters kept by triggers in `memory.user_metadata`: (total_nodes, total_relationships).
    public func counters(_ user: UserID) async throws -> (nodes: Int, relationships: Int) {
        try await database.withUser(user, operation: "counters") { connection in
            for try await counts in try await connection.query(
                "SELECT total_nodes::int8, total_relationships::int8 FROM memory.user_metadata WHERE user_id = \(user.rawValue)",
                logger: database.logger
            ).decode((Int, Int).self) {
                return (counts.0, counts.1)
            }
            return (0, 0)
        }
    }

    /// Deletes the user's nodes created more than `age` ago, with their relationships and embeddings
    /// (seed 004's `cleanup_old_nodes`). Returns how many nodes were deleted.
    public func cleanup(_ user: UserID, olderThan age: Duration) async throws -> Int {
        let seconds = Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18
        guard seconds >= 0 else {
            throw RepositoriesError(.invalidInput, "the age must not be negative", operation: "cleanup", user: user.rawValue)
        }
        return try await database.withUser(user, operation: "cleanup") { connection in
            try await connection.query(
                """
                DELETE FROM memory.nodes
                WHERE user_id = \(user.rawValue) AND created_at < now() - make_interval(secs => \(seconds))
                RETURNING 1
                """, logger: database.logger
            ).collect().count
        }
    }

    /// The user's most relevant memories, with the relationships among them, in one batched read each
    /// (seed 004's `load_user_memories`); see ``sessionMemories(_:limit:)`` for the relevance rule.
    public func loadUserMemories(_ user: UserID, limit: Int = 1000) async throws -> (nodes: [MemoryNode], relationships: [Relationship]) {
        try await database.withUser(user, operation: "load memories") { connection in
            let loaded = try await mostRelevant(user, limit: limit, on: connection)
            let ids = loaded.compactMap(\.id)
            var edges: [Relationship] = []
            for try await row in try await connection.query(
                """
                SELECT \(unescaped: RelationshipRecord.selectList) FROM memory.relationships
                WHERE user_id = \(user.rawValue) AND from_node_id = ANY(\(ids)) AND to_node_id = ANY(\(ids))
                """, logger: database.logger
            ) {
                edges.append(try RelationshipRecord(row: row).relationship)
            }
            return (loaded, edges)
        }
    }

    /// The user's `limit` most relevant live memories, best first, in one statement: what a session
    /// caches when it starts.
    ///
    /// Relevance = base_relevance (0…1), plus up to 0.3 for recency (halving every 7 days since the
    /// node was last accessed), plus up to 0.2 for use (ln(1 + access_count) / ln(101), capped at 1).
    /// Ties go to the most recently accessed.
    public func sessionMemories(_ user: UserID, limit: Int) async throws -> [MemoryNode] {
        try await database.withUser(user, operation: "load memories") { connection in
            try await mostRelevant(user, limit: limit, on: connection)
        }
    }

    private func mostRelevant(_ user: UserID, limit: Int, on connection: PostgresConnection) async throws -> [MemoryNode] {
        var loaded: [MemoryNode] = []
        for try await row in try await connection.query(
            """
            SELECT \(unescaped: NodeRecord.selectList) FROM memory.nodes
            WHERE user_id = \(user.rawValue) AND deleted_at IS NULL
            ORDER BY base_relevance
                + 0.3 * power(0.5, extract(epoch FROM now() - last_accessed) / 604800.0)
                + 0.2 * least(1.0, ln(1 + access_count) / ln(101.0)) DESC,
                last_accessed DESC
            LIMIT \(max(0, limit))
            """, logger: database.logger
        ) {
            loaded.append(try NodeRecord(row: row).node)
        }
        return loaded
    }
}
