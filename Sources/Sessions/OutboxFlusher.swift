import Logging
import ServiceLifecycle
import MemoryGraph

/// Applies a session database's queued writes in the background, so that the outbox drains by
/// itself once Postgres is back. A `Service`: add it to the runtime's `ServiceGroup`.
///
/// ```swift
/// let group = ServiceGroup(services: [database, OutboxFlusher(memory: memory, logger: logger)], logger: logger)
/// ```
public struct OutboxFlusher: Service {
    public let memory: SessionMemory
    let logger: Logger

    public init(memory: SessionMemory, logger: Logger) {
        self.memory = memory
        self.logger = logger
    }

    /// Flushes every ``SessionConfiguration/flushInterval`` until shut down.
    public func run() async throws {
        var lastError: String?
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            if let report = await memory.flushIfIdle() {
                if report.applied > 0 || report.failed > 0 {
                    logger.info("outbox flushed", metadata: ["applied": "\(report.applied)", "failed": "\(report.failed)"])
                }
                if let error = report.error, error != lastError {
                    logger.warning("outbox flush stopped: \(error)")
                }
                lastError = report.error
            }
            do {
                let interval = memory.configuration.flushInterval
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
