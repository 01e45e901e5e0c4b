import Foundation
import Logging
import MemoryGraph
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The connection pool and everything needed before the first query: the embedded cluster
/// started when it is the target, the database and roles bootstrapped, the schema migrated,
/// and kv_store rebuilt when a crash emptied it.
///
/// `Database` is a `Service`: its pool runs while `run()` runs. ``withDatabase(_:logger:_:)`` does that for you.
///
/// ```swift
/// try await Database.withDatabase(try DatabaseConfiguration.load(), logger: logger) { database in
///     let store = MemoryStore(database: database)
///     …
/// }
/// ```
public final class Database: Sendable, Service {
    public let client: PostgresClient
    public let configuration: DatabaseConfiguration
    let logger: Logger
    /// The OIDs of pgvector's types in this database (they differ between databases).
    let vectorTypes: VectorTypes
    /// How the database was found at start-up.
    public let startup: Startup
    /// Reads waiting to be counted as accesses; written in the background while the pool runs.
    public let accessLog = AccessLog()
    /// The texts this process's small writes queued for embedding, for its own pipelines.
    public let queuedTexts = QueuedTexts()
    /// `memory.embedded_fields`, read once (``embeddedFields()``).
    private let embeddedFieldsCache = Mutex<[String]?>(nil)

    /// The node fields that are embedded (`memory.embedded_fields`), read on first use and kept
    /// for the life of the process (a change takes a restart).
    func embeddedFields() async throws -> [String] {
        if let fields = embeddedFieldsCache.withLock({ $0 }) { return fields }
        let fields = try await withConnection(operation: "embedded fields") { connection in
            var fields: [String] = []
            for try await field in try await connection.query("SELECT field FROM memory.embedded_fields ORDER BY field", logger: logger)
                .decode(String.self) { fields.append(field) }
            return fields
        }
        embeddedFieldsCache.withLock { $0 = fields }
        return fields
    }

    /// What start-up did.
    public struct Startup: Sendable {
        /// Migrations applied by this start (empty when the schema was current).
        public var appliedMigrations: [Int]
        /// Whether the embedded cluster was created by this start.
        public var createdCluster: Bool
        /// Entries written by the kv_store rebuild (0 unless it was empty and nodes was not).
        public var rebuiltKVEntries: Int
        /// The schema version in use.
        public var schemaVersion: Int
    }

    private init(
        client: PostgresClient, configuration: DatabaseConfiguration, logger: Logger, vectorTypes: VectorTypes,
        startup: Startup
    ) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.vectorTypes = vectorTypes
        self.startup = startup
        accessLog.isEnabled = configuration.countAccesses
    }

    /// Runs the pool until the task is cancelled or the service group shuts down, and writes the
    /// reads counted as accesses (``AccessLog``) meanwhile; the last of them once more at a graceful
    /// shutdown, while the pool still runs.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            await self.flushAccessesPeriodically()
            group.cancelAll()
        }
    }

    /// Prepares the database (see the type's description) and returns it, not yet running.
    /// - Throws: `RepositoriesError` naming the cause in one line.
    public static func prepare(_ configuration: DatabaseConfiguration, logger: Logger) async throws -> Database {
        let endpoints = try await Endpoints.resolve(configuration, logger: logger)
        let prepared = try await Preparation.run(endpoints: endpoints, configuration: configuration, logger: logger)
        var options = PostgresClient.Configuration.Options()
        options.maximumConnections = configuration.poolSize
        options.minimumConnections = 0
        options.connectTimeout = configuration.connectTimeout
        // Bounds on work (issue 27, item 9): no statement of the app runs, and no transaction of
        // it sits idle, for longer than configured. Milliseconds, as Postgres reads a bare number.
        options.additionalStartupParameters = [
            ("application_name", "memgraph"),
            ("statement_timeout", "\(Int(configuration.statementTimeout.milliseconds))"),
            ("idle_in_transaction_session_timeout", "\(Int(configuration.idleInTransactionTimeout.milliseconds))"),
        ]
        var clientConfiguration = try endpoints.app.clientConfiguration()
        clientConfiguration.options = options
        // The pool's own chatter (such as a lease that races the pool's start) only at debug level.
        var background = logger
        if logger.logLevel > .debug { background.logLevel = .error }
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: background)
        return Database(
            client: client, configuration: configuration, logger: logger, vectorTypes: prepared.vectorTypes,
            startup: Startup(
                appliedMigrations: prepared.applied, createdCluster: endpoints.createdCluster,
                rebuiltKVEntries: prepared.rebuilt, schemaVersion: prepared.version))
    }

    /// Prepares the database, runs its pool while `body` runs, and stops it afterwards.
    public static func withDatabase<T: Sendable>(
        _ configuration: DatabaseConfiguration, logger: Logger,
        _ body: @Sendable (Database) async throws -> T
    ) async throws -> T {
        try await prepare(configuration, logger: logger).serving(body)
    }

    /// Runs the pool of a prepared database while `body` runs, and stops it afterwards.
    public func serving<T: Sendable>(_ body: @Sendable (Database) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            // PostgresClient warns when a connection is leased before run() has begun, so the body
            // waits until the run task has started (run() marks itself running first thing).
            await withCheckedContinuation { (started: CheckedContinuation<Void, Never>) in
                group.addTask {
                    started.resume()
                    await self.client.run()
                }
            }
            await Task.yield()
            defer { group.cancelAll() }
            group.addTask { await self.flushAccessesPeriodically() }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(self))
            } catch {
                result = .failure(error)
            }
            // The reads of a short-lived process are counted too, whatever it ended with.
            await flushAccessesLogging(waiting: true)
            return try result.get()
        }
    }

    /// Runs `body` in a transaction scoped to `user`: `memgraph.user_id` is set for row-level security,
    /// and every statement inside must also say `user_id = \(user)`.
    /// - Throws: `RepositoriesError`, classified by SQLSTATE.
    ///
    /// `settings` are further transaction-local settings, set in the same round trip. Their names
    /// must be constants in code (such as `hnsw.ef_search`); their values are bound.
    @discardableResult
    public func withUser<T: Sendable>(
        _ user: UserID, operation: String, settings: [(name: StaticString, value: String)] = [],
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        var bindings = PostgresBindings()
        bindings.append(user.rawValue)
        var sql = "SELECT set_config('memgraph.user_id', $1, true)"
        for setting in settings {
            bindings.append(setting.value)
            sql += ", set_config('\(setting.name)', $\(bindings.count), true)"
        }
        let setup = PostgresQuery(unsafeSQL: sql, binds: bindings)
        do {
            return try await client.withConnection { connection in
                try await connection.transaction(logger: logger) { connection in
                    // A connection the server ended since BEGIN (idle_in_transaction_session_timeout)
                    // would hang a plain query (postgres-nio 1.33): fail instead.
                    guard !connection.isClosed else {
                        throw RepositoriesError(.connection, "the database ended the connection before the transaction's first statement")
                    }
                    try await connection.query(setup, logger: logger)
                    return try await body(connection)
                }
            }
        } catch {
            throw RepositoriesError.wrap(error, operation: operation, user: user.rawValue)
        }
    }

    /// Runs `body`, which must send exactly one statement, and one that sets `memgraph.user_id` to
    /// `user` itself before it reads or writes a row (the node upserts: `NodeRecord.sql`), on a
    /// pooled connection outside any transaction: the statement is its own transaction, one round
    /// trip. The user it sets lasts until its end. Should it touch a row first, row-level security
    /// sees no user and refuses the row.
    /// - Throws: `RepositoriesError`, classified by SQLSTATE.
    func withUserStatement<T: Sendable>(
        _ user: UserID, operation: String, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await client.withConnection { connection in
                guard !connection.isClosed else {
                    throw RepositoriesError(.connection, "the database ended the connection before the statement")
                }
                return try await body(connection)
            }
        } catch {
            throw RepositoriesError.wrap(error, operation: operation, user: user.rawValue)
        }
    }

    /// A connection for work that is not scoped to one user and sees no user's rows (RLS): health checks,
    /// maintenance functions.
    @discardableResult
    public func withConnection<T: Sendable>(
        operation: String, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        logger.trace("leasing a connection", metadata: ["operation": "\(operation)"])
        do {
            return try await client.withConnection { connection in
                logger.trace("leased a connection", metadata: ["operation": "\(operation)", "psql_connection_id": "\(connection.id)"])
                defer { logger.trace("releasing a connection", metadata: ["operation": "\(operation)", "psql_connection_id": "\(connection.id)"]) }
                return try await body(connection)
            }
        } catch {
            logger.trace("connection call failed", metadata: ["operation": "\(operation)", "error": "\(error)"])
            throw RepositoriesError.wrap(error, operation: operation)
        }
    }
}

/// The OIDs of `vector` and `vector[]` in one database.
struct VectorTypes: Sendable {
    var vector: PostgresDataType
    var vectorArray: PostgresDataType
}

/// Where to connect: the app role for queries, an admin role for bootstrapping and migrations.
struct Endpoints: Sendable {
    var app: DatabaseConfiguration.Server
    var admin: DatabaseConfiguration.Server
    var embedded: EmbeddedPostgres.ConnectionInfo?
    var createdCluster: Bool
    var connectTimeout: Duration

    static func resolve(_ configuration: DatabaseConfiguration, logger: Logger) async throws -> Endpoints {
        switch configuration.target {
        case .embedded(let home):
            let cluster = try EmbeddedPostgres(home: home, logger: logger)
            let (info, created) = try cluster.start()
            return Endpoints(
                app: info.appServer, admin: info.superuserServer, embedded: info, createdCluster: created,
                connectTimeout: configuration.connectTimeout)
        case .external(let app, let admin):
            return Endpoints(
                app: app, admin: admin ?? app, embedded: nil, createdCluster: false,
                connectTimeout: configuration.connectTimeout)
        }
    }
}

extension DatabaseConfiguration.Server {
    func clientConfiguration() throws -> PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: try clientTLS())
    }

    func connectionConfiguration(timeout: Duration, database override: String? = nil) throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: override ?? database,
            tls: try connectionTLS())
        configuration.options.connectTimeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
        return configuration
    }

    private func clientTLS() throws -> PostgresClient.Configuration.TLS {
        switch tls {
        case .disable: return .disable
        case .prefer: return .prefer(.makeClientConfiguration())
        case .require: return .require(.makeClientConfiguration())
        }
    }

    private func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        switch tls {
        case .disable: return .disable
        case .prefer: return .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    /// Opens one connection, runs `body`, closes it.
    func withConnection<T: Sendable>(
        timeout: Duration, database: String? = nil, logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: try connectionConfiguration(timeout: timeout, database: database), id: 0, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// host:port/database, for messages (never the password).
    var displayName: String { "\(host):\(port)/\(database)" }
}
