import Foundation

/// A thread that lives as long as the process, for starting child processes that must end with it.
///
/// `setpriv --pdeathsig TERM` (and `PR_SET_PDEATHSIG` underneath) signals the child when the
/// *thread* that forked it exits, not the process. Dispatch's worker threads, which run Swift's
/// concurrency, exit when idle, so a child started from one is killed at a random moment. Started
/// from here, it is signalled only when this process ends.
///
/// ```swift
/// try SpawnThread.shared.run { try process.run() }
/// ```
public final class SpawnThread: @unchecked Sendable {
    public static let shared = SpawnThread()

    private let condition = NSCondition()
    private var queue: [() -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "memgraph-spawn"
        thread.start()
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let work = queue.removeFirst()
            condition.unlock()
            work()
        }
    }

    /// Runs `body` on the spawn thread and returns its result (the caller's thread waits).
    public func run<T>(_ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<T, any Error>?
        condition.lock()
        queue.append {
            result = Result(catching: body)
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return try result!.get()
    }
}
