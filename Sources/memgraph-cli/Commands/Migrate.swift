import ArgumentParser
import Foundation
import MemoryGraph
import Repositories

extension Memgraph {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending schema migrations (every other command also does this on first use).",
            discussion: """
                Examples:
                  memgraph migrate
                  memgraph migrate --database-url postgresql://admin:secret@db:5432/memgraph
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let startup = try await Database.withDatabase(try connection.load(), logger: CLI.logger) { $0.startup }
            if output.json {
                CLI.printJSON([
                    "schema_version": .number(Double(startup.schemaVersion)),
                    "applied": .array(startup.appliedMigrations.map { .number(Double($0)) }),
                ])
            } else if startup.appliedMigrations.isEmpty {
                CLI.note("memgraph: schema is current (version \(startup.schemaVersion))")
            } else {
                CLI.note("memgraph: applied migrations \(startup.appliedMigrations); schema is at version \(startup.schemaVersion)")
            }
        }
    }
}
