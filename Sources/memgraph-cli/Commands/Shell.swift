import ArgumentParser
import Foundation
import MemoryGraph
import Repositories

extension Memgraph {
    struct Shell: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An interactive prompt for REM queries and for walking the graph node by node.",
            discussion: """
                Commands (type help inside):
                  LOOKUP/FUZZY/SEARCH/TRAVERSE …   a REM query, printed as a table
                  open KEY | open #N               make a node current (#N: row N of the last table)
                  neighbours [out|in|both]         the current node's neighbours
                  back                             the node that was current before
                  history, !!, !N                  this session's commands; run the last, or the Nth, again
                  help, quit                       (end of input quits too)

                When stdin is not a terminal (a pipe or a file), there is no banner and no prompt: \
                stdout holds only results, messages go to stderr, every line is run even after an \
                error, and the exit status is 1 if any line failed. Lines starting with # are comments.

                Examples:
                  memgraph shell --user demo-consultant
                  printf 'LOOKUP sarah-chen\\nopen sarah-chen\\nneighbours\\n' | memgraph shell --user demo-consultant
                """)
        @OptionGroup var user: UserOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let user = user.userID
            let interactive = CLI.isTerminal(0)
            let (failed, total) = try await CLI.withService(connection) { service in
                var session = ShellSession(service: service, user: user, interactive: interactive)
                return await session.run()
            }
            if failed > 0, !interactive {
                throw MemoryGraphError(
                    code: .invalidInput, message: "\(failed) of \(total) command\(total == 1 ? "" : "s") failed", operation: "shell")
            }
        }
    }
}
