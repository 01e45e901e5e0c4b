import ArgumentParser
import Foundation
import MemoryGraph
import Operations
import Repositories
import Sessions

extension Memgraph {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import memory graphs from .json and .jsonl fixtures, or directories of them.",
            discussion: """
                Every file is validated before anything is written (docs/fixtures.md has the format), \
                relationship ends that the files do not define are looked up among the user's keys, \
                and everything is written in one transaction: all of it or nothing. Problems are listed \
                on stderr, each naming the file and the JSON path or line, and the exit status is 1.

                Importing the same files again changes no counts: entities merge (their update_count \
                grows), keyed nodes upsert by key, and a node without key or entity is recognised by \
                its context type, summary and content.

                The user is --user, else the files' user_id; without either the import fails. \
                --dry-run does everything inside a transaction that is rolled back, so its summary is exact.

                Long phases (writing rows, embedding with --wait, rebuilding the index) show their \
                progress on stderr: a bar with count, rate and time left on a terminal, otherwise a \
                line every MEMGRAPH_PROGRESS_INTERVAL seconds (default 5; 0: none).

                Examples:
                  memgraph import fixtures/crm.json --user demo-consultant
                  memgraph import fixtures/crm.json fixtures/support.jsonl fixtures/engineering --json
                  memgraph import fixtures/engineering --user alice --dry-run
                  memgraph import fixtures/crm.json --user demo-consultant --wait   # searchable on return
                  memgraph import fixtures/crm.json --session 0193…   # through a session's outbox

                With --session the import is one operation in that session's outbox (the session's \
                user is the owner): applied at once when Postgres answers within MEMGRAPH_SESSION_TIMEOUT, \
                else accepted as queued (exit 0, "queued": true) and applied later, exactly once.
                """)
        @Argument(help: ArgumentHelp("Fixture files (.json, .jsonl) or directories of them.", valueName: "path"))
        var paths: [String]
        @Option(name: .customLong("user"), help: ArgumentHelp(
            "The user to import for; wins over the files' user_id.", valueName: "id"))
        var user: String?
        @Flag(name: .customLong("dry-run"), help: "Validate and count what would be written, then write nothing.")
        var dryRun = false
        @Flag(name: .customLong("wait"), help: "Then embed the user's queued fields in this process until none is left (and rebuild SEARCH's index if that doubled it: memgraph reindex).")
        var wait = false
        @Option(name: .customLong("session"), help: ArgumentHelp(
            "Send the import through this session's outbox (accepted as queued while Postgres is away).", valueName: "id"))
        var session: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard !paths.isEmpty else { throw ValidationError("give at least one fixture file or directory to import") }
            if let user {
                do { _ = try UserID(user) } catch { throw ValidationError("--user: \(error)") }
            }
            if let session {
                do { _ = try SessionID(session) } catch { throw ValidationError("--session: \(error)") }
                guard !dryRun, !wait else { throw ValidationError("--session cannot be combined with --dry-run or --wait") }
            }
        }

        func run() async throws {
            let graph = try Self.load(paths)
            if let session { return try await importThroughSession(graph, session: try SessionID(session)) }
            let owner = try Self.owner(user, graph)
            let dryRun = dryRun
            let wait = wait
            if wait, !dryRun { _ = try CLI.makeEmbedder() }  // a missing model fails before anything is written
            let (report, workers) = try await CLI.withProgress { progress in
                try await CLI.withService(connection) { service in
                    progress.begin("importing", total: graph.nodes.count + graph.relationships.count)
                    let report = try await service.importGraph(
                        owner, graph, dryRun: dryRun, wait: wait,
                        progress: { progress.update("importing", done: $0.written, total: $0.total) },
                        embeddingProgress: { progress.update("embedding", done: $0, total: $1) },
                        indexProgress: { Reindex.show($0, on: progress) })
                    progress.finish()
                    let queued = !wait && !dryRun && report.summary.embeddingsQueued > 0
                    return (report, queued ? try await service.livePipelines().reduce(0) { $0 + $1.workers } : nil)
                }
            }
            if workers == 0 {
                CLI.note("memgraph: no embedding worker is running: SEARCH will not find the \(report.summary.embeddingsQueued) queued field(s) until one does (memgraph worker, or memgraph serve), or import with --wait")
            }
            if let vectors = report.rebuiltIndexVectors { CLI.note("memgraph: rebuilt the search index over \(vectors) vectors") }
            if let warning = report.indexWarning { CLI.note("memgraph: warning: \(warning)") }
            Self.report(report, files: graph.files, json: output.json)
        }

        /// The import as one operation of the session's outbox.
        private func importThroughSession(_ graph: FixtureSet, session: SessionID) async throws {
            let store = try CLI.sessionStore(connection)
            let owner = try await store.session(session).user
            if let user, try UserID(user) != owner {  // byte for byte, as UserID compares
                throw ValidationError("--user \(user) is not the user of session \(session) (\(owner))")
            }
            let write = try await CLI.withSessionMemory(connection) { memory in try await memory.importGraph(session, graph) }
            if case .imported(let summary)? = write.outcome {
                Self.report(MemoryService.ImportReport(user: owner, summary: summary), files: graph.files, json: output.json)
                return
            }
            let operation = write.operationID?.uuidString.lowercased() ?? ""
            if output.json {
                CLI.printJSON([
                    "user": .string(owner.rawValue), "files": .array(graph.files.map(JSONValue.string)), "queued": .bool(true),
                    "operation_id": .string(operation), "node_records": .number(Double(graph.nodes.count)),
                    "relationship_records": .number(Double(graph.relationships.count)),
                ])
            } else {
                print("queued the import of \(graph.nodes.count) node records and \(graph.relationships.count) relationships for \(owner) (operation \(operation))")
                CLI.note("memgraph: the database is unavailable; `memgraph session flush` or a running worker applies it later")
            }
        }

        /// Validates every file; lists the problems on stderr and fails when there are any.
        static func load(_ paths: [String]) throws -> FixtureSet {
            let (graph, problems) = FixtureLoader.validate(paths: paths.map { URL(fileURLWithPath: $0) })
            for skipped in graph.skipped {
                CLI.note("memgraph: skipped \(skipped) (not a .json or .jsonl file, a schema, or a subdirectory)")
            }
            guard problems.isEmpty else {
                for problem in problems { CLI.note("memgraph: \(problem)") }
                let more = problems.count >= FixtureLoader.maximumProblems ? " (stopped after \(problems.count))" : ""
                throw MemoryGraphError.invalidInput(
                    "\(problems.count) problem\(problems.count == 1 ? "" : "s") in the files\(more); nothing was imported",
                    operation: "import")
            }
            return graph
        }

        /// --user, else the files' user_id.
        static func owner(_ user: String?, _ graph: FixtureSet) throws -> UserID {
            if let user { return try UserID(user) }
            if let owner = graph.userID { return owner }
            throw MemoryGraphError.invalidInput(
                "\(graph.files.joined(separator: ", ")): no user: the files name no user_id; pass --user ID or add \"user_id\" to a file; nothing was imported",
                operation: "import")
        }

        static func report(_ report: MemoryService.ImportReport, files: [String], json: Bool) {
            let (summary, user) = (report.summary, report.user)
            if json {
                CLI.printJSON(Documents.imported(report, files: files))
            } else {
                let verb = summary.dryRun ? "would import" : "imported"
                print("""
                    \(verb) \(summary.inserted + summary.merged) node records for \(user) from \(files.count) file\(files.count == 1 ? "" : "s"): \
                    \(summary.inserted) new, \(summary.merged) merged; \(summary.relationships) relationships \
                    (\(summary.relationshipsInserted) new); \(summary.kvEntries) LOOKUP keys; \(summary.embeddingsQueued) embeddings queued
                    """)
                if summary.dryRun { CLI.note("memgraph: dry run: nothing was written") }
            }
        }
    }
}
