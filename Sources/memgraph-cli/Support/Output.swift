import Foundation
import MemoryGraph
import Repositories

extension CLI {
    /// Whether a file descriptor is a terminal (0 stdin, 1 stdout, 2 stderr).
    static func isTerminal(_ descriptor: Int32) -> Bool {
        isatty(descriptor) == 1
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
