import PostgresNIO
import _ConnectionPoolModule

/// The one error type of the Repositories module: configuration, the embedded cluster,
/// migrations and every database call.
///
/// Its `description` is one sentence naming the cause and, where possible, what to do.
/// It never holds memory content, vectors or bound values.
public struct RepositoriesError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New kinds may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let name: String
        public static let configuration = Code(name: "configuration")
        public static let embeddedCluster = Code(name: "embedded cluster")
        public static let connection = Code(name: "connection")
        public static let missingExtension = Code(name: "missing extension")
        public static let migration = Code(name: "migration")
        public static let schemaTooNew = Code(name: "schema too new")
        public static let conflict = Code(name: "conflict")
        public static let notFound = Code(name: "not found")
        public static let invalidInput = Code(name: "invalid input")
        public static let query = Code(name: "query")
        public var description: String { name }
    }

    public let code: Code
    /// One sentence for the user.
    public let message: String
    /// The operation that failed, such as "remember" or "migrate".
    public let operation: String?
    /// The user the operation ran for.
    public let user: String?
    /// The Postgres SQLSTATE, when the server reported one.
    public let sqlState: String?

    public init(
        _ code: Code, _ message: String, operation: String? = nil, user: String? = nil, sqlState: String? = nil
    ) {
        self.code = code
        self.message = message
        self.operation = operation
        self.user = user
        self.sqlState = sqlState
    }

    public var description: String {
        var text = ""
        if let operation { text += "\(operation): " }
        text += message
        if let user { text += " (user \(user))" }
        return text
    }
}

extension RepositoriesError {
    /// Classifies an error thrown by PostgresNIO by its SQLSTATE, never by message text.
    /// The server's message is kept only for errors that carry no row data (connection, syntax).
    static func wrap(_ error: any Error, operation: String, user: String? = nil) -> RepositoriesError {
        if let error = error as? RepositoriesError { return error }
        if let error = error as? PostgresTransactionError {
            if let closureError = error.closureError { return wrap(closureError, operation: operation, user: user) }
            if let beginError = error.beginError { return wrap(beginError, operation: operation, user: user) }
            if let commitError = error.commitError { return wrap(commitError, operation: operation, user: user) }
        }
        if let error = error as? ConnectionPoolError {
            // PostgresClient's pool, not the server: no connection could be had. 503, never 500.
            let message = switch error {
            case .connectionCreationCircuitBreakerTripped:
                "cannot reach the database: no connection could be made for a while (it is retried; is PostgreSQL running?)"
            case .poolShutdown: "the database connections are closed: the process is stopping"
            default: "no database connection came before the request was cancelled (is PostgreSQL reachable?)"
            }
            return .init(.connection, message, operation: operation, user: user)
        }
        if let error = error as? PSQLError {
            let state = error.serverInfo?[.sqlState]
            let constraint = error.serverInfo?[.constraintName]
            switch state {
            case "23505":
                return .init(.conflict, conflictMessage(constraint), operation: operation, user: user, sqlState: state)
            case "23503":
                return .init(.notFound, "a referenced node does not exist for this user (\(constraint ?? "foreign key"))",
                    operation: operation, user: user, sqlState: state)
            case "23514", "22P02", "22023", "22003", "22000":
                return .init(.invalidInput, "a value was rejected by the database (\(constraint ?? "SQLSTATE \(state ?? "")"))",
                    operation: operation, user: user, sqlState: state)
            case "54000":
                // A limit of Postgres itself, such as a tsvector over 1 MB (a text of some 100,000
                // distinct words): the input is too large, not the server broken. The message names
                // the limit and sizes, never the text.
                let message = error.serverInfo?[.message] ?? "a value exceeds a limit of the database"
                return .init(.invalidInput, "too large for the database: \(message) (SQLSTATE 54000)",
                    operation: operation, user: user, sqlState: state)
            case "42501":
                return .init(.query, "permission denied: the database role may not do this (row-level security or grants)",
                    operation: operation, user: user, sqlState: state)
            case "57014":
                return .init(.query, "the statement was cancelled: it ran longer than MEMGRAPH_STATEMENT_TIMEOUT allows, or was cancelled by an operator (SQLSTATE 57014)",
                    operation: operation, user: user, sqlState: state)
            case .some(let state) where state.hasPrefix("08") || state.hasPrefix("57P") || state == "25P03":
                return .init(.connection, "the database connection was lost (SQLSTATE \(state))",
                    operation: operation, user: user, sqlState: state)
            case .some(let state):
                let message = error.serverInfo?[.message] ?? "query failed"
                return .init(.query, "\(message) (SQLSTATE \(state))", operation: operation, user: user, sqlState: state)
            case .none:
                return .init(.connection, connectionMessage(error), operation: operation, user: user)
            }
        }
        return .init(.query, String(describing: error), operation: operation, user: user)
    }

    /// What a unique constraint means to the user; the constraint's name only for one not known here.
    private static func conflictMessage(_ constraint: String?) -> String {
        switch constraint {
        case "idx_nodes_user_key": "the key is already another node's (a key names one live node of a user)"
        case "unique_user_entity": "the entity (entity_system, entity_id) is already another node's"
        case "nodes_entity_key": "the key is already an entity's; a memory that is not that entity cannot take it (give it another key)"
        case "unique_user_relationship": "the two nodes are already related with this type"
        case "api_keys_name_key": "an API key has this name already"
        default: "a unique key is already taken (\(constraint ?? "unique constraint"))"
        }
    }

    private static func connectionMessage(_ error: PSQLError) -> String {
        let underlying = error.underlying.map { String(describing: $0) } ?? String(describing: error.code)
        return "cannot reach the database: \(underlying)"
    }
}

extension RepositoriesError {
    /// The database was migrated by a newer memgraph than this one.
    static func schemaTooNew(version: Int, known: Int) -> RepositoriesError {
        RepositoriesError(
            .schemaTooNew,
            "the database schema is at version \(version), newer than this memgraph knows (\(known)): upgrade memgraph, or point it at another database")
    }
}
