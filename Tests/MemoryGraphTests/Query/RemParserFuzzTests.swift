import MemoryGraph
import Testing

@Suite("REM parser fuzzing", .timeLimit(.minutes(5)))
struct RemParserFuzzTests {

    static let pieces = [
        "LOOKUP", "FUZZY", "SEARCH", "TRAVERSE", "RECALL", "recall", "SINCE", "UNTIL", "2024-05-01",
        "2024-05-01T09:30:00Z", "2024-13-01", "lookup", "fuzzy", "THRESHOLD", "LIMIT", "IN", "MIN", "DEPTH",
        "TYPE", "DIRECTION", "out", "in", "both", "domain_entity", "tool_output", "relates_to", "led_to",
        "0", "1", "0.5", ".5", "1e-3", "1e", "99999999999999999999", "-1", "nan", "10", "1000", "1001",
        "\"", "\\", "\\\"", "\\\\", "\\n", "\\q", ",", " ", "  ", "\t", "\n", "\r\n", "sarah-chen", "\"sarah chen\"",
        "é", "e\u{301}", "👩‍💻", "\u{0}", "\u{FEFF}", "\u{202E}", "\"\u{301}", "ı", "ß", "\u{2028}",
    ]

    static func randomQuery(_ generator: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<Int.random(in: 0...12, using: &generator) {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<6:
                text += pieces.randomElement(using: &generator)!
            case 6..<8:
                text += " "
            case 8:
                // Any scalar, surrogates excluded by the failable init.
                let value = UInt32.random(in: 0...0x10FFFF, using: &generator)
                text.unicodeScalars.append(Unicode.Scalar(value) ?? "?")
            default:
                // Bytes, decoded leniently as a parser fed from a file would see them.
                let bytes = (0..<Int.random(in: 1...6, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                text += String(decoding: bytes, as: UTF8.self)
            }
        }
        return text
    }

    @Test("100,000 random strings parse or throw, never crash; errors point inside the query")
    func fuzz() {
        var generator = SplitMix64(seed: 0x5EED_0005)
        var parsed = 0
        var problems: [String] = []
        for _ in 0..<100_000 {
            let text = Self.randomQuery(&generator)
            do {
                let query = try RemParser.parse(text)
                parsed += 1
                // Whatever parses prints canonical text that parses to the same query.
                if (try? RemParser.parse(query.description)) != query {
                    problems.append("round trip: \(text.debugDescription) -> \(query.description.debugDescription)")
                }
            } catch {
                if !(1...(text.count + 1)).contains(error.column) {
                    problems.append("column \(error.column) outside \(text.debugDescription)")
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        // The generator reaches valid queries too, not only errors.
        #expect(parsed > 100)
    }
}
