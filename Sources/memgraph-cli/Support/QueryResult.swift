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
    /// RECALL only: where each arm placed each row (`--explain`).
    var evidence: [[RecallArm: RecallHit.Evidence]]?

    /// Runs `query` for `user`. SEARCH and RECALL embed their text through ``CLI/makeEmbedder()``.
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
        case .recall(let recall):
            let hits = try await MemoryStore(database: store.database, embedder: try CLI.makeEmbedder()).recall(user, recall)
            return QueryResult(
                query: query, rows: hits.map { ScoredNode(node: $0.node, score: $0.score) }, evidence: hits.map(\.arms))
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
        case .recall:
            return "no node matches in meaning, words, names or the graph"
        }
    }

    /// `{"query": canonical REM, "results": [...], "edges": [...] (TRAVERSE)}`. With `explain`, each
    /// RECALL result also has `"arms": {"vector": {"rank", "score"}, …}` for the arms that found it.
    func json(explain: Bool = false) -> JSONValue {
        var results = rows.map { CLI.json($0.node, score: $0.score) }
        if explain, let evidence {
            for (index, arms) in evidence.enumerated() {
                guard case .object(var fields) = results[index] else { continue }
                fields["arms"] = .object(Dictionary(uniqueKeysWithValues: arms.map { arm, found in
                    (arm.rawValue, JSONValue.object(["rank": .number(Double(found.rank)), "score": .number(found.score)]))
                }))
                results[index] = .object(fields)
            }
        }
        var document: [String: JSONValue] = [
            "query": .string(query.description),
            "results": .array(results),
        ]
        if let edges {
            let lookupKeys = Dictionary(
                rows.compactMap { row in row.node.id.flatMap { id in row.node.lookupKey.map { (id, $0) } } },
                uniquingKeysWith: { first, _ in first })
            document["edges"] = .array(edges.map { CLI.json($0, keys: lookupKeys) })
        }
        return .object(document)
    }

    /// An aligned table with scores (depths for TRAVERSE), then TRAVERSE's edges. With `explain`,
    /// RECALL's rows also show each arm's rank (`-` where the arm did not find the node).
    func text(explain: Bool = false) -> String {
        let arms = explain ? evidence : nil
        var header = [isTraverse ? "DEPTH" : "SCORE", "KEY", "CONTEXT TYPE", "SUMMARY"]
        if arms != nil { header.insert(contentsOf: RecallArm.allCases.map { $0.rawValue.uppercased() }, at: 1) }
        var table = TextTable(header: header)
        for (index, row) in rows.enumerated() {
            var cells = [
                isTraverse ? String(Int(row.score)) : CLI.decimal(row.score), CLI.label(row.node),
                row.node.contextType.rawValue, CLI.shortened(row.node.summary, to: 80),
            ]
            if let arms {
                cells.insert(contentsOf: RecallArm.allCases.map { arms[index][$0].map { String($0.rank) } ?? "-" }, at: 1)
            }
            table.rows.append(cells)
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
