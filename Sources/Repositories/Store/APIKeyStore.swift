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

    /// The key whose secret hashes to `hash`, revoked or not. Every request with a service key
    /// asks this, so it runs as a statement prepared once per connection (``KeyStatement``).
    public func key(hash: Data) async throws -> APIKey? {
        try await database.withConnection(operation: "authenticate") { connection in
            var found: APIKey?
            for try await key in try await connection.execute(KeyStatement(hash: hash), logger: database.logger) { found = key }
            return found
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

    fileprivate static let columns = "key_id, name, scope_user, created_at, revoked_at"

    private func keys(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [APIKey] {
        var keys: [APIKey] = []
        for try await row in try await connection.query(query, logger: database.logger) { keys.append(try Self.key(row)) }
        return keys
    }

    fileprivate static func key(_ row: PostgresRow) throws -> APIKey {
        let (id, name, scope, created, revoked) = try row.decode((UUID, String, String?, Date, Date?).self)
        return APIKey(id: id, name: name, scopeUser: try scope.map(UserID.init), createdAt: created, revokedAt: revoked)
    }
}

/// The key lookup of ``APIKeyStore/key(hash:)``, prepared on a connection the first time that
/// connection runs it (as LOOKUP's): Postgres neither parses nor plans it again.
struct KeyStatement: PostgresPreparedStatement {
    static let name = "memgraph_api_key"
    static let sql = "SELECT \(APIKeyStore.columns) FROM memory.api_keys WHERE secret_hash = $1"
    static let bindingDataTypes: [PostgresDataType] = [.bytea]
    typealias Row = APIKey

    var hash: Data

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        try bindings.append(hash)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> APIKey { try APIKeyStore.key(row) }
}
