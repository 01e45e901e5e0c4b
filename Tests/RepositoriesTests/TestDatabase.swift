import Foundation
import Logging
import MemoryGraph
import PostgresNIO
@testable import Repositories

/// The Postgres the test command started (the embedded cluster under MEMGRAPH_HOME, or DATABASE_URL).
/// Prepared once per test process; its pool runs for the life of the process.
enum TestDatabase {
    static let logger = Logger(label: "memgraph-tests")

    private static let shared = Task<Database, any Error> {
        let database = try await Database.prepare(try DatabaseConfiguration.load(), logger: logger)
        Task.detached { await database.client.run() }
        return database
    }

    static func database() async throws -> Database { try await shared.value }

    static func store() async throws -> MemoryStore { MemoryStore(database: try await database()) }

    /// The embedded cluster's superuser, for checks that must see past row-level security.
    static func superuser() throws -> DatabaseConfiguration.Server {
        let cluster = try EmbeddedPostgres(home: MemgraphHome(), logger: logger)
        guard let info = try cluster.connectionInfo() else { throw RepositoriesError(.embeddedCluster, "no cluster") }
        return info.superuserServer
    }

    /// Runs `body` on a superuser connection to `database` (default: the memgraph database).
    @discardableResult
    static func asSuperuser<T: Sendable>(
        database: String? = nil, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await superuser().withConnection(timeout: .seconds(20), database: database, logger: logger, body)
    }

    /// An index of the memory schema.
    struct IndexName: Hashable, CustomStringConvertible {
        var table: String
        var index: String
        var description: String { "\(table).\(index)" }
    }

    /// Runs `query` as the application role on a connection of its own and returns how many times
    /// each index of the memory schema was scanned meanwhile (only those scanned), from
    /// pg_stat_user_indexes: for statements inside functions, where EXPLAIN cannot see.
    /// Other tests' statements count too: give a database of its own (`scratchDatabase`) when that matters.
    static func indexScans(database: String? = nil, of query: PostgresQuery) async throws -> [IndexName: Int] {
        try await asSuperuser(database: database) { connection in
            func counts() async throws -> [IndexName: Int] {
                var result: [IndexName: Int] = [:]
                for try await (table, index, scans) in try await connection.query(
                    "SELECT relname::text, indexrelname::text, idx_scan FROM pg_stat_user_indexes WHERE schemaname = 'memory'",
                    logger: logger
                ).decode((String, String, Int).self) {
                    result[IndexName(table: table, index: index)] = scans
                }
                return result
            }
            let before = try await counts()
            try await connection.query("SET ROLE memgraph_app", logger: logger)
            _ = try await connection.query(query, logger: logger).collect()
            try await connection.query("RESET ROLE", logger: logger)
            // A backend reports its counts when idle, at most once a second unless asked to.
            try await connection.query("SELECT pg_stat_force_next_flush()", logger: logger)
            let after = try await counts()
            return after.reduce(into: [:]) { scanned, entry in
                let delta = entry.value - before[entry.key, default: 0]
                if delta > 0 { scanned[entry.key] = delta }
            }
        }
    }

    /// A new, empty database in the test cluster, with its own configuration (as the superuser).
    /// For tests that must change what all users share (truncating kv_store, faking a newer schema).
    static func scratchDatabase() async throws -> (name: String, configuration: DatabaseConfiguration) {
        let name = "memgraph_scratch_\(UUID().uuidString.prefix(8).lowercased())"
        try await asSuperuser(database: "postgres") { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        var server = try superuser()
        server.database = name
        // The app connects as the superuser here (the scratch tests are about the schema): allowed, with a warning.
        return (name, DatabaseConfiguration(
            target: .external(app: server, admin: nil), poolSize: 4, connectTimeout: .seconds(20), allowRLSBypass: true))
    }

    /// Runs `body` with a database on an embedded cluster of its own, in a new MEMGRAPH_HOME under the
    /// temporary folder (for tests that stop or crash Postgres); the cluster is stopped and its home
    /// removed afterwards.
    static func withOwnCluster<T: Sendable>(
        _ name: String,
        _ body: @Sendable (_ cluster: EmbeddedPostgres, _ home: URL, _ environment: [String: String], _ database: Database) async throws -> T
    ) async throws -> T {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-\(name)-\(UUID().uuidString.prefix(8))")
        let environment = ["MEMGRAPH_HOME": home.path]
        let cluster = try EmbeddedPostgres(home: MemgraphHome(environment: environment), logger: logger)
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(at: home)
        }
        let configuration = try DatabaseConfiguration.load(environment: environment)
        return try await Database.withDatabase(configuration, logger: logger) { database in
            try await body(cluster, home, environment, database)
        }
    }

    /// Runs `body` on a new scratch database (``scratchDatabase()``), and drops that database
    /// afterwards, awaited, whether `body` threw or not.
    static func withScratch<T: Sendable>(
        _ body: (_ name: String, _ configuration: DatabaseConfiguration) async throws -> T
    ) async throws -> T {
        let (name, configuration) = try await scratchDatabase()
        let result: Result<T, any Error>
        do {
            result = .success(try await body(name, configuration))
        } catch {
            result = .failure(error)
        }
        try await dropScratch(name)
        return try result.get()
    }

    /// Runs `body` with a connected ``Database`` on a new scratch database (named `name`), and drops
    /// that database afterwards, whether `body` threw or not.
    static func withScratchDatabase<T: Sendable>(_ body: @escaping @Sendable (_ name: String, _ database: Database) async throws -> T) async throws -> T {
        try await withScratch { name, configuration in
            try await Database.withDatabase(configuration, logger: logger) { try await body(name, $0) }
        }
    }

    static func dropScratch(_ name: String) async throws {
        try await asSuperuser(database: "postgres") { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }
}

/// A user id no other test uses, so tests can run in parallel.
func freshUser(_ prefix: String = "t") -> UserID {
    try! UserID("\(prefix)-\(UUID().uuidString.lowercased())")
}

/// A CRM entity node.
func entity(
    _ system: String, _ id: String, name: String? = nil, data: [String: JSONValue] = [:], summary: String? = nil,
    tags: [String] = []
) -> MemoryNode {
    var content: [String: JSONValue] = ["entity_system": .string(system), "entity_id": .string(id), "entity_data": .object(data)]
    if let name { content["entity_name"] = .string(name) }
    return MemoryNode(contextType: .domainEntity, summary: summary, content: content, tags: tags)
}

/// A deterministic unit vector of `dims` dimensions.
func unitVector(seed: UInt64, dims: Int = 384) -> [Float] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var values = [Float](repeating: 0, count: dims)
    for i in 0..<dims {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        values[i] = Float(Int64(bitPattern: state % 2001) - 1000) / 1000
    }
    return normalize(values)
}

func normalize(_ v: [Float]) -> [Float] {
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return norm > 0 ? v.map { $0 / norm } : v
}

/// `base` moved toward `toward` by `t` (0…1), normalised: similarity to base falls as t grows.
func blend(_ base: [Float], _ toward: [Float], _ t: Float) -> [Float] {
    normalize(zip(base, toward).map { $0 * (1 - t) + $1 * t })
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    Double(zip(a, b).reduce(0) { $0 + $1.0 * $1.1 })
}
