import Foundation

/// A parsed REM query: the ways to read a user's memory graph.
///
/// ```swift
/// let query = try RemQuery.parse("FUZZY sara chen LIMIT 3")
/// // .fuzzy(text: "sara chen", threshold: 0.3, limit: 3)
/// ```
///
/// An empty set of context types or relationship types means all of them. The grammar is in
/// `docs/rem.md`; `description` prints a query back in canonical REM, which parses to the same value.
public enum RemQuery: Sendable, Equatable {
    /// `LOOKUP <key>`: the node under a natural key.
    case lookup(key: String)
    /// `FUZZY <text> [THRESHOLD t] [LIMIT n]`: nodes whose key or summary is similar to `text`.
    case fuzzy(text: String, threshold: Double, limit: Int)
    /// `SEARCH <text> [IN types] [MIN m] [LIMIT n]`: nodes nearest to `text` by meaning.
    case search(text: String, contextTypes: Set<ContextType>, minSimilarity: Double, limit: Int)
    /// `RECALL <text> [IN types] [MIN m] [LIMIT n] [SINCE t] [UNTIL t]`: the best answer memgraph has,
    /// fused from meaning, words, names and the graph.
    case recall(RecallQuery)
    /// `TRAVERSE <key> [DEPTH d] [TYPE types] [DIRECTION out|in|both]`: the graph around a node.
    case traverse(key: String, depth: Int, types: Set<RelationshipType>, direction: Direction)

    /// THRESHOLD when not given.
    public static let defaultThreshold = 0.3
    /// LIMIT when not given.
    public static let defaultLimit = 10
    /// MIN when not given.
    public static let defaultMinSimilarity = 0.0
    /// DEPTH when not given.
    public static let defaultDepth = 2
    /// DIRECTION when not given.
    public static let defaultDirection = Direction.both

    /// The values LIMIT accepts.
    public static let limitRange = 1...1_000
    /// The values DEPTH accepts.
    public static let depthRange = 0...10
    /// The values THRESHOLD and MIN accept.
    public static let scoreRange = 0.0...1.0
    /// The longest key LOOKUP and TRAVERSE accept, in bytes of UTF-8 (as ``MemoryNode/validate()``).
    public static let maximumKeyBytes = 255
    /// `limit` within ``limitRange`` (0 stays 0: nothing asked, nothing returned), so that the Swift
    /// API cannot ask for more rows than REM can, nor overflow what is computed from it.
    public static func clampedLimit(_ limit: Int) -> Int {
        limit <= 0 ? 0 : min(limit, limitRange.upperBound)
    }

    /// FUZZY's THRESHOLD: below 0.1 nearly every summary of the user is similar enough, and FUZZY
    /// would score them all.
    public static let fuzzyThresholdRange = 0.1...1.0
    /// The longest FUZZY text, in characters: trigram matching is for names and short phrases.
    public static let maximumFuzzyTextCharacters = 200

    /// Parses REM text.
    ///
    /// ```swift
    /// try RemQuery.parse("traverse acme-corp depth 1 type relates_to, belongs_to direction out")
    /// ```
    /// - Throws: `MemoryGraphError` with code `.parse`, whose message names the 1-based column and
    ///   what was expected there. Use ``RemParser/parse(_:)`` for the column as a number.
    public static func parse(_ text: String) throws -> RemQuery {
        do throws(RemSyntaxError) {
            return try RemParser.parse(text)
        } catch {
            throw error.memoryGraphError
        }
    }
}

extension RemQuery: CustomStringConvertible {
    /// The query in canonical REM: upper-case keywords, every clause spelled out.
    public var description: String {
        switch self {
        case .lookup(let key):
            return "LOOKUP \(Self.literal(key, verb: .lookup))"
        case .fuzzy(let text, let threshold, let limit):
            return "FUZZY \(Self.literal(text, verb: .fuzzy)) THRESHOLD \(threshold) LIMIT \(limit)"
        case .search(let text, let contextTypes, let minSimilarity, let limit):
            var result = "SEARCH \(Self.literal(text, verb: .search))"
            if !contextTypes.isEmpty {
                result += " IN " + ContextType.allCases.filter(contextTypes.contains).map(\.rawValue).joined(separator: ", ")
            }
            return result + " MIN \(minSimilarity) LIMIT \(limit)"
        case .recall(let recall):
            var result = "RECALL \(Self.literal(recall.text, verb: .recall))"
            if !recall.contextTypes.isEmpty {
                result += " IN " + ContextType.allCases.filter(recall.contextTypes.contains).map(\.rawValue).joined(separator: ", ")
            }
            result += " MIN \(recall.minSimilarity) LIMIT \(recall.limit)"
            if let since = recall.since { result += " SINCE \(Self.formatTime(since))" }
            if let until = recall.until { result += " UNTIL \(Self.formatTime(until))" }
            return result
        case .traverse(let key, let depth, let types, let direction):
            var result = "TRAVERSE \(Self.literal(key, verb: .traverse)) DEPTH \(depth)"
            if !types.isEmpty {
                result += " TYPE " + RelationshipType.allCases.filter(types.contains).map(\.rawValue).joined(separator: ", ")
            }
            return result + " DIRECTION \(direction.rawValue)"
        }
    }

    /// A bare word when that reads back the same, else a quoted string.
    private static func literal(_ text: String, verb: RemParser.Verb) -> String {
        let bare = RemToken(kind: .word(text), column: 1, followsWhitespace: true)
        let safe = !text.isEmpty
            && !text.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "," })
            && RemParser.Clause(token: bare).map { !verb.clauses.contains($0) } ?? true
        if safe { return text }
        var quoted = "\""
        for character in text {
            switch character {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            default: quoted.append(character)
            }
        }
        return quoted + "\""
    }
}

extension RemQuery {
    /// A time of SINCE or UNTIL: a date (midnight UTC) or an RFC 3339 date and time with its zone.
    static func parseTime(_ text: String) -> Date? {
        DateTimeText.parse(text, allowingDate: true)
    }

    /// A time as SINCE and UNTIL print it: RFC 3339 in UTC, to the second (or its fraction).
    static func formatTime(_ date: Date) -> String {
        DateTimeText.formatExact(date)
    }
}

/// RECALL's text and filters (``RemQuery/recall(_:)``).
public struct RecallQuery: Sendable, Equatable {
    /// The question or statement to recall memories for.
    public var text: String
    /// Only nodes of these context types (empty: all).
    public var contextTypes: Set<ContextType>
    /// The least cosine similarity a node needs to come in through the vector arm.
    public var minSimilarity: Double
    /// The most nodes returned.
    public var limit: Int
    /// Only nodes created at or after this time.
    public var since: Date?
    /// Only nodes created before this time.
    public var until: Date?

    public init(
        text: String, contextTypes: Set<ContextType> = [], minSimilarity: Double = RemQuery.defaultMinSimilarity,
        limit: Int = RemQuery.defaultLimit, since: Date? = nil, until: Date? = nil
    ) {
        self.text = text
        self.contextTypes = contextTypes
        self.minSimilarity = minSimilarity
        self.limit = limit
        self.since = since
        self.until = until
    }
}
