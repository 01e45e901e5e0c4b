import Foundation
import MemoryGraph
import Repositories
import Sessions

/// The shapes every front-end answers with: the CLI's `--json`, the HTTP API's bodies and the MCP
/// tools' structured results are built here, once.
public enum Documents {
    /// How a node is named in text output: its LOOKUP key, else the start of its id.
    public static func label(_ node: MemoryNode) -> String {
        node.lookupKey ?? "node " + String(node.id?.uuidString.lowercased().prefix(8) ?? "?")
    }

    /// A node as a JSON result: `node_id`, `key`, `context_type`, `summary`, plus `score` when given.
    public static func json(_ node: MemoryNode, score: Double? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "node_id": node.id.map { .string($0.uuidString.lowercased()) } ?? .null,
            "key": node.lookupKey.map(JSONValue.string) ?? .null,
            "context_type": .string(node.contextType.rawValue),
            "summary": node.summary.map(JSONValue.string) ?? .null,
        ]
        if let score { object["score"] = .number(score) }
        return .object(object)
    }

    /// A node with everything stored about it (`node get`; every query result, with its `score`).
    public static func fullJSON(_ node: MemoryNode, score: Double? = nil) -> JSONValue {
        guard case .object(var object) = json(node, score: score) else { return .null }
        object["content"] = .object(node.content)
        object["tags"] = .array(node.tags.map(JSONValue.string))
        object["metadata"] = .object(node.metadata)
        object["base_relevance"] = .number(node.baseRelevance)
        object["created_at"] = node.createdAt.map { .string(timestamp($0)) } ?? .null
        object["last_accessed"] = node.lastAccessed.map { .string(timestamp($0)) } ?? .null
        object["access_count"] = node.accessCount.map { .number(Double($0)) } ?? .null
        return .object(object)
    }

    /// An edge as JSON: `from`, `to` (node ids), their keys, `type` and `strength`.
    public static func json(_ edge: Relationship, keys: [UUID: String]) -> JSONValue {
        [
            "from": .string(edge.from.uuidString.lowercased()), "to": .string(edge.to.uuidString.lowercased()),
            "from_key": keys[edge.from].map(JSONValue.string) ?? .null,
            "to_key": keys[edge.to].map(JSONValue.string) ?? .null,
            "type": .string(edge.type.rawValue), "strength": .number(edge.strength),
        ]
    }

    /// RFC 3339 in UTC to the millisecond, cut, never rounded up to a later time
    /// (``DateTimeText/format(_:)``: a parsed `…11.647Z`, a hair below .647 as a Double, still
    /// prints .647, so an export and re-import keep it).
    public static func timestamp(_ date: Date) -> String {
        DateTimeText.format(date)
    }

    /// `text` cut to `limit` characters, with an ellipsis, on one line.
    public static func shortened(_ text: String?, to limit: Int) -> String {
        let line = (text ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count <= limit ? line : String(line.prefix(limit - 1)) + "…"
    }

    /// `0.80`: strengths and scores in text output.
    public static func decimal(_ value: Double) -> String {
        String(format: "%.2f", value)
    }

    // MARK: - Fixture lines (export)

    /// One JSON document on one line, keys sorted (JSONL).
    public static func line(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// The key an export gives a keyless node that a relationship names (an import into the same
    /// user finds the node again by it: ``MemoryStore/exportKey(_:)``).
    public static func exportKey(_ id: UUID) -> String { MemoryStore.exportKey(id) }

    /// A node as a fixture JSONL line (`"kind": "node"`), with everything an import reads back.
    public static func fixtureNode(_ node: MemoryNode, key: String?) -> JSONValue {
        var object: [String: JSONValue] = [
            "kind": "node", "context_type": .string(node.contextType.rawValue),
            "content": .object(node.content), "tags": .array(node.tags.map(JSONValue.string)),
            "metadata": .object(node.metadata), "base_relevance": .number(node.baseRelevance),
        ]
        if let key { object["key"] = .string(key) }
        if let summary = node.summary { object["summary"] = .string(summary) }
        if let created = node.createdAt { object["created_at"] = .string(timestamp(created)) }
        return .object(object)
    }

    /// A relationship as a fixture JSONL line (`"kind": "relationship"`), by its ends' keys.
    public static func fixtureRelationship(_ edge: Relationship, from: String, to: String) -> JSONValue {
        var object: [String: JSONValue] = [
            "kind": "relationship", "from": .string(from), "to": .string(to), "type": .string(edge.type.rawValue),
            "strength": .number(edge.strength), "metadata": .object(edge.metadata),
        ]
        if let created = edge.createdAt { object["created_at"] = .string(timestamp(created)) }
        return .object(object)
    }

    // MARK: - Results of writes

    /// What `remember` stored: one entry per node, in order.
    public static func remembered(_ results: [RememberResult], nodes: [MemoryNode], wait: MemoryService.Wait) -> JSONValue {
        .object([
            "embedded": .bool(wait == .embedded),
            "memories": .array(zip(results, nodes).map { result, node in
                [
                    "node_id": .string(result.nodeID.uuidString.lowercased()), "inserted": .bool(result.inserted),
                    "key": node.lookupKey.map(JSONValue.string) ?? .null,
                ]
            }),
        ])
    }

    /// `memgraph import --json`, and the HTTP import's answer.
    public static func imported(_ report: MemoryService.ImportReport, files: [String]) -> JSONValue {
        let summary = report.summary
        var object: [String: JSONValue] = [
            "user": .string(report.user.rawValue), "files": .array(files.map(JSONValue.string)),
            "dry_run": .bool(summary.dryRun),
            "inserted": .number(Double(summary.inserted)), "merged": .number(Double(summary.merged)),
            "relationships": .number(Double(summary.relationships)),
            "relationships_inserted": .number(Double(summary.relationshipsInserted)),
            "kv_entries": .number(Double(summary.kvEntries)),
            "embeddings_queued": .number(Double(summary.embeddingsQueued)),
        ]
        if let warning = report.indexWarning { object["warning"] = .string(warning) }
        return .object(object)
    }

    /// A new or updated relationship, with its ends' keys.
    public static func related(_ relationship: Relationship, inserted: Bool, from: MemoryNode, to: MemoryNode) -> JSONValue {
        [
            "relationship_id": relationship.id.map { .string($0.uuidString.lowercased()) } ?? .null,
            "inserted": .bool(inserted),
            "from": .string(from.id!.uuidString.lowercased()), "to": .string(to.id!.uuidString.lowercased()),
            "from_key": from.lookupKey.map(JSONValue.string) ?? .null, "to_key": to.lookupKey.map(JSONValue.string) ?? .null,
            "type": .string(relationship.type.rawValue), "strength": .number(relationship.strength),
        ]
    }

    /// A removed node.
    public static func forgotten(_ node: MemoryNode, hard: Bool) -> JSONValue {
        [
            "removed": .bool(true), "hard": .bool(hard), "node_id": .string(node.id!.uuidString.lowercased()),
            "key": node.lookupKey.map(JSONValue.string) ?? .null,
        ]
    }

    /// `memgraph stats --json`.
    public static func stats(_ user: UserID, _ stats: UserStats, jobs: [String: Int]) -> JSONValue {
        [
            "user": .string(user.rawValue),
            "total_nodes": .number(Double(stats.totalNodes)),
            "nodes_by_context_type": .object(stats.nodesByContextType.mapValues { .number(Double($0)) }),
            "entities": .number(Double(stats.entities)),
            "relationships": .number(Double(stats.relationships)),
            "embeddings": .number(Double(stats.embeddings)),
            "embedding_jobs": [
                "pending": .number(Double((jobs["pending"] ?? 0) + (jobs["processing"] ?? 0))),
                "failed": .number(Double(jobs["failed"] ?? 0)),
            ],
            "last_activity": stats.lastActivity.map { .string(timestamp($0)) } ?? .null,
        ]
    }

    /// What `erase` deleted, or would delete.
    public static func erased(_ report: MemoryService.EraseReport) -> JSONValue {
        [
            "user": .string(report.user.rawValue), "erased": .bool(report.erased),
            "postgres": .object(Dictionary(uniqueKeysWithValues: report.postgres.rows.map { ($0.table, JSONValue.number(Double($0.count))) })),
            "sessions": .number(Double(report.sessions)), "outbox": .number(Double(report.outbox)),
            "total": .number(Double(report.total)),
        ]
    }

    /// A path between two nodes.
    public static func path(_ path: GraphPath) -> JSONValue {
        let keys = Dictionary(
            path.nodes.compactMap { node in node.lookupKey.map { (node.id!, $0) } }, uniquingKeysWith: { first, _ in first })
        return [
            "length": .number(Double(path.length)),
            "nodes": .array(path.nodes.map { json($0) }),
            "edges": .array(path.edges.map { json($0, keys: keys) }),
        ]
    }

    /// A session: id, user, times, cache.
    public static func session(_ session: SessionInfo) -> JSONValue {
        [
            "session_id": .string(session.id.rawValue), "user": .string(session.user.rawValue),
            "started_at": .string(timestamp(session.startedAt)), "last_active": .string(timestamp(session.lastActive)),
            "idle_ttl_seconds": .number(session.idleTTL), "cached_nodes": .number(Double(session.cachedNodes)),
            "cache_error": session.cacheError.map(JSONValue.string) ?? .null,
        ]
    }
}
