import Foundation
import MemoryGraph
import Repositories

extension CLI {
    /// Whether a file descriptor is a terminal (0 stdin, 1 stdout, 2 stderr).
    static func isTerminal(_ descriptor: Int32) -> Bool {
        isatty(descriptor) == 1
    }

    /// Writes `data` to stdout, after what `print` buffered. A reader that closed the pipe
    /// (`memgraph export --user U | head -1`) ends the command quietly with status 0, as it ends
    /// `cat`; FileHandle's write crashed the process instead.
    static func writeStandardOutput(_ data: Data) {
        fflush(nil)  // every C stream: what print buffered goes out first
        data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDOUT_FILENO, base + offset, bytes.count - offset)
                if written >= 0 {
                    offset += written
                } else if errno == EINTR {
                    continue
                } else if errno == EPIPE {
                    exit(0)
                } else {
                    note("memgraph: error: cannot write the output: \(String(cString: strerror(errno)))")
                    exit(1)
                }
            }
        }
    }
}

/// Rows of text in columns padded to the widest cell; the last column is not padded.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    var description: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
