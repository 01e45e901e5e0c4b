import Foundation
import Synchronization

/// Texts embedded ahead of their jobs: ``EmbeddingPipeline`` starts embedding the texts a write in
/// its process is about to queue (``ListenerEvent/queued(texts:)``, told before the write is sent)
/// while Postgres writes them, and a job (claimed, or handed over at write) whose text is one of
/// them takes that vector. A guess is only ever used
/// for the identical text; one that no claim takes is dropped after ``lifetime``, and at most
/// ``limit`` are held (the rest wait for their claim, as without this).
final class EmbeddingsAhead: Sendable {
    /// The most texts embedded ahead at once.
    static let limit = 8
    /// How long a text embedded ahead waits for a claim to take it.
    static let lifetime = Duration.seconds(10)

    private struct Entry {
        var vector: Task<[Float], any Error>
        var started: ContinuousClock.Instant
    }

    private let held = Mutex<[String: Entry]>([:])

    /// Starts embedding the texts not held yet, within ``limit``, after dropping guesses older
    /// than ``lifetime``.
    func start(_ texts: [String], embedder: any Embedder, monitor: PipelineMonitor) {
        let now = ContinuousClock.now
        held.withLock { held in
            held = held.filter { now - $0.value.started < Self.lifetime }
            for text in texts where held[text] == nil && held.count < Self.limit {
                let vector = Task {
                    await monitor.embedderCalled()
                    let vectors = try await embedder.embed([text])
                    guard vectors.count == 1 else {
                        throw MemoryGraphError(code: .embeddingFailed, message: "the embedder returned \(vectors.count) vectors for 1 text")
                    }
                    return vectors[0]
                }
                held[text] = Entry(vector: vector, started: now)
            }
        }
    }

    /// For each text, the embedding started ahead for it (no longer held), or nil.
    func take(_ texts: [String]) -> [Task<[Float], any Error>?] {
        held.withLock { held in texts.map { held.removeValue(forKey: $0)?.vector } }
    }

    /// Cancels and drops every guess (the pipeline is stopping).
    func cancelAll() {
        let pending = held.withLock { held in
            defer { held.removeAll() }
            return held.values.map(\.vector)
        }
        for task in pending { task.cancel() }
    }
}
