import ArgumentParser
import Foundation
import Logging
import MemoryGraph
import Operations
import Repositories
import ServiceLifecycle
import Sessions

/// The embedding pipeline's settings, shared by `worker` and `import --wait`.
struct PipelineOptions: ParsableArguments {
    @Option(help: "Concurrent workers (default: the number of cores).")
    var workers = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Jobs claimed and embedded together.")
    var batchSize = 32
    @Option(help: "Seconds between sweeps for due jobs when no notification arrives.")
    var sweepInterval = 5.0
    @Option(help: "Attempts before a job is dead-lettered (status failed).")
    var maxRetries = 3
    @Option(help: "Seconds of the first retry backoff; it doubles per attempt, with jitter.")
    var retryInterval = 5.0
    @Option(help: "Seconds a claimed job may stay unfinished before it returns to the queue.")
    var lease = 60.0
    @Flag(help: "Do not LISTEN; poll every sweep interval (behind a transaction-pooling proxy).")
    var noListen = false

    func validate() throws {
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be from 1 to 256") }
        guard (1...1024).contains(batchSize) else { throw ValidationError("--batch-size must be from 1 to 1024") }
        guard sweepInterval >= 0.05, retryInterval >= 0, lease >= 1 else {
            throw ValidationError("--sweep-interval must be at least 0.05 s, --retry-interval at least 0 and --lease at least 1 s")
        }
        guard (1...100).contains(maxRetries) else { throw ValidationError("--max-retries must be from 1 to 100") }
    }

    var configuration: EmbeddingPipeline.Configuration {
        EmbeddingPipeline.Configuration(
            workers: workers, batchSize: batchSize, sweepInterval: .milliseconds(Int(sweepInterval * 1000)), listen: !noListen,
            retry: RetryPolicy(
                maxRetries: maxRetries, retryInterval: .milliseconds(Int(retryInterval * 1000)),
                lease: .milliseconds(Int(lease * 1000))))
    }
}

extension Memgraph {
    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the embedding pipeline until SIGTERM or SIGINT.",
            discussion: """
                Workers claim due jobs from memory.embedding_jobs (FOR UPDATE SKIP LOCKED), embed them \
                with all-MiniLM-L6-v2 in batches and store the vectors. They wake on NOTIFY memgraph_embed \
                and sweep for due jobs on start, after a reconnect and every --sweep-interval. On \
                SIGTERM/SIGINT the batch in flight gets 10 s to finish, then the worker stops anyway; \
                unfinished claims go back to the queue (after a crash, when their --lease ends). Started while Postgres is unreachable, it waits for it (a warning per \
                retry). Several workers, in one process or many, can run at once. The worker \
                also applies writes queued in session outboxes (MEMGRAPH_SESSIONS_DB) once Postgres answers, \
                every 10 s merges the index entries small writes left pending (FUZZY and RECALL read \
                them all until then), and every --index-check-interval seconds rebuilds SEARCH's HNSW \
                graph in one pass if it holds twice the vectors of its last build (at least 50,000; see \
                memgraph reindex).

                Examples:
                  memgraph worker
                  memgraph worker --workers 4 --batch-size 64
                  memgraph worker --no-listen --sweep-interval 1   # behind pgbouncer in transaction mode
                  memgraph worker --index-check-interval 0        # leave SEARCH's index to memgraph reindex
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var pipeline: PipelineOptions
        @Option(help: ArgumentHelp(
            "Seconds between checks whether SEARCH's index is due a one-pass rebuild (0: never here).", valueName: "seconds"))
        var indexCheckInterval = 300.0

        func validate() throws {
            guard indexCheckInterval == 0 || indexCheckInterval >= 1 else {
                throw ValidationError("--index-check-interval must be 0 (off) or at least 1 second")
            }
        }

        func run() async throws {
            let logger = CLI.logger
            let database = try await MemoryService.prepareWhenReachable(try connection.load(), logger: logger)
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: database)]
            services += try Self.backgroundServices(
                database: database, connection: connection, pipeline: pipeline, indexCheckInterval: indexCheckInterval)
            var configuration = ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger)
            // A batch in flight gets this long to finish after SIGTERM. Then the group cancels: a
            // call still waiting for Postgres (a connection lease after a restart can wait for ever)
            // is abandoned, and its claimed jobs return to the queue when their lease ends.
            configuration.maximumGracefulShutdownDuration = Self.shutdownGrace
            configuration.maximumCancellationDuration = Self.shutdownGrace
            let group = ServiceGroup(configuration: configuration)
            CLI.note("memgraph: embedding worker running (\(pipeline.workers) workers); SIGTERM or Ctrl-C stops it")
            try await group.run()
        }

        /// The embedding pipeline, the session outbox flusher, the GIN pending-list merger and (unless
        /// `indexCheckInterval` is 0) the search index maintainer: what `worker` runs, and `serve`
        /// runs beside its HTTP server.
        static func backgroundServices(
            database: Database, connection: ConnectionOptions, pipeline: PipelineOptions, indexCheckInterval: Double
        ) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
            let logger = CLI.logger
            let service = EmbeddingPipeline(
                source: PostgresEmbeddingJobSource(database: database), embedder: try CLI.makeEmbedder(),
                configuration: pipeline.configuration, logger: logger)
            // Session outboxes drain here too, so writes queued while Postgres was away land without a manual flush.
            let flusher = OutboxFlusher(
                memory: SessionMemory(store: try CLI.sessionStore(connection), longTerm: MemoryStore(database: database)),
                logger: logger)
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: flusher, successTerminationBehavior: .gracefullyShutdownGroup),
                .init(
                    service: PendingIndexMerger(store: MemoryStore(database: database), logger: logger),
                    successTerminationBehavior: .gracefullyShutdownGroup),
            ]
            if indexCheckInterval > 0 {
                let maintainer = SearchIndexMaintainer(
                    store: MemoryStore(database: database), interval: .milliseconds(Int(indexCheckInterval * 1000)), logger: logger)
                services.append(.init(service: maintainer, successTerminationBehavior: .gracefullyShutdownGroup))
            }
            return services
        }

        /// How long SIGTERM waits for the batch in flight before cancelling, and cancellation for
        /// the tasks to end before the process stops regardless.
        static let shutdownGrace = Duration.seconds(10)
    }
}
