import Foundation
import MemoryGraph

/// Memories and fixtures as front-ends receive them, validated by the fixture rules
/// (docs/fixtures.md), every problem naming its JSON path.
public enum MemoryInput {
    /// The nodes of a remember body: one fixture node object, an array of them, or
    /// `{"memories": [...]}`. `defaultContextType` fills a missing `context_type` (MCP's remember
    /// defaults to `conversation_fact`).
    /// - Throws: `Failure` (400, `invalid_fixture` with the JSON path of the first problem).
    public static func nodes(_ body: JSONValue, defaultContextType: ContextType? = nil) throws -> [MemoryNode] {
        let items: [JSONValue]
        let prefix: (Int) -> String
        switch body {
        case .array(let array):
            items = array
            prefix = { "$[\($0)]" }
        case .object(let object) where object["memories"] != nil:
            guard case .array(let array) = object["memories"]!, object.count == 1 else {
                throw Failure.invalidInput("expected {\"memories\": [node, …]} and nothing else", path: "$.memories")
            }
            items = array
            prefix = { "$.memories[\($0)]" }
        case .object:
            items = [body]
            prefix = { _ in "$" }
        default:
            throw Failure.invalidInput("expected a memory (a fixture node object), an array of them, or {\"memories\": [...]}", path: "$")
        }
        guard !items.isEmpty else { throw Failure.invalidInput("nothing to remember: the list is empty", path: "$") }
        guard items.count <= maximumBatch else {
            throw Failure.invalidInput("at most \(maximumBatch) memories a request; this one has \(items.count)", path: "$")
        }
        let filled = items.map { item -> JSONValue in
            guard let defaultContextType, case .object(var object) = item, object["context_type"] == nil else { return item }
            object["context_type"] = .string(defaultContextType.rawValue)
            return .object(object)
        }
        let graph = try fixture(.object(["nodes": .array(filled)]), name: "body") { path in
            // `$.nodes[3].summary` in the wrapper is `$[3].summary` (or `$.summary`) in the body as sent.
            guard path.hasPrefix("$.nodes[") , let close = path.firstIndex(of: "]"),
                  let index = Int(path[path.index(path.startIndex, offsetBy: 8)..<close]) else { return path }
            return prefix(index) + path[path.index(after: close)...]
        }
        return graph.nodes.map(\.node)
    }

    /// The JSON path of the first string or member name holding a NUL character, or nil.
    static func pathOfNUL(_ value: JSONValue, at path: String) -> String? {
        switch value {
        case .string(let string): return string.utf8.contains(0) ? path : nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = pathOfNUL(item, at: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let members):
            for name in members.keys.sorted() {
                if name.utf8.contains(0) { return path }
                if let found = pathOfNUL(members[name]!, at: "\(path).\(name)") { return found }
            }
            return nil
        case .null, .bool, .number: return nil
        }
    }

    /// The most memories one remember request may carry (an import takes more).
    public static let maximumBatch = 10_000

    /// A fixture document (`.json` graph) or stream (`.jsonl`) held in memory, validated.
    /// - Throws: `Failure` (400, `invalid_fixture`) listing the problems; the path names the first.
    public static func fixture(_ data: Data, name: String, format: FixtureLoader.Format) throws -> FixtureSet {
        let (set, problems) = FixtureLoader.validate(data: data, name: name, format: format)
        guard problems.isEmpty else { throw FixtureProblems(problems) }
        return set
    }

    static func fixture(_ document: JSONValue, name: String, path rewrite: (String) -> String) throws -> FixtureSet {
        // A value that came as JSON already (MCP's arguments) is written out and read again by the
        // fixture reader; a NUL is found here first, so that the problem names its path, not a
        // column of the text made here.
        if let path = Self.pathOfNUL(document, at: "$") {
            let sent = rewrite(path)
            throw Failure.invalidInput("\(sent): \\u0000 cannot be stored (Postgres text and jsonb refuse NUL)", path: sent)
        }
        let data = Data(Documents.line(document).utf8)
        let (set, problems) = FixtureLoader.validate(data: data, name: name, format: .json)
        guard problems.isEmpty else {
            throw FixtureProblems(problems.map { problem in
                var problem = problem
                problem.location.path = problem.location.path.map(rewrite)
                return problem
            })
        }
        return set
    }
}
