/// Where and why a REM query failed to parse: the detail behind a `MemoryGraphError` with code `.parse`.
///
/// ``RemParser/parse(_:)`` throws this typed error so that a caller can point at the column (the
/// shell draws a caret under it); ``RemQuery/parse(_:)`` wraps it in ``MemoryGraphError`` for
/// everyone else. Both print the same sentence:
///
/// ```swift
/// do { _ = try RemParser.parse("FUZZY sara THRESHOLD abc") }
/// catch { print(error) }   // column 22: expected a number from 0 to 1 after THRESHOLD, found "abc"
/// ```
public struct RemSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based column of the offending token, counted in characters from the start of the
    /// query. The end of the query is one past its last character.
    public let column: Int
    /// What the parser wanted there, such as `a number from 0 to 1 after THRESHOLD`.
    public let expected: String
    /// What it found, such as `"abc"` (quoted, shortened) or `end of query`.
    public let found: String
    /// A suggestion, such as quoting text that holds a keyword; nil when there is none.
    public let hint: String?

    /// Creates a syntax error.
    public init(column: Int, expected: String, found: String, hint: String? = nil) {
        self.column = column
        self.expected = expected
        self.found = found
        self.hint = hint
    }

    /// `column N: expected X, found Y`, followed by the hint when there is one.
    public var description: String {
        var text = "column \(column): expected \(expected), found \(found)"
        if let hint { text += " (\(hint))" }
        return text
    }

    /// The same failure as the module's error type, code `.parse`.
    public var memoryGraphError: MemoryGraphError {
        MemoryGraphError(code: .parse, message: description)
    }
}
