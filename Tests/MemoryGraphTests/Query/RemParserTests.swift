import Foundation
import MemoryGraph
import Testing

@Suite("REM parser", .timeLimit(.minutes(5)))
struct RemParserTests {
    // MARK: Verbs and defaults

    @Test("LOOKUP takes one key")
    func lookup() throws {
        #expect(try RemQuery.parse("LOOKUP sarah-chen") == .lookup(key: "sarah-chen"))
        #expect(try RemQuery.parse("lookup \"Sarah Chen\"") == .lookup(key: "Sarah Chen"))
        #expect(try RemQuery.parse("  LOOKUP\tACC-001  ") == .lookup(key: "ACC-001"))
    }

    @Test("FUZZY defaults to THRESHOLD 0.3 and LIMIT 10")
    func fuzzyDefaults() throws {
        #expect(try RemQuery.parse("FUZZY sara") == .fuzzy(text: "sara", threshold: 0.3, limit: 10))
    }

    @Test("FUZZY takes several bare words up to a clause")
    func fuzzyWords() throws {
        #expect(try RemQuery.parse("FUZZY sara chen LIMIT 3") == .fuzzy(text: "sara chen", threshold: 0.3, limit: 3))
        #expect(try RemQuery.parse("fuzzy  acme   corp  threshold .5 limit 1")
            == .fuzzy(text: "acme corp", threshold: 0.5, limit: 1))
        #expect(try RemQuery.parse("FUZZY acme, inc") == .fuzzy(text: "acme, inc", threshold: 0.3, limit: 10))
        #expect(try RemQuery.parse("FUZZY a,b ,c") == .fuzzy(text: "a,b ,c", threshold: 0.3, limit: 10))
        // DEPTH is not a FUZZY clause, so it is text.
        #expect(try RemQuery.parse("FUZZY depth chart") == .fuzzy(text: "depth chart", threshold: 0.3, limit: 10))
    }

    @Test("SEARCH defaults to all context types, MIN 0 and LIMIT 10")
    func searchDefaults() throws {
        #expect(try RemQuery.parse("SEARCH Who is the VP of engineering?")
            == .search(text: "Who is the VP of engineering?", contextTypes: [], minSimilarity: 0, limit: 10))
    }

    @Test("SEARCH takes IN, MIN and LIMIT in any order")
    func searchClauses() throws {
        let expected = RemQuery.search(
            text: "renewal risk", contextTypes: [.domainEntity, .conversationFact], minSimilarity: 0.25, limit: 5)
        #expect(try RemQuery.parse("SEARCH \"renewal risk\" IN domain_entity, conversation_fact MIN 0.25 LIMIT 5") == expected)
        #expect(try RemQuery.parse("search renewal risk limit 5 min 0.25 in conversation_fact,DOMAIN_ENTITY") == expected)
        #expect(try RemQuery.parse("SEARCH x IN tool_output , tool_output")
            == .search(text: "x", contextTypes: [.toolOutput], minSimilarity: 0, limit: 10))
    }

    @Test("TRAVERSE defaults to DEPTH 2, every type, DIRECTION both")
    func traverseDefaults() throws {
        #expect(try RemQuery.parse("TRAVERSE acme-corp") == .traverse(key: "acme-corp", depth: 2, types: [], direction: .both))
    }

    @Test("TRAVERSE takes DEPTH, TYPE and DIRECTION")
    func traverseClauses() throws {
        #expect(try RemQuery.parse("traverse acme-corp direction OUT type relates_to,belongs_to depth 0")
            == .traverse(key: "acme-corp", depth: 0, types: [.relatesTo, .belongsTo], direction: .outgoing))
        #expect(try RemQuery.parse("TRAVERSE \"a b\" DEPTH 10 DIRECTION in")
            == .traverse(key: "a b", depth: 10, types: [], direction: .incoming))
        #expect(try RemQuery.parse("TRAVERSE x TYPE led_to, relates_to, depends_on, produces, belongs_to")
            == .traverse(key: "x", depth: 2, types: Set(RelationshipType.allCases), direction: .both))
    }

    @Test("keywords are case-insensitive", arguments: ["LOOKUP", "lookup", "Lookup", "lOoKuP"])
    func caseInsensitive(verb: String) throws {
        #expect(try RemQuery.parse("\(verb) k") == .lookup(key: "k"))
    }

    @Test("numbers", arguments: [("0", 0.0), ("1", 1.0), ("0.5", 0.5), (".5", 0.5), ("1.", 1.0), ("1.000", 1.0), ("5e-1", 0.5)])
    func numbers(text: String, value: Double) throws {
        #expect(try RemQuery.parse("SEARCH x MIN \(text)") == .search(text: "x", contextTypes: [], minSimilarity: value, limit: 10))
    }

    // MARK: Quoting

    @Test("quoted strings resolve \\\", \\\\, \\n and \\t")
    func escapes() throws {
        #expect(try RemQuery.parse(#"LOOKUP "say \"hi\"""#) == .lookup(key: #"say "hi""#))
        #expect(try RemQuery.parse(#"LOOKUP "a\\b""#) == .lookup(key: #"a\b"#))
        #expect(try RemQuery.parse(#"LOOKUP "a\nb\tc""#) == .lookup(key: "a\nb\tc"))
        #expect(try RemQuery.parse(#"LOOKUP "LIMIT, 3""#) == .lookup(key: "LIMIT, 3"))
        #expect(try RemQuery.parse(#"FUZZY "limit" LIMIT 2"#) == .fuzzy(text: "limit", threshold: 0.3, limit: 2))
    }

    @Test("a backslash in a bare word is literal")
    func bareBackslash() throws {
        #expect(try RemQuery.parse(#"LOOKUP a\b"#) == .lookup(key: #"a\b"#))
    }

    @Test("unicode keys and columns count characters")
    func unicode() throws {
        #expect(try RemQuery.parse("LOOKUP zoë-ångström") == .lookup(key: "zoë-ångström"))
        let error = try #require(throws: RemSyntaxError.self) { try RemParser.parse("FUZZY 👩‍💻é LIMIT x") }
        #expect(error.column == 16)
    }

    // MARK: Canonical text

    @Test("description prints canonical REM that parses back", arguments: [
        "LOOKUP sarah-chen", "LOOKUP \"a \\\"b\\\" \\\\ c\"", "FUZZY sara chen LIMIT 3", "FUZZY \"limit\"",
        "SEARCH who leads engineering? IN tool_output, domain_entity MIN 0.125 LIMIT 1000",
        "TRAVERSE acme DEPTH 0 TYPE produces, led_to DIRECTION out", "TRAVERSE \"depth\"", "LOOKUP \"x\ny\"",
    ])
    func roundTrip(text: String) throws {
        let query = try RemQuery.parse(text)
        #expect(try RemQuery.parse(query.description) == query)
    }

    @Test("canonical text spells out every clause")
    func canonical() throws {
        #expect(try RemQuery.parse("fuzzy sara").description == "FUZZY sara THRESHOLD 0.3 LIMIT 10")
        #expect(try RemQuery.parse("search \"a b\" in domain_entity").description
            == "SEARCH \"a b\" IN domain_entity MIN 0.0 LIMIT 10")
        #expect(try RemQuery.parse("traverse k").description == "TRAVERSE k DEPTH 2 DIRECTION both")
    }
}

@Suite("REM parser: RECALL", .timeLimit(.minutes(1)))
struct RemRecallParserTests {
    @Test("RECALL takes SEARCH's clauses and a time window, in any order, with SEARCH's defaults")
    func recall() throws {
        #expect(try RemQuery.parse("RECALL when did Maya adopt Pepper?") == .recall(RecallQuery(text: "when did Maya adopt Pepper?")))
        let since = Date(timeIntervalSince1970: 1_714_521_600)  // 2024-05-01T00:00:00Z
        let until = Date(timeIntervalSince1970: 1_714_556_200)  // 2024-05-01T09:36:40Z
        let expected = RemQuery.recall(RecallQuery(
            text: "renewal risk", contextTypes: [.conversationFact], minSimilarity: 0.2, limit: 5, since: since, until: until))
        #expect(try RemQuery.parse("RECALL renewal risk IN conversation_fact MIN 0.2 LIMIT 5 SINCE 2024-05-01 UNTIL 2024-05-01T09:36:40Z") == expected)
        #expect(try RemQuery.parse("recall \"renewal risk\" until 2024-05-01T11:36:40+02:00 limit 5 since 2024-05-01 min .2 in conversation_fact") == expected)
        // The canonical text parses back to the same query.
        #expect(try RemQuery.parse(expected.description) == expected)
        #expect(expected.description == "RECALL \"renewal risk\" IN conversation_fact MIN 0.2 LIMIT 5 SINCE 2024-05-01T00:00:00Z UNTIL 2024-05-01T09:36:40Z")
    }

    @Test("SINCE after UNTIL, or a day that does not exist, is a syntax error at the time's column")
    func recallWindowErrors() {
        for (text, column) in [("RECALL x SINCE 2025-01-01 UNTIL 2024-01-01", 33), ("RECALL x UNTIL 2024-01-01 SINCE 2025-01-01", 33),
                               ("RECALL x SINCE 2024-01-01 UNTIL 2024-01-01", 33), ("RECALL x SINCE 2024-02-30", 16),
                               ("RECALL x UNTIL 2024-01-01T24:00:00Z", 16)] {
            #expect(throws: RemSyntaxError.self, "\(text)") { try RemParser.parse(text) }
            do { _ = try RemParser.parse(text) } catch { #expect(error.column == column, "\(text): \(error)") }
        }
    }

    @Test("a bad RECALL names the column and what was expected")
    func errors() {
        for (text, column, expected) in [
            ("RECALL", 7, "text after RECALL"),
            ("RECALL x SINCE yesterday", 16, "a date (2024-05-01) or a date and time"),
            ("RECALL x SINCE 2024-02-30", 16, "a date (2024-05-01) or a date and time"),
            ("RECALL x SINCE 2024-06-01T18:00:00+1:00", 16, "a date (2024-05-01) or a date and time"),
            ("RECALL x SINCE 2024-06-01T18:00:00+12:99", 16, "a date (2024-05-01) or a date and time"),
            ("RECALL x SINCE 2024-05-01 UNTIL 2024-04-01", 33, "expected an UNTIL time later than SINCE (2024-05-01T00:00:00Z)"),
            ("RECALL x UNTIL 2024-04-01 SINCE 2024-05-01", 33, "expected a SINCE time earlier than UNTIL (2024-04-01T00:00:00Z)"),
            ("RECALL x LIMIT 0", 16, "a whole number from 1"),
            ("RECALL x UNTIL 2024-01-01 UNTIL 2024-02-01", 27, "at most one UNTIL clause"),
        ] as [(String, Int, String?)] {
            do {
                _ = try RemParser.parse(text)
                Issue.record("parsed: \(text)")
            } catch {
                #expect(error.column == column, "\(text): \(error)")
                if let expected { #expect(error.description.contains(expected), "\(text): \(error)") }
            }
        }
    }
}
