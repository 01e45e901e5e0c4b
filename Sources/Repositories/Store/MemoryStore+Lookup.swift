import Foundation
import MemoryGraph
import PostgresNIO

extension MemoryStore {
    /// LOOKUP: the node under a natural key ("sarah-chen"), through kv_store.
    ///
    /// One round trip: `memory.lookup_node` sets the user for row-level security and reads, in
    /// one statement (a plain `withUser` transaction costs four).
    public func lookup(_ user: UserID, key: String) async throws -> MemoryNode? {
        do {
            return try await database.client.withConnection { connection in
                let rows = try await connection.query(
                    "SELECT \(unescaped: NodeRecord.joinedSelectList) FROM memory.lookup_node(\(user.rawValue), \(key)) n",
                    logger: database.logger)
                for try await row in rows {
                    let node = try NodeRecord(row: row).node
                    database.accessLog.record(user, node.id.map { [$0] } ?? [])
                    return node
                }
                return nil
            }
        } catch {
            throw RepositoriesError.wrap(error, operation: "lookup", user: user.rawValue)
        }
    }
}
