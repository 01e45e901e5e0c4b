import Foundation
import MemoryGraph
import Repositories

/// The answer to one REM query: `memgraph query`, `memgraph shell`, the HTTP query endpoint and MCP.
public struct QueryResult: Sendable {
    public var query: RemQuery
    /// Best first. The score is the similarity for FUZZY and SEARCH, 1 for LOOKUP, the depth for TRAVERSE.
    public var rows: [ScoredNode]
    /// TRAVERSE only: the edges walked.
    public var edges: [Relationship]?
    /// TRAVERSE only: the walk stopped at its node cap (``Subgraph/defaultNodeCap``).
    public var truncated = false
    /// RECALL only: where each arm placed each row (`--explain`).
    public var evidence: [[RecallArm: RecallHit.Evidence]]?
    /// SEARCH and RECALL that found nothing: the user's fields still waiting to be embedded (0: none
    /// or not counted). Nothing is near in meaning until they are.
    public var pendingEmbeddings = 0

    public init(
        query: RemQuery, rows: [ScoredNode], edges: [Relationship]? = nil, evidence: [[RecallArm: RecallHit.Evidence]]? = nil
    ) {
        self.query = query
        self.rows = rows
        self.edges = edges
        self.evidence = evidence
    }

    public var isTraverse: Bool {
        if case .traverse = query { return true }
        return false
    }

    /// A sentence for stderr when a TRAVERSE stopped at its cap.
    public var truncatedNote: String? {
        guard truncated else { return nil }
        return "truncated: the walk stopped at \(rows.count) nodes (the cap is \(Subgraph.defaultNodeCap)); the nearest are shown, narrow it with a smaller DEPTH or a TYPE"
    }

    /// A sentence for stderr when nothing was found, naming what was looked for.
    public var emptyNote: String? {
        guard rows.isEmpty else { return nil }
        switch query {
        case .lookup(let key), .traverse(let key, _, _, _):
            return "no node has the key \(JSONValue.string(key).jsonText())"
        case .fuzzy(_, let threshold, _):
            return "no node is similar enough (THRESHOLD \(threshold)); try a lower THRESHOLD"
        case .search(_, _, let minSimilarity, _):
            return "no node is near enough in meaning (MIN \(minSimilarity))" + pendingNote
        case .recall:
            return "no node matches in meaning, words, names or the graph" + pendingNote
        }
    }

    private var pendingNote: String {
        guard pendingEmbeddings > 0 else { return "" }
        return "; but \(pendingEmbeddings) field\(pendingEmbeddings == 1 ? " is" : "s are") waiting to be embedded: run memgraph worker (or memgraph serve), or import with --wait"
    }

    /// `{"query": canonical REM, "results": [...], "edges": [...] (TRAVERSE)}`. Each result is the
    /// whole node, as `node get --json` prints it, with its `score`, so that a caller needs no second
    /// call to read what it found. With `explain`, each
    /// RECALL result also has `"arms": {"vector": {"rank", "score"}, …}` for the arms that found it.
    public func json(explain: Bool = false) -> JSONValue {
        var results = rows.map { Documents.fullJSON($0.node, score: $0.score) }
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
        if pendingEmbeddings > 0 { document["pending_embeddings"] = .number(Double(pendingEmbeddings)) }
        if isTraverse { document["truncated"] = .bool(truncated) }
        if let edges {
            let lookupKeys = Dictionary(
                rows.compactMap { row in row.node.id.flatMap { id in row.node.lookupKey.map { (id, $0) } } },
                uniquingKeysWith: { first, _ in first })
            document["edges"] = .array(edges.map { Documents.json($0, keys: lookupKeys) })
        }
        return .object(document)
    }
}
