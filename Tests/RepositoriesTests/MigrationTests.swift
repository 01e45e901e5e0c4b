import Foundation
import Logging
import MemoryGraph
import PostgresNIO
import Testing
@testable import Repositories

@Suite("Migrations", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct MigrationTests {
    @Test("running the migrations twice is a no-op")
    func twice() async throws {
        try await TestDatabase.withScratch { name, configuration in
            let first = try await Database.withDatabase(configuration, logger: TestDatabase.logger) { $0.startup }
            #expect(first.appliedMigrations == (try Migrator()).migrations.map(\.version))
            let second = try await Database.withDatabase(configuration, logger: TestDatabase.logger) { $0.startup }
            #expect(second.appliedMigrations.isEmpty)
            #expect(second.schemaVersion == first.schemaVersion)
            // And the migrator itself, run directly again, applies nothing.
            var server = try TestDatabase.superuser()
            server.database = name
            let again = try await server.withConnection(timeout: .seconds(5), logger: TestDatabase.logger) { connection in
                try await Migrator().migrate(on: connection, logger: TestDatabase.logger)
            }
            #expect(again.isEmpty)
        }
    }

    @Test("a database at a newer migration gives a clear error")
    func newer() async throws {
        try await TestDatabase.withScratch { name, configuration in
            _ = try await Database.withDatabase(configuration, logger: TestDatabase.logger) { $0.startup }
            try await TestDatabase.asSuperuser(database: name) { connection in
                try await connection.query(
                    "INSERT INTO memory.schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')", logger: TestDatabase.logger)
            }
            do {
                _ = try await Database.withDatabase(configuration, logger: TestDatabase.logger) { $0.startup }
                Issue.record("a newer schema was accepted")
            } catch let error as RepositoriesError {
                #expect(error.code == .schemaTooNew)
                #expect(error.description.contains("9999"))
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test("an edited migration is refused")
    func edited() throws {
        let migrator = try Migrator()
        let recorded = Dictionary(uniqueKeysWithValues: migrator.migrations.map { ($0.version, "0") })
        #expect(throws: RepositoriesError.self) { try migrator.verify(recorded: recorded) }
        let honest = Dictionary(uniqueKeysWithValues: migrator.migrations.map { ($0.version, $0.checksum) })
        try migrator.verify(recorded: honest)
    }

    @Test("a server without a required extension gives a one-line error naming it")
    func missingExtension() async throws {
        let all = Set(Migrator.requiredExtensions.map(\.name))
        #expect(all == ["vector", "pg_trgm", "btree_gin"])
        for missing in all {
            do {
                try Migrator.requireExtensions(all.subtracting([missing]))
                Issue.record("no error without \(missing)")
            } catch let error as RepositoriesError {
                #expect(error.code == .missingExtension)
                #expect(error.description.contains("extension \"\(missing)\""))
                #expect(!error.description.contains("\n"))
            }
        }
        // Against the real server: ask it which it has; all must be there.
        let available = try await TestDatabase.asSuperuser { connection in
            try await connection.query(
                "SELECT name FROM pg_available_extensions WHERE name = ANY(\(Array(all)))", logger: TestDatabase.logger)
                .collect().map { try $0.decode(String.self) }
        }
        try Migrator.requireExtensions(Set(available))
    }

    @Test("the SQL splitter keeps dollar-quoted bodies, strings and comments whole")
    func splitter() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE t (a text DEFAULT 'x;y');
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
            /* block; comment */ SELECT $tag$ ; $tag$;
            SELECT "we;ird" FROM t
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 4)
        #expect(statements[1].hasSuffix("END $$"))
        #expect(statements[2].hasSuffix("$tag$ ; $tag$"))
    }
}

@Suite("Configuration", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct ConfigurationTests {
    @Test("flags win over the environment, which wins over the config file")
    func precedence() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("config.yaml")
        try "postgres_host: filehost\npostgres_port: 6000\npostgres_pool_size: 7\npostgres_db: filedb\n".write(to: file, atomically: true, encoding: .utf8)
        let configuration = try DatabaseConfiguration.load(
            flags: ["POSTGRES_PORT": "7000"],
            environment: ["MEMGRAPH_CONFIG": file.path, "POSTGRES_PORT": "6500", "POSTGRES_DB": "envdb", "POSTGRES_USER": "me"])
        guard case .external(let app, nil) = configuration.target else {
            Issue.record("expected an external server"); return
        }
        #expect(app.host == "filehost")
        #expect(app.port == 7000)
        #expect(app.database == "envdb")
        #expect(app.username == "me")
        #expect(configuration.poolSize == 7)
        let elsewhere = directory.appendingPathComponent("empty-home")
        let defaults = try DatabaseConfiguration.load(environment: ["MEMGRAPH_HOME": elsewhere.path])
        #expect(defaults.poolSize == 20)
        guard case .embedded(let home) = defaults.target else { Issue.record("expected embedded"); return }
        #expect(home.home.path == elsewhere.path)
    }

    @Test("DATABASE_URL is parsed, and a bad one gets a one-line error naming the setting")
    func urls() throws {
        let configuration = try DatabaseConfiguration.load(environment: ["DATABASE_URL": "postgresql://app:s%40cret@db.example:5433/mem?sslmode=require"])
        guard case .external(let app, _) = configuration.target else { Issue.record("expected external"); return }
        #expect(app == .init(host: "db.example", port: 5433, database: "mem", username: "app", password: "s@cret", tls: .require))
        for bad in ["mysql://x@y/z", "postgresql://", "not a url", "postgresql://host/db", "postgresql://u@h/db?sslmode=sometimes"] {
            do {
                _ = try DatabaseConfiguration.load(environment: ["DATABASE_URL": bad])
                Issue.record("accepted \(bad)")
            } catch let error as RepositoriesError {
                #expect(error.code == .configuration)
                #expect(error.description.contains("DATABASE_URL"))
                #expect(!error.description.contains("\n"))
            }
        }
        #expect(throws: RepositoriesError.self) { try DatabaseConfiguration.load(environment: ["POSTGRES_HOST": "h", "POSTGRES_POOL_SIZE": "lots"]) }
    }

    @Test("an unreachable host gives a one-line error naming host and port, within the timeout")
    func unreachable() async throws {
        let configuration = try DatabaseConfiguration.load(environment: [
            "DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db", "MEMGRAPH_CONNECT_TIMEOUT": "2",
        ])
        do {
            _ = try await Database.prepare(configuration, logger: TestDatabase.logger)
            Issue.record("connected to port 1")
        } catch let error as RepositoriesError {
            #expect(error.code == .connection)
            #expect(error.description.contains("127.0.0.1:1"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("an app role that row-level security does not bind is refused at start-up, unless allowed (issue 27, item 4)")
    func appRoleThatBypassesRLS() async throws {
        try await TestDatabase.withScratch { _, configuration in
            var strict = configuration
            strict.allowRLSBypass = false
            do {
                _ = try await Database.prepare(strict, logger: TestDatabase.logger)
                Issue.record("started with a superuser app role")
            } catch let error as RepositoriesError {
                #expect(error.code == .configuration, "\(error)")
                #expect(error.message.contains("is a superuser and has BYPASSRLS"), "\(error)")
                #expect(error.message.contains("row-level security does not bind it"), "\(error)")
                #expect(error.message.contains("--allow-rls-bypass"), "\(error)")
            }
            // Allowed: it goes on (with a warning in the log).
            _ = try await Database.prepare(configuration, logger: TestDatabase.logger)
        }
        // The embedded cluster's app role owns nothing and bypasses nothing: no refusal.
        _ = try await TestDatabase.database()
    }

    @Test("a wrong password gives a one-line error naming the user")
    func badPassword() async throws {
        var server = try TestDatabase.superuser()
        server.password = "wrong"
        let configuration = DatabaseConfiguration(target: .external(app: server, admin: nil))
        do {
            _ = try await Database.prepare(configuration, logger: TestDatabase.logger)
            Issue.record("logged in with a wrong password")
        } catch let error as RepositoriesError {
            #expect(error.code == .connection)
            #expect(error.description.contains(server.username))
        }
    }
}

@Suite("Schema files", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(5)))
struct SchemaFileTests {
    /// The checkout this test was built from.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("SQL/current.sql is what the migrations build (regenerate it with scripts/schema-dump)")
    func currentSchemaIsFresh() async throws {
        let committed = try String(contentsOf: Self.root.appendingPathComponent("SQL/current.sql"), encoding: .utf8)
        // The header is the lines before the first empty line; the rest is the dump.
        let body = committed.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")
        let dumped = try await TestDatabase.withScratchDatabase { name, _ in
            var server = try TestDatabase.superuser()
            server.database = name
            let url = "postgresql://\(server.username):\(server.password ?? "")@\(server.host):\(server.port)/\(name)"
            return try Self.run(Self.root.appendingPathComponent("scripts/schema-dump").path, ["--url", url])
        }
        #expect(!body.isEmpty)
        if dumped != body {
            // Name the first line that differs rather than print both dumps.
            let (have, want) = (body.split(separator: "\n", omittingEmptySubsequences: false), dumped.split(separator: "\n", omittingEmptySubsequences: false))
            let line = (0..<min(have.count, want.count)).first { have[$0] != want[$0] } ?? min(have.count, want.count)
            Issue.record("""
                SQL/current.sql is stale from its line \(line + 4) on: run scripts/schema-dump and commit the result
                  committed: \(line < have.count ? String(have[line]) : "(end)")
                  migrated:  \(line < want.count ? String(want[line]) : "(end)")
                """)
        }
    }

    @Test("a database built by the releases before the baseline is accepted as it is, and one older is refused")
    func baseline() throws {
        let migrator = try Migrator()
        let baseline = migrator.baselineVersion
        #expect(baseline == 16)
        // Versions 1…16 recorded with the old files' checksums, as the releases before the baseline left them.
        var released = Dictionary(uniqueKeysWithValues: (1...baseline).map { ($0, "old-\($0)") })
        try migrator.verify(recorded: released)
        // Built by the baseline itself: its checksum is checked.
        #expect(throws: RepositoriesError.self) { try migrator.verify(recorded: [baseline: "edited"]) }
        try migrator.verify(recorded: [baseline: migrator.migrations.first { $0.isBaseline }!.checksum])
        // Older than the baseline: refused, with what to do.
        released = Dictionary(uniqueKeysWithValues: (1..<baseline).map { ($0, "old-\($0)") })
        do {
            try migrator.verify(recorded: released)
            Issue.record("a database at version \(baseline - 1) was accepted")
        } catch let error as RepositoriesError {
            #expect(error.code == .migration)
            #expect(error.description.contains("older than this memgraph can upgrade"))
        }
    }

    @Test("a function file whose checksum changed is applied again at start-up")
    func functionFileReapplied() async throws {
        let migrator = try Migrator()
        #expect(!migrator.functions.isEmpty)
        // Start-up on a new database, a function file's record made stale, start-up again.
        try await TestDatabase.withScratch { name, configuration in
            _ = try await Database.withDatabase(configuration, logger: TestDatabase.logger) { $0.startup }
            try await TestDatabase.asSuperuser(database: name) { connection in
                try await connection.query(
                    "UPDATE memory.schema_functions SET checksum = 'stale' WHERE name = \(migrator.functions[0].name)",
                    logger: TestDatabase.logger)
            }
            _ = try await Database.withDatabase(configuration, logger: TestDatabase.logger) { $0.startup }
            let recorded = try await TestDatabase.asSuperuser(database: name) { connection in
                try await connection.query(
                    "SELECT string_agg(name || '=' || checksum, ',' ORDER BY name COLLATE \"C\") FROM memory.schema_functions",
                    logger: TestDatabase.logger
                ).collect().first!.decode(String.self)
            }
            #expect(recorded == migrator.functionsFingerprint)
        }
    }

    /// Runs a program and returns its stdout; throws on a non-zero exit, with its stderr.
    static func run(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RepositoriesError(.query, "\(path) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

extension SchemaFileTests {
    @Test("each known model's HNSW index in the schema names the model as the Swift code does")
    func modelIndexes() async throws {
        for model in EmbeddingModels.all {
            let definition = try await TestDatabase.asSuperuser { connection in
                try await connection.query(
                    "SELECT indexdef FROM pg_indexes WHERE schemaname = 'memory' AND indexname = \(model.indexName)",
                    logger: TestDatabase.logger
                ).collect().first?.decode(String.self)
            }
            #expect(definition?.contains("'\(model.name)'::text") == true, "\(model.indexName): \(definition ?? "missing")")
            #expect(definition?.contains("vec(\(model.dimensions))") == true)
        }
        #expect(EmbeddingModels.miniLML6v2.name == ModelNames.miniLML6v2)
    }
}
