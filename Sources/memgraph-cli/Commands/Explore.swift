import ArgumentParser
import Foundation
import MemoryGraph
import Repositories

extension Memgraph {
    struct Explore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the graph around a node: a tree, JSON, Graphviz DOT, Mermaid or a PNG picture.",
            discussion: """
                Walks relationships in both directions from the node under KEY, up to --depth edges. \
                text is an indented tree: each node under the node it was reached from, with the \
                relationship's type and strength, "->" for an edge leaving the parent and "<-" for one \
                arriving; edges outside the tree are listed after it. png is drawn by Graphviz's dot \
                (scripts/setup installs it) and needs --output, or a redirected stdout.

                Examples:
                  memgraph explore acme-corp --user demo-consultant
                  memgraph explore acme-corp --user demo-consultant --depth 1 --format mermaid
                  memgraph explore acme-corp --user demo-consultant --format dot | dot -Tsvg > acme.svg
                  memgraph explore acme-corp --user demo-consultant --format png --output acme.png
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, json, dot, mermaid, png
        }

        @Argument(help: ArgumentHelp("The key of the node to start from.", valueName: "key"))
        var key: String
        @OptionGroup var user: UserOptions
        @Option(help: ArgumentHelp("How many edges away to go (0 to 10).", valueName: "n"))
        var depth = 2
        @Option(help: "text, json, dot, mermaid or png.")
        var format: Format = .text
        @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
        var output: String?
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard RemQuery.depthRange.contains(depth) else {
                throw ValidationError("--depth must be from \(RemQuery.depthRange.lowerBound) to \(RemQuery.depthRange.upperBound)")
            }
            if format == .png, output == nil, CLI.isTerminal(1) {
                throw ValidationError("--format png writes a binary image: give --output FILE.png, or redirect stdout to a file")
            }
        }

        func run() async throws {
            let (user, key, depth) = (user.userID, key, depth)
            let renderer = try await CLI.withService(connection) { service in try await service.explore(user, .key(key), depth: depth) }
            let data: Data
            switch format {
            case .text: data = Data((renderer.text + "\n").utf8)
            case .dot: data = Data((renderer.dot + "\n").utf8)
            case .mermaid: data = Data((renderer.mermaid + "\n").utf8)
            case .json: data = Data((CLI.jsonText(renderer.json) + "\n").utf8)
            case .png: data = try Graphviz.render(renderer.dot, format: "png")
            }
            if format != .text, let note = renderer.truncatedNote { CLI.note("memgraph: \(note)") }
            try CLI.write(data, to: output)
        }
    }
}

extension CLI {
    /// Writes a command's result to `path`, or to stdout when there is none.
    static func write(_ data: Data, to path: String?) throws {
        guard let path else {
            writeStandardOutput(data)
            return
        }
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw MemoryGraphError(code: .unavailable, message: "cannot write \(path): \(error.localizedDescription)")
        }
        note("memgraph: wrote \(path) (\(data.count) bytes)")
    }
}
