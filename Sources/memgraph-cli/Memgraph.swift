import ArgumentParser
import Foundation
import MemoryGraph
import Repositories

@main
struct Memgraph: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgraph",
        abstract: "A user-scoped memory graph on PostgreSQL with pgvector and pg_trgm.",
        discussion: """
            With neither DATABASE_URL nor POSTGRES_HOST set, memgraph runs its own PostgreSQL under \
            MEMGRAPH_HOME (default ./.memgraph), starting it on demand. Run scripts/setup once first.

            Exit status: 0 ok, 1 error, 2 wrong usage.
            """,
        subcommands: [Demo.self, DB.self, Migrate.self, Worker.self, Jobs.self, Health.self, Embed.self, Bench.self]
    )

    /// Exit status 2 for wrong usage (ArgumentParser's default is 64), 1 for every other error.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            // Our own errors are one sentence already; ArgumentParser's get its formatting.
            let message = (error is RepositoriesError || error is MemoryGraphError)
                ? "error: \(error)" : fullMessage(for: error)
            FileHandle.standardError.write(Data(("memgraph: " + message + "\n").utf8))
            Foundation.exit(code == .validationFailure ? 2 : 1)
        }
    }
}
