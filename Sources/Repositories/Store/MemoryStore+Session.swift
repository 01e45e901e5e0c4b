import Foundation
import MemoryGraph
import PostgresNIO

/// The long-term side of a session (`SessionMemory`): queued writes applied exactly once, by the
/// operation id the client made.
extension MemoryStore: LongTermMemory {
    /// Applies a session's queued write in one transaction, together with a row in
    /// `memory.applied_operations` under its id. An id already there is not applied again: its
    /// first outcome is returned. So a replay after a crash, before or after the commit, is harmless.
    /// - Throws: `RepositoriesError` (`.connection` when the database cannot be reached; `.invalidInput`,
    ///   `.notFound` or `.conflict` when the write is refused: replaying it will not help).
    public func apply(_ user: UserID, _ operation: SessionOperation) async throws -> OperationOutcome {
        if case .remember(let node) = operation.kind { try validate([node], user: user) }
        // The session layer bounds how long it waits (MEMGRAPH_SESSION_APPLY_TIMEOUT); a large
        // import's statement may outlast MEMGRAPH_STATEMENT_TIMEOUT, which would refuse it for good.
        return try await database.withUser(user, operation: operation.kindName, settings: [("statement_timeout", "0")]) { connection in
            let claimed = try await connection.query(
                """
                INSERT INTO memory.applied_operations (user_id, operation_id, kind)
                VALUES (\(user.rawValue), \(operation.id), \(operation.kindName))
                ON CONFLICT (user_id, operation_id) DO NOTHING RETURNING 1
                """, logger: database.logger
            ).collect().count == 1
            guard claimed else {
                return try await appliedOutcome(user, operation.id, on: connection)
            }
            let outcome: OperationOutcome
            switch operation.kind {
            case .remember(let node):
                let result = try await nodes.upsert(user, NodeRecord(node: Self.keyedByName(node)), on: connection)
                try await embedInline(user, [result.id], on: connection)
                outcome = .remembered(RememberResult(nodeID: result.id, inserted: result.inserted))
            case .relate(let request):
                let from = try await resolve(user, request.from, on: connection)
                let to = try await resolve(user, request.to, on: connection)
                let result = try await relationships.upsert(
                    user,
                    RelationshipRecord(relationship: Relationship(
                        from: from, to: to, type: request.type, strength: request.strength, metadata: request.metadata)),
                    on: connection)
                outcome = .related(RelationshipResult(relationshipID: result.id, inserted: result.inserted))
            case .importGraph(let graph):
                outcome = .imported(try await importGraph(user, graph, on: connection))
            }
            let json = String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self)
            try await connection.query(
                """
                UPDATE memory.applied_operations SET result = \(json)::jsonb
                WHERE user_id = \(user.rawValue) AND operation_id = \(operation.id)
                """, logger: database.logger)
            return outcome
        }
    }

    /// A `SELECT 1` on a pooled connection.
    /// - Throws: `RepositoriesError` (`.connection` when the database cannot be reached).
    public func ping() async throws {
        try await database.withConnection(operation: "ping") { connection in
            _ = try await connection.queryUnlessClosed("SELECT 1", logger: database.logger).collect()
        }
    }

    /// Whether the error means the database could not be reached (the write stays queued).
    public func isUnavailable(_ error: any Error) -> Bool {
        guard let error = error as? RepositoriesError else { return false }
        return error.code == .connection || error.code == .embeddedCluster
    }

    /// The outcome recorded for an applied operation.
    private func appliedOutcome(_ user: UserID, _ id: UUID, on connection: PostgresConnection) async throws -> OperationOutcome {
        let rows = try await connection.query(
            """
            SELECT result::text FROM memory.applied_operations WHERE user_id = \(user.rawValue) AND operation_id = \(id)
            """, logger: database.logger)
        for try await text in rows.decode(String?.self) {
            guard let text else { break }
            do {
                return try JSONDecoder().decode(OperationOutcome.self, from: Data(text.utf8))
            } catch {
                throw RepositoriesError(.query, "the recorded outcome of operation \(id) cannot be read", operation: "apply", user: user.rawValue)
            }
        }
        throw RepositoriesError(.notFound, "operation \(id) has not been applied", operation: "apply", user: user.rawValue)
    }

    /// The node id a reference names, for this user.
    private func resolve(_ user: UserID, _ reference: NodeReference, on connection: PostgresConnection) async throws -> UUID {
        switch reference {
        case .id(let id):
            return id
        case .key(let key):
            guard let id = try await nodeIDs(user, keys: [key], on: connection)[ExactKey(key)] else {
                throw RepositoriesError(.notFound, "no node has the key \(key)", operation: "relate", user: user.rawValue)
            }
            return id
        case .operation(let operation):
            let outcome: OperationOutcome
            do {
                outcome = try await appliedOutcome(user, operation, on: connection)
            } catch let error as RepositoriesError where error.code == .notFound {
                throw RepositoriesError(
                    .notFound, "the node of operation \(operation) does not exist: that write was not applied",
                    operation: "relate", user: user.rawValue)
            }
            guard let id = outcome.nodeID else {
                throw RepositoriesError(
                    .invalidInput, "operation \(operation) did not remember a node", operation: "relate", user: user.rawValue)
            }
            return id
        }
    }
}
