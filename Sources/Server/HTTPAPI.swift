import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MemoryGraph
import NIOCore
import Operations
import Sessions

/// The HTTP/JSON API of `memgraph serve` (docs/api.md; the contract is `Sources/Server/openapi.yaml`,
/// served at `/openapi.yaml`). Every route translates: request in, one ``MemoryService`` call,
/// ``Documents`` out. Errors are ``Failure``s, answered by ``FailureMiddleware``.
public struct HTTPAPI: Sendable {
    public let service: MemoryService
    public let credentials: Credentials
    public let limits: Limits
    /// Answers `/metrics`; nil leaves the route out.
    public let metrics: (@Sendable () -> String)?
    let mcp: MCPHTTPEndpoint

    /// Bounds on what one request may ask.
    public struct Limits: Sendable {
        /// The largest body read; larger gets 413.
        public var bodyBytes: Int
        /// How long a request may take; longer gets 503.
        public var timeout: Duration

        public init(bodyBytes: Int = 16 << 20, timeout: Duration = .seconds(30)) {
            self.bodyBytes = bodyBytes
            self.timeout = timeout
        }

        /// From `MEMGRAPH_MAX_BODY_BYTES` and `MEMGRAPH_REQUEST_TIMEOUT`.
        /// - Throws: `MemoryGraphError` (`.invalidInput`) for a value that is not a positive number.
        public init(settings: Settings) throws {
            guard let bytes = settings["MEMGRAPH_MAX_BODY_BYTES"].flatMap(Int.init), bytes > 0 else {
                throw MemoryGraphError.invalidInput("MEMGRAPH_MAX_BODY_BYTES must be a positive number of bytes")
            }
            guard let seconds = settings["MEMGRAPH_REQUEST_TIMEOUT"].flatMap(Double.init), seconds > 0 else {
                throw MemoryGraphError.invalidInput("MEMGRAPH_REQUEST_TIMEOUT must be a positive number of seconds")
            }
            self.init(bodyBytes: bytes, timeout: .milliseconds(Int64(seconds * 1000)))
        }
    }

    public init(service: MemoryService, credentials: Credentials, limits: Limits, metrics: (@Sendable () -> String)?) {
        self.service = service
        self.credentials = credentials
        self.limits = limits
        self.metrics = metrics
        self.mcp = MCPHTTPEndpoint(service: service)
    }

    /// The routes, behind the metrics, failure, deadline and authentication middleware.
    public func router() -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        // Metrics outside the failure middleware: it counts the status the client got (a thrown 404
        // is a 404 there, not the 500 it records for any error it sees thrown).
        router.add(middleware: MetricsMiddleware<ServerContext>())
        let routes = RouteMethods()
        router.add(middleware: FailureMiddleware(bodyLimit: limits.bodyBytes, routes: routes))
        router.add(middleware: DeadlineMiddleware(timeout: limits.timeout))
        router.add(middleware: AuthenticationMiddleware(credentials: credentials))

        router.get("healthz") { _, _ in Self.json(.ok, ["status": "ok"]) }
        router.get("readyz") { _, _ in try await readiness() }
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: Self.openAPIDocument)))
        }
        if let metrics {
            router.get("metrics") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(string: metrics())))
            }
        }

        let user = router.group("v1/users/:user")
        user.delete { request, context in try await erase(request, context) }
        user.post("memories") { request, context in try await remember(request, context) }
        user.get("memories/:node") { request, context in
            try Self.allow(request, [])
            let (user, reference) = (try authorized(context), try nodeReference(context))
            return Self.json(.ok, Documents.fullJSON(try await service.node(user, reference)))
        }
        user.delete("memories/:node") { request, context in
            try Self.allow(request, ["hard"])
            let (user, reference) = (try authorized(context), try nodeReference(context))
            let hard = try Self.flag(request, "hard")
            return Self.json(.ok, Documents.forgotten(try await service.forget(user, reference, hard: hard), hard: hard))
        }
        user.post("query") { request, context in try await query(request, context) }
        user.post("relationships") { request, context in try await relate(request, context) }
        user.get("graph") { request, context in try await graph(request, context) }
        user.get("path") { request, context in try await path(request, context) }
        user.post("import") { request, context in try await importFixture(request, context) }
        user.get("export") { request, context in try await export(request, context) }
        user.get("stats") { request, context in
            try Self.allow(request, [])
            let user = try authorized(context)
            try await requireExisting(user)
            let (stats, jobs) = try await service.stats(user)
            return Self.json(.ok, Documents.stats(user, stats, jobs: jobs))
        }
        addSessionRoutes(user.group("sessions"))

        // MCP over streamable HTTP: the user comes from the credential (a user token or user key),
        // or, for a service key, from the path.
        for method in [HTTPRequest.Method.post, .get, .delete] {
            router.on("mcp", method: method) { request, context in
                guard let user = context.principal?.user else {
                    throw Failure(
                        status: 403, code: "forbidden",
                        message: "/mcp acts for the credential's user: use a user token or a user key, or /v1/users/{user}/mcp with a service key")
                }
                return try await mcp.respond(to: request, user: user, limit: limits.bodyBytes)
            }
            user.on("mcp", method: method) { request, context in
                try await mcp.respond(to: request, user: try authorized(context), limit: limits.bodyBytes)
            }
        }
        routes.fill(router.routes.map { (path: $0.path.description, method: $0.method.rawValue) })
        return router
    }

    // MARK: - Routes

    /// How long `/readyz` waits for the database.
    static let readinessTimeout: Duration = .seconds(3)

    func readiness() async throws -> Response {
        var checks: [String: JSONValue] = [:]
        var ready = true
        do {
            // A probe answers soon: the database's answer, or not ready (a pool waiting for a
            // database that is down held it for the whole request deadline).
            let state = try await withRequestDeadline(Self.readinessTimeout) { try await service.readiness() }
            checks["database"] = "reachable"
            checks["schema"] = state.schemaCurrent ? "current" : .string("version \(state.schemaVersion); run memgraph migrate")
            ready = ready && state.schemaCurrent
        } catch let failure as Failure where failure.code == "deadline" {
            checks["database"] = .string("no answer within \(Int(Self.readinessTimeout.seconds)) s")
            ready = false
        } catch {
            checks["database"] = .string(Failure(error).message)
            ready = false
        }
        do {
            _ = try service.embedder()
            checks["model"] = "loaded"
        } catch {
            checks["model"] = .string(Failure(error).message)
            ready = false
        }
        checks["status"] = ready ? "ready" : "not ready"
        return Self.json(ready ? .ok : .serviceUnavailable, .object(checks))
    }

    func remember(_ request: Request, _ context: ServerContext) async throws -> Response {
        try Self.allow(request, ["wait"])
        let user = try authorized(context)
        let wait = try Self.wait(request)
        let nodes = try MemoryInput.nodes(try await body(request))
        let results = try await service.remember(user, nodes, wait: wait)
        return Self.json(.created, Documents.remembered(results, nodes: nodes, wait: wait))
    }

    func query(_ request: Request, _ context: ServerContext) async throws -> Response {
        try Self.allow(request, [])
        let user = try authorized(context)
        let query = try QueryRequest(json: try await body(request))
        let result = try await service.run(query.query, for: user)
        if result.rows.isEmpty { try await requireExisting(user) }
        return Self.json(.ok, result.json(explain: query.explain))
    }

    func relate(_ request: Request, _ context: ServerContext) async throws -> Response {
        try Self.allow(request, [])
        let user = try authorized(context)
        guard case .object(let object) = try await body(request) else {
            throw Failure.invalidInput("expected {\"from\", \"to\", \"type\", \"strength\", \"metadata\"}", path: "$")
        }
        let related = try await service.relate(user, try RelateRequest(Fields(object: object, path: "$")))
        return Self.json(related.inserted ? .created : .ok, related.document)
    }

    func graph(_ request: Request, _ context: ServerContext) async throws -> Response {
        try Self.allow(request, ["root", "depth", "format"])
        let user = try authorized(context)
        let query = request.uri.queryParameters
        guard let root = query.get("root"), !root.isEmpty else {
            throw Failure.invalidInput("give the root node: ?root=KEY (or a node id)", path: "root")
        }
        let depth = try Self.integer(request, "depth", in: RemQuery.depthRange) ?? RemQuery.defaultDepth
        let format = query.get("format") ?? "json"
        guard ["json", "dot", "mermaid"].contains(format) else {  // before the traversal, not after it
            throw Failure.invalidInput("format is json, dot or mermaid, not \(JSONValue.string(format).jsonText())", path: "format")
        }
        let graph = try await service.explore(user, .init(root), depth: depth)
        switch format {
        case "dot": return Self.text(graph.dot, type: "text/vnd.graphviz")
        case "mermaid": return Self.text(graph.mermaid, type: "text/plain")
        default: return Self.json(.ok, graph.json)
        }
    }

    func path(_ request: Request, _ context: ServerContext) async throws -> Response {
        try Self.allow(request, ["from", "to", "max_depth", "direction", "type"])
        let user = try authorized(context)
        let query = request.uri.queryParameters
        guard let from = query.get("from") else { throw Failure.invalidInput("give both ends: ?from=KEY&to=KEY", path: "from") }
        guard let to = query.get("to") else { throw Failure.invalidInput("give both ends: ?from=KEY&to=KEY", path: "to") }
        let direction = try query.get("direction").map { name in
            guard let direction = Direction(rawValue: name.lowercased()) else {  // as REM's OUT, IN, BOTH
                throw Failure.invalidInput("direction is out, in or both", path: "direction")
            }
            return direction
        }
        // ?type= as the CLI's --type: repeated, or names separated by commas.
        let typeNames = query.getAll("type").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let types = try typeNames.map { name in
            guard let type = RelationshipType(rawValue: String(name).trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw Failure.invalidInput(
                    "unknown relationship type \(JSONValue.string(String(name)).jsonText()) (expected one of: \(RelationshipType.allCases.map(\.rawValue).joined(separator: ", ")))",
                    path: "type")
            }
            return type
        }
        let path = try await service.path(
            user, from: .init(from), to: .init(to), maxDepth: try Self.integer(request, "max_depth", in: 1...MemoryService.maximumPathDepth) ?? 6,
            types: Set(types), direction: direction ?? .both)
        return Self.json(.ok, Documents.path(path))
    }

    func importFixture(_ request: Request, _ context: ServerContext) async throws -> Response {
        try Self.allow(request, ["dry_run", "wait", "format"])
        let user = try authorized(context)
        let dryRun = try Self.flag(request, "dry_run")
        let wait = try Self.wait(request) == .embedded
        let data = try await bodyData(request)
        let type = request.headers[.contentType] ?? ""
        let format: FixtureLoader.Format
        let requested: String? = request.uri.queryParameters.get("format").map { String($0) }
        switch requested {
        case "jsonl"?: format = .jsonl
        case "json"?: format = .json
        case nil: format = type.contains("ndjson") || type.contains("jsonl") ? .jsonl : .json
        case let other?: throw Failure.invalidInput("?format= takes json or jsonl, not \(JSONValue.string(other).jsonText())", path: "format")
        }
        let graph = try MemoryInput.fixture(data, name: "body", format: format)
        // The path's user wins over the body's user_id, as --user does on the command line.
        let report = try await service.importGraph(user, graph, dryRun: dryRun, wait: wait)
        return Self.json(dryRun ? .ok : .created, Documents.imported(report, files: []))
    }

    func export(_ request: Request, _ context: ServerContext) async throws -> Response {
        try Self.allow(request, [])
        let user = try authorized(context)
        try await requireExisting(user)
        let service = service
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                try await service.export(user) { line in
                    try Task.checkCancellation()
                    try await writer.write(ByteBuffer(string: line + "\n"))
                }
                try await writer.finish(nil)
            })
    }

    func erase(_ request: Request, _ context: ServerContext) async throws -> Response {
        try Self.allow(request, ["dry_run"])
        let user = try authorized(context)
        let dryRun = try Self.flag(request, "dry_run")
        let report = try await service.erase(user, confirm: !dryRun)
        guard report.total > 0 else { throw Self.unknownUser(user) }
        return Self.json(.ok, Documents.erased(report))
    }

    // MARK: - Helpers

    /// The path's user, once the caller may act for them (403 otherwise).
    func authorized(_ context: ServerContext) throws -> UserID {
        let name = try Self.parameter(context, "user")
        let user: UserID
        do {
            user = try UserID(name)
        } catch {
            throw Failure.invalidInput("the user id in the path is not valid: \(error)", path: "user")
        }
        guard let principal = context.principal else { throw Failure(status: 401, code: "unauthorized", message: "no credential") }
        try Credentials.authorize(principal, for: user)
        return user
    }

    func nodeReference(_ context: ServerContext) throws -> MemoryService.NodeReference {
        .init(try Self.parameter(context, "node"))
    }

    /// A path parameter, percent-decoded (the router matches the raw path: `Sarah%20Chen` is `Sarah Chen`).
    static func parameter(_ context: ServerContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        guard let decoded = raw.removingPercentEncoding else {
            throw Failure.invalidInput("the path's \(name) is not valid percent-encoding", path: name)
        }
        return decoded
    }

    /// 404 when the user has nothing stored: a read of an unknown user is not an empty answer.
    func requireExisting(_ user: UserID) async throws {
        guard try await service.userExists(user) else { throw Self.unknownUser(user) }
    }

    static func unknownUser(_ user: UserID) -> Failure {
        Failure(status: 404, code: "unknown_user", message: "user \(user) has no memories")
    }

    func bodyData(_ request: Request) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.bodyBytes {
            throw NIOTooManyBytesError(maxBytes: limits.bodyBytes)
        }
        let buffer = try await request.body.collect(upTo: limits.bodyBytes)
        return Data(buffer.readableBytesView)
    }

    func body(_ request: Request) async throws -> JSONValue {
        try await body(try await bodyData(request))
    }

    func body(_ data: Data) async throws -> JSONValue {
        guard !data.isEmpty else { throw Failure.invalidInput("the body is empty; send JSON", path: "$") }
        do {
            return try JSONValue.parse(input: Array(data))
        } catch let error as MemoryGraphError {
            throw Failure(status: 400, code: "invalid_json", message: error.message, path: "$")
        }
    }

    /// Refuses a query parameter the route does not take, or one given twice (400 naming it): a
    /// misspelt `?dryrun=true` on `DELETE /v1/users/{user}` erased the user for real.
    static func allow(_ request: Request, _ allowed: Set<String>, repeatable: Set<String> = ["type"]) throws {
        var seen = Set<String>()
        for (name, _) in request.uri.queryParameters {
            let name = String(name)
            guard allowed.contains(name) else {
                let takes = allowed.isEmpty ? "this route takes none" : "this route takes \(allowed.sorted().joined(separator: ", "))"
                throw Failure.invalidInput("unknown query parameter \(JSONValue.string(name).jsonText()) (\(takes))", path: name)
            }
            guard seen.insert(name).inserted || repeatable.contains(name) else {
                throw Failure.invalidInput("?\(name)= is given twice; give it once", path: name)
            }
        }
    }

    static func flag(_ request: Request, _ name: String) throws -> Bool {
        switch request.uri.queryParameters.get(name) {
        case nil, "false", "0": return false
        case "", "true", "1": return true
        case let other?: throw Failure.invalidInput("?\(name)= takes true or false, not \(JSONValue.string(other).jsonText())", path: name)
        }
    }

    static func integer(_ request: Request, _ name: String, in range: ClosedRange<Int>? = nil) throws -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text), range?.contains(value) ?? true else {
            let bounds = range.map { " from \($0.lowerBound) to \($0.upperBound)" } ?? ""
            throw Failure.invalidInput("?\(name)= takes a whole number\(bounds), not \(JSONValue.string(text).jsonText())", path: name)
        }
        return value
    }

    static func wait(_ request: Request) throws -> MemoryService.Wait {
        guard let text = request.uri.queryParameters.get("wait") else { return .stored }
        guard let wait = MemoryService.Wait(rawValue: text) else {
            throw Failure.invalidInput("?wait= takes stored or embedded, not \(JSONValue.string(text).jsonText())", path: "wait")
        }
        return wait
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: Documents.line(value) + "\n")))
    }

    static func text(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: "\(type); charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    static func errorDocument(_ failure: Failure) -> JSONValue {
        ["error": ["code": .string(failure.code), "message": .string(failure.message), "path": failure.path.map(JSONValue.string) ?? .null]]
    }

    /// The OpenAPI document, as committed (`Sources/Server/openapi.yaml`).
    public static let openAPIDocument: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let data = try? Data(contentsOf: url) else { return Array("openapi document missing from the build\n".utf8) }
        return Array(data)
    }()
}
