import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
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
                "SELECT last_activity FROM memory.user_counts(\(user.rawValue))", logger: database.logger
            ).decode(Date.self) {
                lastActivity = date
            }
            return UserStats(
                nodesByContextType: byType, totalNodes: byType.values.reduce(0, +), entities: entities,
                relationships: relationshipCount, embeddings: embeddingCount, lastActivity: lastActivity)
        }
    }

    /// The counters kept by triggers in `memory.user_metadata` and `memory.user_count_deltas`
    /// (`memory.user_counts`): (total_nodes, total_relationships).
    public func counters(_ user: UserID) async throws -> (nodes: Int, relationships: Int) {
        try await database.withUser(user, operation: "counters") { connection in
            for try await counts in try await connection.query(
                "SELECT total_nodes::int8, total_relationships::int8 FROM memory.user_counts(\(user.rawValue))",
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
