import ArgumentParser
import Foundation
import MemoryGraph
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
            let (stats, jobs) = try await CLI.withStore(connection) { store in
                (try await store.stats(user), try await store.jobCounts(user))
            }
            if output.json {
                CLI.printJSON([
                    "user": .string(user.rawValue),
                    "total_nodes": .number(Double(stats.totalNodes)),
                    "nodes_by_context_type": .object(stats.nodesByContextType.mapValues { .number(Double($0)) }),
                    "entities": .number(Double(stats.entities)),
                    "relationships": .number(Double(stats.relationships)),
                    "embeddings": .number(Double(stats.embeddings)),
                    "embedding_jobs": [
                        "pending": .number(Double((jobs["pending"] ?? 0) + (jobs["processing"] ?? 0))),
                        "failed": .number(Double(jobs["failed"] ?? 0)),
                    ],
                    "last_activity": stats.lastActivity.map { .string(CLI.timestamp($0)) } ?? .null,
                ])
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
                table.rows.append(["last activity", stats.lastActivity.map(CLI.timestamp) ?? "never"])
                print(table.description)
            }
        }
    }
}
