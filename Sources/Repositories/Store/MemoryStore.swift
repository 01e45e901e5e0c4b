import Crypto
import Foundation
import Logging
import MemoryGraph
import PostgresNIO

/// The user-scoped facade an agent runtime calls: remember (with entity dedup), relate, LOOKUP,
/// FUZZY, SEARCH, traverse, stats and cleanup.
///
/// Every method takes the `UserID` first and runs in a transaction scoped to that user, so one
/// user's calls never see or change another user's rows. Errors are `RepositoriesError`.
///
/// ```swift
/// let store = MemoryStore(database: database)
/// let acme = try await store.remember(user, MemoryNode(contextType: .domainEntity, summary: "Acme Corp",
///     content: ["entity_system": "salesforce", "entity_id": "ACC-001", "entity_name": "Acme Corp"]))
/// let found = try await store.lookup(user, key: "acme-corp")
/// ```
public struct MemoryStore: Sendable {
    /// When a remembered node's embeddings are computed (seed 000's modes).
    public enum EmbeddingMode: String, Sendable {
        /// The embedding pipeline's workers embed it soon after (the default).
        case async
        /// `remember` embeds it and commits node and vectors together: searchable on return.
        case sync
    }

    public let database: Database
    /// Embeds SEARCH queries by text, and nodes in `.sync` mode.
    public let embedder: (any Embedder)?
    public let embeddingMode: EmbeddingMode
    let nodes: Repository<NodeRecord>
    let relationships: Repository<RelationshipRecord>
    let kvEntries: Repository<KVEntryRecord>
    let embeddings: Repository<EmbeddingRecord>

    /// - Parameters:
    ///   - embedder: needed for SEARCH by text and for `.sync` mode.
    ///   - embeddingMode: `.async` leaves embedding to the pipeline; `.sync` needs an embedder.
    public init(database: Database, embedder: (any Embedder)? = nil, embeddingMode: EmbeddingMode = .async) {
        precondition(embeddingMode == .async || embedder != nil, "sync embedding needs an embedder")
        self.database = database
        self.embedder = embedder
        self.embeddingMode = embeddingMode
        self.nodes = Repository(database: database)
        self.relationships = Repository(database: database)
        self.kvEntries = Repository(database: database)
        self.embeddings = Repository(database: database)
    }

    // MARK: - Nodes

    /// Stores a node. An entity (content with `entity_system` and `entity_id`) merges into the
    /// user's existing node for it in one atomic statement: `entity_data` merged with new keys
    /// winning, `update_count` and `last_updated` kept, tags united, summary replaced when given.
    /// Otherwise a node with a `key` upserts by key (one with only an `entity_name`, by the key
    /// derived from it, as an import identifies it), and any other node is inserted.
    /// - Throws: `RepositoriesError` (`.invalidInput` for a node that fails validation, `.conflict`
    ///   when its key belongs to another node).
    @discardableResult
    public func remember(_ user: UserID, _ node: MemoryNode) async throws -> RememberResult {
        try await remember(user, [node])[0]
    }

    /// Stores many nodes in one transaction through the batched path (at most three statements).
    /// - Returns: one result per node, in order.
    public func remember(_ user: UserID, _ batch: [MemoryNode]) async throws -> [RememberResult] {
        guard !batch.isEmpty else { return [] }
        let batch = batch.map(Self.keyedByName)  // a name-only node is its name's key's, as in an import
        // Each node is checked as the statement that writes it is built (NodeRecord.upsertStatements),
        // overlapping the database's work; one that fails rolls the whole batch back.
        let tables: Set<StatisticsTables> = embeddingMode == .sync ? [.nodes, .embeddings] : [.nodes]
        let results: [RememberResult]
        if embeddingMode == .async, batch.count <= QueuedTexts.largestWrite, database.queuedTexts.hasListeners {
            // Before the write: the pipeline embeds while Postgres writes and commits. The
            // summaries: the one field every node has a text for (other fields' texts are
            // embedded when claimed). A summary that did not change queues no job, and a write
            // that fails none; such a guess is dropped unused.
            database.queuedTexts.tell(batch.compactMap { Self.embeddedText(of: $0, field: "summary") })
        }
        if embeddingMode == .async, NodeRecord.isOneStatement(batch) {
            // The new nodes' jobs are written already claimed by this process's pipeline when it
            // has one that keeps up, and each row written is a node as given (so their texts are
            // known here): it embeds them with no claim and no wake-up.
            let claimant = batch.count <= QueuedTexts.largestWrite && NodeRecord.foldsNothing(batch)
                ? database.queuedTexts.claimantForWrite() : nil
            let fields = claimant == nil ? [] : try await database.embeddedFields()
            // One statement, which sets the user itself: one round trip, its own transaction
            // (against four: BEGIN, the user, the statement, COMMIT).
            let outcomes = try await database.withUserStatement(user, operation: "remember") { connection in
                try await nodes.upsert(user, batch.map(NodeRecord.init), on: connection, claimant: claimant)
            }
            results = outcomes.map { RememberResult(nodeID: $0.id, inserted: $0.inserted) }
            if let claimant {
                database.queuedTexts.claimed(Self.jobsClaimedAtWrite(user, batch, outcomes, fields: fields), by: claimant)
            }
        } else {
            let ahead = try await embedAhead(user, batch)
            // A small sync write's new nodes' jobs are written claimed by the write itself and
            // completed by one statement with the vectors embedded ahead (no worker woken, no
            // claim); whatever that leaves (an entity's merge, an updated text) goes through
            // embedInline, as every job of a larger write does.
            let claimant = embeddingMode == .sync && batch.count <= Self.syncClaimedWrite && NodeRecord.foldsNothing(batch)
                ? Self.syncClaimant : nil
            let fields = claimant == nil ? [] : try await database.embeddedFields()
            results = try await bulkWrite(user, operation: "remember", rows: batch.count, tables: tables) { connection in
                let outcomes = try await nodes.upsert(user, batch.map(NodeRecord.init), on: connection, claimant: claimant)
                let ids = outcomes.map(\.id)
                let left = claimant == nil ? ids.count : try await completeClaimedAtWrite(
                    user, Self.jobsClaimedAtWrite(user, batch, outcomes, fields: fields), ids: ids, ahead: ahead, on: connection)
                if left > 0 { try await embedInline(user, ids, on: connection, ahead: ahead) }
                return outcomes.map { RememberResult(nodeID: $0.id, inserted: $0.inserted) }
            }
        }
        await refreshStatisticsAfterBulkWrite(rows: batch.count, tables: tables)
        return results
    }

    /// The jobs the insert trigger wrote claimed (memory.embed_track_insert): per new node, each
    /// embedded field with a text (``embeddedText(of:field:)``, as memory.row_texts reads it),
    /// created when the job was (the write's `now()`).
    static func jobsClaimedAtWrite(_ user: UserID, _ batch: [MemoryNode], _ outcomes: [UpsertOutcome], fields: [String]) -> [EmbeddingJob] {
        zip(batch, outcomes).filter { $0.1.inserted }.flatMap { node, outcome in
            fields.compactMap { field -> EmbeddingJob? in
                guard let text = embeddedText(of: node, field: field) else { return nil }
                return EmbeddingJob(
                    userID: user.rawValue, nodeID: outcome.id, field: field, contentSHA: Array(SHA256.hash(data: Data(text.utf8))),
                    text: text, attempts: 0, createdAt: outcome.writtenAt)
            }
        }
    }

    /// Stores nodes and then relationships between them in one transaction, as an import does.
    /// Relationship endpoints are indexes into `batch`.
    public func remember(
        _ user: UserID, _ batch: [MemoryNode], relating edges: [(from: Int, to: Int, type: RelationshipType, strength: Double, metadata: [String: JSONValue])]
    ) async throws -> (nodes: [RememberResult], relationships: [UpsertOutcome]) {
        let rows = batch.count + edges.count
        let tables: Set<StatisticsTables> = embeddingMode == .sync ? [.nodes, .relationships, .embeddings] : [.nodes, .relationships]
        let batch = batch.map(Self.keyedByName)
        let written = try await bulkWrite(user, operation: "import", rows: rows, tables: tables) { connection in
            let results = try await nodes.upsert(user, batch.map(NodeRecord.init), on: connection)
            let records = edges.map {
                RelationshipRecord(relationship: Relationship(
                    from: results[$0.from].id, to: results[$0.to].id, type: $0.type, strength: $0.strength, metadata: $0.metadata))
            }
            let outcomes = try await relationships.upsert(user, records, on: connection)
            try await embedInline(user, results.map(\.id), on: connection)
            return (results.map { RememberResult(nodeID: $0.id, inserted: $0.inserted) }, outcomes)
        }
        await refreshStatisticsAfterBulkWrite(rows: rows, tables: tables)
        return written
    }

    /// The node with this id, unless it is absent, soft-deleted or another user's.
    public func node(_ user: UserID, id: UUID) async throws -> MemoryNode? {
        try await node(user, id: id, includeRemoved: false)
    }

    /// ``node(_:id:)``, reading a soft-deleted node too when `includeRemoved` (and then counting no
    /// access: a removed node is read only to be deleted for good).
    public func node(_ user: UserID, id: UUID, includeRemoved: Bool) async throws -> MemoryNode? {
        let node = try await database.withUser(user, operation: "get node") { connection in
            try await nodes.get(user, id: id, includeRemoved: includeRemoved, on: connection)?.node
        }
        if node != nil && !includeRemoved { database.accessLog.record(user, [id]) }
        return node
    }

    /// Removes a node: soft (hidden from every read, kept for audit) by default, or for good,
    /// which also removes its relationships and embeddings. Returns whether a node was removed.
    @discardableResult
    public func forget(_ user: UserID, id: UUID, hard: Bool = false) async throws -> Bool {
        try await database.withUser(user, operation: "forget") { connection in
            try await nodes.delete(user, id: id, soft: !hard, on: connection)
        }
    }

    // MARK: - Relationships

    /// Relates two nodes of the user. Idempotent: relating them again with the same type updates the strength.
    /// - Throws: `RepositoriesError` (`.notFound` when either node is not this user's, `.invalidInput` for a strength outside 0…1).
    @discardableResult
    public func relate(
        _ user: UserID, from: UUID, to: UUID, type: RelationshipType, strength: Double = 1.0,
        metadata: [String: JSONValue] = [:]
    ) async throws -> UpsertOutcome {
        try await database.withUser(user, operation: "relate") { connection in
            try await relationships.upsert(
                user,
                RelationshipRecord(relationship: Relationship(from: from, to: to, type: type, strength: strength, metadata: metadata)),
                on: connection)
        }
    }

    /// The relationships of a node, in the given direction and optionally of one type, strongest first.
    public func relationships(
        _ user: UserID, of node: UUID, direction: Direction = .both, type: RelationshipType? = nil
    ) async throws -> [Relationship] {
        try await database.withUser(user, operation: "relationships") { connection in
            var found: [RelationshipRecord] = []
            let typeFilter: [RepositoryFilter<RelationshipRecord>] = type.map { [.equals(.relationshipType, $0.rawValue)] } ?? []
            if direction != .incoming {
                found += try await relationships.find(user, on: connection, where: [.equals(.fromNodeID, node)] + typeFilter)
            }
            if direction != .outgoing {
                found += try await relationships.find(user, on: connection, where: [.equals(.toNodeID, node)] + typeFilter)
            }
            var seen = Set<UUID>()
            return found.map(\.relationship).filter { seen.insert($0.id!).inserted }
                .sorted { $0.strength > $1.strength }
        }
    }

    /// The nodes one edge away, with the edge that leads to each, strongest first.
    public func neighbours(
        _ user: UserID, of node: UUID, direction: Direction = .both, types: Set<RelationshipType> = []
    ) async throws -> [(relationship: Relationship, node: MemoryNode)] {
        let graph = try await traverse(user, from: node, depth: 1, types: types, direction: direction)
        let byID = Dictionary(graph.nodes.map { ($0.node.id!, $0.node) }, uniquingKeysWith: { first, _ in first })
        return graph.edges.compactMap { edge in
            // The node's own edges in the direction asked: the subgraph also holds those among its
            // neighbours, and, walked in one direction, one back into the node from a neighbour.
            let touches = switch direction {
            case .outgoing: edge.from == node
            case .incoming: edge.to == node
            case .both: edge.from == node || edge.to == node
            }
            guard touches else { return nil }
            let other = edge.from == node ? edge.to : edge.from
            return byID[other].map { (edge, $0) }
        }.sorted { $0.relationship.strength > $1.relationship.strength }
    }

    func validate(_ batch: [MemoryNode], user: UserID) throws {
        try NodeRecord.check(
            user, batch.indices.map { $0 + 1 }, of: batch.map(NodeRecord.init),
            maximumContentBytes: database.configuration.maximumContentBytes)
    }
}
