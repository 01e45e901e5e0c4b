import Foundation
import GRDB
import MemoryGraph

/// The outbox: writes made through a session, committed here first and applied to Postgres in
/// `seq` order by ``SessionMemory/flush()``.
extension SessionStore {
    /// A queued write.
    public struct OutboxEntry: Sendable, Equatable {
        public var seq: Int64
        public var operation: SessionOperation
        public var user: UserID
        public var session: SessionID?
        public var attempts: Int
    }

    /// How an outbox entry stands.
    public enum OutboxStatus: String, Sendable, Codable {
        case queued, applied, failed
    }

    /// What `memgraph session status` shows.
    public struct Status: Sendable, Equatable, Codable {
        /// Live sessions.
        public var sessions: Int
        /// Nodes held in session caches, over all sessions.
        public var cachedNodes: Int
        /// temporary_state nodes, over all sessions.
        public var temporaryNodes: Int
        /// Writes waiting to be applied.
        public var outboxDepth: Int
        /// Writes the long-term store refused (they are not retried on their own).
        public var outboxFailed: Int
        /// When a flush last finished with nothing left it could apply.
        public var lastFlushAt: Date?
        /// Why the last flush stopped early, if it did; cleared by a complete flush.
        public var lastFlushError: String?
        public var lastFlushErrorAt: Date?
    }

    /// Queues `operation` for `session` (which must be live).
    func enqueue(_ session: SessionInfo, _ operation: SessionOperation) async throws {
        let payload = try Self.encode(operation)
        try await write("queue \(operation.kindName)") { db in
            try self.touch(db, session.id)
            try self.insertOutbox(db, session: session, operation: operation, payload: payload)
        }
    }

    func insertOutbox(_ db: Database, session: SessionInfo, operation: SessionOperation, payload: String) throws {
        try db.execute(
            sql: """
                INSERT INTO outbox (operation_id, session_id, user_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                operation.id.uuidString.lowercased(), session.id.rawValue, session.user.rawValue, operation.kindName, payload,
                clock().timeIntervalSince1970,
            ])
    }

    /// The oldest queued entries that can be read, in order. An entry whose payload cannot be
    /// decoded (written by another version, or damaged) is set aside as failed here, with why, so
    /// that it cannot hold up the writes queued after it.
    func queued(limit: Int) async throws -> (readable: [OutboxEntry], setAside: Int) {
        typealias Stored = (seq: Int64, operation: String?, payload: String, user: String, session: String?, attempts: Int)
        let rows: [Stored] = try await read("read outbox") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, operation_id, payload, user_id, session_id, attempts FROM outbox
                    WHERE status = 'queued' ORDER BY seq LIMIT ?
                    """,
                arguments: [limit]
            ).map { ($0["seq"], $0["operation_id"], $0["payload"], $0["user_id"], $0["session_id"], $0["attempts"]) }
        }
        var readable: [OutboxEntry] = []
        var unreadable: [(seq: Int64, operation: String?, error: String)] = []
        for row in rows {
            do {
                readable.append(OutboxEntry(
                    seq: row.seq, operation: try Self.decode(SessionOperation.self, row.payload), user: try UserID(row.user),
                    session: try row.session.map(SessionID.init), attempts: row.attempts))
            } catch {
                unreadable.append((row.seq, row.operation, "the queued write cannot be read: \(error)"))
            }
        }
        if !unreadable.isEmpty {
            try await write("set aside unreadable outbox entries") { [unreadable] db in
                for entry in unreadable {
                    try db.execute(
                        sql: "UPDATE outbox SET status = 'failed', last_error = ?, attempts = attempts + 1 WHERE seq = ? AND status = 'queued'",
                        arguments: [entry.error, entry.seq])
                    if let operation = entry.operation.flatMap(UUID.init(uuidString:)) {
                        try Self.settlePending(db, operation: operation)
                    }
                }
            }
        }
        return (readable, unreadable.count)
    }

    /// Marks an entry applied with its outcome, and settles the session's pending view of it.
    func markApplied(_ entry: OutboxEntry, outcome: OperationOutcome) async throws {
        let result = try Self.encode(outcome)
        try await write("mark applied") { db in
            try db.execute(
                sql: "UPDATE outbox SET status = 'applied', result = ?, applied_at = ?, attempts = attempts + 1 WHERE seq = ?",
                arguments: [result, self.clock().timeIntervalSince1970, entry.seq])
            try Self.settlePending(db, operation: entry.operation.id)
            try Self.invalidateCaches(db, user: entry.user, after: entry.operation, outcome: outcome)
        }
    }

    /// Drops cached copies that an applied write made stale, in every session of its user, so
    /// that the next read goes to Postgres.
    private static func invalidateCaches(_ db: Database, user: UserID, after operation: SessionOperation, outcome: OperationOutcome) throws {
        let sessions = "SELECT id FROM sessions WHERE user_id = ?"
        switch operation.kind {
        case .remember(let node):
            try db.execute(
                sql: """
                    DELETE FROM session_nodes WHERE origin = 'cache' AND session_id IN (\(sessions))
                      AND (node_id = ? OR lookup_key = ? OR (entity_system = ? AND entity_id = ?))
                    """,
                arguments: [
                    user.rawValue, outcome.nodeID?.uuidString.lowercased(), node.lookupKey, node.entityIdentity?.system,
                    node.entityIdentity?.id,
                ])
        case .importGraph:
            try db.execute(
                sql: "DELETE FROM session_nodes WHERE origin = 'cache' AND session_id IN (\(sessions))", arguments: [user.rawValue])
        case .relate:
            break  // relationships are not cached
        }
    }

    /// Sets an entry aside: the long-term store refused it. Later entries go on.
    func markFailed(_ entry: OutboxEntry, error: String) async throws {
        try await write("mark failed") { db in
            try db.execute(
                sql: "UPDATE outbox SET status = 'failed', last_error = ?, attempts = attempts + 1 WHERE seq = ?",
                arguments: [error, entry.seq])
            try Self.settlePending(db, operation: entry.operation.id)
        }
    }

    /// Counts an attempt that could not reach the store, or ran out of time; the entry stays queued.
    func recordStopped(_ entry: OutboxEntry?, error: String) async throws {
        try await write("record flush error") { db in
            if let entry {
                try db.execute(sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE seq = ?", arguments: [error, entry.seq])
            }
            try db.execute(
                sql: "UPDATE flush_state SET last_error = ?, last_error_at = ? WHERE id = 1",
                arguments: [error, self.clock().timeIntervalSince1970])
        }
    }

    /// Records a flush that left nothing it could apply.
    func recordFlushed() async throws {
        try await write("record flush") { db in
            try db.execute(
                sql: "UPDATE flush_state SET last_flush_at = ?, last_error = NULL, last_error_at = NULL WHERE id = 1",
                arguments: [self.clock().timeIntervalSince1970])
        }
    }

    /// An entry's state and outcome, by operation id.
    public func outboxEntry(_ operation: UUID) async throws -> (status: OutboxStatus, outcome: OperationOutcome?, error: String?)? {
        try await read("read outbox") { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT status, result, last_error FROM outbox WHERE operation_id = ?",
                    arguments: [operation.uuidString.lowercased()])
            else { return nil }
            let status = OutboxStatus(rawValue: row["status"]) ?? .queued
            let outcome = try (row["result"] as String?).map { try Self.decode(OperationOutcome.self, $0) }
            return (status, outcome, row["last_error"])
        }
    }

    /// Queued writes (all users, or one user's).
    public func outboxDepth(user: UserID? = nil) async throws -> Int {
        try await read("read outbox") { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM outbox WHERE status = 'queued' AND (?1 IS NULL OR user_id = ?1)",
                arguments: [user?.rawValue]) ?? 0
        }
    }

    /// Entries set aside (the store refused them, or they could not be read), oldest first: their
    /// operation id, kind, user and error. Read from the entry's columns, not its payload, so
    /// that an unreadable entry is listed too.
    public func failedOperations(limit: Int = 100) async throws -> [(operationID: String, kind: String, user: String, error: String)] {
        try await read("read outbox") { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT operation_id, kind, user_id, last_error FROM outbox WHERE status = 'failed' ORDER BY seq LIMIT ?",
                arguments: [limit])
            return rows.map { row -> (operationID: String, kind: String, user: String, error: String) in
                let error: String? = row["last_error"]
                return (row["operation_id"], row["kind"], row["user_id"], error ?? "")
            }
        }
    }

    /// Sessions, cache size, outbox depth and the last flush.
    public func status() async throws -> Status {
        try await read("session status") { db in
            let now = self.clock().timeIntervalSince1970
            let sessions = try Int.fetchOne(db, sql: "SELECT count(*) FROM sessions WHERE last_active + idle_ttl >= ?", arguments: [now]) ?? 0
            let counts = try Row.fetchOne(
                db,
                sql: """
                    SELECT sum(origin = 'cache') AS cached, sum(origin = 'local') AS local FROM session_nodes
                    """)
            let outbox = try Row.fetchOne(
                db, sql: "SELECT sum(status = 'queued') AS queued, sum(status = 'failed') AS failed FROM outbox")
            let flush = try Row.fetchOne(db, sql: "SELECT * FROM flush_state WHERE id = 1")
            return Status(
                sessions: sessions, cachedNodes: counts?["cached"] ?? 0, temporaryNodes: counts?["local"] ?? 0,
                outboxDepth: outbox?["queued"] ?? 0, outboxFailed: outbox?["failed"] ?? 0,
                lastFlushAt: (flush?["last_flush_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                lastFlushError: flush?["last_error"],
                lastFlushErrorAt: (flush?["last_error_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
        }
    }

    /// Puts failed entries back in the queue (in their original order). Returns how many.
    @discardableResult
    public func retryFailed() async throws -> Int {
        try await write("retry failed") { db in
            try db.execute(sql: "UPDATE outbox SET status = 'queued', last_error = NULL WHERE status = 'failed'")
            return db.changesCount
        }
    }
}
