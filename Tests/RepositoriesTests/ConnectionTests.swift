import Foundation
import PostgresNIO
import Testing
@testable import Repositories

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
