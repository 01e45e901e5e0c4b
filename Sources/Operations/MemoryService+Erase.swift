import Foundation
import MemoryGraph
import Repositories

extension MemoryService {
    /// What an erase deleted (or, when `erased` is false, would delete).
    public struct EraseReport: Sendable, Equatable {
        public var user: UserID
        public var erased: Bool
        public var postgres: UserFootprint
        /// Sessions and outbox entries in SQLite.
        public var sessions: Int
        public var outbox: Int

        public var total: Int { postgres.total + sessions + outbox }
    }

    /// Deletes everything of `user`: first their SQLite sessions and outbox entries (so that no queued
    /// write of theirs can land after the erase), then every memory table's rows in one Postgres
    /// transaction. Other users are not touched. With `confirm` false, counts and changes nothing.
    /// - Throws: `RepositoriesError`, `MemoryGraphError` (`.storage` for SQLite).
    public func erase(_ user: UserID, confirm: Bool) async throws -> EraseReport {
        let local = try await sessions()?.erase(user: user, dryRun: !confirm) ?? (sessions: 0, outbox: 0)
        let postgres = confirm ? try await store.erase(user) : try await store.footprint(user)
        logger.notice("erase", metadata: ["erased": "\(confirm)", "rows": "\(postgres.total + local.sessions + local.outbox)"])
        return EraseReport(user: user, erased: confirm, postgres: postgres, sessions: local.sessions, outbox: local.outbox)
    }
}
