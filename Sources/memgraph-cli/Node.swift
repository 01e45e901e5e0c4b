import ArgumentParser
import Foundation
import MemoryGraph
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

    struct Relate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Relate two nodes by their keys (again: updates the strength).",
            discussion: """
                The relationship goes from FROM to TO. Types: led_to, relates_to, depends_on, produces, belongs_to.

                Examples:
                  memgraph relate sarah-chen acme-corp --type belongs_to --user demo-consultant
                  memgraph relate ticket-4812 acme-corp --type relates_to --strength 0.6 --user demo-consultant --json
                """)
        @Argument(help: ArgumentHelp("The key of the node the relationship leaves.", valueName: "from"))
        var from: String
        @Argument(help: ArgumentHelp("The key of the node it points at.", valueName: "to"))
        var to: String
        @Option(name: .customLong("type"), help: ArgumentHelp(
            "led_to, relates_to, depends_on, produces or belongs_to.", valueName: "type"))
        var type: RelationshipType
        @Option(help: ArgumentHelp("From 0 to 1.", valueName: "s"))
        var strength = 1.0
        @OptionGroup var user: UserOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard (0...1).contains(strength) else { throw ValidationError("--strength must be from 0 to 1") }
        }

        func run() async throws {
            let (user, from, to, type, strength) = (user.userID, from, to, type, strength)
            let outcome = try await CLI.withStore(connection) { store in
                let start = try await CLI.node(store, user, key: from)
                let end = try await CLI.node(store, user, key: to)
                return try await store.relate(user, from: start.id!, to: end.id!, type: type, strength: strength)
            }
            if output.json {
                CLI.printJSON([
                    "relationship_id": .string(outcome.id.uuidString.lowercased()), "inserted": .bool(outcome.inserted),
                    "from_key": .string(from), "to_key": .string(to), "type": .string(type.rawValue), "strength": .number(strength),
                ])
            } else {
                print("\(from) -[\(type.rawValue) \(CLI.decimal(strength))]-> \(to) (\(outcome.inserted ? "new" : "updated"))")
            }
        }
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
            let node = try await CLI.withStore(connection) { store in try await CLI.node(store, user, key: key) }
            if output.json {
                CLI.printJSON(CLI.fullJSON(node))
                return
            }
            var table = TextTable(header: ["key", CLI.label(node)])
            table.rows = [
                ["node_id", node.id?.uuidString.lowercased() ?? "?"],
                ["context_type", node.contextType.rawValue],
                ["summary", node.summary ?? ""],
                ["tags", node.tags.joined(separator: ", ")],
                ["base_relevance", CLI.decimal(node.baseRelevance)],
                ["created_at", node.createdAt.map(CLI.timestamp) ?? ""],
                ["last_accessed", node.lastAccessed.map(CLI.timestamp) ?? ""],
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
            let node = try await CLI.withStore(connection) { store in
                let node = try await CLI.node(store, user, key: key)
                try await store.forget(user, id: node.id!, hard: hard)
                return node
            }
            let id = node.id!.uuidString.lowercased()
            if output.json {
                CLI.printJSON(["removed": .bool(true), "hard": .bool(hard), "node_id": .string(id), "key": .string(key)])
            } else {
                print("removed \(key) (node \(id))\(hard ? " for good" : "")")
            }
        }
    }
}
