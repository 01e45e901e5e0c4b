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

    public func text() -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
