import Foundation
import GRDB
import MemoryGraph

/// The SQLite half of memgraph (seed 004's hybrid): sessions, their working memory, a cache of
/// the user's long-term memories, and the outbox of writes on their way to Postgres.
///
/// One file, `sessions.sqlite` under `MEMGRAPH_HOME` (or `MEMGRAPH_SESSIONS_DB`), in WAL mode with
/// a busy timeout, so several processes can use it at once. Nothing in it is the only copy of a
/// long-term memory except queued outbox entries, which are kept until applied.
///
/// ```swift
/// let sessions = try SessionStore(path: SessionStore.defaultPath())
/// let session = try await sessions.start(user: user)
/// try await sessions.set(session.id, key: "draft", value: .string("hello"))
/// ```
public final class SessionStore: Sendable {
    /// The database file.
    public let path: URL
    public let configuration: SessionConfiguration
    let pool: DatabasePool
    /// The time every expiry is measured against: the wall clock, or a test's own.
    let clock: @Sendable () -> Date

    /// Opens (creating and migrating when needed) the session database at `path`.
    /// - Throws: `MemoryGraphError` (`.storage`) naming the file.
    public convenience init(path: URL, configuration: SessionConfiguration = SessionConfiguration()) throws {
        try self.init(path: path, configuration: configuration, clock: { Date() })
    }

    /// ``init(path:configuration:)`` with a clock of the caller's (tests step it instead of sleeping).
    init(path: URL, configuration: SessionConfiguration, clock: @escaping @Sendable () -> Date) throws {
        self.path = path
        self.configuration = configuration
        self.clock = clock
        do {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            // Memories and working state: readable by their owner only, the WAL and shm files too.
            try PrivateFile.prepare(path)
            var options = Configuration()
            options.busyMode = .timeout(configuration.busyTimeout)
            options.prepareDatabase { db in
                // WAL with synchronous=NORMAL survives a killed process; a committed outbox entry stays.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            pool = try DatabasePool(path: path.path, configuration: options)
            do {
                try Self.migrator.migrate(pool)
            } catch {
                // Two processes that open a new database at once can both see no table and both
                // create it; the loser finds the winner's schema on a second pass.
                try Self.migrator.migrate(pool)
            }
        } catch {
            throw MemoryGraphError(
                code: .storage, message: "cannot open the session database \(path.path): \(Self.describe(error))",
                operation: "open sessions")
        }
    }

    /// `MEMGRAPH_SESSIONS_DB`, else `sessions.sqlite` in the data directory.
    public static func defaultPath(environment: [String: String] = Settings.processEnvironment) -> URL {
        if let path = environment["MEMGRAPH_SESSIONS_DB"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return MemgraphHome(environment: environment).home.appendingPathComponent("sessions.sqlite")
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE sessions (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    last_active REAL NOT NULL,
                    idle_ttl REAL NOT NULL,
                    cache_loaded_at REAL,
                    cache_error TEXT
                );
                CREATE INDEX sessions_user ON sessions (user_id);
                -- The agent's scratch state: key -> JSON value, per session.
                CREATE TABLE session_values (
                    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    expires_at REAL,
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (session_id, key)
                );
                -- Nodes a session can read without Postgres: 'cache' (loaded from or read through
                -- Postgres), 'pending' (written through a queued operation), 'local' (temporary_state).
                CREATE TABLE session_nodes (
                    rowid INTEGER PRIMARY KEY,
                    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                    origin TEXT NOT NULL CHECK (origin IN ('cache', 'pending', 'local')),
                    node_id TEXT,
                    lookup_key TEXT,
                    entity_system TEXT,
                    entity_id TEXT,
                    operation_id TEXT,
                    node TEXT NOT NULL,
                    expires_at REAL,
                    stored_at REAL NOT NULL
                );
                CREATE INDEX session_nodes_key ON session_nodes (session_id, lookup_key);
                CREATE INDEX session_nodes_id ON session_nodes (session_id, node_id);
                CREATE INDEX session_nodes_entity ON session_nodes (session_id, entity_system, entity_id);
                -- Writes on their way to Postgres, applied in seq order. Not tied to a session's
                -- life: ending a session never drops a queued write.
                CREATE TABLE outbox (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    operation_id TEXT NOT NULL UNIQUE,
                    session_id TEXT,
                    user_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'applied', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    result TEXT,
                    created_at REAL NOT NULL,
                    applied_at REAL
                );
                CREATE INDEX outbox_status ON outbox (status, seq);
                CREATE TABLE flush_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    last_flush_at REAL,
                    last_error TEXT,
                    last_error_at REAL
                );
                INSERT INTO flush_state (id) VALUES (1);
                """)
        }
        return migrator
    }

    // MARK: - Sessions

    /// Starts a session for `user` (expired sessions are purged first).
    public func start(user: UserID, idleTTL: Duration? = nil) async throws -> SessionInfo {
        let now = clock()
        let ttl = (idleTTL ?? configuration.idleTTL).seconds
        let info = SessionInfo(
            id: SessionID(), user: user, startedAt: now, lastActive: now, idleTTL: ttl, cachedNodes: 0,
            cacheLoadedAt: nil, cacheError: nil)
        try await write("start session") { db in
            try Self.purgeExpired(db, now: now)
            try db.execute(
                sql: "INSERT INTO sessions (id, user_id, started_at, last_active, idle_ttl) VALUES (?, ?, ?, ?, ?)",
                arguments: [info.id.rawValue, user.rawValue, now.timeIntervalSince1970, now.timeIntervalSince1970, ttl])
        }
        return info
    }

    /// Ends a session: its working memory, temporary_state nodes and cache are deleted. Its queued
    /// writes stay in the outbox until they are applied.
    /// - Returns: whether the session existed.
    @discardableResult
    public func end(_ session: SessionID) async throws -> Bool {
        try await write("end session") { db in
            try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [session.rawValue])
            return db.changesCount > 0
        }
    }

    /// Deletes everything of `user` in SQLite, in one transaction: sessions (with their working
    /// memory, nodes and cache) and outbox entries, whatever their state. `dryRun` counts only.
    /// - Returns: the sessions and outbox entries deleted (or that would be).
    @discardableResult
    public func erase(user: UserID, dryRun: Bool = false) async throws -> (sessions: Int, outbox: Int) {
        try await write("erase user") { db in
            let sessions = try Int.fetchOne(db, sql: "SELECT count(*) FROM sessions WHERE user_id = ?", arguments: [user.rawValue]) ?? 0
            let outbox = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE user_id = ?", arguments: [user.rawValue]) ?? 0
            if !dryRun {
                try db.execute(sql: "DELETE FROM outbox WHERE user_id = ?", arguments: [user.rawValue])
                try db.execute(sql: "DELETE FROM sessions WHERE user_id = ?", arguments: [user.rawValue])
            }
            return (sessions, outbox)
        }
    }

    /// The live sessions of `user` (or of every user), newest first.
    public func list(user: UserID?) async throws -> [SessionInfo] {
        try await write("list sessions") { db in
            try Self.purgeExpired(db, now: self.clock())
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.*, (SELECT count(*) FROM session_nodes n WHERE n.session_id = s.id AND n.origin = 'cache') AS cached
                    FROM sessions s WHERE ?1 IS NULL OR s.user_id = ?1 ORDER BY s.started_at DESC
                    """,
                arguments: [user?.rawValue])
            return try rows.map(SessionInfo.init(row:))
        }
    }

    /// The live session with this id, marked active now.
    /// - Throws: `MemoryGraphError` (`.notFound`) when it does not exist or has expired.
    public func session(_ session: SessionID) async throws -> SessionInfo {
        try await write("open session") { db in try self.touch(db, session) }
    }

    /// Deletes expired sessions (idle longer than their TTL) and expired working-memory entries.
    /// - Returns: how many sessions were deleted.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        try await write("purge sessions") { db in try Self.purgeExpired(db, now: self.clock()) }
    }

    @discardableResult
    static func purgeExpired(_ db: Database, now: Date) throws -> Int {
        let time = now.timeIntervalSince1970
        try db.execute(sql: "DELETE FROM sessions WHERE last_active + idle_ttl < ?", arguments: [time])
        let sessions = db.changesCount
        try db.execute(sql: "DELETE FROM session_values WHERE expires_at < ?", arguments: [time])
        try db.execute(sql: "DELETE FROM session_nodes WHERE expires_at < ?", arguments: [time])
        // Applied operations are kept a day, for status and for a late reader of their result.
        try db.execute(sql: "DELETE FROM outbox WHERE status = 'applied' AND applied_at < ?", arguments: [time - 86_400])
        return sessions
    }

    /// Checks that the session is live and marks it active. Throws `.notFound` otherwise.
    @discardableResult
    func touch(_ db: Database, _ session: SessionID) throws -> SessionInfo {
        let now = clock().timeIntervalSince1970
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT s.*, (SELECT count(*) FROM session_nodes n WHERE n.session_id = s.id AND n.origin = 'cache') AS cached
                    FROM sessions s WHERE s.id = ?
                    """,
                arguments: [session.rawValue])
        else {
            throw MemoryGraphError(code: .notFound, message: "no session \(session): it never existed, has ended, or has expired")
        }
        let info = try SessionInfo(row: row)
        if info.lastActive.timeIntervalSince1970 + info.idleTTL < now {
            try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [session.rawValue])
            throw MemoryGraphError(code: .notFound, message: "session \(session) has expired (idle longer than its TTL)")
        }
        try db.execute(sql: "UPDATE sessions SET last_active = ? WHERE id = ?", arguments: [now, session.rawValue])
        return info
    }

    // MARK: - Plumbing

    /// Runs `body` in a write transaction, wrapping SQLite errors as `MemoryGraphError(.storage)`.
    func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let error as MemoryGraphError {
            throw error
        } catch {
            throw MemoryGraphError(code: .storage, message: "session database: \(Self.describe(error))", operation: operation)
        }
    }

    /// Runs `body` on a read snapshot.
    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as MemoryGraphError {
            throw error
        } catch {
            throw MemoryGraphError(code: .storage, message: "session database: \(Self.describe(error))", operation: operation)
        }
    }

    /// The SQLite message without the SQL's arguments (they may hold memory content).
    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "\(error.message ?? "SQLite error") (SQLite code \(error.resultCode.rawValue))"
        }
        return String(describing: error)
    }
}

/// A session's id: a random UUID in lower case.
public struct SessionID: Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init() { rawValue = UUID().uuidString.lowercased() }

    /// - Throws: `MemoryGraphError` (`.invalidInput`) for anything but a UUID.
    public init(_ text: String) throws {
        guard let uuid = UUID(uuidString: text) else {
            throw MemoryGraphError.invalidInput("a session id is a UUID such as 0f6c…; got \"\(text.prefix(40))\"")
        }
        rawValue = uuid.uuidString.lowercased()
    }

    public var description: String { rawValue }
}

/// A live session.
public struct SessionInfo: Sendable, Equatable {
    public var id: SessionID
    public var user: UserID
    public var startedAt: Date
    public var lastActive: Date
    /// Seconds of inactivity after which the session expires.
    public var idleTTL: Double
    /// Nodes in the session cache (loaded or read through).
    public var cachedNodes: Int
    /// When the cache was loaded from Postgres; nil if it could not be.
    public var cacheLoadedAt: Date?
    /// Why the cache could not be loaded, if it could not.
    public var cacheError: String?

    init(
        id: SessionID, user: UserID, startedAt: Date, lastActive: Date, idleTTL: Double, cachedNodes: Int,
        cacheLoadedAt: Date?, cacheError: String?
    ) {
        self.id = id
        self.user = user
        self.startedAt = startedAt
        self.lastActive = lastActive
        self.idleTTL = idleTTL
        self.cachedNodes = cachedNodes
        self.cacheLoadedAt = cacheLoadedAt
        self.cacheError = cacheError
    }

    init(row: Row) throws {
        id = try SessionID(row["id"] as String)
        user = try UserID(row["user_id"] as String)
        startedAt = Date(timeIntervalSince1970: row["started_at"])
        lastActive = Date(timeIntervalSince1970: row["last_active"])
        idleTTL = row["idle_ttl"]
        cachedNodes = row["cached"] ?? 0
        cacheLoadedAt = (row["cache_loaded_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        cacheError = row["cache_error"]
    }
}

extension SessionStore {
    /// SQLite's `PRAGMA integrity_check`: "ok" for a sound file.
    public func integrityCheck() async throws -> String {
        try await read("integrity check") { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
        }
    }
}
