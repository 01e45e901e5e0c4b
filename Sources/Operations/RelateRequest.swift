import MemoryGraph

/// A relationship as the HTTP API and the MCP `relate` tool receive it: `from` and `to` (keys or
/// node ids), `type`, and optionally `strength` (0 to 1, default 1) and `metadata`.
public struct RelateRequest: Sendable {
    public var from: MemoryService.NodeReference
    public var to: MemoryService.NodeReference
    public var type: RelationshipType
    public var strength: Double
    public var metadata: [String: JSONValue]

    /// - Parameter allowed: the members the caller accepts (MCP's tool takes no metadata).
    /// - Throws: `Failure` (400) naming the JSON path of the problem.
    public init(_ fields: Fields, allowed: Set<String> = ["from", "to", "type", "strength", "metadata"]) throws {
        try fields.rejectUnknown(allowed)
        from = .init(try fields.requiredString("from"))
        to = .init(try fields.requiredString("to"))
        type = try Fields.relationshipType(try fields.requiredString("type"), path: fields.at("type"))
        strength = try fields.number("strength", in: 0...1) ?? 1
        if let problem = MemoryNode.scoreProblem(strength) {
            throw Failure.invalidInput("\(fields.at("strength")): \(problem)", path: fields.at("strength"))
        }
        metadata = try fields.object("metadata") ?? [:]
    }
}

extension MemoryService {
    /// ``relate(_:from:to:type:strength:metadata:)`` for a request; the answer as `Documents.related`.
    public func relate(_ user: UserID, _ request: RelateRequest) async throws -> (document: JSONValue, inserted: Bool) {
        let outcome = try await relate(
            user, from: request.from, to: request.to, type: request.type, strength: request.strength, metadata: request.metadata)
        return (Documents.related(outcome.relationship, inserted: outcome.inserted, from: outcome.from, to: outcome.to), outcome.inserted)
    }
}
