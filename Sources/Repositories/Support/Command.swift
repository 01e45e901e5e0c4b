import Foundation

/// Runs a program to completion and keeps what it printed. Used for the Postgres binaries.
struct Command {
    var executable: URL
    var arguments: [String]
    /// When set (memgraph runs as root), the program runs as this unprivileged user through runuser.
    var user: String?

    struct Result {
        var status: Int32
        var output: String
    }

    func run() throws -> Result {
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", user, "--", executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        // pg_ctl start leaves postgres running: it must not hold our pipe open, so its output goes to a file.
        let outputURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("memgraph-cmd-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let handle = try FileHandle(forWritingTo: outputURL)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw RepositoriesError(.embeddedCluster, "cannot run \(executable.lastPathComponent): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        try? handle.close()
        let output = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, output: output)
    }
}
