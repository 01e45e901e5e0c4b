import AsyncHTTPClient
import Foundation
import JWTKit
import MemoryGraph
import NIOCore
import NIOHTTP1

/// A real `memgraph serve` on loopback, against the test cluster, shared by the tests of this
/// process. Without its embedding worker: other suites store vectors of their own and count jobs,
/// which a worker embedding every user's queue would change under them (writes here use wait=embedded). It runs under `setpriv --pdeathsig TERM`, so it stops when the test process ends.
final class TestServer: Sendable {
    /// The HS256 secret the server checks user tokens with (test only).
    static let jwtSecret = "memgraph-tests-secret-0123456789abcdef0123456789"
    /// The body limit the server is started with: small, so that a 413 is cheap to provoke.
    static let bodyLimit = 1 << 20

    let url: String
    let serviceKey: String
    let process: Process
    let client: HTTPClient

    private init(url: String, serviceKey: String, process: Process) {
        self.url = url
        self.serviceKey = serviceKey
        self.process = process
        client = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    private static let started = Task<TestServer, any Error> {
        let keyRun = try await Memgraph.run(["keys", "create", "--name", "server-tests-\(UUID().uuidString.prefix(8))", "--json"])
        guard keyRun.status == 0, case .string(let secret)? = try keyRun.json().objectValue?["secret"] else {
            throw TestServerError("memgraph keys create failed: \(keyRun)")
        }
        let (url, process) = try await launch(["--no-worker"])
        return TestServer(url: url, serviceKey: secret, process: process)
    }

    /// Starts `memgraph serve --port 0 extra…` (with `environment` over the tests' settings) and
    /// waits until it listens: its URL and process.
    static func launch(_ extra: [String], environment: [String: String] = [:]) async throws -> (url: String, process: Process) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-serve-\(UUID().uuidString).log")
        try Data().write(to: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--pdeathsig", "TERM", "--", Memgraph.binary.path, "serve", "--port", "0"] + extra
        process.currentDirectoryURL = Memgraph.root
        process.environment = ProcessInfo.processInfo.environment.merging([
            "MEMGRAPH_JWT_SECRET": jwtSecret, "MEMGRAPH_MAX_BODY_BYTES": String(bodyLimit), "MEMGRAPH_LOG_LEVEL": "notice",
        ].merging(environment) { _, new in new }) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try SpawnThread.shared.run { try process.run() }
        // The server prints "serving on http://127.0.0.1:PORT" once it listens.
        for _ in 0..<600 {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"https?://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                return (String(text[range]), process)
            }
            guard process.isRunning else { throw TestServerError("memgraph serve exited: \(text)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw TestServerError("memgraph serve did not start within 60 s")
    }

    static func shared() async throws -> TestServer { try await started.value }

    /// A user token for `user`, signed with the server's secret; `notBefore` sets `nbf`, `header`
    /// adds to the header.
    static func token(
        for user: UserID, expiresIn seconds: Double = 600, notBefore: Date? = nil, header: JWTHeader = JWTHeader()
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: jwtSecret), digestAlgorithm: .sha256)
        let claims = TestToken(sub: .init(value: user.rawValue), exp: .init(value: Date().addingTimeInterval(seconds)),
                               nbf: notBefore.map { NotBeforeClaim(value: $0) })
        return try await keys.sign(claims, header: header)
    }

    /// A token of exactly this header and payload JSON text, signed (HS256) with the server's
    /// secret: for tokens JWTKit would not write, such as a claim named twice.
    static func rawToken(header: String = #"{"alg":"HS256","typ":"JWT"}"#, payload: String) async throws -> String {
        func base64URL<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
            Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: jwtSecret), digestAlgorithm: .sha256)
        let input = base64URL(header.utf8) + "." + base64URL(payload.utf8)
        return input + "." + base64URL(try await keys.getKey().sign(Array(input.utf8)))
    }

    /// One request; the body is read whole.
    func request(
        _ method: HTTPMethod, _ path: String, token: String?, body: String? = nil, headers: [(String, String)] = []
    ) async throws -> HTTPAnswer {
        try await Self.send(client, method, url + path, token: token, body: body, headers: headers)
    }

    /// One request to `url` through `client`; the body is read whole. A body is JSON unless
    /// `headers` names another Content-Type.
    static func send(
        _ client: HTTPClient, _ method: HTTPMethod, _ url: String, token: String?, body: String? = nil, headers: [(String, String)] = []
    ) async throws -> HTTPAnswer {
        try await send(client, method, url, token: token, bytes: body.map { Array($0.utf8) }, headers: headers)
    }

    /// ``send(_:_:_:token:body:headers:)`` with a body of any bytes, UTF-8 or not.
    static func send(
        _ client: HTTPClient, _ method: HTTPMethod, _ url: String, token: String?, bytes: [UInt8]?, headers: [(String, String)] = []
    ) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let bytes {
            if !request.headers.contains(name: "Content-Type") { request.headers.add(name: "Content-Type", value: "application/json") }
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let data = try await response.body.collect(upTo: 64 << 20)
        return HTTPAnswer(status: Int(response.status.code), body: String(buffer: data), contentType: response.headers.first(name: "Content-Type"))
    }
}

/// What the server answered.
struct HTTPAnswer: CustomStringConvertible {
    var status: Int
    var body: String
    var contentType: String?

    func json() throws -> JSONValue { try JSONValue.parse(body) }

    /// `error.code` of an error answer.
    var errorCode: String? { (try? json())?.objectValue?["error"]?.objectValue?["code"]?.stringValue }
    var errorPath: String? { (try? json())?.objectValue?["error"]?.objectValue?["path"]?.stringValue }

    var description: String { "HTTP \(status): \(body.prefix(600))" }
}

struct TestToken: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

struct TestServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension JSONValue {
    /// This document without any `access_count` or `last_accessed`: every read moves a node's
    /// access bookkeeping (issue 27, item 13), so two reads of the same node differ there.
    var withoutAccessCounts: JSONValue {
        switch self {
        case .object(let fields):
            return .object(fields.filter { $0.key != "access_count" && $0.key != "last_accessed" }.mapValues(\.withoutAccessCounts))
        case .array(let items):
            return .array(items.map(\.withoutAccessCounts))
        default:
            return self
        }
    }
}
