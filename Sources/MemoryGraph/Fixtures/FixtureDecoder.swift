import Foundation
/// Turns parsed fixture JSON into records, collecting every problem with its location.
///
/// A record with a problem is reported and left out; decoding goes on so that one run lists as
/// many problems as it can (up to `limit`).
struct FixtureDecoder {
    static let graphFields: Set<String> = ["$schema", "user_id", "nodes", "relationships"]
    static let nodeFields: Set<String> = [
        "key", "context_type", "summary", "content", "tags", "metadata", "base_relevance", "created_at",
    ]
    static let relationshipFields: Set<String> = ["from", "to", "type", "strength", "metadata", "created_at"]
    /// Content members whose type the store relies on.
    static let entityStringFields = ["entity_system", "entity_id", "entity_type", "entity_name"]
    /// The context types a fixture may use: all but temporary_state.
    static let importableContextTypes = ContextType.allCases.filter { $0 != .temporaryState }

    let limit: Int
    private(set) var problems: [FixtureProblem] = []
    private(set) var nodes: [FixtureNode] = []
    private(set) var relationships: [FixtureRelationship] = []
    private(set) var userIDs: [(id: UserID, location: FixtureLocation)] = []

    init(limit: Int) {
        self.limit = limit
    }

    /// True once `limit` problems are known: further decoding would only be thrown away.
    var isFull: Bool { problems.count >= limit }

    mutating func report(_ location: FixtureLocation, _ message: String) {
        problems.append(FixtureProblem(location: location, message: message))
    }

    // MARK: Documents

    /// A `.json` graph: `{"user_id", "nodes", "relationships"}`.
    mutating func decodeGraph(_ value: JSONValue, at location: FixtureLocation) {
        guard let members = object(value, at: location, expected: "a JSON object with \"nodes\" and \"relationships\"") else { return }
        rejectUnknown(members, allowed: Self.graphFields, at: location, in: "a fixture file")
        decodeUserID(members, at: location)
        if let nodes = field("nodes", of: members, at: location, expected: "an array of nodes", { $0.arrayValue }) {
            for (index, node) in nodes.enumerated() where !isFull {
                decodeNode(node, at: location.appending(".nodes[\(index)]"))
            }
        }
        if let relationships = field("relationships", of: members, at: location, expected: "an array of relationships", { $0.arrayValue }) {
            for (index, relationship) in relationships.enumerated() where !isFull {
                decodeRelationship(relationship, at: location.appending(".relationships[\(index)]"))
            }
        }
    }

    /// One JSONL line: `{"kind": "node", …}`, `{"kind": "relationship", …}` or `{"kind": "user", "user_id": …}`
    /// (a line holding only `user_id` is a user line too).
    mutating func decodeRecord(_ value: JSONValue, at location: FixtureLocation) {
        let kinds = "\"node\", \"relationship\" or \"user\""
        guard let members = object(value, at: location, expected: "a JSON object with a \"kind\"") else { return }
        var rest = members
        let kind = rest.removeValue(forKey: "kind")
        switch kind {
        case .string("node"): decodeNode(.object(rest), at: location)
        case .string("relationship"): decodeRelationship(.object(rest), at: location)
        case .string("user"):
            rejectUnknown(rest, allowed: ["user_id"], at: location, in: "a user line")
            if rest["user_id"] == nil { report(location, "a user line needs a \"user_id\"") }
            decodeUserID(rest, at: location)
        case nil where Set(members.keys) == ["user_id"]:
            decodeUserID(rest, at: location)
        case nil:
            report(location, "missing \"kind\": each line needs \"kind\": \(kinds)")
        case .string(let other):
            report(location.appending(".kind"), "unknown kind \(FixtureJSONParser.quoted(other)) (expected \(kinds))")
        case let other?:
            report(location.appending(".kind"), "expected a string (\(kinds)), found \(other.typeName)")
        }
    }

    private mutating func decodeUserID(_ members: [String: JSONValue], at location: FixtureLocation) {
        guard let text = field("user_id", of: members, at: location, expected: "a string", { $0.stringValue }) else { return }
        do {
            userIDs.append((try UserID(text), location.appending(".user_id")))
        } catch {
            report(location.appending(".user_id"), Self.message(of: error))
        }
    }

    // MARK: Records

    mutating func decodeNode(_ value: JSONValue, at location: FixtureLocation) {
        guard let members = object(value, at: location, expected: "a node object") else { return }
        let before = problems.count
        rejectUnknown(members, allowed: Self.nodeFields, at: location, in: "a node")
        let contextTypeName = field("context_type", of: members, at: location, expected: "a string", required: true, { $0.stringValue })
        let contextType = contextTypeName.flatMap { importableContextType($0, at: location.appending(".context_type")) }
        let key = field("key", of: members, at: location, expected: "a string", { $0.stringValue })
        if let key, key.isEmpty || key.utf8.count > RemQuery.maximumKeyBytes {
            report(location.appending(".key"), "a key must be 1 to \(RemQuery.maximumKeyBytes) bytes; this one is \(key.utf8.count)")
        } else if let key, key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            report(location.appending(".key"), "a key must not hold control characters (tabs, newlines, NUL)")
        } else if let key, key.allSatisfy(\.isWhitespace) {
            report(location.appending(".key"), "a key must not be only spaces")
        }
        let summary = field("summary", of: members, at: location, expected: "a string", { $0.stringValue })
        if let summary, summary.utf8.count > MemoryNode.maximumSummaryBytes {
            report(location.appending(".summary"),
                   "the summary is \(summary.utf8.count) bytes; the limit is \(MemoryNode.maximumSummaryBytes) bytes")
        }
        let content = field("content", of: members, at: location, expected: "an object", { $0.objectValue }) ?? [:]
        checkEntityFields(content, at: location.appending(".content"))
        let tags = field("tags", of: members, at: location, expected: "an array of strings", { $0.arrayValue })
            .map { strings($0, at: location.appending(".tags")) } ?? []
        let metadata = field("metadata", of: members, at: location, expected: "an object", { $0.objectValue }) ?? [:]
        let relevance = field("base_relevance", of: members, at: location, expected: "a number from 0 to 1", { $0.doubleValue })
        if let relevance, let problem = MemoryNode.scoreProblem(relevance) {
            report(location.appending(".base_relevance"), problem)
        }
        let createdAt = createdAt(of: members, at: location)
        guard problems.count == before, let contextType else { return }
        let node = MemoryNode(
            key: key, contextType: contextType, summary: summary, content: content, tags: tags, metadata: metadata,
            baseRelevance: relevance ?? 0.5, createdAt: createdAt)
        do {
            try node.validate()
            nodes.append(FixtureNode(node: node, location: location))
        } catch {
            report(location, Self.message(of: error))
        }
    }

    mutating func decodeRelationship(_ value: JSONValue, at location: FixtureLocation) {
        guard let members = object(value, at: location, expected: "a relationship object") else { return }
        let before = problems.count
        rejectUnknown(members, allowed: Self.relationshipFields, at: location, in: "a relationship")
        let from = endKey("from", of: members, at: location)
        let to = endKey("to", of: members, at: location)
        let typeName = field("type", of: members, at: location, expected: "a string", required: true, { $0.stringValue })
        let type = typeName.flatMap { relationshipType($0, at: location.appending(".type")) }
        let strength = field("strength", of: members, at: location, expected: "a number from 0 to 1", { $0.doubleValue })
        if let strength, let problem = MemoryNode.scoreProblem(strength) {
            report(location.appending(".strength"), problem)
        }
        let metadata = field("metadata", of: members, at: location, expected: "an object", { $0.objectValue }) ?? [:]
        let createdAt = createdAt(of: members, at: location)
        guard problems.count == before, let from, let to, let type else { return }
        relationships.append(FixtureRelationship(
            fromKey: from, toKey: to, type: type, strength: strength ?? 1.0, metadata: metadata, createdAt: createdAt, location: location))
    }

    /// A record's `created_at`, when it has a valid one; a problem at its path when it is not one.
    private mutating func createdAt(of members: [String: JSONValue], at location: FixtureLocation) -> Date? {
        let text = field("created_at", of: members, at: location, expected: "an ISO 8601 date-time string", { $0.stringValue })
        let date = text.flatMap(Self.dateTime)
        if let text, date == nil {
            report(location.appending(".created_at"),
                   "expected an ISO 8601 date-time such as 2026-05-08T13:56:00Z, found \(JSONValue.string(String(text.prefix(40))).jsonText())")
        }
        return date
    }

    // MARK: Fields

    private mutating func endKey(_ name: String, of members: [String: JSONValue], at location: FixtureLocation) -> String? {
        guard let key = field(name, of: members, at: location, expected: "a key", required: true, { $0.stringValue }) else { return nil }
        guard !key.isEmpty else {
            report(location.appending(".\(name)"), "expected a key, found an empty string")
            return nil
        }
        return key
    }

    private mutating func importableContextType(_ name: String, at location: FixtureLocation) -> ContextType? {
        switch ContextType(rawValue: name) {
        case .temporaryState?:
            report(location, "temporary_state cannot be imported: temporary state lives in a session, not in the long-term store")
            return nil
        case let type?:
            return type
        case nil:
            let known = Self.importableContextTypes.map(\.rawValue).joined(separator: ", ")
            report(location, "unknown context type \(FixtureJSONParser.quoted(name)) (expected one of: \(known))")
            return nil
        }
    }

    private mutating func relationshipType(_ name: String, at location: FixtureLocation) -> RelationshipType? {
        if let type = RelationshipType(rawValue: name) { return type }
        let known = RelationshipType.allCases.map(\.rawValue).joined(separator: ", ")
        report(location, "unknown relationship type \(FixtureJSONParser.quoted(name)) (expected one of: \(known))")
        return nil
    }

    private mutating func checkEntityFields(_ content: [String: JSONValue], at location: FixtureLocation) {
        for name in Self.entityStringFields {
            guard let value = content[name] else { continue }
            if value.stringValue == nil {
                report(location.appending(".\(name)"), "expected a string, found \(value.typeName)")
            }
        }
        if let data = content["entity_data"], data.objectValue == nil {
            report(location.appending(".entity_data"), "expected an object, found \(data.typeName)")
        }
    }

    private mutating func strings(_ values: [JSONValue], at location: FixtureLocation) -> [String] {
        values.enumerated().compactMap { index, value in
            if let text = value.stringValue { return text }
            report(location.appending("[\(index)]"), "expected a string, found \(value.typeName)")
            return nil
        }
    }

    private mutating func object(_ value: JSONValue, at location: FixtureLocation, expected: String) -> [String: JSONValue]? {
        if let members = value.objectValue { return members }
        report(location, "expected \(expected), found \(value.typeName)")
        return nil
    }

    /// The member `name` converted by `convert`; reports a wrong type, or a missing required member.
    private mutating func field<Value>(
        _ name: String, of members: [String: JSONValue], at location: FixtureLocation, expected: String,
        required: Bool = false, _ convert: (JSONValue) -> Value?
    ) -> Value? {
        guard let value = members[name] else {
            if required { report(location, "missing the required field \"\(name)\"") }
            return nil
        }
        guard let converted = convert(value) else {
            report(location.appending(FixtureLocation.member(name)), "expected \(expected), found \(value.typeName)")
            return nil
        }
        return converted
    }

    private mutating func rejectUnknown(
        _ members: [String: JSONValue], allowed: Set<String>, at location: FixtureLocation, in what: String
    ) {
        for name in members.keys.sorted() where !allowed.contains(name) {
            var message = "unknown field \(FixtureJSONParser.quoted(name)) in \(what)"
            let nearest = allowed.map { (field: $0, edits: EditDistance.optimalStringAlignment($0, name)) }
                .min { ($0.edits, $0.field) < ($1.edits, $1.field) }
            if let near = nearest, near.edits <= 2 {
                message += "; did you mean \"\(near.field)\"?"
            } else {
                message += " (known fields: \(allowed.sorted().joined(separator: ", ")))"
            }
            report(location.appending(FixtureLocation.member(name)), message)
        }
    }


    /// The sentence of a validation error; these come from the model and never hold content.
    static func message(of error: any Error) -> String {
        (error as? MemoryGraphError)?.message ?? "this record is not valid"
    }

    /// An ISO 8601 date-time, with or without fractional seconds (what `memgraph export` writes),
    /// of a day and time that exist.
    static func dateTime(_ text: String) -> Date? {
        DateTimeText.parse(text)
    }
}

extension JSONValue {
    /// The elements, when this value is an array.
    fileprivate var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }
}
