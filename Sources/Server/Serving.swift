import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle

/// Where and how `memgraph serve` listens.
public struct ListenOptions: Sendable {
    public var host: String
    /// 0 picks a free port (printed when the server runs).
    public var port: Int
    /// PEM files; both or neither.
    public var tlsCertificate: String?
    public var tlsKey: String?

    public init(host: String = "127.0.0.1", port: Int = 8420, tlsCertificate: String? = nil, tlsKey: String? = nil) {
        self.host = host
        self.port = port
        self.tlsCertificate = tlsCertificate
        self.tlsKey = tlsKey
    }

    var scheme: String { tlsCertificate == nil ? "http" : "https" }
}

public enum Serving {
    /// The HTTP server as a Service for a ServiceGroup. `onRunning` gets the bound address
    /// (`http://127.0.0.1:8420`), once it listens.
    /// - Throws: `MemoryGraphError`-worded errors for TLS files that cannot be read.
    public static func application(
        _ api: HTTPAPI, listen: ListenOptions, logger: Logger, onRunning: @escaping @Sendable (String) async -> Void
    ) throws -> some Service {
        var server = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(75)))
        if let certificate = listen.tlsCertificate, let key = listen.tlsKey {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            server = try .tls(server, tlsConfiguration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey)))
        }
        let scheme = listen.scheme
        return Application(
            router: api.router(), server: server,
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "memgraph"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? listen.port
                let host = listen.host.contains(":") ? "[\(listen.host)]" : listen.host
                await onRunning("\(scheme)://\(host):\(port)")
            },
            logger: logger)
    }
}

/// Prometheus text for `/metrics`: every swift-metrics metric of the process (the pipeline's, the
/// requests'), none labelled with a user id.
public final class PrometheusExport: Sendable {
    public let registry = PrometheusCollectorRegistry()

    /// Makes this registry the process's metrics backend; call once, before metrics are created.
    public static func bootstrap() -> PrometheusExport {
        let export = PrometheusExport()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: export.registry))
        return export
    }

    /// The registry's text, without Hummingbird's `hb_request_errors`: it counts errors thrown past
    /// its middleware, and the failure middleware inside it answers every error, so each series
    /// stayed 0, one per route and status, 200 included. `hb_requests` counts by the status sent.
    public func text() -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !Self.droppedFamilies.contains(Self.family(of: $0)) }
            .joined(separator: "\n")
    }

    static let droppedFamilies: Set<Substring> = ["hb_request_errors"]

    /// The metric a line of Prometheus text is about: a sample's name, or the name after `# TYPE`/`# HELP`.
    static func family(of line: Substring) -> Substring {
        var rest = line
        if rest.hasPrefix("# TYPE ") || rest.hasPrefix("# HELP ") { rest = rest.dropFirst(7) }
        return rest.prefix { $0 != "{" && $0 != " " }
    }
}
