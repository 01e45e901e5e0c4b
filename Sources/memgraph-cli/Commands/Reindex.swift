import ArgumentParser
import Foundation
import MemoryGraph
import Operations
import Repositories

extension Memgraph {
    struct Reindex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild SEARCH's HNSW graph in one pass when it has doubled since its last build.",
            discussion: """
                A graph grown by inserts alone sometimes links a few regions badly, and SEARCH then \
                misses those neighbours (recall@10 0.93 in one 100,000-vector run of four; one-pass \
                builds of the same vectors: 0.985 each time). So SEARCH's index is rebuilt with \
                REINDEX INDEX CONCURRENTLY once it holds twice the vectors of its last \
                build, and at least --minimum; reads and writes go on meanwhile. The embedding worker \
                does this by itself (--index-check-interval); this command does it now, or with \
                --force whether due or not. It takes about 3 minutes per 200,000 vectors (one process builds it: pgvector's parallel build made worse graphs), \
                and up to --memory MB (Postgres's maintenance_work_mem, if that is higher, wins). \
                Only one rebuild runs at a time; leftovers of an interrupted one are dropped first. \
                The graph holds only the vectors of users with 5,000 live nodes or more (smaller \
                users are searched exactly); first, the vectors of users who have grown that large \
                since they were stored are moved into it. \
                While it runs, stderr shows the vectors loaded into the new graph and Postgres's step \
                (a bar on a terminal, else a line every MEMGRAPH_PROGRESS_INTERVAL seconds, default 5).

                Examples:
                  memgraph reindex                 # rebuild if due
                  memgraph reindex --dry-run       # say whether it is due
                  memgraph reindex --force --json  # after a bulk load, whatever its size
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Flag(help: "Rebuild even when not due.") var force = false
        @Flag(help: "Only report the index's size and whether a rebuild is due.") var dryRun = false
        @Option(help: ArgumentHelp("No rebuild below this many vectors (unless --force).", valueName: "vectors"))
        var minimum = SearchIndexPolicy().minimumVectors
        @Option(help: ArgumentHelp("The most memory the build may take, in MB.", valueName: "MB"))
        var memory = SearchIndexPolicy().buildMemoryLimitMB

        func validate() throws {
            guard minimum >= 0 else { throw ValidationError("--minimum must be 0 or more") }
            guard (64...1_048_576).contains(memory) else { throw ValidationError("--memory must be from 64 to 1,048,576 MB") }
            guard !(force && dryRun) else { throw ValidationError("--force and --dry-run contradict each other") }
        }

        func run() async throws {
            let policy = SearchIndexPolicy(minimumVectors: minimum, buildMemoryLimitMB: memory)
            let force = force, dryRun = dryRun
            let outcome = try await CLI.withProgress { progress in
                try await CLI.withStore(connection) { store -> SearchIndexMaintenance in
                    if dryRun { return .notNeeded(try await store.searchIndexState()) }
                    return try await store.maintainSearchIndex(policy: policy, force: force) { Self.show($0, on: progress) }
                }
            }
            report(outcome, policy: policy)
            if case .busy = outcome { throw ExitCode.failure }
        }

        private func report(_ outcome: SearchIndexMaintenance, policy: SearchIndexPolicy) {
            switch outcome {
            case .busy:
                CLI.note("memgraph: another rebuild of the search index is running; try again when it ends")
                if output.json { CLI.printJSON(["rebuilt": false, "busy": true]) }
            case .notNeeded(let state):
                let due = policy.isDue(state)
                if output.json {
                    CLI.printJSON(Self.json(state, rebuilt: false, extra: ["due": .bool(due)]))
                } else {
                    print("\(state.vectors) vectors; last built over \(state.vectorsAtBuild)" + Self.when(state.builtAt) + "; "
                        + (due ? "a rebuild is due" : "not due (at \(policy.rebuildThreshold(vectorsAtBuild: state.vectorsAtBuild)) vectors)"))
                }
            case .rebuilt(let state, let seconds, let dropped):
                if output.json {
                    CLI.printJSON(Self.json(state, rebuilt: true, extra: [
                        "seconds": .number(seconds), "dropped_leftovers": .array(dropped.map { .string($0) }),
                    ]))
                } else {
                    if !dropped.isEmpty { CLI.note("memgraph: dropped what interrupted rebuilds left: \(dropped.joined(separator: ", "))") }
                    print("rebuilt the search index over \(state.vectors) vectors in \(String(format: "%.1f", seconds)) s")
                }
            }
        }

        /// A rebuild's progress as `reindex` and `import --wait` show it: vectors loaded, Postgres's step.
        static func show(_ build: SearchIndexBuildProgress, on progress: ProgressReporter) {
            progress.update(
                "reindexing", done: build.vectorsDone, total: build.vectors, detail: build.phase == "done" ? nil : build.phase)
        }

        static func json(_ state: SearchIndexState, rebuilt: Bool, extra: [String: JSONValue]) -> JSONValue {
            .object(stateFields(state).merging(["rebuilt": .bool(rebuilt), "model": .string(state.model)].merging(extra) { $1 }) { $1 })
        }

        /// The index's size now and at its last build, as `reindex --json` and `health --json` print them.
        static func stateFields(_ state: SearchIndexState) -> [String: JSONValue] {
            [
                "vectors": .number(Double(state.vectors)), "vectors_at_last_build": .number(Double(state.vectorsAtBuild)),
                "last_built_at": state.builtAt.map { .string(Documents.timestamp($0)) } ?? .null,
            ]
        }

        static func when(_ date: Date?) -> String { date.map { " at \(Documents.timestamp($0))" } ?? "" }
    }
}
