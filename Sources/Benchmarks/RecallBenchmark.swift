import Foundation
import Logging
import MemoryGraph
import Repositories

/// `memgraph bench recall`: how much of the evidence each retrieval method finds, on a dataset of
/// conversations with labelled questions (`bench/recall/dev.json` is the development set).
///
/// Each conversation is imported as a user of its own and embedded; then every question is asked
/// of SEARCH, of each RECALL arm alone, of the fusion without the graph, and of RECALL, and scored
/// on the keys returned: recall@1, @5 and @10 (the share of a question's evidence keys in its top
/// k, averaged), MRR and nDCG@10 (binary relevance). RECALL's latency is timed with the question
/// embedded, as an agent would call it.
public struct RecallBenchmark: Sendable {
    /// The dataset's shape: `{"conversations": [{"id", "nodes", "relationships", "questions":
    /// [{"question", "evidence": [keys], "category"}]}]}`; nodes and relationships as in a fixture.
    public struct Conversation: Sendable {
        public var id: String
        public var graph: FixtureSet
        public var questions: [Question]
    }

    public struct Question: Sendable {
        public var text: String
        public var evidence: Set<String>
        public var category: String
    }

    public var conversations: [Conversation]
    /// Also try a grid of fusion constants and report the best (for choosing ``RecallTuning/standard``).
    public var sweep: Bool
    /// Keep the benchmark users' data.
    public var keep: Bool

    public init(conversations: [Conversation], sweep: Bool = false, keep: Bool = false) {
        self.conversations = conversations
        self.sweep = sweep
        self.keep = keep
    }

    /// The methods compared, by name, each a RECALL tuning (nil: SEARCH).
    static func methods() -> [(name: String, tuning: RecallTuning?)] {
        let standard = RecallTuning.standard
        var coverDensity = standard.only([.lexical])
        coverDensity.lexicalRanking = .coverDensity
        return [
            ("search", nil),
            ("vector", standard.only([.vector])),
            ("lexical", standard.only([.lexical])),
            ("lexical_cover_density", coverDensity),
            ("name", standard.only([.name])),
            ("fusion_without_graph", standard.only([.vector, .lexical, .name])),
            ("recall", standard),
        ]
    }

    /// Runs the benchmark and returns its report; `progress` gets the conversations imported and
    /// embedded, then the questions asked (of every method, then timed), then the sweep's tunings.
    /// - Throws: `RepositoriesError` (`.conflict` when the embedding queue is not empty); what the store throws.
    public func run(
        database: Database, embedder: any Embedder, logger: Logger, note: (String) -> Void = { _ in },
        progress: @escaping BenchmarkProgress = { _, _, _ in }
    ) async throws -> JSONValue {
        let store = MemoryStore(database: database, embedder: embedder)
        let run = UUID().uuidString.lowercased().prefix(8)
        var users: [UserID] = []
        let measured: Result<JSONValue, any Error>
        do {
            var asked: [(user: UserID, question: Question, vector: [Float])] = []
            for (index, conversation) in conversations.enumerated() {
                let user = try UserID("bench-recall-\(run)-\(conversation.id)")
                users.append(user)
                progress("importing and embedding conversations", index, conversations.count)
                try await Self.importAndEmbed(conversation.graph, for: user, store: store, embedder: embedder, logger: logger)
                let vectors = try await embedder.embed(conversation.questions.map(\.text))
                asked += zip(conversation.questions, vectors).map { (user, $0, $1) }
            }
            progress("importing and embedding conversations", conversations.count, conversations.count)
            // Every method asks every question, then RECALL is timed on each.
            let questions = asked.count * (Self.methods().count + 1)
            progress("asking questions", 0, questions)
            var report: [String: JSONValue] = [
                "conversations": .number(Double(conversations.count)),
                "nodes": .number(Double(conversations.reduce(0) { $0 + $1.graph.nodes.count })),
                "questions": .number(Double(asked.count)),
            ]
            var methods: [String: JSONValue] = [:]
            var byCategory: [String: JSONValue] = [:]
            for (index, (name, tuning)) in Self.methods().enumerated() {
                let scores = try await Self.scores(store, asked, tuning: tuning)
                progress("asking questions", asked.count * (index + 1), questions)
                methods[name] = RankScores.summary(scores)
                if name == "search" || name == "recall" {
                    let categories = Dictionary(grouping: zip(asked, scores), by: { $0.0.question.category })
                    byCategory[name] = .object(categories.mapValues { RankScores.summary($0.map(\.1)) })
                }
            }
            report["methods"] = .object(methods)
            report["by_category"] = .object(byCategory)
            // RECALL as an agent calls it: the question embedded inside the timing.
            let clock = ContinuousClock()
            var samples: [Duration] = []
            for (index, item) in asked.enumerated() {
                let start = clock.now
                _ = try await store.recall(item.user, RecallQuery(text: item.question.text))
                samples.append(clock.now - start)
                progress("asking questions", asked.count * Self.methods().count + index + 1, questions)
            }
            let latency = LatencySummary(samples)
            report["recall_with_query_embedding"] = [
                "p50_ms": .number(latency.p50), "p95_ms": .number(latency.p95), "p99_ms": .number(latency.p99),
                "count": .number(Double(latency.count)),
            ]
            if sweep { report["sweep"] = try await Self.sweep(store, asked) { progress("sweeping fusion constants", $0, $1) } }
            measured = .success(.object(report))
        } catch {
            measured = .failure(error)
        }
        if !keep { try await StoreBenchmark.remove(users, from: store, after: measured, note: note) }
        return try measured.get()
    }

    /// How one method (a RECALL tuning; nil: SEARCH) ranks each question's evidence.
    static func scores(
        _ store: MemoryStore, _ asked: [(user: UserID, question: Question, vector: [Float])], tuning: RecallTuning?
    ) async throws -> [RankScores] {
        var scores: [RankScores] = []
        for item in asked {
            let keys = try await keys(store, item.user, item.question.text, item.vector, tuning: tuning)
            scores.append(RankScores(keys: keys, evidence: item.question.evidence))
        }
        return scores
    }

    /// The keys of the top 10 of one method.
    static func keys(_ store: MemoryStore, _ user: UserID, _ text: String, _ vector: [Float], tuning: RecallTuning?) async throws -> [String] {
        if let tuning {
            return try await store.recall(user, RecallQuery(text: text), vector: vector, tuning: tuning).compactMap(\.node.key)
        }
        return try await store.search(user, vector: vector, limit: 10).compactMap(\.node.key)
    }

    /// Imports `graph` for `user`, then embeds what it queued with an in-process pipeline.
    static func importAndEmbed(_ graph: FixtureSet, for user: UserID, store: MemoryStore, embedder: any Embedder, logger: Logger) async throws {
        let summary = try await store.importGraph(user, graph)
        guard summary.embeddingsQueued > 0 else { return }
        let pipeline = EmbeddingPipeline(
            source: PostgresEmbeddingJobSource(database: store.database, onlyUser: user), embedder: embedder,
            configuration: .init(sweepInterval: .milliseconds(200), name: "bench-recall"), logger: logger)
        try await pipeline.runUntilDrained {
            let counts = try await store.jobCounts(user)
            return (counts["pending"] ?? 0) + (counts["processing"] ?? 0) == 0
        }
    }

    /// A grid of fusion constants around ``RecallTuning/standard``, best recall@10 first (the top 10).
    /// `tried` gets the tunings tried so far, of how many.
    static func sweep(
        _ store: MemoryStore, _ asked: [(user: UserID, question: Question, vector: [Float])], tried: (Int, Int) -> Void = { _, _ in }
    ) async throws -> JSONValue {
        var results: [(tuning: RecallTuning, summary: JSONValue, at10: Double, at5: Double)] = []
        let (ks, lexicals, graphs) = ([5.0, 10, 20], [0.5, 0.8, 1.0, 1.3], [0.0, 0.3, 0.5])
        let tunings = ks.count * lexicals.count * graphs.reduce(0) { $0 + ($1 == 0 ? 1 : 2) }
        tried(0, tunings)
        for k in ks {
            for lexical in lexicals {
                for graph in graphs {
                    for seeds in graph == 0 ? [0] : [5, 10] {
                        let tuning = RecallTuning(
                            weights: [.vector: 1, .lexical: lexical, .name: 1, .graph: graph], rrfK: k, graphSeeds: seeds)
                        let scores = try await scores(store, asked, tuning: tuning)
                        let at10 = scores.reduce(0) { $0 + $1.recall(at: 10) } / Double(max(1, scores.count))
                        let at5 = scores.reduce(0) { $0 + $1.recall(at: 5) } / Double(max(1, scores.count))
                        results.append((tuning, RankScores.summary(scores), at10, at5))
                        tried(results.count, tunings)
                    }
                }
            }
        }
        return .array(results.sorted { ($0.at10, $0.at5) > ($1.at10, $1.at5) }.prefix(10).map { result in
            [
                "rrf_k": .number(result.tuning.rrfK), "lexical_weight": .number(result.tuning.weights[.lexical] ?? 0),
                "graph_weight": .number(result.tuning.weights[.graph] ?? 0),
                "graph_seeds": .number(Double(result.tuning.graphSeeds)), "scores": result.summary,
            ]
        })
    }
}

/// How one ranked list scores against a question's evidence keys.
struct RankScores {
    var keys: [String]
    var evidence: Set<String>

    /// The share of the evidence among the first `k` keys.
    func recall(at k: Int) -> Double {
        guard !evidence.isEmpty else { return 0 }
        return Double(Set(keys.prefix(k)).intersection(evidence).count) / Double(evidence.count)
    }

    /// 1 / the rank of the first evidence key in the top 10, or 0.
    var reciprocalRank: Double {
        keys.prefix(10).firstIndex(where: evidence.contains).map { 1 / Double($0 + 1) } ?? 0
    }

    /// nDCG@10 with binary relevance.
    var ndcgAt10: Double {
        let gains = keys.prefix(10).enumerated().reduce(0.0) { total, item in
            total + (evidence.contains(item.element) ? 1 / log2(Double(item.offset + 2)) : 0)
        }
        let ideal = (0..<min(10, evidence.count)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
        return ideal > 0 ? gains / ideal : 0
    }

    /// The means over `scores`: recall@1, @5, @10, MRR, nDCG@10 and the count.
    static func summary(_ scores: [RankScores]) -> JSONValue {
        let count = Double(max(1, scores.count))
        func mean(_ value: (RankScores) -> Double) -> JSONValue { .number(scores.reduce(0) { $0 + value($1) } / count) }
        return [
            "recall_at_1": mean { $0.recall(at: 1) }, "recall_at_5": mean { $0.recall(at: 5) },
            "recall_at_10": mean { $0.recall(at: 10) }, "mrr": mean(\.reciprocalRank), "ndcg_at_10": mean(\.ndcgAt10),
            "questions": .number(Double(scores.count)),
        ]
    }
}
