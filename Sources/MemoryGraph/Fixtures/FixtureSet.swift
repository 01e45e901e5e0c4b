import Foundation

/// Everything a set of fixture files holds, validated: what `memgraph import` writes.
///
/// Nodes and relationships keep the order of the files (sorted by name within a directory) and
/// of the records in them. Repeats are kept: a node that appears twice (same entity, or same key
/// without a conflicting entity) is merged by the store, as storing it twice would.
///
/// ```swift
/// let set = try FixtureLoader.load(paths: [URL(fileURLWithPath: "fixtures/crm.json")])
/// for node in set.nodes { print(node.key ?? "-", node.location) }
/// ```
public struct FixtureSet: Sendable, Equatable, Codable {
    /// The `user_id` the files name, if any; `--user` wins over it.
    public var userID: UserID?
    /// Every node record, in order.
    public var nodes: [FixtureNode]
    /// Every relationship record, in order.
    public var relationships: [FixtureRelationship]
    /// Relationship ends whose key no node in the set defines. They may name nodes already stored
    /// for the user; the importer looks them up and reports those it cannot find.
    public var unresolvedReferences: [FixtureReference]
    /// The files read, in order, as displayed in locations.
    public var files: [String]
    /// Entries of the given directories that were not read: other extensions, `*.schema.json`,
    /// and subdirectories (directories are not searched recursively). Hidden entries are not listed.
    public var skipped: [String]

    /// Creates a set.
    public init(
        userID: UserID? = nil, nodes: [FixtureNode] = [], relationships: [FixtureRelationship] = [],
        unresolvedReferences: [FixtureReference] = [], files: [String] = [], skipped: [String] = []
    ) {
        self.userID = userID
        self.nodes = nodes
        self.relationships = relationships
        self.unresolvedReferences = unresolvedReferences
        self.files = files
        self.skipped = skipped
    }

    /// The index in ``nodes`` of the last node whose lookup key is `key`, if one is.
    ///
    /// All nodes with that key are one node once stored, so any of them serves as a relationship end.
    public func nodeIndex(forKey key: String) -> Int? {
        nodes.lastIndex { $0.key == key }
    }
}

/// A node record of a fixture.
public struct FixtureNode: Sendable, Equatable, Codable {
    /// The node to store. Its `key` is the one written in the fixture, if any.
    public var node: MemoryNode
    /// The key LOOKUP and relationships find it by: `key`, else the slug of `entity_name`
    /// (``MemoryNode/lookupKey``); nil when it has neither.
    public var key: String?
    /// Where it was defined, such as `crm.json: $.nodes[3]` or `support.jsonl: line 7`.
    public var location: FixtureLocation

    /// Creates a fixture node.
    public init(node: MemoryNode, location: FixtureLocation) {
        self.node = node
        self.key = node.lookupKey
        self.location = location
    }
}

/// A relationship record of a fixture: its ends are keys.
public struct FixtureRelationship: Sendable, Equatable, Codable {
    public var fromKey: String
    public var toKey: String
    public var type: RelationshipType
    /// 0 to 1; 1 when the fixture leaves it out.
    public var strength: Double
    public var metadata: [String: JSONValue]
    /// When the relationship was first stored (an export writes it); nil: when it is imported.
    public var createdAt: Date?
    public var location: FixtureLocation

    /// Creates a fixture relationship.
    public init(
        fromKey: String, toKey: String, type: RelationshipType, strength: Double = 1.0,
        metadata: [String: JSONValue] = [:], createdAt: Date? = nil, location: FixtureLocation
    ) {
        self.fromKey = fromKey
        self.toKey = toKey
        self.type = type
        self.strength = strength
        self.metadata = metadata
        self.createdAt = createdAt
        self.location = location
    }
}

/// A relationship end whose key no node of the set defines.
public struct FixtureReference: Sendable, Hashable, Codable {
    /// The key, as written.
    public var key: String
    /// The `from` or `to` field that names it, such as `crm.json: $.relationships[2].to`.
    public var location: FixtureLocation

    /// Creates a reference.
    public init(key: String, location: FixtureLocation) {
        self.key = key
        self.location = location
    }
}
