import Foundation
import MemoryGraph

/// Settings of the session layer. ``load(environment:)`` reads them from the environment.
public struct SessionConfiguration: Sendable, Equatable {
    /// A session idle longer than this expires (`MEMGRAPH_SESSION_TTL`, seconds; default 24 h).
    public var idleTTL: Duration = .seconds(86_400)
    /// The longest a session's idle TTL or a working-memory value's TTL may be, in seconds (a
    /// year): the HTTP API and the CLI both hold to it.
    public static let longestTTLSeconds = 31_536_000
    /// Nodes loaded into a session's cache at start (`MEMGRAPH_SESSION_CACHE_SIZE`; default 1,000).
    public var cacheSize: Int = 1_000
    /// The longest any call waits for Postgres before it is treated as unreachable
    /// (`MEMGRAPH_SESSION_TIMEOUT`, seconds; default 2).
    public var timeout: Duration = .seconds(2)
    /// How long the background flusher waits for one queued write to apply once Postgres answered
    /// (`MEMGRAPH_SESSION_APPLY_TIMEOUT`, seconds; default 600). A large `import --session` is slow,
    /// not an outage: it gets this long, not ``timeout``. A write that runs longer stays queued; its
    /// apply goes on, and the flusher takes up the queue again once it has ended.
    public var applyTimeout: Duration = .seconds(600)
    /// After Postgres was found unreachable, writes are queued without trying it for this long
    /// (`MEMGRAPH_SESSION_RETRY_AFTER`, seconds; default 2). The background flusher keeps probing.
    public var retryAfter: Duration = .seconds(2)
    /// How often the background flusher looks at the outbox (default 1 s).
    public var flushInterval: Duration = .seconds(1)
    /// How long SQLite waits for another process's write lock, in seconds (default 10).
    public var busyTimeout: Double = 10

    public init() {}

    /// The defaults, overridden by `MEMGRAPH_SESSION_*` variables.
    /// - Throws: `MemoryGraphError` (`.invalidInput`) naming a variable that is not a positive number.
    public static func load(environment: [String: String] = Settings.processEnvironment) throws -> Self {
        var configuration = Self()
        func seconds(_ name: String) throws -> Duration? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Double(text), value > 0, value.isFinite else {
                throw MemoryGraphError.invalidInput("\(name) must be a positive number of seconds, not \"\(text)\"")
            }
            return .milliseconds(Int64(value * 1000))
        }
        if let value = try seconds("MEMGRAPH_SESSION_TTL") { configuration.idleTTL = value }
        if let value = try seconds("MEMGRAPH_SESSION_TIMEOUT") { configuration.timeout = value }
        if let value = try seconds("MEMGRAPH_SESSION_RETRY_AFTER") { configuration.retryAfter = value }
        if let value = try seconds("MEMGRAPH_SESSION_APPLY_TIMEOUT") { configuration.applyTimeout = value }
        if let text = environment["MEMGRAPH_SESSION_CACHE_SIZE"], !text.isEmpty {
            guard let value = Int(text), value >= 0 else {
                throw MemoryGraphError.invalidInput("MEMGRAPH_SESSION_CACHE_SIZE must be a whole number, not \"\(text)\"")
            }
            configuration.cacheSize = value
        }
        return configuration
    }
}
