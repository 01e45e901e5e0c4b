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
    /// Writes the buffered accesses (``AccessLog``). A failure puts them back for the next try.
    /// - Throws: `RepositoriesError`.
    public func flushAccesses() async throws {
        let (entries, dropped) = accessLog.take()
        if dropped > 0 {
            logger.warning("reads were not counted as accesses: the buffer was full", metadata: ["reads": "\(dropped)"])
        }
        guard !entries.isEmpty else { return }
        // Sorted, so that two flushes (two processes) lock the same nodes in the same order.
        let sorted = entries.sorted { ($0.key.user, $0.key.node.uuidString) < ($1.key.user, $1.key.node.uuidString) }
        do {
            try await withConnection(operation: "record accesses") { connection in
                _ = try await connection.query(
                    """
                    SELECT memory.record_access(\(sorted.map(\.key.user)), \(sorted.map(\.key.node)),
                        \(sorted.map { $0.value.count }), \(sorted.map { $0.value.last }))
                    """, logger: logger
                ).collect()
            }
        } catch {
            accessLog.restore(entries)
            throw error
        }
    }

    /// Flushes the accesses every `interval` until cancelled or a graceful shutdown, then once more.
    func flushAccessesPeriodically(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            await flushAccessesLogging()
        }
        await flushAccessesLogging()
    }

    private func flushAccessesLogging() async {
        do {
            try await flushAccesses()
        } catch {
            logger.warning("could not record reads as accesses; they are kept for the next try", metadata: ["error": "\(error)"])
        }
    }
}
