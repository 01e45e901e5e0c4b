import Foundation
import MemoryGraph
import NIOCore
import PostgresNIO

extension MemoryStore {
    /// Stores embeddings for the user's nodes in one batched statement.
    public func storeEmbeddings(_ user: UserID, _ records: [EmbeddingRecord]) async throws {
        try await database.withUser(user, operation: "store embeddings") { connection in
            _ = try await embeddings.upsert(user, records, on: connection)
        }
        await refreshStatisticsAfterBulkWrite(rows: records.count, tables: [.embeddings])
    }

    /// The text of `field` that a job for `node` would embed, as `memory.field_text` reads it
    /// (the summary, else a string in content; trimmed of spaces as btrim trims), or nil when the
    /// node opts out of embedding (metadata `embed` false) or the field is empty.
    static func embeddedText(of node: MemoryNode, field: String) -> String? {
        guard node.metadata["embed"] != .bool(false), node.metadata["embed"] != .string("false") else { return nil }
        let raw = field == "summary" ? node.summary ?? node.content["summary"]?.stringValue : node.content[field]?.stringValue
        guard let text = raw?.trimmingCharacters(in: CharacterSet(charactersIn: " ")), !text.isEmpty else { return nil }
        return text
    }

    /// In `.sync` mode: the texts a write of `batch` will most likely queue, embedded before its
    /// transaction opens. The write's first insert locks the user's counters row
    /// (`memory.user_metadata`) until it commits, so an embedding inside the transaction made
    /// every other write of the user wait for it (`bench serve`: sync remember held at ~30/s).
    /// Each node's summary and its content strings named in `memory.embedded_fields`, read as
    /// `memory.field_text` reads them; ``embedInline(_:_:on:ahead:)`` uses a vector only for
    /// the exact text a job names, and embeds what it lacks (an entity whose merge changed a text).
    /// Keyed by the text's UTF-8 bytes, as Postgres compares them (Swift strings compare by
    /// canonical equivalence). A failure here is not the write's: the transaction embeds what its
    /// jobs need, as before (a write that changes no text queues none).
    func embedAhead(_ user: UserID, _ batch: [MemoryNode]) async throws -> [[UInt8]: [Float]] {
        guard embeddingMode == .sync, let embedder else { return [:] }
        let fields = try await database.embeddedFields()
        var texts: [String] = []
        var seen = Set<[UInt8]>()
        for node in batch {
            for field in fields {
                guard let text = Self.embeddedText(of: node, field: field), seen.insert(Array(text.utf8)).inserted else { continue }
                texts.append(text)
            }
        }
        guard !texts.isEmpty else { return [:] }
        do {
            let vectors = try await embedder.embed(texts)
            guard vectors.count == texts.count, vectors.allSatisfy({ $0.count == embedder.dimensions }) else {
                database.logger.warning("the embedder answered the wrong number or size of vectors ahead of a write; the write embeds them itself")
                return [:]
            }
            return Dictionary(zip(texts.map { Array($0.utf8) }, vectors), uniquingKeysWith: { first, _ in first })
        } catch {
            database.logger.warning("embedding ahead of a write failed; the write embeds what it needs itself", metadata: ["error": "\(error)"])
            return [:]
        }
    }

    /// The claimant that a `.sync` write's new nodes' jobs are written claimed by (no worker is
    /// woken for them), inside the write's own transaction, which completes them before it commits
    /// (``completeClaimedAtWrite(_:_:ids:ahead:on:)``, else ``embedInline(_:_:on:ahead:)``): no
    /// other transaction ever sees a job of it unfinished, so one name serves every process.
    static let syncClaimant = "memgraph-sync-write"

    /// Most nodes a `.sync` write claims its jobs for as it writes them; larger writes (batch work)
    /// queue them pending, or in batches from `memory.bulk_job_rows()` rows, and embed them through
    /// ``embedInline(_:_:on:ahead:)``.
    static let syncClaimedWrite = 64

    /// In `.sync` mode, for a write whose new nodes' jobs were written claimed by ``syncClaimant``
    /// (`jobs`: their texts as this process reads them, ``jobsClaimedAtWrite(_:_:_:fields:)``):
    /// stores the vectors embedded ahead of the write for those jobs and completes them, in one
    /// statement. A job completes only when it is still this write's claim and its hash is that of
    /// the text the vector was computed from. Returns how many jobs of the nodes `ids` are still to
    /// be embedded (pending, or claimed and not completed here); the caller embeds them with
    /// ``embedInline(_:_:on:ahead:)``.
    func completeClaimedAtWrite(
        _ user: UserID, _ jobs: [EmbeddingJob], ids: [UUID], ahead: [[UInt8]: [Float]], on connection: PostgresConnection
    ) async throws -> Int {
        guard let embedder else { return ids.count }
        let ready = jobs.compactMap { job in ahead[Array(job.text.utf8)].map { (job, $0) } }
        let types = database.vectorTypes
        var bindings = PostgresBindings()
        bindings.append(user.rawValue)
        try bindings.append(BindArray.uuid(ready.map { $0.0.nodeID }), context: .default)
        try bindings.append(BindArray.text(ready.map { $0.0.field }), context: .default)
        try bindings.append(BindArray(ready.map { ByteBuffer(bytes: $0.0.contentSHA) }, type: .bytea, arrayType: .byteaArray), context: .default)
        try bindings.append(
            BindArray(elements: ready.map { PGVector($0.1, oid: types.vector) }, elementType: types.vector, arrayType: types.vectorArray),
            context: .default)
        bindings.append(embedder.modelIdentifier)
        try bindings.append(BindArray.uuid(ids), context: .default)
        bindings.append(Self.syncClaimant)
        var left = 0
        for try await count in try await connection.execute(CompleteClaimedAtWriteStatement(bindings: bindings), logger: database.logger) {
            left = count
        }
        return left
    }

    /// In `.sync` mode: embeds the jobs the trigger just queued for `ids` (pending, or claimed by
    /// ``syncClaimant``) and stores the vectors in the same transaction, marking the jobs
    /// completed, so the nodes are searchable on return. A job whose text is in `ahead` takes that
    /// vector (``embedAhead(_:_:)``).
    func embedInline(_ user: UserID, _ ids: [UUID], on connection: PostgresConnection, ahead: [[UInt8]: [Float]] = [:]) async throws {
        guard embeddingMode == .sync, let embedder, !ids.isEmpty else { return }
        // A bulk insert queued its nodes as batches (schema 13): split this transaction's into jobs
        // first. The transaction then waits for the embedder, which for a large batch can outlast
        // MEMGRAPH_IDLE_IN_TRANSACTION_TIMEOUT: that wait is this transaction's own work.
        try await connection.query(
            """
            SELECT memory.expand_embedding_batches(\(user.rawValue), true, NULL),
                   set_config('idle_in_transaction_session_timeout', '0', true)
            """, logger: database.logger)
        var jobs: [(node: UUID, field: String, sha: [UInt8], text: String)] = []
        for try await (node, field, sha, text) in try await connection.query(
            """
            SELECT j.node_id, j.field, j.content_sha, memory.field_text(n, j.field)
            FROM memory.embedding_jobs j JOIN memory.nodes n ON n.user_id = j.user_id AND n.node_id = j.node_id
            WHERE j.user_id = \(user.rawValue) AND j.node_id = ANY(\(ids))
              AND (j.status = 'pending' OR (j.status = 'processing' AND j.claimed_by = \(Self.syncClaimant)))
            """, logger: database.logger
        ).decode((UUID, String, ByteBuffer, String?).self) {
            if let text { jobs.append((node, field, Array(buffer: sha), text)) }
        }
        guard !jobs.isEmpty else { return }
        let vectors: [[Float]]
        do {
            let missing = jobs.map(\.text).filter { ahead[Array($0.utf8)] == nil }
            let computed = missing.isEmpty ? [] : try await embedder.embed(missing)
            guard computed.count == missing.count, computed.allSatisfy({ $0.count == embedder.dimensions }) else {
                throw MemoryGraphError(code: .embeddingFailed, message: "the embedder answered \(computed.count) vectors for \(missing.count) texts, or of the wrong size")
            }
            let fresh = Dictionary(zip(missing.map { Array($0.utf8) }, computed), uniquingKeysWith: { first, _ in first })
            vectors = try jobs.map { job in
                let key = Array(job.text.utf8)
                guard let vector = ahead[key] ?? fresh[key] else {
                    throw MemoryGraphError(code: .embeddingFailed, message: "no vector for a queued text")
                }
                return vector
            }
        } catch {
            throw RepositoriesError(.invalidInput, "embedding failed in sync mode: \(error)", operation: "remember", user: user.rawValue)
        }
        _ = try await embeddings.upsert(user, zip(jobs, vectors).map {
            EmbeddingRecord(nodeID: $0.node, field: $0.field, model: embedder.modelIdentifier, contentSHA: $0.sha, vector: $1)
        }, on: connection)
        try await connection.query(
            """
            UPDATE memory.embedding_jobs j SET status = 'completed', claimed_at = NULL, claimed_by = NULL, updated_at = now()
            FROM unnest(\(BindArray.uuid(jobs.map(\.node))), \(BindArray.text(jobs.map(\.field))),
                        \(BindArray(jobs.map { ByteBuffer(bytes: $0.sha) }, type: .bytea, arrayType: .byteaArray))) AS i(node_id, field, sha)
            WHERE j.user_id = \(user.rawValue) AND j.node_id = i.node_id AND j.field = i.field AND j.content_sha = i.sha
            """, logger: database.logger)
    }
}

/// ``MemoryStore/completeClaimedAtWrite(_:_:ids:ahead:on:)``'s statement, prepared once per
/// connection: $1 the user; $2-$5 the jobs' nodes, fields, hashes and vectors; $6 the model; $7
/// the write's nodes; $8 the claimant. Its one row: the jobs of $7 still to embed.
struct CompleteClaimedAtWriteStatement: PostgresPreparedStatement {
    static let name = "memgraph_complete_claimed_at_write"
    static let sql = """
        WITH i AS (
            SELECT * FROM unnest($2::uuid[], $3::text[], $4::bytea[], $5::vector[]) AS i(node_id, field, sha, vec)
        ), done AS (
            UPDATE memory.embedding_jobs j SET status = 'completed', claimed_at = NULL, claimed_by = NULL, updated_at = now()
            FROM i
            WHERE j.user_id = $1 AND j.node_id = i.node_id AND j.field = i.field AND j.content_sha = i.sha
              AND j.status = 'processing' AND j.claimed_by = $8
            RETURNING j.node_id, j.field, j.content_sha, i.vec
        ), stored AS (
            INSERT INTO memory.embeddings AS e (user_id, node_id, field, model, content_sha, dims, embedding, in_graph)
            SELECT $1, d.node_id, d.field, $6, d.content_sha, vector_dims(d.vec), d.vec, (SELECT memory.in_search_graph($1::text))
            FROM done d
            \(EmbeddingRecord.onConflict)
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM memory.embedding_jobs j
                WHERE j.user_id = $1 AND j.node_id = ANY($7::uuid[])
                  AND (j.status = 'pending' OR (j.status = 'processing' AND j.claimed_by = $8)))
               - (SELECT count(*) FROM stored)
        """
    typealias Row = Int

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }

    func decodeRow(_ row: PostgresRow) throws -> Int { try row.decode(Int.self) }
}
