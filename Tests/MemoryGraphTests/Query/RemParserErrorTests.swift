import MemoryGraph
import Testing

@Suite("REM parse errors", .timeLimit(.minutes(5)))
struct RemParserErrorTests {
    /// One malformed query, the column of its error and words its message must contain.
    struct Case: Sendable, CustomTestStringConvertible {
        let query: String
        let column: Int
        let expected: String
        var testDescription: String { query }

        init(_ query: String, _ column: Int, _ expected: String) {
            self.query = query
            self.column = column
            self.expected = expected
        }
    }

    static let cases: [Case] = [
        // Verbs
        Case("", 1, "expected LOOKUP, FUZZY, SEARCH, RECALL or TRAVERSE, found end of query"),
        Case("   ", 4, "found end of query"),
        Case("FIND x", 1, #"expected LOOKUP, FUZZY, SEARCH, RECALL or TRAVERSE, found "FIND""#),
        Case("\"LOOKUP\" x", 1, "expected LOOKUP"),
        Case(", x", 1, #"found ",""#),
        // Keys and text
        Case("LOOKUP", 7, "expected a key after LOOKUP, found end of query"),
        Case("LOOKUP ,", 8, "expected a key after LOOKUP"),
        Case("LOOKUP \"\"", 8, "a key of 1 to 255 bytes"),
        Case("LOOKUP \"\(String(repeating: "k", count: 256))\"", 8, "a key of 1 to 255 bytes"),
        Case("LOOKUP sarah chen", 14, #"expected end of query, found "chen" (quote a key that contains spaces)"#),
        Case("TRAVERSE DEPTH 3", 10, #"expected a key after TRAVERSE, found "DEPTH" (quote a key"#),
        Case("FUZZY", 6, "expected text after FUZZY, found end of query"),
        Case("FUZZY LIMIT 3", 7, #"expected text after FUZZY, found "LIMIT""#),
        Case("SEARCH \"  \"", 8, "expected non-empty text after SEARCH"),
        Case("FUZZY sara \"chen\"", 12, "expected THRESHOLD, LIMIT or end of query"),
        // Lexer
        Case("LOOKUP \"sarah", 8, "expected a closing \" for the string that starts here, found end of query"),
        Case("LOOKUP \"sarah\\", 8, "a closing \""),
        Case(#"LOOKUP "a\qb""#, 10, #"expected one of the escapes \", \\, \n or \t, found "\q""#),
        Case(#"LOOKUP sarah"chen""#, 13, "expected whitespace before a quote"),
        // Numbers
        // Issue 27, item 9: THRESHOLD has a floor (0 scores every summary), FUZZY text a length cap.
        Case("FUZZY sara THRESHOLD 0", 22, "a number from 0.1 to 1 after THRESHOLD"),
        Case("FUZZY sara THRESHOLD 0.05", 22, "a number from 0.1 to 1 after THRESHOLD"),
        Case("FUZZY " + String(repeating: "sara ", count: 41), 7, "FUZZY text of at most 200 characters, found 204 characters"),
        Case("FUZZY sara THRESHOLD abc", 22, #"expected a number from 0.1 to 1 after THRESHOLD, found "abc""#),
        Case("FUZZY sara THRESHOLD 1.5", 22, #"found "1.5""#),
        Case("FUZZY sara THRESHOLD -0.1", 22, "a number from 0.1 to 1"),
        Case("FUZZY sara THRESHOLD nan", 22, "a number from 0.1 to 1"),
        Case("FUZZY sara THRESHOLD inf", 22, "a number from 0.1 to 1"),
        Case("FUZZY sara THRESHOLD 0x1", 22, "a number from 0.1 to 1"),
        Case("FUZZY sara THRESHOLD .", 22, "a number from 0.1 to 1"),
        Case("FUZZY sara THRESHOLD 1e", 22, "a number from 0.1 to 1"),
        Case("FUZZY sara THRESHOLD \"0.5\"", 22, "a number from 0.1 to 1"),
        Case("FUZZY sara THRESHOLD", 21, "a number from 0.1 to 1 after THRESHOLD, found end of query"),
        Case("SEARCH x MIN 2", 14, "a number from 0 to 1 after MIN"),
        Case("FUZZY x LIMIT 0", 15, #"expected a whole number from 1 to 1000 after LIMIT, found "0""#),
        Case("FUZZY x LIMIT 1001", 15, "from 1 to 1000"),
        Case("FUZZY x LIMIT 2.5", 15, "a whole number"),
        Case("FUZZY x LIMIT +3", 15, "a whole number"),
        Case("FUZZY x LIMIT 99999999999999999999999", 15, "a whole number"),
        Case("FUZZY x LIMIT ٣", 15, "a whole number"),
        Case("TRAVERSE k DEPTH 11", 18, "a whole number from 0 to 10 after DEPTH"),
        Case("TRAVERSE k DEPTH -1", 18, "a whole number from 0 to 10 after DEPTH"),
        // Lists and choices
        Case("SEARCH \"x\" IN foo", 15, #"expected a context type after IN (search_result, user_selection, tool_output, domain_entity, completed_action, conversation_fact or temporary_state), found "foo""#),
        Case("SEARCH \"x\" IN domain_entity,", 29, "a context type"),
        Case("SEARCH \"x\" IN domain_entity, , tool_output", 30, #"found ",""#),
        Case("SEARCH \"x\" IN domain_entity tool_output", 29, "separate the items after IN with commas"),
        Case("TRAVERSE k TYPE knows", 17, "a relationship type after TYPE (led_to, relates_to, depends_on, produces or belongs_to)"),
        Case("TRAVERSE k TYPE led_to produces", 24, "separate the items after TYPE with commas"),
        Case("TRAVERSE k DIRECTION up", 22, #"expected out, in or both after DIRECTION, found "up""#),
        Case("TRAVERSE k DIRECTION", 21, "found end of query"),
        // Clauses
        Case("FUZZY sara LIMIT 3 LIMIT 4", 20, "expected at most one LIMIT clause, found another LIMIT (the first is at column 12)"),
        Case("TRAVERSE k depth 1 DEPTH 2", 20, "at most one DEPTH clause"),
        Case("LOOKUP sarah LIMIT 3", 14, "expected end of query, found \"LIMIT\" (LIMIT is not a clause of LOOKUP)"),
        Case("FUZZY \"sara\" DEPTH 3", 14, "expected THRESHOLD, LIMIT or end of query, found \"DEPTH\" (DEPTH is not a clause of FUZZY)"),
        Case("TRAVERSE k LIMIT 3", 12, "expected DEPTH, TYPE, DIRECTION or end of query"),
        Case("SEARCH \"x\" THRESHOLD 0.5", 12, "expected IN, MIN, LIMIT or end of query"),
        Case("SEARCH which deals are in the pipeline", 27,
             #"expected a context type"# ),
        Case("SEARCH which deals are in the pipeline", 27,
             #"put the text in double quotes if "in" is part of it"#),
        Case("FUZZY over the limit", 21, "put the text in double quotes if \"limit\" is part of it"),
        Case("FUZZY x LIMIT 3,", 16, "expected THRESHOLD or end of query, found \",\""),
        Case("TRAVERSE k DEPTH 1 TYPE led_to DIRECTION in x", 45, "expected end of query, found \"x\""),
    ]

    @Test("errors name the column and what was expected", arguments: cases)
    func error(_ testCase: Case) throws {
        let error = try #require(throws: RemSyntaxError.self) { try RemParser.parse(testCase.query) }
        #expect(error.column == testCase.column, "\(error)")
        #expect(error.description.hasPrefix("column \(testCase.column): expected "))
        #expect(error.description.contains(testCase.expected), "\(error)")
    }

    @Test("RemQuery.parse throws MemoryGraphError with code .parse and the same message")
    func memoryGraphError() throws {
        let error = try #require(throws: MemoryGraphError.self) { try RemQuery.parse("FUZZY sara THRESHOLD abc") }
        #expect(error.code == .parse)
        #expect(error.description == #"column 22: expected a number from 0.1 to 1 after THRESHOLD, found "abc""#)
    }

    @Test("whole messages read as documented", arguments: [
        ("TRAVERSE k DEPTH 1 TYPE led_to DIRECTION in x", #"column 45: expected end of query, found "x""#),
        ("LOOKUP sarah chen", #"column 14: expected end of query, found "chen" (quote a key that contains spaces)"#),
        ("FUZZY \"sara\" DEPTH 3", #"column 14: expected THRESHOLD, LIMIT or end of query, found "DEPTH" (DEPTH is not a clause of FUZZY)"#),
        ("SEARCH x IN tool_output MIN 0.5 LIMIT 3 LIMIT", #"column 41: expected at most one LIMIT clause, found another LIMIT (the first is at column 33)"#),
        ("SEARCH x IN tool_output MIN 0.5 x", #"column 33: expected LIMIT or end of query, found "x""#),
    ])
    func exact(query: String, message: String) throws {
        let error = try #require(throws: RemSyntaxError.self) { try RemParser.parse(query) }
        #expect(error.description == message)
    }

    @Test("the lexer reports tokens with their columns")
    func lexer() throws {
        var lexer = RemLexer(#"LOOKUP  "a b",c"#)
        #expect(try lexer.next() == RemToken(kind: .word("LOOKUP"), column: 1, followsWhitespace: true))
        #expect(try lexer.next() == RemToken(kind: .quoted("a b"), column: 9, followsWhitespace: true))
        #expect(try lexer.next() == RemToken(kind: .comma, column: 14, followsWhitespace: false))
        #expect(try lexer.next() == RemToken(kind: .word("c"), column: 15, followsWhitespace: false))
        #expect(try lexer.next().kind == .end)
        #expect(try lexer.next().kind == .end)
    }

    @Test("long tokens are shortened in messages")
    func shortened() throws {
        let error = try #require(throws: RemSyntaxError.self) {
            try RemParser.parse("FIND " + String(repeating: "x", count: 500))
        }
        #expect(error.found.count < 40)
        let word = try #require(throws: RemSyntaxError.self) {
            try RemParser.parse(String(repeating: "y", count: 500))
        }
        #expect(word.found == "\"" + String(repeating: "y", count: 32) + "…\"")
    }
}
