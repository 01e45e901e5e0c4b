import Foundation

/// Where memgraph keeps its files: the data directory (`MEMGRAPH_HOME`, default `./.memgraph`)
/// and the vendor folder that `scripts/setup` fills with the Postgres binaries and the model.
///
/// The vendor folder is looked for in these places only, in this order:
/// 1. `MEMGRAPH_VENDOR_DIR`;
/// 2. `$MEMGRAPH_HOME/vendor`;
/// 3. `.memgraph/vendor` in the checkout this binary was built from (``buildCheckout``).
///
/// Never in the current directory's parents: a `.memgraph/vendor` that another user left in a
/// shared folder such as `/tmp` would run its binaries as whoever ran memgraph below it.
public struct MemgraphHome: Sendable, Equatable {
    /// The data directory.
    public let home: URL

    public init(environment: [String: String] = Settings.processEnvironment) {
        if let path = environment["MEMGRAPH_HOME"], !path.isEmpty {
            home = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
        } else {
            home = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
                .appendingPathComponent(".memgraph", isDirectory: true)
        }
        self.environment = environment
    }

    private let environment: [String: String]

    /// A setting from the values this home was made from (``Settings/values``, or the environment).
    public func setting(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The vendor folders to try, best first. The first that holds what is asked for wins.
    public var vendorCandidates: [URL] {
        var result: [URL] = []
        if let path = environment["MEMGRAPH_VENDOR_DIR"], !path.isEmpty {
            result.append(URL(fileURLWithPath: path, isDirectory: true))
        }
        result.append(home.appendingPathComponent("vendor", isDirectory: true))
        if let checkout = Self.buildCheckout {
            result.append(checkout.appendingPathComponent(".memgraph/vendor", isDirectory: true))
        }
        var seen = Set<String>()
        return result.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// The checkout this binary was compiled in (the folder of its `Package.swift`, found from this
    /// source file's path at build time), while it still holds that `Package.swift`; nil otherwise.
    public static var buildCheckout: URL? {
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()  // Support
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()  // MemoryGraph, Sources, checkout
        guard FileManager.default.fileExists(atPath: checkout.appendingPathComponent("Package.swift").path) else { return nil }
        return checkout
    }

    /// The first vendor folder in which `relativePath` exists, joined with it.
    public func vendorPath(_ relativePath: String) -> URL? {
        for candidate in vendorCandidates {
            let url = candidate.appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return nil
    }
}
