import Foundation
import MemoryGraph

extension RecallBenchmark {
    /// Reads a dataset file (see ``Conversation``). Each conversation's `nodes` and `relationships`
    /// are read as a fixture document, with the fixture format's checks.
    /// - Throws: `MemoryGraphError` (`.invalidInput`) naming the file and the JSON path of the first problem.
    public static func load(_ url: URL) throws -> [Conversation] {
        let name = url.lastPathComponent
        func problem(_ path: String, _ message: String) -> MemoryGraphError {
            .invalidInput("\(name): \(path): \(message)")
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MemoryGraphError.invalidInput("cannot read the dataset \(url.path)")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes: Array(data))
        } catch {
            throw MemoryGraphError.invalidInput("\(name) is not JSON: \(error)")
        }
        guard case .object(let root) = document, case .array(let items)? = root["conversations"], !items.isEmpty else {
            throw problem("$", "expected an object with a non-empty \"conversations\" array")
        }
        var seen = Set<String>()
        return try items.enumerated().map { index, item in
            let path = "$.conversations[\(index)]"
            guard case .object(let fields) = item, case .string(let id)? = fields["id"], !id.isEmpty else {
                throw problem(path, "expected an object with a non-empty string \"id\"")
            }
            guard id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }), seen.insert(id).inserted else {
                throw problem(path + ".id", "ids are unique and made of letters, digits, - and _")
            }
            var fixture: [String: JSONValue] = ["nodes": fields["nodes"] ?? .array([])]
            if let relationships = fields["relationships"] { fixture["relationships"] = relationships }
            let graph = try FixtureLoader.load(
                data: Data(JSONValue.object(fixture).compactJSON().utf8), name: "\(name) \(path)", format: .json)
            let keys = Set(graph.nodes.compactMap(\.node.key))
            guard case .array(let asked)? = fields["questions"], !asked.isEmpty else {
                throw problem(path + ".questions", "expected a non-empty array")
            }
            let questions = try asked.enumerated().map { number, entry -> Question in
                let at = "\(path).questions[\(number)]"
                guard case .object(let question) = entry, case .string(let text)? = question["question"],
                    !text.allSatisfy(\.isWhitespace)
                else {
                    throw problem(at, "expected an object with a non-empty string \"question\"")
                }
                guard case .array(let evidence)? = question["evidence"], !evidence.isEmpty else {
                    throw problem(at + ".evidence", "expected a non-empty array of node keys")
                }
                let evidenceKeys = try evidence.enumerated().map { position, key -> String in
                    guard case .string(let key) = key, keys.contains(key) else {
                        throw problem("\(at).evidence[\(position)]", "not the key of a node of this conversation")
                    }
                    return key
                }
                var category = "uncategorised"
                if case .string(let value)? = question["category"] { category = value }
                return Question(text: text, evidence: Set(evidenceKeys), category: category)
            }
            return Conversation(id: id, graph: graph, questions: questions)
        }
    }
}
