import ArgumentParser
import Foundation
import MemoryGraph
import Operations
import Repositories

extension Memgraph {
    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Database, listener, workers, queue depth, failures, embedding latency and SEARCH's index.",
            discussion: """
                Reads what running workers last reported (every sweep interval) and the queue itself. \
                Latency is from a job's creation (the insert or change) to its completed embedding, over \
                the last 5 minutes. Exits 1 when the database cannot be reached.

                Examples:
                  memgraph health
                  memgraph health --json
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (queue, pipelines, alive, index) = try await CLI.withService(connection) { service in
                (try await service.store.queueStats(), try await service.store.pipelines(), try await service.livePipelines(),
                 try await service.store.searchIndexState())
            }
            let rebuildDue = SearchIndexPolicy().isDue(index)
            func number(_ value: Double?) -> JSONValue { value.map(JSONValue.number) ?? .null }
            if output.json {
                CLI.printJSON([
                    "database": "reachable",
                    "listener_connected": .bool(alive.contains { $0.listenerConnected }),
                    "workers": .number(Double(alive.reduce(0) { $0 + $1.workers })),
                    "workers_busy": .number(Double(alive.reduce(0) { $0 + $1.busyWorkers })),
                    "queue_depth": .number(Double(queue.pending + queue.processing)),
                    "due": .number(Double(queue.due)),
                    "processing": .number(Double(queue.processing)),
                    "failed": .number(Double(queue.failed)),
                    "completed": .number(Double(queue.completed)),
                    "last_error": queue.lastError.map(JSONValue.string) ?? .null,
                    "latency_ms": ["p50": number(queue.latencyP50), "p95": number(queue.latencyP95), "p99": number(queue.latencyP99),
                                   "samples": .number(Double(queue.recentlyCompleted))],
                    "search_index": .object(Reindex.stateFields(index).merging(["rebuild_due": .bool(rebuildDue)]) { $1 }),
                    // A pipeline that stopped, or whose heartbeat expired, runs no workers.
                    "pipelines": .array(pipelines.map {
                        ["name": .string($0.name), "alive": .bool($0.isAlive),
                         "listener_connected": .bool($0.isAlive && $0.listenerConnected),
                         "workers": .number(Double($0.isAlive ? $0.workers : 0)), "busy": .number(Double($0.isAlive ? $0.busyWorkers : 0)),
                         "processed": .number(Double($0.processed)), "seconds_since_report": .number($0.secondsSinceReport)]
                    }),
                ])
                return
            }
            func ms(_ value: Double?) -> String { value.map { String(format: "%.1f ms", $0) } ?? "n/a" }
            print("database        reachable")
            let stopped = pipelines.count - alive.count
            print("pipelines       \(alive.count) alive\(stopped > 0 ? " (\(stopped) stopped or silent in the last day)" : ""), listener \(alive.contains { $0.listenerConnected } ? "connected" : "not connected")")
            print("workers         \(alive.reduce(0) { $0 + $1.busyWorkers }) busy of \(alive.reduce(0) { $0 + $1.workers })")
            print("queue           \(queue.pending) pending (\(queue.due) due), \(queue.processing) processing, \(queue.failed) failed, \(queue.completed) completed")
            print("latency (5 min) p50 \(ms(queue.latencyP50)), p95 \(ms(queue.latencyP95)), p99 \(ms(queue.latencyP99)) over \(queue.recentlyCompleted) jobs")
            print("last error      \(queue.lastError ?? "none")")
            print("search index    \(index.vectors) vectors, \(index.vectorsAtBuild) at its last build" + (rebuildDue ? "; a rebuild is due (memgraph reindex)" : ""))
        }
    }
}
