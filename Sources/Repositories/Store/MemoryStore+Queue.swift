import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
    /// Queue figures over every user (pending, due, processing, failed, completed, oldest due, last error).
    public func queueStats() async throws -> QueueStats {
        try await database.withConnection(operation: "queue stats") { connection in
            let rows = try await connection.query(
                """
                SELECT pending, due, processing, failed, completed, oldest_due, last_error, p50_ms, p95_ms, p99_ms, recent
                FROM memory.embedding_queue_stats()
                """, logger: database.logger)
            for try await row in rows {
                let (pending, due, processing, failed, completed, oldest, lastError, p50, p95, p99, recent) = try row.decode(
                    (Int, Int, Int, Int, Int, Date?, String?, Double?, Double?, Double?, Int).self)
                return QueueStats(
                    pending: pending, due: due, processing: processing, failed: failed, completed: completed, oldestDue: oldest,
                    lastError: lastError, latencyP50: p50, latencyP95: p95, latencyP99: p99, recentlyCompleted: recent)
            }
            throw RepositoriesError(.query, "the queue statistics returned no row", operation: "queue stats")
        }
    }

    /// The pipelines that reported lately, newest first.
    public func pipelines() async throws -> [PipelineStatus] {
        try await database.withConnection(operation: "pipeline status") { connection in
            var result: [PipelineStatus] = []
            for try await (name, listening, workers, busy, processed, dead, error, age) in try await connection.query(
                "SELECT name, listener_connected, workers, busy, processed, dead_lettered, last_error, seconds_since_report FROM memory.pipeline_status()",
                logger: database.logger
            ).decode((String, Bool, Int32, Int32, Int, Int, String?, Double).self) {
                result.append(PipelineStatus(
                    name: name, listenerConnected: listening, workers: Int(workers), busyWorkers: Int(busy), processed: processed,
                    deadLettered: dead, lastError: error, secondsSinceReport: age))
            }
            return result
        }
    }

    /// The user's jobs by status (for `memgraph stats`); the nodes of a bulk insert's batches that no
    /// worker has split into jobs yet count as pending, one each, unless they have jobs already (a
    /// later write of such a node queues its fields' jobs at once, and those are counted).
    public func jobCounts(_ user: UserID) async throws -> [String: Int] {
        try await database.withUser(user, operation: "job counts") { connection in
            var counts: [String: Int] = [:]
            for try await (status, count) in try await connection.query(
                """
                SELECT status, sum(n)::int8 FROM (
                    SELECT status, count(*) AS n FROM memory.embedding_jobs WHERE user_id = \(user.rawValue) GROUP BY status
                    UNION ALL
                    SELECT 'pending', count(*) FROM memory.embedding_batches b CROSS JOIN LATERAL unnest(b.node_ids) AS x(node_id)
                    WHERE b.user_id = \(user.rawValue)
                      AND NOT EXISTS (SELECT FROM memory.embedding_jobs j WHERE j.user_id = b.user_id AND j.node_id = x.node_id)
                    HAVING count(*) > 0
                ) c GROUP BY status
                """,
                logger: database.logger
            ).decode((String, Int).self) {
                counts[status] = count
            }
            return counts
        }
    }

    /// The user's dead-lettered jobs, newest first.
    public func failedJobs(_ user: UserID, limit: Int = 100) async throws -> [(nodeID: UUID, field: String, attempts: Int, error: String?)] {
        try await database.withUser(user, operation: "failed jobs") { connection in
            var result: [(nodeID: UUID, field: String, attempts: Int, error: String?)] = []
            for try await (node, field, attempts, error) in try await connection.query(
                """
                SELECT node_id, field, attempts::int8, last_error FROM memory.embedding_jobs
                WHERE user_id = \(user.rawValue) AND status = 'failed' ORDER BY updated_at DESC LIMIT \(limit)
                """, logger: database.logger
            ).decode((UUID, String, Int, String?).self) {
                result.append((node, field, attempts, error))
            }
            return result
        }
    }

    /// Re-queues the user's failed jobs with fresh attempts. Returns how many.
    public func retryFailedJobs(_ user: UserID) async throws -> Int {
        try await database.withUser(user, operation: "retry failed jobs") { connection in
            let count = try await connection.query(
                """
                UPDATE memory.embedding_jobs SET status = 'pending', attempts = 0, claims = 0, run_after = now(), updated_at = now()
                WHERE user_id = \(user.rawValue) AND status = 'failed' RETURNING 1
                """, logger: database.logger
            ).collect().count
            if count > 0 {
                try await connection.query("SELECT pg_notify(\(PostgresEmbeddingJobSource.channel), '')", logger: database.logger)
            }
            return count
        }
    }
}

/// Queue figures over every user.
public struct QueueStats: Sendable, Equatable {
    public var pending: Int
    public var due: Int
    public var processing: Int
    public var failed: Int
    public var completed: Int
    public var oldestDue: Date?
    public var lastError: String?
    /// Milliseconds from a job's creation to its completion, over jobs completed in the last 5 minutes.
    public var latencyP50: Double?
    public var latencyP95: Double?
    public var latencyP99: Double?
    public var recentlyCompleted: Int
}

/// What a running pipeline last reported.
public struct PipelineStatus: Sendable, Equatable {
    public var name: String
    public var listenerConnected: Bool
    public var workers: Int
    public var busyWorkers: Int
    public var processed: Int
    public var deadLettered: Int
    public var lastError: String?
    public var secondsSinceReport: Double

    /// Running: it has workers and published within ``PipelineMonitor/expiry``. A pipeline whose
    /// process ended says so in its last report, or stops publishing and expires.
    public var isAlive: Bool {
        workers > 0 && secondsSinceReport < PipelineMonitor.expiry.seconds
    }
}
