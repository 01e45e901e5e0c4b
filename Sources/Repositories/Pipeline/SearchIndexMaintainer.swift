import Logging
import ServiceLifecycle

/// Rebuilds SEARCH's HNSW graph in one pass when it has doubled since its last build
/// (``MemoryStore/maintainSearchIndex(model:policy:force:)``), checking every `interval`. A
/// `Service`: the embedding worker runs one beside its pipeline, so an index that the worker's
/// inserts grew gets its one-pass build without anyone asking. Several processes may run one;
/// the rebuild lock lets one rebuild at a time.
public struct SearchIndexMaintainer: Service {
    public let store: MemoryStore
    public let interval: Duration
    public let policy: SearchIndexPolicy
    let logger: Logger

    public init(store: MemoryStore, interval: Duration, policy: SearchIndexPolicy = SearchIndexPolicy(), logger: Logger) {
        self.store = store
        self.interval = interval
        self.policy = policy
        self.logger = logger
    }

    /// Checks after every `interval` until shut down. A failed check or rebuild is logged as a
    /// warning and tried again at the next one (the old index serves SEARCH meanwhile).
    public func run() async throws {
        await repeatUntilShutdown(every: interval) {
            do {
                switch try await store.maintainSearchIndex(policy: policy) {
                case .rebuilt(let state, let seconds, _):
                    // The store logs the start (info); the end is this service's news.
                    logger.notice(
                        "search index rebuilt in one pass",
                        metadata: ["vectors": "\(state.vectors)", "vectors_at_last_build": "\(state.vectorsAtBuild)", "seconds": "\(seconds)"])
                case .notNeeded(let state):
                    logger.debug("search index rebuild not due", metadata: ["vectors": "\(state.vectors)", "vectors_at_last_build": "\(state.vectorsAtBuild)"])
                case .busy:
                    logger.debug("search index rebuild running elsewhere")
                }
            } catch {
                logger.warning("search index maintenance failed; it is tried again next check", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Runs `body` after every `interval` until the task is cancelled or the service group shuts
/// down gracefully (a shutdown during the wait ends it at once; `body` in progress finishes).
func repeatUntilShutdown(every interval: Duration, _ body: () async -> Void) async {
    while !Task.isCancelled, !Task.isShuttingDownGracefully {
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        } catch {
            return
        }
        await body()
    }
}
