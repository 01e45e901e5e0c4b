import ArgumentParser
import Foundation
import MemoryGraph
import Repositories

extension Memgraph {
    struct DB: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "db",
            abstract: "Manage the embedded PostgreSQL cluster under MEMGRAPH_HOME.",
            discussion: """
                Examples:
                  memgraph db start
                  memgraph db status --json
                  psql "$(memgraph db url --show-password)"
                  MEMGRAPH_HOME=/tmp/other memgraph db start   # a second cluster, on its own port
                """,
            subcommands: [Start.self, Stop.self, Status.self, URLCommand.self]
        )
    }
}

extension Memgraph.DB {
    struct HomeOptions: ParsableArguments {
        @Option(name: .customLong("home"), help: ArgumentHelp(
            "Data directory (else MEMGRAPH_HOME; default ./.memgraph).", valueName: "dir"))
        var home: String?

        func cluster() throws -> EmbeddedPostgres {
            let settings = try Settings.load(flags: home.map { ["MEMGRAPH_HOME": $0] } ?? [:])
            return try EmbeddedPostgres(home: MemgraphHome(environment: settings.values), logger: CLI.logger)
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the cluster if needed, start it, migrate the schema, and wait until it is ready.")
        @OptionGroup var home: HomeOptions

        func run() async throws {
            let cluster = try home.cluster()
            // This cluster, whatever DATABASE_URL or POSTGRES_HOST say.
            let settings = try Settings.load(flags: ["MEMGRAPH_HOME": cluster.home.home.path]).values
            let configuration = try DatabaseConfiguration.load(values: settings.filter { !["DATABASE_URL", "POSTGRES_HOST"].contains($0.key) })
            let startup = try await Database.withDatabase(configuration, logger: CLI.logger) { $0.startup }
            let info = try cluster.connectionInfo()
            CLI.note(
                "memgraph: postgres is running in \(cluster.home.home.path) on 127.0.0.1:\(info?.port ?? 0)"
                    + (startup.createdCluster ? " (created)" : "")
                    + (startup.appliedMigrations.isEmpty ? "" : ", applied migrations \(startup.appliedMigrations)"))
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster (fast shutdown; committed data is kept).")
        @OptionGroup var home: HomeOptions

        func run() async throws {
            let cluster = try home.cluster()
            try cluster.stop()
            CLI.note("memgraph: postgres in \(cluster.home.home.path) is stopped")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the cluster is running, stopped or not created.")
        @OptionGroup var home: HomeOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let cluster = try home.cluster()
            let status = try cluster.status()
            let port = try cluster.connectionInfo()?.port
            if output.json {
                CLI.printJSON([
                    "status": .string(status.rawValue), "home": .string(cluster.home.home.path),
                    "port": port.map { .number(Double($0)) } ?? .null,
                ])
            } else {
                print("\(status.rawValue)\t\(cluster.home.home.path)" + (port.map { "\t127.0.0.1:\($0)" } ?? ""))
            }
        }
    }

    struct URLCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url", abstract: "Print the cluster's superuser URL, its password masked unless --show-password.",
            discussion: """
                A URL on a command line is visible to every user of the machine (ps, /proc), and so is a \
                password in it. The password is in MEMGRAPH_HOME/credentials.json (mode 600); for psql, \
                prefer a password file: PGPASSFILE=FILE with the line 127.0.0.1:PORT:memgraph:postgres:PASSWORD.

                Examples:
                  memgraph db url                     # postgresql://postgres:***@127.0.0.1:…/memgraph
                  psql "$(memgraph db url --show-password)"
                """)
        @OptionGroup var home: HomeOptions
        @Flag(name: .customLong("show-password"), help: "Print the password in the URL.")
        var showPassword = false

        func run() async throws {
            let cluster = try home.cluster()
            guard let info = try cluster.connectionInfo() else {
                throw RepositoriesError(.embeddedCluster, "no cluster in \(cluster.home.home.path) yet: run memgraph db start")
            }
            print(showPassword ? info.superuserURL : info.superuserURL.replacingOccurrences(of: ":\(info.superuserPassword)@", with: ":***@"))
        }
    }
}
