import ArgumentParser
import Foundation
import MemoryGraph
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
            let path = try await CLI.withStore(connection) { store in
                let start = try await CLI.node(store, user, key: from)
                let goal = try await CLI.node(store, user, key: to)
                return try await store.shortestPath(
                    user, from: start.id!, to: goal.id!, maxDepth: maxDepth, types: types, direction: direction)
            }
            guard let path else {
                throw MemoryGraphError(
                    code: .notFound,
                    message: "no path from \(from) to \(to) within \(maxDepth) edges; try a larger --max-depth or --direction both")
            }
            if output.json {
                let keys = Dictionary(
                    path.nodes.compactMap { node in node.lookupKey.map { (node.id!, $0) } }, uniquingKeysWith: { first, _ in first })
                CLI.printJSON([
                    "length": .number(Double(path.length)),
                    "nodes": .array(path.nodes.map { CLI.json($0) }),
                    "edges": .array(path.edges.map { CLI.json($0, keys: keys) }),
                ])
            } else {
                print(Self.text(path))
            }
        }

        /// `sarah-chen -[belongs_to 0.80]-> acme-corp <-[relates_to 0.70]- deal`, then one line per node.
        static func text(_ path: GraphPath) -> String {
            var line = CLI.label(path.nodes[0])
            for (edge, node) in zip(path.edges, path.nodes.dropFirst()) {
                let label = "\(edge.type.rawValue) \(CLI.decimal(edge.strength))"
                line += edge.to == node.id ? " -[\(label)]-> " : " <-[\(label)]- "
                line += CLI.label(node)
            }
            var table = TextTable(header: ["STEP", "KEY", "CONTEXT TYPE", "SUMMARY"])
            for (step, node) in path.nodes.enumerated() {
                table.rows.append([String(step), CLI.label(node), node.contextType.rawValue, CLI.shortened(node.summary, to: 80)])
            }
            return "\(line)\n(\(path.length) edge\(path.length == 1 ? "" : "s"))\n\n\(table.description)"
        }
    }
}

extension Direction: ExpressibleByArgument {}
extension RelationshipType: ExpressibleByArgument {}
