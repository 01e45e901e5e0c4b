import Foundation
import Logging
import MemoryGraph
import NIOCore
import PostgresNIO

/// The embedding queue in `memory.embedding_jobs`, for ``EmbeddingPipeline``.
///
/// Claims, completions and failures go through the schema's SECURITY DEFINER functions (the only
/// cross-user entry points the application role has); claims use `FOR UPDATE SKIP LOCKED`.
/// Wake-ups come from `LISTEN memgraph_embed` on one leased connection, which reconnects with
/// backoff when the connection or the server goes away. Each call's query is sent with
/// `queryUnlessClosed`, so a connection that the server closes while it is leased fails the call
/// instead of hanging it.
public struct PostgresEmbeddingJobSource: EmbeddingJobSource {
    public static let channel = "memgraph_embed"
    let database: Database
    let onlyUser: UserID?

    /// - Parameter onlyUser: claim only this user's jobs (as `import --wait` does); nil serves every user.
    public init(database: Database, onlyUser: UserID? = nil) {
        self.database = database
        self.onlyUser = onlyUser
    }

    public func claim(limit: Int, worker: String, policy: RetryPolicy) async throws -> [EmbeddingJob] {
        try await database.withConnection(operation: "claim embedding jobs") { connection in
            let rows = try await connection.queryUnlessClosed(
                """
                SELECT user_id, node_id, field, content_sha, body, attempts::int8, created_at
                FROM memory.claim_embedding_jobs(\(limit)::int, \(worker), make_interval(secs => \(Self.seconds(policy.lease))), \(policy.maxClaims)::int,
                    \(onlyUser?.rawValue))
                """, logger: database.logger)
            var jobs: [EmbeddingJob] = []
            for try await (user, node, field, sha, body, attempts, created) in rows.decode(
                (String, UUID, String, ByteBuffer, String?, Int, Date).self)
            {
                jobs.append(EmbeddingJob(
                    userID: user, nodeID: node, field: field, contentSHA: Array(buffer: sha), text: body ?? "",
                    attempts: attempts, createdAt: created))
            }
            return jobs
        }
    }

    public func complete(_ jobs: [EmbeddingJob], vectors: [[Float]], model: String, worker: String) async throws -> [CompletedJob] {
        guard !jobs.isEmpty else { return [] }
        let types = database.vectorTypes
        let vectorArray = BindArray(
            elements: vectors.map { PGVector($0, oid: types.vector) }, elementType: types.vector, arrayType: types.vectorArray)
        return try await database.withConnection(operation: "complete embedding jobs") { connection in
            let rows = try await connection.queryUnlessClosed(
                """
                SELECT user_id, node_id, field, stored, clock_timestamp() FROM memory.complete_embedding_jobs(
                    \(worker), \(model), \(BindArray.text(jobs.map(\.userID))), \(BindArray.uuid(jobs.map(\.nodeID))),
                    \(BindArray.text(jobs.map(\.field))),
                    \(BindArray(jobs.map { ByteBuffer(bytes: $0.contentSHA) }, type: .bytea, arrayType: .byteaArray)),
                    \(vectorArray))
                """, logger: database.logger)
            var byKey: [String: (Bool, Date)] = [:]
            for try await (user, node, field, stored, now) in rows.decode((String, UUID, String, Bool, Date).self) {
                byKey["\(user)\u{0}\(node)\u{0}\(field)"] = (stored, now)
            }
            return jobs.map { job in
                let (stored, committed) = byKey["\(job.userID)\u{0}\(job.nodeID)\u{0}\(job.field)"] ?? (false, Date())
                return CompletedJob(job: job, stored: stored, committedAt: committed)
            }
        }
    }

    public func fail(_ jobs: [EmbeddingJob], error: String, worker: String, policy: RetryPolicy) async throws -> FailureOutcome {
        guard !jobs.isEmpty else { return FailureOutcome(retried: 0, deadLettered: 0) }
        return try await database.withConnection(operation: "fail embedding jobs") { connection in
            let rows = try await connection.queryUnlessClosed(
                """
                SELECT status FROM memory.fail_embedding_jobs(
                    \(worker), \(BindArray.text(jobs.map(\.userID))), \(BindArray.uuid(jobs.map(\.nodeID))),
                    \(BindArray.text(jobs.map(\.field))), \(error), \(policy.maxRetries)::int,
                    make_interval(secs => \(Self.seconds(policy.retryInterval))))
                """, logger: database.logger)
            var outcome = FailureOutcome(retried: 0, deadLettered: 0)
            for try await status in rows.decode(String.self) {
                if status == "failed" { outcome.deadLettered += 1 } else { outcome.retried += 1 }
            }
            return outcome
        }
    }

    public func release(worker: String) async throws -> Int {
        try await database.withConnection(operation: "release embedding jobs") { connection in
            try await connection.queryUnlessClosed("SELECT memory.release_embedding_jobs(\(worker))::int8", logger: database.logger)
                .collect().first?.decode(Int.self) ?? 0
        }
    }

    public func report(pipeline name: String, _ snapshot: PipelineMonitor.Snapshot) async throws {
        try await database.withConnection(operation: "report pipeline") { connection in
            try await connection.queryUnlessClosed(
                """
                SELECT memory.report_pipeline(\(name), \(snapshot.listenerConnected), \(snapshot.workers)::int, \(snapshot.busyWorkers)::int,
                    \(snapshot.processed), \(snapshot.deadLettered), \(snapshot.lastError))
                """, logger: database.logger)
        }
    }

    public func wakeUps() -> AsyncStream<ListenerEvent> {
        let database = self.database
        return AsyncStream { continuation in
            let task = Task {
                var backoff = Duration.milliseconds(100)
                while !Task.isCancelled {
                    do {
                        try await database.client.withConnection { connection in
                            try await connection.listen(on: Self.channel) { notifications in
                                continuation.yield(.connected)
                                backoff = .milliseconds(100)
                                for try await _ in notifications {
                                    continuation.yield(.notification)
                                }
                            }
                        }
                    } catch {
                        if Task.isCancelled { break }
                        continuation.yield(.disconnected(reason: String(describing: RepositoriesError.wrap(error, operation: "listen"))))
                        try? await Task.sleep(for: backoff)
                        backoff = min(backoff * 2, .seconds(5))
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

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
    /// worker has split into jobs yet count as pending, one each.
    public func jobCounts(_ user: UserID) async throws -> [String: Int] {
        try await database.withUser(user, operation: "job counts") { connection in
            var counts: [String: Int] = [:]
            for try await (status, count) in try await connection.query(
                """
                SELECT status, sum(n)::int8 FROM (
                    SELECT status, count(*) AS n FROM memory.embedding_jobs WHERE user_id = \(user.rawValue) GROUP BY status
                    UNION ALL
                    SELECT 'pending', sum(cardinality(node_ids)) FROM memory.embedding_batches
                    WHERE user_id = \(user.rawValue) HAVING count(*) > 0
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
}
