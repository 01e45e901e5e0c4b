import Foundation
import MemoryGraph
import PostgresNIO

/// Rows of one user, table by table: what `erase` deletes, or would delete.
public struct UserFootprint: Sendable, Equatable {
    /// Rows per table (`memory.` omitted), in ``MemoryStore/userTables`` order, then `api_keys`: the
    /// user's active keys (revoked by an erase, not deleted).
    public var rows: [(table: String, count: Int)]

    public var total: Int { rows.reduce(0) { $0 + $1.count } }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.rows.map(\.table) == rhs.rows.map(\.table) && lhs.rows.map(\.count) == rhs.rows.map(\.count)
    }
}

extension MemoryStore {
    /// Every table that holds a user's rows, children before parents, so that deleting in this
    /// order never waits on a cascade or a trigger of a later table.
    public static let userTables = [
        "relationships", "embeddings", "kv_store", "embedding_jobs", "embedding_batches", "applied_operations", "nodes",
        "user_metadata", "user_count_deltas",
    ]

    /// How many rows of `user` each memory table holds (soft-deleted nodes included). Reads only.
    public func footprint(_ user: UserID) async throws -> UserFootprint {
        try await database.withUser(user, operation: "erase") { connection in
            try await footprint(user, on: connection)
        }
    }

    /// Deletes every row of `user` from every memory table and revokes the API keys scoped to the
    /// user, in one transaction: all of it or none.
    /// Other users' rows are not touched (each statement says `user_id = user`, and row-level security
    /// holds the transaction to the user). Returns what was deleted.
    /// - Throws: `RepositoriesError`.
    @discardableResult
    public func erase(_ user: UserID) async throws -> UserFootprint {
        let deleted = try await database.withUser(user, operation: "erase") { connection in
            let before = try await footprint(user, on: connection)
            // The tables are constants of this type, never input.
            for table in Self.userTables {
                try await connection.query(
                    PostgresQuery(unsafeSQL: "DELETE FROM memory.\(table) WHERE user_id = $1", binds: binds(user)),
                    logger: database.logger)
            }
            // The user's own API keys stop working with the user (kept, revoked, for `keys list`).
            try await connection.query(
                "UPDATE memory.api_keys SET revoked_at = now() WHERE scope_user = \(user.rawValue) AND revoked_at IS NULL",
                logger: database.logger)
            return before
        }
        return deleted
    }

    private func footprint(_ user: UserID, on connection: PostgresConnection) async throws -> UserFootprint {
        let sql = Self.userTables.map { "(SELECT count(*) FROM memory.\($0) WHERE user_id = $1)" }
            + ["(SELECT count(*) FROM memory.api_keys WHERE scope_user = $1 AND revoked_at IS NULL)"]
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT ARRAY[\(sql.joined(separator: ", "))]::int8[]", binds: binds(user)), logger: database.logger)
        var counts: [Int] = []
        for try await row in rows { counts = try row.decode([Int].self) }
        return UserFootprint(rows: Array(zip(Self.userTables + ["api_keys"], counts)).map { (table: $0.0, count: $0.1) })
    }

    private func binds(_ user: UserID) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(user.rawValue)
        return bindings
    }
}

extension MemoryStore {
    /// Whether `user` has any row in Postgres (a node, live or soft-deleted, or a counter row).
    public func userExists(_ user: UserID) async throws -> Bool {
        try await database.withUser(user, operation: "find user") { connection in
            var exists = false
            let rows = try await connection.query(
                """
                SELECT EXISTS (SELECT FROM memory.user_metadata WHERE user_id = \(user.rawValue))
                    OR EXISTS (SELECT FROM memory.nodes WHERE user_id = \(user.rawValue))
                """, logger: database.logger)
            for try await row in rows { exists = try row.decode(Bool.self) }
            return exists
        }
    }
}

extension Database {
    /// The schema version the database is at, read now (one round trip: also proves it reachable).
    public func schemaVersion() async throws -> Int {
        try await withConnection(operation: "readiness") { connection in
            var version = 0
            let rows = try await connection.query(
                "SELECT coalesce((SELECT max(version) FROM memory.schema_migrations), 0)::int8", logger: logger)
            for try await row in rows { version = try row.decode(Int.self) }
            return version
        }
    }
}
