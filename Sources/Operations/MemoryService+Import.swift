import Foundation
import MemoryGraph
import Repositories

extension MemoryService {
    /// What an import did, and whether it waited for the embeddings.
    public struct ImportReport: Sendable {
        public var user: UserID
        public var summary: ImportSummary
        /// Set when `wait` rebuilt SEARCH's index because the load doubled it.
        public var rebuiltIndexVectors: Int?
        /// The import stands, but the index rebuild that should follow it failed (`memgraph reindex` retries).
        public var indexWarning: String?

        public init(user: UserID, summary: ImportSummary, rebuiltIndexVectors: Int? = nil, indexWarning: String? = nil) {
            self.user = user
            self.summary = summary
            self.rebuiltIndexVectors = rebuiltIndexVectors
            self.indexWarning = indexWarning
        }
    }

    /// Imports a validated fixture set for `user` in one transaction (`dryRun`: rolled back, exact counts).
    /// With `wait`, the user's queued fields are then embedded in this process until none is left,
    /// and SEARCH's index gets its one-pass rebuild when the load doubled it, as the worker would do.
    /// - Parameters:
    ///   - progress: called as rows are written (after each batch of statements).
    ///   - embeddingProgress: with `wait`, called about every 100 ms while the user's queued fields
    ///     are embedded: how many of them are done (embedded, or given up as failed), of how many.
    ///   - indexProgress: with `wait`, called about every half second while SEARCH's index is rebuilt.
    /// - Throws: `RepositoriesError` (`.notFound` for a relationship end that no node has), `MemoryGraphError`.
    public func importGraph(
        _ user: UserID, _ graph: FixtureSet, dryRun: Bool = false, wait: Bool = false,
        progress: (@Sendable (ImportProgress) -> Void)? = nil,
        embeddingProgress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil,
        indexProgress: (@Sendable (SearchIndexBuildProgress) -> Void)? = nil
    ) async throws -> ImportReport {
        let embedder = wait && !dryRun ? try embedder() : nil
        let summary = try await store.importGraph(user, graph, dryRun: dryRun, progress: progress)
        var report = ImportReport(user: user, summary: summary)
        guard let embedder, summary.embeddingsQueued > 0 else { return report }
        logger.info("embedding imported fields", metadata: ["fields": "\(summary.embeddingsQueued)"])
        try await drainEmbeddings(user, embedder: embedder, expected: summary.embeddingsQueued, progress: embeddingProgress)
        do {
            if case .rebuilt(let state, _, _) = try await store.maintainSearchIndex(progress: indexProgress) {
                report.rebuiltIndexVectors = state.vectors
            }
        } catch {
            report.indexWarning = "the import stands, but rebuilding the search index failed (memgraph reindex retries it): \(error)"
        }
        return report
    }

    /// Embeds the user's pending and processing jobs in this process until none is left.
    /// `progress` gets the jobs finished since the start (embedded or failed) and the total, at
    /// least `expected` (a bulk insert's batch counts a node once until a worker splits it).
    func drainEmbeddings(
        _ user: UserID, embedder: any Embedder, expected: Int = 0, progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
    ) async throws {
        let store = store
        // Jobs that had ended before are not this drain's work.
        let before = progress == nil ? [:] : try await store.jobCounts(user)
        let endedBefore = (before["completed"] ?? 0) + (before["failed"] ?? 0)
        let pipeline = EmbeddingPipeline(
            source: PostgresEmbeddingJobSource(database: database, onlyUser: user), embedder: embedder,
            // A name of its own: `serve`'s worker runs in the same process, and a pipeline hands back
            // the claims of its workers' names when it stops.
            configuration: .init(
                sweepInterval: .milliseconds(200),
                name: "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-import-\(UUID().uuidString.prefix(8))"),
            logger: logger)
        try await pipeline.runUntilDrained {
            let counts = try await store.jobCounts(user)
            let left = (counts["pending"] ?? 0) + (counts["processing"] ?? 0)
            if let progress {
                let done = max(0, (counts["completed"] ?? 0) + (counts["failed"] ?? 0) - endedBefore)
                progress(done, left == 0 ? done : max(expected, done + left))
            }
            return left == 0
        }
    }
}
