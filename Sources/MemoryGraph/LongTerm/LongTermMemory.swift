import Foundation

/// The long-term store a session writes through and falls back on: in memgraph, the Postgres
/// `MemoryStore` (Repositories). The session layer knows it only through this protocol.
public protocol LongTermMemory: Sendable {
    /// Applies a queued write exactly once: the operation id is recorded in the same transaction,
    /// and a replay of an applied id returns its first outcome without writing.
    func apply(_ user: UserID, _ operation: SessionOperation) async throws -> OperationOutcome
    /// LOOKUP by natural key.
    func lookup(_ user: UserID, key: String) async throws -> MemoryNode?
    /// The live node with this id.
    func node(_ user: UserID, id: UUID) async throws -> MemoryNode?
    /// FUZZY (pg_trgm).
    func fuzzy(_ user: UserID, text: String, threshold: Double, limit: Int) async throws -> [ScoredNode]
    /// SEARCH by meaning.
    func search(
        _ user: UserID, text: String, contextTypes: Set<ContextType>, minSimilarity: Double, limit: Int
    ) async throws -> [ScoredNode]
    /// The user's most relevant memories, best first, in one batched read (seed 004's `load_user_memories`).
    func sessionMemories(_ user: UserID, limit: Int) async throws -> [MemoryNode]
    /// Answers when the store can be reached (a round trip that reads and writes nothing); throws
    /// when it cannot. Tells a slow write from an unreachable store.
    func ping() async throws
    /// Whether `error` means the store could not be reached (a write is then kept queued), rather
    /// than that it refused the request (a write is then set aside as failed).
    func isUnavailable(_ error: any Error) -> Bool
}
