import Foundation
import MemoryGraph

/// Where the database is and how to reach it.
///
/// Settings come from, highest first: command-line flags, the environment, a config file, defaults.
/// See ``DatabaseConfiguration/load(flags:environment:)``.
///
/// ```swift
/// let config = try DatabaseConfiguration.load()
/// ```
public struct DatabaseConfiguration: Sendable, Equatable {
    /// TLS use for an external server (`POSTGRES_SSL`).
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    /// An external server, given by URL or by `POSTGRES_*` settings.
    public struct Server: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var database: String
        public var username: String
        public var password: String?
        public var tls: TLSMode

        public init(host: String, port: Int = 5432, database: String, username: String, password: String?, tls: TLSMode) {
            self.host = host
            self.port = port
            self.database = database
            self.username = username
            self.password = password
            self.tls = tls
        }
    }

    public enum Target: Sendable, Equatable {
        /// memgraph's own cluster under this data directory.
        case embedded(MemgraphHome)
        /// A server memgraph does not manage. `admin` runs migrations when given; otherwise `app` does.
        case external(app: Server, admin: Server?)
    }

    public var target: Target
    /// The most connections the pool opens (`POSTGRES_POOL_SIZE`, default 20).
    public var poolSize: Int
    /// How long to wait for a connection (`MEMGRAPH_CONNECT_TIMEOUT`, seconds, default 2).
    public var connectTimeout: Duration
    /// The PostgreSQL text search configuration of RECALL's lexical arm (`MEMGRAPH_TEXT_SEARCH_CONFIG`,
    /// default `english`; `simple` for text that is not English). Changing it rebuilds every node's
    /// document once, at the next start-up.
    public var textSearchConfig: String
    /// The bound on a node's content and metadata together (`MEMGRAPH_MAX_CONTENT_BYTES`, default 1 MiB).
    public var maximumContentBytes: Int
    /// Go on, with a warning, when the app role bypasses row-level security (`MEMGRAPH_ALLOW_RLS_BYPASS`).
    public var allowRLSBypass: Bool
    /// The longest one statement on the pool's connections may run (`MEMGRAPH_STATEMENT_TIMEOUT`,
    /// seconds, default 120; zero: no limit). The search index rebuild lifts it on its connection.
    public var statementTimeout: Duration = .seconds(120)
    /// The longest a transaction on the pool's connections may sit idle before Postgres ends it
    /// (`MEMGRAPH_IDLE_IN_TRANSACTION_TIMEOUT`, seconds, default 300; zero: no limit). Postgres then
    /// closes the connection, releasing the transaction's locks. Long enough for the app's own
    /// waits inside a transaction (a sync remember embeds its batch there).
    public var idleInTransactionTimeout: Duration = .seconds(300)
    /// Whether reads count as accesses (`MEMGRAPH_COUNT_ACCESSES`, default true; see ``AccessLog``).
    public var countAccesses = true

    public init(
        target: Target, poolSize: Int = 20, connectTimeout: Duration = .seconds(2), textSearchConfig: String = "english",
        maximumContentBytes: Int = MemoryNode.defaultMaximumContentBytes, allowRLSBypass: Bool = false
    ) {
        self.allowRLSBypass = allowRLSBypass
        self.target = target
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.textSearchConfig = textSearchConfig
        self.maximumContentBytes = maximumContentBytes
    }

    /// Reads the configuration from ``Settings``.
    ///
    /// - Parameters:
    ///   - flags: settings from the command line, by environment-variable name; they win over everything.
    ///   - environment: the process environment. `MEMGRAPH_CONFIG` names a config file (JSON, or flat
    ///     `key: value` YAML); otherwise `$MEMGRAPH_HOME/config.json` or `config.yaml` is read if present.
    /// - Throws: `RepositoriesError` (`.configuration`) naming the bad setting.
    public static func load(
        flags: [String: String] = [:],
        environment: [String: String] = Settings.processEnvironment
    ) throws -> DatabaseConfiguration {
        try load(Settings.load(flags: flags, environment: environment))
    }

    /// The configuration the effective `settings` describe.
    /// - Throws: `RepositoriesError` (`.configuration`) naming the bad setting.
    public static func load(_ settings: Settings) throws -> DatabaseConfiguration {
        try resolve(settings.values)
    }

    /// The configuration that effective setting values (``Settings/values``) describe.
    /// - Throws: `RepositoriesError` (`.configuration`) naming the bad setting.
    public static func load(values: [String: String]) throws -> DatabaseConfiguration {
        try resolve(values)
    }

    static func resolve(_ settings: [String: String]) throws -> DatabaseConfiguration {
        let poolSize = try integer(settings, "POSTGRES_POOL_SIZE", range: 2...1000)
        let timeout = try integer(settings, "MEMGRAPH_CONNECT_TIMEOUT", range: 1...600)
        let tls = try tlsMode(setting(settings, "POSTGRES_SSL"))
        let target: Target
        if let url = settings["DATABASE_URL"] {
            let admin = try settings["MEMGRAPH_ADMIN_URL"].map { try parseServer(fromURL: $0, setting: "MEMGRAPH_ADMIN_URL", tls: tls) }
            target = .external(app: try parseServer(fromURL: url, setting: "DATABASE_URL", tls: tls), admin: admin)
        } else if let host = settings["POSTGRES_HOST"] {
            let admin = try settings["MEMGRAPH_ADMIN_URL"].map { try parseServer(fromURL: $0, setting: "MEMGRAPH_ADMIN_URL", tls: tls) }
            let server = Server(
                host: host,
                port: try integer(settings, "POSTGRES_PORT", range: 1...65535),
                database: setting(settings, "POSTGRES_DB"),
                username: setting(settings, "POSTGRES_USER"),
                password: settings["POSTGRES_PASSWORD"],
                tls: tls)
            target = .external(app: server, admin: admin)
        } else {
            target = .embedded(MemgraphHome(environment: settings))
        }
        let textSearch = setting(settings, "MEMGRAPH_TEXT_SEARCH_CONFIG").lowercased()
        guard textSearch.range(of: "^[a-z_][a-z0-9_]*$", options: .regularExpression) != nil else {
            throw RepositoriesError(.configuration, "MEMGRAPH_TEXT_SEARCH_CONFIG must name a text search configuration, such as english or simple")
        }
        var configuration = DatabaseConfiguration(
            target: target, poolSize: poolSize, connectTimeout: .seconds(timeout), textSearchConfig: textSearch,
            maximumContentBytes: try integer(settings, "MEMGRAPH_MAX_CONTENT_BYTES", range: 1_024...(256 << 20)),
            allowRLSBypass: try boolean(settings, "MEMGRAPH_ALLOW_RLS_BYPASS"))
        configuration.statementTimeout = .seconds(try integer(settings, "MEMGRAPH_STATEMENT_TIMEOUT", range: 0...86_400))
        configuration.idleInTransactionTimeout = .seconds(try integer(settings, "MEMGRAPH_IDLE_IN_TRANSACTION_TIMEOUT", range: 0...86_400))
        configuration.countAccesses = (settings["MEMGRAPH_COUNT_ACCESSES"] ?? "").isEmpty ? true : try boolean(settings, "MEMGRAPH_COUNT_ACCESSES")
        return configuration
    }

    /// Parses `postgres://user:password@host:port/database?sslmode=…`.
    static func parseServer(fromURL text: String, setting: String, tls defaultTLS: TLSMode) throws -> Server {
        let shape = "expected postgresql://user:password@host:port/database"
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased())
        else {
            throw RepositoriesError(.configuration, "\(setting) is not a PostgreSQL URL: \(shape)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw RepositoriesError(.configuration, "\(setting) has no host: \(shape)")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw RepositoriesError(.configuration, "\(setting) has an invalid port: \(shape)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw RepositoriesError(.configuration, "\(setting) has no user name: \(shape)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        var tls = defaultTLS
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            switch mode {
            case "disable": tls = .disable
            case "allow", "prefer": tls = .prefer
            case "require", "verify-ca", "verify-full": tls = .require
            default: throw RepositoriesError(.configuration, "\(setting) has an unknown sslmode '\(mode)'")
            }
        }
        return Server(
            host: host, port: components.port ?? 5432,
            database: database.isEmpty ? user : (database.removingPercentEncoding ?? database),
            username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding ?? components.password,
            tls: tls)
    }

    /// The value of `name`, or its default from ``Settings/definitions``.
    private static func setting(_ settings: [String: String], _ name: String) -> String {
        settings[name] ?? Settings.definitions.first { $0.name == name }?.defaultValue ?? ""
    }

    private static func integer(_ settings: [String: String], _ name: String, range: ClosedRange<Int>) throws -> Int {
        guard let number = Int(setting(settings, name).trimmingCharacters(in: .whitespaces)), range.contains(number) else {
            throw RepositoriesError(
                .configuration, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private static func boolean(_ settings: [String: String], _ name: String) throws -> Bool {
        switch setting(settings, name).lowercased() {
        case "", "0", "false", "no", "off": return false
        case "1", "true", "yes", "on": return true
        default: throw RepositoriesError(.configuration, "\(name) must be true or false")
        }
    }

    private static func tlsMode(_ text: String) throws -> TLSMode {
        switch text.lowercased() {
        case "1", "true", "yes", "on", "require": return .require
        case "0", "false", "no", "off", "disable": return .disable
        case "prefer": return .prefer
        default: throw RepositoriesError(.configuration, "POSTGRES_SSL must be true, false, prefer or require")
        }
    }
}
