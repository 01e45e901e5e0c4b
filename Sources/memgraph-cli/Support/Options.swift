import ArgumentParser
import Foundation
import Logging
import MemoryGraph
import Operations
import Repositories

/// Where the database is. Flags win over the environment, which wins over the config file.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "PostgreSQL URL of an external server (else DATABASE_URL; else the embedded cluster).", valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("home"), help: ArgumentHelp(
        "Data directory of the embedded cluster (else MEMGRAPH_HOME; default ./.memgraph).", valueName: "dir"))
    var home: String?

    @Option(name: .customLong("config"), help: ArgumentHelp(
        "A config file, JSON or flat YAML (else MEMGRAPH_CONFIG; else MEMGRAPH_HOME/config.json).", valueName: "file"))
    var config: String?

    @Flag(name: .customLong("allow-rls-bypass"), help: "Go on, with a warning, when the app role is a superuser, has BYPASSRLS or owns the tables (row-level security then does not bind it).")
    var allowRLSBypass = false

    var flags: [String: String] {
        var flags: [String: String] = [:]
        if allowRLSBypass { flags["MEMGRAPH_ALLOW_RLS_BYPASS"] = "true" }
        flags["DATABASE_URL"] = databaseURL
        flags["MEMGRAPH_HOME"] = home
        flags["MEMGRAPH_CONFIG"] = config
        return flags
    }

    /// Every setting, these flags first (``Settings``).
    func settings() throws -> Settings {
        try Settings.load(flags: flags)
    }

    func load() throws -> DatabaseConfiguration {
        try DatabaseConfiguration.load(settings())
    }
}

/// The user whose graph a command works on.
struct UserOptions: ParsableArguments {
    @Option(name: .customLong("user"), help: ArgumentHelp("The user whose memories to use.", valueName: "id"))
    var user: String

    func validate() throws {
        do {
            _ = try UserID(user)
        } catch {
            throw ValidationError("--user: \(error)")
        }
    }

    var userID: UserID { try! UserID(user) }  // checked in validate()
}

/// `--json`: one JSON document on stdout instead of text.
struct OutputOptions: ParsableArguments {
    @Flag(name: .customLong("json"), help: "Print one JSON document on stdout.")
    var json = false
}

enum CLI {
    /// Logs go to stderr; MEMGRAPH_LOG_LEVEL picks the level (default warning). A config file that
    /// cannot be read leaves the default here: the command reports that error when it loads its settings.
    static let logger: Logger = {
        let configured = (try? Settings.load())?["MEMGRAPH_LOG_LEVEL"] ?? Settings.processEnvironment["MEMGRAPH_LOG_LEVEL"]
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            let level = configured.flatMap(Logger.Level.init(rawValue:))
            handler.logLevel = level ?? .warning
            return handler
        }
        return Logger(label: "memgraph")
    }()

    /// Opens the database (starting the embedded cluster and migrating when needed) for `body`.
    static func withStore<T: Sendable>(
        _ connection: ConnectionOptions, _ body: @Sendable (MemoryStore) async throws -> T
    ) async throws -> T {
        let configuration = try connection.load()
        return try await Database.withDatabase(configuration, logger: logger) { database in
            try await body(MemoryStore(database: database))
        }
    }

    /// Opens the database for `body`, with the operations layer over it (the session store is
    /// opened when a session operation first needs it; SEARCH, RECALL and `--wait` load the model).
    static func withService<T: Sendable>(
        _ connection: ConnectionOptions, _ body: @Sendable (MemoryService) async throws -> T
    ) async throws -> T {
        try await withStore(connection) { store in
            // The session database is opened only by the operations that use it.
            try await body(MemoryService(
                database: store.database, openSessions: { try sessionStore(connection) }, logger: logger, embedder: makeEmbedder))
        }
    }

    /// A message for the user, on stderr.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Prints a JSON document on stdout.
    static func printJSON(_ value: JSONValue) {
        print(jsonText(value))
    }

    /// A JSON document, indented, keys sorted.
    static func jsonText(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
