import Foundation
import Logging
import PostgresNIO

/// One schema file: a versioned migration `SQL/schema/NNNN_name.sql`, or a function file
/// `SQL/schema/functions/NN_feature.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    /// FNV-1a over the file, to notice a released migration that was edited afterwards, and a
    /// function file that changed.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The file that stands for every release up to its version (`NNNN_baseline.sql`).
    public var isBaseline: Bool { name == "baseline" }
}

/// Brings a database's schema `memory` up to this build's (docs/schema.md):
/// 1. versioned files, `SQL/schema/NNNN_name.sql`, in order, each in one transaction, recorded in
///    `memory.schema_migrations`; they hold tables, indexes and data, and are append-only once released;
/// 2. function files, `SQL/schema/functions/*.sql`, in name order, each in one transaction, applied
///    again whenever their checksum differs from the one recorded in `memory.schema_functions`; each
///    function has its one home there.
///
/// A database that is already current is only checked.
///
/// ```swift
/// let applied = try await Migrator().migrate(on: connection, logger: logger)
/// ```
public struct Migrator: Sendable {
    /// The versioned files, oldest first.
    public let migrations: [Migration]
    /// The function files, in the order they are applied (their version is 0).
    public let functions: [Migration]

    /// The files shipped with this build.
    public init() throws {
        try self.init(migrations: Self.bundled(), functions: Self.bundledFunctions())
    }

    public init(migrations: [Migration], functions: [Migration] = []) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.functions = functions.sorted { $0.name < $1.name }
    }

    /// The newest version this code knows.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The version the baseline file stands for: releases 1 to 16 were squashed into
    /// `0016_baseline.sql`. A database built by those releases' own files is accepted as it is.
    public var baselineVersion: Int { migrations.first(where: \.isBaseline)?.version ?? 0 }

    /// What `memory.schema_functions` holds once every function file is applied: `name=checksum`, by name.
    public var functionsFingerprint: String {
        functions.map { "\($0.name)=\($0.checksum)" }.joined(separator: ",")
    }

    static func bundled() throws -> [Migration] {
        try files(in: schemaDirectory()).map { url in
            let stem = url.deletingPathExtension().lastPathComponent
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw RepositoriesError(.migration, "schema file \(url.lastPathComponent) is not named NNNN_name.sql")
            }
            return Migration(
                version: version, name: String(stem[stem.index(after: underscore)...]),
                sql: try String(contentsOf: url, encoding: .utf8))
        }
    }

    static func bundledFunctions() throws -> [Migration] {
        try files(in: schemaDirectory().appendingPathComponent("functions", isDirectory: true)).map { url in
            Migration(version: 0, name: url.deletingPathExtension().lastPathComponent, sql: try String(contentsOf: url, encoding: .utf8))
        }
    }

    private static func schemaDirectory() throws -> URL {
        guard let directory = Bundle.module.url(forResource: "Schema", withExtension: nil) else {
            throw RepositoriesError(.migration, "the schema files are missing from this build")
        }
        return directory
    }

    private static func files(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
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
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS memory.schema_functions (
                name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
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
            try await run(migration, on: connection, logger: logger) { connection in
                try await connection.query(
                    "INSERT INTO memory.schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger)
            }
            applied.append(migration.version)
        }
        try await applyFunctions(on: connection, logger: logger)
        return applied
    }

    /// Applies each function file whose checksum differs from the one recorded, and forgets the
    /// records of files this build no longer has (a versioned migration dropped their functions).
    private func applyFunctions(on connection: PostgresConnection, logger: Logger) async throws {
        var recorded: [String: String] = [:]
        for try await (name, checksum) in try await connection.query(
            "SELECT name, checksum FROM memory.schema_functions", logger: logger
        ).decode((String, String).self) {
            recorded[name] = checksum
        }
        for file in functions where recorded[file.name] != file.checksum {
            try await run(file, on: connection, logger: logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO memory.schema_functions (name, checksum) VALUES (\(file.name), \(file.checksum))
                    ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
                    """, logger: logger)
            }
        }
        let gone = Array(Set(recorded.keys).subtracting(functions.map(\.name)))
        if !gone.isEmpty {
            try await connection.query("DELETE FROM memory.schema_functions WHERE name = ANY(\(gone))", logger: logger)
        }
    }

    /// Runs a file's statements and `record` in one transaction.
    private func run(
        _ file: Migration, on connection: PostgresConnection, logger: Logger,
        record: (PostgresConnection) async throws -> Void
    ) async throws {
        let statements = SQLScript.statements(file.sql)
        try await connection.withTransaction(logger: logger) { connection in
            for statement in statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await record(connection)
        }
        logger.info("applied schema file", metadata: ["version": "\(file.version)", "name": "\(file.name)"])
    }

    /// Fails when the database knows a migration this code does not, is older than the baseline,
    /// or a recorded migration was edited.
    func verify(recorded: [Int: String]) throws {
        guard let newest = recorded.keys.max() else { return }
        if newest > latestVersion {
            throw RepositoriesError.schemaTooNew(version: newest, known: latestVersion)
        }
        if newest < baselineVersion {
            throw RepositoriesError(
                .migration,
                "the database schema is at version \(newest), older than this memgraph can upgrade (it starts from version \(baselineVersion)): upgrade it first with memgraph at commit 23d6c50, or point memgraph at a new database")
        }
        // A database built by the released files before the baseline has their checksums, not the baseline's.
        let builtBeforeBaseline = recorded.keys.contains { $0 < baselineVersion }
        for migration in migrations {
            if migration.isBaseline, builtBeforeBaseline { continue }
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
