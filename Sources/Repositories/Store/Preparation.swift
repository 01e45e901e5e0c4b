import Logging
import PostgresNIO

/// Start-up checks: a current schema costs one connection and one query; anything else goes through
/// the admin role (bootstrap of the embedded cluster's database and role, then migrations).
enum Preparation {
    struct Result {
        var applied: [Int]
        var rebuilt: Int
        var version: Int
        var vectorTypes: VectorTypes
        /// Why row-level security does not bind the app role (empty: it does).
        var rowLevelSecurityBypass: [String]
    }

    private struct State {
        var version: Int
        /// Every function file of this build is applied as it is, and the text search configuration is the one configured.
        var functionsCurrent: Bool
        var vectorTypes: VectorTypes?
        var rebuilt: Int
        var rowLevelSecurityBypass: [String]
    }

    /// SQLSTATEs after which the admin role can still make things right.
    private static let repairable: Set<String> = ["3D000", "28P01", "28000", "42P01", "3F000", "42501", "42883"]

    static func run(endpoints: Endpoints, configuration: DatabaseConfiguration, logger: Logger) async throws -> Result {
        let result = try await prepare(endpoints: endpoints, configuration: configuration, logger: logger)
        try checkRowLevelSecurityBinds(
            role: endpoints.app.username, reasons: result.rowLevelSecurityBypass, allowBypass: configuration.allowRLSBypass,
            logger: logger)
        return result
    }

    /// Why row-level security would not bind the connected role, as the start-up check reads it in
    /// the same round trip: a superuser, BYPASSRLS, or owning (or being a member of the owner of)
    /// memory tables (policies are not forced: see docs/schema.md).
    static let rowLevelSecurityColumns = """
        (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user),
        (SELECT r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user),
        (SELECT count(*) FROM pg_tables t
         WHERE t.schemaname = 'memory' AND pg_has_role(current_user, t.tableowner, 'USAGE'))::int8
        """

    static func rowLevelSecurityBypass(superuser: Bool, bypass: Bool, owned: Int) -> [String] {
        var reasons: [String] = []
        if superuser { reasons.append("is a superuser") }
        if bypass { reasons.append("has BYPASSRLS") }
        if owned > 0, !superuser { reasons.append("owns \(owned) memory table\(owned == 1 ? "" : "s") (or is a member of its owner)") }
        return reasons
    }

    /// Refuses an app role that row-level security does not bind (`reasons` says why). With
    /// `allowBypass`, warns and goes on.
    /// - Throws: `RepositoriesError` (`.configuration`) naming the role, why, and how to set one up.
    static func checkRowLevelSecurityBinds(role: String, reasons: [String], allowBypass: Bool, logger: Logger) throws {
        guard !reasons.isEmpty else { return }
        let why = "the app role \(role) \(reasons.joined(separator: " and ")), so row-level security does not bind it and a missed user_id filter would expose other users' memories"
        if allowBypass {
            logger.warning("\(why); going on because of --allow-rls-bypass (MEMGRAPH_ALLOW_RLS_BYPASS)")
            return
        }
        throw RepositoriesError(
            .configuration,
            "\(why). Connect as a role that owns nothing and is neither superuser nor BYPASSRLS (CREATE ROLE app LOGIN PASSWORD '…' IN ROLE memgraph_app), give the schema owner in MEMGRAPH_ADMIN_URL, or pass --allow-rls-bypass (MEMGRAPH_ALLOW_RLS_BYPASS=true) to go on with a warning")
    }

    private static func prepare(endpoints: Endpoints, configuration: DatabaseConfiguration, logger: Logger) async throws -> Result {
        let migrator = try Migrator()
        var applied: [Int] = []
        do {
            if let result = try await checkAsApp(endpoints, migrator: migrator, textSearchConfig: configuration.textSearchConfig, logger: logger) {
                return result
            }
        } catch let error as RepositoriesError where error.sqlState.map(repairable.contains) == true {
            logger.debug("schema not ready for the app role; preparing it", metadata: ["sqlstate": "\(error.sqlState ?? "")"])
        }
        if let embedded = endpoints.embedded {
            try await bootstrapEmbedded(endpoints.admin, info: embedded, timeout: endpoints.connectTimeout, logger: logger)
        }
        do {
            applied = try await endpoints.admin.withConnection(timeout: endpoints.connectTimeout, logger: logger) { connection in
                let applied = try await migrator.migrate(on: connection, logger: logger)
                try await applyTextSearchConfig(configuration.textSearchConfig, on: connection, logger: logger)
                return applied
            }
        } catch {
            throw describe(error, server: endpoints.admin, operation: "migrate")
        }
        guard var result = try await checkAsApp(endpoints, migrator: migrator, textSearchConfig: configuration.textSearchConfig, logger: logger) else {
            throw RepositoriesError(
                .migration,
                "the schema is still not current after migrating; check that the role \(endpoints.app.username) may read schema memory")
        }
        result.applied = applied
        return result
    }

    /// Returns nil when the schema is behind this code.
    private static func checkAsApp(
        _ endpoints: Endpoints, migrator: Migrator, textSearchConfig: String, logger: Logger
    ) async throws -> Result? {
        let state: State
        do {
            state = try await endpoints.app.withConnection(timeout: endpoints.connectTimeout, logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT coalesce((SELECT max(version) FROM memory.schema_migrations), 0)::int8,
                           coalesce(to_regtype('vector')::oid, 0)::int8,
                           coalesce(to_regtype('vector[]')::oid, 0)::int8,
                           (SELECT coalesce(string_agg(name || '=' || checksum, ',' ORDER BY name COLLATE "C"), '')
                              FROM memory.schema_functions),
                           (SELECT config::text FROM memory.text_search_config),
                           \(unescaped: rowLevelSecurityColumns)
                    """, logger: logger)
                var version = 0
                var types: VectorTypes?
                var functions = ""
                var textSearch: String?
                var bypass: [String] = []
                for try await (v, vectorOID, arrayOID, fingerprint, config, superuser, bypassRLS, owned)
                    in rows.decode((Int, Int, Int, String, String?, Bool, Bool, Int).self)
                {
                    bypass = rowLevelSecurityBypass(superuser: superuser, bypass: bypassRLS, owned: owned)
                    version = v
                    functions = fingerprint
                    textSearch = config
                    if vectorOID != 0, arrayOID != 0 {
                        types = VectorTypes(
                            vector: PostgresDataType(UInt32(vectorOID)), vectorArray: PostgresDataType(UInt32(arrayOID)))
                    }
                }
                var rebuilt = 0
                // A function file that changed is applied by the migrator, as a new version is.
                let functionsCurrent = functions == migrator.functionsFingerprint && textSearch == textSearchConfig
                if version == migrator.latestVersion, functionsCurrent {
                    // After a crash Postgres empties UNLOGGED tables: refill kv_store from nodes.
                    for try await count in try await connection.query(
                        "SELECT memory.rebuild_kv_store()", logger: logger
                    ).decode(Int.self) {
                        rebuilt = count
                    }
                    if rebuilt > 0 { logger.notice("rebuilt kv_store", metadata: ["entries": "\(rebuilt)"]) }
                }
                return State(
                    version: version, functionsCurrent: functionsCurrent, vectorTypes: types, rebuilt: rebuilt,
                    rowLevelSecurityBypass: bypass)
            }
        } catch {
            throw describe(error, server: endpoints.app, operation: "connect")
        }
        if state.version > migrator.latestVersion {
            throw RepositoriesError.schemaTooNew(version: state.version, known: migrator.latestVersion)
        }
        guard state.version == migrator.latestVersion, state.functionsCurrent else { return nil }
        guard let types = state.vectorTypes else {
            throw RepositoriesError(.missingExtension, "the extension \"vector\" is not installed in \(endpoints.app.displayName): run memgraph migrate")
        }
        return Result(
            applied: [], rebuilt: state.rebuilt, version: state.version, vectorTypes: types,
            rowLevelSecurityBypass: state.rowLevelSecurityBypass)
    }

    /// Rebuilds the nodes' documents with `config` when they were built with another (a rewrite of
    /// the nodes table, once per change of MEMGRAPH_TEXT_SEARCH_CONFIG).
    private static func applyTextSearchConfig(_ config: String, on connection: PostgresConnection, logger: Logger) async throws {
        let current = try await connection.query("SELECT config::text FROM memory.text_search_config", logger: logger)
            .collect().first?.decode(String.self)
        guard current != config else { return }
        logger.notice("rebuilding the nodes' full-text documents", metadata: ["from": "\(current ?? "none")", "to": "\(config)"])
        do {
            // Read the result: an error raised while the statement runs arrives with its rows.
            _ = try await connection.query("SELECT memory.set_text_search_config(\(config)::regconfig)", logger: logger).collect()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42704" {
            throw RepositoriesError(
                .configuration,
                "MEMGRAPH_TEXT_SEARCH_CONFIG: the server has no text search configuration '\(config)'; use english, simple or another of pg_ts_config")
        }
    }

    /// Creates the memgraph database and the login role of the app (idempotent).
    private static func bootstrapEmbedded(
        _ admin: DatabaseConfiguration.Server, info: EmbeddedPostgres.ConnectionInfo, timeout: Duration, logger: Logger
    ) async throws {
        // Our own random alphanumeric secret; utility statements take no bind parameters.
        guard info.appPassword.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw RepositoriesError(
                .embeddedCluster, "the app password in credentials.json must be letters and digits only: restore it or remove MEMGRAPH_HOME")
        }
        do {
            try await admin.withConnection(timeout: timeout, database: "postgres", logger: logger) { connection in
                let exists = try await connection.query(
                    "SELECT count(*)::int8 FROM pg_database WHERE datname = \(EmbeddedPostgres.databaseName)", logger: logger
                ).collect().first?.decode(Int.self) ?? 0
                if exists == 0 {
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "CREATE DATABASE \(EmbeddedPostgres.databaseName)"), logger: logger)
                }
                let roles = try await connection.query(
                    "SELECT count(*)::int8 FROM pg_roles WHERE rolname = \(EmbeddedPostgres.appRole)", logger: logger
                ).collect().first?.decode(Int.self) ?? 0
                let verb = roles == 0 ? "CREATE" : "ALTER"
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "\(verb) ROLE \(EmbeddedPostgres.appRole) LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '\(info.appPassword)'"),
                    logger: logger)
            }
        } catch {
            throw describe(error, server: admin, operation: "bootstrap")
        }
    }

    /// One line naming the cause of a start-up failure.
    static func describe(_ error: any Error, server: DatabaseConfiguration.Server, operation: String) -> RepositoriesError {
        if let error = error as? RepositoriesError { return error }
        let wrapped = RepositoriesError.wrap(error, operation: operation)
        switch wrapped.sqlState {
        case "28P01", "28000":
            return RepositoriesError(
                .connection, "PostgreSQL at \(server.displayName) refused the login of user \(server.username): check the user name and password",
                operation: operation, sqlState: wrapped.sqlState)
        case "3D000":
            return RepositoriesError(
                .connection, "the database \(server.database) does not exist at \(server.host):\(server.port): create it, or fix DATABASE_URL/POSTGRES_DB",
                operation: operation, sqlState: wrapped.sqlState)
        case nil where wrapped.code == .connection:
            return RepositoriesError(
                .connection,
                "cannot reach PostgreSQL at \(server.host):\(server.port) (\(underlyingReason(error))): check DATABASE_URL/POSTGRES_HOST and that the server is running",
                operation: operation)
        default:
            return wrapped
        }
    }

    private static func underlyingReason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let underlying = error.underlying { return String(describing: underlying) }
        return String(describing: error.code)
    }
}
