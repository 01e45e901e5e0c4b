import Foundation
import MemoryGraph
import Testing

/// The repository's `fixtures/` folder, found from this file so tests run from any directory.
let fixturesFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures")

func fixture(_ relativePath: String) -> URL {
    fixturesFolder.appendingPathComponent(relativePath)
}

@Suite("Fixture loader: sample fixtures", .timeLimit(.minutes(5)))
struct FixtureLoaderTests {
    @Test("each sample fixture loads without problems or dangling ends", arguments: [
        ("crm.json", 52, 60), ("support.jsonl", 38, 41), ("engineering", 45, 71),
    ])
    func sample(path: String, nodes: Int, relationships: Int) throws {
        let set = try FixtureLoader.load(paths: [fixture(path)])
        #expect(set.nodes.count == nodes)
        #expect(set.relationships.count == relationships)
        #expect(set.unresolvedReferences.isEmpty)
    }

    @Test("the CRM holds Sarah Chen, VP of Engineering at Acme Corp")
    func sarahChen() throws {
        let set = try FixtureLoader.load(paths: [fixture("crm.json")])
        #expect(set.userID?.rawValue == "demo-consultant")
        let index = try #require(set.nodeIndex(forKey: "sarah-chen"))
        let sarah = set.nodes[index]
        #expect(sarah.node.contextType == .domainEntity)
        #expect(sarah.node.summary?.contains("VP of Engineering at Acme Corp") == true)
        #expect(sarah.node.content["entity_name"] == "Sarah Chen")
        #expect(sarah.location.description.hasSuffix("crm.json: $.nodes[10]"))
        #expect(set.relationships.contains { $0.fromKey == "sarah-chen" && $0.toKey == "acme-corp" && $0.type == .belongsTo })
    }

    @Test("a key left out is the slug of entity_name")
    func derivedKey() throws {
        let set = try FixtureLoader.load(paths: [fixture("crm.json")])
        let tom = try #require(set.nodes.first { $0.node.content["entity_name"] == "Tom Becker" })
        #expect(tom.node.key == nil)
        #expect(tom.key == "tom-becker")
    }

    @Test("the same entity twice is kept for the store to merge")
    func repeatedEntity() throws {
        let set = try FixtureLoader.load(paths: [fixture("crm.json")])
        let acme = set.nodes.filter { $0.key == "acme-corp" }
        #expect(acme.count == 2)
        #expect(Set(acme.map(\.node.entityIdentity)) == [EntityIdentity(system: "salesforce", id: "ACC-001")])
        #expect(acme[0].node.content["entity_data"] != acme[1].node.content["entity_data"])
    }

    @Test("together the samples use every importable context type and every relationship type")
    func coverage() throws {
        let set = try FixtureLoader.load(paths: [fixture("crm.json"), fixture("support.jsonl"), fixture("engineering")])
        #expect(Set(set.nodes.map(\.node.contextType)) == Set(ContextType.allCases).subtracting([.temporaryState]))
        #expect(Set(set.relationships.map(\.type)) == Set(RelationshipType.allCases))
        #expect(set.unresolvedReferences.isEmpty)
        // Summaries are sentences, as SEARCH embeds them.
        #expect(set.nodes.allSatisfy { ($0.node.summary?.count ?? 0) >= 20 })
    }

    @Test("a directory is read in name order, without subdirectories or schemas")
    func directory() throws {
        let set = try FixtureLoader.load(paths: [fixture("engineering")])
        #expect(set.files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["documents.jsonl", "services.json"])
        let all = try FixtureLoader.load(paths: [fixturesFolder])
        #expect(all.files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["crm.json", "support.jsonl"])
        #expect(all.skipped.map { URL(fileURLWithPath: $0).lastPathComponent } == ["broken", "engineering", "fixture.schema.json"])
    }

    @Test("a file named twice is read once")
    func sameFileTwice() throws {
        let set = try FixtureLoader.load(paths: [fixture("crm.json"), fixture("./crm.json")])
        #expect(set.files.count == 1)
        #expect(set.nodes.count == 52)
        // Through a symbolic link too (it was read twice, and its problems reported twice).
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-links-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let link = directory.appendingPathComponent("linked.json")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: fixture("crm.json"))
        let linked = try FixtureLoader.load(paths: [fixture("crm.json"), link])
        #expect(linked.files.count == 1 && linked.nodes.count == 52, "\(linked.files)")
    }

    @Test("locations name the file as given, then the line and the JSON path")
    func locationText() {
        #expect(FixtureLocation(file: "crm.json", path: "$.nodes[3]").description == "crm.json: $.nodes[3]")
        #expect(FixtureLocation(file: "a.jsonl", line: 7).description == "a.jsonl: line 7")
        #expect(FixtureLocation(file: "a.jsonl", line: 7, path: "$.strength").description == "a.jsonl: line 7: $.strength")
        #expect(FixtureLocation(file: "a.json", line: 3, column: 14).description == "a.json: line 3, column 14")
        #expect(FixtureLocation(file: "a.jsonl", line: 2, path: "$").description == "a.jsonl: line 2")
        #expect(FixtureLocation(file: "a.json", path: "$").description == "a.json: $")
    }
}
