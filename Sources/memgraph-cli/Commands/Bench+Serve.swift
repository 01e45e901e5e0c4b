import ArgumentParser
import Benchmarks
import Foundation
import MemoryGraph
import Repositories

extension Memgraph.Bench {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "memgraph serve under concurrent clients over loopback, and MCP recall over stdio.",
            discussion: """
                Starts this binary's `memgraph serve --port 0` (with its embedding worker) against the \
                configured database, makes a service key, and loads a user with --nodes conversation \
                facts chained by led_to (imported with wait=embedded). Then --clients clients call it \
                for --seconds, each picking remember with wait=embedded (15%), LOOKUP (35%), SEARCH with \
                its query embedded (30%) or TRAVERSE DEPTH 2 (20%) (--mix changes the shares). By \
                default each client sends its next request when its last is answered, which saturates \
                the machine and measures throughput; --rate paces all clients together at that many \
                requests a second, which measures latency below saturation (each request timed from \
                when it was due, so a server that falls behind shows it). It reports each operation's rate, \
                p50/p95/p99 and errors, the server's peak resident memory (VmHWM), and the most Postgres \
                connections the server held (sampled every 100 ms, against --pool-size). Last, it runs \
                `memgraph mcp --user` and times --mcp-calls recall calls over stdio. The user and the key's \
                rows are erased afterwards (the key is left, revoked: memgraph keys list).

                targets: the issue's goals on a 2-core machine (0 errors, connections within the pool, \
                LOOKUP p50 <= 1 ms, SEARCH p50 <= 10 ms, sync remember >= 150/s, RSS <= 300 MB, MCP \
                recall p50 <= 15 ms).

                Examples:
                  swift build -c release --product memgraph && .build/release/memgraph bench serve
                  memgraph bench serve --seconds 10 --nodes 500 --json
                  memgraph bench serve --mix remember=1 --seconds 20      # sync remember alone
                  memgraph bench serve --rate 200                          # 16 clients, 200 requests/s in all
                """)
        @Option(help: "Concurrent clients.") var clients = 16
        @Option(help: "Seconds of load.") var seconds = 60
        @Option(help: "Memories of the measured user before the load.") var nodes = 2_000
        @Option(help: "MCP recall calls timed over stdio.") var mcpCalls = 200
        @Option(
            help: "The operations' shares, e.g. remember=15,lookup=35,search=30,traverse=20 (left out: 0).",
            transform: { text in
                do { return try ServeBenchmark.Mix(parsing: text) } catch let error as MemoryGraphError {
                    throw ValidationError(error.message)
                }
            })
        var mix: ServeBenchmark.Mix?
        @Option(help: "Requests per second from all clients together (default: each client sends as soon as answered).")
        var rate: Double?
        @Option(help: "What the clients send: key (a service key, looked up in Postgres per request) or token (a user token, checked in process).")
        var credential: ServeBenchmark.Credential = .serviceKey
        @Option(help: "The server's connection pool (POSTGRES_POOL_SIZE; default: the configured size).") var poolSize: Int?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard (1...256).contains(clients) else { throw ValidationError("--clients must be from 1 to 256") }
            guard (1...3600).contains(seconds) else { throw ValidationError("--seconds must be from 1 to 3600") }
            guard (1...1_000_000).contains(nodes) else { throw ValidationError("--nodes must be from 1 to 1000000") }
            guard (1...100_000).contains(mcpCalls) else { throw ValidationError("--mcp-calls must be from 1 to 100000") }
            if let rate, !(rate > 0 && rate <= 100_000) { throw ValidationError("--rate must be above 0 and at most 100000") }
        }

        func run() async throws {
            let configured = try connection.load()
            var configuration = ServeBenchmark.Configuration(
                binary: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
                poolSize: poolSize ?? configured.poolSize)
            configuration.clients = clients
            configuration.duration = .seconds(seconds)
            configuration.nodes = nodes
            configuration.mcpCalls = mcpCalls
            configuration.rate = rate
            configuration.credential = credential
            if let mix { configuration.mix = mix }
            let settings = configuration
            let report = try await CLI.withProgress { progress in
                try await CLI.withStore(connection) { store in
                    try await ServeBenchmark(configuration: settings, database: store.database, logger: CLI.logger)
                        .run { progress.update($0, done: $1, total: $2) }
                }
            }
            if output.json { CLI.printJSON(report) } else { print(BenchText.render(report)) }
        }
    }
}

extension ServeBenchmark.Credential: ExpressibleByArgument {}
