/// A key (a node key, a user id's text) compared byte for byte, as Postgres compares text.
///
/// Swift's `String` equality is canonical equivalence: `Café` written with U+00E9 and with `e` +
/// U+0301 are one `String` key in a Swift dictionary, but two keys in the database. A dictionary
/// or set of keys that stands for the database's keys uses this instead, so that it folds
/// together exactly what the database would.
public struct ExactKey: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let text: String

    public init(_ text: String) { self.text = text }

    public init(stringLiteral text: String) { self.text = text }

    public static func == (lhs: ExactKey, rhs: ExactKey) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(text.utf8.count)
        for byte in text.utf8 { hasher.combine(byte) }
    }

    public var description: String { text }
}
