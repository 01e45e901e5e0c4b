import Foundation
import Logging
import MemoryGraph
import PostgresNIO
@testable import Repositories

/// Every row a user has, as counts and an md5 per table, read as the superuser (past row-level
/// security). Two equal snapshots mean the user's rows are byte-for-byte the same, but for the
/// read bookkeeping of nodes (`access_count`, `last_accessed`), which reads move (issue 27, item 13).
struct Snapshot: Equatable, CustomStringConvertible {
    var tables: [String]

    var description: String { tables.joined(separator: "\n") }

    /// Tables and the order their rows are hashed in: constants, never input.
    private static let tables: [(name: String, order: String)] = [
        ("memory.nodes", "node_id"), ("memory.relationships", "relationship_id"), ("memory.kv_store", "entity_key"),
        ("memory.user_metadata", "user_id"), ("memory.embeddings", "node_id, field, model"),
        ("memory.applied_operations", "operation_id"), ("memory.user_count_deltas", "created_at, nodes, relationships"),
    ]

    static func of(_ user: UserID) async throws -> Snapshot {
        let logger = Logger(label: "memgraph-cli-tests")
        let cluster = try EmbeddedPostgres(home: MemgraphHome(), logger: logger)
        guard let info = try cluster.connectionInfo() else { throw RepositoriesError(.embeddedCluster, "no test cluster") }
        do {
            return try await rows(of: user, server: info.superuserServer, logger: logger)
        } catch let error as PSQLError {
            // PSQLError's description hides its details; a failed snapshot should say what failed.
            throw RepositoriesError(.query, "snapshot of \(user): \(String(reflecting: error))")
        }
    }

    private static func rows(of user: UserID, server: DatabaseConfiguration.Server, logger: Logger) async throws -> Snapshot {
        try await server.withConnection(timeout: .seconds(30), logger: logger) { connection in
            var lines: [String] = []
            for table in tables {
                let sql = """
                    SELECT count(*)::int8, coalesce(md5(string_agg((to_jsonb(t) - 'access_count' - 'last_accessed')::text, '|' ORDER BY \(table.order))), '-')
                    FROM \(table.name) t WHERE user_id = $1
                    """
                var bindings = PostgresBindings()
                bindings.append(user.rawValue)
                for try await (count, hash) in try await connection.query(
                    PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger
                ).decode((Int, String).self) {
                    lines.append("\(table.name): \(count) rows, md5 \(hash)")
                }
            }
            return Snapshot(tables: lines)
        }
    }
}

/// Counts read as the test cluster's superuser, past row-level security.
enum Superuser {
    /// `SELECT count(*) FROM memory.<table> WHERE user_id = $1 AND <condition>`; table and condition are constants.
    static func count(_ table: String, user: UserID, where condition: String = "true") async throws -> Int {
        try await query("SELECT count(*)::int8 FROM memory.\(table) WHERE user_id = $1 AND \(condition)", user: user)
    }

    /// One int8 from a statement whose only bind is the user id.
    static func query(_ sql: String, user: UserID) async throws -> Int {
        let logger = Logger(label: "memgraph-cli-tests")
        let cluster = try EmbeddedPostgres(home: MemgraphHome(), logger: logger)
        guard let info = try cluster.connectionInfo() else { throw RepositoriesError(.embeddedCluster, "no test cluster") }
        return try await info.superuserServer.withConnection(timeout: .seconds(30), logger: logger) { connection in
            var bindings = PostgresBindings()
            bindings.append(user.rawValue)
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
                .decode(Int?.self)
            {
                return value ?? 0
            }
            return 0
        }
    }
}
