import Foundation
import Logging
import PostgresNIO

/// One schema file, `SQL/schema/NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    /// FNV-1a over the file, to notice a released migration that was edited afterwards.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// Applies `SQL/schema/*.sql` in order, each in one transaction, and records them in
/// `memory.schema_migrations`. A database that is already current is only checked.
///
/// ```swift
/// let applied = try await Migrator().migrate(on: connection, logger: logger)
/// ```
public struct Migrator: Sendable {
    public let migrations: [Migration]

    /// The migrations shipped with this build.
    public init() throws {
        try self.init(migrations: Self.bundled())
    }

    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// The newest version this code knows.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    static func bundled() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Schema", withExtension: nil) else {
            throw RepositoriesError(.migration, "the schema files are missing from this build")
        }
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
        return try files.map { url in
            let stem = url.deletingPathExtension().lastPathComponent
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw RepositoriesError(.migration, "schema file \(url.lastPathComponent) is not named NNNN_name.sql")
            }
            return Migration(
                version: version, name: String(stem[stem.index(after: underscore)...]),
                sql: try String(contentsOf: url, encoding: .utf8))
        }
    }

    /// Brings the database up to ``latestVersion``.
    ///
    /// Holds an advisory lock, so concurrent processes migrate one at a time.
    /// - Returns: the versions applied by this call (empty when the schema was current).
    /// - Throws: `RepositoriesError`: `.missingExtension` when pgvector, pg_trgm or btree_gin is not installed on the server,
    ///   `.schemaTooNew` when the database is at a version this code does not know, `.migration` for a failed or edited file.
    @discardableResult
    public func migrate(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        do {
            try await checkExtensionsAvailable(on: connection, logger: logger)
            try await connection.query("SELECT pg_advisory_lock(hashtext('memgraph.migrate'))", logger: logger)
            do {
                let applied = try await applyPending(on: connection, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(hashtext('memgraph.migrate'))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext('memgraph.migrate'))", logger: logger)
                throw error
            }
        } catch {
            throw RepositoriesError.wrap(error, operation: "migrate")
        }
    }

    private func applyPending(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.query("CREATE SCHEMA IF NOT EXISTS memory", logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS memory.schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var recorded: [Int: String] = [:]
        for try await (version, checksum) in try await connection.query(
            "SELECT version, checksum FROM memory.schema_migrations", logger: logger
        ).decode((Int, String).self) {
            recorded[version] = checksum
        }
        try verify(recorded: recorded)
        var applied: [Int] = []
        for migration in migrations where recorded[migration.version] == nil {
            let statements = SQLScript.statements(migration.sql)
            try await connection.withTransaction(logger: logger) { connection in
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO memory.schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger)
            }
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            applied.append(migration.version)
        }
        return applied
    }

    /// Fails when the database knows a migration this code does not, or a recorded one was edited.
    func verify(recorded: [Int: String]) throws {
        if let newest = recorded.keys.max(), newest > latestVersion {
            throw RepositoriesError(
                .schemaTooNew,
                "the database schema is at version \(newest), newer than this memgraph knows (\(latestVersion)): upgrade memgraph, or point it at another database")
        }
        for migration in migrations {
            if let checksum = recorded[migration.version], checksum != migration.checksum {
                throw RepositoriesError(
                    .migration,
                    "schema file \(String(format: "%04d", migration.version))_\(migration.name).sql changed after it was applied; released migrations are append-only: add a new file instead")
            }
        }
    }

    private func checkExtensionsAvailable(on connection: PostgresConnection, logger: Logger) async throws {
        var available = Set<String>()
        for try await name in try await connection.query(
            "SELECT name FROM pg_available_extensions WHERE name = ANY(\(Self.requiredExtensions.map(\.name)))", logger: logger
        ).decode(String.self) {
            available.insert(name)
        }
        try Self.requireExtensions(available)
    }

    /// The extensions the schema creates, and what to do when the server lacks one.
    static let requiredExtensions: [(name: String, missing: String)] = [
        ("vector", "the server has no pgvector (extension \"vector\"): install pgvector 0.8 or newer on it"),
        ("pg_trgm", "the server has no pg_trgm (extension \"pg_trgm\"): install PostgreSQL's contrib modules on it"),
        ("btree_gin", "the server has no btree_gin (extension \"btree_gin\"): install PostgreSQL's contrib modules on it"),
    ]

    static func requireExtensions(_ available: Set<String>) throws {
        for extensionInfo in requiredExtensions where !available.contains(extensionInfo.name) {
            throw RepositoriesError(
                .missingExtension,
                extensionInfo.missing + ", or unset DATABASE_URL/POSTGRES_HOST to use memgraph's embedded PostgreSQL")
        }
    }
}
