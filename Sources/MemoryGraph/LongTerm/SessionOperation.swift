import Foundation

/// A write made through a session: queued in the session's outbox (SQLite) under an id the client
/// made, then applied to the long-term store once, in order.
///
/// The id is what makes a replay harmless: the store records it in the same transaction as the
/// write, so applying the operation again (after a crash between the Postgres commit and the
/// outbox update) returns the first result and changes nothing.
public struct SessionOperation: Sendable, Equatable, Codable {
    /// Made by the client when the write is queued.
    public var id: UUID
    public var kind: Kind

    public enum Kind: Sendable, Equatable, Codable {
        /// Store a node (entity dedup as for `remember`).
        case remember(MemoryNode)
        /// Relate two nodes.
        case relate(RelateRequest)
        /// Import a fixture set in one transaction.
        case importGraph(FixtureSet)
    }

    public init(id: UUID = UUID(), kind: Kind) {
        self.id = id
        self.kind = kind
    }

    /// "remember", "relate" or "import".
    public var kindName: String {
        switch kind {
        case .remember: "remember"
        case .relate: "relate"
        case .importGraph: "import"
        }
    }
}

/// A node named in a queued write: by id, by natural key, or as "the node that an earlier
/// operation of this session wrote" (its id is not known until that operation is applied).
public enum NodeReference: Sendable, Hashable, Codable, CustomStringConvertible {
    case id(UUID)
    case key(String)
    case operation(UUID)

    public var description: String {
        switch self {
        case .id(let id): "node \(id.uuidString.lowercased())"
        case .key(let key): "key \(key)"
        case .operation(let id): "the node of operation \(id.uuidString.lowercased())"
        }
    }
}

/// A relationship to write, with ends that may not exist in the long-term store yet.
public struct RelateRequest: Sendable, Equatable, Codable {
    public var from: NodeReference
    public var to: NodeReference
    public var type: RelationshipType
    /// 0 to 1.
    public var strength: Double
    public var metadata: [String: JSONValue]

    public init(
        from: NodeReference, to: NodeReference, type: RelationshipType, strength: Double = 1.0,
        metadata: [String: JSONValue] = [:]
    ) {
        self.from = from
        self.to = to
        self.type = type
        self.strength = strength
        self.metadata = metadata
    }
}

/// What applying a ``SessionOperation`` did in the long-term store.
public enum OperationOutcome: Sendable, Equatable, Codable {
    case remembered(RememberResult)
    case related(RelationshipResult)
    case imported(ImportSummary)

    /// The node a `remember` wrote.
    public var nodeID: UUID? {
        if case .remembered(let result) = self { return result.nodeID }
        return nil
    }
}

/// What `relate` did.
public struct RelationshipResult: Sendable, Equatable, Codable {
    public var relationshipID: UUID
    /// True when the relationship is new; false when its strength was updated.
    public var inserted: Bool

    public init(relationshipID: UUID, inserted: Bool) {
        self.relationshipID = relationshipID
        self.inserted = inserted
    }
}
