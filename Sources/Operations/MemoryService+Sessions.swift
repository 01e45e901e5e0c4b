import Foundation
import MemoryGraph
import Repositories
import Sessions

extension MemoryService {
    /// The session store, or an error saying that this process has none.
    func sessionStore() throws -> SessionStore {
        guard let sessions = try sessions() else {
            throw MemoryGraphError(code: .unavailable, message: "this process has no session store (MEMGRAPH_SESSIONS_DB)", operation: "session")
        }
        return sessions
    }

    /// Starts a session for `user`, its cache loaded with the user's most relevant memories.
    public func startSession(_ user: UserID, idleTTL: Duration? = nil) async throws -> SessionInfo {
        try await SessionMemory(store: try sessionStore(), longTerm: store).start(user: user, idleTTL: idleTTL)
    }

    /// The live session `id` of `user`. Another user's session is reported as not found, as if it did not exist.
    /// - Throws: `MemoryGraphError` (`.notFound`).
    public func session(_ user: UserID, _ id: SessionID) async throws -> SessionInfo {
        let info: SessionInfo
        do {
            info = try await sessionStore().session(id)
        } catch let error as MemoryGraphError where error.code == .notFound {
            throw Self.noSession(id)
        }
        guard info.user == user else { throw Self.noSession(id) }
        return info
    }

    /// Ends a session of `user`: its working memory, temporary nodes and cache are deleted.
    public func endSession(_ user: UserID, _ id: SessionID) async throws {
        _ = try await session(user, id)
        guard try await sessionStore().end(id) else { throw Self.noSession(id) }
    }

    /// The session's working memory: every key and value.
    public func workingMemory(_ user: UserID, _ id: SessionID) async throws -> [(key: String, value: JSONValue)] {
        _ = try await session(user, id)
        return try await sessionStore().values(id)
    }

    /// One working-memory value.
    /// - Throws: `MemoryGraphError` (`.notFound`) when the key is not set.
    public func workingValue(_ user: UserID, _ id: SessionID, key: String) async throws -> JSONValue {
        _ = try await session(user, id)
        guard let value = try await sessionStore().get(id, key: key) else {
            throw MemoryGraphError.notFound("\(JSONValue.string(key).jsonText()) is not set in session \(id)")
        }
        return value
    }

    /// Sets a working-memory value (kept in SQLite only).
    public func setWorkingValue(_ user: UserID, _ id: SessionID, key: String, value: JSONValue, ttl: Duration? = nil) async throws {
        _ = try await session(user, id)
        try await sessionStore().set(id, key: key, value: value, ttl: ttl)
    }

    /// Deletes a working-memory value.
    /// - Throws: `MemoryGraphError` (`.notFound`) when the key is not set.
    public func deleteWorkingValue(_ user: UserID, _ id: SessionID, key: String) async throws {
        _ = try await session(user, id)
        guard try await sessionStore().delete(id, key: key) else {
            throw MemoryGraphError.notFound("\(JSONValue.string(key).jsonText()) is not set in session \(id)")
        }
    }

    static func noSession(_ id: SessionID) -> MemoryGraphError {
        .notFound("no session \(id): it never existed, has ended, has expired, or belongs to another user")
    }
}
