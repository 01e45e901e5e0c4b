import ArgumentParser
import Foundation
import MemoryGraph
import Repositories

extension Memgraph {
    struct Cleanup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a user's nodes created longer ago than an age, with their relationships and embeddings.",
            discussion: """
                The age is a number followed by d (days), h (hours), m (minutes) or s (seconds), and \
                parts may be combined: 90d, 12h, 30m, 45s, 1d12h. The deletion is for good, not soft.

                Examples:
                  memgraph cleanup --user demo-consultant --older-than 90d
                  memgraph cleanup --user demo-consultant --older-than 1d12h --json
                """)
        @OptionGroup var user: UserOptions
        @Option(name: .customLong("older-than"), help: ArgumentHelp(
            "Delete nodes created longer ago than this, such as 90d, 12h, 30m or 45s.", valueName: "age"))
        var olderThan: Age
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (user, age) = (user.userID, olderThan)
            let deleted = try await CLI.withStore(connection) { store in
                try await store.cleanup(user, olderThan: age.duration)
            }
            if output.json {
                CLI.printJSON(["user": .string(user.rawValue), "older_than": .string(age.text), "deleted": .number(Double(deleted))])
            } else {
                print("deleted \(deleted) node\(deleted == 1 ? "" : "s") of \(user) created more than \(age.text) ago")
            }
        }
    }
}

/// An age such as `90d`, `12h`, `30m`, `45s` or `1d12h`.
struct Age: ExpressibleByArgument, Sendable, Equatable {
    var duration: Duration
    var text: String

    static let unitSeconds: [Character: Int64] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]

    init?(argument: String) {
        var seconds: Int64 = 0
        var digits = ""
        var sawUnit = false
        for character in argument.lowercased() {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if let unit = Self.unitSeconds[character], let value = Int64(digits), value <= 100_000_000 {
                seconds += value * unit
                digits = ""
                sawUnit = true
            } else {
                return nil
            }
        }
        guard sawUnit, digits.isEmpty else { return nil }
        duration = .seconds(seconds)
        text = argument
    }

    static var defaultCompletionKind: CompletionKind { .list(["90d", "30d", "7d", "12h"]) }
}
