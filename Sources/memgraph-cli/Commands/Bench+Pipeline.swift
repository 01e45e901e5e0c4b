import ArgumentParser
import Foundation
import MemoryGraph
import Benchmarks
import Repositories

extension Memgraph.Bench {
    struct Pipeline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Insert-to-embedding latency at a fixed rate, and the sustained embedding throughput.",
            discussion: """
                Runs an in-process pipeline with the real MiniLM embedder. Phase 1 inserts one node at a \
                time at --rate per second for --seconds and reports the latency from each insert to its \
                committed embedding (p50/p95/p99). The inserts come from the pipeline's own process, as \
                `memgraph serve`'s do: each one's text is embedded while it is written, and its job is \
                written already claimed by that pipeline (docs/schema.md); a write from another process \
                waits for a worker's notification and claim. Phase 2 inserts --burst nodes at once and \
                reports how many embeddings per second the pipeline stores while draining them. Run no other worker \
                against the same database meanwhile; the queue must be empty at the start (its pipeline \
                would embed and time other users' jobs too). The benchmark user is deleted afterwards.

                Examples:
                  swift build -c release && .build/release/memgraph bench pipeline
                  memgraph bench pipeline --rate 20 --seconds 10 --burst 1000 --json
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Inserts per second in phase 1.") var rate = 50.0
        @Option(help: "Seconds of phase 1.") var seconds = 20.0
        @Option(help: "Nodes inserted at once in phase 2.") var burst = 3_000
        @Option(help: "Workers (default: the number of cores).") var workers = ProcessInfo.processInfo.activeProcessorCount
        @Option(help: "Jobs per embedder call.") var batchSize = 32

        func validate() throws {
            guard rate > 0, rate <= 10_000, seconds > 0, seconds <= 3_600 else { throw ValidationError("--rate must be 0 to 10,000 and --seconds 0 to 3,600") }
            guard (0...1_000_000).contains(burst) else { throw ValidationError("--burst must be from 0 to 1,000,000") }
            guard (1...64).contains(workers), (1...1024).contains(batchSize) else { throw ValidationError("--workers must be 1 to 64 and --batch-size 1 to 1024") }
        }

        func run() async throws {
            let benchmark = PipelineBenchmark(rate: rate, seconds: seconds, burst: burst, workers: workers, batchSize: batchSize)
            let embedder = try CLI.makeEmbedder()
            let report = try await CLI.withProgress { progress in
                try await CLI.withStore(connection) { store in
                    try await benchmark.run(store: store, embedder: embedder, logger: CLI.logger) {
                        progress.update($0, done: $1, total: $2)
                    }
                }
            }
            if output.json { CLI.printJSON(report) } else { print(BenchText.render(report)) }
        }
    }
}
