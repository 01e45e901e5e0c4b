import Foundation
import Synchronization
import MemoryGraph

/// An agent's session over its long-term memory: writes go through the SQLite outbox and on to
/// Postgres in order, exactly once; reads are served from the session when they can be; and while
/// Postgres is unreachable, writes are queued and LOOKUPs answered from the session cache.
///
/// Every call that needs Postgres waits at most ``SessionConfiguration/timeout``. Once Postgres
/// was found unreachable, writes are queued at once for ``SessionConfiguration/retryAfter``;
/// ``OutboxFlusher`` (or ``flush()``) applies them when it is back.
///
/// ```swift
/// let memory = SessionMemory(store: try SessionStore(path: SessionStore.defaultPath()), longTerm: memoryStore)
/// let session = try await memory.start(user: user)
/// let write = try await memory.remember(session.id, node)   // .applied, or .queued if Postgres is away
/// let node = try await memory.lookup(session.id, key: "sarah-chen")
/// ```
public final class SessionMemory: Sendable {
    public let store: SessionStore
    /// Nil for a process that only queues (Postgres not configured or not reachable at start).
    public let longTerm: (any LongTermMemory)?
    public var configuration: SessionConfiguration { store.configuration }

    private let unavailableUntil = Mutex<ContinuousClock.Instant?>(nil)
    /// Outbox entries whose apply is running (or was given up on by a deadline and still runs).
    private let inFlight = Mutex<Set<UUID>>([])
    let flushLock = AsyncLock()

    public init(store: SessionStore, longTerm: (any LongTermMemory)?) {
        self.store = store
        self.longTerm = longTerm
    }

    // MARK: - Sessions

    /// Starts a session for `user` and loads its cache: the user's most relevant memories
    /// (`cacheSize` of them; see `MemoryStore.sessionMemories` for the rule) in one batched read.
    /// When Postgres is unreachable the session starts with an empty cache and says why.
    /// - Throws: `MemoryGraphError` (`.storage` for the session database).
    public func start(user: UserID, idleTTL: Duration? = nil) async throws -> SessionInfo {
        var info = try await store.start(user: user, idleTTL: idleTTL)
        guard configuration.cacheSize > 0 else { return info }
        var loaded: [MemoryNode] = []
        var problem: String?
        do {
            let limit = configuration.cacheSize
            loaded = try await remote("load session cache") { try await $0.sessionMemories(user, limit: limit) }
        } catch let error as MemoryGraphError where error.code == .unavailable {
            problem = error.message
        }
        try await store.replaceCache(info.id, with: loaded, error: problem)
        info.cachedNodes = loaded.count
        info.cacheLoadedAt = problem == nil ? store.clock() : nil
        info.cacheError = problem
        return info
    }

    /// Ends a session (see ``SessionStore/end(_:)``).
    @discardableResult
    public func end(_ session: SessionID) async throws -> Bool {
        try await store.end(session)
    }

    // MARK: - Writes

    /// Remembers a node through the session.
    ///
    /// A `temporary_state` node stays in the session (`.local`). Any other node is committed to
    /// the outbox, then applied with everything queued before it; the answer is `.applied` with
    /// the store's outcome, or `.queued` when Postgres could not be reached in time. Either way a
    /// read in this session sees the write at once.
    /// - Throws: `MemoryGraphError`: `.invalidInput` for a node that fails validation (nothing is
    ///   queued), `.notFound` for a dead session, `.invalidInput` when the store refused the write.
    public func remember(_ session: SessionID, _ node: MemoryNode, ttl: Duration? = nil) async throws -> SessionWrite {
        let info = try await store.session(session)
        if node.contextType == .temporaryState {
            let id = try await store.storeLocal(session, node, ttl: ttl)
            return SessionWrite(status: .local, operationID: nil, outcome: nil, nodeID: id)
        }
        try validate(node)
        let operation = SessionOperation(kind: .remember(node))
        try await store.enqueueRemember(info, node, operation: operation)
        return try await settle(operation)
    }

    /// Relates two nodes through the session. An end may be `.operation(id)`: the node written by
    /// an earlier `remember` of this session that is still queued.
    /// - Throws: `MemoryGraphError` (`.invalidInput` for a strength outside 0…1 or a refused write).
    public func relate(_ session: SessionID, _ request: RelateRequest) async throws -> SessionWrite {
        let info = try await store.session(session)
        guard (0...1).contains(request.strength) else {
            throw MemoryGraphError.invalidInput("strength must be between 0 and 1", operation: "relate")
        }
        let operation = SessionOperation(kind: .relate(request))
        try await store.enqueue(info, operation)
        return try await settle(operation)
    }

    /// Imports a validated fixture set through the session's outbox: one operation, applied in one
    /// transaction, accepted as queued while Postgres is away.
    public func importGraph(_ session: SessionID, _ graph: FixtureSet) async throws -> SessionWrite {
        let info = try await store.session(session)
        let operation = SessionOperation(kind: .importGraph(graph))
        try await store.enqueue(info, operation)
        return try await settle(operation)
    }

    private func validate(_ node: MemoryNode) throws {
        do {
            try node.validate()
        } catch let error as MemoryGraphError {
            throw MemoryGraphError(code: .invalidInput, message: error.message, operation: "remember")
        }
    }

    /// Flushes until `operation` is applied or refused, or the timeout passes; then says which.
    private func settle(_ operation: SessionOperation) async throws -> SessionWrite {
        if longTerm != nil, !isMarkedUnavailable {
            let deadline = ContinuousClock.now + configuration.timeout
            if flushLock.tryLock() {
                _ = await flushQueued(until: deadline, stopAfter: operation.id)
                flushLock.unlock()
            } else {
                // Another flush of this process is running; it applies our entry in its turn.
                while ContinuousClock.now < deadline, try await store.outboxEntry(operation.id)?.status == .queued {
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
        }
        guard let entry = try await store.outboxEntry(operation.id) else {
            throw MemoryGraphError(code: .storage, message: "the outbox entry of operation \(operation.id) vanished")
        }
        switch entry.status {
        case .applied:
            return SessionWrite(status: .applied, operationID: operation.id, outcome: entry.outcome, nodeID: entry.outcome?.nodeID)
        case .failed:
            throw MemoryGraphError(
                code: .invalidInput, message: "the store refused the write: \(entry.error ?? "no reason given")",
                operation: operation.kindName)
        case .queued:
            return SessionWrite(status: .queued, operationID: operation.id, outcome: nil, nodeID: nil)
        }
    }

    // MARK: - Reads

    /// LOOKUP in the session: a write of this session, a temporary_state node or a cached node
    /// first; otherwise Postgres (the node is then cached).
    /// - Throws: `MemoryGraphError` (`.unavailable` when the key is not in the session and
    ///   Postgres cannot be reached).
    public func lookup(_ session: SessionID, key: String) async throws -> MemoryNode? {
        let info = try await store.session(session)
        if let node = try await store.cachedNode(session, key: key) { return node }
        let found = try await remote("lookup", detail: "the key is not in the session cache") {
            try await $0.lookup(info.user, key: key)
        }
        if let found { try await store.cache(session, found) }
        return found
    }

    /// The node with this id, from the session when it holds it, else from Postgres.
    /// - Throws: `MemoryGraphError` (`.unavailable` as for ``lookup(_:key:)``).
    public func node(_ session: SessionID, id: UUID) async throws -> MemoryNode? {
        let info = try await store.session(session)
        if let node = try await store.cachedNode(session, id: id) { return node }
        let found = try await remote("get node", detail: "the node is not in the session cache") {
            try await $0.node(info.user, id: id)
        }
        if let found { try await store.cache(session, found) }
        return found
    }

    /// FUZZY through Postgres (it needs the trigram index).
    /// - Throws: `MemoryGraphError` (`.unavailable` when Postgres cannot be reached in time).
    public func fuzzy(_ session: SessionID, text: String, threshold: Double = 0.3, limit: Int = 10) async throws -> [ScoredNode] {
        let info = try await store.session(session)
        return try await remote("fuzzy", detail: "FUZZY needs Postgres; LOOKUP still works from the session cache") {
            try await $0.fuzzy(info.user, text: text, threshold: threshold, limit: limit)
        }
    }

    /// SEARCH through Postgres (it needs the vector index).
    /// - Throws: `MemoryGraphError` (`.unavailable` when Postgres cannot be reached in time).
    public func search(
        _ session: SessionID, text: String, contextTypes: Set<ContextType> = [], minSimilarity: Double = 0, limit: Int = 10
    ) async throws -> [ScoredNode] {
        let info = try await store.session(session)
        return try await remote("search", detail: "SEARCH needs Postgres; LOOKUP still works from the session cache") {
            try await $0.search(info.user, text: text, contextTypes: contextTypes, minSimilarity: minSimilarity, limit: limit)
        }
    }

    // MARK: - Flushing

    /// Applies every queued write it can, in order: each once, each in its own transaction. Stops
    /// at the first write that cannot reach Postgres (it stays queued); sets aside writes the
    /// store refuses. Waits for a flush already running in this process to finish first.
    public func flush() async -> FlushReport {
        await flushLock.lock()
        defer { flushLock.unlock() }
        return await flushQueued(until: nil, stopAfter: nil)
    }

    /// A flush unless one is already running in this process (for the background flusher).
    func flushIfIdle() async -> FlushReport? {
        guard flushLock.tryLock() else { return nil }
        defer { flushLock.unlock() }
        return await flushQueued(until: nil, stopAfter: nil)
    }

    /// The flush loop; the caller holds `flushLock`.
    private func flushQueued(until deadline: ContinuousClock.Instant?, stopAfter: UUID?) async -> FlushReport {
        var report = FlushReport()
        guard let longTerm else {
            report.error = "no database is configured for this process"
            return report
        }
        do {
            while true {
                let entries = try await store.queued(limit: 100)
                if entries.readable.isEmpty && entries.setAside == 0 {
                    try await store.recordFlushed()
                    report.complete = true
                    return report
                }
                report.failed += entries.setAside
                for entry in entries.readable {
                    if let deadline, ContinuousClock.now >= deadline { return report }
                    if Task.isCancelled { return report }
                    // A caller waiting on its write gives it what is left of its own timeout; the
                    // background flusher gives it the apply timeout.
                    let limit = deadline.map { min(configuration.applyTimeout, $0 - ContinuousClock.now) } ?? configuration.applyTimeout
                    // One apply of an entry at a time: one that a deadline gave up on may still be
                    // running, holding a connection; another would only wait behind it.
                    let operation = entry.operation.id
                    guard inFlight.withLock({ $0.insert(operation).inserted }) else {
                        report.error = "an earlier apply of this write is still running"
                        return report
                    }
                    do {
                        let outcome = try await withDeadline(limit) {
                            defer { self.inFlight.withLock { _ = $0.remove(operation) } }
                            return try await longTerm.apply(entry.user, entry.operation)
                        }
                        markAvailable()
                        try await store.markApplied(entry, outcome: outcome)
                        report.applied += 1
                        if entry.operation.id == stopAfter { return report }
                    } catch let error where error is DeadlineExceeded || longTerm.isUnavailable(error) {
                        if error is DeadlineExceeded, await isReachable(longTerm) {
                            // Slow, not down: the entry stays queued. Its apply goes on, and a later
                            // flush waits for it (inFlight), then finds its outcome (a replay of
                            // an applied id returns it). A caller that stops waiting leaves it to
                            // the background flusher.
                            guard deadline == nil else { return report }
                            let reason = "applying took longer than \(configuration.applyTimeout) (MEMGRAPH_SESSION_APPLY_TIMEOUT); it goes on, and is tried again after it ends"
                            try await store.recordStopped(entry, error: reason)
                            report.error = reason
                            return report
                        }
                        markUnavailable()
                        let reason = error is DeadlineExceeded
                            ? "database unavailable: no answer within \(configuration.timeout)" : "database unavailable: \(error)"
                        try await store.recordStopped(entry, error: reason)
                        report.error = reason
                        return report
                    } catch is CancellationError {
                        return report
                    } catch {
                        try await store.markFailed(entry, error: String(describing: error))
                        report.failed += 1
                        if entry.operation.id == stopAfter { return report }
                    }
                }
            }
        } catch {
            report.error = String(describing: error)
            return report
        }
    }

    // MARK: - Reaching Postgres

    /// Whether the store answers a ping within ``SessionConfiguration/timeout``.
    private func isReachable(_ longTerm: any LongTermMemory) async -> Bool {
        do {
            try await withDeadline(configuration.timeout) { try await longTerm.ping() }
            return true
        } catch {
            return false
        }
    }

    private var isMarkedUnavailable: Bool {
        unavailableUntil.withLock { until in until.map { ContinuousClock.now < $0 } ?? false }
    }

    private func markUnavailable() {
        let until = ContinuousClock.now + configuration.retryAfter
        unavailableUntil.withLock { $0 = until }
    }

    private func markAvailable() {
        unavailableUntil.withLock { $0 = nil }
    }

    /// Calls the long-term store within the timeout. Unreachable, slow, recently unreachable or
    /// not configured: `MemoryGraphError(.unavailable)`. Other errors pass through.
    private func remote<T: Sendable>(
        _ operation: String, detail: String? = nil, _ body: @escaping @Sendable (any LongTermMemory) async throws -> T
    ) async throws -> T {
        func unavailable(_ reason: String) -> MemoryGraphError {
            MemoryGraphError(
                code: .unavailable, message: "database unavailable (\(reason))" + (detail.map { "; \($0)" } ?? ""),
                operation: operation)
        }
        guard let longTerm else { throw unavailable("no database is configured for this process") }
        guard !isMarkedUnavailable else { throw unavailable("it could not be reached moments ago") }
        do {
            let value = try await withDeadline(configuration.timeout) { try await body(longTerm) }
            markAvailable()
            return value
        } catch is DeadlineExceeded {
            markUnavailable()
            throw unavailable("no answer within \(configuration.timeout)")
        } catch let error where longTerm.isUnavailable(error) {
            markUnavailable()
            throw unavailable("\(error)")
        }
    }
}

/// What a write through a session became.
public struct SessionWrite: Sendable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// In Postgres now.
        case applied
        /// In the outbox: it will be applied, in order, once Postgres is reachable.
        case queued
        /// A temporary_state node: kept in the session only.
        case local
    }

    public var status: Status
    /// The outbox operation (nil for `.local`).
    public var operationID: UUID?
    /// The store's answer, when applied.
    public var outcome: OperationOutcome?
    /// The node written, when known (applied `remember`, or `.local`).
    public var nodeID: UUID?

    /// How a later `relate` of this session can name the node this write stored.
    public var reference: NodeReference? {
        if let nodeID { return .id(nodeID) }
        return operationID.map(NodeReference.operation)
    }
}

/// What a flush did.
public struct FlushReport: Sendable, Equatable, Codable {
    /// Writes applied (or found already applied) by this flush.
    public var applied = 0
    /// Writes the store refused; they are set aside as failed.
    public var failed = 0
    /// True when the outbox was emptied of everything that could be applied.
    public var complete = false
    /// Why the flush stopped early (Postgres unreachable, say).
    public var error: String?

    public init() {}
}
