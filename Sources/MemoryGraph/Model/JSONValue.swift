import Foundation

/// A JSON value, as stored in `content`, `entity_data` and `metadata`.
///
/// ```swift
/// let data: JSONValue = ["industry": "Technology", "employees": 50]
/// ```
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) <= Self.largestSafeInteger {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The largest integer below which a Double holds every integer exactly (2^53 − 1, as
    /// JavaScript's `Number.MAX_SAFE_INTEGER`). Written as an integer up to it; an integer beyond
    /// it in text from outside is an error (``parse(input:)``), since it would be stored changed.
    public static let largestSafeInteger = 9_007_199_254_740_991.0

    /// Why an integer beyond ``largestSafeInteger`` is refused, and what to send instead.
    public static let unsafeIntegerAdvice =
        "this integer is beyond ±9007199254740991 (2^53 − 1), where JSON numbers lose digits; send it as a string"

    /// The string, when this value is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number, when this value is one.
    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The members, when this value is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The member named `key`, when this value is an object.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// The compact JSON text of this value, keys sorted.
    public func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail: every case maps to a JSON value.
        let data = (try? encoder.encode(self)) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses JSON text (RFC 8259, strictly: a member name twice is an error, as is a number
    /// beyond a Double's range).
    ///
    /// This is the fixtures' byte parser, not Foundation's JSONDecoder: every node read from
    /// Postgres parses its content and metadata here, and the decoder took about 18 µs for a CRM
    /// contact's content where this takes about 3.5 µs (10 rows of a SEARCH: 0.15 ms).
    /// - Throws: ``MemoryGraphError`` `.invalidInput`, naming the line and column.
    public static func parse(_ text: String) throws -> JSONValue {
        try parse(bytes: Array(text.utf8))
    }

    /// ``parse(bytes:)`` for bytes from outside, such as a request body: bytes that are not UTF-8
    /// are an error naming their line and column, as in a fixture file, where ``parse(bytes:)``
    /// (for Postgres's `jsonb`, valid UTF-8 by construction) would store replacement characters;
    /// so is a number a Double would change (an integer beyond ±2^53, a non-zero number that
    /// rounds to 0), as in a fixture file: stored, it would read back as another number.
    /// - Throws: ``MemoryGraphError`` `.invalidInput`.
    public static func parse(input bytes: [UInt8]) throws -> JSONValue {
        if let offset = FixtureJSONParser.firstInvalidUTF8(in: bytes) {
            let (line, column) = FixtureJSONParser.lineAndColumn(of: offset, in: bytes)
            throw MemoryGraphError.invalidInput(
                "not valid UTF-8 at line \(line), column \(column) (byte 0x\(String(bytes[offset], radix: 16, uppercase: true))); send UTF-8")
        }
        return try parse(bytes: bytes, exactNumbers: true)
    }

    /// ``parse(_:)`` over UTF-8 bytes, as Postgres sends a `jsonb` (no String made first).
    ///
    /// A number is read as well as a Double holds it, as it was stored; ``parse(input:)``
    /// refuses the numbers a Double would change.
    public static func parse(bytes: [UInt8]) throws -> JSONValue {
        try parse(bytes: bytes, exactNumbers: false)
    }

    private static func parse(bytes: [UInt8], exactNumbers: Bool) throws -> JSONValue {
        do {
            return try FixtureJSONParser.parse(bytes, in: 0..<bytes.count, exactNumbers: exactNumbers)
        } catch {
            let (line, column) = FixtureJSONParser.lineAndColumn(of: error.offset, in: bytes)
            throw MemoryGraphError.invalidInput("invalid JSON at line \(line), column \(column): \(error.message)")
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
