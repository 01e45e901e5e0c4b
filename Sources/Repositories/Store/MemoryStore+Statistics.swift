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
    /// merges what is left.
    func mergingPendingIndexEntries<T: Sendable>(
        rows: Int, tables: Set<StatisticsTables>, _ write: () async throws -> T
    ) async throws -> T {
        guard rows >= Self.statisticsRefreshRows else { return try await write() }
        let names = tables.map(\.rawValue).sorted()
        let database = self.database
        let merger = Task {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: Self.pendingMergeInterval)
                    try await database.withConnection(operation: "merge pending index entries") { connection in
                        _ = try await connection.query(
                            "SELECT memory.merge_pending_index_entries(\(names)::text[])", logger: database.logger
                        ).collect()
                    }
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

    /// After a committed write of `rows` rows to `tables`: refreshes their statistics when it is a
    /// bulk write. The write stands either way, so a failure here is logged as a warning, not thrown.
    func refreshStatisticsAfterBulkWrite(rows: Int, tables: Set<StatisticsTables>) async {
        guard rows >= Self.statisticsRefreshRows else { return }
        do {
            try await refreshStatistics(tables)
        } catch {
            database.logger.warning(
                "could not refresh the planner's statistics after a bulk write; queries may be slow until autovacuum does",
                metadata: ["error": "\(error)", "rows": "\(rows)"])
        }
    }
}
