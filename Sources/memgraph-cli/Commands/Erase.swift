import ArgumentParser
import Foundation
import MemoryGraph
import Operations

extension Memgraph {
    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete everything of one user: memories, relationships, vectors, jobs, counters, sessions.",
            discussion: """
                Without --yes, says what it would delete and changes nothing. With --yes, deletes the \
                user's SQLite sessions and outbox entries, then every row of the user in every memory \
                table in one Postgres transaction, which also revokes the API keys scoped to the user. Other users are not touched. There is no undo: \
                memgraph export first if you may want the graph back.

                Examples:
                  memgraph erase --user alice           # what would go
                  memgraph erase --user alice --yes
                """)
        @OptionGroup var user: UserOptions
        @Flag(help: "Delete for real.")
        var yes = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (user, yes) = (user.userID, yes)
            let report = try await CLI.withService(connection) { service in try await service.erase(user, confirm: yes) }
            // As the HTTP route (404 unknown_user) and export: a user with nothing is an error, not zero rows.
            guard report.total > 0 else { throw MemoryGraphError.notFound("user \(user) has nothing to erase") }
            if output.json {
                CLI.printJSON(Documents.erased(report))
                return
            }
            var table = TextTable(header: ["TABLE", yes ? "DELETED" : "WOULD DELETE"])
            for row in report.postgres.rows {
                table.rows.append([row.table == "api_keys" ? "memory.api_keys (revoked)" : "memory.\(row.table)", String(row.count)])
            }
            table.rows.append(["sessions (SQLite)", String(report.sessions)])
            table.rows.append(["outbox (SQLite)", String(report.outbox)])
            print(table.description)
            if !yes {
                CLI.note("memgraph: nothing was deleted; run again with --yes to erase \(report.total) rows of \(user)")
            } else {
                CLI.note("memgraph: erased \(report.total) rows of \(user)")
            }
        }
    }
}
