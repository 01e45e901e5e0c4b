import Foundation
import Synchronization

/// What this process's own small writes are about to queue for embedding, told to this process's
/// embedding pipelines before each write is sent (``PostgresEmbeddingJobSource/wakeUps()`` passes
/// it on as `ListenerEvent.queued(texts:)`), so that they embed while Postgres writes, commits
/// and notifies, and while they claim. A hint, never the record: what a worker embeds and stores
/// is what its claim returns; a write that fails or changes no text leaves a guess no claim takes,
/// which expires. Nobody listening (no pipeline in the process) costs nothing.
public final class QueuedTexts: Sendable {
    /// Writes of at most this many nodes are told; larger ones are batch work, claimed in batches.
    public static let largestWrite = 8

    private let listeners = Mutex<[UUID: AsyncStream<[String]>.Continuation]>([:])

    public init() {}

    /// The texts of every write told from now on, until the task iterating it is cancelled.
    public func subscribe() -> AsyncStream<[String]> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: [String].self, bufferingPolicy: .bufferingNewest(64))
        listeners.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.listeners.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    /// Tells every listener the texts a write is about to queue.
    public func tell(_ texts: [String]) {
        guard !texts.isEmpty else { return }
        let current = listeners.withLock { Array($0.values) }
        for listener in current { listener.yield(texts) }
    }

    /// Whether a pipeline of this process is listening.
    public var hasListeners: Bool { listeners.withLock { !$0.isEmpty } }
}
