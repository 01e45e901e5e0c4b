import Foundation
import MemoryGraph
import Repositories

/// An operation's error as every front-end reports it: the CLI prints `message` and exits 1, HTTP
/// answers `status` with `{"error": {"code", "message", "path"}}`, MCP returns a tool error with
/// `message`. One mapping, so the same mistake reads the same everywhere.
public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status: 400 bad input, 401/403 credentials, 404 not found, 409 conflict, 413 too
    /// large, 503 unavailable, 500 otherwise.
    public var status: Int
    /// A stable, machine-readable code, such as `invalid_query` or `not_found`.
    public var code: String
    /// A sentence for the user; never memory content.
    public var message: String
    /// Where in the input the problem is: a JSON path (`$.nodes[3].context_type`, or `line 4: $.strength`
    /// in JSONL) or a query column (`column 12`).
    public var path: String?

    public init(status: Int, code: String, message: String, path: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String { message }

    /// Bad input that names where it is.
    public static func invalidInput(_ message: String, path: String? = nil) -> Failure {
        Failure(status: 400, code: "invalid_input", message: message, path: path)
    }

    /// The failure for any error an operation throws.
    public init(_ error: any Error) {
        switch error {
        case let failure as Failure:
            self = failure
        case let syntax as RemSyntaxError:
            self.init(status: 400, code: "invalid_query", message: "the query does not parse: \(syntax)", path: "column \(syntax.column)")
        case let problems as FixtureProblems:
            let first = problems.problems.first
            self.init(
                status: 400, code: "invalid_fixture", message: problems.description,
                path: first.map { Self.path(of: $0.location) } ?? nil)
        case let error as MemoryGraphError:
            self.init(status: Self.status(error.code), code: Self.code(error.code), message: error.description)
        case let error as RepositoriesError:
            self.init(status: Self.status(error.code), code: Self.code(error.code), message: error.description)
        case is CancellationError:
            self.init(status: 503, code: "cancelled", message: "the request was cancelled (the server is shutting down or the deadline passed)")
        default:
            self.init(status: 500, code: "internal", message: "internal error: \(error)")
        }
    }

    /// The problems one per line as `$.field: message`, without the file and the "nothing was
    /// imported" header: what a tool argument (MCP's remember) was wrong in.
    public static func itemized(_ problems: FixtureProblems) -> String {
        problems.problems.map { "\(path(of: $0.location) ?? "$"): \($0.message)" }.joined(separator: "\n")
    }

    /// `line 4: $.strength` or `$.nodes[3].context_type`: the part of a location inside the document.
    static func path(of location: FixtureLocation) -> String? {
        var parts: [String] = []
        if let line = location.line { parts.append(location.column.map { "line \(line), column \($0)" } ?? "line \(line)") }
        if let path = location.path { parts.append(path) }
        return parts.isEmpty ? nil : parts.joined(separator: ": ")
    }

    static func status(_ code: MemoryGraphError.Code) -> Int {
        switch code {
        case .invalidInput, .parse: 400
        case .notFound: 404
        case .modelUnavailable, .modelCorrupt, .unavailable: 503
        default: 500
        }
    }

    static func code(_ code: MemoryGraphError.Code) -> String {
        switch code {
        case .invalidInput: "invalid_input"
        case .parse: "invalid_query"
        case .notFound: "not_found"
        case .modelUnavailable, .modelCorrupt: "model_unavailable"
        case .unavailable: "unavailable"
        case .embeddingFailed: "embedding_failed"
        default: "internal"
        }
    }

    static func status(_ code: RepositoriesError.Code) -> Int {
        switch code {
        case .invalidInput: 400
        case .notFound: 404
        case .conflict: 409
        case .connection, .embeddedCluster, .schemaTooNew, .migration, .missingExtension: 503
        default: 500
        }
    }

    static func code(_ code: RepositoriesError.Code) -> String {
        switch code {
        case .invalidInput: "invalid_input"
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .connection, .embeddedCluster: "database_unavailable"
        case .schemaTooNew, .migration, .missingExtension: "schema"
        default: "internal"
        }
    }
}

/// Problems found while validating fixtures: nothing was written.
public struct FixtureProblems: Error, Sendable, CustomStringConvertible {
    public var problems: [FixtureProblem]

    public init(_ problems: [FixtureProblem]) { self.problems = problems }

    public var description: String {
        let more = problems.count >= FixtureLoader.maximumProblems ? " (stopped after \(problems.count))" : ""
        let list = problems.map(\.description).joined(separator: "\n")
        return "\(problems.count) problem\(problems.count == 1 ? "" : "s") in the fixture\(more); nothing was imported:\n\(list)"
    }
}
