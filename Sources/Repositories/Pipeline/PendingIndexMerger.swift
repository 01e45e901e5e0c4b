import Logging
import ServiceLifecycle

/// Merges the entries that small writes leave in the GIN pending lists (FUZZY's trigrams,
/// RECALL's full text, tags) into their indexes every `interval`
/// (``MemoryStore/mergePendingIndexEntries(_:)``). Postgres merges a pending list only when it
/// passes 4 MB or a vacuum runs, and every FUZZY and RECALL reads the whole list meanwhile: at
/// 4,000 pending nodes, a FUZZY took 8 ms instead of under 1. Bulk writes merge their own
/// (``MemoryStore/pendingMergeRows``); this is for the trickle of single writes. A `Service`: the
/// embedding worker (and `memgraph serve`) runs one. A merge with nothing pending costs one
/// short statement.
///
/// Each round also moves into SEARCH's HNSW graph the vectors of users who have grown past
/// ``MemoryStore/exactSearchLimit`` since they were stored (``MemoryStore/moveIntoSearchGraph(limit:)``),
/// which the search index maintainer otherwise does only every few minutes. Until they are moved,
/// every SEARCH and RECALL of such a user scans them exactly beside the graph: `bench serve`'s user
/// crosses the limit during its load, and RECALL of 6,000 memories took 6.2-7.1 ms in SQL with
/// 5,000 of them outside the graph against 2.7 ms with all inside. With nothing to move it is one
/// short statement too.
public struct PendingIndexMerger: Service {
    public let store: MemoryStore
    public let interval: Duration
    let logger: Logger
    let merged: (@Sendable (Int) -> Void)?

    /// - Parameter merged: hears the pages of each merge (for tests).
    public init(store: MemoryStore, interval: Duration = .seconds(10), logger: Logger, merged: (@Sendable (Int) -> Void)? = nil) {
        self.store = store
        self.interval = interval
        self.logger = logger
        self.merged = merged
    }

    /// Merges after every `interval` until shut down. A failed merge is logged as a warning and
    /// tried again at the next one.
    public func run() async throws {
        await repeatUntilShutdown(every: interval) {
            do {
                let pages = try await store.mergePendingIndexEntries([.nodes])
                merged?(pages)
                if pages > 0 { logger.debug("merged pending index entries", metadata: ["pages": "\(pages)"]) }
            } catch {
                logger.warning("merging the pending index entries failed; it is tried again next time", metadata: ["error": "\(error)"])
            }
            do {
                let moved = try await store.moveIntoSearchGraph()
                if moved > 0 { logger.info("moved the vectors of users who grew large into the search graph", metadata: ["vectors": "\(moved)"]) }
            } catch {
                logger.warning("moving grown users' vectors into the search graph failed; it is tried again next time", metadata: ["error": "\(error)"])
            }
        }
    }
}
