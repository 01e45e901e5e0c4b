import Foundation
import Logging
import MemoryGraph
import Repositories
import Sessions
import Synchronization

/// Every operation memgraph offers, implemented once. The CLI, the HTTP API and the MCP server
/// are adapters: they turn arguments, requests or tool calls into these calls, and their results
/// and errors into output (``Documents``, ``Failure``).
///
/// The service holds the database pool, the session store and the embedder, so that one process
/// (`memgraph serve`) shares them between all its requests. Every operation on user data takes the
/// `UserID` first; who may act as which user is decided before the call (``Credentials``).
///
/// ```swift
/// let embedder = try MiniLMEmbedder()
/// let service = MemoryService(database: database, sessions: sessions, logger: logger, embedder: { embedder })
/// let stored = try await service.remember(user, [MemoryNode(contextType: .conversationFact, summary: "Ana moved to Lisbon")],
///                                         wait: .embedded)
/// let answer = try await service.query(user, "RECALL \"where does Ana live\"")
/// ```
public final class MemoryService: Sendable {
    public let database: Database
    /// Opens the session store (SQLite) on first use and keeps it; session operations fail with a
    /// clear error without one. Lazily, so that a command that needs no session never opens it.
    private let sessionStoreOnce: Once<SessionStore?>
    public let logger: Logger
    private let loadEmbedder: @Sendable () throws -> any Embedder

    /// - Parameter embedder: returns the embedder for SEARCH, RECALL and embedding on write; called
    ///   on first use (it may load a model), so it should cache what it loads.
    public convenience init(
        database: Database, sessions: SessionStore?, logger: Logger, embedder: @escaping @Sendable () throws -> any Embedder
    ) {
        self.init(database: database, openSessions: { sessions }, logger: logger, embedder: embedder)
    }

    /// - Parameter openSessions: opens the session store when a session operation first needs it.
    public init(
        database: Database, openSessions: @escaping @Sendable () throws -> SessionStore?, logger: Logger,
        embedder: @escaping @Sendable () throws -> any Embedder
    ) {
        self.database = database
        self.sessionStoreOnce = Once(openSessions)
        self.logger = logger
        self.loadEmbedder = embedder
    }

    /// Prepares the database, waiting for it: a worker started before Postgres, or while it
    /// restarts, retries the connection with backoff (250 ms doubling to 10 s) and says so on
    /// stderr each time, instead of exiting. Any other error (credentials, schema, extensions) ends it.
    public static func prepareWhenReachable(_ configuration: DatabaseConfiguration, logger: Logger) async throws -> Database {
        var delay = Duration.milliseconds(250)
        while true {
            do {
                return try await Database.prepare(configuration, logger: logger)
            } catch let error as RepositoriesError where error.code == .connection {
                logger.warning(
                    "database unreachable; memgraph retries",
                    metadata: ["error": "\(error)", "retry_in_ms": "\(Int(delay.milliseconds))"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }

    /// The session store, opened on first use (nil when this process has none).
    public func sessions() throws -> SessionStore? { try sessionStoreOnce.value() }

    /// The store for reads and asynchronous writes.
    public var store: MemoryStore { MemoryStore(database: database) }

    /// The embedder; loads the model on first use.
    /// - Throws: `MemoryGraphError` (`.modelUnavailable`).
    public func embedder() throws -> any Embedder { try loadEmbedder() }

    /// A store that embeds: SEARCH and RECALL by text, `remember` with `wait: .embedded`.
    func embeddingStore(mode: MemoryStore.EmbeddingMode = .async) throws -> MemoryStore {
        MemoryStore(database: database, embedder: try embedder(), embeddingMode: mode)
    }

    // MARK: - Remember

    /// When a write returns.
    public enum Wait: String, Sendable, CaseIterable {
        /// Once the nodes are stored; the embedding pipeline embeds them soon after.
        case stored
        /// Once the nodes and their vectors are stored together: SEARCH and RECALL find them on return.
        case embedded
    }

    /// Stores nodes for `user` in one transaction (entities merge, keyed nodes upsert).
    /// - Throws: `RepositoriesError` (`.invalidInput`, `.conflict`), `MemoryGraphError` (`.modelUnavailable`).
    public func remember(_ user: UserID, _ nodes: [MemoryNode], wait: Wait = .stored) async throws -> [RememberResult] {
        guard !nodes.isEmpty else {
            throw MemoryGraphError.invalidInput("nothing to remember: give at least one node", operation: "remember")
        }
        switch wait {
        case .stored: return try await store.remember(user, nodes)
        case .embedded: return try await embeddingStore(mode: .sync).remember(user, nodes)
        }
    }

    // MARK: - Query

    /// Parses and runs a REM query.
    /// - Throws: `RemSyntaxError` (with the column) for a query that does not parse; what ``run(_:for:)`` throws.
    public func query(_ user: UserID, _ text: String) async throws -> QueryResult {
        return try await run(try RemParser.parse(text), for: user)
    }

    /// Runs a parsed REM query. SEARCH and RECALL embed their text with the service's embedder.
    /// - Throws: `RepositoriesError`, `MemoryGraphError` (`.modelUnavailable`).
    public func run(_ query: RemQuery, for user: UserID) async throws -> QueryResult {
        switch query {
        case .lookup(let key):
            let node = try await store.lookup(user, key: key)
            return QueryResult(query: query, rows: node.map { [ScoredNode(node: $0, score: 1)] } ?? [])
        case .fuzzy(let text, let threshold, let limit):
            return QueryResult(query: query, rows: try await store.fuzzy(user, text: text, threshold: threshold, limit: limit))
        case .search(let text, let contextTypes, let minSimilarity, let limit):
            let rows = try await embeddingStore().search(
                user, text: text, contextTypes: contextTypes, minSimilarity: minSimilarity, limit: limit)
            return try await countingPending(QueryResult(query: query, rows: rows), user)
        case .recall(let recall):
            let hits = try await embeddingStore().recall(user, recall)
            return try await countingPending(QueryResult(
                query: query, rows: hits.map { ScoredNode(node: $0.node, score: $0.score) }, evidence: hits.map(\.arms)), user)
        case .traverse(let key, let depth, let types, let direction):
            guard let start = try await store.lookup(user, key: key) else {
                return QueryResult(query: query, rows: [], edges: [])
            }
            let graph = try await store.traverse(user, from: start.id!, depth: depth, types: types, direction: direction)
            var result = QueryResult(
                query: query, rows: graph.nodes.map { ScoredNode(node: $0.node, score: Double($0.depth)) }, edges: graph.edges)
            result.truncated = graph.truncated
            return result
        }
    }

    /// An empty answer by meaning says whether the user's memories are still waiting for their
    /// vectors (one more round trip, on the empty path only).
    private func countingPending(_ result: QueryResult, _ user: UserID) async throws -> QueryResult {
        guard result.rows.isEmpty else { return result }
        var result = result
        let jobs = try await store.jobCounts(user)
        result.pendingEmbeddings = (jobs["pending"] ?? 0) + (jobs["processing"] ?? 0)
        return result
    }

    /// The embedding pipelines running now (``PipelineStatus/isAlive``).
    public func livePipelines() async throws -> [PipelineStatus] {
        try await store.pipelines().filter(\.isAlive)
    }

    // MARK: - Nodes and relationships

    /// How a caller names a node: by its LOOKUP key or by its id.
    public enum NodeReference: Sendable, Hashable, CustomStringConvertible {
        case key(String)
        /// A node id, and the text it was read from: a key may look like a UUID too.
        case id(UUID, text: String)

        /// A UUID is read as a node id (and, when no node has that id, as a key), anything else as a key.
        public init(_ text: String) {
            if let id = UUID(uuidString: text) { self = .id(id, text: text) } else { self = .key(text) }
        }

        public var description: String {
            switch self {
            case .key(let key): JSONValue.string(key).jsonText()
            case .id(let id, _): "node \(id.uuidString.lowercased())"
            }
        }
    }

    /// The live node, or a not-found error that names it and says what to try.
    /// - Throws: `MemoryGraphError` (`.notFound`), `RepositoriesError`.
    public func node(_ user: UserID, _ reference: NodeReference) async throws -> MemoryNode {
        switch reference {
        case .key(let key):
            guard let node = try await store.lookup(user, key: key) else {
                throw MemoryGraphError(
                    code: .notFound,
                    message: "no node has the key \(JSONValue.string(key).jsonText()) for user \(user); the query \(RemQuery.fuzzy(text: key, threshold: RemQuery.defaultThreshold, limit: RemQuery.defaultLimit)) finds keys and names spelt like it",
                    user: user)
            }
            return node
        case .id(let id, let text):
            if let node = try await store.node(user, id: id) { return node }
            // A key that looks like a UUID (an entity id used as a key, say) is still a key.
            if let node = try await store.lookup(user, key: text) { return node }
            throw MemoryGraphError(
                code: .notFound, message: "no node \(id.uuidString.lowercased()) for user \(user), nor a node with that key", user: user)
        }
    }

    /// Removes a node (soft by default; `hard` deletes it with its relationships and embeddings).
    /// A hard forget by node id also reaches a node forgotten softly before (its key no longer
    /// names it: a key names a live node only).
    /// - Returns: the node as it was.
    public func forget(_ user: UserID, _ reference: NodeReference, hard: Bool = false) async throws -> MemoryNode {
        let node: MemoryNode
        if hard, case .id(let id, _) = reference, let removed = try await store.node(user, id: id, includeRemoved: true) {
            node = removed
        } else {
            node = try await self.node(user, reference)
        }
        guard try await store.forget(user, id: node.id!, hard: hard) else {
            throw MemoryGraphError(code: .notFound, message: "\(reference) was removed meanwhile", user: user)
        }
        return node
    }

    /// Relates two of the user's nodes; relating them again with the same type updates the strength.
    public func relate(
        _ user: UserID, from: NodeReference, to: NodeReference, type: RelationshipType, strength: Double = 1,
        metadata: [String: JSONValue] = [:]
    ) async throws -> (relationship: Relationship, inserted: Bool, from: MemoryNode, to: MemoryNode) {
        guard (0...1).contains(strength) else {
            throw MemoryGraphError.invalidInput("strength must be from 0 to 1, not \(strength)", operation: "relate")
        }
        let start = try await node(user, from)
        let end = try await node(user, to)
        let outcome = try await store.relate(user, from: start.id!, to: end.id!, type: type, strength: strength, metadata: metadata)
        let relationship = Relationship(id: outcome.id, from: start.id!, to: end.id!, type: type, strength: strength, metadata: metadata)
        return (relationship, outcome.inserted, start, end)
    }

    /// The subgraph around a node, up to `depth` edges away, ready to draw.
    public func explore(_ user: UserID, _ root: NodeReference, depth: Int = 2) async throws -> GraphRenderer {
        guard RemQuery.depthRange.contains(depth) else {
            throw MemoryGraphError.invalidInput("depth must be from \(RemQuery.depthRange.lowerBound) to \(RemQuery.depthRange.upperBound), not \(depth)", operation: "explore")
        }
        let start = try await node(user, root)
        return GraphRenderer(graph: try await store.traverse(user, from: start.id!, depth: depth), root: start.id!)
    }

    /// The most edges a shortest path looks across (`max_depth`, `--max-depth`).
    public static let maximumPathDepth = MemoryStore.maximumPathDepth

    /// The shortest path between two nodes, or a not-found error that says what to widen.
    public func path(
        _ user: UserID, from: NodeReference, to: NodeReference, maxDepth: Int, types: Set<RelationshipType> = [],
        direction: Direction = .both
    ) async throws -> GraphPath {
        let start = try await node(user, from)
        let goal = try await node(user, to)
        guard let path = try await store.shortestPath(
            user, from: start.id!, to: goal.id!, maxDepth: maxDepth, types: types, direction: direction)
        else {
            // What would widen the search: only what is not at its widest already.
            var wider: [String] = []
            if maxDepth < Self.maximumPathDepth { wider.append("a larger max depth (up to \(Self.maximumPathDepth))") }
            if direction != .both { wider.append("direction both") }
            if !types.isEmpty { wider.append("more relationship types than \(types.map(\.rawValue).sorted().joined(separator: ", "))") }
            let hint = wider.isEmpty ? "the two are not connected" : "try " + wider.joined(separator: ", or ")
            throw MemoryGraphError(
                code: .notFound,
                message: "no path from \(Documents.label(start)) to \(Documents.label(goal)) within \(maxDepth) edges; \(hint)",
                user: user)
        }
        return path
    }

    // MARK: - Stats and health

    /// Whether the user has anything stored: reads of an unknown user are answered 404 over HTTP.
    public func userExists(_ user: UserID) async throws -> Bool {
        try await store.userExists(user)
    }

    /// The database answers, and its schema is still the one it was prepared with (this build's:
    /// start-up migrates or refuses), not moved on by a newer memgraph since.
    public func readiness() async throws -> (schemaVersion: Int, schemaCurrent: Bool) {
        let version = try await database.schemaVersion()
        return (version, version == database.startup.schemaVersion)
    }

    /// The user's counts and queue.
    public func stats(_ user: UserID) async throws -> (stats: UserStats, jobs: [String: Int]) {
        (try await store.stats(user), try await store.jobCounts(user))
    }
}

/// A value made once, on first use, by a throwing function; a failure is not kept (the next use tries again).
final class Once<Value: Sendable>: Sendable {
    private let make: @Sendable () throws -> Value
    private let made = Mutex<Value?>(nil)

    init(_ make: @escaping @Sendable () throws -> Value) { self.make = make }

    func value() throws -> Value {
        try made.withLock { made in
            if let made { return made }
            let value = try make()
            made = value
            return value
        }
    }
}
