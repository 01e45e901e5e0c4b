import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MemoryGraph
import NIOCore
import Operations

/// The outermost middleware: every error becomes `{"error": {"code", "message", "path"}}` with the
/// status ``Failure`` gives it, so that no route answers an error in another shape.
struct FailureMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let bodyLimit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let failure = failure(for: error)
            if failure.status >= 500 {
                context.logger.error("request failed", metadata: ["status": "\(failure.status)", "error": "\(failure.message)"])
            }
            return HTTPAPI.json(HTTPResponse.Status(code: failure.status), HTTPAPI.errorDocument(failure))
        }
    }

    func failure(for error: any Error) -> Failure {
        switch error {
        case is NIOTooManyBytesError:
            return Failure(status: 413, code: "too_large", message: "the body is larger than \(bodyLimit) bytes (MEMGRAPH_MAX_BODY_BYTES)")
        case let error as HTTPError:
            let code = switch error.status.code {
            case 404: "not_found"
            case 400: "invalid_input"
            default: "http_\(error.status.code)"
            }
            return Failure(status: Int(error.status.code), code: code, message: error.body ?? error.status.reasonPhrase)
        default:
            return Failure(error)
        }
    }
}

/// Gives every request a deadline: past it, the handler is cancelled and the answer is 503. A
/// handler that finishes anyway (a write that committed while cancellation reached it) answers
/// with its own response. What a cancelled handler committed before it stopped stays: an import
/// whose wait for its embeddings is cut short keeps its nodes (DeadlineTests), and a worker embeds
/// them. The handler runs in a child task, not the connection's, so that cancelling it leaves the
/// connection serving; that task is most of this middleware's cost (~0.1-0.15 core-ms a request:
/// LOOKUP with it bypassed, measured; a lone task and an event-loop timer instead of the group
/// cost the same).
struct DeadlineMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let timeout: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await withRequestDeadline(timeout) { try await next(request, context) }
    }
}

/// Runs `body` with a deadline: past it, the body is cancelled, and if it then fails, the failure
/// is 503 `deadline`; a body that finishes anyway gives its own result (a write that committed while
/// cancellation reached it is not reported as failed). The body runs in a child task, so that
/// cancelling it leaves the caller's task (an HTTP connection's, an MCP transport's) as it was.
/// Used by ``DeadlineMiddleware`` and by the MCP tools over stdio.
func withRequestDeadline<T: Sendable>(_ timeout: Duration, _ body: () async throws -> T) async throws -> T {
    try await withoutActuallyEscaping(body) { body in
        let work = UncheckedBox(value: body)
        return try await withThrowingTaskGroup(of: DeadlineOutcome<T>.self) { group in
            group.addTask {
                do { return .finished(try await work.value()) } catch { return .failed(error) }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return .deadline
            }
            var outcome = try await group.next()!
            if case .deadline = outcome {
                group.cancelAll()
                outcome = try await group.next()!
                if case .failed = outcome {
                    throw Failure(
                        status: 503, code: "deadline",
                        message: "the request took longer than \(String(format: "%g", timeout.seconds)) s (MEMGRAPH_REQUEST_TIMEOUT) and was cancelled")
                }
            }
            group.cancelAll()
            switch outcome {
            case .finished(let value): return value
            case .failed(let error): throw error
            case .deadline: throw CancellationError()
            }
        }
    }
}

private enum DeadlineOutcome<T: Sendable>: Sendable {
    case finished(T)
    case failed(any Error)
    case deadline
}

/// A non-escaping body is not Sendable; ``withRequestDeadline(_:_:)`` awaits it before returning, so it never outlives the call.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
}

/// Checks the credential of every request but `/healthz`: 401 without a valid one.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let credentials: Credentials

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/healthz" { return try await next(request, context) }
        var context = context
        context.principal = try await credentials.authenticate(authorization: request.headers[.authorization])
        return try await next(request, context)
    }
}
