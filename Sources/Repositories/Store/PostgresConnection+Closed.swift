import Logging
import MemoryGraph
import PostgresNIO

extension PostgresConnection {
    /// `query(_:logger:)`, except that it throws when the connection closes before the query was
    /// handed to it, instead of waiting forever.
    ///
    /// postgres-nio 1.33 writes a query to its channel without a promise. When the server ends the
    /// connection between the lease and the write (a Postgres restart while the caller encodes its
    /// binds), the write fails silently and the query never returns, not even when cancelled
    /// (seen in the embedding worker: the connection closed with 57P01 and the `complete` that had
    /// leased it waited until the process was killed). This polls `isClosed` while the query is
    /// outstanding and gives up on it once the connection has been closed for two polls (a query
    /// that was sent fails by itself by then). The abandoned call is left to the closed channel.
    ///
    /// Only the call that returns the row sequence is guarded: once the handler holds the query,
    /// a close fails it, and iterating the rows fails with it.
    @discardableResult
    func queryUnlessClosed(
        _ query: PostgresQuery, logger: Logger, poll: Duration = .milliseconds(100)
    ) async throws -> PostgresRowSequence {
        try await withWatchdog {
            try await self.query(query, logger: logger)
        } watchdog: {
            var closedPolls = 0
            while (try? await Task.sleep(for: poll)) != nil {
                closedPolls = self.isClosed ? closedPolls + 1 : 0
                if closedPolls >= 2 {
                    logger.debug("a query was abandoned: its connection closed before it was sent", metadata: [
                        "psql_connection_id": "\(self.id)"])
                    return RepositoriesError(.connection, "the database connection closed before the query was sent")
                }
            }
            return nil
        }
    }
}

extension PostgresConnection {
    /// `withTransaction(logger:_:)`, except that it does not send ROLLBACK or COMMIT on a connection
    /// that Postgres has already ended (an `idle_in_transaction_session_timeout`, a restart):
    /// postgres-nio 1.33 would wait forever for their answer. The server ended the transaction
    /// with the connection; the body's error, or a connection error, is thrown.
    ///
    /// BEGIN, COMMIT and ROLLBACK are awaited whatever the caller's cancellation, as
    /// postgres-nio's own `withTransaction` does: one that arrived after the connection went back
    /// to the pool would land in the next caller's transaction.
    func transaction<T>(
        logger: Logger, isolation: isolated (any Actor)? = #isolation, _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> sending T {
        guard !isClosed else {
            throw RepositoriesError(.connection, "the database ended the connection before the transaction began")
        }
        try await query("BEGIN", logger: logger)
        let value: T
        do {
            value = try await body(self)
        } catch {
            if !isClosed {
                do {
                    try await query("ROLLBACK", logger: logger)
                } catch let rollback {
                    logger.debug("a rollback failed", metadata: ["error": "\(String(reflecting: rollback))"])
                }
            }
            throw error
        }
        guard !isClosed else {
            throw RepositoriesError(.connection, "the database ended the connection before the transaction could commit")
        }
        try await query("COMMIT", logger: logger)
        return value
    }
}
