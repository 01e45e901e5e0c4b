import ArgumentParser
import Foundation
import MemoryGraph
import Benchmarks
import Repositories

extension Memgraph.Bench {
    struct Store: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Batch import rate, and LOOKUP, FUZZY and SEARCH latency with SEARCH's recall@10.",
            discussion: """
                Imports --nodes synthetic nodes for a fresh user (half CRM contacts with distinct \
                person names, half tool outputs) in one batch, after --noise-users other users holding \
                the same kinds of nodes (--noise-nodes in all between them, by default as many as \
                --nodes), and stores one 384-dimension embedding per node. The measured user's are the \
                MiniLM embeddings of the summaries themselves (about 3 minutes for 100,000, overlapped \
                with storing them); the noise users' are cheaper stand-ins: the embedding of a sentence \
                with the node's first name, role and company (or row count), plus noise. Then it does \
                what the embedding worker would: SEARCH's index has doubled since its last build, so \
                its HNSW graph is rebuilt in one pass (memgraph reindex; search_index has the time, and \
                the questions' recall@10 on the graph as the inserts had grown it). It then times single calls:
                  SELECT 1 one round trip on a pooled connection: the floor under every call;
                  LOOKUP   the key of a random contact ("sarah-kanimo");
                  FUZZY    that contact's name with two adjacent letters swapped ("Sarah Knaimo");
                  SEARCH   a question about the contact, embedded with MiniLM, then the vector search;
                  SEARCH (vector only)  the embedding of the contact's summary in other words
                           ("Sarah Kanimo works as CFO for Acme Corp"), computed before the timing;
                  SEARCH (question vector only)  the question's own embedding, computed before the
                           timing: SEARCH's vector part, so that SEARCH can be compared with the sum
                           of its parts (search_question_vector_only), and again right after an
                           untimed embedding of another sentence, as inside SEARCH
                           (search_question_vector_after_an_embedding: the encoder's weights pass
                           through the caches the search needs);
                  EMBED    the question's embedding alone, for the share of SEARCH that is MiniLM's.
                  RECALL   the same question through RECALL (query embedded; recall_hit_rate_at_10 is how
                           often the contact is among its 10 results).
                Recall@10 of both SEARCH kinds is measured on every query against an exact scan of the \
                user's vectors, computed in process, never between two timed calls (the scan reads all of \
                the user's vectors, and would leave the next call colder caches than a caller leaves).
                Each kind runs --queries times in a row (the top-level figures), then all eight \
                interleaved query by query ("mixed": each meets caches the previous one has cooled, as in \
                an agent's turn). FUZZY's hit rates are how often the intended contact is among its 10 \
                results, and first. Last, the questions' vectors are searched again at several HNSW \
                ef_search values (search_ef_search_sweep: recall@10 and time of each; the default is \
                search_default_ef_search), for the recall that a narrower search costs. The users are \
                deleted afterwards unless --keep.

                Examples:
                  swift build -c release --product memgraph && .build/release/memgraph bench store --nodes 100000
                  memgraph bench store --nodes 20000 --noise-users 0 --queries 100 --json > figures.json
                  memgraph bench store --import-only
                  memgraph bench store --nodes 20000 --noise-users 20 --noise-nodes 380000
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Nodes to import for the measured user.") var nodes = 100_000
        @Option(help: "Other users, sharing --noise-nodes nodes between them, imported first.") var noiseUsers = 4
        @Option(help: ArgumentHelp(
            "Nodes of the other users in all (default: --nodes). More than --nodes makes the measured user a smaller share of the vectors SEARCH's index holds.",
            valueName: "count"))
        var noiseNodes: Int?
        @Option(help: "Queries of each kind to time.") var queries = 300
        @Flag(help: "Keep the benchmark users' data.") var keep = false
        @Flag(help: "Time the import alone: no vectors stored, no queries (seconds, not minutes; for tuning the database).")
        var importOnly = false

        func validate() throws {
            guard (100...1_000_000).contains(nodes) else { throw ValidationError("--nodes must be from 100 to 1,000,000") }
            guard (0...100).contains(noiseUsers) else { throw ValidationError("--noise-users must be from 0 to 100") }
            guard (0...10_000_000).contains(noiseNodes ?? 0) else { throw ValidationError("--noise-nodes must be from 0 to 10,000,000") }
            guard (10...100_000).contains(queries) else { throw ValidationError("--queries must be from 10 to 100,000") }
        }

        func run() async throws {
            let benchmark = StoreBenchmark(
                nodes: nodes, noiseUsers: noiseUsers, noiseNodes: noiseNodes, queries: queries, keep: keep, importOnly: importOnly)
            let report = try await CLI.withProgress { progress in
                try await CLI.withStore(connection) { plain in
                    try await benchmark.run(
                        database: plain.database, loadEmbedder: CLI.makeEmbedder, logger: CLI.logger, note: CLI.note,
                        progress: { progress.update($0, done: $1, total: $2) })
                }
            }
            if output.json { CLI.printJSON(report) } else { print(BenchText.render(report)) }
        }
    }
}
