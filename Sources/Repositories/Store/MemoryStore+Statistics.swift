import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
    /// A write of at least this many rows refreshes the planner's statistics once it commits.
    public static let statisticsRefreshRows = 5_000

    /// Transaction settings for a write of `rows` rows. From ``statisticsRefreshRows`` rows up,
    /// work_mem is 128 MB for the transaction: the nodes' triggers read the statement's rows from
    /// transition tables, which spill to disk beyond work_mem (100,000 nodes: 0.3 s of 5.6).
    /// And the GIN indexes' pending lists may grow to 256 MB: the transaction only appends index
    /// entries, which ``mergingPendingIndexEntries(rows:tables:_:)`` merges from another connection.
    static func bulkWriteSettings(rows: Int) -> [(name: StaticString, value: String)] {
        rows >= statisticsRefreshRows ? [("work_mem", "128MB"), ("gin_pending_list_limit", "262144")] : []
    }

    /// How often the merging connection of a bulk write merges the GIN pending lists.
    static let pendingMergeInterval = Duration.milliseconds(200)

    /// Runs `write`, a write of `rows` rows to `tables`, while another connection merges the
    /// entries that its inserts append to the GIN indexes' pending lists (trigrams, full text,
    /// tags: `memory.merge_pending_index_entries`) every ``pendingMergeInterval``. Merging is about
    /// a fifth of a bulk import's database time; this way it runs on another core instead of in
    /// the writing statements (a 100,000-node insert: 3.2 s of database time with the merges in the
    /// statements, 2.5 s beside a merging connection). Writes under ``statisticsRefreshRows`` rows
    /// run as they are. A merge that fails is logged and merging stops; the refresh after the write
    /// merges what is left. `merged` hears the pages of each merge (for tests).
    func mergingPendingIndexEntries<T: Sendable>(
        rows: Int, tables: Set<StatisticsTables>, merged: (@Sendable (Int) -> Void)? = nil, _ write: () async throws -> T
    ) async throws -> T {
        guard rows >= Self.statisticsRefreshRows else { return try await write() }
        let database = self.database
        let merger = Task {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: Self.pendingMergeInterval)
                    let pages = try await self.mergePendingIndexEntries(tables)
                    merged?(pages)
                } catch {
                    if !Task.isCancelled {
                        database.logger.warning(
                            "could not merge the index entries of a bulk write from another connection; the write goes on, its indexes are merged when it ends",
                            metadata: ["error": "\(error)"])
                    }
                    return
                }
            }
        }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await write())
        } catch {
            outcome = .failure(error)
        }
        merger.cancel()
        await merger.value
        return try outcome.get()
    }

    /// A write of `rows` rows to `tables` in one user-scoped transaction, with the bulk settings
    /// (``bulkWriteSettings(rows:)``) and, from ``statisticsRefreshRows`` rows, the merging
    /// connection beside it (``mergingPendingIndexEntries(rows:tables:merged:_:)``). The caller
    /// refreshes the statistics once it knows what was written
    /// (``refreshStatisticsAfterBulkWrite(rows:tables:)``).
    func bulkWrite<T: Sendable>(
        _ user: UserID, operation: String, rows: Int, tables: Set<StatisticsTables>, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await mergingPendingIndexEntries(rows: rows, tables: tables) {
            try await database.withUser(user, operation: operation, settings: Self.bulkWriteSettings(rows: rows), body)
        }
    }

    /// The tables whose statistics a refresh covers.
    public enum StatisticsTables: String, Sendable, CaseIterable {
        /// The nodes, with the kv_store their triggers write (not the embedding queue: its
        /// queries go through partial indexes whatever the statistics say).
        case nodes
        case relationships
        case embeddings
    }

    /// Refreshes the planner's statistics of the memory tables (`ANALYZE` of the columns a new
    /// user's rows change: user_id and what the user's queries filter on with it, through
    /// `memory.refresh_statistics`), and merges their GIN pending lists. Right after a new user's
    /// bulk import the statistics do not know the user, and Postgres plans that user's queries as
    /// if they had one row; autovacuum catches up within minutes (and analyzes every column), this
    /// at once. About 0.2 s after a 100,000-node import among 100,000 others; `tables` limits it
    /// to what a write touched.
    /// - Throws: `RepositoriesError`.
    public func refreshStatistics(_ tables: Set<StatisticsTables> = Set(StatisticsTables.allCases)) async throws {
        let names = tables.map(\.rawValue).sorted()
        try await database.withConnection(operation: "refresh statistics") { connection in
            // ANALYZE waits for the table's lock; a concurrent REINDEX CONCURRENTLY (the search
            // index's rebuild) waits for the ANALYZE's transaction, and Postgres cancels one of the
            // two. When it cancels the ANALYZE, try again: 3 attempts in all.
            var attempt = 1
            while true {
                do {
                    _ = try await connection.query("SELECT memory.refresh_statistics(\(names)::text[])", logger: database.logger).collect()
                    return
                } catch let error as PSQLError where attempt < 3 && error.serverInfo?[.sqlState] == "40P01" {
                    database.logger.notice("refreshing statistics lost a deadlock with an index rebuild; trying again", metadata: ["attempt": "\(attempt)"])
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }

    /// A write of at least this many rows merges the GIN pending lists it filled once it commits
    /// (and refreshes the statistics when they are stale; see ``refreshStatisticsAfterBulkWrite(rows:tables:)``).
    public static let pendingMergeRows = 500

    /// After a committed write of `rows` rows to `tables`:
    /// - from ``statisticsRefreshRows`` rows, or from ``pendingMergeRows`` rows when the tables'
    ///   statistics are stale (never analyzed, or the write is a tenth of the rows they know), it
    ///   refreshes the statistics and merges the GIN pending lists (``refreshStatistics(_:)``);
    /// - from ``pendingMergeRows`` rows otherwise, it merges the pending lists only.
    ///
    /// Every FUZZY and RECALL reads a GIN index's whole pending list: left to the 4 MB limit, the
    /// entries of a 2,000-node import made FUZZY cost 8 ms instead of under 1; and without
    /// statistics, a new cluster's first users were planned as if they had no rows (SEARCH's exact
    /// scan of 2,000 vectors: 11 ms instead of 1). Smaller writes leave the merging to
    /// ``PendingIndexMerger`` (the worker) and the statistics to autovacuum. The write stands
    /// either way, so a failure here is logged as a warning, not thrown.
    func refreshStatisticsAfterBulkWrite(rows: Int, tables: Set<StatisticsTables>) async {
        guard rows >= Self.pendingMergeRows else { return }
        do {
            if rows >= Self.statisticsRefreshRows {
                try await refreshStatistics(tables)
            } else if try await statisticsAreStale(afterWriting: rows, to: tables) {
                try await refreshStatistics(tables)
            } else {
                _ = try await mergePendingIndexEntries(tables)
            }
        } catch {
            database.logger.warning(
                "could not refresh the planner's statistics after a bulk write; queries may be slow until autovacuum does",
                metadata: ["error": "\(error)", "rows": "\(rows)"])
        }
    }

    /// Whether the statistics of any of `tables` are stale after a write of `rows` rows: the table
    /// was never analyzed, or the write holds at least a tenth of the rows its statistics know
    /// (autovacuum's default scale factor for an analyze).
    func statisticsAreStale(afterWriting rows: Int, to tables: Set<StatisticsTables>) async throws -> Bool {
        let names = tables.map { "memory." + $0.rawValue }.sorted()
        return try await database.withConnection(operation: "check statistics") { connection in
            try await connection.query(
                """
                SELECT coalesce(bool_or(c.reltuples < 0 OR \(Double(rows)) >= 0.1 * c.reltuples), false)
                FROM pg_class c WHERE c.oid = ANY(\(names)::regclass[])
                """, logger: database.logger
            ).collect().first?.decode(Bool.self) ?? false
        }
    }

    /// Merges the entries waiting in the GIN pending lists of `tables` into their indexes
    /// (`memory.merge_pending_index_entries`); returns the pending pages merged.
    /// - Throws: `RepositoriesError`.
    @discardableResult
    public func mergePendingIndexEntries(_ tables: Set<StatisticsTables> = [.nodes]) async throws -> Int {
        let names = tables.map(\.rawValue).sorted()
        return try await database.withConnection(operation: "merge pending index entries") { connection in
            try await connection.query(
                "SELECT memory.merge_pending_index_entries(\(names)::text[])", logger: database.logger
            ).collect().first?.decode(Int.self) ?? 0
        }
    }
}
