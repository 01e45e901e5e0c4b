import Crypto
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
/// backoff when the connection or the server goes away, and from this process's own small writes
/// as they commit (``QueuedTexts``). Each call's query is sent with
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
                FROM memory.claim_embedding_jobs(\(limit)::int, \(worker), make_interval(secs => \(policy.lease.seconds)), \(policy.maxClaims)::int,
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
        // The hash of the text each vector was computed from, not the claim's hash: a claim racing
        // an update can return the new text's hash beside the old text.
        let embedded = jobs.map { ByteBuffer(bytes: SHA256.hash(data: Data($0.text.utf8))) }
        return try await database.withConnection(operation: "complete embedding jobs") { connection in
            let rows = try await connection.queryUnlessClosed(
                """
                SELECT user_id, node_id, field, stored, clock_timestamp() FROM memory.complete_embedding_jobs(
                    \(worker), \(model), \(BindArray.text(jobs.map(\.userID))), \(BindArray.uuid(jobs.map(\.nodeID))),
                    \(BindArray.text(jobs.map(\.field))),
                    \(BindArray(embedded, type: .bytea, arrayType: .byteaArray)), \(vectorArray))
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
                    make_interval(secs => \(policy.retryInterval.seconds)))
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

    /// This process's small writes in async mode write their new nodes' jobs claimed by `worker`
    /// (``QueuedTexts/claimWrites(as:)``). Not for a pipeline of one user's jobs (import --wait).
    public func claimWrites(worker: String) -> WrittenClaims? {
        onlyUser == nil ? database.queuedTexts.claimWrites(as: worker) : nil
    }

    public func wakeUps() -> AsyncStream<ListenerEvent> {
        let database = self.database
        let onlyUser = self.onlyUser
        return AsyncStream { continuation in
            // This process's own writes, as they commit (a pipeline of one user's jobs, as
            // import --wait runs, is not told: the texts carry no user).
            let local = onlyUser != nil ? nil : Task {
                for await texts in database.queuedTexts.subscribe() {
                    continuation.yield(.queued(texts: texts))
                }
            }
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
            continuation.onTermination = { _ in
                task.cancel()
                local?.cancel()
            }
        }
    }
}
