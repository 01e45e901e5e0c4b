import Foundation
import Logging
import MemoryGraph
import Operations
import Repositories
import Server
import Testing

/// The committed OpenAPI document and the server's routes cannot drift apart: every route the
/// router has is in the document, with its method, and the document describes no route the server lacks.
@Suite(.tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(2)))
struct OpenAPIDocumentTests {
    /// `METHOD /path/{param}` for every operation of the document (a small reader of its `paths:` block).
    static func documentedRoutes() throws -> Set<String> {
        let text = String(decoding: HTTPAPI.openAPIDocument, as: UTF8.self)
        var routes = Set<String>()
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.isEmpty, !line.hasPrefix(" "), !line.hasPrefix("#") { break }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "put", "post", "delete", "patch"].contains(String(key)) { routes.insert("\(key.uppercased()) \(path)") }
            }
        }
        return routes
    }

    @Test func everyRouteIsDocumentedAndNoOther() async throws {
        let logger = Logger(label: "openapi-test")
        let database = try await Database.prepare(try DatabaseConfiguration.load(), logger: logger)
        let service = MemoryService(database: database, sessions: nil, logger: logger) {
            throw MemoryGraphError(code: .modelUnavailable, message: "not needed to list routes")
        }
        let api = HTTPAPI(service: service, credentials: try await Credentials(database: database, jwtSecret: nil), limits: .init(), metrics: { "" })
        // Hummingbird writes parameters as {name}, as OpenAPI does; a leading slash on every path.
        let served = Set(api.router().routes.map { route in
            let path = route.path.description.hasPrefix("/") ? route.path.description : "/" + route.path.description
            return "\(route.method.rawValue) \(path)"
        })
        let documented = try Self.documentedRoutes()
        #expect(!documented.isEmpty)
        #expect(served.subtracting(documented).sorted() == [], "served but not documented")
        #expect(documented.subtracting(served).sorted() == [], "documented but not served")
    }
}
