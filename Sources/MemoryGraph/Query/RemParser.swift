import Foundation

/// Turns REM text into a ``RemQuery``, reporting the first problem with its column.
///
/// ```swift
/// let query = try RemParser.parse("SEARCH \"who leads engineering?\" IN domain_entity MIN 0.4")
/// ```
///
/// Unquoted text after FUZZY, SEARCH or RECALL may be several words: it runs until a clause keyword
/// of that verb (`THRESHOLD`, `LIMIT` for FUZZY; `IN`, `MIN`, `LIMIT` for SEARCH; those and `SINCE`,
/// `UNTIL` for RECALL) or the end, and its
/// words are joined by single spaces. Text that contains such a keyword must be quoted.
public struct RemParser: Sendable {
    /// The first word of a query.
    enum Verb: String, CaseIterable {
        case lookup = "LOOKUP", fuzzy = "FUZZY", search = "SEARCH", recall = "RECALL", traverse = "TRAVERSE"

        var clauses: [Clause] {
            switch self {
            case .lookup: []
            case .fuzzy: [.threshold, .limit]
            case .search: [.in, .min, .limit]
            case .recall: [.in, .min, .limit, .since, .until]
            case .traverse: [.depth, .type, .direction]
            }
        }
    }

    /// A clause keyword.
    enum Clause: String, CaseIterable {
        case threshold = "THRESHOLD", limit = "LIMIT", `in` = "IN", min = "MIN"
        case depth = "DEPTH", type = "TYPE", direction = "DIRECTION", since = "SINCE", until = "UNTIL"

        init?(token: RemToken) {
            guard let keyword = token.keyword, let clause = Clause(rawValue: keyword) else { return nil }
            self = clause
        }
    }

    /// The values a clause has collected so far.
    private struct Clauses {
        var threshold = RemQuery.defaultThreshold
        var limit = RemQuery.defaultLimit
        var minSimilarity = RemQuery.defaultMinSimilarity
        var contextTypes: Set<ContextType> = []
        var depth = RemQuery.defaultDepth
        var types: Set<RelationshipType> = []
        var direction = RemQuery.defaultDirection
        var since: Date?
        var until: Date?
    }

    private var lexer: RemLexer
    private var peeked: RemToken?

    private init(_ text: String) {
        lexer = RemLexer(text)
    }

    /// Parses REM text.
    /// - Throws: ``RemSyntaxError`` naming the column of the first problem.
    public static func parse(_ text: String) throws(RemSyntaxError) -> RemQuery {
        var parser = RemParser(text)
        return try parser.query()
    }

    // MARK: Tokens

    private mutating func next() throws(RemSyntaxError) -> RemToken {
        if let token = peeked {
            peeked = nil
            return token
        }
        return try lexer.next()
    }

    private mutating func peek() throws(RemSyntaxError) -> RemToken {
        if let peeked { return peeked }
        let token = try lexer.next()
        peeked = token
        return token
    }

    private static func fail(_ token: RemToken, expected: String, hint: String? = nil) -> RemSyntaxError {
        RemSyntaxError(column: token.column, expected: expected, found: token.display, hint: hint)
    }

    // MARK: Grammar

    private mutating func query() throws(RemSyntaxError) -> RemQuery {
        let first = try next()
        guard let keyword = first.keyword, let verb = Verb(rawValue: keyword) else {
            throw Self.fail(first, expected: "LOOKUP, FUZZY, SEARCH, RECALL or TRAVERSE")
        }
        switch verb {
        case .lookup:
            let key = try self.key(after: verb)
            try clauses(of: verb, afterBareText: false)
            return .lookup(key: key)
        case .fuzzy:
            let start = try peek()
            let (text, bare) = try self.text(after: verb)
            guard text.count <= RemQuery.maximumFuzzyTextCharacters else {
                throw RemSyntaxError(
                    column: start.column, expected: "FUZZY text of at most \(RemQuery.maximumFuzzyTextCharacters) characters",
                    found: "\(text.count) characters", hint: "FUZZY matches names and short phrases; SEARCH or RECALL take longer text")
            }
            let found = try clauses(of: verb, afterBareText: bare)
            return .fuzzy(text: text, threshold: found.threshold, limit: found.limit)
        case .search:
            let (text, bare) = try self.text(after: verb)
            let found = try clauses(of: verb, afterBareText: bare)
            return .search(text: text, contextTypes: found.contextTypes, minSimilarity: found.minSimilarity, limit: found.limit)
        case .recall:
            let (text, bare) = try self.text(after: verb)
            let found = try clauses(of: verb, afterBareText: bare)
            return .recall(RecallQuery(
                text: text, contextTypes: found.contextTypes, minSimilarity: found.minSimilarity, limit: found.limit,
                since: found.since, until: found.until))
        case .traverse:
            let key = try self.key(after: verb)
            let found = try clauses(of: verb, afterBareText: false)
            return .traverse(key: key, depth: found.depth, types: found.types, direction: found.direction)
        }
    }

    /// A key: one bare word or one quoted string, 1 to 255 bytes.
    private mutating func key(after verb: Verb) throws(RemSyntaxError) -> String {
        let token = try next()
        let expected = "a key after \(verb.rawValue)"
        let key: String
        switch token.kind {
        case .word(let word):
            if let clause = Clause(token: token), verb.clauses.contains(clause) {
                throw Self.fail(token, expected: expected, hint: "quote a key that is also a keyword: \"\(word)\"")
            }
            key = word
        case .quoted(let text):
            key = text
        case .comma, .end:
            throw Self.fail(token, expected: expected)
        }
        guard !key.isEmpty, key.utf8.count <= RemQuery.maximumKeyBytes else {
            throw Self.fail(token, expected: "a key of 1 to \(RemQuery.maximumKeyBytes) bytes after \(verb.rawValue)")
        }
        return key
    }

    /// Text: one quoted string, or bare words (and commas) up to a clause keyword of `verb`.
    /// Returns the text and whether it was bare.
    private mutating func text(after verb: Verb) throws(RemSyntaxError) -> (String, Bool) {
        let first = try next()
        let expected = "text after \(verb.rawValue)"
        switch first.kind {
        case .quoted(let text):
            guard !text.allSatisfy(\.isWhitespace) else {
                throw Self.fail(first, expected: "non-empty " + expected)
            }
            return (text, false)
        case .word(let word):
            if let clause = Clause(token: first), verb.clauses.contains(clause) {
                throw Self.fail(first, expected: expected, hint: "quote text that is also a keyword: \"\(word)\"")
            }
            var text = word
            while true {
                let token = try peek()
                switch token.kind {
                case .word(let word) where Clause(token: token).map({ !verb.clauses.contains($0) }) ?? true:
                    text += (token.followsWhitespace ? " " : "") + word
                case .comma:
                    text += token.followsWhitespace ? " ," : ","
                default:
                    return (text, true)
                }
                _ = try next()
            }
        case .comma, .end:
            throw Self.fail(first, expected: expected)
        }
    }

    /// The clauses of `verb`, in any order, each at most once, up to the end of the query.
    @discardableResult
    private mutating func clauses(of verb: Verb, afterBareText: Bool) throws(RemSyntaxError) -> Clauses {
        var found = Clauses()
        var seen: [Clause: Int] = [:]
        var previousList: Clause?
        while true {
            let token = try next()
            if token.kind == .end { return found }
            guard let clause = Clause(token: token), verb.clauses.contains(clause) else {
                // What may still come: the clauses not given yet, or the end.
                let allowed = verb.clauses.filter { seen[$0] == nil }.map(\.rawValue) + ["end of query"]
                let expected = allowed.count == 1 ? allowed[0]
                    : allowed.dropLast().joined(separator: ", ") + " or " + allowed[allowed.count - 1]
                throw Self.fail(token, expected: expected, hint: Self.hint(for: token, verb: verb, previousList: previousList, afterKey: seen.isEmpty))
            }
            if let first = seen[clause] {
                throw RemSyntaxError(
                    column: token.column, expected: "at most one \(clause.rawValue) clause",
                    found: "another \(clause.rawValue)", hint: "the first is at column \(first)")
            }
            // A lower-case keyword right after bare text whose argument fails was most likely meant as text.
            var textHint: String?
            if afterBareText, seen.isEmpty, case .word(let word) = token.kind, word != token.keyword {
                textHint = "put the text in double quotes if \"\(word)\" is part of it"
            }
            seen[clause] = token.column
            previousList = nil
            switch clause {
            case .threshold: found.threshold = try score(after: clause, in: RemQuery.fuzzyThresholdRange, hint: textHint)
            case .min: found.minSimilarity = try score(after: clause, hint: textHint)
            case .limit: found.limit = try integer(after: clause, in: RemQuery.limitRange, hint: textHint)
            case .depth: found.depth = try integer(after: clause, in: RemQuery.depthRange, hint: textHint)
            case .in:
                found.contextTypes = try list(after: clause, of: ContextType.self, hint: textHint)
                previousList = clause
            case .type:
                found.types = try list(after: clause, of: RelationshipType.self, hint: textHint)
                previousList = clause
            case .direction:
                found.direction = try one(after: clause, of: Direction.self, hint: textHint)
            case .since:
                found.since = try time(after: clause, hint: textHint, before: found.until)
            case .until:
                found.until = try time(after: clause, hint: textHint, notBefore: found.since)
            }
        }
    }

    /// Suggestions for a token where a clause or the end was expected.
    private static func hint(for token: RemToken, verb: Verb, previousList: Clause?, afterKey: Bool) -> String? {
        if let clause = Clause(token: token), !verb.clauses.contains(clause) {
            return "\(clause.rawValue) is not a clause of \(verb.rawValue)"
        }
        if case .word(let word) = token.kind, let list = previousList {
            let known = list == .in
                ? ContextType(rawValue: word.lowercased()) != nil : RelationshipType(rawValue: word.lowercased()) != nil
            if known { return "separate the items after \(list.rawValue) with commas" }
        }
        if afterKey, verb == .lookup || verb == .traverse, case .word = token.kind {
            return "quote a key that contains spaces"
        }
        return nil
    }

    // MARK: Arguments

    /// A decimal number within 0…1 (digits with an optional fraction and exponent; no sign, inf or nan).
    private mutating func score(
        after clause: Clause, in range: ClosedRange<Double> = RemQuery.scoreRange, hint: String?
    ) throws(RemSyntaxError) -> Double {
        let token = try next()
        guard case .word(let word) = token.kind, Self.isDecimal(word), let value = Double(word), range.contains(value) else {
            let bounds = range == RemQuery.scoreRange ? "0 to 1" : "\(range.lowerBound) to \(Int(range.upperBound))"
            throw Self.fail(token, expected: "a number from \(bounds) after \(clause.rawValue)", hint: hint)
        }
        return value
    }

    private mutating func integer(after clause: Clause, in range: ClosedRange<Int>, hint: String?) throws(RemSyntaxError) -> Int {
        let token = try next()
        guard case .word(let word) = token.kind, word.allSatisfy(\.isASCIIDigit), let value = Int(word), range.contains(value)
        else {
            throw Self.fail(
                token, expected: "a whole number from \(range.lowerBound) to \(range.upperBound) after \(clause.rawValue)",
                hint: hint)
        }
        return value
    }

    /// A date (`2024-05-01`, midnight UTC) or a date and time (`2024-05-01T09:30:00Z`, with a zone).
    /// The time after SINCE or UNTIL; SINCE's must come before UNTIL's, whichever is written first
    /// (`before`: UNTIL's time, given already; `notBefore`: SINCE's).
    private mutating func time(
        after clause: Clause, hint: String?, before upper: Date? = nil, notBefore lower: Date? = nil
    ) throws(RemSyntaxError) -> Date {
        let token = try next()
        let word: String? = switch token.kind {
        case .word(let word), .quoted(let word): word
        default: nil
        }
        guard let word, let date = RemQuery.parseTime(word) else {
            throw Self.fail(
                token, expected: "a date (2024-05-01) or a date and time with its zone (2024-05-01T09:30:00Z, 2024-05-01T11:30:00+02:00) after \(clause.rawValue)",
                hint: hint)
        }
        if let upper, date >= upper {
            throw Self.fail(token, expected: "a SINCE time earlier than UNTIL (\(RemQuery.formatTime(upper)))")
        }
        if let lower, date <= lower {
            throw Self.fail(token, expected: "an UNTIL time later than SINCE (\(RemQuery.formatTime(lower)))")
        }
        return date
    }

    /// One or more known values separated by commas.
    private mutating func list<Value: RawRepresentable & CaseIterable & Hashable>(
        after clause: Clause, of type: Value.Type, hint: String?
    ) throws(RemSyntaxError) -> Set<Value> where Value.RawValue == String {
        var values: Set<Value> = [try one(after: clause, of: type, hint: hint)]
        while try peek().kind == .comma {
            _ = try next()
            values.insert(try one(after: clause, of: type, hint: nil))
        }
        return values
    }

    /// One known value, in any case.
    private mutating func one<Value: RawRepresentable & CaseIterable>(
        after clause: Clause, of type: Value.Type, hint: String?
    ) throws(RemSyntaxError) -> Value where Value.RawValue == String {
        let token = try next()
        if case .word(let word) = token.kind, let value = Value(rawValue: word.lowercased()) {
            return value
        }
        let names = Value.allCases.map(\.rawValue)
        let choices = "\(names.dropLast().joined(separator: ", ")) or \(names.last ?? "")"
        let expected = switch clause {
        case .in: "a context type after IN (\(choices))"
        case .type: "a relationship type after TYPE (\(choices))"
        default: "\(choices) after \(clause.rawValue)"
        }
        throw Self.fail(token, expected: expected, hint: hint)
    }

    private static func isDecimal(_ word: String) -> Bool {
        let bytes = Array(word.utf8)
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }
        var count = digits()
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            count += digits()
        }
        guard count > 0 else { return false }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
