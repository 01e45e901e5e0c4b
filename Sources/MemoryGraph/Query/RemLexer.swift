/// One token of a REM query.
public struct RemToken: Sendable, Equatable {
    /// What the token is.
    public enum Kind: Sendable, Equatable {
        /// A run of characters without whitespace, `"` or `,`: a keyword, a number or bare text.
        case word(String)
        /// A double-quoted string, escapes resolved.
        case quoted(String)
        /// `,`, which separates list items.
        case comma
        /// The end of the query.
        case end
    }

    public let kind: Kind
    /// 1-based column of the first character.
    public let column: Int
    /// True when whitespace (or the start of the query) comes right before the token.
    public let followsWhitespace: Bool

    /// Creates a token.
    public init(kind: Kind, column: Int, followsWhitespace: Bool) {
        self.kind = kind
        self.column = column
        self.followsWhitespace = followsWhitespace
    }

    /// How the token appears in an error message: quoted and shortened, or `end of query`.
    public var display: String {
        switch kind {
        case .word(let text): return Self.quote(text)
        case .quoted(let text): return Self.quote("\"" + text + "\"")
        case .comma: return "\",\""
        case .end: return "end of query"
        }
    }

    /// A word in ASCII upper case (so that `lımıt` is not `LIMIT`), for keyword matching.
    var keyword: String? {
        guard case .word(let text) = kind else { return nil }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            (0x61...0x7A).contains(scalar.value) ? Unicode.Scalar(scalar.value - 0x20)! : scalar
        }))
    }

    private static func quote(_ text: String) -> String {
        let limit = 32
        let shown = text.count > limit ? String(text.prefix(limit)) + "…" : text
        return "\"" + shown + "\""
    }
}

/// Splits a REM query into tokens, one at a time, tracking 1-based character columns.
///
/// Bare words run until whitespace, `"` or `,`. A `"` right after a bare word is an error rather
/// than the start of a new token, so `sarah"chen"` is reported instead of silently split.
/// Inside quotes, `\"`, `\\`, `\n` and `\t` are the escapes; any other backslash is an error.
///
/// ```swift
/// var lexer = RemLexer("LOOKUP \"sarah chen\"")
/// try lexer.next()   // .word("LOOKUP") at column 1
/// try lexer.next()   // .quoted("sarah chen") at column 8
/// ```
public struct RemLexer: Sendable {
    private let characters: [Character]
    private var position = 0

    /// Creates a lexer over `text`.
    public init(_ text: String) {
        characters = Array(text)
    }

    /// The column of the end of the query: one past its last character.
    public var endColumn: Int { characters.count + 1 }

    /// The next token; `.end` forever once the query is used up.
    /// - Throws: ``RemSyntaxError`` for an unterminated string, an unknown escape or a quote inside a word.
    public mutating func next() throws(RemSyntaxError) -> RemToken {
        let start = position
        while position < characters.count, characters[position].isWhitespace { position += 1 }
        let followsWhitespace = position > start || position == 0
        let column = position + 1
        guard position < characters.count else {
            return RemToken(kind: .end, column: column, followsWhitespace: followsWhitespace)
        }
        switch characters[position] {
        case ",":
            position += 1
            return RemToken(kind: .comma, column: column, followsWhitespace: followsWhitespace)
        case "\"":
            return RemToken(kind: .quoted(try quoted()), column: column, followsWhitespace: followsWhitespace)
        default:
            return RemToken(kind: .word(try word()), column: column, followsWhitespace: followsWhitespace)
        }
    }

    private mutating func word() throws(RemSyntaxError) -> String {
        let start = position
        while position < characters.count {
            let character = characters[position]
            if character.isWhitespace || character == "," { break }
            if character == "\"" {
                throw RemSyntaxError(
                    column: position + 1, expected: "whitespace before a quote",
                    found: "\"\\\"\" inside the word \"\(String(characters[start..<position]))\"",
                    hint: "quote the whole text, e.g. \"sarah chen\"")
            }
            position += 1
        }
        return String(characters[start..<position])
    }

    private mutating func quoted() throws(RemSyntaxError) -> String {
        let opening = position + 1
        position += 1
        var text = ""
        while position < characters.count {
            let character = characters[position]
            position += 1
            switch character {
            case "\"":
                return text
            case "\\":
                guard position < characters.count else { break }
                let escaped = characters[position]
                switch escaped {
                case "\"": text.append("\"")
                case "\\": text.append("\\")
                case "n": text.append("\n")
                case "t": text.append("\t")
                default:
                    throw RemSyntaxError(
                        column: position, expected: "one of the escapes \\\", \\\\, \\n or \\t",
                        found: "\"\\\(escaped)\"", hint: "write \\\\ for a backslash")
                }
                position += 1
            default:
                text.append(character)
            }
        }
        throw RemSyntaxError(
            column: opening, expected: "a closing \" for the string that starts here", found: "end of query")
    }
}
