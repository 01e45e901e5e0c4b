import Foundation

/// Where memgraph keeps its files: the data directory (`MEMGRAPH_HOME`, default `./.memgraph`)
/// and the vendor folder that `scripts/setup` fills with the Postgres binaries and the model.
///
/// The vendor folder is looked for in this order:
/// 1. `MEMGRAPH_VENDOR_DIR`;
/// 2. `$MEMGRAPH_HOME/vendor`;
/// 3. `.memgraph/vendor` in the current directory or any parent;
/// 4. `.memgraph/vendor` in a parent of the running executable (a build inside the checkout).
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
        let starts = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true),
            URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
                .deletingLastPathComponent(),
        ]
        for start in starts {
            var directory = start.standardizedFileURL
            while true {
                result.append(directory.appendingPathComponent(".memgraph/vendor", isDirectory: true))
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        var seen = Set<String>()
        return result.filter { seen.insert($0.standardizedFileURL.path).inserted }
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
