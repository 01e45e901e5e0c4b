import ArgumentParser
import Foundation
import MemoryGraph

extension Memgraph {
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure memgraph on this machine; prints its figures (--json: one JSON document).",
            discussion: """
                Use a release build (swift build -c release) for figures worth quoting. The machine may be \
                shared and noisy: compare ratios within one run.
                """,
            subcommands: [Encoder.self, Store.self, Pipeline.self, Recall.self, Serve.self]
        )
    }
}

/// A benchmark's JSON report as aligned lines for people (`bench store` and `bench pipeline`
/// without `--json`): one figure a line, keys in order, nested objects as dotted names; a latency
/// summary (`p50_ms`, `p95_ms`, `p99_ms`, `count`) on one line; an array of objects a row each.
enum BenchText {
    static func render(_ report: JSONValue) -> String {
        var lines: [(name: String, value: String)] = []
        collect(report, name: "", into: &lines)
        let width = lines.map(\.name.count).max() ?? 0
        return lines.map { $0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.value }
            .joined(separator: "\n")
    }

    private static func collect(_ value: JSONValue, name: String, into lines: inout [(name: String, value: String)]) {
        switch value {
        case .object(let fields) where fields["p50_ms"] != nil:
            lines.append((name, ["p50", "p95", "p99"].map { "\($0) \(number(fields["\($0)_ms"])) ms" }.joined(separator: "  ")
                + (fields["count"].map { "  (\(number($0)) samples)" } ?? "")))
        case .object(let fields):
            for key in fields.keys.sorted() {
                collect(fields[key]!, name: name.isEmpty ? key : "\(name).\(key)", into: &lines)
            }
        case .array(let rows):
            for (index, row) in rows.enumerated() {
                if case .object(let fields) = row {
                    lines.append(("\(name)[\(index)]", fields.keys.sorted().map { "\($0) \(number(fields[$0]))" }.joined(separator: "  ")))
                } else {
                    collect(row, name: "\(name)[\(index)]", into: &lines)
                }
            }
        default:
            lines.append((name, number(value)))
        }
    }

    /// Whole numbers as integers, others to three decimals; strings as they are.
    private static func number(_ value: JSONValue?) -> String {
        switch value {
        case .number(let n) where n.rounded() == n && abs(n) <= JSONValue.largestSafeInteger: return String(Int(n))
        case .number(let n): return String(format: "%.3f", n)
        case .string(let s): return s
        case .bool(let b): return String(b)
        case .null, nil: return "n/a"
        case .array, .object: return CLI.jsonText(value!)
        }
    }
}
