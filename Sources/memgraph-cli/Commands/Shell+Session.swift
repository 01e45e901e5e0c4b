import Foundation
import MemoryGraph
import Operations
import Repositories

/// The state of one `memgraph shell`: the current node, the nodes visited before it, the last
/// table's rows and the session's history. Results go to stdout; prompts, notes and errors to stderr.
struct ShellSession {
    let service: MemoryService
    let user: UserID
    let interactive: Bool

    private var current: MemoryNode?
    private var visited: [MemoryNode] = []
    private var lastRows: [MemoryNode] = []
    private var history: [String] = []

    init(service: MemoryService, user: UserID, interactive: Bool) {
        self.service = service
        self.user = user
        self.interactive = interactive
    }

    static let help = """
        LOOKUP <key>                                   the node under a key
        FUZZY <text> [THRESHOLD t] [LIMIT n]           similar spelling
        SEARCH <text> [IN types] [MIN m] [LIMIT n]     similar meaning
        RECALL <text> [IN types] [MIN m] [LIMIT n] [SINCE t] [UNTIL t]
                                                       the best answer: meaning, words, names, graph
        any other text         RECALL of that text ("who runs engineering at Acme?")
        TRAVERSE <key> [DEPTH d] [TYPE types] [DIRECTION out|in|both]
        open KEY | open #N     make a node current (#N: row N of the last table)
        neighbours [out|in|both]   the current node's neighbours (also: neighbors)
        back                   the node that was current before
        history                this session's commands; !! runs the last again, !N the Nth
        help                   this list
        quit                   leave (end of input too)
        """

    /// Reads and runs lines until `quit` or the end of input.
    /// - Returns: how many commands failed, and how many were run.
    mutating func run() async -> (failed: Int, total: Int) {
        if interactive {
            CLI.note("memgraph shell for user \(user): REM queries, open KEY, neighbours, back, history, help, quit")
        }
        var failed = 0, total = 0
        while true {
            if interactive { prompt() }
            guard let raw = readLine(strippingNewline: true) else {
                if interactive { CLI.note("") }
                break
            }
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("!") {
                guard let recalled = recall(line) else {
                    CLI.note("error: \(line): no such command in this session's history; type history")
                    failed += 1
                    total += 1
                    continue
                }
                line = recalled
                if interactive { CLI.note(line) }
            }
            let words = line.split(separator: " ", maxSplits: 1).map(String.init)
            let command = words[0].lowercased()
            if command == "quit" || command == "exit" { break }
            if command != "history" { history.append(line) }
            total += 1
            do {
                try await execute(command, argument: words.count > 1 ? words[1].trimmingCharacters(in: .whitespaces) : "", line: line)
            } catch {
                failed += 1
                CLI.note("error: \(error)")
            }
        }
        return (failed, total)
    }

    private func prompt() {
        let name = current.map { ":" + Documents.label($0) } ?? ""
        FileHandle.standardError.write(Data("memgraph\(name)> ".utf8))
    }

    /// `!!` (the last command) or `!N` (the Nth of `history`).
    private func recall(_ line: String) -> String? {
        if line == "!!" { return history.last }
        guard let number = Int(line.dropFirst()), history.indices.contains(number - 1) else { return nil }
        return history[number - 1]
    }

    private mutating func execute(_ command: String, argument: String, line: String) async throws {
        switch command {
        case "help", "?":
            print(Self.help)
        case "history":
            for (index, entry) in history.enumerated() { print("\(String(index + 1).padding(toLength: 4, withPad: " ", startingAt: 0))\(entry)") }
        case "open":
            try await open(argument)
        case "neighbours", "neighbors":
            try await neighbours(argument)
        case "back":
            guard let previous = visited.popLast() else { throw ShellError("there is no node to go back to") }
            current = previous
            show(previous)
        case "lookup", "fuzzy", "search", "recall", "traverse":
            try await query(line)
        default:
            // Plain text is a question: RECALL it, the query an agent should use by default.
            try await run(.recall(RecallQuery(text: line)))
        }
    }

    private mutating func query(_ line: String) async throws {
        let parsed: RemQuery
        do throws(RemSyntaxError) {
            parsed = try RemParser.parse(line)
        } catch {
            // Point at the column under the line as typed.
            CLI.note("  " + line + "\n  " + String(repeating: " ", count: max(0, error.column - 1)) + "^")
            throw ShellError(error.description)
        }
        try await run(parsed)
    }

    private mutating func run(_ parsed: RemQuery) async throws {
        let result = try await service.run(parsed, for: user)
        lastRows = result.rows.map(\.node)
        if let note = result.emptyNote { CLI.note(note) } else { print(numbered(result.text())) }
        if let note = result.truncatedNote { CLI.note(note) }
    }

    private mutating func open(_ argument: String) async throws {
        guard !argument.isEmpty else { throw ShellError("open needs a key, or #N for row N of the last table") }
        let node: MemoryNode
        if argument.hasPrefix("#"), let row = Int(argument.dropFirst()) {
            guard lastRows.indices.contains(row - 1) else {
                throw ShellError("the last table has \(lastRows.count) row\(lastRows.count == 1 ? "" : "s"); there is no #\(row)")
            }
            node = lastRows[row - 1]
        } else {
            node = try await service.node(user, .key(argument))
        }
        if let current, current.id != node.id { visited.append(current) }
        current = node
        show(node)
    }

    private mutating func neighbours(_ argument: String) async throws {
        guard let current else { throw ShellError("no node is open; open KEY first") }
        let direction: Direction
        if argument.isEmpty {
            direction = .both
        } else if let given = Direction(rawValue: argument.lowercased()) {
            direction = given
        } else {
            throw ShellError("neighbours takes out, in or both")
        }
        let found = try await service.store.neighbours(user, of: current.id!, direction: direction)
        lastRows = found.map(\.node)
        guard !found.isEmpty else {
            CLI.note("\(Documents.label(current)) has no neighbours")
            return
        }
        var table = TextTable(header: ["#", "EDGE", "STRENGTH", "KEY", "CONTEXT TYPE", "SUMMARY"])
        for (index, (edge, node)) in found.enumerated() {
            let arrow = edge.from == current.id ? "-> \(edge.type.rawValue)" : "<- \(edge.type.rawValue)"
            table.rows.append([
                "#\(index + 1)", arrow, Documents.decimal(edge.strength), Documents.label(node), node.contextType.rawValue,
                Documents.shortened(node.summary, to: 60),
            ])
        }
        print(table.description)
    }

    private func show(_ node: MemoryNode) {
        print("\(Documents.label(node)) [\(node.contextType.rawValue)]\n  \(node.summary ?? "")")
    }

    /// A result table with `#N` before each row, so that `open #N` can name it.
    private func numbered(_ text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        guard !lines.isEmpty else { return text }
        let rows = lastRows.count
        let width = String(rows).count + 1
        for index in lines.indices {
            let tag: String
            if index == 0 { tag = "#" } else if index <= rows { tag = "#\(index)" } else { tag = "" }
            lines[index] = tag.isEmpty && index > rows ? lines[index] : tag.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + lines[index]
        }
        return lines.joined(separator: "\n")
    }
}

/// A shell command that cannot run; its text is the whole message.
struct ShellError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
