/// A strict JSON parser over bytes that reports where the text went wrong.
///
/// Foundation's parsers say little more than "the data is not valid JSON". Fixture authors need
/// the line and column, and duplicate member names (which Foundation silently collapses) must be
/// caught, so fixtures are read with this small RFC 8259 parser instead.
struct FixtureJSONParser {
    /// A syntax error at a byte offset of the input.
    struct SyntaxError: Error, Equatable {
        var offset: Int
        var message: String
    }

    /// Deep enough for any fixture, shallow enough never to exhaust the stack.
    static let maximumDepth = 200

    private let bytes: [UInt8]
    private var index: Int
    private var depth = 0
    /// Whether a number a Double would not keep is an error: an integer beyond ±2^53 (it would
    /// lose digits) or a non-zero number that rounds to 0. True for text from outside; false for
    /// Postgres's own `jsonb`, which is read as well as a Double can.
    private let exactNumbers: Bool

    /// Parses one JSON value that fills `bytes[range]` (whitespace around it allowed).
    static func parse(_ bytes: [UInt8], in range: Range<Int>, exactNumbers: Bool = true) throws(SyntaxError) -> JSONValue {
        var parser = FixtureJSONParser(bytes: bytes, index: range.lowerBound, exactNumbers: exactNumbers)
        parser.skipWhitespace(upTo: range.upperBound)
        let value = try parser.value(end: range.upperBound)
        parser.skipWhitespace(upTo: range.upperBound)
        if parser.index < range.upperBound {
            throw SyntaxError(offset: parser.index, message: "expected the end of the JSON text, found \(parser.describe(parser.index, end: range.upperBound))")
        }
        return value
    }

    /// The offset of the first byte that is not valid UTF-8, or nil when all of it is.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        let offset = min(offset, bytes.count)
        var line = 1
        var lineStart = 0
        for position in 0..<offset where bytes[position] == UInt8(ascii: "\n") {
            line += 1
            lineStart = position + 1
        }
        let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
        return (line, column)
    }

    // MARK: Values

    private mutating func value(end: Int) throws(SyntaxError) -> JSONValue {
        guard index < end else { throw SyntaxError(offset: index, message: "expected a JSON value, found the end of the text") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(end: end)
        case UInt8(ascii: "["): return try array(end: end)
        case UInt8(ascii: "\""): return .string(try string(end: end))
        case UInt8(ascii: "t"): return try literal("true", .bool(true), end: end)
        case UInt8(ascii: "f"): return try literal("false", .bool(false), end: end)
        case UInt8(ascii: "n"): return try literal("null", .null, end: end)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number(end: end)
        default:
            throw SyntaxError(offset: index, message: "expected a JSON value, found \(describe(index, end: end))")
        }
    }

    private mutating func object(end: Int) throws(SyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace(upTo: end)
        if index < end, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace(upTo: end)
            guard index < end, bytes[index] == UInt8(ascii: "\"") else {
                throw SyntaxError(offset: index, message: "expected a member name in double quotes, found \(describe(index, end: end))")
            }
            let nameOffset = index
            let name = try string(end: end)
            if members[name] != nil {
                throw SyntaxError(offset: nameOffset, message: "the member \(Self.quoted(name)) appears twice in one object")
            }
            skipWhitespace(upTo: end)
            try expect(":", after: "a member name", end: end)
            skipWhitespace(upTo: end)
            members[name] = try value(end: end)
            skipWhitespace(upTo: end)
            if try separator(closing: "}", in: "an object", end: end) { return .object(members) }
        }
    }

    private mutating func array(end: Int) throws(SyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace(upTo: end)
        if index < end, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace(upTo: end)
            elements.append(try value(end: end))
            skipWhitespace(upTo: end)
            if try separator(closing: "]", in: "an array", end: end) { return .array(elements) }
        }
    }

    /// Consumes `,` (false: more follows) or the closing bracket (true: done).
    private mutating func separator(closing: Unicode.Scalar, in container: String, end: Int) throws(SyntaxError) -> Bool {
        if index < end, bytes[index] == UInt8(ascii: ",") {
            index += 1
            return false
        }
        if index < end, bytes[index] == UInt8(ascii: closing) {
            index += 1
            return true
        }
        throw SyntaxError(offset: index, message: "expected \",\" or \"\(closing)\" in \(container), found \(describe(index, end: end))")
    }

    private mutating func string(end: Int) throws(SyntaxError) -> String {
        let opening = index
        index += 1
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flush(_ upTo: Int) {
            scalars.append(contentsOf: String(decoding: bytes[runStart..<upTo], as: UTF8.self).unicodeScalars)
        }
        while index < end {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                flush(index)
                index += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush(index)
                scalars.append(try escape(end: end))
                runStart = index
            case 0..<0x20:
                throw SyntaxError(offset: index, message: "a control character must be escaped inside a string (a line break is \\n)")
            default:
                index += 1
            }
        }
        throw SyntaxError(offset: opening, message: "this string has no closing double quote")
    }

    /// One escape sequence at `index` (the backslash); moves past it.
    private mutating func escape(end: Int) throws(SyntaxError) -> Unicode.Scalar {
        let start = index
        guard index + 1 < end else { throw SyntaxError(offset: start, message: "this escape sequence is cut off") }
        index += 2
        switch bytes[start + 1] {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{8}"
        case UInt8(ascii: "f"): return "\u{C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try hex4(end: end, escapeStart: start)
            if (0xD800..<0xDC00).contains(high) {
                guard index + 1 < end, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw SyntaxError(offset: start, message: "a high surrogate \\u escape must be followed by a low one")
                }
                let lowStart = index
                index += 2
                let low = try hex4(end: end, escapeStart: lowStart)
                guard (0xDC00..<0xE000).contains(low) else {
                    throw SyntaxError(offset: lowStart, message: "expected a low surrogate \\u escape")
                }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            // Valid JSON, but Postgres text and jsonb cannot hold NUL: refuse it here, with its position.
            guard high != 0 else {
                throw SyntaxError(offset: start, message: "\\u0000 cannot be stored (Postgres text and jsonb refuse NUL)")
            }
            guard let scalar = Unicode.Scalar(high) else {
                throw SyntaxError(offset: start, message: "a low surrogate \\u escape must follow a high one")
            }
            return scalar
        default:
            throw SyntaxError(offset: start, message: "unknown escape sequence; JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX")
        }
    }

    private mutating func hex4(end: Int, escapeStart: Int) throws(SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < end, let digit = Self.hexValue(bytes[index]) else {
                throw SyntaxError(offset: escapeStart, message: "a \\u escape needs four hexadecimal digits")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private mutating func number(end: Int) throws(SyntaxError) -> JSONValue {
        let start = index
        func digits() -> Int {
            let first = index
            while index < end, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - first
        }
        let malformed = SyntaxError(offset: start, message: "malformed number (JSON numbers look like -12, 0.5 or 1e-3)")
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits()
        guard integerDigits > 0, !(integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0")) else { throw malformed }
        var isInteger = true
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            isInteger = false
            guard digits() > 0 else { throw malformed }
        }
        let mantissaEnd = index
        if index < end, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            isInteger = false
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw malformed }
        }
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)), value.isFinite else {
            throw SyntaxError(offset: start, message: "this number is too large")
        }
        if exactNumbers {
            if isInteger, abs(value) > JSONValue.largestSafeInteger {
                throw SyntaxError(offset: start, message: JSONValue.unsafeIntegerAdvice)
            }
            if value == 0, bytes[start..<mantissaEnd].contains(where: { (UInt8(ascii: "1")...UInt8(ascii: "9")).contains($0) }) {
                throw SyntaxError(offset: start, message: "this number is too small: it would be kept as 0")
            }
        }
        return .number(value)
    }

    private mutating func literal(_ word: String, _ value: JSONValue, end: Int) throws(SyntaxError) -> JSONValue {
        let expected = Array(word.utf8)
        guard end - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else {
            throw SyntaxError(offset: index, message: "expected a JSON value, found \(describe(index, end: end))")
        }
        index += expected.count
        return value
    }

    // MARK: Helpers

    private mutating func enter() throws(SyntaxError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw SyntaxError(offset: index, message: "the JSON nests deeper than \(Self.maximumDepth) levels")
        }
    }

    private mutating func expect(_ scalar: Unicode.Scalar, after what: String, end: Int) throws(SyntaxError) {
        guard index < end, bytes[index] == UInt8(ascii: scalar) else {
            throw SyntaxError(offset: index, message: "expected \"\(scalar)\" after \(what), found \(describe(index, end: end))")
        }
        index += 1
    }

    private mutating func skipWhitespace(upTo end: Int) {
        while index < end, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    /// The character at `offset` for a message: quoted, or "the end of the text".
    private func describe(_ offset: Int, end: Int) -> String {
        guard offset < end else { return "the end of the text" }
        let tail = String(decoding: bytes[offset..<min(end, offset + 8)], as: UTF8.self)
        guard let character = tail.first else { return "the end of the text" }
        if character == "\"" { return "a string" }
        if character.isLetter || character.isNumber {
            // A bare word, such as an unquoted name or a Python True.
            let word = tail.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" })
            return Self.quoted(String(word))
        }
        return Self.quoted(String(character))
    }

    static func quoted(_ text: String) -> String {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return "\"" + shown + "\""
    }
}
