import Foundation
import GRDB
import MemoryGraph

/// A session's working memory: values by key, each with an optional expiry; never in Postgres.
extension SessionStore {
    /// The value under `key` in the session's working memory, unless absent or expired.
    public func get(_ session: SessionID, key: String) async throws -> JSONValue? {
        try await write("get") { db in
            try self.touch(db, session)
            let text = try String.fetchOne(
                db,
                sql: "SELECT value FROM session_values WHERE session_id = ? AND key = ? AND (expires_at IS NULL OR expires_at >= ?)",
                arguments: [session.rawValue, key, self.clock().timeIntervalSince1970])
            return try text.map { try JSONValue.parse($0) }
        }
    }

    /// Sets `key` in the session's working memory, optionally for `ttl` only. Never reaches Postgres.
    public func set(_ session: SessionID, key: String, value: JSONValue, ttl: Duration? = nil) async throws {
        // Bounded as a node's key: 1 to 255 bytes, no control characters (a NUL was stored, and
        // a key of any length).
        guard !key.isEmpty, key.utf8.count <= 255 else {
            throw MemoryGraphError.invalidInput("a working-memory key must be 1 to 255 bytes; this one is \(key.utf8.count)")
        }
        guard !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw MemoryGraphError.invalidInput("a working-memory key must not hold control characters (tabs, newlines, NUL)")
        }
        let now = clock().timeIntervalSince1970
        try await write("set") { db in
            try self.touch(db, session)
            try db.execute(
                sql: """
                    INSERT INTO session_values (session_id, key, value, expires_at, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (session_id, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at,
                        updated_at = excluded.updated_at
                    """,
                arguments: [session.rawValue, key, value.jsonText(), ttl.map { now + $0.seconds }, now])
        }
    }

    /// Deletes `key` from the session's working memory. Returns whether it was there.
    @discardableResult
    public func delete(_ session: SessionID, key: String) async throws -> Bool {
        try await write("delete") { db in
            try self.touch(db, session)
            try db.execute(
                sql: "DELETE FROM session_values WHERE session_id = ? AND key = ?", arguments: [session.rawValue, key])
            return db.changesCount > 0
        }
    }

    /// The session's working-memory keys with their values (expired ones left out), by key.
    public func values(_ session: SessionID) async throws -> [(key: String, value: JSONValue)] {
        try await write("list values") { db in
            try self.touch(db, session)
            return try Row.fetchAll(
                db,
                sql: "SELECT key, value FROM session_values WHERE session_id = ? AND (expires_at IS NULL OR expires_at >= ?) ORDER BY key",
                arguments: [session.rawValue, self.clock().timeIntervalSince1970]
            ).map { (key: $0["key"] as String, value: try JSONValue.parse($0["value"] as String)) }
        }
    }
}
