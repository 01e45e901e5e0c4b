import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCP
import MemoryGraph
import NIOCore
import Operations

/// `memgraph mcp`: the MCP server over stdio, bound to one user for its whole life.
public enum MCPStdio {
    /// Serves MCP on stdin/stdout until stdin ends or the task is cancelled. Nothing else may
    /// write to stdout meanwhile (logs go to stderr).
    /// - Parameter timeout: each tool call's deadline (`MEMGRAPH_REQUEST_TIMEOUT`).
    public static func run(service: MemoryService, user: UserID, timeout: Duration, logger: Logger) async throws {
        let server = await MCPTools(service: service, user: user, timeout: timeout).makeServer()
        let transport = LineTransport(logger: logger)
        try await server.start(transport: transport)
        await withTaskCancellationHandler {
            await server.waitUntilCompleted()
            // Input ended: answer what was read before returning, which closes the database. Each
            // call ends by its deadline; the margin is for writing the answers out.
            let limit = timeout + .seconds(5)
            let unanswered = await transport.drained(within: limit)
            if unanswered > 0 {
                logger.error("stdin ended; requests left unanswered", metadata: ["count": "\(unanswered)", "waited": "\(limit)"])
            }
        } onCancel: {
            // The cancellation handler is synchronous and the server an actor: stopping it takes a
            // task of its own, which ends the wait above (the one unstructured task, and it is short).
            Task { await server.stop() }
        }
    }
}

/// MCP over streamable HTTP, in its stateless JSON mode: each POST is answered on its own by a
/// server made for it, so nothing is kept between requests and any instance can answer any request.
/// Server-to-client messages (notifications, sampling) are not offered; the tools need none.
struct MCPHTTPEndpoint: Sendable {
    let service: MemoryService

    /// The credential was checked already (the bearer token is memgraph's, so the SDK's origin check,
    /// which guards browsers against DNS rebinding, adds nothing the Authorization header does not).
    static let validation = StandardValidationPipeline(validators: [
        AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
    ])

    func respond(to request: Request, user: UserID, limit: Int) async throws -> Response {
        let body = try await request.body.collect(upTo: limit)
        let parsed = try? JSONValue.parse(bytes: Array(body.readableBytesView))  // unparsable: the SDK answers
        if let refusal = MCPTools.refusal(parsed, acceptsBatches: false) {
            return Response(
                status: .init(code: refusal.httpStatus), headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(data: refusal.answer)))
        }
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName] = headers[field.name.canonicalName].map { $0 + ", " + field.value } ?? field.value
        }
        let mcpRequest = MCP.HTTPRequest(
            method: request.method.rawValue, headers: headers,
            body: body.readableBytes > 0 ? Data(body.readableBytesView) : nil, path: request.uri.path)
        let transport = StatelessHTTPServerTransport(validationPipeline: Self.validation)
        let server = await MCPTools(service: service, user: user).makeServer()
        try await server.start(transport: transport)
        let answer = await transport.handleRequest(mcpRequest)
        await server.stop()
        return Self.response(answer)
    }

    static func response(_ answer: MCP.HTTPResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in answer.headers where name.lowercased() != "connection" {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        let status = HTTPTypes.HTTPResponse.Status(code: answer.statusCode)
        if case .stream(let stream, _) = answer {
            return Response(status: status, headers: fields, body: ResponseBody { writer in
                for try await chunk in stream { try await writer.write(ByteBuffer(bytes: chunk)) }
                try await writer.finish(nil)
            })
        }
        return Response(status: status, headers: fields, body: answer.bodyData.map { ResponseBody(byteBuffer: ByteBuffer(bytes: $0)) } ?? ResponseBody())
    }
}
