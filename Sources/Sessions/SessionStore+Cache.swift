import Foundation
import GRDB
import MemoryGraph

/// Session-local nodes: the cache of long-term memories, nodes written by queued operations, and
/// temporary_state nodes, which live only here.
extension SessionStore {
    enum NodeOrigin: String {
        /// Loaded from Postgres at session start, or read through on a miss.
        case cache
        /// Written by an operation still in the outbox: what Postgres will hold once it is applied.
        case pending
        /// A temporary_state node: never leaves SQLite.
        case local
    }

    /// Replaces the session's cache with `nodes` (one transaction).
    func replaceCache(_ session: SessionID, with nodes: [MemoryNode], error: String?) async throws {
        let now = clock().timeIntervalSince1970
        let encoded = try nodes.map { ($0, try Self.encode($0)) }
        try await write("load session cache") { db in
            try self.touch(db, session)
            try db.execute(sql: "DELETE FROM session_nodes WHERE session_id = ? AND origin = 'cache'", arguments: [session.rawValue])
            let statement = try db.makeStatement(sql: """
                INSERT INTO session_nodes (session_id, origin, node_id, lookup_key, entity_system, entity_id, node, stored_at)
                VALUES (?, 'cache', ?, ?, ?, ?, ?, ?)
                """)
            for (node, json) in encoded {
                try statement.execute(arguments: [
                    session.rawValue, node.id?.uuidString.lowercased(), node.lookupKey, node.entityIdentity?.system,
                    node.entityIdentity?.id, json, now,
                ])
            }
            try db.execute(
                sql: "UPDATE sessions SET cache_loaded_at = ?, cache_error = ? WHERE id = ?",
                arguments: [error == nil ? now : nil, error, session.rawValue])
        }
    }

    /// The session's node under `key`: a pending write first, then a local node, then the cache.
    func cachedNode(_ session: SessionID, key: String) async throws -> MemoryNode? {
        try await cachedNode(session, column: "lookup_key", value: key)
    }

    /// The session's node with this id (pending, local or cached).
    func cachedNode(_ session: SessionID, id: UUID) async throws -> MemoryNode? {
        try await cachedNode(session, column: "node_id", value: id.uuidString.lowercased())
    }

    private func cachedNode(_ session: SessionID, column: StaticString, value: String) async throws -> MemoryNode? {
        let json = try await write("read session cache") { db -> String? in
            try self.touch(db, session)
            return try String.fetchOne(
                db,
                sql: """
                    SELECT node FROM session_nodes
                    WHERE session_id = ? AND \(column) = ? AND (expires_at IS NULL OR expires_at >= ?)
                    ORDER BY CASE origin WHEN 'pending' THEN 0 WHEN 'local' THEN 1 ELSE 2 END, rowid DESC
                    LIMIT 1
                    """,
                arguments: [session.rawValue, value, self.clock().timeIntervalSince1970])
        }
        return try json.map(Self.decodeNode)
    }

    /// Puts a node read from Postgres into the cache (read-through), replacing older copies of it.
    func cache(_ session: SessionID, _ node: MemoryNode) async throws {
        let json = try Self.encode(node)
        try await write("cache node") { db in
            try self.touch(db, session)
            if let id = node.id {
                try db.execute(
                    sql: "DELETE FROM session_nodes WHERE session_id = ? AND origin = 'cache' AND node_id = ?",
                    arguments: [session.rawValue, id.uuidString.lowercased()])
            }
            try db.execute(
                sql: """
                    INSERT INTO session_nodes (session_id, origin, node_id, lookup_key, entity_system, entity_id, node, stored_at)
                    VALUES (?, 'cache', ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    session.rawValue, node.id?.uuidString.lowercased(), node.lookupKey, node.entityIdentity?.system,
                    node.entityIdentity?.id, json, self.clock().timeIntervalSince1970,
                ])
        }
    }

    /// Stores a temporary_state node in the session only; it gets an id here.
    func storeLocal(_ session: SessionID, _ node: MemoryNode, ttl: Duration?) async throws -> UUID {
        var node = node
        let id = node.id ?? UUID()
        node.id = id
        node.createdAt = node.createdAt ?? clock()
        let json = try Self.encode(node)
        let now = clock().timeIntervalSince1970
        let key = node.key
        try await write("store temporary_state") { db in
            try self.touch(db, session)
            try db.execute(
                sql: "DELETE FROM session_nodes WHERE session_id = ? AND origin = 'local' AND (node_id = ? OR lookup_key = ?)",
                arguments: [session.rawValue, id.uuidString.lowercased(), key])
            try db.execute(
                sql: """
                    INSERT INTO session_nodes (session_id, origin, node_id, lookup_key, node, expires_at, stored_at)
                    VALUES (?, 'local', ?, ?, ?, ?, ?)
                    """,
                arguments: [session.rawValue, id.uuidString.lowercased(), key, json, ttl.map { now + $0.seconds }, now])
        }
        return id
    }

    /// The session's temporary_state nodes, oldest first.
    public func temporaryNodes(_ session: SessionID) async throws -> [MemoryNode] {
        try await write("list temporary_state") { db in
            try self.touch(db, session)
            return try String.fetchAll(
                db,
                sql: "SELECT node FROM session_nodes WHERE session_id = ? AND origin = 'local' AND (expires_at IS NULL OR expires_at >= ?) ORDER BY rowid",
                arguments: [session.rawValue, self.clock().timeIntervalSince1970])
        }.map(Self.decodeNode)
    }

    /// Records what a queued `remember` will make of the node, so the session reads its own write
    /// while the operation waits: merged into the cached copy of the same entity or key, if any.
    /// Also queues the write itself, in the same SQLite transaction.
    func enqueueRemember(_ session: SessionInfo, _ node: MemoryNode, operation: SessionOperation) async throws {
        let payload = try Self.encode(operation)
        try await write("queue remember") { db in
            try self.touch(db, session.id)
            let existing = try Self.matchingNode(db, session.id, node)
            let merged = existing.map { Self.merge(node, into: $0) } ?? node
            try db.execute(
                sql: """
                    INSERT INTO session_nodes (session_id, origin, node_id, lookup_key, entity_system, entity_id, operation_id, node, stored_at)
                    VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    session.id.rawValue, merged.id?.uuidString.lowercased(), merged.lookupKey, merged.entityIdentity?.system,
                    merged.entityIdentity?.id, operation.id.uuidString.lowercased(), try Self.encode(merged),
                    self.clock().timeIntervalSince1970,
                ])
            try self.insertOutbox(db, session: session, operation: operation, payload: payload)
        }
    }

    /// The newest session node that `node` would merge into: same entity, else same key.
    private static func matchingNode(_ db: Database, _ session: SessionID, _ node: MemoryNode) throws -> MemoryNode? {
        var json: String?
        let order = "ORDER BY CASE origin WHEN 'pending' THEN 0 ELSE 1 END, rowid DESC LIMIT 1"
        if let entity = node.entityIdentity {
            json = try String.fetchOne(
                db,
                sql: "SELECT node FROM session_nodes WHERE session_id = ? AND origin != 'local' AND entity_system = ? AND entity_id = ? \(order)",
                arguments: [session.rawValue, entity.system, entity.id])
        }
        if json == nil, let key = node.lookupKey {
            json = try String.fetchOne(
                db,
                sql: "SELECT node FROM session_nodes WHERE session_id = ? AND origin != 'local' AND lookup_key = ? \(order)",
                arguments: [session.rawValue, key])
        }
        return try json.map(decodeNode)
    }

    /// The store's merge rule, for the session's view of a queued write: entity_data merged with
    /// new keys winning, other content replaced, summary replaced when given, tags united.
    static func merge(_ node: MemoryNode, into existing: MemoryNode) -> MemoryNode {
        var merged = existing
        var content = existing.content
        for (field, value) in node.content where field != "entity_data" { content[field] = value }
        if case .object(let new)? = node.content["entity_data"] {
            var data = existing.content["entity_data"]?.objectValue ?? [:]
            data.merge(new) { _, latest in latest }
            content["entity_data"] = .object(data)
        }
        merged.content = content
        if let summary = node.summary { merged.summary = summary }
        if let key = node.key { merged.key = key }
        merged.tags = existing.tags + node.tags.filter { !existing.tags.contains($0) }
        merged.metadata.merge(node.metadata) { _, latest in latest }
        merged.baseRelevance = node.baseRelevance
        merged.contextType = node.contextType
        return merged
    }

    /// Drops the session's pending copies for an operation once it is applied (or has failed):
    /// the next read goes to Postgres, which now holds the truth.
    static func settlePending(_ db: Database, operation: UUID) throws {
        try db.execute(
            sql: "DELETE FROM session_nodes WHERE origin = 'pending' AND operation_id = ?",
            arguments: [operation.uuidString.lowercased()])
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try decoder.decode(type, from: Data(text.utf8))
    }

    static func decodeNode(_ text: String) throws -> MemoryNode { try decode(MemoryNode.self, text) }
}
