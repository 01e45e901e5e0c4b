import Foundation
import MemoryGraph
import Operations
import Repositories

extension QueryResult {
    /// An aligned table with scores (depths for TRAVERSE), then TRAVERSE's edges. With `explain`,
    /// RECALL's rows also show each arm's rank (`-` where the arm did not find the node).
    func text(explain: Bool = false) -> String {
        let arms = explain ? evidence : nil
        var header = [isTraverse ? "DEPTH" : "SCORE", "KEY", "CONTEXT TYPE", "SUMMARY"]
        if arms != nil { header.insert(contentsOf: RecallArm.allCases.map { $0.rawValue.uppercased() }, at: 1) }
        var table = TextTable(header: header)
        for (index, row) in rows.enumerated() {
            var cells = [
                isTraverse ? String(Int(row.score)) : Documents.decimal(row.score), Documents.label(row.node),
                row.node.contextType.rawValue, Documents.shortened(row.node.summary, to: 80),
            ]
            if let arms {
                cells.insert(contentsOf: RecallArm.allCases.map { arms[index][$0].map { String($0.rank) } ?? "-" }, at: 1)
            }
            table.rows.append(cells)
        }
        var text = table.description
        if let edges, !edges.isEmpty {
            let keys = keys
            text += "\n\nEDGES\n" + edges.map { edge in
                "\(keys[edge.from] ?? "?") -[\(edge.type.rawValue) \(Documents.decimal(edge.strength))]-> \(keys[edge.to] ?? "?")"
            }.sorted().joined(separator: "\n")
        }
        return text
    }

    /// Labels of the rows' nodes by id.
    private var keys: [UUID: String] {
        Dictionary(rows.compactMap { row in row.node.id.map { ($0, Documents.label(row.node)) } }, uniquingKeysWith: { first, _ in first })
    }
}
