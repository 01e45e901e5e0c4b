/// The owner of a memory graph. Every stored row and every query is scoped by one.
///
/// ```swift
/// let user = try UserID("user-123")
/// ```
public struct UserID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The longest user id accepted.
    public static let maximumLength = 256

    public let rawValue: String

    /// Creates a user id.
    /// - Throws: `MemoryGraphError` (`.invalidInput`) when the id is empty, too long or holds control characters.
    public init(_ rawValue: String) throws {
        guard !rawValue.isEmpty, rawValue.utf8.count <= Self.maximumLength,
            !rawValue.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw MemoryGraphError.invalidInput(
                "a user id must be 1 to \(Self.maximumLength) bytes without control characters")
        }
        self.rawValue = rawValue
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    /// Byte for byte (``ExactKey``), as Postgres compares user ids, not by Swift's canonical equivalence: `café`
    /// written with U+00E9 and with `e` + U+0301 are two users in the database, so they must be two
    /// here (a token for one would otherwise pass the check for the other's path).
    public static func == (lhs: UserID, rhs: UserID) -> Bool {
        ExactKey(lhs.rawValue) == ExactKey(rhs.rawValue)
    }

    public func hash(into hasher: inout Hasher) {
        ExactKey(rawValue).hash(into: &hasher)
    }
}
