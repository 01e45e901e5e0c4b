/// Where something sits in a fixture: the file as the user named it, and a JSON path, a line, or both.
///
/// ```swift
/// FixtureLocation(file: "fixtures/crm.json", path: "$.nodes[3]").description   // fixtures/crm.json: $.nodes[3]
/// FixtureLocation(file: "support.jsonl", line: 7, path: "$.strength").description // support.jsonl: line 7: $.strength
/// ```
public struct FixtureLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file, as given on the command line or joined to the directory given there.
    public var file: String
    /// The 1-based line: of a JSONL record, or of a syntax error.
    public var line: Int?
    /// The 1-based column, in characters, of a syntax error.
    public var column: Int?
    /// A JSON path such as `$.nodes[3].context_type`, relative to the JSONL line when there is one.
    public var path: String?

    /// Creates a location.
    public init(file: String, line: Int? = nil, column: Int? = nil, path: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
    }

    /// `file: line L, column C: $.path`, leaving out what is not known (and a bare `$` after a line).
    public var description: String {
        var parts = [file]
        if let line {
            parts.append(column.map { "line \(line), column \($0)" } ?? "line \(line)")
        }
        // A whole JSONL line is named by its number; "$" would add nothing.
        if let path, !(line != nil && path == "$") { parts.append(path) }
        return parts.joined(separator: ": ")
    }

    /// This location with `component` appended to its path (`.name` or `[index]`).
    public func appending(_ component: String) -> FixtureLocation {
        var copy = self
        copy.path = (path ?? "$") + component
        return copy
    }

    /// The path component for an object member: `.name`, or `["name"]` when it is not a plain word.
    static func member(_ name: String) -> String {
        let plain = !name.isEmpty && name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_")
        }
        return plain ? "." + name : "[" + JSONValue.string(name).jsonText() + "]"
    }
}

/// One thing wrong with a fixture: where, and a sentence saying what. It never quotes summaries
/// or content, only field names, keys and the offending names or numbers.
public struct FixtureProblem: Sendable, Hashable, CustomStringConvertible {
    public var location: FixtureLocation
    public var message: String

    /// Creates a problem.
    public init(location: FixtureLocation, message: String) {
        self.location = location
        self.message = message
    }

    /// `location: message`, for example
    /// `fixtures/crm.json: $.nodes[3].context_type: unknown context type "foo" (expected one of: …)`.
    public var description: String { "\(location): \(message)" }
}
