import Foundation
import Logging
import MCP
import MemoryGraph
import Operations

/// The MCP tools, bound to one user: the user comes from `--user` (stdio) or the credential (HTTP),
/// never from a tool argument. Each call is one ``MemoryService`` operation; its error comes back as
/// a tool error with the CLI's message.
struct MCPTools: Sendable {
    let service: MemoryService
    let user: UserID
    /// Each call's deadline (`MEMGRAPH_REQUEST_TIMEOUT`), past which it is cancelled and answered
    /// with a tool error; nil where the transport has one already (HTTP's middleware).
    var timeout: Duration? = nil

    static let serverName = "memgraph"

    /// A server with the tools registered, ready for a transport.
    func makeServer() async -> Server {
        let server = Server(
            name: Self.serverName, version: "1.0",
            instructions: """
                Long-term memory for this user. Call recall with the user's question before answering \
                from memory; call remember for facts worth keeping (a memory is searchable when remember returns).
                """,
            capabilities: .init(tools: .init(listChanged: false)))
        let tools = self
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: Self.definitions) }
        await server.withMethodHandler(CallTool.self) { params in
            await tools.call(params.name, arguments: params.arguments ?? [:])
        }
        return server
    }

    func call(_ name: String, arguments: [String: Value]) async -> CallTool.Result {
        do {
            let fields = Fields(object: try Self.object(arguments), path: "$")
            let result = if let timeout {
                try await withRequestDeadline(timeout) { try await run(name, fields) }
            } else {
                try await run(name, fields)
            }
            return CallTool.Result(
                content: [.text(text: Documents.line(result), annotations: nil, _meta: nil)],
                structuredContent: Optional<Value>.some(Self.value(result)), isError: false)
        } catch {
            var failure = Failure(error)
            // A tool's arguments are one memory, not a fixture file: name the argument only.
            if let problems = error as? FixtureProblems { failure.message = Failure.itemized(problems) }
            service.logger.debug("mcp tool failed", metadata: ["tool": "\(name)", "status": "\(failure.status)"])
            return CallTool.Result(content: [.text(text: failure.message, annotations: nil, _meta: nil)], isError: true)
        }
    }

    func run(_ name: String, _ fields: Fields) async throws -> JSONValue {
        switch name {
        case "remember":
            try fields.rejectUnknown(["summary", "context_type", "key", "content", "tags", "metadata", "wait"])
            _ = try fields.requiredString("summary")
            var node = fields.object
            node["wait"] = nil
            let wait = try fields.bool("wait") ?? true
            let nodes = try MemoryInput.nodes(.object(node), defaultContextType: .conversationFact)
            let results = try await service.remember(user, nodes, wait: wait ? .embedded : .stored)
            guard case .array(let memories)? = Documents.remembered(results, nodes: nodes, wait: wait ? .embedded : .stored)
                .objectValue?["memories"], let first = memories.first else { return .null }
            return first
        case "recall", "search":
            try fields.rejectUnknown(["query", "limit", "context_types"])
            // Checked here, so that an error names the tool's argument, not the query body's "text".
            guard try !fields.requiredString("query").isEmpty else { throw Failure.invalidInput("$.query: must not be empty", path: "$.query") }
            var structured = fields.object
            structured["text"] = structured.removeValue(forKey: "query")
            structured["verb"] = .string(name)
            let request = try QueryRequest(json: .object(structured))
            return try await service.run(request.query, for: user).json()
        case "lookup":
            try fields.rejectUnknown(["key"])
            return Documents.fullJSON(try await service.node(user, .init(try fields.requiredString("key"))))
        case "relate":
            return try await service.relate(user, try RelateRequest(fields, allowed: ["from", "to", "type", "strength"])).document
        case "forget":
            try fields.rejectUnknown(["key", "hard"])
            let hard = try fields.bool("hard") ?? false
            return Documents.forgotten(try await service.forget(user, .init(try fields.requiredString("key")), hard: hard), hard: hard)
        case "explore":
            try fields.rejectUnknown(["key", "depth"])
            let depth = try fields.integer("depth", in: 1...RemQuery.depthRange.upperBound) ?? 1
            return try await service.explore(user, .init(try fields.requiredString("key")), depth: depth).json
        default:
            throw Failure.invalidInput("unknown tool \(JSONValue.string(name).jsonText()); the tools are \(Self.definitions.map(\.name).joined(separator: ", "))")
        }
    }

    /// A message both transports answer before the SDK sees it: its JSON-RPC error (and the HTTP
    /// status to send it with), or nil for a message the SDK should handle.
    /// - A request or notification that JSON-RPC 2.0 and MCP call invalid: an `id` that is not a
    ///   string or an integer (an object, an array, null or 1.5: the SDK answered none of them, and
    ///   an HTTP client waited out the deadline), a `jsonrpc` other than "2.0" (the SDK called it a
    ///   parse error), a `method` that is not a string. -32600, with a null id when the id is the
    ///   problem; HTTP 400, as the SDK sends a parse error.
    /// - A `tools/call` whose params are not `{"name": string, "arguments": object}`. The SDK decodes
    ///   the params before a tool runs and answered it with -32603, an internal error with
    ///   Foundation's text. -32602, invalid params; HTTP 200, as other tool call answers.
    /// Any other message that is not a JSON object (text that does not parse) is the SDK's.
    /// With `acceptsBatches` false (the stateless HTTP transport answers one message a POST and
    /// called a batch a parse error), a batch is -32600 too.
    static func refusal(_ parsed: JSONValue?, acceptsBatches: Bool) -> (answer: Data, httpStatus: Int)? {
        func answer(_ id: JSONValue, _ code: Int, _ text: String, status: Int) -> (Data, Int) {
            (errorAnswer(id: id, code: code, message: text), status)
        }
        if !acceptsBatches, case .array? = parsed {
            return answer(.null, -32600, "Invalid Request: JSON-RPC batches are not accepted here; send one message per POST", status: 400)
        }
        guard case .object(let message)? = parsed, message["method"] != nil else { return nil }
        let id = message["id"]
        let validID: Bool = switch id {
        case nil, .string?: true
        case .number(let number)?: number == number.rounded() && number.magnitude <= JSONValue.largestSafeInteger
        default: false
        }
        guard validID else {
            return answer(.null, -32600, "Invalid Request: id must be a string or an integer", status: 400)
        }
        guard message["jsonrpc"] == "2.0" else {
            return answer(id ?? .null, -32600, #"Invalid Request: jsonrpc must be "2.0""#, status: 400)
        }
        guard case .string(let method)? = message["method"] else {
            return answer(id ?? .null, -32600, "Invalid Request: method must be a string", status: 400)
        }
        guard method == "tools/call", let id else { return nil }
        let problem: String? = switch message["params"] {
        case .object(let params)?:
            if params["name"]?.stringValue == nil {
                "params.name must be the tool's name, a string"
            } else if let arguments = params["arguments"], arguments != .null, arguments.objectValue == nil {
                "params.arguments must be an object of the tool's arguments"
            } else {
                nil
            }
        default: "params must be an object with the tool's name and arguments"
        }
        guard let problem else { return nil }
        return answer(id, -32602, "Invalid params: \(problem)", status: 200)
    }

    /// A JSON-RPC error answer, one line of JSON.
    static func errorAnswer(id: JSONValue, code: Int, message: String) -> Data {
        let answer: JSONValue = ["jsonrpc": "2.0", "id": id, "error": ["code": .number(Double(code)), "message": .string(message)]]
        return Data(Documents.line(answer).utf8)
    }

    // MARK: - Definitions

    static let contextTypes: Value = .array(ContextType.allCases.filter { $0 != .temporaryState }.map { .string($0.rawValue) })
    static let relationshipTypes: Value = .array(RelationshipType.allCases.map { .string($0.rawValue) })

    static let resultNode: Value = [
        "type": "object",
        "properties": [
            "node_id": ["type": ["string", "null"]], "key": ["type": ["string", "null"]], "context_type": ["type": "string"],
            "summary": ["type": ["string", "null"]], "score": ["type": "number"],
        ],
    ]
    static let queryOutput: Value = [
        "type": "object",
        "properties": ["query": ["type": "string"], "results": ["type": "array", "items": resultNode]],
        "required": ["query", "results"],
    ]

    static let definitions: [Tool] = [
        Tool(
            name: "remember",
            description: "Store a memory for this user. It is searchable when the call returns (wait: false returns sooner and embeds it in the background). An entity (content with entity_system and entity_id) merges into the user's node for it; a key upserts.",
            inputSchema: [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "summary": ["type": "string", "description": "The memory as a sentence a person would write; it is what recall and search match."],
                    "context_type": ["type": "string", "enum": contextTypes, "default": "conversation_fact"],
                    "key": ["type": "string", "description": "A natural key to look it up by, such as sarah-chen."],
                    "content": ["type": "object", "description": "Free JSON; entity_system, entity_id, entity_type, entity_name, entity_data for an entity."],
                    "tags": ["type": "array", "items": ["type": "string"]],
                    "metadata": ["type": "object"],
                    "wait": ["type": "boolean", "default": true, "description": "Return once the memory is embedded (searchable)."],
                ],
                "required": ["summary"],
            ],
            outputSchema: [
                "type": "object",
                "properties": ["node_id": ["type": "string"], "inserted": ["type": "boolean"], "key": ["type": ["string", "null"]]],
                "required": ["node_id", "inserted"],
            ]),
        Tool(
            name: "recall",
            description: "The best answer memgraph can give for natural text: meaning, words, names and the graph fused. Use it before answering from memory.",
            inputSchema: [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "query": ["type": "string", "description": "The question or topic, in plain words."],
                    "limit": ["type": "integer", "minimum": 1, "maximum": 1000, "default": 10],
                    "context_types": ["type": "array", "items": ["type": "string", "enum": contextTypes]],
                ],
                "required": ["query"],
            ],
            outputSchema: queryOutput),
        Tool(
            name: "search",
            description: "Memories near in meaning only (vector search). recall is usually better; search suits paraphrases with no shared words.",
            inputSchema: [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "query": ["type": "string"],
                    "limit": ["type": "integer", "minimum": 1, "maximum": 1000, "default": 10],
                    "context_types": ["type": "array", "items": ["type": "string", "enum": contextTypes]],
                ],
                "required": ["query"],
            ],
            outputSchema: queryOutput),
        Tool(
            name: "lookup",
            description: "The memory under an exact key (such as sarah-chen), with its content, tags and metadata.",
            inputSchema: ["type": "object", "additionalProperties": false, "properties": ["key": ["type": "string"]], "required": ["key"]],
            outputSchema: ["type": "object", "properties": ["node_id": ["type": "string"], "summary": ["type": ["string", "null"]]]]),
        Tool(
            name: "relate",
            description: "Link two memories by their keys with a typed relationship (again: updates its strength).",
            inputSchema: [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "from": ["type": "string"], "to": ["type": "string"], "type": ["type": "string", "enum": relationshipTypes],
                    "strength": ["type": "number", "minimum": 0, "maximum": 1, "default": 1],
                ],
                "required": ["from", "to", "type"],
            ],
            outputSchema: ["type": "object", "properties": ["inserted": ["type": "boolean"], "type": ["type": "string"]]]),
        Tool(
            name: "forget",
            description: "Remove a memory by key: hidden from every read, or deleted for good with hard: true.",
            inputSchema: [
                "type": "object", "additionalProperties": false,
                "properties": ["key": ["type": "string"], "hard": ["type": "boolean", "default": false]],
                "required": ["key"],
            ],
            outputSchema: ["type": "object", "properties": ["removed": ["type": "boolean"], "node_id": ["type": "string"]]]),
        Tool(
            name: "explore",
            description: "The memories linked to one, up to depth relationships away, with the relationships.",
            inputSchema: [
                "type": "object", "additionalProperties": false,
                "properties": ["key": ["type": "string"], "depth": ["type": "integer", "minimum": 1, "maximum": 10, "default": 1]],
                "required": ["key"],
            ],
            outputSchema: ["type": "object", "properties": ["nodes": ["type": "array"], "edges": ["type": "array"]]]),
    ]

    // MARK: - Values

    /// MCP's JSON as memgraph's.
    static func json(_ value: Value) throws -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let bool): return .bool(bool)
        case .int(let int):
            guard let number = Double(exactly: int), abs(number) <= JSONValue.largestSafeInteger else {
                throw Failure.invalidInput("\(int): \(JSONValue.unsafeIntegerAdvice)")
            }
            return .number(number)
        case .double(let double): return .number(double)
        case .string(let string): return .string(string)
        case .data: throw Failure.invalidInput("binary data is not accepted; send text")
        case .array(let array): return .array(try array.map(json))
        case .object(let object): return .object(try object.mapValues(json))
        }
    }

    static func object(_ arguments: [String: Value]) throws -> [String: JSONValue] {
        try arguments.mapValues(json)
    }

    /// memgraph's JSON as MCP's.
    static func value(_ json: JSONValue) -> Value {
        switch json {
        case .null: return .null
        case .bool(let bool): return .bool(bool)
        case .number(let number):
            if number == number.rounded(), abs(number) <= JSONValue.largestSafeInteger { return .int(Int(number)) }
            return .double(number)
        case .string(let string): return .string(string)
        case .array(let array): return .array(array.map(value))
        case .object(let object): return .object(object.mapValues(value))
        }
    }
}
