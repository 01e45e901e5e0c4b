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
    /// - Parameter progress: called as rows are written (large imports).
    /// - Throws: `RepositoriesError` (`.notFound` for a relationship end that no node has), `MemoryGraphError`.
    public func importGraph(
        _ user: UserID, _ graph: FixtureSet, dryRun: Bool = false, wait: Bool = false,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> ImportReport {
        let embedder = wait && !dryRun ? try embedder() : nil
        let summary = try await store.importGraph(user, graph, dryRun: dryRun, progress: progress)
        var report = ImportReport(user: user, summary: summary)
        guard let embedder, summary.embeddingsQueued > 0 else { return report }
        logger.info("embedding imported fields", metadata: ["fields": "\(summary.embeddingsQueued)"])
        try await drainEmbeddings(user, embedder: embedder)
        do {
            if case .rebuilt(let state, _, _) = try await store.maintainSearchIndex() {
                report.rebuiltIndexVectors = state.vectors
            }
        } catch {
            report.indexWarning = "the import stands, but rebuilding the search index failed (memgraph reindex retries it): \(error)"
        }
        return report
    }

    /// Embeds the user's pending and processing jobs in this process until none is left.
    func drainEmbeddings(_ user: UserID, embedder: any Embedder) async throws {
        let store = store
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
            return (counts["pending"] ?? 0) + (counts["processing"] ?? 0) == 0
        }
    }
}
