import Foundation

/// Every setting memgraph reads, from one place, in the documented layers: command-line flags win
/// over the environment, which wins over the config file, which wins over the defaults.
///
/// The process environment is read here and nowhere else (``processEnvironment``). The modules
/// take the effective values (``values``) where they used to take the environment, so a setting
/// in the config file reaches the encoder and the session store as it reaches the database.
///
/// ```swift
/// let settings = try Settings.load(flags: ["MEMGRAPH_HOME": "/srv/memgraph"])
/// let store = try SessionStore(path: SessionStore.defaultPath(environment: settings.values))
/// print(settings.source(of: "MEMGRAPH_HOME"))   // flag
/// ```
public struct Settings: Sendable, Equatable {
    /// Where a setting's effective value came from.
    public enum Source: String, Sendable, Equatable {
        case flag, environment, file, `default`
    }

    /// One setting: its name (the environment variable; config files use it in any case), its
    /// default, and what it means.
    public struct Definition: Sendable, Equatable {
        public let name: String
        /// The default as text; nil when it is computed (``defaultDescription`` says how) or unset.
        public let defaultValue: String?
        /// The default in words, for display.
        public let defaultDescription: String
        public let summary: String
        /// A password or a URL that may hold one: shown masked.
        public let isSecret: Bool
    }

    /// The settings, in the order `memgraph config` prints them.
    public static let definitions: [Definition] = [
        .init("DATABASE_URL", nil, "unset", "PostgreSQL URL of an external server", secret: true),
        .init("POSTGRES_HOST", nil, "unset", "host of an external server (instead of DATABASE_URL)"),
        .init("POSTGRES_PORT", "5432", nil, "its port"),
        .init("POSTGRES_DB", "memgraph", nil, "its database"),
        .init("POSTGRES_USER", "postgres", nil, "the user memgraph connects as"),
        .init("POSTGRES_PASSWORD", nil, "unset", "that user's password", secret: true),
        .init("POSTGRES_POOL_SIZE", "20", nil, "most connections in the pool"),
        .init("POSTGRES_SSL", "prefer", nil, "TLS to an external server: true/require, false/disable, prefer"),
        .init("MEMGRAPH_ADMIN_URL", nil, "the app URL", "a role that may migrate the schema, when the app role may not", secret: true),
        .init("MEMGRAPH_CONNECT_TIMEOUT", "2", nil, "seconds to wait for a connection"),
        .init("MEMGRAPH_STATEMENT_TIMEOUT", "120", nil, "seconds one SQL statement of the app may run (0: no limit; reindex has none)"),
        .init("MEMGRAPH_IDLE_IN_TRANSACTION_TIMEOUT", "300", nil, "seconds a transaction of the app may sit idle before Postgres ends it (0: no limit)"),
        .init("MEMGRAPH_COUNT_ACCESSES", "true", nil, "count reads as accesses (access_count, last_accessed), written in the background"),
        .init("MEMGRAPH_HOME", nil, "./.memgraph", "data directory: the embedded cluster, sessions, config file"),
        .init("MEMGRAPH_CONFIG", nil, "$MEMGRAPH_HOME/config.json or config.yaml", "the config file"),
        .init("MEMGRAPH_TEXT_SEARCH_CONFIG", "english", nil, "PostgreSQL text search configuration of RECALL's words (simple: not English)"),
        .init("MEMGRAPH_PG_PORT", nil, "a free port", "port of a new embedded cluster (chosen at creation)"),
        .init("MEMGRAPH_PG_OS_USER", "postgres", nil, "the unprivileged user postgres runs as when memgraph runs as root"),
        .init("MEMGRAPH_VENDOR_DIR", nil, "$MEMGRAPH_HOME/vendor, then the build checkout's .memgraph/vendor",
              "where scripts/setup put the PostgreSQL binaries and the model"),
        .init("MEMGRAPH_MODEL_DIR", nil, "the vendor folder's model", "a folder with all-MiniLM-L6-v2's files"),
        .init("MEMGRAPH_ENCODER_KERNEL", "auto", nil, "the encoder's matrix product: auto, avx512-bf16, avx512 or blas"),
        .init("MEMGRAPH_ENCODER_WORKERS", nil, "cores, at most 4", "threads that share one forward pass of the encoder"),
        .init("MEMGRAPH_PROGRESS_INTERVAL", "5", nil, "seconds between progress lines on stderr when it is not a terminal (0: none)"),
        .init("MEMGRAPH_LOG_LEVEL", "warning", nil, "trace, debug, info, notice, warning, error"),
        .init("MEMGRAPH_SESSIONS_DB", nil, "$MEMGRAPH_HOME/sessions.sqlite", "the session database"),
        .init("MEMGRAPH_SESSION_TIMEOUT", "2", nil, "seconds any session call waits for Postgres"),
        .init("MEMGRAPH_SESSION_APPLY_TIMEOUT", "600", nil, "seconds one queued write may take to apply while Postgres answers"),
        .init("MEMGRAPH_SESSION_RETRY_AFTER", "2", nil, "seconds writes queue without trying Postgres after it was unreachable"),
        .init("MEMGRAPH_SESSION_TTL", "86400", nil, "seconds of inactivity before a session expires"),
        .init("MEMGRAPH_SESSION_CACHE_SIZE", "1000", nil, "memories loaded into a session's cache at start"),
        .init("MEMGRAPH_ALLOW_RLS_BYPASS", "false", nil, "go on, with a warning, when the app role bypasses row-level security"),
        .init("MEMGRAPH_MAX_CONTENT_BYTES", "1048576", nil, "largest content and metadata of one node together, in bytes of JSON"),
        .init("MEMGRAPH_JWT_SECRET", nil, "unset (user tokens refused)", "the HS256 secret user tokens are signed with (32 bytes or more)", secret: true),
        .init("MEMGRAPH_JWT_SECRET_FILE", nil, "unset", "a file holding that secret (instead of MEMGRAPH_JWT_SECRET)"),
        .init("MEMGRAPH_USER", nil, "unset", "the user `memgraph mcp` over stdio acts for (instead of --user)"),
        .init("MEMGRAPH_MAX_BODY_BYTES", "16777216", nil, "largest HTTP request body `memgraph serve` reads (413 above)"),
        .init("MEMGRAPH_REQUEST_TIMEOUT", "30", nil, "seconds an HTTP or MCP request may take before it is answered 503"),
    ]

    /// The setting names.
    public static let names: Set<String> = Set(definitions.map(\.name))

    /// The process environment: the one place memgraph reads it.
    public static var processEnvironment: [String: String] { ProcessInfo.processInfo.environment }

    /// The effective value of every setting that has one, by name (defaults included).
    public let values: [String: String]
    /// Where each of ``values`` came from.
    public let sources: [String: Source]
    /// The config file that was read, if any.
    public let file: URL?

    /// The effective value of `name`, or nil when it is unset.
    public subscript(name: String) -> String? { values[name] }

    /// Where the value of `name` came from (``Source/default`` for an unset one).
    public func source(of name: String) -> Source { sources[name] ?? .default }

    /// Reads the settings.
    ///
    /// - Parameters:
    ///   - flags: settings from the command line, by name; they win over everything.
    ///   - environment: the process environment; empty values count as unset. `MEMGRAPH_CONFIG`
    ///     (flag or environment) names the config file; otherwise `$MEMGRAPH_HOME/config.json`,
    ///     `config.yaml` or `config.yml` is read if present.
    /// - Throws: `MemoryGraphError` (`.invalidInput`) for a config file that cannot be read or
    ///   names an unknown setting.
    public static func load(flags: [String: String] = [:], environment: [String: String] = processEnvironment) throws -> Settings {
        let environment = environment.filter { names.contains($0.key) && !$0.value.isEmpty }
        let flags = flags.filter { names.contains($0.key) }
        var file: URL?
        if let path = flags["MEMGRAPH_CONFIG"] ?? environment["MEMGRAPH_CONFIG"] {
            file = URL(fileURLWithPath: path)
        } else {
            let home = MemgraphHome(environment: environment.merging(flags) { $1 }).home
            file = ["config.json", "config.yaml", "config.yml"].lazy.map { home.appendingPathComponent($0) }
                .first { FileManager.default.fileExists(atPath: $0.path) }
        }
        let fromFile = try file.map(ConfigurationFile.read) ?? [:]
        var values: [String: String] = [:], sources: [String: Source] = [:]
        for definition in definitions {
            if let value = definition.defaultValue { (values[definition.name], sources[definition.name]) = (value, .default) }
        }
        for (layer, source) in [(fromFile, Source.file), (environment, .environment), (flags, .flag)] {
            for (name, value) in layer { (values[name], sources[name]) = (value, source) }
        }
        return Settings(values: values, sources: sources, file: file)
    }
}

extension Settings.Definition {
    fileprivate init(_ name: String, _ value: String?, _ description: String?, _ summary: String, secret: Bool = false) {
        self.init(name: name, defaultValue: value, defaultDescription: description ?? value ?? "unset", summary: summary, isSecret: secret)
    }
}

extension Settings {
    /// The effective value of `name` as it may be shown: a secret's password masked (`****`, or a
    /// URL's password part), nil when unset.
    public func displayValue(of name: String) -> String? {
        guard let value = values[name] else { return nil }
        guard Self.definitions.first(where: { $0.name == name })?.isSecret == true else { return value }
        guard var url = URLComponents(string: value), url.scheme != nil, url.host != nil else { return "****" }
        if url.password != nil { url.password = "****" }
        return url.string ?? "****"
    }
}
