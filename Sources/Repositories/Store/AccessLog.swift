import Foundation
import Logging
import ServiceLifecycle
import MemoryGraph
import Synchronization

/// Reads counted as accesses, off the read path: a read only adds its nodes to this buffer (a
/// lock and a dictionary update); ``Database`` writes the counts in the background, about once a
/// second and when it stops, in one statement for all users (`memory.record_access`), so that
/// `access_count` and `last_accessed`, by which a session's cache ranks memories, follow reads.
///
/// Counted: LOOKUP hits, the rows FUZZY, SEARCH, RECALL and TRAVERSE return, and node reads by id.
public final class AccessLog: Sendable {
    struct Key: Hashable {
        var user: String
        var node: UUID
    }

    struct Pending {
        var count: Int
        var last: Date
    }

    /// Distinct nodes the buffer holds at most; reads past it (a flush failing for a long time)
    /// are not counted, and the next flush's warning says how many were not.
    static let capacity = 100_000

    private let state = Mutex((pending: [Key: Pending](), dropped: 0))
    private let enabled = Atomic(true)
    /// One flush at a time: a flush returns once every read recorded before it is written (or
    /// back in the buffer), even when a periodic flush had taken some of them.
    let flushLock = AsyncLock()

    init() {}

    /// Whether reads are counted (default true). `bench store` turns it off and on to show what
    /// counting costs a read.
    public var isEnabled: Bool {
        get { enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }

    /// Counts one read of each of `nodes` (repeats count again).
    func record(_ user: UserID, _ nodes: some Sequence<UUID>) {
        guard isEnabled else { return }
        let now = Date()
        state.withLock { state in
            for node in nodes {
                let key = Key(user: user.rawValue, node: node)
                if var entry = state.pending[key] {
                    entry.count += 1
                    entry.last = now
                    state.pending[key] = entry
                } else if state.pending.count < Self.capacity {
                    state.pending[key] = Pending(count: 1, last: now)
                } else {
                    state.dropped += 1
                }
            }
        }
    }

    /// Reads waiting to be written.
    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Takes what is buffered; `restore` puts it back (a failed write).
    func take() -> (entries: [Key: Pending], dropped: Int) {
        state.withLock { state in
            defer { state = ([:], 0) }
            return (state.pending, state.dropped)
        }
    }

    func restore(_ entries: [Key: Pending]) {
        state.withLock { state in
            for (key, entry) in entries {
                if var current = state.pending[key] {
                    current.count += entry.count
                    current.last = max(current.last, entry.last)
                    state.pending[key] = current
                } else if state.pending.count < Self.capacity {
                    state.pending[key] = entry
                } else {
                    state.dropped += entry.count
                }
            }
        }
    }
}

extension Database {
    /// Writes the buffered accesses (``AccessLog``). A failure before the statement went out puts
    /// them back for the next try; one after it leaves them (they may have been counted).
    /// - Throws: `RepositoriesError`.
    public func flushAccesses() async throws {
        try await flushAccesses(waiting: true)
    }

    /// A flush; `waiting: false` skips it when another is running (the periodic flush, so that
    /// one that hangs cannot pile up more behind it).
    func flushAccesses(waiting: Bool) async throws {
        if waiting {
            await accessLog.flushLock.lock()
        } else if !accessLog.flushLock.tryLock() {
            return
        }
        defer { accessLog.flushLock.unlock() }
        let (entries, dropped) = accessLog.take()
        if dropped > 0 {
            logger.warning("reads were not counted as accesses: the buffer was full", metadata: ["reads": "\(dropped)"])
        }
        guard !entries.isEmpty else { return }
        let list = Array(entries)
        let skipped: [AccessLog.Key]
        // Whether the statement may have reached the server. A flush cut off after that (the
        // periodic flush's deadline cancels it under load) may have been counted all the same:
        // cancelling the task does not stop the statement, which commits. Putting its reads back
        // counted them twice (a test saw three LOOKUPs counted six times), so they are put back
        // only when the statement never went out; otherwise they are left uncounted, and logged.
        let sent = Atomic(false)
        do {
            skipped = try await withConnection(operation: "record accesses") { connection in
                var skipped: [AccessLog.Key] = []
                sent.store(true, ordering: .relaxed)
                let rows = try await connection.queryUnlessClosed(
                    """
                    SELECT user_id, node_id FROM memory.record_access(\(list.map(\.key.user)), \(list.map(\.key.node)),
                        \(list.map { $0.value.count }), \(list.map { $0.value.last }))
                    """, logger: logger)
                for try await (user, node) in rows.decode((String, UUID).self) { skipped.append(AccessLog.Key(user: user, node: node)) }
                return skipped
            }
        } catch {
            if sent.load(ordering: .relaxed) {
                let reads = entries.values.reduce(0) { $0 + $1.count }
                logger.warning(
                    "reads may not have been counted as accesses: the flush was cut off after its statement went out, which may have counted them",
                    metadata: ["reads": "\(reads)", "error": "\(error)"])
            } else {
                accessLog.restore(entries)
            }
            throw error
        }
        // Nodes a writer held: counted at the next flush.
        if !skipped.isEmpty {
            let held = Set(skipped)
            accessLog.restore(entries.filter { held.contains($0.key) })
        }
    }

    /// Flushes the accesses every `interval` until cancelled or a graceful shutdown (then once
    /// more, unless cancelled: a cancelled task's lease fails at once).
    func flushAccessesPeriodically(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            await flushAccessesLogging()
        }
        if !Task.isCancelled { await flushAccessesLogging(waiting: true) }
    }

    /// One flush, bounded (`deadline`), its failure logged: for the periodic flush and a process's
    /// last (`waiting`: after the one running, if any; else skipped while one runs).
    func flushAccessesLogging(waiting: Bool = false, deadline: Duration = .seconds(5)) async {
        do {
            try await withDeadline(deadline) { try await self.flushAccesses(waiting: waiting) }
        } catch {
            logger.warning("could not record reads as accesses", metadata: ["error": "\(error)"])
        }
    }
}
