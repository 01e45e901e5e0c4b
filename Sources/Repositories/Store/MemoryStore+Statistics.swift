import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
    /// A write of at least this many rows refreshes the planner's statistics once it commits.
    public static let statisticsRefreshRows = 5_000

    /// Transaction settings for a write of `rows` rows. From ``statisticsRefreshRows`` rows up,
    /// work_mem is 128 MB for the transaction: the nodes' triggers read the statement's rows from
    /// transition tables, which spill to disk beyond work_mem (100,000 nodes: 0.3 s of 5.6).
    static func bulkWriteSettings(rows: Int) -> [(name: StaticString, value: String)] {
        rows >= statisticsRefreshRows ? [("work_mem", "128MB")] : []
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
