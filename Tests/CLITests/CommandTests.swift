import Foundation
import MemoryGraph
import Testing

@Suite("memgraph path, relate, node, stats, cleanup, shell, help", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct CommandTests {
    @Test("path finds a shortest path, walking edges either way")
    func path() async throws {
        let user = try await crmUser()
        // marcus-webb -> acme-corp <- acme-security-audit: two edges, the second walked backwards.
        let run = try await Memgraph.run(["path", "marcus-webb", "acme-security-audit", "--user", user.rawValue, "--json"])
        #expect(run.status == 0, "\(run)")
        let document = try run.json()
        #expect(document["length"] == .number(2))
        let keys = try #require(document["nodes"]?.arrayValue).map { $0["key"] }
        #expect(keys == ["marcus-webb", "acme-corp", "acme-security-audit"])
        let text = try await Memgraph.run(["path", "marcus-webb", "acme-security-audit", "--user", user.rawValue])
        #expect(text.stdout.hasPrefix("marcus-webb -[belongs_to 1.00]-> acme-corp <-[belongs_to 1.00]- acme-security-audit"), "\(text)")
        // Only along edges: there is no way out of an opportunity back to a contact.
        let along = try await Memgraph.run(
            ["path", "acme-security-audit", "marcus-webb", "--user", user.rawValue, "--direction", "out"])
        #expect(along.status == 1, "\(along)")
        #expect(along.stderr.contains("no path from acme-security-audit to marcus-webb"), "\(along)")
        // The hint names only what is not at its widest already (it said "--direction both" when it was).
        #expect(along.stderr.contains("direction both") && along.stderr.contains("a larger max depth"), "\(along)")
        let widest = try await Memgraph.run(
            ["path", "acme-security-audit", "marcus-webb", "--user", user.rawValue, "--max-depth", "10", "--type", "led_to"])
        #expect(widest.status == 1 && !widest.stderr.contains("direction both") && widest.stderr.contains("more relationship types"), "\(widest)")
        // A key not found: the FUZZY query to try is REM that parses, whatever the key holds.
        let quoted = try await Memgraph.run(["node", "get", #"o'brien "x""#, "--user", user.rawValue])
        #expect(quoted.status == 1 && quoted.stderr.contains(#"FUZZY "o'brien \"x\"""#), "\(quoted)")
    }

    @Test("relate, node get and node rm by key")
    func relateAndNode() async throws {
        let user = try await crmUser()
        let u = user.rawValue
        let relate = try await Memgraph.run(
            ["relate", "marcus-webb", "acme-security-audit", "--type", "depends_on", "--strength", "0.4", "--user", u, "--json"])
        #expect(relate.status == 0, "\(relate)")
        #expect(try relate.json()["inserted"] == .bool(true))
        let again = try await Memgraph.run(
            ["relate", "marcus-webb", "acme-security-audit", "--type", "depends_on", "--strength", "0.5", "--user", u])
        #expect(again.stdout.contains("(updated)"), "\(again)")
        let path = try await Memgraph.run(["path", "marcus-webb", "acme-security-audit", "--user", u, "--json"])
        #expect(try path.json()["length"] == .number(1))

        let get = try await Memgraph.run(["node", "get", "sarah-chen", "--user", u, "--json"])
        #expect(get.status == 0, "\(get)")
        #expect(try get.json()["content"]?["entity_id"] == "CON-101")
        let before = try await ImportTests.counts(user)["total_nodes"]?.intValue ?? 0
        let remove = try await Memgraph.run(["node", "rm", "sarah-chen", "--user", u])
        #expect(remove.status == 0, "\(remove)")
        #expect(try await ImportTests.counts(user)["total_nodes"]?.intValue == before - 1)
        #expect(try await Memgraph.run(["node", "get", "sarah-chen", "--user", u]).status == 1)

        let badType = try await Memgraph.run(["relate", "a", "b", "--type", "works_at", "--user", u])
        #expect(badType.status == 2, "\(badType)")
        let badStrength = try await Memgraph.run(["relate", "a", "b", "--type", "led_to", "--strength", "2", "--user", u])
        #expect(badStrength.status == 2, "\(badStrength)")
    }

    @Test("cleanup parses ages and deletes only older nodes")
    func cleanup() async throws {
        let user = try await crmUser()
        let keep = try await Memgraph.run(["cleanup", "--user", user.rawValue, "--older-than", "90d", "--json"])
        #expect(keep.status == 0, "\(keep)")
        #expect(try keep.json()["deleted"] == .number(0))
        let all = try await Memgraph.run(["cleanup", "--user", user.rawValue, "--older-than", "0s", "--json"])
        #expect(try all.json()["deleted"] == .number(51))
        #expect(try await ImportTests.counts(user)["total_nodes"] == .number(0))
        for age in ["90", "90x", "d", "-1d", ""] {
            let run = try await Memgraph.run(["cleanup", "--user", user.rawValue, "--older-than", age])
            #expect(run.status == 2, "\(age): \(run)")
        }
        for age in ["12h", "30m", "45s", "1d12h"] {
            #expect(try await Memgraph.run(["cleanup", "--user", user.rawValue, "--older-than", age]).status == 0)
        }
    }

    @Test("shell with piped input: results only on stdout, every line run, exit 1 after a failed line")
    func pipedShell() async throws {
        let user = try await crmUser()
        let script = """
            # a comment
            LOOKUP sarah-chen
            open sarah-chen
            neighbours out
            open #1
            back
            FUZZY sara THRESHOLD abc
            history
            help
            """
        let run = try await Memgraph.run(["shell", "--user", user.rawValue], input: script)
        #expect(run.status == 1, "\(run)")
        #expect(!run.stdout.contains("memgraph>"), "\(run)")
        #expect(!run.stderr.contains("memgraph>"), "\(run)")
        #expect(run.stdout.contains("sarah-chen"), "\(run)")
        #expect(run.stdout.contains("-> belongs_to"), "\(run)")
        #expect(run.stdout.contains("acme-corp [domain_entity]"), "\(run)")
        #expect(run.stdout.contains("open #1"), "history: \(run)")
        #expect(run.stdout.contains("neighbours [out|in|both]"), "help: \(run)")
        #expect(run.stderr.contains("column 22"), "\(run)")
        #expect(run.stderr.contains("1 of 8 commands failed"), "\(run)")

        let clean = try await Memgraph.run(["shell", "--user", user.rawValue], input: "LOOKUP sarah-chen\nquit\nLOOKUP never-run\n")
        #expect(clean.status == 0, "\(clean)")
        #expect(!clean.stderr.contains("never-run"))
    }

    @Test("every command has --help with examples", arguments: [
        ["query"], ["import"], ["explore"], ["path"], ["shell"], ["stats"], ["cleanup"], ["node"], ["node", "get"],
        ["node", "rm"], ["relate"], ["reindex"], ["serve"], ["mcp"], ["keys"], ["token"], ["export"], ["erase"],
        ["bench", "serve"], ["db", "url"],
    ])
    func help(_ command: [String]) async throws {
        let run = try await Memgraph.run(command + ["--help"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("Examples:"), "\(run)")
        #expect(run.stdout.contains("memgraph \(command.joined(separator: " "))"), "\(run)")
    }

    @Test("db url masks the password unless --show-password (issue 27, item 6)")
    func dbURLMasksThePassword() async throws {
        let shown = try await Memgraph.run(["db", "url", "--show-password"])
        #expect(shown.status == 0, "\(shown)")
        let url = shown.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let password = try #require(url.split(separator: "@").first?.split(separator: ":").last.map(String.init))
        #expect(password.count >= 16 && password != "***", "\(url)")
        let masked = try await Memgraph.run(["db", "url"])
        #expect(masked.status == 0, "\(masked)")
        #expect(!masked.stdout.contains(password), "the password is printed")
        #expect(masked.stdout.contains("postgres:***@127.0.0.1:"), "\(masked)")
    }

    @Test("completion scripts are generated", arguments: ["bash", "zsh", "fish"])
    func completion(_ shell: String) async throws {
        let run = try await Memgraph.run(["--generate-completion-script", shell])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("explore"), "\(run)")
    }

    @Test("wrong usage exits 2 and says what to do")
    func usage() async throws {
        let missingUser = try await Memgraph.run(["query", "LOOKUP x"])
        #expect(missingUser.status == 2, "\(missingUser)")
        #expect(missingUser.stderr.contains("--user"), "\(missingUser)")
        let noPaths = try await Memgraph.run(["import"])
        #expect(noPaths.status == 2, "\(noPaths)")
        let unknown = try await Memgraph.run(["frobnicate"])
        #expect(unknown.status == 2, "\(unknown)")
        let interval = try await Memgraph.run(["worker", "--index-check-interval", "0.5"])
        #expect(interval.status == 2 && interval.stderr.contains("--index-check-interval"), "\(interval)")
    }

    @Test("reindex reports the index's size, rebuilds it when forced, and refuses contradictory flags")
    func reindex() async throws {
        let check = try await Memgraph.run(["reindex", "--dry-run", "--json"])
        #expect(check.status == 0, "\(check)")
        let state = try check.json()
        #expect(state["rebuilt"] == .bool(false), "\(state)")
        #expect(state["due"] == .bool(false), "\(state)")  // the test cluster holds far fewer than 50,000 vectors
        #expect((state["vectors"]?.doubleValue ?? -1) >= 0, "\(state)")
        let forced = try await Memgraph.run(["reindex", "--force", "--json"])
        #expect(forced.status == 0, "\(forced)")
        let rebuilt = try forced.json()
        #expect(rebuilt["rebuilt"] == .bool(true), "\(rebuilt)")
        #expect((rebuilt["seconds"]?.doubleValue ?? 0) > 0, "\(rebuilt)")
        let health = try await Memgraph.run(["health", "--json"])
        #expect(health.status == 0, "\(health)")
        #expect(try health.json()["search_index"]?["rebuild_due"] == .bool(false), "\(health)")
        let after = try await Memgraph.run(["reindex", "--dry-run"])
        #expect(after.status == 0 && after.stdout.contains("not due"), "\(after)")
        let contradictory = try await Memgraph.run(["reindex", "--force", "--dry-run"])
        #expect(contradictory.status == 2, "\(contradictory)")
    }

    @Test("bench store runs end to end on a small graph: LOOKUP finds every contact, exact SEARCH has full recall")
    func benchStore() async throws {
        let run = try await Memgraph.run(["bench", "store", "--nodes", "400", "--noise-users", "2", "--queries", "20", "--json"])
        #expect(run.status == 0, "\(run)")
        let figures = try run.json()
        #expect(figures["nodes"] == .number(400))
        #expect(figures["lookup"]?["count"] == .number(20))
        #expect(figures["search_with_query_embedding"]?["count"] == .number(20))
        #expect(figures["search_question_vector_after_an_embedding"]?["count"] == .number(20))
        #expect(figures["mixed"]?["search_question_vector_after_an_embedding"]?["count"] == .number(20))
        // A user this small is scanned exactly.
        #expect(figures["search_recall_at_10"] == .number(1))
        // One swapped pair of letters in a distinct name: FUZZY's ten include it nearly always.
        #expect((figures["fuzzy_hit_rate_at_10"]?.doubleValue ?? 0) >= 0.8, "\(figures)")
        #expect((figures["import_nodes_per_second"]?.doubleValue ?? 0) > 0)
        // The ef_search sweep: a row per value, each exact here too.
        guard case .array(let sweep) = figures["search_ef_search_sweep"] else {
            Issue.record("no search_ef_search_sweep in \(figures)")
            return
        }
        #expect(sweep.count == 5)
        // Far below the 50,000 vectors from which SEARCH's index is rebuilt: the inserts' graph stays.
        #expect(figures["search_index"]?["rebuilt"] == .bool(false), "\(figures)")
        #expect(figures["search_index"]?["insert_built_question_recall_at_10"] == .number(1), "\(figures)")
        for row in sweep { #expect(row["question_recall_at_10"] == .number(1), "\(row)") }

        // Without --json: a line per figure, a latency summary on one.
        let text = try await Memgraph.run(["bench", "store", "--nodes", "100", "--noise-users", "0", "--queries", "10"])
        #expect(text.status == 0, "\(text)")
        let lookup = text.stdout.split(separator: "\n").first { $0.hasPrefix("lookup ") }
        #expect(lookup?.contains("p50 ") == true && lookup?.contains("(10 samples)") == true, "\(text.stdout)")
        #expect(text.stdout.contains("search_ef_search_sweep[0]"), "\(text.stdout)")
    }
}

@Suite("memgraph config", .timeLimit(.minutes(5)))
struct ConfigCommandTests {
    @Test("config prints every setting with its source, flags over environment, and masks passwords")
    func config() async throws {
        let run = try await Memgraph.run(
            ["config", "--json", "--database-url", "postgresql://app:s3cret@db.example/mem"],
            environment: ["MEMGRAPH_SESSION_TTL": "120", "POSTGRES_DB": "envdb"])
        #expect(run.status == 0, "\(run)")
        #expect(!run.stdout.contains("s3cret"))
        guard case .object(let document)? = try? JSONValue.parse(run.stdout), case .array(let rows)? = document["settings"] else {
            Issue.record("not a settings document: \(run)"); return
        }
        var found: [String: (value: JSONValue?, source: JSONValue?)] = [:]
        for case .object(let row) in rows {
            if case .string(let name)? = row["name"] { found[name] = (row["value"], row["source"]) }
        }
        #expect(found.count == Settings.definitions.count)
        #expect(found["DATABASE_URL"]?.value == .string("postgresql://app:****@db.example/mem"))
        #expect(found["DATABASE_URL"]?.source == .string("flag"))
        #expect(found["MEMGRAPH_SESSION_TTL"]?.value == .string("120"))
        #expect(found["MEMGRAPH_SESSION_TTL"]?.source == .string("environment"))
        #expect(found["POSTGRES_POOL_SIZE"]?.source == .string("default"))
        let text = try await Memgraph.run(["config"])
        #expect(text.status == 0 && text.stdout.contains("MEMGRAPH_HOME"), "\(text)")
    }

    /// `memgraph export --user U | head -1` crashed (SIGILL, a Swift fatal error with a backtrace)
    /// when head closed the pipe: FileHandle's write of stdout. Found by a black-box probe.
    @Test("a reader that closes the pipe early ends export and explore quietly, status 0")
    func closedPipe() async throws {
        let user = freshUser("pipe")
        // More than a pipe holds (64 KiB), so that the writer meets the closed end.
        let lines = (0..<800).map { index in
            #"{"kind": "node", "key": "note-\#(index)", "context_type": "tool_output", "summary": "\#(String(repeating: "padding words ", count: 20)) \#(index)"}"#
        } + (1..<800).map { #"{"kind": "relationship", "from": "note-0", "to": "note-\#($0)", "type": "relates_to"}"# }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pipe-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        #expect(try await Memgraph.importFixtures([file.path], user: user).status == 0)
        for command in ["export --user \(user.rawValue)", "explore note-0 --user \(user.rawValue) --depth 1 --format json"] {
            let run = try await Memgraph.runProgram(
                "/bin/bash", ["-c", "\"$0\" \(command) | head -c 10 > /dev/null; echo \"status=${PIPESTATUS[0]}\"", Memgraph.binary.path])
            #expect(run.stdout.contains("status=0"), "\(command): \(run)")
            #expect(!run.stderr.contains("Fatal error"), "\(command): \(run)")
        }
    }
}
