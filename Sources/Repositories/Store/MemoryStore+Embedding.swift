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
    }

    /// In `.sync` mode: embeds the jobs the trigger just queued for `ids` and stores the vectors in the
    /// same transaction, marking the jobs completed, so the nodes are searchable on return.
    func embedInline(_ user: UserID, _ ids: [UUID], on connection: PostgresConnection) async throws {
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
            WHERE j.user_id = \(user.rawValue) AND j.node_id = ANY(\(ids)) AND j.status = 'pending'
            """, logger: database.logger
        ).decode((UUID, String, ByteBuffer, String?).self) {
            if let text { jobs.append((node, field, Array(buffer: sha), text)) }
        }
        guard !jobs.isEmpty else { return }
        let vectors: [[Float]]
        do {
            vectors = try await embedder.embed(jobs.map(\.text))
        } catch {
            throw RepositoriesError(.invalidInput, "embedding failed in sync mode: \(error)", operation: "remember", user: user.rawValue)
        }
        _ = try await embeddings.upsert(user, zip(jobs, vectors).map {
            EmbeddingRecord(nodeID: $0.node, field: $0.field, model: embedder.modelIdentifier, contentSHA: $0.sha, vector: $1)
        }, on: connection)
        try await connection.query(
            """
            UPDATE memory.embedding_jobs j SET status = 'completed', updated_at = now()
            FROM unnest(\(BindArray.uuid(jobs.map(\.node))), \(BindArray.text(jobs.map(\.field))),
                        \(BindArray(jobs.map { ByteBuffer(bytes: $0.sha) }, type: .bytea, arrayType: .byteaArray))) AS i(node_id, field, sha)
            WHERE j.user_id = \(user.rawValue) AND j.node_id = i.node_id AND j.field = i.field AND j.content_sha = i.sha
            """, logger: database.logger)
    }
}
