import Foundation
import MemoryGraph
import PostgresNIO

/// A row of `memory.nodes`.
public struct NodeRecord: RepositoryRecord, Equatable {
    public enum Column: String, RepositoryColumn {
        case nodeID = "node_id", nodeKey = "node_key", derivedKey = "derived_key", content, contextType = "context_type"
        case summary, createdAt = "created_at", lastAccessed = "last_accessed", accessCount = "access_count"
        case baseRelevance = "base_relevance", tags, metadata, entityID = "entity_id", entitySystem = "entity_system"
        case entityType = "entity_type", deletedAt = "deleted_at"
    }

    public var node: MemoryNode

    public init(node: MemoryNode) {
        self.node = node
    }

    public static let table = "memory.nodes"
    public static let idColumn = Column.nodeID
    public static let softDeleteColumn: Column? = .deletedAt
    /// The columns a node is read from, in the order ``init(row:)`` decodes them (the SQL functions
    /// that return nodes, `memory.lookup_node`, `fuzzy_nodes` and `search_nodes`, return them so too).
    static let selectedColumns = [
        "node_id", "node_key", "content", "context_type", "summary", "created_at", "last_accessed", "access_count::int8",
        "base_relevance::float8", "tags", "metadata",
    ]
    public static let selectList = selectedColumns.joined(separator: ", ")
    /// ``selectList`` for a query that names the nodes table `n`.
    static let joinedSelectList = selectedColumns.map { "n.\($0)" }.joined(separator: ", ")

    public init(row: PostgresRow) throws {
        let (id, key, content, contextType, summary, created, accessed, count, relevance, tags, metadata) = try row.decode(
            (UUID, String?, JSONValue, String, String?, Date, Date, Int, Double, [String], JSONValue).self)
        guard let type = ContextType(rawValue: contextType) else {
            throw RepositoriesError(.query, "a node has the unknown context type '\(contextType)'")
        }
        node = MemoryNode(
            id: id, key: key, contextType: type, summary: summary, content: content.objectValue ?? [:], tags: tags,
            metadata: metadata.objectValue ?? [:], baseRelevance: Double(storedReal: relevance), createdAt: created, lastAccessed: accessed,
            accessCount: count)
    }

    /// Three statements at most, one per conflict rule:
    /// - entities merge on (user_id, entity_system, entity_id): `entity_data` merged with new keys winning,
    ///   `update_count` counted, tags united, summary replaced when given;
    /// - other nodes with a key upsert on (user_id, node_key);
    /// - the rest are inserted.
    /// Duplicates within the batch are merged first, in order, as if stored one after another.
    ///
    /// Each record is checked (`MemoryNode.validate`, with the configured content bound) when the
    /// statement that writes it is built, so a large batch's checks overlap the database's work on
    /// the statements before (see ``Repository/upsert(_:_:on:)``). A record that fails stops the
    /// batch with `.invalidInput` naming its position; the caller's transaction then writes nothing.
    public static func upsertStatements(_ user: UserID, _ records: [NodeRecord], context: RecordContext) throws -> [UpsertStatement] {
        var entities: [(ordinals: [Int], node: MemoryNode)] = []
        var entityIndex: [EntityIdentity: Int] = [:]
        var keyed: [(ordinals: [Int], node: MemoryNode)] = []
        var keyIndex: [ExactKey: Int] = [:]  // byte for byte, as the database's unique key
        var plain: [(ordinals: [Int], node: MemoryNode)] = []
        let now = Self.timestamp(Date())
        for (offset, record) in records.enumerated() {
            let ordinal = offset + 1
            let node = record.node
            switch UpsertRuleKind(node) {
            case .entity(let identity):
                if let at = entityIndex[identity] {
                    entities[at].ordinals.append(ordinal)
                    entities[at].node = Self.mergeEntity(entities[at].node, node)
                } else {
                    entityIndex[identity] = entities.count
                    entities.append(([ordinal], node))
                }
            case .keyed(let key):
                if let at = keyIndex[ExactKey(key)] {
                    keyed[at].ordinals.append(ordinal)
                    keyed[at].node = Self.mergeKeyed(keyed[at].node, node)
                } else {
                    keyIndex[ExactKey(key)] = keyed.count
                    keyed.append(([ordinal], node))
                }
            case .plain:
                plain.append(([ordinal], node))
            }
        }
        var statements: [UpsertStatement] = []
        if !entities.isEmpty {
            statements += statement(user, entities, checking: records, context: context, rule: EntityRule.self, stamp: now)
        }
        if !keyed.isEmpty {
            statements += statement(user, keyed, checking: records, context: context, rule: KeyedRule.self)
        }
        if !plain.isEmpty {
            statements += statement(user, plain, checking: records, context: context, rule: PlainRule.self)
        }
        return statements
    }

    /// Entities merge on (user_id, entity_system, entity_id): `entity_data` merged with new keys
    /// winning, `update_count` counted, tags united, summary replaced when given.
    enum EntityRule: NodeUpsertRule {
        static let name = "memgraph_upsert_entity_nodes"
        static let sql = NodeRecord.sql(conflict: """
            ON CONFLICT (user_id, entity_system, entity_id) WHERE entity_id IS NOT NULL DO UPDATE SET
                content = memory.merge_entity_content(n.content, EXCLUDED.content),
                summary = coalesce(EXCLUDED.summary, n.summary),
                tags = ARRAY(SELECT DISTINCT t FROM unnest(n.tags || EXCLUDED.tags) AS t ORDER BY t),
                metadata = n.metadata || EXCLUDED.metadata,
                node_key = coalesce(EXCLUDED.node_key, n.node_key),
                derived_key = coalesce(EXCLUDED.derived_key, n.derived_key),
                entity_type = coalesce(EXCLUDED.entity_type, n.entity_type),
                context_type = EXCLUDED.context_type,
                base_relevance = EXCLUDED.base_relevance,
                deleted_at = NULL
            """, join: "i.entity_system = u.entity_system AND i.entity_id = u.entity_id")
    }

    /// Other nodes with a key upsert on (user_id, node_key); under an entity's key, a conflict
    /// (`memory.refuse_entity_key`), as an entity under the key of a node that is not one is.
    enum KeyedRule: NodeUpsertRule {
        static let name = "memgraph_upsert_keyed_nodes"
        static let sql = NodeRecord.sql(conflict: """
            ON CONFLICT (user_id, node_key) WHERE node_key IS NOT NULL AND deleted_at IS NULL DO UPDATE SET
                content = n.content || EXCLUDED.content,
                summary = coalesce(EXCLUDED.summary, n.summary),
                tags = ARRAY(SELECT DISTINCT t FROM unnest(n.tags || EXCLUDED.tags) AS t ORDER BY t),
                metadata = n.metadata || EXCLUDED.metadata,
                context_type = CASE WHEN n.entity_id IS NULL THEN EXCLUDED.context_type ELSE memory.refuse_entity_key() END,
                base_relevance = EXCLUDED.base_relevance
            """, join: "i.node_key = u.node_key")
    }

    /// The rest are inserted.
    enum PlainRule: NodeUpsertRule {
        static let name = "memgraph_insert_plain_nodes"
        static let sql = NodeRecord.sql(conflict: "", join: "i.node_id = u.node_id")
    }

    /// Whether `nodes` are written by one statement: at most ``preparedStatementRows`` of them, all
    /// under one rule (entities, keyed, or plain), as ``upsertStatements(_:_:context:)`` splits them.
    static func isOneStatement(_ nodes: [MemoryNode]) -> Bool {
        guard !nodes.isEmpty, nodes.count <= preparedStatementRows else { return false }
        let first = UpsertRuleKind(nodes[0]).statement
        return nodes.allSatisfy { UpsertRuleKind($0).statement == first }
    }

    /// Whether every one of `nodes` is written as a row of its own, as given: no two are the same
    /// entity or have the same key (``upsertStatements(_:_:context:)`` would fold them into one).
    static func foldsNothing(_ nodes: [MemoryNode]) -> Bool {
        var entities = Set<EntityIdentity>()
        var keys = Set<ExactKey>()
        for node in nodes {
            switch UpsertRuleKind(node) {
            case .entity(let identity): guard entities.insert(identity).inserted else { return false }
            case .keyed(let key): guard keys.insert(ExactKey(key)).inserted else { return false }
            case .plain: continue
            }
        }
        return true
    }

    /// Which rule writes a node: an entity merges on its identity, else a node with a key upserts
    /// by key, else it is inserted. ``upsertStatements(_:_:context:)`` splits a batch by it, and
    /// ``isOneStatement(_:)`` relies on the same split (a write it calls one statement runs
    /// without a transaction of its own).
    enum UpsertRuleKind {
        case entity(EntityIdentity), keyed(String), plain

        init(_ node: MemoryNode) {
            if let identity = node.entityIdentity {
                self = .entity(identity)
            } else if let key = node.key {
                self = .keyed(key)
            } else {
                self = .plain
            }
        }

        /// Which of the batch's (at most three) statements writes the node.
        var statement: Int {
            switch self {
            case .entity: 0
            case .keyed: 1
            case .plain: 2
            }
        }
    }

    /// Rows per statement. A batch's later statements are encoded while earlier ones run; the
    /// first of each rule's statements is smaller, so that the database starts sooner.
    static let statementRows = 10_000
    static let firstStatementRows = 2_000
    /// Statements of at most this many rows run as the rule's prepared statement (a remember of one
    /// node, an agent's few): Postgres parses and plans the rule's statement once per connection
    /// instead of on every call (~0.45 of a single-node remember's ~2.1 ms in Postgres: its
    /// statement log). Larger ones go unnamed and are planned for their size: a plan made for a
    /// few rows would join a 10,000-row statement's rows by nested loop.
    static let preparedStatementRows = 64

    /// The statements for one conflict rule's nodes, ``statementRows`` at a time, built when run.
    /// With a `stamp` (entities), each node's content gets `update_count` (the count it brought,
    /// plus the stores of it the batch folded together, less one) and `last_updated` (the time it
    /// brought, unless the batch folded repeats of it; else the stamp), written when its statement is built:
    /// copying every entity's content up front kept Postgres waiting (perf of a 100,000-node import:
    /// the pass before the first statement took 0.24 s of client time with the copies, 0.11 s without).
    private static func statement<Rule: NodeUpsertRule>(
        _ user: UserID, _ group: [(ordinals: [Int], node: MemoryNode)], checking records: [NodeRecord], context: RecordContext,
        rule: Rule.Type, stamp: String? = nil
    ) -> [UpsertStatement] {
        let starts = [0] + Array(stride(from: min(firstStatementRows, group.count), to: group.count, by: statementRows))
        return starts.map { start in
            let end = start == 0 ? min(group.count, firstStatementRows) : min(group.count, start + statementRows)
            let chunk = Array(group[start..<end])
            return UpsertStatement {
                try check(user, chunk.flatMap(\.ordinals), of: records, maximumContentBytes: context.maximumContentBytes)
                let bindings = try Self.bindings(user, chunk, stamp: stamp, claimant: context.claimant)
                return chunk.count <= preparedStatementRows
                    ? .prepared(PreparedUpsert<Rule>(bindings: bindings)) : .query(PostgresQuery(unsafeSQL: Rule.sql, binds: bindings))
            }
        }
    }

    /// Whether `text` is a `last_updated` as memgraph writes it (`2026-12-06T12:17:47.391Z`).
    static func isStamp(_ text: String) -> Bool {
        text.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z/) != nil
    }

    /// Checks the records at these ordinals (1-based) of `records`, each as it was given (before
    /// the batch folded repeats together).
    /// - Throws: `RepositoriesError` `.invalidInput`, naming the record's position in a batch of more than one.
    static func check(_ user: UserID, _ ordinals: [Int], of records: [NodeRecord], maximumContentBytes: Int) throws {
        for ordinal in ordinals {
            do {
                try records[ordinal - 1].node.validate(maximumContentBytes: maximumContentBytes)
            } catch let error as MemoryGraphError {
                let position = records.count > 1 ? "node \(ordinal): " : ""
                throw RepositoriesError(.invalidInput, position + error.message, operation: "remember", user: user.rawValue)
            }
        }
    }

    /// The binds of one statement of any rule: the user, then one array per input column.
    private static func bindings(
        _ user: UserID, _ group: [(ordinals: [Int], node: MemoryNode)], stamp: String?, claimant: String?
    ) throws -> PostgresBindings {
        // One input row per distinct node; every ordinal that folded into it gets its outcome.
        var ordinals: [String?] = []
        var ids: [UUID?] = [], keys: [String?] = [], derived: [String?] = [], contents: [JSONValue?] = []
        var types: [String?] = [], summaries: [String?] = [], relevance: [Double?] = [], tags: [JSONValue?] = []
        var metadata: [JSONValue?] = [], entityIDs: [String?] = [], entityTypes: [String?] = []
        var entitySystems: [String?] = [], created: [Date?] = []
        for (members, node) in group {
            ordinals.append(members.map(String.init).joined(separator: ","))
            ids.append(UUID.v7())
            keys.append(node.key)
            derived.append(node.key == nil ? node.derivedKey : nil)
            if let stamp {
                // A count and a time the memory brought (an export read back) are kept: an
                // exported graph imports as it was. Repeats folded here are merges: counted, and now.
                var content = node.content
                let brought = content["update_count"]?.doubleValue.flatMap { $0 >= 0 && $0 == $0.rounded() && $0 < 1e9 ? $0 : nil } ?? 0
                content["update_count"] = .number(brought + Double(members.count - 1))
                if members.count > 1 || content["last_updated"]?.stringValue.map(Self.isStamp) != true {
                    content["last_updated"] = .string(stamp)
                }
                contents.append(.object(content))
            } else {
                contents.append(.object(node.content))
            }
            types.append(node.contextType.rawValue)
            summaries.append(node.summary)
            relevance.append(node.baseRelevance)
            tags.append(.array(node.tags.map(JSONValue.string)))
            metadata.append(.object(node.metadata))
            entityIDs.append(node.entityIdentity?.id)
            entitySystems.append(node.entityIdentity?.system)
            entityTypes.append(node.content["entity_type"]?.stringValue)
            created.append(node.createdAt)
        }
        var bindings = PostgresBindings()
        bindings.append(user.rawValue)
        for array in [
            BindArray.text(ordinals), .uuid(ids), .text(keys), .text(derived), .jsonb(contents), .text(types),
            .text(summaries), .float8(relevance), .jsonb(tags), .jsonb(metadata), .text(entityIDs), .text(entityTypes),
            .text(entitySystems), .timestamptz(created),
        ] {
            try bindings.append(array, context: .default)
        }
        bindings.append(claimant)
        return bindings
    }

    /// One rule's statement: the input rows unnested, inserted (or merged by `conflict`), and each
    /// input ordinal's outcome. It sets the user for row-level security itself (`s`), so that a
    /// write that is this one statement needs no transaction of its own (``isOneStatement(_:)``):
    /// every inserted row is joined to `s`, so set_config has run before the first row is checked
    /// against the policies (a row checked before it would fail them: `memgraph.user_id` is empty
    /// at the start of a transaction). Inside the caller's transaction it sets the same user again.
    /// It also sets `memgraph.claim_by` to `$16` (or clears it): the insert trigger writes the new
    /// nodes' jobs claimed by that embedding worker (a small write whose process embeds as it
    /// writes, ``QueuedTexts``), else pending.
    static func sql(conflict: String, join: String) -> String {
        """
            WITH s AS MATERIALIZED (
                SELECT set_config('memgraph.user_id', $1, true) AS user_id,
                       set_config('memgraph.claim_by', coalesce($16::text, ''), true) AS claim_by
            ), i AS (
                SELECT * FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::jsonb[], $7::text[], $8::text[],
                                     $9::float8[], $10::jsonb[], $11::jsonb[], $12::text[], $13::text[], $14::text[],
                                     $15::timestamptz[])
                    AS u(ordinals, node_id, node_key, derived_key, content, context_type, summary, base_relevance,
                         tags, metadata, entity_id, entity_type, entity_system, created_at)
            ), u AS (
                INSERT INTO memory.nodes AS n (user_id, node_id, node_key, derived_key, content, context_type, summary,
                    base_relevance, tags, metadata, entity_id, entity_type, entity_system, created_at, last_accessed)
                SELECT s.user_id, node_id, node_key, derived_key, content, context_type, summary, base_relevance,
                       ARRAY(SELECT jsonb_array_elements_text(tags)), metadata, entity_id, entity_type, entity_system,
                       coalesce(created_at, now()), coalesce(created_at, now())
                FROM i CROSS JOIN s
                \(conflict)
                RETURNING n.node_id, n.node_key, n.entity_system, n.entity_id, (old.node_id IS NULL) AS inserted,
                          \(conflict.isEmpty ? "n.node_id" : "NULL::uuid") AS new_id
            )
            SELECT o::int8, u.node_id, u.inserted AND o = split_part(i.ordinals, ',', 1), now() FROM u
            JOIN i ON \(join.replacingOccurrences(of: "i.node_id = u.node_id", with: "i.node_id = u.new_id"))
            CROSS JOIN LATERAL unnest(string_to_array(i.ordinals, ',')) AS o
            """
    }

    /// Folds a later store of the same key into an earlier one, as ``KeyedRule``'s conflict clause
    /// would: content merged (the later's members win), the later's summary when it has one, tags
    /// united, metadata merged, the later's type and base_relevance; the first date given is kept.
    static func mergeKeyed(_ earlier: MemoryNode, _ later: MemoryNode) -> MemoryNode {
        var merged = later
        merged.content = earlier.content.merging(later.content) { $1 }
        merged.summary = later.summary ?? earlier.summary
        merged.tags = Array(Set(earlier.tags + later.tags)).sorted()
        merged.metadata = earlier.metadata.merging(later.metadata) { $1 }
        merged.createdAt = earlier.createdAt ?? later.createdAt
        return merged
    }

    /// Folds a later store of the same entity into an earlier one, as the database would (but
    /// for update_count and last_updated, which the statement sets): as ``mergeKeyed(_:_:)``, but
    /// `entity_data` merged a level down, and the later key when it has one.
    static func mergeEntity(_ earlier: MemoryNode, _ later: MemoryNode) -> MemoryNode {
        var merged = mergeKeyed(earlier, later)
        var content = earlier.content
        for (key, value) in later.content where key != "entity_data" && key != "update_count" && key != "last_updated" {
            content[key] = value
        }
        if earlier.content["entity_data"] != nil || later.content["entity_data"] != nil {  // none made where neither has one
            let oldData = earlier.content["entity_data"]?.objectValue ?? [:]
            let newData = later.content["entity_data"]?.objectValue ?? [:]
            content["entity_data"] = .object(oldData.merging(newData) { $1 })
        }
        merged.content = content
        merged.key = later.key ?? earlier.key
        return merged
    }

    static func timestamp(_ date: Date) -> String {
        DateTimeText.format(date)
    }
}
