import Foundation
import Logging
import MemoryGraph
import PostgresNIO

/// When SEARCH's HNSW graph is rebuilt in one pass (schema 16 says why: graphs grown by inserts
/// alone sometimes strand a few regions, one-pass builds of the same vectors did not).
public struct SearchIndexPolicy: Sendable, Equatable {
    /// No rebuild below this many vectors in the index (all large users'): at small sizes a graph grown
    /// by inserts searches as well as a built one, and a rebuild would only cost.
    public var minimumVectors: Int
    /// A rebuild is due once the index holds this many times the vectors of its last build.
    public var growthFactor: Double
    /// The most memory a build may take (its maintenance_work_mem). A graph that does not fit is
    /// finished by inserts on disk, slowly, as an index grown by inserts is.
    public var buildMemoryLimitMB: Int

    public init(minimumVectors: Int = 50_000, growthFactor: Double = 2, buildMemoryLimitMB: Int = 2_048) {
        self.minimumVectors = minimumVectors
        self.growthFactor = growthFactor
        self.buildMemoryLimitMB = buildMemoryLimitMB
    }

    /// The size at which an index last built over `vectorsAtBuild` vectors is due a rebuild.
    public func rebuildThreshold(vectorsAtBuild: Int) -> Int {
        max(minimumVectors, Int((growthFactor * Double(vectorsAtBuild)).rounded(.up)))
    }

    /// Whether an index of `vectors` vectors, last built over `vectorsAtBuild`, is due a rebuild.
    public func needsRebuild(vectors: Int, vectorsAtBuild: Int) -> Bool {
        vectors >= rebuildThreshold(vectorsAtBuild: vectorsAtBuild)
    }

    /// Whether the index `state` describes is due a rebuild.
    public func isDue(_ state: SearchIndexState) -> Bool {
        needsRebuild(vectors: state.vectors, vectorsAtBuild: state.vectorsAtBuild)
    }

    /// maintenance_work_mem for a build over `vectors` 384-dimension vectors: the graph takes about
    /// 1.5 KB a vector (200,000 in 300 MB); 2 KB leaves room. At least 64 MB, at most the limit.
    public func buildMemoryMB(vectors: Int) -> Int {
        min(buildMemoryLimitMB, max(64, (vectors * 2 + 1_023) / 1_024))
    }
}

/// SEARCH's index for one model: its vectors now (all large users') and at its last one-pass build.
public struct SearchIndexState: Sendable, Equatable {
    public var model: String
    public var vectors: Int
    public var vectorsAtBuild: Int
    /// When memgraph last rebuilt it, or else when schema 16 was applied (nil: no record for the model).
    public var builtAt: Date?
}

/// What ``MemoryStore/maintainSearchIndex(model:policy:force:)`` did.
public enum SearchIndexMaintenance: Sendable, Equatable {
    /// The policy does not call for a rebuild yet.
    case notNeeded(SearchIndexState)
    /// Another connection holds the rebuild lock: a rebuild is running elsewhere.
    case busy
    /// Rebuilt over `state.vectors` vectors in `seconds`; `droppedLeftovers` are invalid copies
    /// that interrupted rebuilds had left, dropped first.
    case rebuilt(SearchIndexState, seconds: Double, droppedLeftovers: [String])
}

/// How far a rebuild of SEARCH's index has got, as Postgres reports it (`pg_stat_progress_create_index`).
public struct SearchIndexBuildProgress: Sendable, Equatable {
    /// Postgres's name for the step ("building index: loading tuples", "index validation: scanning
    /// index", "waiting for old snapshots", …); "starting" before it names one, "done" at the end.
    public var phase: String
    /// Vectors in the new graph so far (all of them once the build is past loading).
    public var vectorsDone: Int
    /// The index's vectors when the rebuild began (more, if more were loaded).
    public var vectors: Int

    public init(phase: String, vectorsDone: Int, vectors: Int) {
        self.phase = phase
        self.vectorsDone = vectorsDone
        self.vectors = vectors
    }
}

extension MemoryStore {
    /// The session-level advisory lock that one rebuild at a time holds ("mg_reidx").
    static let searchIndexLock: Int64 = 0x6d67_5f72_6569_6478

    /// The index's size now and at its last build.
    /// - Throws: `RepositoriesError` (`.invalidInput` for a model with no index).
    public func searchIndexState(model: String = EmbeddingModels.miniLML6v2.name) async throws -> SearchIndexState {
        let known = try EmbeddingModels.named(model)
        return try await database.withConnection(operation: "search index state") { connection in
            try await Self.searchIndexState(known, on: connection, logger: database.logger)
        }
    }

    static func searchIndexState(_ model: EmbeddingModels.Model, on connection: PostgresConnection, logger: Logger) async throws -> SearchIndexState {
        let rows = try await connection.query(
            "SELECT vectors, vectors_at_build, built_at FROM memory.search_index_state(\(model.name))", logger: logger)
        for try await (vectors, atBuild, builtAt) in rows.decode((Int64, Int64, Date?).self) {
            return SearchIndexState(model: model.name, vectors: Int(vectors), vectorsAtBuild: Int(atBuild), builtAt: builtAt)
        }
        throw RepositoriesError(.query, "memory.search_index_state returned no row", operation: "search index state")
    }

    /// Vectors moved per transaction by ``moveIntoSearchGraph(limit:)``: each is inserted into the
    /// graph (about a millisecond), and the rows it moves are locked until it commits.
    static let searchGraphMoveBatch = 500

    /// Moves into SEARCH's HNSW graph the vectors of users who reached ``exactSearchLimit`` live
    /// nodes after those vectors were stored outside it (`memory.move_into_search_graph`, schema 21),
    /// ``searchGraphMoveBatch`` rows per transaction. Until then SEARCH reads them by an exact scan
    /// beside the graph, so nothing is missed; moved, they cost it nothing.
    /// ``maintainSearchIndex(model:policy:force:progress:)`` calls this first.
    /// - Parameter limit: the most vectors to move (nil: every one waiting).
    /// - Returns: the vectors moved.
    /// - Throws: `RepositoriesError`; what earlier transactions moved stays moved.
    @discardableResult
    public func moveIntoSearchGraph(limit: Int? = nil) async throws -> Int {
        var moved = 0
        while true {
            let batch = min(Self.searchGraphMoveBatch, (limit ?? .max) - moved)
            guard batch > 0 else { return moved }
            let got = try await database.withConnection(operation: "move vectors into the search graph") { connection in
                try await connection.queryUnlessClosed(
                    "SELECT memory.move_into_search_graph(\(batch)::int4)::int8", logger: database.logger
                ).collect().first?.decode(Int.self) ?? 0
            }
            // 0: none left, or only rows other transactions hold (the next call takes those).
            guard got > 0 else { return moved }
            moved += got
        }
    }

    /// Rebuilds SEARCH's HNSW graph in one pass when `policy` says it is due (or `force`), with
    /// REINDEX INDEX CONCURRENTLY: reads and writes go on meanwhile, and the new graph replaces the
    /// old when it is done (about 60-100 s for 200,000 vectors on 2 cores). One rebuild runs at a
    /// time across processes (an advisory lock; a second caller gets `.busy`). Invalid copies that
    /// interrupted rebuilds left are dropped first. The connection is told to notice a vanished
    /// client within a second, so a rebuild whose caller died stops rather than running on.
    /// The embedding worker calls this every few minutes; `memgraph reindex` on demand. Each call
    /// first moves into the graph the vectors of users who grew large (``moveIntoSearchGraph(limit:)``).
    /// - Parameter progress: called while the rebuild runs, about every half second, with what
    ///   another pooled connection reads of it in `pg_stat_progress_create_index`.
    /// - Throws: `RepositoriesError`; after a failed rebuild the old index stays in use, and the
    ///   next call drops the failed copy.
    public func maintainSearchIndex(
        model: String = EmbeddingModels.miniLML6v2.name, policy: SearchIndexPolicy = SearchIndexPolicy(), force: Bool = false,
        progress: (@Sendable (SearchIndexBuildProgress) -> Void)? = nil
    ) async throws -> SearchIndexMaintenance {
        let known = try EmbeddingModels.named(model)
        let logger = database.logger
        let database = database
        let moved = try await moveIntoSearchGraph()
        if moved > 0 {
            logger.info("moved the vectors of users who grew large into the search graph", metadata: ["vectors": "\(moved)"])
        }
        return try await database.withConnection(operation: "search index rebuild") { connection in
            // Not due: say so without the lock, so checks never wait on, or report busy for, a rebuild elsewhere.
            if !force {
                let state = try await Self.searchIndexState(known, on: connection, logger: logger)
                guard policy.isDue(state) else { return .notNeeded(state) }
            }
            let locked = try await connection.query("SELECT pg_try_advisory_lock(\(Self.searchIndexLock))", logger: logger)
                .collect().first?.decode(Bool.self) ?? false
            guard locked else { return .busy }
            let outcome: Result<SearchIndexMaintenance, any Error>
            do {
                outcome = .success(try await Self.rebuildIfDue(
                    known, policy: policy, force: force, on: connection, database: database, progress: progress, logger: logger))
            } catch {
                outcome = .failure(error)
            }
            // Session state must not outlive this call on a pooled connection. If even this fails,
            // the connection is broken, and closing it (the pool will) releases the lock anyway.
            do {
                try await connection.query("SELECT pg_advisory_unlock(\(Self.searchIndexLock))", logger: logger)
                try await connection.query("RESET maintenance_work_mem", logger: logger)
                try await connection.query("RESET client_connection_check_interval", logger: logger)
                try await connection.query("RESET statement_timeout", logger: logger)
                try await connection.query("RESET max_parallel_maintenance_workers", logger: logger)
            } catch {
                logger.warning("could not release the search index rebuild lock", metadata: ["error": "\(error)"])
                if case .success = outcome { throw error }
            }
            return try outcome.get()
        }
    }

    private static func rebuildIfDue(
        _ model: EmbeddingModels.Model, policy: SearchIndexPolicy, force: Bool, on connection: PostgresConnection,
        database: Database, progress: (@Sendable (SearchIndexBuildProgress) -> Void)?, logger: Logger
    ) async throws -> SearchIndexMaintenance {
        // Read again under the lock: a rebuild that ended since the unlocked check may have recorded a new size.
        let state = try await searchIndexState(model, on: connection, logger: logger)
        guard force || policy.isDue(state) else { return .notNeeded(state) }
        var dropped = try await dropLeftovers(on: connection, logger: logger)
        // One process builds the graph: pgvector's parallel build gave a worse graph for our
        // filtered searches. 200,000 vectors (bench store --nodes 100000), 150 questions of the
        // measured user, recall@10 against an exact scan: parallel 0.949 and 0.929 (80-87 s),
        // serial 0.993 and 0.992 (2.8-3.1 min); the graph the inserts grew: 0.99. The rebuild runs
        // in the background (REINDEX CONCURRENTLY), so its time matters less than its graph.
        let memory = "\(policy.buildMemoryMB(vectors: state.vectors))MB"
        try await connection.query(
            """
            SELECT set_config('maintenance_work_mem',
                              CASE WHEN pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes(\(memory))
                                   THEN \(memory) ELSE current_setting('maintenance_work_mem') END, false),
                   set_config('client_connection_check_interval', '1s', false),
                   set_config('statement_timeout', '0', false),
                   set_config('max_parallel_maintenance_workers', '0', false)
            """, logger: logger)
        let clock = ContinuousClock()
        let start = clock.now
        logger.info("rebuilding the search index", metadata: [
            "index": "\(model.indexName)", "vectors": "\(state.vectors)", "vectors_at_last_build": "\(state.vectorsAtBuild)",
        ])
        let backend = progress == nil
            ? nil : try await connection.query("SELECT pg_backend_pid()", logger: logger).collect().first?.decode(Int32.self)
        dropped += try await withThrowingTaskGroup(of: Void.self) { group in
            if let progress, let backend {
                group.addTask {
                    await watchRebuild(backend: backend, vectors: state.vectors, database: database, progress: progress, logger: logger)
                }
            }
            defer { group.cancelAll() }
            return try await reindex(model, on: connection, logger: logger)
        }
        progress?(SearchIndexBuildProgress(phase: "done", vectorsDone: state.vectors, vectors: state.vectors))
        let seconds = (clock.now - start).seconds
        _ = try await connection.query(
            "SELECT memory.record_search_index_build(\(model.name), \(Int64(state.vectors)))", logger: logger).collect()
        return .rebuilt(state, seconds: seconds, droppedLeftovers: dropped)
    }

    /// REINDEX INDEX CONCURRENTLY; returns the invalid copies of failed attempts that it dropped.
    private static func reindex(_ model: EmbeddingModels.Model, on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        // REINDEX CONCURRENTLY waits for every older transaction; one that meanwhile waits for the
        // table's lock (an ANALYZE after a bulk write) deadlocks with it, and Postgres may cancel
        // either. The rebuild then leaves its invalid copy: drop it, and try again (3 times in all).
        var dropped: [String] = []
        var attempt = 1
        while true {
            do {
                try await connection.query(PostgresQuery(unsafeSQL: "REINDEX INDEX CONCURRENTLY memory.\(model.indexName)"), logger: logger)
                return dropped
            } catch let error as PSQLError where attempt < 3 && ["40P01", "55P03"].contains(error.serverInfo?[.sqlState]) {
                logger.warning(
                    "the search index rebuild lost a lock conflict; it drops its copy and tries again",
                    metadata: ["sqlstate": "\(error.serverInfo?[.sqlState] ?? "")", "attempt": "\(attempt)"])
                attempt += 1
                try await Task.sleep(for: .seconds(1))
                dropped += try await dropLeftovers(on: connection, logger: logger)
            }
        }
    }

    /// Reports the rebuild on backend `backend` every half second until cancelled, as another
    /// connection reads it in pg_stat_progress_create_index (pgvector counts the vectors it has
    /// loaded in tuples_done). A failed read is skipped: progress never fails a rebuild.
    private static func watchRebuild(
        backend: Int32, vectors: Int, database: Database, progress: @Sendable (SearchIndexBuildProgress) -> Void, logger: Logger
    ) async {
        progress(SearchIndexBuildProgress(phase: "starting", vectorsDone: 0, vectors: vectors))
        var built = false
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .milliseconds(500))
                let row = try await database.withConnection(operation: "search index rebuild progress") { connection in
                    try await connection.queryUnlessClosed(
                        "SELECT phase, tuples_done FROM pg_stat_progress_create_index WHERE pid = \(backend)", logger: logger
                    ).collect().first?.decode((String, Int64).self)
                }
                guard let (phase, tuples) = row else { continue }
                let building = phase.hasPrefix("building index")
                built = built || building
                // After the build, validation counts other things in tuples_done: the graph is whole.
                let done = building ? Int(tuples) : built ? vectors : 0
                progress(SearchIndexBuildProgress(phase: phase, vectorsDone: done, vectors: max(vectors, done)))
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.debug("could not read the search index rebuild's progress", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Drops the invalid copies interrupted rebuilds left (`memory.drop_interrupted_index_builds`); returns their names.
    private static func dropLeftovers(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var dropped: [String] = []
        for try await name in try await connection.query("SELECT memory.drop_interrupted_index_builds()", logger: logger).decode(String.self) {
            dropped.append(name)
        }
        if !dropped.isEmpty {
            logger.info("dropped what interrupted index rebuilds had left", metadata: ["indexes": "\(dropped)"])
        }
        return dropped
    }
}
