import Foundation
import MemoryGraph
import PostgresNIO

/// How far an import has got, in records (nodes, then relationships).
public struct ImportProgress: Sendable, Equatable {
    public var written: Int
    public var total: Int
}

extension MemoryStore {
    /// Records written per statement by ``importGraph(_:_:dryRun:batchSize:progress:)``.
    public static let importBatchSize = 5_000

    /// Imports a validated fixture set (see `FixtureLoader`) for `user` in one transaction:
    /// everything lands or nothing does.
    ///
    /// 1. Relationship ends that the set does not define (``FixtureSet/unresolvedReferences``) are
    ///    looked up among the user's keys; if any is missing, nothing is written and the error
    ///    names each one with its file and JSON path or line.
    /// 2. Nodes are written in batched statements of `batchSize`. Identity, so that importing the
    ///    same files again changes no counts (only entities' `update_count`):
    ///    - an entity (`entity_system`, `entity_id`) merges into the user's node for it;
    ///    - another node with a key (given, or the slug of `entity_name`) upserts by that key;
    ///    - a node with neither is the same node as a stored one without key or entity that has
    ///      the same context type, summary and content; its tags and metadata are merged in.
    /// 3. Relationships are upserted (same ends and type: the strength is updated).
    ///
    /// With `dryRun`, all of it runs inside a savepoint that is rolled back, so the summary is
    /// exact and the database is unchanged.
    ///
    /// ```swift
    /// let set = try FixtureLoader.load(paths: [URL(fileURLWithPath: "fixtures/crm.json")])
    /// let summary = try await store.importGraph(user, set)
    /// ```
    /// - Throws: `RepositoriesError` (`.notFound` for relationship ends that name no node,
    ///   `.conflict` when a key is taken by another node).
    public func importGraph(
        _ user: UserID, _ graph: FixtureSet, dryRun: Bool = false, batchSize: Int = importBatchSize,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> ImportSummary {
        // The fixture reader checked every node against the default bounds; a store configured with
        // another content bound checks again (before any write).
        if database.configuration.maximumContentBytes != MemoryNode.defaultMaximumContentBytes {
            for node in graph.nodes {
                do {
                    try node.node.validate(maximumContentBytes: database.configuration.maximumContentBytes)
                } catch let error as MemoryGraphError {
                    throw RepositoriesError(.invalidInput, "\(node.location): \(error.message); nothing was imported", operation: "import", user: user.rawValue)
                }
            }
        }
        let rows = graph.nodes.count + graph.relationships.count
        let tables: Set<StatisticsTables> = graph.relationships.isEmpty ? [.nodes] : [.nodes, .relationships]
        let summary: ImportSummary
        do {
            summary = try await bulkWrite(user, operation: "import", rows: rows, tables: tables) { connection in
                try await importGraph(user, graph, dryRun: dryRun, batchSize: batchSize, progress: progress, on: connection)
            }
        } catch let error as RepositoriesError where error.code == .conflict {
            // The transaction is gone; find the record whose key another node holds, to name it.
            throw try await locateKeyConflict(user, graph) ?? error
        }
        if !dryRun {
            await refreshStatisticsAfterBulkWrite(
                rows: summary.inserted + summary.merged + summary.relationships,
                tables: summary.relationships > 0 ? [.nodes, .relationships] : [.nodes])
        }
        return summary
    }

    /// After an import failed on a taken key: the records of `graph` whose written key a stored
    /// node holds that they may not merge into (an entity's key held by a node of another
    /// identity or none; the key of a node that is not an entity held by an entity), as an error
    /// naming each one's file and JSON path (nil when none is found, and the caller's error stands).
    func locateKeyConflict(_ user: UserID, _ graph: FixtureSet) async throws -> RepositoriesError? {
        let keyed = graph.nodes.filter { $0.node.key != nil }
        guard !keyed.isEmpty else { return nil }
        let keys = Array(Set(keyed.map { ExactKey($0.node.key!) })).map(\.text)
        var holders: [ExactKey: (system: String?, id: String?)] = [:]
        try await database.withUser(user, operation: "import") { connection in
            for try await (key, system, id) in try await connection.query(
                """
                SELECT node_key, entity_system, entity_id FROM memory.nodes
                WHERE user_id = \(user.rawValue) AND node_key = ANY(\(keys)) AND deleted_at IS NULL
                """, logger: database.logger
            ).decode((String, String?, String?).self) {
                holders[ExactKey(key)] = (system, id)
            }
        }
        let lines = keyed.compactMap { fixture -> String? in
            let key = fixture.node.key!, identity = fixture.node.entityIdentity
            guard let holder = holders[ExactKey(key)] else { return nil }
            let holderIdentity = holder.system.map { EntityIdentity(system: $0, id: holder.id ?? "") }
            // A node that is not an entity merges into another such node under its key.
            guard holderIdentity != identity else { return nil }
            let other = holder.id.map { "the entity \(holder.system ?? "")/\($0)" } ?? "a node that is not an entity"
            let this = identity == nil ? "memory" : "entity"
            return "\(fixture.location.appending(".key")): the key \(JSONValue.string(key).jsonText()) is already \(other)'s; give this \(this) another key"
        }
        guard !lines.isEmpty else { return nil }
        return RepositoriesError(
            .conflict, (lines.prefix(FixtureLoader.maximumProblems) + ["nothing was imported"]).joined(separator: "\n"),
            operation: "import", user: user.rawValue)
    }

    /// ``importGraph(_:_:dryRun:batchSize:progress:)`` inside the caller's user-scoped transaction.
    func importGraph(
        _ user: UserID, _ graph: FixtureSet, dryRun: Bool = false, batchSize: Int = importBatchSize,
        progress: (@Sendable (ImportProgress) -> Void)? = nil, on connection: PostgresConnection
    ) async throws -> ImportSummary {
        var nodes = graph.nodes.map(\.node).map(Self.keyedByName)
        let batchSize = max(1, batchSize)
        let total = nodes.count + graph.relationships.count
        if dryRun { try await connection.query("SAVEPOINT memgraph_dry_run", logger: database.logger) }
        let external = try await resolve(user, graph.unresolvedReferences, on: connection)
        try await adoptExportKeys(user, nodes, on: connection)

        var ids = [UUID?](repeating: nil, count: nodes.count)
        var inserted = [Bool](repeating: false, count: nodes.count)
        // Plain nodes (no key, no entity): fold repeats, then find those already stored.
        var firstOfPlain: [PlainIdentity: Int] = [:]
        var repeats: [(index: Int, first: Int)] = []
        for (index, node) in nodes.enumerated() where node.key == nil && node.entityIdentity == nil {
            let identity = PlainIdentity(node)
            if let first = firstOfPlain[identity] {
                repeats.append((index, first))
                // A repeat is a later store of the same node: merged in as a later import would be.
                nodes[first] = NodeRecord.mergeKeyed(nodes[first], node)  // same type, summary and content
            } else {
                firstOfPlain[identity] = index
            }
        }
        let stored = try await storedPlainNodes(user, firstOfPlain.values.sorted().map { ($0, nodes[$0]) }, on: connection)
        for (index, id) in stored { ids[index] = id }

        let pending = Set(repeats.map(\.index)).union(stored.keys)
        let toWrite = nodes.indices.filter { !pending.contains($0) }
        var written = 0
        for start in stride(from: 0, to: toWrite.count, by: batchSize) {
            let chunk = Array(toWrite[start..<min(toWrite.count, start + batchSize)])
            let outcomes = try await self.nodes.upsert(user, chunk.map { NodeRecord(node: nodes[$0]) }, on: connection)
            for (index, outcome) in zip(chunk, outcomes) {
                ids[index] = outcome.id
                inserted[index] = outcome.inserted
            }
            written += chunk.count
            progress?(ImportProgress(written: written, total: total))
        }
        // After the batched upserts: the first statement that fires the update triggers fixes
        // their cached plans for the session, and the small merge should not be it.
        try await mergePlain(user, stored.keys.sorted().map { (nodes[$0], stored[$0]!) }, on: connection)
        for (index, first) in repeats { ids[index] = ids[first] }
        let nodeIDList = ids.map { $0! }

        // Relationship ends: the set's own keys first, then the stored ones. Of the set's nodes
        // under one key, the one LOOKUP will find: a key given explicitly wins over one derived from
        // entity_name, and among equals the last (kv_store's rule). Keys byte for byte, as stored.
        var idOfKey = external
        for explicit in [false, true] {
            for (index, fixture) in graph.nodes.enumerated() where (fixture.node.key != nil) == explicit {
                if let key = fixture.key { idOfKey[ExactKey(key)] = nodeIDList[index] }
            }
        }
        var relationshipIDs: Set<UUID> = []
        var relationshipsInserted = 0
        for start in stride(from: 0, to: graph.relationships.count, by: batchSize) {
            let chunk = graph.relationships[start..<min(graph.relationships.count, start + batchSize)]
            let records = chunk.map {
                RelationshipRecord(relationship: Relationship(
                    from: idOfKey[ExactKey($0.fromKey)]!, to: idOfKey[ExactKey($0.toKey)]!, type: $0.type, strength: $0.strength,
                    metadata: $0.metadata, createdAt: $0.createdAt))
            }
            for outcome in try await relationships.upsert(user, records, on: connection) {
                if relationshipIDs.insert(outcome.id).inserted, outcome.inserted { relationshipsInserted += 1 }
            }
            written += chunk.count
            progress?(ImportProgress(written: written, total: total))
        }

        let distinct = Array(Set(nodeIDList))
        let kvEntries = try await countKVEntries(user, nodes: distinct, on: connection)
        // Texts that jobs this transaction queued or re-queued (they carry its start time, now())
        // will embed; a bulk insert's batch counts its nodes' texts (schema 13).
        let queued = try await connection.query(
            "SELECT memory.queued_texts(\(user.rawValue))::int8", logger: database.logger
        ).collect().first?.decode(Int.self) ?? 0
        if dryRun { try await connection.query("ROLLBACK TO SAVEPOINT memgraph_dry_run", logger: database.logger) }
        return ImportSummary(
            inserted: inserted.filter { $0 }.count, merged: nodes.count - inserted.filter { $0 }.count,
            relationships: relationshipIDs.count, relationshipsInserted: relationshipsInserted, kvEntries: kvEntries,
            embeddingsQueued: queued, dryRun: dryRun)
    }

    /// The ids of the user's live nodes under these keys (LOOKUP's kv_store), for the keys found,
    /// byte for byte.
    public func nodeIDs(_ user: UserID, keys: [String]) async throws -> [ExactKey: UUID] {
        try await database.withUser(user, operation: "resolve keys") { connection in
            try await nodeIDs(user, keys: keys, on: connection)
        }
    }

    // MARK: Steps

    /// A node that is not an entity and has no key but a name is identified by the key derived
    /// from its name, as the fixture format says; entities keep their key derived. Every write
    /// applies it (import and remember alike): a name-only memory stored through the API was a
    /// plain node, and importing the same record, or its export, added a second one.
    static func keyedByName(_ node: MemoryNode) -> MemoryNode {
        guard node.key == nil, node.entityIdentity == nil, let derived = node.derivedKey else { return node }
        var keyed = node
        keyed.key = derived
        return keyed
    }

    /// The key an export writes for a keyless node that a relationship touches: `node-<its id>`.
    public static func exportKey(_ id: UUID) -> String { "node-" + id.uuidString.lowercased() }

    /// An export writes a keyless node that a relationship touches with the key `node-<its id>`.
    /// Imported back into the same user, such a record is that node: the node takes the key
    /// (it had none), and the record then upserts into it by key instead of adding a copy (with a
    /// copy of each of its relationships). Only a live node of the user, without a key and not an
    /// entity, and only when no node holds the key already.
    func adoptExportKeys(_ user: UserID, _ nodes: [MemoryNode], on connection: PostgresConnection) async throws {
        let ids = Set(nodes.compactMap { node -> UUID? in
            guard node.entityIdentity == nil, let key = node.key, key.hasPrefix("node-"),
                  let id = UUID(uuidString: String(key.dropFirst(5))), key == Self.exportKey(id) else { return nil }
            return id
        })
        guard !ids.isEmpty else { return }
        try await connection.query(
            """
            UPDATE memory.nodes n SET node_key = 'node-' || n.node_id::text
            WHERE n.user_id = \(user.rawValue) AND n.node_id = ANY(\(Array(ids))) AND n.node_key IS NULL
              AND n.entity_id IS NULL AND n.deleted_at IS NULL
              AND NOT EXISTS (SELECT FROM memory.nodes o WHERE o.user_id = n.user_id AND o.node_key = 'node-' || n.node_id::text
                              AND o.deleted_at IS NULL)
            """, logger: database.logger)
    }

    /// Looks up the references; throws naming every one that no live node of the user has.
    private func resolve(_ user: UserID, _ references: [FixtureReference], on connection: PostgresConnection) async throws -> [ExactKey: UUID] {
        guard !references.isEmpty else { return [:] }
        let found = try await nodeIDs(user, keys: Array(Set(references.map { ExactKey($0.key) })).map(\.text), on: connection)
        let missing = references.filter { found[ExactKey($0.key)] == nil }
        guard missing.isEmpty else {
            var lines = missing.prefix(FixtureLoader.maximumProblems).map {
                "\($0.location): no node has the key \(JSONValue.string($0.key).jsonText()), in the files or stored for this user"
            }
            if missing.count > FixtureLoader.maximumProblems { lines.append("(and \(missing.count - lines.count) more)") }
            throw RepositoriesError(.notFound, lines.joined(separator: "\n"), operation: "import", user: user.rawValue)
        }
        return found
    }

    func nodeIDs(_ user: UserID, keys: [String], on connection: PostgresConnection) async throws -> [ExactKey: UUID] {
        guard !keys.isEmpty else { return [:] }
        // After a crash emptied kv_store, it is rebuilt before it is read.
        try await connection.query("SELECT memory.ensure_kv_store()", logger: database.logger).collect()
        var found: [ExactKey: UUID] = [:]
        for try await (key, id) in try await connection.query(
            """
            SELECT kv.entity_key, kv.node_id
            FROM memory.kv_store kv JOIN memory.nodes n ON n.user_id = kv.user_id AND n.node_id = kv.node_id
            WHERE kv.user_id = \(user.rawValue) AND kv.entity_key = ANY(\(keys)) AND n.deleted_at IS NULL
            """, logger: database.logger
        ).decode((String, UUID).self) {
            found[ExactKey(key)] = id
        }
        return found
    }

    /// For each (index, plain node), the stored node without key or entity that has the same context
    /// type, summary and content, if there is one.
    private func storedPlainNodes(
        _ user: UserID, _ candidates: [(index: Int, node: MemoryNode)], on connection: PostgresConnection
    ) async throws -> [Int: UUID] {
        guard !candidates.isEmpty else { return [:] }
        let types = BindArray.text(candidates.map(\.node.contextType.rawValue))
        let summaries = BindArray.text(candidates.map(\.node.summary))
        let contents = BindArray.jsonb(candidates.map { .object($0.node.content) })
        var found: [Int: UUID] = [:]
        let match: PostgresQuery = try """
            SELECT DISTINCT ON (i.ordinal) i.ordinal::int8, n.node_id
            FROM unnest(\(types)::text[], \(summaries)::text[], \(contents)::jsonb[])
                WITH ORDINALITY AS i(context_type, summary, content, ordinal)
            JOIN memory.nodes n ON n.user_id = \(user.rawValue) AND n.context_type = i.context_type AND n.content = i.content
            WHERE n.node_key IS NULL AND n.derived_key IS NULL AND n.entity_id IS NULL AND n.deleted_at IS NULL
              AND n.summary IS NOT DISTINCT FROM i.summary
            ORDER BY i.ordinal, n.created_at, n.node_id
            """
        for try await (ordinal, id) in try await connection.query(match, logger: database.logger).decode((Int, UUID).self) {
            found[candidates[ordinal - 1].index] = id
        }
        return found
    }

    /// Merges tags, metadata and base_relevance of plain nodes into the stored nodes they matched.
    private func mergePlain(_ user: UserID, _ matched: [(node: MemoryNode, id: UUID)], on connection: PostgresConnection) async throws {
        guard !matched.isEmpty else { return }
        let ids = BindArray.uuid(matched.map(\.id))
        let tags = BindArray.jsonb(matched.map { .array($0.node.tags.map(JSONValue.string)) })
        let metadata = BindArray.jsonb(matched.map { .object($0.node.metadata) })
        let relevance = BindArray.float8(matched.map(\.node.baseRelevance))
        // Only rows that would change are written, so a repeated import leaves them as they were.
        let merge: PostgresQuery = try """
            UPDATE memory.nodes n SET
                tags = CASE WHEN n.tags @> i.tags THEN n.tags
                            ELSE ARRAY(SELECT DISTINCT t FROM unnest(n.tags || i.tags) AS t ORDER BY t) END,
                metadata = n.metadata || i.metadata,
                base_relevance = i.base_relevance
            FROM (SELECT node_id, ARRAY(SELECT jsonb_array_elements_text(tags)) AS tags, metadata, base_relevance::real
                  FROM unnest(\(ids)::uuid[], \(tags)::jsonb[], \(metadata)::jsonb[], \(relevance)::float8[])
                      AS u(node_id, tags, metadata, base_relevance)) i
            WHERE n.user_id = \(user.rawValue) AND n.node_id = i.node_id
              AND NOT (n.tags @> i.tags AND n.metadata @> i.metadata AND n.base_relevance = i.base_relevance)
            """
        try await connection.query(merge, logger: database.logger)
    }

    private func countKVEntries(_ user: UserID, nodes ids: [UUID], on connection: PostgresConnection) async throws -> Int {
        for try await count in try await connection.query(
            "SELECT count(*)::int8 FROM memory.kv_store WHERE user_id = \(user.rawValue) AND node_id = ANY(\(ids))",
            logger: database.logger
        ).decode(Int.self) {
            return count
        }
        return 0
    }
}

/// What makes two plain nodes (no key, no entity) the same memory.
private struct PlainIdentity: Hashable {
    var contextType: ContextType
    var summary: String?
    var content: String

    init(_ node: MemoryNode) {
        contextType = node.contextType
        summary = node.summary
        content = JSONValue.object(node.content).compactJSON(sortedKeys: true)
    }
}
