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

    public init(target: Target, poolSize: Int = 20, connectTimeout: Duration = .seconds(2)) {
        self.target = target
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
    }

    /// The setting names, as environment variables. Config files use the same names, in any case.
    public static let settingNames = [
        "DATABASE_URL", "MEMGRAPH_ADMIN_URL", "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DB", "POSTGRES_USER",
        "POSTGRES_PASSWORD", "POSTGRES_POOL_SIZE", "POSTGRES_SSL", "MEMGRAPH_HOME", "MEMGRAPH_CONNECT_TIMEOUT",
    ]

    /// Reads the configuration.
    ///
    /// - Parameters:
    ///   - flags: settings from the command line, by environment-variable name; they win over everything.
    ///   - environment: the process environment. `MEMGRAPH_CONFIG` names a config file (JSON, or flat
    ///     `key: value` YAML); otherwise `$MEMGRAPH_HOME/config.json` or `config.yaml` is read if present.
    /// - Throws: `RepositoriesError` (`.configuration`) naming the bad setting.
    public static func load(
        flags: [String: String] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> DatabaseConfiguration {
        let nonEmptyEnvironment = environment.filter { !$0.value.isEmpty }
        let homeGuess = MemgraphHome(environment: nonEmptyEnvironment.merging(flags) { $1 })
        var file: [String: String] = [:]
        if let path = flags["MEMGRAPH_CONFIG"] ?? nonEmptyEnvironment["MEMGRAPH_CONFIG"] {
            file = try ConfigurationFile.read(URL(fileURLWithPath: path))
        } else {
            for name in ["config.json", "config.yaml", "config.yml"] {
                let url = homeGuess.home.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: url.path) {
                    file = try ConfigurationFile.read(url)
                    break
                }
            }
        }
        // flags > env > file
        let settings = file.merging(nonEmptyEnvironment.filter { settingNames.contains($0.key) }) { $1 }
            .merging(flags) { $1 }
        return try resolve(settings)
    }

    static func resolve(_ settings: [String: String]) throws -> DatabaseConfiguration {
        let poolSize = try integer(settings, "POSTGRES_POOL_SIZE", default: 20, range: 2...1000)
        let timeout = try integer(settings, "MEMGRAPH_CONNECT_TIMEOUT", default: 2, range: 1...600)
        let tls = try tlsMode(settings["POSTGRES_SSL"])
        let target: Target
        if let url = settings["DATABASE_URL"] {
            let admin = try settings["MEMGRAPH_ADMIN_URL"].map { try parseServer(fromURL: $0, setting: "MEMGRAPH_ADMIN_URL", tls: tls) }
            target = .external(app: try parseServer(fromURL: url, setting: "DATABASE_URL", tls: tls), admin: admin)
        } else if let host = settings["POSTGRES_HOST"] {
            let admin = try settings["MEMGRAPH_ADMIN_URL"].map { try parseServer(fromURL: $0, setting: "MEMGRAPH_ADMIN_URL", tls: tls) }
            let server = Server(
                host: host,
                port: try integer(settings, "POSTGRES_PORT", default: 5432, range: 1...65535),
                database: settings["POSTGRES_DB"] ?? "memgraph",
                username: settings["POSTGRES_USER"] ?? "postgres",
                password: settings["POSTGRES_PASSWORD"],
                tls: tls)
            target = .external(app: server, admin: admin)
        } else {
            var environment: [String: String] = [:]
            environment["MEMGRAPH_HOME"] = settings["MEMGRAPH_HOME"]
            target = .embedded(MemgraphHome(environment: environment))
        }
        return DatabaseConfiguration(target: target, poolSize: poolSize, connectTimeout: .seconds(timeout))
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

    private static func integer(
        _ settings: [String: String], _ name: String, default value: Int, range: ClosedRange<Int>
    ) throws -> Int {
        guard let text = settings[name] else { return value }
        guard let number = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
            throw RepositoriesError(
                .configuration, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private static func tlsMode(_ text: String?) throws -> TLSMode {
        guard let text else { return .prefer }
        switch text.lowercased() {
        case "1", "true", "yes", "on", "require": return .require
        case "0", "false", "no", "off", "disable": return .disable
        case "prefer": return .prefer
        default: throw RepositoriesError(.configuration, "POSTGRES_SSL must be true, false, prefer or require")
        }
    }
}

/// Reads a flat config file: a JSON object, or `key: value` lines of YAML. Keys match the
/// environment variables, in any case (`database_url` or `DATABASE_URL`).
enum ConfigurationFile {
    static func read(_ url: URL) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RepositoriesError(.configuration, "cannot read the config file \(url.path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RepositoriesError(.configuration, "the config file \(url.path) is not UTF-8")
        }
        var raw: [String: String] = [:]
        if url.pathExtension.lowercased() == "json" || text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
            guard case .object(let object)? = try? JSONValue.parse(text) else {
                throw RepositoriesError(.configuration, "the config file \(url.path) is not a JSON object")
            }
            for (key, value) in object {
                switch value {
                case .string(let string): raw[key] = string
                case .number(let number): raw[key] = number.rounded() == number ? String(Int(number)) : String(number)
                case .bool(let flag): raw[key] = String(flag)
                default:
                    throw RepositoriesError(.configuration, "the config file \(url.path): \(key) must be a string or a number")
                }
            }
        } else {
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                guard let colon = trimmed.firstIndex(of: ":") else {
                    throw RepositoriesError(.configuration, "the config file \(url.path), line \(index + 1): expected 'key: value'")
                }
                var value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                    value = String(value.dropFirst().dropLast())
                }
                raw[String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)] = value
            }
        }
        var settings: [String: String] = [:]
        for (key, value) in raw {
            let name = key.uppercased()
            guard DatabaseConfiguration.settingNames.contains(name) else {
                throw RepositoriesError(.configuration, "the config file \(url.path) has an unknown setting '\(key)'")
            }
            settings[name] = value
        }
        return settings
    }
}
