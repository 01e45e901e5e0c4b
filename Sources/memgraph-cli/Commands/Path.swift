import ArgumentParser
import Foundation
import MemoryGraph
import Operations
import Repositories

extension Memgraph {
    struct Path: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find a shortest path (fewest relationships) between two nodes.",
            discussion: """
                Relationships are followed in either direction unless --direction says otherwise, up \
                to --max-depth edges. No path within that many edges is an error (exit status 1).

                Examples:
                  memgraph path sarah-chen acme-platform-modernization --user demo-consultant
                  memgraph path api-gateway team-payments --user eng --direction out --json
                """)
        @Argument(help: ArgumentHelp("The key of the node to start from.", valueName: "from"))
        var from: String
        @Argument(help: ArgumentHelp("The key of the node to reach.", valueName: "to"))
        var to: String
        @OptionGroup var user: UserOptions
        @Option(name: .customLong("max-depth"), help: ArgumentHelp("The most edges to look across (1 to 10).", valueName: "n"))
        var maxDepth = 6
        @Option(help: ArgumentHelp("out (along edges), in (against them) or both.", valueName: "direction"))
        var direction: Direction = .both
        @Option(name: .customLong("type"), help: ArgumentHelp(
            "Follow only relationships of this type; repeat for several.", valueName: "type"))
        var types: [RelationshipType] = []
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard (1...MemoryStore.maximumPathDepth).contains(maxDepth) else {
                throw ValidationError("--max-depth must be from 1 to \(MemoryStore.maximumPathDepth)")
            }
        }

        func run() async throws {
            let (user, from, to, maxDepth, direction, types) = (user.userID, from, to, maxDepth, direction, Set(types))
            let path = try await CLI.withService(connection) { service in
                try await service.path(user, from: .key(from), to: .key(to), maxDepth: maxDepth, types: types, direction: direction)
            }
            if output.json {
                CLI.printJSON(Documents.path(path))
            } else {
                print(Self.text(path))
            }
        }

        /// `sarah-chen -[belongs_to 0.80]-> acme-corp <-[relates_to 0.70]- deal`, then one line per node.
        static func text(_ path: GraphPath) -> String {
            var line = Documents.label(path.nodes[0])
            for (edge, node) in zip(path.edges, path.nodes.dropFirst()) {
                let label = "\(edge.type.rawValue) \(Documents.decimal(edge.strength))"
                line += edge.to == node.id ? " -[\(label)]-> " : " <-[\(label)]- "
                line += Documents.label(node)
            }
            var table = TextTable(header: ["STEP", "KEY", "CONTEXT TYPE", "SUMMARY"])
            for (step, node) in path.nodes.enumerated() {
                table.rows.append([String(step), Documents.label(node), node.contextType.rawValue, Documents.shortened(node.summary, to: 80)])
            }
            return "\(line)\n(\(path.length) edge\(path.length == 1 ? "" : "s"))\n\n\(table.description)"
        }
    }
}

extension Direction: ExpressibleByArgument {}
extension RelationshipType: ExpressibleByArgument {}
