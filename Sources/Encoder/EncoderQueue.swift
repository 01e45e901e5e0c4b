import Foundation

/// Runs the encoder's forward passes on a thread of its own, one pass at a time, and folds the
/// requests that queue while a pass runs into the next one.
///
/// Why: a forward pass is milliseconds of pure CPU. Run on the caller's task, it holds one of the
/// few threads Swift concurrency has (two on a two-core machine), so under concurrent requests every
/// other task (a LOOKUP's reply, a database round trip) waits behind matrix products. Here the
/// callers only wait on a continuation, and sixteen concurrent one-sentence requests become one
/// pass of sixteen sentences instead of sixteen passes.
final class EncoderQueue: @unchecked Sendable {
    // @unchecked: `pending` is only touched under `condition`; the thread owns everything else.
    private struct Job {
        var sequences: [[Int32]]
        var continuation: CheckedContinuation<[[Float]], Never>
    }

    private let condition = NSCondition()
    private var pending: [Job] = []
    /// The most sentences folded into one round; a job larger than that runs alone.
    private let foldLimit: Int
    private let encode: ([[Int32]]) -> [[Float]]

    /// - Parameter encode: embeds sequences (in order) on the queue's thread.
    init(foldLimit: Int, encode: @escaping ([[Int32]]) -> [[Float]]) {
        self.foldLimit = foldLimit
        self.encode = encode
        // The thread keeps the queue for the life of the process (an embedder is made once per process).
        let thread = Thread { self.loop() }
        thread.name = "memgraph-encoder"
        thread.start()
    }

    /// The vectors of `sequences`, computed on the queue's thread.
    func embed(_ sequences: [[Int32]]) async -> [[Float]] {
        await withCheckedContinuation { continuation in
            condition.lock()
            pending.append(Job(sequences: sequences, continuation: continuation))
            condition.signal()
            condition.unlock()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            var round = [pending.removeFirst()]
            var count = round[0].sequences.count
            while let next = pending.first, count + next.sequences.count <= foldLimit {
                round.append(pending.removeFirst())
                count += next.sequences.count
            }
            condition.unlock()
            let vectors = encode(round.flatMap(\.sequences))
            var start = 0
            for job in round {
                job.continuation.resume(returning: Array(vectors[start..<start + job.sequences.count]))
                start += job.sequences.count
            }
        }
    }
}
