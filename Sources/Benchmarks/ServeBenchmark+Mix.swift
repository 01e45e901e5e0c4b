import Foundation
import MemoryGraph

/// What `bench serve`'s clients send: the credential, the operations and their shares.
extension ServeBenchmark {
    /// A service key is looked up in Postgres on every request (so that a revoked key fails at
    /// once); a user token is checked in process (HS256), as a runtime that mints one per end user
    /// would send.
    public enum Credential: String, CaseIterable, Sendable {
        case serviceKey = "key", userToken = "token"
    }

    /// The operations a client calls.
    public enum Operation: String, CaseIterable, Sendable {
        case remember, lookup, search, traverse
    }

    /// Each operation's share of the calls, as whole-number weights.
    public struct Mix: Sendable, CustomStringConvertible {
        public private(set) var weights: [(operation: Operation, weight: Int)]

        /// remember 15, LOOKUP 35, SEARCH 30, TRAVERSE 20.
        public static let standard = Mix(weights: [(.remember, 15), (.lookup, 35), (.search, 30), (.traverse, 20)])

        /// Parses `remember=15,lookup=35,search=30,traverse=20` (operations left out get 0).
        /// - Throws: ``MemoryGraphError`` `.invalidInput` naming the part it cannot read.
        public init(parsing text: String) throws {
            var weights: [(Operation, Int)] = []
            for part in text.split(separator: ",") {
                let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pieces.count == 2, let operation = Operation(rawValue: pieces[0].lowercased()),
                    let weight = Int(pieces[1]), weight >= 0
                else {
                    throw MemoryGraphError.invalidInput(
                        "cannot read \"\(part)\" in the mix: write operation=weight, operations \(Operation.allCases.map(\.rawValue).joined(separator: ", ")), weights whole numbers",
                        operation: "bench serve")
                }
                guard !weights.contains(where: { $0.0 == operation }) else {
                    throw MemoryGraphError.invalidInput("\(operation.rawValue) is named twice in the mix", operation: "bench serve")
                }
                weights.append((operation, weight))
            }
            guard weights.contains(where: { $0.1 > 0 }) else {
                throw MemoryGraphError.invalidInput("the mix needs an operation with a weight above 0", operation: "bench serve")
            }
            self.init(weights: weights)
        }

        private init(weights: [(operation: Operation, weight: Int)]) { self.weights = weights }

        var total: Int { weights.reduce(0) { $0 + $1.weight } }

        func pick(_ random: inout SplitMix64) -> Operation {
            var draw = Int(random.next() % UInt64(total))
            for (operation, weight) in weights {
                if draw < weight { return operation }
                draw -= weight
            }
            return weights[weights.count - 1].operation
        }

        public var description: String {
            weights.filter { $0.weight > 0 }.map { "\($0.operation.rawValue)=\($0.weight)" }.joined(separator: ",")
        }
    }
}
