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
                left out. A node with no key of its own that a relationship touches is written with the \
                key node-<id>, so the relationship can name it.

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
                let handle: FileHandle
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: nil) else {
                        throw MemoryGraphError.invalidInput("cannot write \(output)", operation: "export")
                    }
                    handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
                } else {
                    handle = FileHandle.standardOutput
                }
                defer { if output != nil { try? handle.close() } }
                return try await service.export(user) { line in handle.write(Data((line + "\n").utf8)) }
            }
            CLI.note("memgraph: exported \(counts.nodes) nodes and \(counts.relationships) relationships of \(user)\(output.map { " to \($0)" } ?? "")")
        }
    }
}
