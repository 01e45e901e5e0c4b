import ArgumentParser
import Foundation
import MemoryGraph
import Repositories

extension Memgraph {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a small CRM graph for a user and run LOOKUP and FUZZY on it (a first run).",
            discussion: """
                Starts the embedded database if needed, migrates it, stores an account, two contacts \
                and a fact, relates them, then looks them up. Running it again merges into the same \
                nodes (entity dedup) instead of adding new ones.

                Examples:
                  memgraph demo
                  memgraph demo --user alice --json
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(name: .customLong("user"), help: ArgumentHelp("The user to store the demo graph for.", valueName: "id"))
        var user = "demo"

        func validate() throws {
            do { _ = try UserID(user) } catch { throw ValidationError("--user: \(error)") }
        }

        func run() async throws {
            let user = try UserID(user)
            let json = output.json
            try await CLI.withStore(connection) { store in
                let nodes = [
                    MemoryNode(
                        contextType: .domainEntity, summary: "Acme Corp, a technology account",
                        content: [
                            "entity_system": "salesforce", "entity_id": "ACC-001", "entity_type": "Account",
                            "entity_name": "Acme Corp", "entity_data": ["industry": "Technology", "employees": 50],
                        ], tags: ["customer"]),
                    MemoryNode(
                        contextType: .domainEntity, summary: "Sarah Chen is the VP of engineering at Acme Corp",
                        content: [
                            "entity_system": "salesforce", "entity_id": "CON-001", "entity_type": "Contact",
                            "entity_name": "Sarah Chen", "entity_data": ["title": "VP Engineering"],
                        ]),
                    MemoryNode(
                        contextType: .domainEntity, summary: "Marcus Webb runs procurement at Acme Corp",
                        content: [
                            "entity_system": "salesforce", "entity_id": "CON-002", "entity_type": "Contact",
                            "entity_name": "Marcus Webb", "entity_data": ["title": "Head of Procurement"],
                        ]),
                    MemoryNode(
                        key: "acme-renewal", contextType: .conversationFact,
                        summary: "Acme's renewal is due in March and Sarah wants a security review first"),
                ]
                let (stored, _) = try await store.remember(
                    user, nodes,
                    relating: [
                        (from: 1, to: 0, type: .belongsTo, strength: 0.9, metadata: [:]),
                        (from: 2, to: 0, type: .belongsTo, strength: 0.8, metadata: [:]),
                        (from: 3, to: 0, type: .relatesTo, strength: 0.7, metadata: [:]),
                    ])
                let lookup = try await store.lookup(user, key: "sarah-chen")
                let fuzzy = try await store.fuzzy(user, text: "markus web")
                let stats = try await store.stats(user)
                if json {
                    CLI.printJSON([
                        "user": .string(user.rawValue),
                        "inserted": .number(Double(stored.filter(\.inserted).count)),
                        "merged": .number(Double(stored.filter { !$0.inserted }.count)),
                        "lookup": .string(lookup?.summary ?? ""),
                        "fuzzy": .array(fuzzy.map { ["key": .string($0.node.key ?? ""), "summary": .string($0.node.summary ?? ""), "score": .number($0.score)] }),
                        "total_nodes": .number(Double(stats.totalNodes)),
                    ])
                } else {
                    print("stored \(stored.count) memories for \(user): \(stored.filter(\.inserted).count) new, \(stored.filter { !$0.inserted }.count) merged")
                    print("LOOKUP sarah-chen      -> \(lookup?.summary ?? "(not found)")")
                    for hit in fuzzy {
                        print("FUZZY \"markus web\"     -> \(hit.node.summary ?? "") (score \(String(format: "%.2f", hit.score)))")
                    }
                    print("\(user) now has \(stats.totalNodes) nodes and \(stats.relationships) relationships")
                }
            }
        }
    }
}
