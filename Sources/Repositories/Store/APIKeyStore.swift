import Foundation
import MemoryGraph
import PostgresNIO

/// A stored API key (never its secret: only the secret's SHA-256 is stored).
public struct APIKey: Sendable, Equatable {
    public var id: UUID
    public var name: String
    /// nil: a service key, which may act for any user.
    public var scopeUser: UserID?
    public var createdAt: Date
    public var revokedAt: Date?
}

/// `memory.api_keys`: the credentials `memgraph serve` accepts. Not user data (no row-level security).
public struct APIKeyStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// The key whose secret hashes to `hash`, revoked or not.
    public func key(hash: Data) async throws -> APIKey? {
        try await database.withConnection(operation: "authenticate") { connection in
            try await keys(
                "SELECT \(unescaped: Self.columns) FROM memory.api_keys WHERE secret_hash = \(hash)", on: connection).first
        }
    }

    /// Stores a new key.
    /// - Throws: `RepositoriesError` (`.conflict` when the name is taken).
    public func insert(name: String, hash: Data, scope: UserID?) async throws -> APIKey {
        let inserted = try await database.withConnection(operation: "create key") { connection in
            try await keys(
                """
                INSERT INTO memory.api_keys (name, secret_hash, scope_user) VALUES (\(name), \(hash), \(scope?.rawValue))
                RETURNING \(unescaped: Self.columns)
                """, on: connection)
        }
        guard let key = inserted.first else { throw RepositoriesError(.query, "creating the key returned nothing", operation: "create key") }
        return key
    }

    /// Every key, newest first, revoked ones included.
    public func list() async throws -> [APIKey] {
        try await database.withConnection(operation: "list keys") { connection in
            try await keys("SELECT \(unescaped: Self.columns) FROM memory.api_keys ORDER BY created_at DESC, name", on: connection)
        }
    }

    /// Revokes the unrevoked key with this name or id. Returns the keys revoked (none or one).
    public func revoke(_ nameOrID: String) async throws -> [APIKey] {
        let id = UUID(uuidString: nameOrID)
        return try await database.withConnection(operation: "revoke key") { connection in
            try await keys(
                """
                UPDATE memory.api_keys SET revoked_at = now()
                WHERE (name = \(nameOrID) OR key_id = \(id)) AND revoked_at IS NULL RETURNING \(unescaped: Self.columns)
                """, on: connection)
        }
    }

    private static let columns = "key_id, name, scope_user, created_at, revoked_at"

    private func keys(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [APIKey] {
        var keys: [APIKey] = []
        for try await row in try await connection.query(query, logger: database.logger) {
            let (id, name, scope, created, revoked) = try row.decode((UUID, String, String?, Date, Date?).self)
            keys.append(APIKey(id: id, name: name, scopeUser: try scope.map(UserID.init), createdAt: created, revokedAt: revoked))
        }
        return keys
    }
}
