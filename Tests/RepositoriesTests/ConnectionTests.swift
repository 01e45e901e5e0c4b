import Foundation
import MemoryGraph
import PostgresNIO
import Testing
import _ConnectionPoolModule
@testable import Repositories

/// The pool's errors are the database being out of reach, answered as 503 `database_unavailable`:
/// with PostgreSQL stopped, `memgraph serve` answered 500 `internal` with the pool's type names.
@Suite("Pool errors", .timeLimit(.minutes(1)))
struct PoolErrorTests {
    @Test("a pool that cannot connect, or is shut down, or whose request was cancelled, is a connection failure")
    func poolErrorsAreConnectionFailures() {
        for error in [ConnectionPoolError.connectionCreationCircuitBreakerTripped, .poolShutdown, .requestCancelled] {
            let wrapped = RepositoriesError.wrap(error, operation: "authenticate")
            #expect(wrapped.code == .connection, "\(error)")
            #expect(!wrapped.message.contains("ConnectionPoolError"), "\(wrapped.message)")
        }
    }
}

@Suite("Queries on a connection that closes", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct ConnectionTests {
    @Test("a query sent after its connection closed throws instead of waiting forever", .timeLimit(.minutes(1)))
    func queryOnClosedConnection() async throws {
        let server = try TestDatabase.superuser()
        let connection = try await PostgresConnection.connect(
            configuration: try server.connectionConfiguration(timeout: .seconds(20)), id: 0, logger: TestDatabase.logger)
        let rows = try await connection.queryUnlessClosed("SELECT 1::int8", logger: TestDatabase.logger).collect()
        #expect(try rows.first?.decode(Int.self) == 1)
        try await connection.close()
        #expect(connection.isClosed)
        let start = ContinuousClock.now
        // postgres-nio's own query never returns here, so the error can only be the guard's.
        let error = await #expect(throws: RepositoriesError.self) {
            try await connection.queryUnlessClosed("SELECT 1::int8", logger: TestDatabase.logger)
        }
        #expect(error?.code == .connection)
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}

@Suite("Bounds on a statement's and a transaction's time", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(3)))
struct StatementTimeoutTests {
    @Test("the app's statements stop at MEMGRAPH_STATEMENT_TIMEOUT and its idle transactions at MEMGRAPH_IDLE_IN_TRANSACTION_TIMEOUT (issue 27, item 9)")
    func timeouts() async throws {
        let defaults = try DatabaseConfiguration.load(values: Settings.load(environment: [:]).values)
        #expect(defaults.statementTimeout == .seconds(120) && defaults.idleInTransactionTimeout == .seconds(300))
        #expect(throws: RepositoriesError.self) {
            try DatabaseConfiguration.load(values: Settings.load(environment: ["MEMGRAPH_STATEMENT_TIMEOUT": "soon"]).values)
        }
        // Access counting is on unless turned off (issue 27, item 13).
        #expect(defaults.countAccesses)
        #expect(try !DatabaseConfiguration.load(values: Settings.load(environment: ["MEMGRAPH_COUNT_ACCESSES": "false"]).values).countAccesses)
        #expect(throws: RepositoriesError.self) {
            try DatabaseConfiguration.load(values: Settings.load(environment: ["MEMGRAPH_COUNT_ACCESSES": "sometimes"]).values)
        }
        try await TestDatabase.withScratch { _, scratch in
            var configuration = scratch
            configuration.statementTimeout = .seconds(1)
            // 2 s, not 1: a loaded machine can stall a second between BEGIN and the next statement,
            // and a connection ended there hangs its next plain query (postgres-nio 1.33).
            configuration.idleInTransactionTimeout = .seconds(2)
            try await Database.withDatabase(configuration, logger: TestDatabase.logger) { database in
                let shown = try await database.withConnection(operation: "show") { connection in
                    try await connection.query("SELECT current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')",
                        logger: TestDatabase.logger).collect().first!.decode((String, String).self)
                }
                #expect(shown == ("1s", "2s"))
                do {
                    try await database.withConnection(operation: "sleep") { connection in
                        _ = try await connection.query("SELECT pg_sleep(5)", logger: TestDatabase.logger).collect()
                    }
                    Issue.record("a 5 s statement ran to its end")
                } catch let error as RepositoriesError {
                    #expect(error.sqlState == "57014" && error.message.contains("MEMGRAPH_STATEMENT_TIMEOUT"), "\(error)")
                }
                let user = freshUser()
                await #expect(throws: RepositoriesError.self) {
                    try await database.withUser(user, operation: "idle") { connection in
                        _ = try await connection.query("SELECT 1", logger: TestDatabase.logger).collect()
                        try await Task.sleep(for: .seconds(5))
                        // Postgres has ended the connection: a plain query on it would wait forever
                        // (postgres-nio 1.33), queryUnlessClosed fails.
                        _ = try await connection.queryUnlessClosed("SELECT 1", logger: TestDatabase.logger).collect()
                    }
                }
                // The pool goes on with new connections.
                let one = try await database.withConnection(operation: "after") { connection in
                    try await connection.query("SELECT 1", logger: TestDatabase.logger).collect().first!.decode(Int.self)
                }
                #expect(one == 1)
            }
        }
    }
}

@Suite("The embedded cluster's settings", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(1)))
struct EmbeddedSettingsTests {
    @Test("a new embedded cluster logs bulk writes with 2 GB between checkpoints, 64 MB of WAL buffers and no zero-filled WAL files")
    func writeAheadLogSettings() async throws {
        // The test cluster is created by this memgraph (scripts/test starts a fresh one).
        let shown = try await TestDatabase.asSuperuser { connection in
            try await connection.query(
                "SELECT current_setting('max_wal_size'), current_setting('wal_buffers'), current_setting('wal_init_zero')",
                logger: TestDatabase.logger
            ).collect().first?.decode((String, String, String).self)
        }
        #expect(shown?.0 == "2GB" && shown?.1 == "64MB" && shown?.2 == "off", "\(String(describing: shown))")
    }
}
