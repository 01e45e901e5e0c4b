import ArgumentParser
import Benchmarks
import Foundation
import MemoryGraph
import Repositories

extension Memgraph.Bench {
    struct Recall: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recall@1/5/10, MRR and nDCG@10 of SEARCH, each RECALL arm alone and RECALL, on a labelled dataset.",
            discussion: """
                The dataset is JSON: {"conversations": [{"id", "nodes", "relationships", "questions": \
                [{"question", "evidence": [keys], "category"}]}]}, nodes and relationships as in a fixture \
                (docs/fixtures.md). Each conversation is imported as a user of its own and embedded in \
                process; then every question is asked of SEARCH, of each arm of RECALL alone (vector, \
                lexical with BM25, lexical with ts_rank_cd, name), of the fusion without the graph arm and \
                of RECALL, and scored on the keys returned. by_category has SEARCH's and RECALL's scores per \
                question category. recall_with_query_embedding times RECALL as an agent calls it. \
                --sweep also tries a grid of fusion constants (k, lexical and graph weights, graph seeds) \
                and prints the 10 best by recall@10: how RecallTuning.standard was chosen. The users are \
                deleted afterwards unless --keep. Run no worker against the same database meanwhile.

                Examples:
                  memgraph bench recall --dataset bench/recall/dev.json
                  memgraph bench recall --dataset bench/recall/dev.json --sweep --json > recall.json
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("The dataset (JSON).", valueName: "file")) var dataset: String
        @Flag(help: "Also try a grid of fusion constants and report the best.") var sweep = false
        @Flag(help: "Keep the benchmark users' data.") var keep = false

        func run() async throws {
            let benchmark = RecallBenchmark(
                conversations: try RecallBenchmark.load(URL(fileURLWithPath: dataset)), sweep: sweep, keep: keep)
            let embedder = try CLI.makeEmbedder()
            let report = try await CLI.withProgress { progress in
                try await CLI.withStore(connection) { store in
                    try await benchmark.run(database: store.database, embedder: embedder, logger: CLI.logger, note: CLI.note) {
                        progress.update($0, done: $1, total: $2)
                    }
                }
            }
            if output.json { CLI.printJSON(report) } else { print(BenchText.render(report)) }
        }
    }
}
