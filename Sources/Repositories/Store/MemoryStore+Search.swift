import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
    /// Users with fewer live nodes than this are searched exactly; larger ones through HNSW
    /// (passed to `memory.search_nodes`). The schema's `memory.exact_search_below()` is the same
    /// figure: it decides whose vectors are stored in the HNSW graph (schema 21).
    public static let exactSearchLimit = 5_000

    // Joining nodes by id: FUZZY and SEARCH read each candidate's node through
    //     CROSS JOIN LATERAL (SELECT * FROM memory.nodes x WHERE x.user_id = <user> AND x.node_id = <id> LIMIT 1) n
    //     WHERE n.deleted_at IS NULL
    // and not through a plain join. For a user the statistics do not know yet (a new user, or one
    // outside the most common values) Postgres guesses one row and joins through whichever index of
    // the user is at hand, filtering node_id over all the user's rows once per candidate (SEARCH of a
    // user with 2,000 nodes: 830 ms instead of 14). Inside a LIMIT 1 subquery that asks nothing about
    // deleted_at, no partial index applies, and the primary key (user_id, node_id) is the only way in.

    /// SEARCH: the nodes whose embeddings are nearest to `vector` by cosine similarity, best first,
    /// one entry per node (its best field).
    ///
    /// One round trip to `memory.search_nodes` (schema 6), which sets the user for row-level
    /// security and plans its statements once per connection. Users with fewer than
    /// ``exactSearchLimit`` live nodes are scanned exactly, so a small user among many never loses
    /// its best match; larger users go through the model's HNSW index with pgvector's iterative
    /// scan, which keeps looking until enough of the user's rows are found (and falls back to the
    /// exact scan when the index yields too few of them). Only large users' vectors are in the
    /// graph; those a user stored while small are scanned exactly beside it until the worker's
    /// upkeep moves them in (``moveIntoSearchGraph(limit:)``).
    /// - Parameter efSearch: the HNSW search list for this call (clamped to 1...1000), to trade
    ///   recall for time (`bench store` measures both at several); nil: ``searchBreadth(limit:)``'s.
    /// - Throws: `RepositoriesError` (`.invalidInput` for a vector of the wrong size or an unknown model).
    public func search(
        _ user: UserID, vector: [Float], model: String = EmbeddingModels.miniLML6v2.name,
        contextTypes: Set<ContextType> = [], minSimilarity: Double = 0, limit: Int = 10, efSearch: Int? = nil
    ) async throws -> [ScoredNode] {
        let model = try EmbeddingModels.model(named: model, for: vector, operation: "search", user: user)
        let statement = Self.searchStatement(
            user: user, model: model, vector: PGVector(vector, oid: database.vectorTypes.vector),
            types: contextTypes.isEmpty ? nil : contextTypes.map(\.rawValue).sorted(), minSimilarity: minSimilarity,
            limit: limit, efSearch: efSearch)
        return try await scoredNodes(operation: "search", user: user, node: \.node) { connection in
            var result: [ScoredNode] = []
            for try await node in try await connection.execute(statement, logger: database.logger) { result.append(node) }
            return result
        }
    }

    /// The candidate count HNSW is asked for, and its ef_search (the list it keeps while walking
    /// the graph). ef_search is 400 at least: with 100,000 of a user's vectors among 200,000 and
    /// the graph rebuilt in one pass with ef_construction 256 (schemas 15 and 16), recall@10 of
    /// `bench store`'s questions was 0.95, 0.978, 0.987, 0.991 and 0.9985 at 100, 200, 300, 400 and
    /// 600, for 1.6, 2.1, 2.6, 3.1 and 4.2 ms (its `search_ef_search_sweep`, one run; graphs grown
    /// by inserts alone vary more: 0.9325, 0.993, 0.9855 and 0.991 at 400 in four runs).
    /// `memory.search_nodes` widens the candidates for a user with a small share (schema 10).
    public static func searchBreadth(limit: Int) -> (candidates: Int, efSearch: Int) {
        let candidates = max(RemQuery.clampedLimit(limit) * 4, 40)
        return (candidates, min(1000, max(400, candidates * 4)))
    }

    /// SEARCH's statement, `memory.search_nodes` with this call's binds: prepared on a connection
    /// the first time that connection runs it (``SearchStatement``).
    static func searchStatement(
        user: UserID, model: EmbeddingModels.Model, vector: PGVector, types: [String]?, minSimilarity: Double, limit: Int,
        efSearch: Int? = nil
    ) -> SearchStatement {
        let limit = RemQuery.clampedLimit(limit)
        let breadth = searchBreadth(limit: limit)
        var bindings = PostgresBindings(capacity: 9)
        bindings.append(user.rawValue)
        bindings.append(model.name)
        bindings.append(vector, context: .default)
        bindings.append(types)
        bindings.append(minSimilarity)
        bindings.append(breadth.candidates)
        bindings.append(limit)
        bindings.append(min(1000, max(1, efSearch ?? breadth.efSearch)))
        bindings.append(exactSearchLimit)
        return SearchStatement(bindings: bindings)
    }

    /// The same statement, unnamed: for tests that run it as another role.
    static func searchQuery(
        user: UserID, model: EmbeddingModels.Model, vector: PGVector, types: [String]?, minSimilarity: Double, limit: Int,
        efSearch: Int? = nil
    ) -> PostgresQuery {
        let statement = searchStatement(
            user: user, model: model, vector: vector, types: types, minSimilarity: minSimilarity, limit: limit, efSearch: efSearch)
        return PostgresQuery(unsafeSQL: SearchStatement.sql, binds: statement.bindings)
    }

    /// SEARCH by meaning: embeds `text` with the store's embedder, then searches as
    /// ``search(_:vector:model:contextTypes:minSimilarity:limit:)`` does.
    /// - Throws: `RepositoriesError` (`.invalidInput` when the store has no embedder).
    public func search(
        _ user: UserID, text: String, contextTypes: Set<ContextType> = [], minSimilarity: Double = 0, limit: Int = 10
    ) async throws -> [ScoredNode] {
        let (vector, model) = try await embedQuery(user, text, operation: "search")
        return try await search(
            user, vector: vector, model: model, contextTypes: contextTypes, minSimilarity: minSimilarity, limit: limit)
    }

    /// The store's embedding of a query text, and the model's name: for SEARCH and RECALL by text.
    /// - Throws: `RepositoriesError` (`.invalidInput` when the store has no embedder or embedding fails).
    func embedQuery(_ user: UserID, _ text: String, operation: String) async throws -> (vector: [Float], model: String) {
        guard let embedder else {
            throw RepositoriesError(
                .invalidInput, "\(operation.uppercased()) by text needs an embedder; this store has none", operation: operation,
                user: user.rawValue)
        }
        do {
            guard let first = try await embedder.embed([text], priority: .query).first else {
                throw MemoryGraphError(code: .embeddingFailed, message: "the embedder returned no vector")
            }
            return (first, embedder.modelIdentifier)
        } catch let error as MemoryGraphError {
            throw RepositoriesError(.invalidInput, "embedding the query failed: \(error.message)", operation: operation, user: user.rawValue)
        }
    }

    /// Seed 004's text search: summary or content containing `text` (ILIKE), summary matches first, newest next.
    public func textSearch(
        _ user: UserID, text: String, contextTypes: Set<ContextType> = [], limit: Int = 50
    ) async throws -> [MemoryNode] {
        let pattern = "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
        let types = contextTypes.isEmpty ? nil : contextTypes.map(\.rawValue).sorted()
        return try await database.withUser(user, operation: "text search") { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: NodeRecord.joinedSelectList) FROM memory.nodes n
                WHERE n.user_id = \(user.rawValue) AND n.deleted_at IS NULL
                  AND (n.summary ILIKE \(pattern) OR n.content::text ILIKE \(pattern))
                  AND (\(types)::text[] IS NULL OR n.context_type = ANY(\(types)::text[]))
                ORDER BY CASE WHEN n.summary ILIKE \(pattern) THEN 0 ELSE 1 END, n.created_at DESC
                LIMIT \(max(0, limit))
                """, logger: database.logger)
            var result: [MemoryNode] = []
            for try await row in rows { result.append(try NodeRecord(row: row).node) }
            return result
        }
    }

    /// The nodes that `run` reads on a pooled connection, outside any transaction, counted as read
    /// (``AccessLog``); an error is wrapped for `operation`. For the user-scoping functions
    /// (`memory.fuzzy_nodes`, `memory.search_nodes`, `memory.recall_nodes`), which set the user
    /// themselves.
    func scoredNodes<Row: Sendable>(
        operation: String, user: UserID, node: (Row) -> MemoryNode, _ run: (PostgresConnection) async throws -> [Row]
    ) async throws -> [Row] {
        do {
            let rows = try await database.client.withConnection { connection in try await run(connection) }
            database.accessLog.record(user, rows.compactMap { node($0).id })
            return rows
        } catch {
            throw RepositoriesError.wrap(error, operation: operation, user: user.rawValue)
        }
    }

    /// A row of the node columns (``NodeRecord/selectedColumns``) then the score.
    static func scoredNode(_ row: PostgresRow) throws -> ScoredNode {
        let node = try NodeRecord(row: row).node
        let score = try PostgresRandomAccessRow(row)[NodeRecord.selectedColumns.count].decode(Double.self, context: .default)
        return ScoredNode(node: node, score: score)
    }
}

/// SEARCH's statement, prepared on a connection the first time that connection runs it and
/// reused for the connection's life, as LOOKUP's is (``LookupStatement``): Postgres parses and
/// plans the call once per connection, and the client decodes its row description once (pgbench
/// of a call that returns at once: 0.157 ms unnamed, 0.112 prepared). The parameter types come from
/// the first call's binds and the casts. The result columns are named, so a migration that adds a
/// column to what `memory.search_nodes` returns does not change the prepared statement's result type.
struct SearchStatement: PostgresPreparedStatement {
    static let name = "memgraph_search_nodes"
    static let sql = """
        SELECT \(NodeRecord.selectList), score FROM memory.search_nodes(
            $1, $2, $3, $4::text[], $5::float8, $6::int4, $7::int4, $8::int4, $9::int4)
        """
    typealias Row = ScoredNode

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }

    func decodeRow(_ row: PostgresRow) throws -> ScoredNode { try MemoryStore.scoredNode(row) }
}
