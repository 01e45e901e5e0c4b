import ArgumentParser
import Foundation
import MemoryGraph
import Operations
import Repositories
import Sessions

/// `--session S`.
struct SessionOptions: ParsableArguments {
    @Option(name: .customLong("session"), help: ArgumentHelp("A session id from `memgraph session start`.", valueName: "id"))
    var session: String

    func validate() throws {
        do { _ = try SessionID(session) } catch { throw ValidationError("--session: \(error)") }
    }

    var sessionID: SessionID { try! SessionID(session) }  // checked in validate()
}

extension Memgraph {
    struct Session: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sessions: working memory, a cache of the user's memories, and an outbox that keeps writes while Postgres is away.",
            discussion: """
                Session state lives in SQLite (MEMGRAPH_SESSIONS_DB, default MEMGRAPH_HOME/sessions.sqlite), \
                never in Postgres. A session caches the user's most relevant memories when it starts; \
                writes made through it (`import --session`) are committed to its outbox first and \
                applied to Postgres in order, exactly once. While Postgres cannot be reached they are \
                accepted as queued; `session flush` or a running `memgraph worker` applies them later.

                Examples:
                  S=$(memgraph session start --user demo-consultant)
                  memgraph session set --session $S draft '{"step": 2}' --ttl 600
                  memgraph session get --session $S draft
                  memgraph session lookup --session $S sarah-chen
                  memgraph import fixtures/crm.json --session $S
                  memgraph session status
                  memgraph session flush
                  memgraph session end --session $S
                """,
            subcommands: [Start.self, List.self, End.self, Get.self, SetValue.self, Remove.self, Lookup.self, Flush.self, Status.self])
    }
}

extension Memgraph.Session {
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a session and load its cache; print the session id alone on stdout.",
            discussion: """
                The cache holds the user's MEMGRAPH_SESSION_CACHE_SIZE (default 1,000) most relevant \
                memories: base_relevance, plus up to 0.3 for recency and up to 0.2 for access count. \
                If Postgres cannot be reached the session starts with an empty cache, and says so on stderr.

                Examples:
                  memgraph session start --user demo-consultant
                  memgraph session start --user demo-consultant --ttl 3600 --json
                """)
        @OptionGroup var user: UserOptions
        @Option(help: ArgumentHelp("Seconds of inactivity before the session expires (default MEMGRAPH_SESSION_TTL or 86400).", valueName: "s"))
        var ttl: Double?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            try CLI.validateSessionTTL(ttl)
        }

        func run() async throws {
            let (user, ttl) = (user.userID, ttl.map { Duration.milliseconds(Int64($0 * 1000)) })
            let info = try await CLI.withSessionMemory(connection) { memory in
                try await memory.start(user: user, idleTTL: ttl)
            }
            if let problem = info.cacheError { CLI.note("memgraph: session started with an empty cache: \(problem)") }
            if output.json {
                CLI.printJSON(Documents.session(info))
            } else {
                print(info.id.rawValue)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List live sessions (expired ones are purged first).",
            discussion: """
                Examples:
                  memgraph session list --user demo-consultant
                  memgraph session list --json
                """)
        @Option(name: .customLong("user"), help: ArgumentHelp("Only this user's sessions.", valueName: "id"))
        var user: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            if let user { do { _ = try UserID(user) } catch { throw ValidationError("--user: \(error)") } }
        }

        func run() async throws {
            let sessions = try await CLI.sessionStore(connection).list(user: try user.map(UserID.init))
            if output.json {
                CLI.printJSON(["sessions": .array(sessions.map(Documents.session))])
                return
            }
            if sessions.isEmpty { CLI.note("memgraph: no live sessions") }
            for session in sessions {
                print("\(session.id)  \(session.user)  started \(Documents.timestamp(session.startedAt))  active \(Documents.timestamp(session.lastActive))  \(session.cachedNodes) cached")
            }
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a session: its working memory, temporary_state nodes and cache are deleted.",
            discussion: """
                Writes it queued stay in the outbox until they are applied.

                Example:
                  memgraph session end --session 0193…
                """)
        @OptionGroup var session: SessionOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            guard try await CLI.sessionStore(connection).end(session.sessionID) else {
                throw MemoryGraphError.notFound("no session \(session.sessionID): it never existed, has ended, or has expired")
            }
            CLI.note("memgraph: session \(session.sessionID) ended")
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a working-memory value (JSON) of the session; exit 1 when the key is not set.",
            discussion: """
                Example:
                  memgraph session get --session 0193… draft
                """)
        @OptionGroup var session: SessionOptions
        @Argument(help: "The key.") var key: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            guard let value = try await CLI.sessionStore(connection).get(session.sessionID, key: key) else {
                throw MemoryGraphError.notFound("\(key) is not set in session \(session.sessionID)")
            }
            CLI.printJSON(value)
        }
    }

    struct SetValue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set a working-memory value of the session (kept in SQLite only).",
            discussion: """
                VALUE is read as JSON when it parses as JSON, else kept as a string.

                Examples:
                  memgraph session set --session 0193… draft '{"step": 2}'
                  memgraph session set --session 0193… mood curious --ttl 600
                """)
        @OptionGroup var session: SessionOptions
        @Argument(help: "The key.") var key: String
        @Argument(help: "The value: JSON, or any text.") var value: String
        @Option(help: ArgumentHelp("Seconds until the value expires (default: with the session).", valueName: "s"))
        var ttl: Double?
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            try CLI.validateSessionTTL(ttl)
            guard !key.isEmpty else { throw ValidationError("the key must not be empty") }
        }

        func run() async throws {
            let parsed = (try? JSONValue.parse(input: Array(value.utf8))) ?? .string(value)  // an integer past 2^53 − 1 stays text
            try await CLI.sessionStore(connection).set(
                session.sessionID, key: key, value: parsed, ttl: ttl.map { .milliseconds(Int64($0 * 1000)) })
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Delete a working-memory value of the session; exit 1 when it was not set.",
            discussion: """
                Example:
                  memgraph session rm --session 0193… draft
                """)
        @OptionGroup var session: SessionOptions
        @Argument(help: "The key.") var key: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            guard try await CLI.sessionStore(connection).delete(session.sessionID, key: key) else {
                throw MemoryGraphError.notFound("\(key) is not set in session \(session.sessionID)")
            }
        }
    }

    struct Lookup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "LOOKUP a key through the session: its own writes and cache first, then Postgres.",
            discussion: """
                While Postgres is unreachable this still answers for keys the session holds.

                Example:
                  memgraph session lookup --session 0193… sarah-chen --json
                """)
        @OptionGroup var session: SessionOptions
        @Argument(help: "The key.") var key: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (session, key) = (session.sessionID, key)
            guard let node = try await CLI.withSessionMemory(connection, { try await $0.lookup(session, key: key) }) else {
                throw MemoryGraphError.notFound("no node has the key \(key)")
            }
            if output.json {
                CLI.printJSON(Documents.fullJSON(node))
            } else {
                print("\(Documents.label(node))  \(node.summary ?? "")")
            }
        }
    }

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply every queued write to Postgres, in order; exit 1 if some stay queued.",
            discussion: """
                Each write is applied once, in its own transaction, even if a flush was interrupted \
                after Postgres committed it. Writes Postgres refuses are set aside as failed and \
                reported; the rest go on.

                Examples:
                  memgraph session flush
                  memgraph session flush --json
                """)
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (report, status) = try await CLI.withSessionMemory(connection) { memory in
                (await memory.flush(), try await memory.store.status())
            }
            if output.json {
                CLI.printJSON([
                    "applied": .number(Double(report.applied)), "failed": .number(Double(report.failed)),
                    "complete": .bool(report.complete), "error": report.error.map(JSONValue.string) ?? .null,
                    "outbox_depth": .number(Double(status.outboxDepth)),
                ])
            } else {
                print("applied \(report.applied), refused \(report.failed), still queued \(status.outboxDepth)")
            }
            if let error = report.error {
                throw MemoryGraphError(code: .unavailable, message: "the flush stopped: \(error)", operation: "session flush")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sessions, cache size, outbox depth and the last flush error.",
            discussion: """
                Examples:
                  memgraph session status
                  memgraph session status --json
                """)
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let store = try CLI.sessionStore(connection)
            let status = try await store.status()
            if output.json {
                CLI.printJSON([
                    "database": .string(store.path.path), "sessions": .number(Double(status.sessions)),
                    "cached_nodes": .number(Double(status.cachedNodes)), "temporary_nodes": .number(Double(status.temporaryNodes)),
                    "outbox_depth": .number(Double(status.outboxDepth)), "outbox_failed": .number(Double(status.outboxFailed)),
                    "last_flush_at": status.lastFlushAt.map { .string(Documents.timestamp($0)) } ?? .null,
                    "last_flush_error": status.lastFlushError.map(JSONValue.string) ?? .null,
                ])
                return
            }
            print("""
                session database  \(store.path.path)
                sessions          \(status.sessions)
                cached nodes      \(status.cachedNodes)
                temporary nodes   \(status.temporaryNodes)
                outbox depth      \(status.outboxDepth)
                outbox failed     \(status.outboxFailed)
                last flush        \(status.lastFlushAt.map(Documents.timestamp) ?? "never")
                last flush error  \(status.lastFlushError ?? "none")
                """)
        }
    }
}

extension CLI {
    /// The session database, at MEMGRAPH_SESSIONS_DB or under the data directory (`--home` counts).
    static func sessionStore(_ connection: ConnectionOptions) throws -> SessionStore {
        let settings = try connection.settings().values
        return try SessionStore(
            path: SessionStore.defaultPath(environment: settings), configuration: try SessionConfiguration.load(environment: settings))
    }

    /// A `SessionMemory` over the database for `body`; when the database cannot be reached, one
    /// that only queues (writes are accepted as queued, reads come from the session).
    static func withSessionMemory<T: Sendable>(
        _ connection: ConnectionOptions, _ body: @Sendable (SessionMemory) async throws -> T
    ) async throws -> T {
        let store = try sessionStore(connection)
        var configuration = try connection.load()
        configuration.connectTimeout = min(configuration.connectTimeout, store.configuration.timeout)
        let database: Database
        do {
            database = try await Database.prepare(configuration, logger: logger)
        } catch let error as RepositoriesError where error.code == .connection || error.code == .embeddedCluster {
            note("memgraph: database unavailable (\(error)); session writes are queued in \(store.path.path)")
            return try await body(SessionMemory(store: store, longTerm: nil))
        }
        return try await database.serving { database in
            try await body(SessionMemory(store: store, longTerm: MemoryStore(database: database)))
        }
    }

}

extension CLI {
    /// A `--ttl` of a session or a value: above 0 and at most a year, as the API takes (a huge
    /// or infinite one crashed the conversion to milliseconds).
    static func validateSessionTTL(_ ttl: Double?) throws {
        let longest = SessionConfiguration.longestTTLSeconds
        if let ttl, !(ttl > 0 && ttl <= Double(longest)) {
            throw ValidationError("--ttl must be a number of seconds above 0 and at most \(longest) (a year), as the API takes")
        }
    }
}
