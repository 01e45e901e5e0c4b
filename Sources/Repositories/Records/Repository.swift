import Foundation
import Logging
import MemoryGraph
import PostgresNIO

/// A column a repository may filter or order by. The names come from a fixed list in code,
/// never from input, since identifiers cannot be bound.
public protocol RepositoryColumn: RawRepresentable<String>, Sendable, CaseIterable {}

/// A row type that ``Repository`` can store and read.
public protocol RepositoryRecord: Sendable {
    associatedtype Column: RepositoryColumn
    /// The table, schema-qualified. A constant.
    static var table: String { get }
    /// The columns read by `find` and `get`, in the order ``init(row:)`` decodes them. A constant.
    static var selectList: String { get }
    /// The id column used by `get` and `delete`.
    static var idColumn: Column { get }
    /// Set for tables with soft delete: rows where it is not NULL are hidden from every read.
    static var softDeleteColumn: Column? { get }
    /// Decodes one row selected with ``selectList``.
    init(row: PostgresRow) throws
    /// The statements that upsert `records` in one batch (each one statement, UNNEST-based),
    /// each returning `(id uuid, inserted bool)` per row, in any order, plus the index of the record.
    static func upsertStatements(_ user: UserID, _ records: [Self], context: RecordContext) throws -> [UpsertStatement]
}

/// What a record needs from the database to encode and check itself (pgvector's OIDs, the
/// configured bound on a node's content).
public struct RecordContext: Sendable {
    let vectorTypes: VectorTypes
    let maximumContentBytes: Int
    /// The embedding worker that a node write's new jobs are written claimed by (nil: pending, for
    /// any worker; see ``NodeRecord/sql(conflict:join:)``).
    var claimant: String? = nil
}

/// One batched upsert: SQL plus binds. Its rows are `(ordinal int8, id uuid, inserted bool, now()
/// timestamptz)`; `ordinal` is the 1-based position of the record among `records` of
/// ``Repository/upsert(_:_:)``.
///
/// A statement may be built lazily: ``Repository/upsert(_:_:on:)`` builds the next statement's binds
/// on another core while the database runs the current one.
public struct UpsertStatement: Sendable {
    let build: @Sendable () throws -> UpsertCall

    init(query: PostgresQuery) {
        build = { .query(query) }
    }

    init(building build: @escaping @Sendable () throws -> UpsertCall) {
        self.build = build
    }
}

/// How an upsert statement is sent: unnamed (parsed and planned for its binds each time), or as
/// a statement prepared once per connection.
enum UpsertCall: Sendable {
    case query(PostgresQuery)
    case prepared(any PreparedUpsertStatement)

    /// Runs it; its rows, `(ordinal, id, inserted, writtenAt)`.
    func run(on connection: PostgresConnection, logger: Logger) async throws -> [(Int, UUID, Bool, Date)] {
        var rows: [(Int, UUID, Bool, Date)] = []
        switch self {
        case .query(let query):
            for try await row in try await connection.query(query, logger: logger).decode((Int, UUID, Bool, Date).self) {
                rows.append(row)
            }
        case .prepared(let statement):
            rows = try await statement.run(on: connection, logger: logger)
        }
        return rows
    }
}

/// An upsert statement that is prepared on a connection the first time that connection runs it.
protocol PreparedUpsertStatement: Sendable {
    func run(on connection: PostgresConnection, logger: Logger) async throws -> [(Int, UUID, Bool, Date)]
}

/// The fixed SQL of one upsert rule, and the name it is prepared under.
protocol NodeUpsertRule {
    static var name: String { get }
    static var sql: String { get }
}

/// A rule's statement with one call's binds, prepared once per connection. Its result columns
/// are stated in its SQL, so a migration that adds a column to the table does not change its
/// result type; a schema change makes Postgres plan it again.
struct PreparedUpsert<Rule: NodeUpsertRule>: PostgresPreparedStatement, PreparedUpsertStatement {
    static var name: String { Rule.name }
    static var sql: String { Rule.sql }
    typealias Row = (Int, UUID, Bool, Date)

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }

    func run(on connection: PostgresConnection, logger: Logger) async throws -> [(Int, UUID, Bool, Date)] {
        var rows: [(Int, UUID, Bool, Date)] = []
        for try await row in try await connection.execute(self, logger: logger) { rows.append(row) }
        return rows
    }
}

/// The outcome of upserting one record.
public struct UpsertOutcome: Sendable, Equatable {
    public var id: UUID
    public var inserted: Bool
    /// The writing transaction's `now()`: what the rows' and their jobs' `created_at` hold.
    public var writtenAt: Date
}

/// A filter on one column.
public struct RepositoryFilter<Record: RepositoryRecord>: Sendable {
    enum Operator: String, Sendable { case equal = "=", less = "<", greater = ">", contains = "@>" }
    let column: Record.Column
    let op: Operator
    let value: any PostgresThrowingDynamicTypeEncodable & Sendable

    /// `column = value`.
    public static func equals(_ column: Record.Column, _ value: some PostgresThrowingDynamicTypeEncodable & Sendable) -> Self {
        .init(column: column, op: .equal, value: value)
    }
    /// `column < value`.
    public static func lessThan(_ column: Record.Column, _ value: some PostgresThrowingDynamicTypeEncodable & Sendable) -> Self {
        .init(column: column, op: .less, value: value)
    }
    /// `column > value`.
    public static func greaterThan(_ column: Record.Column, _ value: some PostgresThrowingDynamicTypeEncodable & Sendable) -> Self {
        .init(column: column, op: .greater, value: value)
    }
    /// `column @> value`, for arrays and jsonb.
    public static func contains(_ column: Record.Column, _ value: some PostgresThrowingDynamicTypeEncodable & Sendable) -> Self {
        .init(column: column, op: .contains, value: value)
    }
}

/// An ORDER BY term.
public struct RepositoryOrder<Record: RepositoryRecord>: Sendable {
    let column: Record.Column
    let descending: Bool
    public static func ascending(_ column: Record.Column) -> Self { .init(column: column, descending: false) }
    public static func descending(_ column: Record.Column) -> Self { .init(column: column, descending: true) }
}

/// The generic data access over memory.nodes, relationships, kv_store and embeddings
/// (seed 003's `Repository`, made user-scoped): every call takes the `UserID` first and every
/// statement carries `user_id = $1`; there is no unscoped call.
///
/// Calls run on the connection they are given, so several can share one transaction
/// (``Database/withUser(_:operation:_:)``).
///
/// ```swift
/// let nodes = Repository<NodeRecord>()
/// let recent = try await nodes.find(user, on: connection, order: [.descending(.createdAt)], limit: 10)
/// ```
public struct Repository<Record: RepositoryRecord>: Sendable {
    let context: RecordContext
    let logger: Logger

    public init(database: Database) {
        self.context = RecordContext(
            vectorTypes: database.vectorTypes, maximumContentBytes: database.configuration.maximumContentBytes)
        self.logger = database.logger
    }

    /// Upserts one record. - Throws: `RepositoriesError`.
    @discardableResult
    public func upsert(_ user: UserID, _ record: Record, on connection: PostgresConnection) async throws -> UpsertOutcome {
        try await upsert(user, [record], on: connection)[0]
    }

    /// Upserts many records in batched statements (UNNEST), not a loop of single inserts. While
    /// one statement runs, the next one's binds are encoded (a child task): a 100,000-node batch
    /// spends about 0.6 s encoding, which then overlaps the database's work.
    /// - Parameter claimant: the embedding worker that new nodes' jobs are written claimed by
    ///   (``QueuedTexts/claimantForWrite()``); nil writes them pending. Only nodes use it.
    /// - Returns: one outcome per record, in the order given.
    /// - Throws: `RepositoriesError`.
    public func upsert(
        _ user: UserID, _ records: [Record], on connection: PostgresConnection, claimant: String? = nil
    ) async throws -> [UpsertOutcome] {
        guard !records.isEmpty else { return [] }
        var outcomes = [UpsertOutcome?](repeating: nil, count: records.count)
        var context = self.context
        context.claimant = claimant
        let statements = try Record.upsertStatements(user, records, context: context)
        var call = try statements.first?.build()
        for index in statements.indices {
            guard let current = call else { break }
            async let next: UpsertCall? = index + 1 < statements.count ? try statements[index + 1].build() : nil
            for (ordinal, id, inserted, writtenAt) in try await current.run(on: connection, logger: logger) {
                outcomes[ordinal - 1] = UpsertOutcome(id: id, inserted: inserted, writtenAt: writtenAt)
            }
            call = try await next
        }
        return try outcomes.enumerated().map { index, outcome in
            guard let outcome else {
                throw RepositoriesError(.query, "record \(index + 1) of the batch was not written", operation: "upsert", user: user.rawValue)
            }
            return outcome
        }
    }

    /// Rows of `user` matching every filter, in order, at most `limit` (soft-deleted ones too with
    /// `includeRemoved`).
    public func find(
        _ user: UserID, on connection: PostgresConnection, where filters: [RepositoryFilter<Record>] = [],
        order: [RepositoryOrder<Record>] = [], limit: Int? = nil, includeRemoved: Bool = false
    ) async throws -> [Record] {
        var bindings = PostgresBindings()
        let whereClause = try scope(user, filters, includeRemoved: includeRemoved, into: &bindings)
        var sql = "SELECT \(Record.selectList) FROM \(Record.table) WHERE \(whereClause)"
        if !order.isEmpty {
            sql += " ORDER BY " + order.map { "\($0.column.rawValue) \($0.descending ? "DESC" : "ASC")" }.joined(separator: ", ")
        }
        if let limit {
            bindings.append(max(0, limit))
            sql += " LIMIT $\(bindings.count)"
        }
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: bindings), on: connection)
    }

    /// The row with this id, unless it is absent or soft-deleted (or, with `includeRemoved`, also
    /// when it is soft-deleted).
    public func get(_ user: UserID, id: UUID, includeRemoved: Bool = false, on connection: PostgresConnection) async throws -> Record? {
        try await find(user, on: connection, where: [.equals(Record.idColumn, id)], limit: 1, includeRemoved: includeRemoved).first
    }

    /// How many rows of `user` match.
    public func count(_ user: UserID, on connection: PostgresConnection, where filters: [RepositoryFilter<Record>] = []) async throws -> Int {
        var bindings = PostgresBindings()
        let whereClause = try scope(user, filters, into: &bindings)
        let query = PostgresQuery(unsafeSQL: "SELECT count(*)::int8 FROM \(Record.table) WHERE \(whereClause)", binds: bindings)
        for try await count in try await connection.query(query, logger: logger).decode(Int.self) {
            return count
        }
        return 0
    }

    /// Hides the row from every read (tables with soft delete), or deletes it. Returns whether a row changed.
    @discardableResult
    public func delete(_ user: UserID, id: UUID, soft: Bool = true, on connection: PostgresConnection) async throws -> Bool {
        var bindings = PostgresBindings()
        // A hard delete reaches a soft-deleted row too: removing for good what was hidden.
        let whereClause = try scope(user, [.equals(Record.idColumn, id)], includeRemoved: !soft, into: &bindings)
        let sql: String
        if soft, let column = Record.softDeleteColumn {
            sql = "UPDATE \(Record.table) SET \(column.rawValue) = now() WHERE \(whereClause) RETURNING 1"
        } else {
            sql = "DELETE FROM \(Record.table) WHERE \(whereClause) RETURNING 1"
        }
        return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).collect().count > 0
    }

    /// `user_id = $1 AND <not deleted> AND filters…`, binding the values (without the soft-delete
    /// term when `includeRemoved`).
    private func scope(
        _ user: UserID, _ filters: [RepositoryFilter<Record>], includeRemoved: Bool = false, into bindings: inout PostgresBindings
    ) throws -> String {
        bindings.append(user.rawValue)
        var terms = ["user_id = $1"]
        if !includeRemoved, let column = Record.softDeleteColumn { terms.append("\(column.rawValue) IS NULL") }
        for filter in filters {
            try append(filter.value, to: &bindings)
            terms.append("\(filter.column.rawValue) \(filter.op.rawValue) $\(bindings.count)")
        }
        return terms.joined(separator: " AND ")
    }

    private func append(_ value: some PostgresThrowingDynamicTypeEncodable, to bindings: inout PostgresBindings) throws {
        try bindings.append(value, context: .default)
    }

    private func rows(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [Record] {
        var result: [Record] = []
        for try await row in try await connection.query(query, logger: logger) {
            result.append(try Record(row: row))
        }
        return result
    }
}
