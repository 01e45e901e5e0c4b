import Foundation
import MemoryGraph

/// Draws a subgraph around a root node as an indented tree, JSON, Graphviz DOT or Mermaid.
public struct GraphRenderer: Sendable {
    public var graph: Subgraph
    public var root: UUID

    private var nodes: [UUID: MemoryNode] {
        Dictionary(graph.nodes.map { ($0.node.id!, $0.node) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Text

    /// The root, then each node under the node it was first reached from (breadth first), with the
    /// edge's type, strength and direction (`->` away from the parent, `<-` towards it). Edges
    /// that are not part of that tree are listed after it.
    public var text: String {
        let nodes = nodes
        let depth = Dictionary(graph.nodes.map { ($0.node.id!, $0.depth) }, uniquingKeysWith: { first, _ in first })
        var children: [UUID: [(edge: Relationship, child: UUID)]] = [:]
        var placed: Set<UUID> = [root]
        var treeEdges: Set<UUID> = []
        // Parents by increasing depth, so that each node hangs under a node one level up.
        for entry in graph.nodes {
            let parent = entry.node.id!
            for edge in graph.edges.sorted(by: { $0.strength > $1.strength }) where edge.from == parent || edge.to == parent {
                let child = edge.from == parent ? edge.to : edge.from
                guard !placed.contains(child), depth[child] == (depth[parent] ?? 0) + 1 else { continue }
                placed.insert(child)
                treeEdges.insert(edge.id!)
                children[parent, default: []].append((edge, child))
            }
        }
        var lines = [Self.describe(nodes[root])]
        func walk(_ parent: UUID, prefix: String) {
            let list = children[parent] ?? []
            for (offset, item) in list.enumerated() {
                let last = offset == list.count - 1
                let arrow = item.edge.from == parent ? "->" : "<-"
                lines.append(
                    prefix + (last ? "└─ " : "├─ ")
                        + "\(arrow) \(item.edge.type.rawValue) \(Documents.decimal(item.edge.strength))  \(Self.describe(nodes[item.child]))")
                walk(item.child, prefix: prefix + (last ? "   " : "│  "))
            }
        }
        walk(root, prefix: "")
        if let note = truncatedNote { lines.append("(\(note))") }
        let others = graph.edges.filter { !treeEdges.contains($0.id!) }
        if !others.isEmpty {
            lines.append("")
            lines.append("also:")
            for edge in others {
                let from = nodes[edge.from].map(Documents.label) ?? "?"
                let to = nodes[edge.to].map(Documents.label) ?? "?"
                lines.append("  \(from) -[\(edge.type.rawValue) \(Documents.decimal(edge.strength))]-> \(to)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func describe(_ node: MemoryNode?) -> String {
        guard let node else { return "?" }
        return "\(Documents.label(node)) [\(node.contextType.rawValue)] \(Documents.shortened(node.summary, to: 70))"
    }

    // MARK: JSON

    /// A sentence when the walk stopped at its node cap.
    public var truncatedNote: String? {
        guard graph.truncated else { return nil }
        let deepest = graph.nodes.map(\.depth).max() ?? 0
        let hint = deepest > 1 ? "try a smaller depth" : "the root alone has more neighbours than that"
        return "truncated: the walk stopped at \(graph.nodes.count) nodes (the cap is \(Subgraph.defaultNodeCap)); the nearest are shown, \(hint)"
    }

    /// `{"root": id, "nodes": [... with "depth"], "edges": [...], "truncated": bool}`.
    public var json: JSONValue {
        let keys = Dictionary(
            graph.nodes.compactMap { entry in entry.node.lookupKey.map { (entry.node.id!, $0) } },
            uniquingKeysWith: { first, _ in first })
        return [
            "root": .string(root.uuidString.lowercased()),
            "nodes": .array(graph.nodes.map { entry in
                guard case .object(var object) = Documents.json(entry.node) else { return .null }
                object["depth"] = .number(Double(entry.depth))
                return .object(object)
            }),
            "edges": .array(graph.edges.map { Documents.json($0, keys: keys) }),
            "truncated": .bool(graph.truncated),
        ]
    }

    // MARK: DOT and Mermaid

    /// Short node names (`n0` is the root) in the order of `graph.nodes`.
    private var names: [UUID: String] {
        var names: [UUID: String] = [:]
        for (index, entry) in graph.nodes.enumerated() { names[entry.node.id!] = "n\(index)" }
        return names
    }

    /// Graphviz DOT: boxes labelled with key, context type and the start of the summary.
    public var dot: String {
        let names = names
        var lines = [
            "digraph memgraph {", "  rankdir=LR;",
            "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f5f5f5\", fontname=\"Helvetica\", fontsize=10];",
            "  edge [fontname=\"Helvetica\", fontsize=9];",
        ]
        for entry in graph.nodes {
            let node = entry.node
            let label = "\(Documents.label(node))\n\(node.contextType.rawValue)\n\(Documents.shortened(node.summary, to: 40))"
            let extra = node.id == root ? ", penwidth=2, fillcolor=\"#dbe9ff\"" : ""
            lines.append("  \(names[node.id!]!) [label=\(Self.dotString(label))\(extra)];")
        }
        for edge in graph.edges {
            guard let from = names[edge.from], let to = names[edge.to] else { continue }
            lines.append("  \(from) -> \(to) [label=\(Self.dotString("\(edge.type.rawValue) \(Documents.decimal(edge.strength))"))];")
        }
        if let note = truncatedNote { lines.append("  // \(note)") }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    /// A DOT double-quoted string; newlines become `\n` line breaks.
    static func dotString(_ text: String) -> String {
        var result = "\""
        for character in text {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": continue
            default: result.append(character)
            }
        }
        return result + "\""
    }

    /// A Mermaid flowchart, left to right.
    public var mermaid: String {
        let names = names
        var lines = ["flowchart LR"]
        for entry in graph.nodes {
            let node = entry.node
            let label = "\(Documents.label(node))<br/>\(node.contextType.rawValue)<br/>\(Documents.shortened(node.summary, to: 40))"
            lines.append("  \(names[node.id!]!)[\"\(Self.mermaidText(label))\"]")
        }
        for edge in graph.edges {
            guard let from = names[edge.from], let to = names[edge.to] else { continue }
            lines.append("  \(from) -->|\"\(edge.type.rawValue) \(Documents.decimal(edge.strength))\"| \(to)")
        }
        if let rootName = names[root] { lines.append("  style \(rootName) stroke-width:3px") }
        if let note = truncatedNote { lines.append("  %% \(note)") }
        return lines.joined(separator: "\n")
    }

    /// Text for a quoted Mermaid label: quotes and angle brackets as entity codes (`<br/>` kept).
    static func mermaidText(_ text: String) -> String {
        let breakMark = "\u{1}"
        return text.replacingOccurrences(of: "<br/>", with: breakMark)
            .replacingOccurrences(of: "#", with: "#35;")
            .replacingOccurrences(of: "\"", with: "#quot;")
            .replacingOccurrences(of: "<", with: "#lt;")
            .replacingOccurrences(of: ">", with: "#gt;")
            .replacingOccurrences(of: "|", with: "#124;")
            .replacingOccurrences(of: breakMark, with: "<br/>")
    }
}
