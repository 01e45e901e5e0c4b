import Foundation
import MemoryGraph
import PostgresNIO
import Testing
@testable import Repositories

@Suite("kv_store and LOOKUP", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct KVStoreTests {
    @Test("kv_store follows insert, key update, soft delete and hard delete")
    func follows() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let sarah = try await store.remember(user, entity("sf", "CON-1", name: "Sarah Chen", summary: "VP of engineering"))
        #expect(try await store.lookup(user, key: "sarah-chen")?.id == sarah.nodeID)

        // Update of the key: an explicit key replaces the derived one.
        _ = try await store.remember(user, { var n = entity("sf", "CON-1"); n.key = "sarah"; return n }())
        #expect(try await store.lookup(user, key: "sarah")?.id == sarah.nodeID)
        #expect(try await store.lookup(user, key: "sarah-chen") == nil)

        // Soft delete hides it from LOOKUP; storing the entity again brings it back.
        #expect(try await store.forget(user, id: sarah.nodeID))
        #expect(try await store.lookup(user, key: "sarah") == nil)
        #expect(try await store.node(user, id: sarah.nodeID) == nil)
        _ = try await store.remember(user, entity("sf", "CON-1"))
        #expect(try await store.lookup(user, key: "sarah")?.id == sarah.nodeID)

        // Hard delete removes the entry.
        #expect(try await store.forget(user, id: sarah.nodeID, hard: true))
        #expect(try await store.lookup(user, key: "sarah") == nil)
        let entries = try await store.database.withUser(user, operation: "test") { connection in
            try await store.kvEntries.count(user, on: connection)
        }
        #expect(entries == 0)
    }

    @Test("an explicit key wins over a derived one, and the derived owner gets it back when the keyed node goes")
    func explicitWins() async throws {
        let store = try await TestDatabase.store()
        let user = freshUser()
        let derived = try await store.remember(user, entity("sf", "X1", name: "Acme Corp"))
        let keyed = try await store.remember(user, MemoryNode(key: "acme-corp", contextType: .conversationFact, summary: "a note"))
        #expect(try await store.lookup(user, key: "acme-corp")?.id == keyed.nodeID)
        try await store.forget(user, id: keyed.nodeID, hard: true)
        #expect(try await store.lookup(user, key: "acme-corp")?.id == derived.nodeID)
    }

    @Test("after a crash, a store that stayed up and wrote since still finds the old keys (issue 27, item 1)")
    func crashLeavesNoHalfEmptyCache() async throws {
        try await TestDatabase.withOwnCluster("crash") { cluster, home, _, database in
            // A new home holds the cluster's passwords: no one else may list or read it (issue 27, item 6).
            let attributes = try FileManager.default.attributesOfItem(atPath: home.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == (getuid() == 0 ? 0o711 : 0o700))
            let credentials = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent("credentials.json").path)
            #expect((credentials[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            // The log holds failed statements with their values; the data folder, the memories.
            let log = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent("postgres.log").path)
            #expect((log[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let data = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent("pgdata").path)
            #expect((data[.posixPermissions] as? NSNumber)?.intValue == 0o700)
            let store = MemoryStore(database: database)
            let user = freshUser()
            for index in 0..<3 {
                try await store.remember(user, MemoryNode(key: "old-\(index)", contextType: .conversationFact, summary: "old \(index)"))
            }
            // A crash: immediate stop, then crash recovery empties the UNLOGGED kv_store.
            try cluster.stop(immediate: true)
            _ = try cluster.start()
            // The store stayed up; its pool reconnects. Its first write after the crash puts one
            // entry in kv_store, so the cache is no longer empty, yet it holds none of the old keys.
            var written = false
            for _ in 0..<50 where !written {
                do {
                    try await store.remember(user, MemoryNode(key: "new-0", contextType: .conversationFact, summary: "new"))
                    written = true
                } catch {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            #expect(written)
            for index in 0..<3 {
                #expect(try await store.lookup(user, key: "old-\(index)")?.summary == "old \(index)")
            }
            #expect(try await store.lookup(user, key: "new-0")?.summary == "new")
            #expect(try await store.fuzzy(user, text: "old-1").first?.node.key == "old-1")
        }
    }

    @Test("after TRUNCATE memory.kv_store, restarting the store rebuilds it")
    func rebuild() async throws {
        try await TestDatabase.withScratch { name, configuration in
            let user = freshUser()
            let ids = try await Database.withDatabase(configuration, logger: TestDatabase.logger) { database in
                try await MemoryStore(database: database).remember(user, [
                    entity("sf", "1", name: "Sarah Chen"), entity("sf", "2", name: "Marcus Webb"),
                    MemoryNode(key: "renewal", contextType: .conversationFact, summary: "renewal in March"),
                ]).map(\.nodeID)
            }
            try await TestDatabase.asSuperuser(database: name) { connection in
                try await connection.query("TRUNCATE memory.kv_store", logger: TestDatabase.logger)
            }
            let (rebuilt, found) = try await Database.withDatabase(configuration, logger: TestDatabase.logger) { database in
                let store = MemoryStore(database: database)
                return (database.startup.rebuiltKVEntries, [
                    try await store.lookup(user, key: "sarah-chen")?.id, try await store.lookup(user, key: "marcus-webb")?.id,
                    try await store.lookup(user, key: "renewal")?.id,
                ])
            }
            #expect(rebuilt == 3)
            #expect(found == ids.map { Optional($0) })
        }
    }
}
