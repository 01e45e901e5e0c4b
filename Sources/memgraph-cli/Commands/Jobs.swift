import ArgumentParser
import Foundation
import MemoryGraph
import Repositories

extension Memgraph {
    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect and re-queue dead-lettered embedding jobs.",
            discussion: """
                A job is dead-lettered (status failed) after --max-retries failed attempts, keeping its \
                last error; the other jobs carry on.

                Examples:
                  memgraph jobs list --user alice
                  memgraph jobs retry-failed --user alice
                """,
            subcommands: [List.self, RetryFailed.self])
    }
}

extension Memgraph.Jobs {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the user's failed embedding jobs, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var user: UserOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "At most this many.") var limit = 100

        func run() async throws {
            let user = user.userID, limit = limit
            let (failed, counts) = try await CLI.withStore(connection) { store in
                (try await store.failedJobs(user, limit: limit), try await store.jobCounts(user))
            }
            if output.json {
                CLI.printJSON([
                    "counts": .object(counts.mapValues { .number(Double($0)) }),
                    "failed": .array(failed.map {
                        ["node_id": .string($0.nodeID.uuidString.lowercased()), "field": .string($0.field),
                         "attempts": .number(Double($0.attempts)), "error": $0.error.map(JSONValue.string) ?? .null]
                    }),
                ])
                return
            }
            print("jobs: " + ["pending", "processing", "completed", "failed"].map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", "))
            for job in failed {
                print("\(job.nodeID.uuidString.lowercased())  \(job.field)  attempts \(job.attempts)  \(job.error ?? "")")
            }
        }
    }

    struct RetryFailed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-queue the user's failed jobs with fresh attempts.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var user: UserOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let user = user.userID
            let count = try await CLI.withStore(connection) { try await $0.retryFailedJobs(user) }
            if output.json {
                CLI.printJSON(["requeued": .number(Double(count))])
            } else {
                CLI.note("memgraph: re-queued \(count) failed job(s)")
            }
        }
    }
}
