import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
    /// FUZZY: nodes whose key or summary is similar to `text` (pg_trgm similarity), best first.
    /// A node's score is the larger of its key's and its summary's similarity; nodes with equal
    /// scores come closest spelling first (``fuzzyNodes(_:text:limit:)``).
    ///
    /// The candidates come from `memory.fuzzy_candidates`, which reads the transaction's user only:
    /// it runs as the schema owner so that the per-user trigram indexes can be used (under
    /// row-level security pg_trgm's `%`, not being leakproof, cannot drive an index scan). It
    /// scores keys first; once `limit` nodes match by key, summaries are searched only above the
    /// `limit`-th key score, the least a summary needs to reach the top (schema 6).
    /// - Throws: `RepositoriesError` (`.invalidInput` for a threshold outside 0…1).
    public func fuzzy(_ user: UserID, text: String, threshold: Double = 0.3, limit: Int = 10) async throws -> [ScoredNode] {
        guard RemQuery.fuzzyThresholdRange.contains(threshold) else {
            throw RepositoriesError(
                .invalidInput, "threshold must be from \(RemQuery.fuzzyThresholdRange.lowerBound) to 1 (lower matches nearly everything)",
                operation: "fuzzy", user: user.rawValue)
        }
        guard text.count <= RemQuery.maximumFuzzyTextCharacters else {
            throw RepositoriesError(
                .invalidInput, "FUZZY text is at most \(RemQuery.maximumFuzzyTextCharacters) characters; SEARCH or RECALL take longer text",
                operation: "fuzzy", user: user.rawValue)
        }
        let limit = RemQuery.clampedLimit(limit)
        let query = Self.fuzzyQuery(user: user, text: text, threshold: threshold, limit: limit)
        return try await scoredNodes(operation: "fuzzy", user: user, node: \.node) { connection in
            try await Self.fuzzyNodes(try await connection.query(query, logger: database.logger), text: text, limit: limit)
        }
    }

    private static let fuzzyScoreColumn = NodeRecord.selectedColumns.count
    private static let fuzzyKeyColumn = NodeRecord.selectedColumns.firstIndex(of: "node_key")!
    private static let fuzzySummaryColumn = NodeRecord.selectedColumns.firstIndex(of: "summary")!

    /// The best `limit` of FUZZY's rows: by score, and within a tie by the fewest edits
    /// (``EditDistance/optimalStringAlignment(_:_:)``) between the text and the node's key,
    /// derived key or summary, each as a key ("Tomas Fsei" → "tomas-fsei"). Trigram similarity
    /// ties often between near spellings (tomas-fesi, tomas-feka, tomas-feri: 0.47 each), and the
    /// swap of two letters is one edit where unrelated letters are two or more (schema 9). Equal
    /// distances keep the statement's order (key, then id). Rows are ranked from their key,
    /// summary, score and derived key alone; only the `limit` kept are decoded in full.
    static func fuzzyNodes(_ rows: PostgresRowSequence, text: String, limit: Int) async throws -> [ScoredNode] {
        let target = NodeKey.normalize(text) ?? text.lowercased()
        var ranked: [(place: Int, score: Double, edits: Int, row: PostgresRow)] = []
        for try await row in rows {
            let columns = PostgresRandomAccessRow(row)
            // The node's columns (NodeRecord.selectedColumns), then the score, then the derived key.
            let score = try columns[Self.fuzzyScoreColumn].decode(Double.self, context: .default)
            let names = [
                try columns[Self.fuzzyKeyColumn].decode(String?.self, context: .default),
                try columns[Self.fuzzyScoreColumn + 1].decode(String?.self, context: .default),
                try columns[Self.fuzzySummaryColumn].decode(String?.self, context: .default).flatMap(NodeKey.normalize),
            ].compactMap { $0 }
            let edits = names.map { EditDistance.optimalStringAlignment(target, $0) }.min() ?? Int.max
            ranked.append((ranked.count, score, edits, row))
        }
        ranked.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if a.edits != b.edits { return a.edits < b.edits }
            return a.place < b.place
        }
        return try ranked.prefix(max(0, limit)).map { ScoredNode(node: try NodeRecord(row: $0.row).node, score: $0.score) }
    }

    /// FUZZY's statement: `memory.fuzzy_nodes`, which sets the user and returns the node columns
    /// and the score, in one round trip.
    static func fuzzyQuery(user: UserID, text: String, threshold: Double, limit: Int) -> PostgresQuery {
        "SELECT * FROM memory.fuzzy_nodes(\(user.rawValue), \(text), \(Float(threshold))::real, \(max(0, limit))::int4)"
    }
}
