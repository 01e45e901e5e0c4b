import Foundation
import MemoryGraph
import Repositories

extension CLI {
    /// Whether a file descriptor is a terminal (0 stdin, 1 stdout, 2 stderr).
    static func isTerminal(_ descriptor: Int32) -> Bool {
        isatty(descriptor) == 1
    }

    /// The node under `key`, or a not-found error that names the key and the user.
    static func node(_ store: MemoryStore, _ user: UserID, key: String) async throws -> MemoryNode {
        guard let node = try await store.lookup(user, key: key) else {
            throw MemoryGraphError(
                code: .notFound,
                message: "no node has the key \(JSONValue.string(key).jsonText()) for user \(user); try memgraph query 'FUZZY \(key)' --user \(user)")
        }
        return node
    }

    /// How a node is named in text output: its LOOKUP key, else the start of its id.
    static func label(_ node: MemoryNode) -> String {
        node.lookupKey ?? "node " + String(node.id?.uuidString.lowercased().prefix(8) ?? "?")
    }

    /// A node as a JSON result: `node_id`, `key`, `context_type`, `summary`, plus `score` when given.
    static func json(_ node: MemoryNode, score: Double? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "node_id": node.id.map { .string($0.uuidString.lowercased()) } ?? .null,
            "key": node.lookupKey.map(JSONValue.string) ?? .null,
            "context_type": .string(node.contextType.rawValue),
            "summary": node.summary.map(JSONValue.string) ?? .null,
        ]
        if let score { object["score"] = .number(score) }
        return .object(object)
    }

    /// A node with everything stored about it (`node get`).
    static func fullJSON(_ node: MemoryNode) -> JSONValue {
        guard case .object(var object) = json(node) else { return .null }
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
    static func json(_ edge: Relationship, keys: [UUID: String]) -> JSONValue {
        [
            "from": .string(edge.from.uuidString.lowercased()), "to": .string(edge.to.uuidString.lowercased()),
            "from_key": keys[edge.from].map(JSONValue.string) ?? .null,
            "to_key": keys[edge.to].map(JSONValue.string) ?? .null,
            "type": .string(edge.type.rawValue), "strength": .number(edge.strength),
        ]
    }

    static func timestamp(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    /// `text` cut to `limit` characters, with an ellipsis, on one line.
    static func shortened(_ text: String?, to limit: Int) -> String {
        let line = (text ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count <= limit ? line : String(line.prefix(limit - 1)) + "…"
    }

    /// `0.80`: strengths and scores in text output.
    static func decimal(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}

/// Rows of text in columns padded to the widest cell; the last column is not padded.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    var description: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
