import Foundation

/// A memory: a fact, a tool output, or a domain entity such as a CRM account or a contact.
///
/// A node that carries `entity_system` and `entity_id` in its content is an entity: storing it
/// again merges into the same node. A node with a `key` is found by LOOKUP under that key; an
/// entity without one is found under the key derived from its `entity_name`.
///
/// ```swift
/// let node = MemoryNode(
///     contextType: .domainEntity, summary: "Acme Corp, a technology account",
///     content: ["entity_system": "salesforce", "entity_id": "ACC-001", "entity_type": "Account",
///               "entity_name": "Acme Corp", "entity_data": ["industry": "Technology"]])
/// ```
public struct MemoryNode: Sendable, Equatable, Codable {
    /// Set by the store.
    public var id: UUID?
    /// The natural key, such as "sarah-chen".
    public var key: String?
    public var contextType: ContextType
    public var summary: String?
    public var content: [String: JSONValue]
    public var tags: [String]
    public var metadata: [String: JSONValue]
    /// 0 to 1.
    public var baseRelevance: Double
    /// Set by the store.
    public var createdAt: Date?
    /// Set by the store.
    public var lastAccessed: Date?
    /// Set by the store.
    public var accessCount: Int?

    /// The longest summary accepted, in bytes of UTF-8.
    public static let maximumSummaryBytes = 8_192

    public init(
        id: UUID? = nil, key: String? = nil, contextType: ContextType, summary: String? = nil,
        content: [String: JSONValue] = [:], tags: [String] = [], metadata: [String: JSONValue] = [:],
        baseRelevance: Double = 0.5, createdAt: Date? = nil, lastAccessed: Date? = nil, accessCount: Int? = nil
    ) {
        self.id = id
        self.key = key
        self.contextType = contextType
        self.summary = summary
        self.content = content
        self.tags = tags
        self.metadata = metadata
        self.baseRelevance = baseRelevance
        self.createdAt = createdAt
        self.lastAccessed = lastAccessed
        self.accessCount = accessCount
    }

    /// (entity_system, entity_id), when the content names both.
    public var entityIdentity: EntityIdentity? {
        guard let system = content["entity_system"]?.stringValue, let id = content["entity_id"]?.stringValue,
            !system.isEmpty, !id.isEmpty
        else { return nil }
        return EntityIdentity(system: system, id: id)
    }

    /// What is wrong with a score (base_relevance, a relationship's strength), or nil: it must be
    /// from 0 to 1, and 0 or a number PostgreSQL's `real` does not round to 0 (it refuses such a
    /// number, SQLSTATE 22003: 1e-320 got a database error without a path).
    public static func scoreProblem(_ value: Double) -> String? {
        if !(0...1).contains(value) { return "expected a number from 0 to 1, found \(JSONValue.number(value).jsonText())" }
        if value != 0, Float(value) == 0 {
            return "expected a number from 0 to 1 that a real keeps, found \(JSONValue.number(value).jsonText()) (it would be 0: give 0)"
        }
        return nil  // the usual case: nothing formatted
    }

    /// The key LOOKUP finds this node by: `key`, or else the one derived from `entity_name`.
    public var lookupKey: String? {
        key ?? derivedKey
    }

    /// The key derived from `entity_name` (see ``NodeKey/normalize(_:)``).
    public var derivedKey: String? {
        content["entity_name"]?.stringValue.flatMap(NodeKey.normalize)
    }

    /// The deepest nesting of `content` or `metadata` accepted: what is stored must read back, and
    /// the JSON reader stops at 200 levels.
    public static let maximumNestingDepth = 100
    /// The default bound on the size of `content` and `metadata` together (their JSON text, about);
    /// `MEMGRAPH_MAX_CONTENT_BYTES` changes it for a store.
    public static let defaultMaximumContentBytes = 1 << 20

    /// Checks what the database would also refuse, and the bounds on what a node may hold, with a
    /// message that names the field.
    /// - Parameter maximumContentBytes: the bound on `content` and `metadata` together.
    /// - Throws: `MemoryGraphError` (`.invalidInput`).
    public func validate(maximumContentBytes: Int = defaultMaximumContentBytes) throws {
        if let key {
            guard !key.isEmpty, key.utf8.count <= 255 else {
                throw MemoryGraphError.invalidInput("key must be 1 to 255 bytes")
            }
            // A key is typed after LOOKUP and printed in tables: no control characters, not blank.
            guard !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw MemoryGraphError.invalidInput("key must not hold control characters (tabs, newlines, NUL)")
            }
            guard !key.allSatisfy(\.isWhitespace) else {
                throw MemoryGraphError.invalidInput("key must not be only spaces")
            }
        } else if let derived = derivedKey, derived.utf8.count > 255 {
            throw MemoryGraphError.invalidInput(
                "entity_name gives the key a length of \(derived.utf8.count) bytes; the limit is 255: give the node a key")
        }
        if let summary, summary.utf8.count > Self.maximumSummaryBytes {
            throw MemoryGraphError.invalidInput("summary is longer than \(Self.maximumSummaryBytes) bytes")
        }
        for (field, text) in [("key", key), ("summary", summary)] where text?.utf8.contains(0) == true {
            throw MemoryGraphError.invalidInput("\(field) holds a NUL character (\\u0000), which cannot be stored")
        }
        if tags.contains(where: { $0.utf8.contains(0) }) {
            throw MemoryGraphError.invalidInput("tags hold a NUL character (\\u0000), which cannot be stored")
        }
        let contentShape = JSONValue.object(content).shape, metadataShape = JSONValue.object(metadata).shape
        for (field, shape) in [("content", contentShape), ("metadata", metadataShape)] {
            if shape.hasNUL {
                throw MemoryGraphError.invalidInput("\(field) holds a NUL character (\\u0000), which cannot be stored")
            }
            if shape.depth > Self.maximumNestingDepth {
                throw MemoryGraphError.invalidInput(
                    "\(field) nests \(shape.depth) levels deep; the limit is \(Self.maximumNestingDepth)")
            }
        }
        if contentShape.bytes + metadataShape.bytes > maximumContentBytes {
            throw MemoryGraphError.invalidInput(
                "content and metadata are about \(contentShape.bytes + metadataShape.bytes) bytes; the limit is \(maximumContentBytes) (MEMGRAPH_MAX_CONTENT_BYTES)")
        }
        if let problem = Self.scoreProblem(baseRelevance) {
            throw MemoryGraphError.invalidInput("base_relevance: \(problem)")
        }
        let hasSystem = content["entity_system"] != nil
        let hasID = content["entity_id"] != nil
        if hasSystem || hasID {
            guard entityIdentity != nil else {
                throw MemoryGraphError.invalidInput("an entity needs both entity_system and entity_id as non-empty strings")
            }
        }
        if let data = content["entity_data"], data.objectValue == nil {
            throw MemoryGraphError.invalidInput("entity_data must be an object")
        }
        guard JSONValue.object(content).isFinite, JSONValue.object(metadata).isFinite else {
            throw MemoryGraphError.invalidInput("content and metadata must hold finite numbers only: JSON has no NaN or infinity")
        }
        if contextType == .temporaryState {
            throw MemoryGraphError.invalidInput("temporary_state nodes live in a session, not in the long-term store")
        }
    }
}

/// An entity's identity in its source system; unique per user.
public struct EntityIdentity: Sendable, Hashable, Codable {
    public var system: String
    public var id: String

    public init(system: String, id: String) {
        self.system = system
        self.id = id
    }

    /// Byte for byte (``ExactKey``), as the database's unique (user_id, entity_system, entity_id).
    public static func == (lhs: EntityIdentity, rhs: EntityIdentity) -> Bool {
        ExactKey(lhs.system) == ExactKey(rhs.system) && ExactKey(lhs.id) == ExactKey(rhs.id)
    }

    public func hash(into hasher: inout Hasher) {
        ExactKey(system).hash(into: &hasher)
        ExactKey(id).hash(into: &hasher)
    }
}

/// What `remember` did.
public struct RememberResult: Sendable, Equatable, Codable {
    public var nodeID: UUID
    /// True when a new node was made; false when an existing one was merged into.
    public var inserted: Bool

    public init(nodeID: UUID, inserted: Bool) {
        self.nodeID = nodeID
        self.inserted = inserted
    }
}

/// A typed, directed edge between two nodes of one user.
public struct Relationship: Sendable, Equatable, Codable {
    public var id: UUID?
    public var from: UUID
    public var to: UUID
    public var type: RelationshipType
    /// 0 to 1.
    public var strength: Double
    public var metadata: [String: JSONValue]
    public var createdAt: Date?

    public init(
        id: UUID? = nil, from: UUID, to: UUID, type: RelationshipType, strength: Double = 1.0,
        metadata: [String: JSONValue] = [:], createdAt: Date? = nil
    ) {
        self.id = id
        self.from = from
        self.to = to
        self.type = type
        self.strength = strength
        self.metadata = metadata
        self.createdAt = createdAt
    }
}

/// A node with a score: similarity for FUZZY and SEARCH, 1 for LOOKUP.
public struct ScoredNode: Sendable, Equatable, Codable {
    public var node: MemoryNode
    public var score: Double

    public init(node: MemoryNode, score: Double) {
        self.node = node
        self.score = score
    }
}
