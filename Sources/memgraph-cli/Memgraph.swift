import ArgumentParser
import Foundation
import MemoryGraph
import Operations
import Repositories

@main
struct Memgraph: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgraph",
        abstract: "A user-scoped memory graph on PostgreSQL with pgvector and pg_trgm.",
        discussion: """
            With neither DATABASE_URL nor POSTGRES_HOST set, memgraph runs its own PostgreSQL under \
            MEMGRAPH_HOME (default ./.memgraph), starting it on demand. Run scripts/setup once first.

            Results go to stdout and messages to stderr; --json prints one JSON document. \
            Exit status: 0 ok, 1 error, 2 wrong usage (including a REM query that does not parse).

            Examples:
              memgraph import fixtures/crm.json --user demo-consultant
              memgraph query 'FUZZY sara chen' --user demo-consultant
              memgraph explore acme-corp --user demo-consultant --depth 1
              memgraph shell --user demo-consultant
              memgraph serve                       # the HTTP API and MCP at http://127.0.0.1:8420
              source <(memgraph --generate-completion-script bash)
            """,
        subcommands: [
            Query.self, Import.self, Explore.self, Path.self, Shell.self, Stats.self, Node.self, Relate.self,
            Serve.self, MCPCommand.self, Keys.self, Token.self, Export.self, Erase.self,
            Cleanup.self, Demo.self, Config.self, DB.self, Migrate.self, Reindex.self, Worker.self, Jobs.self, Health.self, Embed.self, Bench.self, Session.self,
        ]
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
            let message = (error is RepositoriesError || error is MemoryGraphError || error is Failure || error is FixtureProblems)
                ? "error: \(error)" : fullMessage(for: error)
            FileHandle.standardError.write(Data(("memgraph: " + message + "\n").utf8))
            Foundation.exit(code == .validationFailure ? 2 : 1)
        }
    }
}
