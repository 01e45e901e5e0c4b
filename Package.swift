// swift-tools-version: 6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

// The encoder's AVX-512 matrix products are compiled for that instruction set (and AVX-512 BF16,
// whose two instructions only PackedProductBF16 calls), and optimised even in debug builds
// (unoptimised SIMD code is hundreds of times slower). The encoder calls each only on a processor
// that has its instructions; elsewhere it uses cblas.
#if arch(x86_64)
let kernelSettings: [SwiftSetting] = swiftSettings + [
    .unsafeFlags(["-O", "-target-cpu", "skylake-avx512", "-Xcc", "-mavx512bf16"]),
]
#else
let kernelSettings: [SwiftSetting] = swiftSettings + [.unsafeFlags(["-O"])]
#endif

let package = Package(
    name: "memgraph",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "memgraph", targets: ["memgraph-cli"]),
        .library(name: "MemoryGraph", targets: ["MemoryGraph"]),
        .library(name: "Encoder", targets: ["Encoder"]),
        .library(name: "Sessions", targets: ["Sessions"]),
        .library(name: "Repositories", targets: ["Repositories"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // Serving (issue 25): the HTTP API, user tokens, the MCP server, Prometheus text.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.5.2"..<"5.0.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // cblas from OpenBLAS on Linux; Accelerate is used instead on Apple platforms.
        .systemLibrary(
            name: "CCBLAS",
            path: "Sources/CCBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The AVX-512 BF16 instructions, wrapped for Swift (which cannot import clang's bfloat16 vectors).
        .systemLibrary(name: "CBFloat16", path: "Sources/CBFloat16"),
        .target(name: "EncoderKernels", dependencies: ["CBFloat16"], swiftSettings: kernelSettings),
        // The core: model, REM, fixtures, and the protocols the pipeline and sessions work through.
        .target(
            name: "MemoryGraph",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // all-MiniLM-L6-v2 in process: tokenizer, safetensors, BERT forward pass on cblas or the AVX-512 kernel.
        .target(
            name: "Encoder",
            dependencies: [
                "MemoryGraph",
                "EncoderKernels",
                .target(name: "CCBLAS", condition: .when(platforms: [.linux])),
            ],
            swiftSettings: swiftSettings
        ),
        // Transient per-session state in SQLite, and the outbox of writes to the long-term store.
        .target(
            name: "Sessions",
            dependencies: [
                "MemoryGraph",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Repositories",
            dependencies: [
                "MemoryGraph",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // PostgresClient's pool errors (no connection could be made), to answer them as 503.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Schema")],
            swiftSettings: swiftSettings
        ),
        // The operations layer: every operation the CLI, HTTP and MCP offer, implemented once, and
        // the documents they answer with.
        .target(
            name: "Operations",
            dependencies: [
                "MemoryGraph",
                "Repositories",
                "Sessions",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `memgraph serve` and `memgraph mcp`: HTTP and MCP adapters over Operations.
        .target(
            name: "Server",
            dependencies: [
                "MemoryGraph",
                "Operations",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        // `memgraph bench`: the figures' workloads, so that the CLI only parses and wires.
        .target(
            name: "Benchmarks",
            dependencies: [
                "MemoryGraph", "Encoder", "Repositories", "Operations",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "memgraph-cli",
            dependencies: [
                "MemoryGraph",
                "Encoder",
                "Sessions",
                "Repositories",
                "Operations",
                "Server",
                "Benchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MemoryGraphTests",
            dependencies: ["MemoryGraph"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EncoderTests",
            dependencies: ["MemoryGraph", "Encoder", "EncoderKernels"],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SessionsTests",
            dependencies: ["MemoryGraph", "Sessions"],
            swiftSettings: swiftSettings
        ),
        // Runs the built memgraph binary (MEMGRAPH_BIN, else .build/debug/memgraph) against the test Postgres.
        .testTarget(
            name: "CLITests",
            dependencies: [
                "MemoryGraph",
                "Sessions",
                "Repositories",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // A real `memgraph serve` on loopback, called through AsyncHTTPClient, and the MCP server
        // through the official Python client.
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "MemoryGraph",
                "Operations",
                "Repositories",
                "Server",
                "Sessions",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["Resources"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RepositoriesTests",
            dependencies: [
                "MemoryGraph",
                "Encoder",
                "Sessions",
                "Repositories",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
