import ArgumentParser
import Foundation
import MemoryGraph
import Operations
import Repositories

extension Memgraph {
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count a user's nodes (by context type), entities, relationships and embeddings.",
            discussion: """
                Soft-deleted nodes are not counted.

                Examples:
                  memgraph stats --user demo-consultant
                  memgraph stats --user demo-consultant --json
                """)
        @OptionGroup var user: UserOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let user = user.userID
            let (stats, jobs) = try await CLI.withService(connection) { service in try await service.stats(user) }
            if output.json {
                CLI.printJSON(Documents.stats(user, stats, jobs: jobs))
            } else {
                var table = TextTable(header: ["user", user.rawValue])
                table.rows.append(["nodes", String(stats.totalNodes)])
                for type in ContextType.allCases {
                    if let count = stats.nodesByContextType[type.rawValue] { table.rows.append(["  \(type.rawValue)", String(count)]) }
                }
                table.rows.append(["entities", String(stats.entities)])
                table.rows.append(["relationships", String(stats.relationships)])
                table.rows.append(["embeddings", String(stats.embeddings)])
                table.rows.append(["embedding jobs pending", String((jobs["pending"] ?? 0) + (jobs["processing"] ?? 0))])
                table.rows.append(["embedding jobs failed", String(jobs["failed"] ?? 0)])
                table.rows.append(["last activity", stats.lastActivity.map(Documents.timestamp) ?? "never"])
                print(table.description)
            }
        }
    }
}
