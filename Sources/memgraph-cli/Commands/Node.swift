import ArgumentParser
import Foundation
import MemoryGraph
import Operations
import Repositories

extension Memgraph {
    struct Node: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or remove one node by its key.",
            discussion: """
                Examples:
                  memgraph node get sarah-chen --user demo-consultant
                  memgraph node get sarah-chen --user demo-consultant --json
                  memgraph node rm ticket-4812 --user demo-consultant
                  memgraph node rm ticket-4812 --user demo-consultant --hard
                """,
            subcommands: [Get.self, Remove.self])
    }
}

extension Memgraph.Node {
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a node: summary, content, tags, metadata and access figures.",
            discussion: """
                Examples:
                  memgraph node get sarah-chen --user demo-consultant
                  memgraph node get acme-corp --user demo-consultant --json | jq .content.entity_data
                """)
        @Argument(help: ArgumentHelp("The node's key.", valueName: "key"))
        var key: String
        @OptionGroup var user: UserOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (user, key) = (user.userID, key)
            let node = try await CLI.withService(connection) { service in try await service.node(user, .key(key)) }
            if output.json {
                CLI.printJSON(Documents.fullJSON(node))
                return
            }
            var table = TextTable(header: ["key", Documents.label(node)])
            table.rows = [
                ["node_id", node.id?.uuidString.lowercased() ?? "?"],
                ["context_type", node.contextType.rawValue],
                ["summary", node.summary ?? ""],
                ["tags", node.tags.joined(separator: ", ")],
                ["base_relevance", Documents.decimal(node.baseRelevance)],
                ["created_at", node.createdAt.map(Documents.timestamp) ?? ""],
                ["last_accessed", node.lastAccessed.map(Documents.timestamp) ?? ""],
                ["access_count", node.accessCount.map(String.init) ?? ""],
            ]
            print(table.description)
            print("content:\n" + CLI.jsonText(.object(node.content)))
            if !node.metadata.isEmpty { print("metadata:\n" + CLI.jsonText(.object(node.metadata))) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Remove a node: hidden from every read (soft), or for good with --hard.",
            discussion: """
                A soft removal keeps the row for audit; --hard deletes it with its relationships and embeddings.

                Examples:
                  memgraph node rm ticket-4812 --user demo-consultant
                  memgraph node rm ticket-4812 --user demo-consultant --hard --json
                """)
        @Argument(help: ArgumentHelp("The node's key.", valueName: "key"))
        var key: String
        @Flag(help: "Delete for good, with relationships and embeddings.")
        var hard = false
        @OptionGroup var user: UserOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (user, key, hard) = (user.userID, key, hard)
            let node = try await CLI.withService(connection) { service in try await service.forget(user, .key(key), hard: hard) }
            let id = node.id!.uuidString.lowercased()
            if output.json {
                CLI.printJSON(Documents.forgotten(node, hard: hard))
            } else {
                print("removed \(key) (node \(id))\(hard ? " for good" : "")")
            }
        }
    }
}
