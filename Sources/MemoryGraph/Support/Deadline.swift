import Foundation
import Synchronization

/// Thrown by ``withDeadline(_:_:)`` when the body did not finish in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "no answer within the deadline" }
}

/// Runs `body`, and returns or throws within `timeout` whatever the body does: after `timeout`
/// the body is cancelled and left to wind down on its own, and `DeadlineExceeded` is thrown at
/// once. (A task group would wait for a body that is slow to honour cancellation, such as a
/// connection attempt in its own connect timeout.) Cancelling the caller cancels the body and
/// throws `CancellationError` at once.
public func withDeadline<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withWatchdog(body) {
        // Cancelled when the body finished first.
        (try? await Task.sleep(for: timeout)) != nil ? DeadlineExceeded() : nil
    }
}

/// Runs `body` and `watchdog` in tasks of their own and returns as soon as either settles it:
/// the body's result or error, or the error the watchdog returns. The loser is cancelled and
/// left to wind down on its own, so a body that never returns (and ignores cancellation) cannot
/// hold the caller. The watchdog returns nil when it is cancelled, that is, when the body won.
/// Cancelling the caller cancels both and throws `CancellationError` at once.
public func withWatchdog<T: Sendable>(
    _ body: @escaping @Sendable () async throws -> T, watchdog: @escaping @Sendable () async -> (any Error)?
) async throws -> T {
    let race = Race<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.begin(continuation)
            let work = Task {
                do {
                    race.finish(.success(try await body()))
                } catch {
                    race.finish(.failure(error))
                }
            }
            let watcher = Task {
                if let error = await watchdog() { race.finish(.failure(error)) }
            }
            race.track([work, watcher])
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The state of one ``withWatchdog(_:watchdog:)``: the first result wins; the losers are cancelled.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        /// A result that came before the continuation was set (cancellation, at once).
        var early: Result<T, any Error>?
        var finished = false
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    func begin(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func track(_ tasks: [Task<Void, Never>]) {
        let finished = state.withLock { state -> Bool in
            state.tasks = tasks
            return state.finished
        }
        if finished { tasks.forEach { $0.cancel() } }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard !state.finished else { return (nil, []) }
            state.finished = true
            guard let continuation = state.continuation else {
                state.early = result
                return (nil, state.tasks)
            }
            state.continuation = nil
            return (continuation, state.tasks)
        }
        tasks.forEach { $0.cancel() }
        continuation?.resume(with: result)
    }
}
