import Foundation
import MemoryGraph

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ProgressReporter {
    /// Seconds between progress lines when stderr is not a terminal, unless MEMGRAPH_PROGRESS_INTERVAL says otherwise.
    static let defaultInterval = 5.0

    /// The reporter for this process's stderr: a bar on a terminal; otherwise a line every
    /// MEMGRAPH_PROGRESS_INTERVAL seconds (default 5; 0: none; a value that is not a number of
    /// seconds counts as unset).
    static func standard(terminal: Bool = CLI.isTerminal(2)) -> ProgressReporter {
        if terminal {
            return ProgressReporter(style: .bar(every: 0.1, after: 0.3, columns: CLI.terminalColumns(2) ?? 80))
        }
        // As MEMGRAPH_LOG_LEVEL: the settings (and so a config file) once they define it, else the environment.
        let name = "MEMGRAPH_PROGRESS_INTERVAL"
        let configured = (try? Settings.load())?[name] ?? Settings.processEnvironment[name]
        let interval = configured.flatMap(Double.init).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        return ProgressReporter(style: .lines(every: interval ?? defaultInterval))
    }
}

extension CLI {
    /// Runs `body` with `progress`, which a heartbeat keeps showing (the time moves on between
    /// counts); the current phase ends with `body`.
    static func withProgress<T: Sendable>(
        _ progress: ProgressReporter = .standard(), _ body: (ProgressReporter) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: progress.tickInterval)
                    progress.tick()
                }
            }
            defer { group.cancelAll() }
            do {
                let result = try await body(progress)
                group.cancelAll()
                progress.finish()
                return result
            } catch {
                group.cancelAll()
                progress.finish(completed: false)
                throw error
            }
        }
    }

    /// The width of the terminal on `descriptor`, when it is one.
    static func terminalColumns(_ descriptor: Int32) -> Int? {
        var size = winsize()
        #if canImport(Darwin)
        let request = TIOCGWINSZ
        #else
        let request = UInt(TIOCGWINSZ)
        #endif
        guard ioctl(descriptor, request, &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}
