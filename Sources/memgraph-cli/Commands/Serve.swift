import ArgumentParser
import Foundation
import Logging
import MemoryGraph
import Operations
import Repositories
import Server
import ServiceLifecycle

extension Memgraph {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the HTTP API and MCP (streamable HTTP at /mcp) until SIGTERM or SIGINT.",
            discussion: """
                Every request but /healthz needs Authorization: Bearer with an API key (memgraph keys \
                create) or a user token (a JWT signed with MEMGRAPH_JWT_SECRET; memgraph token). The API \
                is described at /openapi.yaml and in docs/api.md. Health: /healthz (live), /readyz \
                (database, schema, model), /metrics (Prometheus text).

                By default the process also runs the embedding worker, the session outbox flusher and \
                the search index maintainer, as memgraph worker does (--no-worker leaves them to one). \
                On SIGTERM it stops taking connections, lets requests in flight finish (at most 10 s) \
                and hands unfinished embedding claims back.

                Examples:
                  memgraph serve
                  memgraph serve --host 0.0.0.0 --port 8443 --tls-cert cert.pem --tls-key key.pem
                  memgraph serve --port 0 --no-worker     # a free port, printed on stderr
                """)
        @Option(help: ArgumentHelp("The address to listen on.", valueName: "host"))
        var host = "127.0.0.1"
        @Option(help: ArgumentHelp("The port (0: a free one, printed on stderr).", valueName: "port"))
        var port = 8420
        @Option(name: .customLong("tls-cert"), help: ArgumentHelp("A PEM certificate chain: serve HTTPS.", valueName: "file"))
        var tlsCertificate: String?
        @Option(name: .customLong("tls-key"), help: ArgumentHelp("The certificate's PEM private key.", valueName: "file"))
        var tlsKey: String?
        @Flag(name: .customLong("no-worker"), help: "Do not run the embedding worker and outbox flusher here (run memgraph worker).")
        var noWorker = false
        @Option(help: ArgumentHelp(
            "Seconds between checks whether SEARCH's index is due a one-pass rebuild (0: never here).", valueName: "seconds"))
        var indexCheckInterval = 300.0
        @OptionGroup var pipeline: PipelineOptions
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard (0...65_535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
            guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
            for file in [tlsCertificate, tlsKey].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: file) {
                throw ValidationError("cannot read \(file)")
            }
        }

        func run() async throws {
            let logger = CLI.logger
            let settings = try connection.settings()
            let limits = try HTTPAPI.Limits(settings: settings)
            let metrics = PrometheusExport.bootstrap()
            do {
                _ = try CLI.makeEmbedder()
            } catch where noWorker {
                CLI.note("memgraph: warning: \(error); SEARCH, RECALL and remember with wait=embedded fail, and /readyz says so")
            }  // with the worker, a missing model ends serve here: the worker cannot run without it
            let database = try await MemoryService.prepareWhenReachable(try DatabaseConfiguration.load(settings), logger: logger)
            let service = MemoryService(
                database: database, sessions: try CLI.sessionStore(connection), logger: logger, embedder: CLI.makeEmbedder)
            let credentials = try await Credentials(database: database, jwtSecret: try Credentials.jwtSecret(settings))
            let api = HTTPAPI(service: service, credentials: credentials, limits: limits, metrics: metrics.text)
            let listen = ListenOptions(host: host, port: port, tlsCertificate: tlsCertificate, tlsKey: tlsKey)
            let worker = !noWorker
            let application = try Serving.application(api, listen: listen, logger: logger) { url in
                CLI.note("memgraph: serving on \(url) (\(worker ? "with" : "without") the embedding worker); SIGTERM or Ctrl-C stops it")
            }
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: database),
                .init(service: application, successTerminationBehavior: .gracefullyShutdownGroup),
            ]
            if worker {
                services += try Worker.backgroundServices(
                    database: database, connection: connection, pipeline: pipeline, indexCheckInterval: indexCheckInterval)
            }
            var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            configuration.maximumGracefulShutdownDuration = Worker.shutdownGrace
            configuration.maximumCancellationDuration = Worker.shutdownGrace
            try await ServiceGroup(configuration: configuration).run()
        }
    }

    struct MCPCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mcp",
            abstract: "Serve MCP over stdio for one user (desktop agents).",
            discussion: """
                The tools: remember, recall, lookup, search, relate, forget, explore. They act for --user \
                (or MEMGRAPH_USER) only; no tool argument can name another user. A memory that remember \
                stores is searchable when the call returns. Errors come back as tool errors with the \
                CLI's messages. Logs go to stderr; stdout carries the protocol only.

                Examples:
                  memgraph mcp --user alice
                  MEMGRAPH_USER=alice MEMGRAPH_HOME=~/memgraph/.memgraph memgraph mcp

                A desktop agent's config (Claude Desktop's mcpServers, for example):
                  {"memgraph": {"command": "/path/to/memgraph", "args": ["mcp", "--user", "me"],
                                "env": {"MEMGRAPH_HOME": "/path/to/.memgraph"}}}
                Over HTTP, memgraph serve answers MCP at /mcp, for the credential's user.
                """)
        @Option(name: .customLong("user"), help: ArgumentHelp("The user the tools act for (else MEMGRAPH_USER).", valueName: "id"))
        var user: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let logger = CLI.logger
            let settings = try connection.settings()
            guard let name = user ?? settings["MEMGRAPH_USER"], !name.isEmpty else {
                throw ValidationError("give the user the tools act for: --user ID or MEMGRAPH_USER")
            }
            let user: UserID
            do { user = try UserID(name) } catch { throw ValidationError("--user: \(error)") }
            let timeout = try HTTPAPI.Limits(settings: settings).timeout
            _ = try CLI.makeEmbedder()  // loaded now, so the first recall is as fast as the rest
            let database = try await MemoryService.prepareWhenReachable(try DatabaseConfiguration.load(settings), logger: logger)
            try await database.serving { database in
                let service = MemoryService(
                    database: database, sessions: try CLI.sessionStore(connection), logger: logger, embedder: CLI.makeEmbedder)
                try await MCPStdio.run(service: service, user: user, timeout: timeout, logger: logger)
            }
        }
    }
}
