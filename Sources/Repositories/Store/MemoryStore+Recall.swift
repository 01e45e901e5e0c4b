import Foundation
import MemoryGraph
import PostgresNIO

/// One of RECALL's sources of evidence.
public enum RecallArm: String, Sendable, CaseIterable, Codable {
    /// Cosine similarity of MiniLM embeddings, exact or HNSW (SEARCH's candidates).
    case vector
    /// Full-text search over the node's summary and content (BM25 over the user's documents).
    case lexical
    /// LOOKUP keys that the text names ("Sarah Chen" → `sarah-chen`).
    case name
    /// One hop along relationships from the best nodes of the other arms.
    case graph
}

/// How RECALL fuses its arms: weighted reciprocal-rank fusion, sum of weight / (k + rank).
///
/// The defaults were chosen on the development set `bench/recall/dev.json` with
/// `memgraph bench recall --sweep`; docs/schema.md (RECALL) has the figures behind them.
public struct RecallTuning: Sendable, Equatable {
    /// How the lexical arm ranks the documents that share words with the question.
    public enum LexicalRanking: String, Sendable, Equatable, CaseIterable {
        /// BM25 with binary term frequency and no length normalisation (b = 0): the sum of the idf,
        /// from the user's own document frequencies, of the question's words a node holds.
        case bm25
        /// `ts_rank_cd` (cover density) over an OR query of the question's lexemes.
        case coverDensity = "cover_density"
    }

    /// Each arm's weight; 0 leaves the arm out.
    public var weights: [RecallArm: Double]
    /// k of reciprocal-rank fusion: smaller favours the first ranks of each arm more.
    public var rrfK: Double
    /// Candidates each arm contributes (nil: 4 × LIMIT, at least 40).
    public var candidates: Int?
    /// The best fused nodes whose neighbours the graph arm brings in.
    public var graphSeeds: Int
    public var lexicalRanking: LexicalRanking
    /// A word in this many of the user's documents or more is too common for the lexical arm to rank by.
    public var commonWordDocuments: Int
    /// The lexical arm keeps only documents scoring at least this share of its best (BM25 only).
    public var lexicalFloor: Double

    public init(
        weights: [RecallArm: Double], rrfK: Double, candidates: Int? = nil, graphSeeds: Int,
        lexicalRanking: LexicalRanking = .bm25, commonWordDocuments: Int = 500, lexicalFloor: Double = 0.5
    ) {
        self.weights = weights
        self.rrfK = rrfK
        self.candidates = candidates
        self.graphSeeds = graphSeeds
        self.lexicalRanking = lexicalRanking
        self.commonWordDocuments = commonWordDocuments
        self.lexicalFloor = lexicalFloor
    }

    /// The tuning RECALL uses unless told otherwise: k 10; vector 1, lexical 0.8, name 0.3, graph
    /// 0.5 from the 10 best seeds. On `bench/recall/dev.json` it gives recall@10 0.83 and @5 0.74
    /// (SEARCH 0.795 and 0.696); the sweep's best there put the lexical arm at 0.5, but the dev set
    /// favours the vector arm more than conversational data at large does, so the default leans
    /// towards words. The name arm finds nothing in that set; on `bench/recall/fixtures.json` (the
    /// sample fixtures, 25 questions) its former weight of 1 put the entity a question names above
    /// the answer (recall@1 0.56, SEARCH 0.68); at 0.3, 0.76-0.80 (docs/schema.md, RECALL).
    public static let standard = RecallTuning(
        weights: [.vector: 1.0, .lexical: 0.8, .name: 0.3, .graph: 0.5], rrfK: 10, graphSeeds: 10)

    /// This tuning with only `arms` weighted (as in ``standard``): to measure arms alone.
    public func only(_ arms: Set<RecallArm>) -> RecallTuning {
        var copy = self
        copy.weights = weights.filter { arms.contains($0.key) }
        return copy
    }
}

/// A node RECALL returned: its fused score, and where each arm placed it.
public struct RecallHit: Sendable, Equatable {
    /// An arm's rank (1 = its best) and its own score for the node.
    public struct Evidence: Sendable, Equatable {
        public var rank: Int
        public var score: Double
    }

    public var node: MemoryNode
    /// The fused score, sum of weight / (k + rank) over the arms that found the node.
    public var score: Double
    /// The arms that found the node.
    public var arms: [RecallArm: Evidence]
}

extension MemoryStore {
    /// RECALL: the best nodes for `query` by every kind of evidence memgraph has (``RecallArm``),
    /// fused. Embeds the text with the store's embedder, then one round trip to
    /// `memory.recall_nodes`, which sets the user for row-level security. Filters (IN, SINCE, UNTIL)
    /// apply inside every arm before its candidates are cut; MIN applies to the vector arm.
    /// - Throws: `RepositoriesError` (`.invalidInput` without an embedder, or for SINCE after UNTIL).
    public func recall(_ user: UserID, _ query: RecallQuery, tuning: RecallTuning = .standard) async throws -> [RecallHit] {
        let (vector, model) = try await embedQuery(user, query.text, operation: "recall")
        return try await recall(user, query, vector: vector, model: model, tuning: tuning)
    }

    /// RECALL with the query's vector already computed (by `model`).
    /// - Throws: `RepositoriesError` (`.invalidInput` for a vector of the wrong size, an unknown model, or SINCE after UNTIL).
    public func recall(
        _ user: UserID, _ query: RecallQuery, vector: [Float], model: String = EmbeddingModels.miniLML6v2.name,
        tuning: RecallTuning = .standard
    ) async throws -> [RecallHit] {
        let model = try EmbeddingModels.model(named: model, for: vector, operation: "recall", user: user)
        if let since = query.since, let until = query.until, since >= until {
            throw RepositoriesError(.invalidInput, "SINCE must be before UNTIL", operation: "recall", user: user.rawValue)
        }
        let statement = Self.recallStatement(
            user: user, model: model, vector: PGVector(vector, oid: database.vectorTypes.vector), query: query, tuning: tuning)
        return try await scoredNodes(operation: "recall", user: user, node: \.node) { connection in
            var hits: [RecallHit] = []
            for try await hit in try await connection.execute(statement, logger: database.logger) { hits.append(hit) }
            return hits
        }
    }

    /// RECALL's prepared statement for these arguments (``RecallStatement``).
    static func recallStatement(
        user: UserID, model: EmbeddingModels.Model, vector: PGVector, query: RecallQuery, tuning: RecallTuning
    ) -> RecallStatement {
        let limit = min(max(query.limit, 0), RemQuery.limitRange.upperBound)
        let breadth = Self.searchBreadth(limit: limit)
        let candidates = min(max(tuning.candidates ?? breadth.candidates, 1), 4_000)
        let weights = RecallArm.allCases.map { tuning.weights[$0] ?? 0 }
        let types = query.contextTypes.isEmpty ? nil : query.contextTypes.map(\.rawValue).sorted()
        var bindings = PostgresBindings(capacity: 18)
        bindings.append(user.rawValue)
        bindings.append(model.name)
        bindings.append(vector)
        bindings.append(query.text)
        bindings.append(types)
        bindings.append(query.since)
        bindings.append(query.until)
        bindings.append(query.minSimilarity)
        bindings.append(limit)
        bindings.append(candidates)
        bindings.append(breadth.efSearch)
        bindings.append(Self.exactSearchLimit)
        bindings.append(weights)
        bindings.append(tuning.rrfK)
        bindings.append(max(0, tuning.graphSeeds))
        bindings.append(tuning.lexicalRanking.rawValue)
        bindings.append(max(1, tuning.commonWordDocuments))
        bindings.append(min(max(tuning.lexicalFloor, 0), 1))
        return RecallStatement(bindings: bindings)
    }
}

/// RECALL's call of `memory.recall_nodes`, prepared once per connection (as SEARCH's): Postgres
/// parses and plans the call of 18 arguments once, and the client decodes its row description once.
/// The result columns are named, so a migration that adds a column to the function's result does
/// not change the prepared statement's.
struct RecallStatement: PostgresPreparedStatement {
    static let name = "memgraph_recall_nodes"
    static let sql = """
        SELECT \(NodeRecord.selectList), score, \(RecallArm.allCases.map { "\($0.rawValue)_rank, \($0.rawValue)_score" }.joined(separator: ", "))
        FROM memory.recall_nodes(
            $1, $2, $3, $4, $5::text[], $6::timestamptz, $7::timestamptz, $8::float8, $9::int4, $10::int4, $11::int4, $12::int4,
            $13::float8[], $14::float8, $15::int4, $16, $17::int4, $18::float8)
        """
    typealias Row = RecallHit

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }

    /// The node's columns, then the fused score, then each arm's rank and score.
    func decodeRow(_ row: PostgresRow) throws -> RecallHit {
        let node = try NodeRecord(row: row).node
        let columns = PostgresRandomAccessRow(row)
        let score = NodeRecord.selectedColumns.count
        var arms: [RecallArm: RecallHit.Evidence] = [:]
        for (index, arm) in RecallArm.allCases.enumerated() {
            if let rank = try columns[score + 1 + 2 * index].decode(Int?.self, context: .default),
                let value = try columns[score + 2 + 2 * index].decode(Double?.self, context: .default)
            {
                arms[arm] = .init(rank: rank, score: value)
            }
        }
        return RecallHit(node: node, score: try columns[score].decode(Double.self, context: .default), arms: arms)
    }
}
