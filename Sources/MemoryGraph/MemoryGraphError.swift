/// The one error type of the MemoryGraph module.
///
/// Its `description` is a sentence a user can act on. It never holds memory content or vectors.
/// Cases are static members so that new ones do not break callers.
public struct MemoryGraphError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable {
            case invalidInput = "invalid input"
            case notFound = "not found"
            case modelUnavailable = "model unavailable"
            case modelCorrupt = "model corrupt"
            case embeddingFailed = "embedding failed"
            case parse = "parse error"
            case storage = "storage error"
            case unavailable = "unavailable"
        }
        fileprivate let value: Value
        public static let invalidInput = Code(value: .invalidInput)
        public static let notFound = Code(value: .notFound)
        public static let modelUnavailable = Code(value: .modelUnavailable)
        public static let modelCorrupt = Code(value: .modelCorrupt)
        public static let embeddingFailed = Code(value: .embeddingFailed)
        public static let parse = Code(value: .parse)
        public static let storage = Code(value: .storage)
        public static let unavailable = Code(value: .unavailable)
        public var description: String { value.rawValue }
    }

    public let code: Code
    /// A sentence saying what went wrong and, where possible, what to do.
    public let message: String
    /// The operation that failed, such as "remember" or "load model".
    public let operation: String?
    /// The user the operation ran for, if any.
    public let user: UserID?

    public init(code: Code, message: String, operation: String? = nil, user: UserID? = nil) {
        self.code = code
        self.message = message
        self.operation = operation
        self.user = user
    }

    public static func invalidInput(_ message: String, operation: String? = nil) -> Self {
        .init(code: .invalidInput, message: message, operation: operation)
    }

    public static func notFound(_ message: String, operation: String? = nil) -> Self {
        .init(code: .notFound, message: message, operation: operation)
    }

    public var description: String {
        var prefix = ""
        if let operation { prefix += "\(operation): " }
        return prefix + message
    }
}
