import AsyncHTTPClient
import Foundation
import Logging
import MemoryGraph
import NIOCore
import Operations
import NIOHTTP1
import Repositories
import Synchronization

/// `memgraph bench serve`: a real `memgraph serve` on loopback under concurrent clients, and a
/// `memgraph mcp` over stdio, as agent runtimes would use them.
///
/// It starts the server (this binary, `serve --port 0`), makes a service key, loads a user with
/// `nodes` conversation facts chained by `led_to`, then runs `clients` concurrent clients for
/// `duration`, each picking remember (sync: searchable on return), LOOKUP, SEARCH (query embedded)
/// or TRAVERSE. Meanwhile it samples the server's resident memory and the Postgres connections
/// the server holds. Last, it times MCP `recall` calls over stdio.
public struct ServeBenchmark: Sendable {
    public struct Configuration: Sendable {
        /// The memgraph binary to start.
        public var binary: URL
        public var clients = 16
        public var duration = Duration.seconds(60)
        /// The measured user's memories before the run.
        public var nodes = 2_000
        /// MCP recall calls timed over stdio.
        public var mcpCalls = 200
        /// The pool size the server runs with (POSTGRES_POOL_SIZE).
        public var poolSize: Int
        /// Each operation's share of the calls.
        public var mix = Mix.standard
        /// Requests per second from all clients together, spread evenly over them, each timed
        /// from when it was due; `nil` sends each client's next request as soon as its last is
        /// answered (closed loop, saturating).
        public var rate: Double?
        /// What the clients authenticate with during the load.
        public var credential = Credential.serviceKey

        public init(binary: URL, poolSize: Int) {
            self.binary = binary
            self.poolSize = poolSize
        }
    }

    let configuration: Configuration
    let database: Database
    let logger: Logger

    public init(configuration: Configuration, database: Database, logger: Logger) {
        self.configuration = configuration
        self.database = database
        self.logger = logger
    }

    /// Runs the benchmark; the figures as one JSON document. `progress` gets the seeded memories
    /// embedded, the clients' requests, and the MCP calls.
    public func run(progress: @escaping BenchmarkProgress = { _, _, _ in }) async throws -> JSONValue {
        let run = UUID().uuidString.prefix(8).lowercased()
        let user = try UserID("bench-serve-\(run)")
        let key = try await createKey(name: "bench-serve-\(run)")
        progress("starting memgraph serve", 0, nil)
        // A secret of this run's own for user tokens: the server checks what the clients sign.
        let jwtSecret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let server = try await ServerProcess.start(
            binary: configuration.binary, poolSize: configuration.poolSize, environment: ["MEMGRAPH_JWT_SECRET": jwtSecret])
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await seed(user: user, server: server, client: client, key: key) {
                progress("loading \(configuration.nodes) memories (embedded in the server)", $0, $1)
            }
            let seconds = configuration.duration.components.seconds
            let credential = switch configuration.credential {
            case .serviceKey: key
            case .userToken: try await Credentials.signer(secret: jwtSecret).issueToken(for: user, lifetime: configuration.duration + .seconds(3600))
            }
            let load = try await load(user: user, server: server, client: client, key: credential) {
                progress("\(configuration.clients) clients for \(seconds) s: requests", $0, nil)
            }
            progress("MCP recall over stdio", 0, configuration.mcpCalls)
            let mcp = try await MCPStdioProbe.recall(
                binary: configuration.binary, user: user, calls: configuration.mcpCalls, questions: Self.questions
            ) { progress("MCP recall over stdio", $0, configuration.mcpCalls) }
            try await client.shutdown()
            server.stop()
            try cleanUp(user, key: "bench-serve-\(run)")
            return report(load: load, mcp: mcp)
        } catch {
            try? await client.shutdown()
            server.stop()
            try? cleanUp(user, key: "bench-serve-\(run)")
            throw error
        }
    }

    // MARK: - Set-up

    func createKey(name: String) async throws -> String {
        let output = try ServerProcess.runToEnd(configuration.binary, ["keys", "create", "--name", name, "--json"])
        guard case .string(let secret)? = try JSONValue.parse(output).objectValue?["secret"] else {
            throw MemoryGraphError(code: .unavailable, message: "memgraph keys create printed no secret", operation: "bench serve")
        }
        return secret
    }

    /// Erases the benchmark's user and revokes its service key (a key that may act for any user).
    func cleanUp(_ user: UserID, key: String) throws {
        _ = try ServerProcess.runToEnd(configuration.binary, ["erase", "--user", user.rawValue, "--yes"])
        _ = try ServerProcess.runToEnd(configuration.binary, ["keys", "revoke", key])
    }

    static let topics = [
        "moved to Lisbon for a job at the harbour authority", "adopted a grey cat called Miso", "is training for the Berlin marathon",
        "switched the team's CI from Jenkins to GitHub Actions", "prefers written status updates to meetings",
        "is allergic to peanuts and shellfish", "plays bass in a jazz trio on Thursdays", "wants the Q3 budget review moved to Friday",
        "is learning Japanese for a trip to Kyoto", "renovated the kitchen with green tiles",
    ]
    static let people = ["Ana", "Bruno", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jade"]
    static let questions = [
        "who moved to Lisbon?", "which cat was adopted?", "who runs marathons?", "what happened to the CI system?",
        "how does someone like status updates?", "who has food allergies?", "who plays music?", "when is the budget review?",
        "who studies Japanese?", "what changed in the kitchen?",
    ]

    static func fact(_ i: Int) -> String {
        "\(people[i % people.count]) \(topics[(i / people.count) % topics.count]) (note \(i))."
    }

    /// Imports the user's memories through the server, which embeds them before it answers;
    /// `embedded` gets the user's embedding jobs done and their total meanwhile, every second.
    func seed(
        user: UserID, server: ServerProcess, client: HTTPClient, key: String, embedded: @escaping @Sendable (Int, Int?) -> Void
    ) async throws {
        var lines = [Documents.line(["kind": "user", "user_id": .string(user.rawValue)])]
        for i in 0..<configuration.nodes {
            lines.append(Documents.line([
                "kind": "node", "key": .string("fact-\(i)"), "context_type": "conversation_fact", "summary": .string(Self.fact(i)),
            ]))
            if i > 0 {
                lines.append(Documents.line([
                    "kind": "relationship", "from": .string("fact-\(i - 1)"), "to": .string("fact-\(i)"), "type": "led_to", "strength": 0.5,
                ]))
            }
        }
        var request = HTTPClientRequest(url: "\(server.url)/v1/users/\(user)/import?wait=embedded")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
        request.body = .bytes(ByteBuffer(string: lines.joined(separator: "\n")))
        let store = MemoryStore(database: database)
        let logger = logger
        @Sendable func count() async {
            do {
                // Nothing to count until the server's import commits.
                let counts = try await store.jobCounts(user)
                let done = (counts["completed"] ?? 0) + (counts["failed"] ?? 0)
                let all = counts.values.reduce(0, +)
                embedded(done, all == 0 ? nil : all)
            } catch {
                logger.debug("could not count the seeded memories' embedding jobs", metadata: ["error": "\(error)"])
            }
        }
        embedded(0, nil)
        let (response, body) = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if !Task.isCancelled { await count() }
                }
            }
            defer { group.cancelAll() }
            let response = try await client.execute(request, timeout: .seconds(1800))
            return (response, try await response.body.collect(upTo: 1 << 20))
        }
        await count()
        guard response.status.code == 201 else {
            throw MemoryGraphError(code: .unavailable, message: "seeding failed: HTTP \(response.status.code) \(String(buffer: body))", operation: "bench serve")
        }
    }

    // MARK: - The load

    struct Samples: Sendable {
        var latencies: [Operation: [Duration]] = [:]
        var errors: [Operation: Int] = [:]
        var firstErrors: [String] = []
    }

    struct Load: Sendable {
        var samples: Samples
        var seconds: Double
        var peakRSSMB: Double
        var maxConnections: Int
    }

    /// Runs the clients until the configured duration has passed; `requests` gets their count so far, every 100 ms.
    func load(
        user: UserID, server: ServerProcess, client: HTTPClient, key: String, requests: @escaping @Sendable (Int) -> Void
    ) async throws -> Load {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.duration
        let started = clock.now
        let nodes = configuration.nodes
        let answered = Tally()
        let sampler = Task { try await sample(server: server, until: deadline) { requests(answered.count) } }
        let samples = try await withThrowingTaskGroup(of: Samples.self) { group in
            for index in 0..<configuration.clients {
                group.addTask {
                    var random = SplitMix64(seed: UInt64(index) &* 7919 &+ 17)
                    var samples = Samples()
                    var written = 0
                    // Paced: this client's requests are due every `interval`, from a start
                    // staggered so that the clients do not send together.
                    let interval = configuration.rate.map { Duration.seconds(Double(configuration.clients) / $0) }
                    var due = started + (interval ?? .zero) * (Double(index) / Double(configuration.clients))
                    while clock.now < deadline {
                        // Paced, a request's latency counts from when it was due, not from when
                        // it went out: a server that falls behind delays the next requests, and
                        // timing them from their late start would hide that wait
                        // (coordinated omission).
                        var scheduled: ContinuousClock.Instant?
                        if let interval {
                            if due > clock.now { try await Task.sleep(until: due, clock: clock) }
                            scheduled = due
                            due += interval
                            guard clock.now < deadline else { break }
                        }
                        let operation = configuration.mix.pick(&random)
                        let (method, path, body): (HTTPMethod, String, String?)
                        let target = Int(random.next() % UInt64(nodes))
                        switch operation {
                        case .remember:
                            written += 1
                            method = .POST
                            path = "/v1/users/\(user)/memories?wait=embedded"
                            body = Documents.line([
                                "context_type": "conversation_fact", "key": .string("new-\(index)-\(written)"),
                                "summary": .string(Self.fact(target + written)),
                            ])
                        case .lookup:
                            (method, path) = (.POST, "/v1/users/\(user)/query")
                            body = Documents.line(["query": .string("LOOKUP fact-\(target)")])
                        case .search:
                            (method, path) = (.POST, "/v1/users/\(user)/query")
                            let question = Self.questions[target % Self.questions.count]
                            body = Documents.line(["verb": "search", "text": .string(question), "limit": 10])
                        case .traverse:
                            (method, path) = (.POST, "/v1/users/\(user)/query")
                            body = Documents.line(["query": .string("TRAVERSE fact-\(target) DEPTH 2")])
                        }
                        let start = scheduled ?? clock.now
                        do {
                            var request = HTTPClientRequest(url: server.url + path)
                            request.method = method
                            request.headers.add(name: "Authorization", value: "Bearer \(key)")
                            request.headers.add(name: "Content-Type", value: "application/json")
                            if let body { request.body = .bytes(ByteBuffer(string: body)) }
                            let response = try await client.execute(request, timeout: .seconds(30))
                            let answer = try await response.body.collect(upTo: 16 << 20)
                            let elapsed = clock.now - start
                            if (200..<300).contains(response.status.code) {
                                samples.latencies[operation, default: []].append(elapsed)
                            } else {
                                samples.errors[operation, default: 0] += 1
                                if samples.firstErrors.count < 3 {
                                    samples.firstErrors.append("\(operation.rawValue): HTTP \(response.status.code) \(String(buffer: answer).prefix(200))")
                                }
                            }
                        } catch {
                            samples.errors[operation, default: 0] += 1
                            if samples.firstErrors.count < 3 { samples.firstErrors.append("\(operation.rawValue): \(error)") }
                        }
                        answered.add()
                    }
                    return samples
                }
            }
            var all = Samples()
            for try await samples in group {
                for (operation, values) in samples.latencies { all.latencies[operation, default: []] += values }
                for (operation, count) in samples.errors { all.errors[operation, default: 0] += count }
                all.firstErrors += samples.firstErrors.prefix(max(0, 5 - all.firstErrors.count))
            }
            return all
        }
        let elapsed = clock.now - started
        let (rss, connections) = try await sampler.value
        return Load(
            samples: samples, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            peakRSSMB: rss, maxConnections: connections)
    }

    /// The server's peak resident memory (VmHWM, MB) and the most connections it held at once,
    /// sampled every 100 ms until `deadline`; `tick` is called at each sample.
    func sample(server: ServerProcess, until deadline: ContinuousClock.Instant, tick: @Sendable () -> Void) async throws -> (Double, Int) {
        var most = 0
        while ContinuousClock.now < deadline {
            tick()
            // This connection shows in pg_stat_activity too (it is a memgraph pool's): not counted.
            let count = try await database.withConnection(operation: "bench serve") { connection in
                var count = 0
                let rows = try await connection.query(
                    """
                    SELECT count(*)::int8 FROM pg_stat_activity
                    WHERE application_name = 'memgraph' AND datname = current_database() AND pid <> pg_backend_pid()
                    """, logger: logger)
                for try await row in rows { count = try row.decode(Int.self) }
                return count
            }
            most = max(most, count)
            try await Task.sleep(for: .milliseconds(100))
        }
        return (server.peakResidentMB(), most)
    }

    // MARK: - Report

    func report(load: Load, mcp: [Duration]) -> JSONValue {
        var operations: [String: JSONValue] = [:]
        for operation in Operation.allCases {
            let values = load.samples.latencies[operation] ?? []
            let summary = LatencySummary(values)
            operations[operation.rawValue] = [
                "per_second": .number((Double(values.count) / load.seconds).rounded(toPlaces: 1)),
                "latency": [
                    "p50_ms": .number(summary.p50.rounded(toPlaces: 2)), "p95_ms": .number(summary.p95.rounded(toPlaces: 2)),
                    "p99_ms": .number(summary.p99.rounded(toPlaces: 2)), "count": .number(Double(values.count)),
                ],
                "errors": .number(Double(load.samples.errors[operation] ?? 0)),
            ]
        }
        let errors = load.samples.errors.values.reduce(0, +)
        let mcpSummary = LatencySummary(mcp)
        let lookup = LatencySummary(load.samples.latencies[.lookup] ?? [])
        let search = LatencySummary(load.samples.latencies[.search] ?? [])
        let remembers = Double((load.samples.latencies[.remember] ?? []).count) / load.seconds
        return [
            "clients": .number(Double(configuration.clients)), "seconds": .number(load.seconds.rounded(toPlaces: 1)),
            "mix": .string(configuration.mix.description), "credential": .string(configuration.credential.rawValue),
            "rate": configuration.rate.map { .number($0) } ?? .string("closed loop"),
            "latency_from": .string(configuration.rate == nil ? "send" : "scheduled send (paced)"),
            "nodes": .number(Double(configuration.nodes)), "operations": .object(operations),
            "errors": .number(Double(errors)), "first_errors": .array(load.samples.firstErrors.map(JSONValue.string)),
            "peak_rss_mb": .number(load.peakRSSMB.rounded(toPlaces: 1)),
            "max_connections": .number(Double(load.maxConnections)), "pool_size": .number(Double(configuration.poolSize)),
            "mcp_stdio_recall": [
                "p50_ms": .number(mcpSummary.p50.rounded(toPlaces: 2)), "p95_ms": .number(mcpSummary.p95.rounded(toPlaces: 2)),
                "p99_ms": .number(mcpSummary.p99.rounded(toPlaces: 2)), "count": .number(Double(mcp.count)),
            ],
            "targets": [
                "no_errors": .bool(errors == 0),
                "connections_within_pool": .bool(load.maxConnections <= configuration.poolSize),
                "lookup_p50_at_most_1ms": .bool(lookup.p50 <= 1),
                "search_p50_at_most_10ms": .bool(search.p50 <= 10),
                "sync_remember_at_least_150_per_s": .bool(remembers >= 150),
                "rss_at_most_300mb": .bool(load.peakRSSMB <= 300),
                "mcp_recall_p50_at_most_15ms": .bool(mcpSummary.p50 <= 15),
            ],
        ]
    }
}

/// A count that many tasks add to.
final class Tally: Sendable {
    private let value = Atomic(0)
    var count: Int { value.load(ordering: .relaxed) }
    func add() { value.add(1, ordering: .relaxed) }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let scale = Foundation.pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
