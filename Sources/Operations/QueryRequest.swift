import Foundation
import MemoryGraph

/// A query as a front-end receives it: REM text, plain text (RECALLed, the query an agent should
/// use by default), or a structured object. The HTTP query endpoint and the MCP tools read it here.
///
/// ```json
/// {"query": "SEARCH \"who runs engineering\" LIMIT 5"}
/// {"query": "who runs engineering at Acme?"}                      // RECALL of the text
/// {"verb": "recall", "text": "who runs engineering", "limit": 5, "explain": true}
/// {"verb": "traverse", "key": "acme-corp", "depth": 1, "direction": "out"}
/// ```
public struct QueryRequest: Sendable, Equatable {
    public var query: RemQuery
    /// RECALL only: each result carries its rank and score in every arm.
    public var explain: Bool

    public init(query: RemQuery, explain: Bool = false) {
        self.query = query
        self.explain = explain
    }

    /// The REM verbs; text that starts with another word is a question for RECALL.
    static let verbs: Set<String> = ["lookup", "fuzzy", "search", "recall", "traverse"]

    /// REM text when it starts with a verb (a syntax error then names its column), else RECALL of the text.
    /// - Throws: `Failure` (400).
    public static func text(_ text: String) throws -> RemQuery {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw Failure.invalidInput("the query is empty", path: "$.query") }
        let first = trimmed.prefix { !$0.isWhitespace }.lowercased()
        guard verbs.contains(first) else { return .recall(RecallQuery(text: trimmed)) }
        do {
            return try RemParser.parse(trimmed)
        } catch {
            throw Failure(error)
        }
    }

    /// Reads a request body's JSON.
    /// - Throws: `Failure` (400) naming the JSON path of the problem.
    public init(json: JSONValue) throws {
        guard case .object(let object) = json else {
            throw Failure.invalidInput("expected a JSON object such as {\"query\": \"RECALL …\"}", path: "$")
        }
        let fields = Fields(object: object, path: "$")
        explain = try fields.bool("explain") ?? false
        if let text = try fields.string("query") {
            try fields.rejectUnknown(["query", "explain"])
            query = try Self.text(text)
        } else {
            guard let verb = try fields.string("verb") else {
                throw Failure.invalidInput("give \"query\" (REM or plain text) or \"verb\" with its fields", path: "$")
            }
            query = try Self.structured(verb.lowercased(), fields)
        }
        if explain, case .recall = query {} else if explain {
            throw Failure.invalidInput("explain goes with RECALL queries only", path: "$.explain")
        }
    }

    static func structured(_ verb: String, _ fields: Fields) throws -> RemQuery {
        let limit = try fields.integer("limit", in: RemQuery.limitRange) ?? RemQuery.defaultLimit
        switch verb {
        case "lookup":
            try fields.rejectUnknown(["verb", "key"])
            return .lookup(key: try fields.requiredString("key"))
        case "fuzzy":
            try fields.rejectUnknown(["verb", "text", "threshold", "limit"])
            let text = try fields.requiredString("text")
            guard text.count <= RemQuery.maximumFuzzyTextCharacters else {
                throw Failure.invalidInput(
                    "\(fields.at("text")): FUZZY text is at most \(RemQuery.maximumFuzzyTextCharacters) characters (this has \(text.count)); SEARCH or RECALL take longer text",
                    path: fields.at("text"))
            }
            return .fuzzy(
                text: text, threshold: try fields.number("threshold", in: RemQuery.fuzzyThresholdRange) ?? RemQuery.defaultThreshold,
                limit: limit)
        case "search":
            try fields.rejectUnknown(["verb", "text", "context_types", "min", "limit"])
            return .search(
                text: try fields.requiredString("text"), contextTypes: try fields.contextTypes(),
                minSimilarity: try fields.number("min", in: RemQuery.scoreRange) ?? RemQuery.defaultMinSimilarity, limit: limit)
        case "recall":
            try fields.rejectUnknown(["verb", "text", "context_types", "min", "limit", "since", "until", "explain"])
            let (since, until) = (try fields.date("since"), try fields.date("until"))
            if let since, let until, since >= until {
                throw Failure.invalidInput("$.until: must be after since", path: "$.until")
            }
            return .recall(RecallQuery(
                text: try fields.requiredString("text"), contextTypes: try fields.contextTypes(),
                minSimilarity: try fields.number("min", in: RemQuery.scoreRange) ?? RemQuery.defaultMinSimilarity, limit: limit,
                since: since, until: until))
        case "traverse":
            try fields.rejectUnknown(["verb", "key", "depth", "types", "direction"])
            let direction = try fields.string("direction").map { name in
                guard let direction = Direction(rawValue: name.lowercased()) else {
                    throw Failure.invalidInput("direction is out, in or both, not \(JSONValue.string(name).jsonText())", path: "$.direction")
                }
                return direction
            }
            let types = try (fields.strings("types") ?? []).enumerated().map { index, name in
                try Fields.relationshipType(name, path: "$.types[\(index)]")
            }
            return .traverse(
                key: try fields.requiredString("key"), depth: try fields.integer("depth", in: RemQuery.depthRange) ?? RemQuery.defaultDepth,
                types: Set(types), direction: direction ?? RemQuery.defaultDirection)
        default:
            throw Failure.invalidInput(
                "unknown verb \(JSONValue.string(verb).jsonText()) (expected lookup, fuzzy, search, recall or traverse)", path: "$.verb")
        }
    }
}

/// Typed reads of a JSON object's members, each failure naming its JSON path.
public struct Fields: Sendable {
    public var object: [String: JSONValue]
    public var path: String

    public init(object: [String: JSONValue], path: String) {
        self.object = object
        self.path = path
    }

    func at(_ name: String) -> String { "\(path).\(name)" }

    func wrong(_ name: String, _ expected: String) -> Failure {
        let found: String
        switch object[name] {
        case .number(let number)?: found = JSONValue.number(number).jsonText()
        case let value?: found = value.typeName
        case nil: found = "nothing"
        }
        return Failure.invalidInput("\(at(name)): expected \(expected), found \(found)", path: at(name))
    }

    public func rejectUnknown(_ allowed: Set<String>) throws {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw Failure.invalidInput(
                "\(at(unknown)): unknown field \(JSONValue.string(unknown).jsonText()) (expected: \(allowed.sorted().joined(separator: ", ")))",
                path: at(unknown))
        }
    }

    public func string(_ name: String) throws -> String? {
        guard let value = object[name], value != .null else { return nil }
        guard let string = value.stringValue else { throw wrong(name, "a string") }
        return string
    }

    public func requiredString(_ name: String) throws -> String {
        guard let string = try string(name) else {
            throw Failure.invalidInput("\(path): missing the required field \(JSONValue.string(name).jsonText())", path: at(name))
        }
        guard !string.isEmpty else { throw Failure.invalidInput("\(at(name)): must not be empty", path: at(name)) }
        return string
    }

    public func bool(_ name: String) throws -> Bool? {
        guard let value = object[name], value != .null else { return nil }
        guard case .bool(let bool) = value else { throw wrong(name, "true or false") }
        return bool
    }

    public func number(_ name: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let value = object[name], value != .null else { return nil }
        guard case .number(let number) = value, range.contains(number) else {
            throw wrong(name, "a number from \(String(format: "%g", range.lowerBound)) to \(String(format: "%g", range.upperBound))")
        }
        return number == 0 ? 0 : number  // -0.0 as 0: REM, which has no signs, prints the query back
    }

    public func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = object[name], value != .null else { return nil }
        guard case .number(let number) = value, number == number.rounded(), range.contains(Int(exactly: number) ?? .min) else {
            throw wrong(name, "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(number)
    }

    public func strings(_ name: String) throws -> [String]? {
        guard let value = object[name], value != .null else { return nil }
        guard case .array(let items) = value else { throw wrong(name, "an array of strings") }
        return try items.enumerated().map { index, item in
            guard let string = item.stringValue else {
                throw Failure.invalidInput("\(at(name))[\(index)]: expected a string", path: "\(at(name))[\(index)]")
            }
            return string
        }
    }

    public func object(_ name: String) throws -> [String: JSONValue]? {
        guard let value = object[name], value != .null else { return nil }
        guard let object = value.objectValue else { throw wrong(name, "an object") }
        return object
    }

    public func date(_ name: String) throws -> Date? {
        guard let text = try string(name) else { return nil }
        guard let date = DateTimeText.parse(text) else {
            throw Failure.invalidInput("\(at(name)): expected an ISO 8601 date-time such as 2026-05-08T13:56:00Z", path: at(name))
        }
        return date
    }

    /// `name` as a relationship type, or bad input that lists the types.
    static func relationshipType(_ name: String, path: String) throws -> RelationshipType {
        guard let type = RelationshipType(rawValue: name) else {
            throw Failure.invalidInput(
                "unknown relationship type \(JSONValue.string(name).jsonText()) (expected one of: \(RelationshipType.allCases.map(\.rawValue).joined(separator: ", ")))",
                path: path)
        }
        return type
    }

    func contextTypes() throws -> Set<ContextType> {
        Set(try (strings("context_types") ?? []).enumerated().map { index, name in
            guard let type = ContextType(rawValue: name) else {
                let path = "\(at("context_types"))[\(index)]"
                throw Failure.invalidInput(
                    "\(path): unknown context type \(JSONValue.string(name).jsonText()) (expected one of: \(ContextType.allCases.map(\.rawValue).joined(separator: ", ")))",
                    path: path)
            }
            return type
        })
    }
}
