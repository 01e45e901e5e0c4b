import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MemoryGraph
import NIOCore
import Operations
import Synchronization

/// The outermost middleware: every error becomes `{"error": {"code", "message", "path"}}` with the
/// status ``Failure`` gives it, so that no route answers an error in another shape.
struct FailureMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let bodyLimit: Int
    /// A route's path asked with a method it does not take is 405 with `Allow`, not 404.
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            // The router's own 404: no route has this path and method.
            guard let allowed = routes.methods(for: request.uri.path) else { throw error }
            let failure = Failure(
                status: 405, code: "method_not_allowed",
                message: "\(request.method.rawValue) is not a method of \(request.uri.path); it takes \(allowed.joined(separator: ", "))")
            var response = HTTPAPI.json(.methodNotAllowed, HTTPAPI.errorDocument(failure))
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
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

/// The methods of each route path, filled once the router has its routes (``HTTPAPI/router()``).
final class RouteMethods: Sendable {
    private let table = Mutex<[(segments: [String], methods: [String])]>([])

    /// From the router's routes (`/v1/users/{user}/memories/{node}` and its method).
    func fill(_ routes: [(path: String, method: String)]) {
        var methods: [String: [String]] = [:]
        for route in routes { methods[route.path, default: []].append(route.method) }
        table.withLock { table in
            table = methods.map { (Self.segments($0.key), Array(Set($0.value)).sorted()) }
        }
    }

    /// The methods of the route whose path matches `path` (a `{name}` segment matches any one), or nil.
    func methods(for path: String) -> [String]? {
        let asked = Self.segments(path)
        return table.withLock { table in
            table.first { route in
                route.segments.count == asked.count
                    && zip(route.segments, asked).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
            }?.methods
        }
    }

    private static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
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
