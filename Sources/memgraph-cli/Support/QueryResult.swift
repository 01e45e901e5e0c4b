import Foundation
import MemoryGraph
import Repositories

/// The answer to one REM query, for `memgraph query` and `memgraph shell`.
struct QueryResult: Sendable {
    var query: RemQuery
    /// Best first. The score is the similarity for FUZZY and SEARCH, 1 for LOOKUP, the depth for TRAVERSE.
    var rows: [ScoredNode]
    /// TRAVERSE only: the edges walked.
    var edges: [Relationship]?

    /// Runs `query` for `user`. SEARCH embeds its text through ``CLI/makeEmbedder()``.
    static func run(_ query: RemQuery, user: UserID, store: MemoryStore) async throws -> QueryResult {
        switch query {
        case .lookup(let key):
            let node = try await store.lookup(user, key: key)
            return QueryResult(query: query, rows: node.map { [ScoredNode(node: $0, score: 1)] } ?? [])
        case .fuzzy(let text, let threshold, let limit):
            return QueryResult(query: query, rows: try await store.fuzzy(user, text: text, threshold: threshold, limit: limit))
        case .search(let text, let contextTypes, let minSimilarity, let limit):
            let searcher = MemoryStore(database: store.database, embedder: try CLI.makeEmbedder())
            let rows = try await searcher.search(user, text: text, contextTypes: contextTypes, minSimilarity: minSimilarity, limit: limit)
            return QueryResult(query: query, rows: rows)
        case .traverse(let key, let depth, let types, let direction):
            guard let start = try await store.lookup(user, key: key) else {
                return QueryResult(query: query, rows: [], edges: [])
            }
            let graph = try await store.traverse(user, from: start.id!, depth: depth, types: types, direction: direction)
            return QueryResult(
                query: query, rows: graph.nodes.map { ScoredNode(node: $0.node, score: Double($0.depth)) }, edges: graph.edges)
        }
    }

    var isTraverse: Bool {
        if case .traverse = query { return true }
        return false
    }

    /// A sentence for stderr when nothing was found, naming what was looked for.
    var emptyNote: String? {
        guard rows.isEmpty else { return nil }
        switch query {
        case .lookup(let key), .traverse(let key, _, _, _):
            return "no node has the key \(JSONValue.string(key).jsonText())"
        case .fuzzy(_, let threshold, _):
            return "no node is similar enough (THRESHOLD \(threshold)); try a lower THRESHOLD"
        case .search(_, _, let minSimilarity, _):
            return "no node is near enough in meaning (MIN \(minSimilarity))"
        }
    }

    /// `{"query": canonical REM, "results": [...], "edges": [...] (TRAVERSE)}`.
    var json: JSONValue {
        var document: [String: JSONValue] = [
            "query": .string(query.description),
            "results": .array(rows.map { CLI.json($0.node, score: $0.score) }),
        ]
        if let edges {
            let lookupKeys = Dictionary(
                rows.compactMap { row in row.node.id.flatMap { id in row.node.lookupKey.map { (id, $0) } } },
                uniquingKeysWith: { first, _ in first })
            document["edges"] = .array(edges.map { CLI.json($0, keys: lookupKeys) })
        }
        return .object(document)
    }

    /// An aligned table with scores (depths for TRAVERSE), then TRAVERSE's edges.
    var text: String {
        var table = TextTable(header: [isTraverse ? "DEPTH" : "SCORE", "KEY", "CONTEXT TYPE", "SUMMARY"])
        for row in rows {
            table.rows.append([
                isTraverse ? String(Int(row.score)) : CLI.decimal(row.score), CLI.label(row.node),
                row.node.contextType.rawValue, CLI.shortened(row.node.summary, to: 80),
            ])
        }
        var text = table.description
        if let edges, !edges.isEmpty {
            let keys = keys
            text += "\n\nEDGES\n" + edges.map { edge in
                "\(keys[edge.from] ?? "?") -[\(edge.type.rawValue) \(CLI.decimal(edge.strength))]-> \(keys[edge.to] ?? "?")"
            }.sorted().joined(separator: "\n")
        }
        return text
    }

    /// Labels of the rows' nodes by id.
    private var keys: [UUID: String] {
        Dictionary(rows.compactMap { row in row.node.id.map { ($0, CLI.label(row.node)) } }, uniquingKeysWith: { first, _ in first })
    }
}
