import ArgumentParser
import Foundation
import MemoryGraph
import Operations

extension Memgraph {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a user's graph as fixture JSONL: nodes with keys, content and dates, then relationships.",
            discussion: """
                The output imports as it is (memgraph import FILE --user OTHER gives the same graph: same \
                keys, content and relationships; embeddings are computed again). Soft-removed nodes are \
                left out. A keyless node that a relationship touches, and a node whose entity name gives \
                another node's key, are written with the key node-<id>. --output is created readable \
                by you only (mode 600).

                Examples:
                  memgraph export --user demo-consultant --output backup.jsonl
                  memgraph export --user alice | memgraph import /dev/stdin --user alice-copy
                """)
        @OptionGroup var user: UserOptions
        @Option(name: .customLong("output"), help: ArgumentHelp("The file to write (else stdout).", valueName: "file"))
        var output: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (user, output) = (user.userID, output)
            let counts = try await CLI.withService(connection) { service in
                guard try await service.userExists(user) else {
                    throw MemoryGraphError.notFound("user \(user) has no memories to export")
                }
                guard let output else {
                    return try await service.export(user) { line in CLI.writeStandardOutput(Data((line + "\n").utf8)) }
                }
                // Memories: readable by their owner only (created 0600, no window at another mode).
                try PrivateFile.write(Data(), to: URL(fileURLWithPath: output))
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
                defer { try? handle.close() }
                return try await service.export(user) { line in try handle.write(contentsOf: Data((line + "\n").utf8)) }
            }
            CLI.note("memgraph: exported \(counts.nodes) nodes and \(counts.relationships) relationships of \(user)\(output.map { " to \($0)" } ?? "")")
        }
    }
}
