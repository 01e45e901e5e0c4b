import Foundation
import Logging
import MemoryGraph
import Repositories

/// `memgraph bench store`: the batch import rate, and LOOKUP, FUZZY and SEARCH latency with
/// SEARCH's recall@10, for a fresh user among noise users (the command's help has the method).
///
/// ```swift
/// let report = try await StoreBenchmark(nodes: 20_000).run(database: database, loadEmbedder: { try MiniLMEmbedder() }, logger: logger)
/// ```
public struct StoreBenchmark: Sendable {
    /// Nodes imported for the measured user.
    public var nodes: Int
    /// Other users, sharing ``noiseNodes`` nodes between them, imported first.
    public var noiseUsers: Int
    /// Nodes of the other users in all (nil: as many as ``nodes``).
    public var noiseNodes: Int?
    /// Queries of each kind to time.
    public var queries: Int
    /// Keep the benchmark users' data afterwards.
    public var keep: Bool
    /// Time the import alone: no vectors stored, no queries.
    public var importOnly: Bool

    public init(nodes: Int = 100_000, noiseUsers: Int = 4, noiseNodes: Int? = nil, queries: Int = 300, keep: Bool = false, importOnly: Bool = false) {
        self.nodes = nodes
        self.noiseUsers = noiseUsers
        self.noiseNodes = noiseNodes
        self.queries = queries
        self.keep = keep
        self.importOnly = importOnly
    }

    /// Runs the benchmark on `database` and returns its report.
    /// - Parameters:
    ///   - loadEmbedder: loads the model; its time is the report's `model_load_seconds`.
    ///   - note: a message for the user (a failure to delete the benchmark users after a failed run).
    ///   - progress: each phase's steps (nodes stored, vectors embedded, queries run).
    /// - Throws: what the store, the embedder or the index maintenance throws.
    public func run(
        database: Database, loadEmbedder: () throws -> any Embedder, logger: Logger, note: (String) -> Void = { _ in },
        progress: @escaping BenchmarkProgress = { _, _, _ in }
    ) async throws -> JSONValue {
        let count = nodes, noiseCount = noiseUsers, noiseTotal = noiseNodes ?? nodes, queryCount = queries
        let clock = ContinuousClock()
        progress("loading the model", 0, nil)
        let loadStart = clock.now
        let embedder = try loadEmbedder()
        _ = try await embedder.embed(["warm up"])
        let modelLoad = clock.now - loadStart
        let space = importOnly ? nil : try await VectorSpace.make(embedder)
        let store = MemoryStore(database: database, embedder: embedder)
        let run = UUID().uuidString.lowercased().prefix(8)
        let user = try UserID("bench-\(run)")
        let noise = try (0..<noiseCount).map { try UserID("bench-\(run)-noise-\($0)") }
        let share = noiseCount == 0 ? 0 : noiseTotal / noiseCount
        let measured: Result<JSONValue, any Error>
        do {
            // Noise first: the measured user's rows land in indexes that already hold others'.
            for (index, other) in noise.enumerated() {
                progress("noise users' nodes", share * index, share * noiseCount)
                let ids = try await store.remember(other, (0..<share).map(Self.node)).map(\.nodeID)
                if let space { try await Self.storeVectors(store, other, ids: ids, space: space, seedOffset: 10_000_000 * (index + 1)) }
                progress("noise users' nodes", share * (index + 1), share * noiseCount)
            }
            let batch = (0..<count).map(Self.node)  // generated outside the timing
            progress("importing the measured user's nodes", 0, count)
            let start = clock.now
            let ids = try await store.remember(user, batch).map(\.nodeID)
            let importTime = clock.now - start
            progress("importing the measured user's nodes", count, count)
            let importFigures: [String: JSONValue] = [
                "nodes": .number(Double(count)),
                "noise_users": .number(Double(noiseCount)),
                "noise_nodes": .number(Double(share * noiseCount)),
                "import_seconds": .number(importTime.milliseconds / 1000),
                "import_nodes_per_second": .number(Double(count) / (importTime.milliseconds / 1000)),
            ]
            if !importOnly {
                progress("embedding and storing summaries", 0, count)
                let embedStart = clock.now
                let vectors = try await Self.storeSummaryEmbeddings(store, user, ids: ids, nodes: batch, embedder: embedder) {
                    progress("embedding and storing summaries", $0, count)
                }
                let embeddingTime = clock.now - embedStart
                // The queries: random contacts, each asked about in the six ways.
                var generator = SplitMix64(seed: 42)
                let targets = (0..<queryCount).map { _ in Int(generator.next() % UInt64(count / 2)) * 2 }
                // The questions' vectors, for SEARCH's recall and the ef_search sweep: the timed
                // call is the store's own SEARCH by text, which does not hand its vector back.
                let questions = try await embedder.embed(targets.map { Self.question(Self.contactName($0)) })
                /// The exact top 10 of `query` among the user's vectors, by scanning them.
                func exactTop10(_ query: [Float]) -> Set<UUID> {
                    Set(zip(ids, vectors).map { ($0, Self.dot($1, query)) }.sorted { $0.1 > $1.1 }.prefix(10).map(\.0))
                }
                /// The share of `exact` among `hits`.
                func recallAt10(_ hits: [ScoredNode], _ exact: Set<UUID>) -> Double {
                    Double(Set(hits.compactMap(\.node.id)).intersection(exact).count) / 10
                }
                let questionExact = questions.map(exactTop10)
                // The graph as the inserts grew it, then the worker's maintenance (a one-pass
                // rebuild once the index has doubled since its last build, as it has here).
                var insertBuilt = 0.0
                for (q, (query, exact)) in zip(questions, questionExact).enumerated() {
                    insertBuilt += recallAt10(try await store.search(user, vector: query, limit: 10), exact)
                    progress("recall before the rebuild", q + 1, queryCount)
                }
                let maintenance = try await store.maintainSearchIndex { progress("reindexing", $0.vectorsDone, $0.vectors) }
                var indexFigures: [String: JSONValue] = [
                    "insert_built_question_recall_at_10": .number(insertBuilt / Double(queryCount)),
                    "rebuilt": false, "rebuild_seconds": .null,
                ]
                switch maintenance {
                case .rebuilt(let state, let seconds, _):
                    indexFigures.merge(["rebuilt": true, "rebuild_seconds": .number(seconds), "vectors": .number(Double(state.vectors))]) { $1 }
                case .notNeeded(let state):
                    indexFigures["vectors"] = .number(Double(state.vectors))
                case .busy:
                    throw RepositoriesError(.query, "another process is rebuilding the search index; run the bench when it is done", operation: "bench")
                }

                // Every timed call, for the progress display: round trips, every kind twice, the sweep.
                let calls = queryCount * (1 + 2 * QueryKind.allCases.count + Self.efSearchSweep.count + 4)
                var called = 0
                func timed() {
                    called += 1
                    progress("timing queries", called, calls)
                }
                // The floor under every call: one round trip of SELECT 1 on a pooled connection.
                var roundTrips: [Duration] = []
                for _ in 0..<queryCount {
                    timed()
                    let t = clock.now
                    try await store.database.withConnection(operation: "bench") { connection in
                        _ = try await connection.query("SELECT 1", logger: logger).collect()
                    }
                    roundTrips.append(clock.now - t)
                }
                // SEARCH by vector: a paraphrase of the contact's summary, embedded before the timing.
                let paraphrases = try await embedder.embed(targets.map(Self.paraphrase))
                var fuzzyHits = 0, fuzzyFirsts = 0, recallHits = 0
                // The first pass's SEARCH results, scored after the timing: the exact scan behind
                // recall reads every one of the user's vectors (150 MB for 100,000), and between
                // two timed calls it would leave the next one cold caches that no caller of
                // memgraph leaves (the "mixed" pass is the measure of cooled caches).
                var questionHits = [[ScoredNode]](repeating: [], count: queryCount)
                var paraphraseHits = [[ScoredNode]](repeating: [], count: queryCount)
                /// Runs query `q` of one kind; returns its time. Hits and recall are counted on the first pass.
                func run(_ kind: QueryKind, _ q: Int, firstPass: Bool) async throws -> Duration {
                    let i = targets[q]
                    let name = Self.contactName(i), key = NodeKey.normalize(name) ?? name
                    let t = clock.now
                    switch kind {
                    case .lookup:
                        let found = try await store.lookup(user, key: key)
                        let elapsed = clock.now - t
                        guard found?.id == ids[i] else {
                            throw RepositoriesError(.query, "LOOKUP of \(key) returned the wrong node", operation: "bench")
                        }
                        return elapsed
                    case .fuzzy:
                        let similar = try await store.fuzzy(user, text: Self.typo(name, seed: q))
                        let elapsed = clock.now - t
                        if firstPass, let place = similar.firstIndex(where: { $0.node.id == ids[i] }) {
                            fuzzyHits += 1
                            if place == 0 { fuzzyFirsts += 1 }
                        }
                        return elapsed
                    case .search:
                        let hits = try await store.search(user, text: Self.question(name), limit: 10)
                        let elapsed = clock.now - t
                        if firstPass { questionHits[q] = hits }
                        return elapsed
                    case .embedQuery:
                        _ = try await embedder.embed([Self.question(name)])
                        return clock.now - t
                    case .recall:
                        let hits = try await store.recall(user, RecallQuery(text: Self.question(name)))
                        let elapsed = clock.now - t
                        if firstPass, hits.contains(where: { $0.node.id == ids[i] }) { recallHits += 1 }
                        return elapsed
                    case .questionVectorSearch:
                        _ = try await store.search(user, vector: questions[q], limit: 10)
                        return clock.now - t
                    case .questionVectorSearchAfterEmbedding:
                        // As SEARCH runs its vector part: right after an embedding (of another
                        // sentence, before the timing), which streams the model's weights through
                        // the caches the search then needs.
                        _ = try await embedder.embed([Self.paraphrase(i)])
                        let t = clock.now
                        _ = try await store.search(user, vector: questions[q], limit: 10)
                        return clock.now - t
                    case .vectorSearch:
                        let query = paraphrases[q]
                        let hits = try await store.search(user, vector: query, limit: 10)
                        let elapsed = clock.now - t
                        if firstPass { paraphraseHits[q] = hits }
                        return elapsed
                    }
                }
                // Each kind in a run of its own, as latencies are usually quoted; then the six
                // interleaved, as an agent's turn mixes them (each query then meets caches the
                // one before it has cooled: the "mixed" figures).
                var separate: [QueryKind: [Duration]] = [:], mixed: [QueryKind: [Duration]] = [:]
                for kind in QueryKind.allCases {
                    for q in 0..<queryCount {
                        timed()
                        separate[kind, default: []].append(try await run(kind, q, firstPass: true))
                    }
                }
                for q in 0..<queryCount {
                    for kind in QueryKind.allCases {
                        timed()
                        mixed[kind, default: []].append(try await run(kind, q, firstPass: false))
                    }
                }
                // What counting reads as accesses costs a read (issue 27, item 13): LOOKUP and
                // SEARCH by vector with counting on and off, alternating query by query, while the
                // database writes the counts in the background as it always does.
                var counted: [QueryKind: [Duration]] = [:], uncounted: [QueryKind: [Duration]] = [:]
                let accessLog = store.database.accessLog
                let configured = accessLog.isEnabled
                defer { accessLog.isEnabled = configured }
                for q in 0..<queryCount {
                    for kind in [QueryKind.lookup, .vectorSearch] {
                        for counting in (q % 2 == 0 ? [true, false] : [false, true]) {
                            timed()
                            accessLog.isEnabled = counting
                            let elapsed = try await run(kind, q, firstPass: false)
                            if counting { counted[kind, default: []].append(elapsed) } else { uncounted[kind, default: []].append(elapsed) }
                        }
                    }
                }
                accessLog.isEnabled = configured
                let recall = zip(paraphraseHits, paraphrases).reduce(0.0) { $0 + recallAt10($1.0, exactTop10($1.1)) }
                let questionRecall = zip(questionHits, questionExact).reduce(0.0) { $0 + recallAt10($1.0, $1.1) }
                func figures(_ samples: [Duration]) -> JSONValue {
                    let s = LatencySummary(samples)
                    return ["p50_ms": .number(s.p50), "p95_ms": .number(s.p95), "p99_ms": .number(s.p99), "count": .number(Double(s.count))]
                }
                // SEARCH's breadth against its recall: the questions' vectors searched at several
                // ef_search, the default's among them.
                var sweep: [JSONValue] = []
                for efSearch in Self.efSearchSweep {
                    var samples: [Duration] = [], results: [[ScoredNode]] = []
                    for query in questions {
                        timed()
                        let t = clock.now
                        let hits = try await store.search(user, vector: query, limit: 10, efSearch: efSearch)
                        samples.append(clock.now - t)
                        results.append(hits)
                    }
                    let found = zip(results, questionExact).reduce(0.0) { $0 + recallAt10($1.0, $1.1) }
                    let s = LatencySummary(samples)
                    sweep.append([
                        "ef_search": .number(Double(efSearch)), "question_recall_at_10": .number(found / Double(queryCount)),
                        "vector_only_p50_ms": .number(s.p50), "vector_only_p99_ms": .number(s.p99),
                    ])
                }
                measured = .success(.object(importFigures.merging([
                    "model_load_seconds": .number(modelLoad.milliseconds / 1000),
                    "summaries_embedded_and_stored_per_second": .number(Double(count) / (embeddingTime.milliseconds / 1000)),
                    "round_trip_select_1": figures(roundTrips),
                    "lookup": figures(separate[.lookup]!), "fuzzy": figures(separate[.fuzzy]!),
                    "fuzzy_hit_rate_at_10": .number(Double(fuzzyHits) / Double(queryCount)),
                    "fuzzy_hit_rate_at_1": .number(Double(fuzzyFirsts) / Double(queryCount)),
                    "search_with_query_embedding": figures(separate[.search]!),
                    "search_vector_only": figures(separate[.vectorSearch]!),
                    "search_query_embedding_alone": figures(separate[.embedQuery]!),
                    "search_question_vector_only": figures(separate[.questionVectorSearch]!),
                    "search_question_vector_after_an_embedding": figures(separate[.questionVectorSearchAfterEmbedding]!),
                    "recall_with_query_embedding": figures(separate[.recall]!),
                    "recall_hit_rate_at_10": .number(Double(recallHits) / Double(queryCount)),
                    "search_recall_at_10": .number(recall / Double(queryCount)),
                    "search_with_query_embedding_recall_at_10": .number(questionRecall / Double(queryCount)),
                    "search_ef_search_sweep": .array(sweep),
                    "search_default_ef_search": .number(Double(MemoryStore.searchBreadth(limit: 10).efSearch)),
                    "search_index": .object(indexFigures),
                    "access_counting": [
                        "lookup_counted": figures(counted[.lookup]!), "lookup_not_counted": figures(uncounted[.lookup]!),
                        "search_vector_only_counted": figures(counted[.vectorSearch]!),
                        "search_vector_only_not_counted": figures(uncounted[.vectorSearch]!),
                    ],
                    "mixed": [
                        "lookup": figures(mixed[.lookup]!), "fuzzy": figures(mixed[.fuzzy]!),
                        "search_with_query_embedding": figures(mixed[.search]!),
                        "search_vector_only": figures(mixed[.vectorSearch]!),
                        "search_query_embedding_alone": figures(mixed[.embedQuery]!),
                        "search_question_vector_only": figures(mixed[.questionVectorSearch]!),
                        "search_question_vector_after_an_embedding": figures(mixed[.questionVectorSearchAfterEmbedding]!),
                        "recall_with_query_embedding": figures(mixed[.recall]!),
                    ],
                ]) { $1 }))
            } else {
                measured = .success(.object(importFigures))
            }
        } catch {
            measured = .failure(error)
        }
        if !keep {
            progress("deleting the benchmark users", 0, nil)
            try await Self.remove([user] + noise, from: store, after: measured, note: note)
        }
        return try measured.get()
    }

    /// Deletes the benchmark's users. After a failed run, a failure to delete is reported on
    /// stderr and the run's own error is the one thrown.
    static func remove(
        _ users: [UserID], from store: MemoryStore, after measured: Result<JSONValue, any Error>, note: (String) -> Void
    ) async throws {
        do {
            for user in users { _ = try await store.cleanup(user, olderThan: .zero) }
        } catch {
            guard case .failure = measured else { throw error }
            note("memgraph: could not delete the benchmark users (\(users.map(\.rawValue).joined(separator: ", "))): \(error)")
        }
    }

    /// The timed calls, in the order a mixed round runs them. `questionVectorSearch` is SEARCH's
    /// own vector part: the question's vector (embedded before the timing) searched as SEARCH
    /// searches it, so that SEARCH with its query embedded can be compared with the sum of its two
    /// parts on the same query; `questionVectorSearchAfterEmbedding` is the same search timed right
    /// after an untimed embedding, as it runs inside SEARCH.
    enum QueryKind: CaseIterable {
        case lookup, fuzzy, search, vectorSearch, questionVectorSearch, questionVectorSearchAfterEmbedding, embedQuery, recall
    }

    /// SEARCH's question about a contact.
    /// The ef_search values SEARCH's recall and time are measured at, after the main figures.
    static let efSearchSweep = [100, 200, 300, 400, 600]

    static func question(_ name: String) -> String { "What does \(name) do, and for which account?" }

    /// Contact `i`'s summary in other words: the vector-only SEARCH's query, once embedded.
    static func paraphrase(_ i: Int) -> String {
        "\(contactName(i)) works as \(roles[i % roles.count]) for \(companies[(i / 3) % companies.count])"
    }

    /// Stores the MiniLM embedding of each node's summary, 5,000 at a time; the next 5,000 are
    /// embedded while the previous ones are stored (the model on one core, Postgres's HNSW
    /// inserts on the other). Returns the vectors, in the order of `ids`; `stored` gets their count so far.
    static func storeSummaryEmbeddings(
        _ store: MemoryStore, _ user: UserID, ids: [UUID], nodes: [MemoryNode], embedder: any Embedder,
        stored: (Int) -> Void = { _ in }
    ) async throws -> [[Float]] {
        let chunk = 5_000
        @Sendable func embed(_ start: Int) async throws -> [[Float]] {
            guard start < nodes.count else { return [] }
            return try await embedder.embed(nodes[start..<min(nodes.count, start + chunk)].map { $0.summary ?? "" })
        }
        var vectors: [[Float]] = []
        vectors.reserveCapacity(ids.count)
        var next = try await embed(0)
        for start in stride(from: 0, to: ids.count, by: chunk) {
            let current = next
            async let following = embed(start + chunk)
            try await store.storeEmbeddings(user, current.enumerated().map {
                EmbeddingRecord(
                    nodeID: ids[start + $0.offset], field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [0],
                    vector: $0.element)
            })
            vectors += current
            stored(vectors.count)
            next = try await following
        }
        return vectors
    }

    static func storeVectors(_ store: MemoryStore, _ user: UserID, ids: [UUID], space: VectorSpace, seedOffset: Int) async throws {
        for chunk in stride(from: 0, to: ids.count, by: 5_000) {
            let end = min(ids.count, chunk + 5_000)
            try await store.storeEmbeddings(user, (chunk..<end).map {
                EmbeddingRecord(
                    nodeID: ids[$0], field: "summary", model: EmbeddingModels.miniLML6v2.name, contentSHA: [0],
                    vector: space.vector(node: $0, seed: seedOffset + $0))
            })
        }
    }

}
