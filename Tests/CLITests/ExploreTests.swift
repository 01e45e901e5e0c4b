import Foundation
import MemoryGraph
import Testing

@Suite("memgraph explore", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct ExploreTests {
    static func explore(_ user: UserID, _ extra: [String]) async throws -> Run {
        try await Memgraph.run(["explore", "acme-corp", "--user", user.rawValue, "--depth", "1"] + extra)
    }

    /// Runs Graphviz's dot on `source`; its exit status.
    static func graphviz(_ source: String, format: String) throws -> Int32 {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-\(UUID().uuidString).dot")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(source.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["dot", "-T\(format)", "-o", "/dev/null", file.path]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test("text is an indented tree with relationship types and strengths")
    func text() async throws {
        let user = try await crmUser()
        let run = try await Self.explore(user, [])
        #expect(run.status == 0, "\(run)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("acme-corp [domain_entity]") == true, "\(run)")
        #expect(lines.contains { $0.contains("<- belongs_to 1.00  sarah-chen [domain_entity]") }, "\(run)")
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("├─") || $0.hasPrefix("└─") || $0.hasPrefix("│") || $0.hasPrefix(" ") || $0 == "also:" }, "\(run)")
    }

    @Test("json has the nodes with depths and the edges")
    func json() async throws {
        let user = try await crmUser()
        let run = try await Self.explore(user, ["--format", "json"])
        #expect(run.status == 0, "\(run)")
        let document = try run.json()
        let nodes = try #require(document["nodes"]?.arrayValue)
        #expect(nodes.first?["key"] == "acme-corp")
        #expect(nodes.first?["depth"] == .number(0))
        #expect(document["root"] == nodes.first?["node_id"])
        #expect(try #require(document["edges"]?.arrayValue).count >= nodes.count - 1)
    }

    @Test("dot output is accepted by Graphviz")
    func dot() async throws {
        let user = try await crmUser()
        let run = try await Self.explore(user, ["--format", "dot"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.hasPrefix("digraph memgraph {"))
        #expect(try Self.graphviz(run.stdout, format: "svg") == 0)
        // Also at depth 2, with summaries full of punctuation and quotes.
        let deeper = try await Memgraph.run(["explore", "acme-corp", "--user", user.rawValue, "--format", "dot"])
        #expect(try Self.graphviz(deeper.stdout, format: "svg") == 0)
    }

    @Test("mermaid output is a flowchart with every edge")
    func mermaid() async throws {
        let user = try await crmUser()
        let run = try await Self.explore(user, ["--format", "mermaid"])
        #expect(run.status == 0, "\(run)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.first == "flowchart LR")
        let json = try await Self.explore(user, ["--format", "json"])
        let edges = try #require(json.json()["edges"]?.arrayValue)
        #expect(lines.filter { $0.contains(" -->|") }.count == edges.count)
        #expect(lines.contains { $0.contains("-->|\"belongs_to 1.00\"|") })
        #expect(!lines.dropFirst().contains { $0.filter { $0 == "\"" }.count % 2 == 1 }, "unbalanced quotes")
    }

    @Test("png writes a PNG image")
    func png() async throws {
        let user = try await crmUser()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await Self.explore(user, ["--format", "png", "--output", file.path])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.isEmpty)
        let image = try Data(contentsOf: file)
        #expect(image.count > 1_000)
        #expect(Array(image.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: a picture with a size.
        #expect(Array(image[12..<16]) == Array("IHDR".utf8))
    }

    @Test("an unknown key is an error naming it")
    func unknownKey() async throws {
        let run = try await Memgraph.run(["explore", "nobody", "--user", freshUser().rawValue])
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("no node has the key \"nobody\""), "\(run)")
    }

    @Test("a depth out of range is wrong usage")
    func badDepth() async throws {
        let run = try await Memgraph.run(["explore", "acme-corp", "--user", "u", "--depth", "11"])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains("--depth"), "\(run)")
    }
}
