import ArgumentParser
import Foundation
import MemoryGraph
import Operations
import Repositories

extension Memgraph {
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
            if let problem = MemoryNode.scoreProblem(strength) { throw ValidationError("--strength: \(problem)") }
        }

        func run() async throws {
            let (user, from, to, type, strength) = (user.userID, from, to, type, strength)
            let outcome = try await CLI.withService(connection) { service in
                try await service.relate(user, from: .key(from), to: .key(to), type: type, strength: strength)
            }
            if output.json {
                CLI.printJSON(Documents.related(outcome.relationship, inserted: outcome.inserted, from: outcome.from, to: outcome.to))
            } else {
                print("\(from) -[\(type.rawValue) \(Documents.decimal(strength))]-> \(to) (\(outcome.inserted ? "new" : "updated"))")
            }
        }
    }
}
