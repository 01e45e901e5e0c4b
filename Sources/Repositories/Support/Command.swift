import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a program to completion and keeps what it printed. Used for the Postgres binaries.
///
/// It spawns with posix_spawn and waits with waitpid rather than using Foundation's `Process`:
/// `pg_ctl start` leaves postgres running with the descriptors it inherited, and `Process` then
/// never sees its child end.
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
        let argv: [String]
        if let user {
            argv = ["/usr/sbin/runuser", "-u", user, "--", executable.path] + arguments
        } else {
            argv = [executable.path] + arguments
        }
        let outputURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("memgraph-cmd-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: outputURL) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else {
            throw RepositoriesError(
                .embeddedCluster, "cannot run \(executable.lastPathComponent): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else {
                throw RepositoriesError(.embeddedCluster, "lost track of \(executable.lastPathComponent): \(String(cString: strerror(errno)))")
            }
        }
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let output = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        return Result(status: code, output: output)
    }
}
