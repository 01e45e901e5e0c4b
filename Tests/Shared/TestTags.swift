import Foundation
import Testing

// One file, linked into every test target (Tests/<target>/TestTags.swift -> ../Shared/TestTags.swift).

extension Tag {
    /// Needs the PostgreSQL that the test command starts.
    @Tag static var postgres: Self
    /// Asserts how long calls wait (timeouts, TTLs): run alone, not beside the whole suite on two cores.
    @Tag static var timing: Self
}

/// Which tagged tests are left out: `MEMGRAPH_SKIP_TAGS=postgres swift test` runs the fast tests
/// alone (no database needed), `MEMGRAPH_SKIP_TAGS=timing` all but the timing tests. (Swift 6.3's
/// `swift test` cannot filter by tag; `--filter tag:…` comes with a later toolchain. scripts/test
/// runs the tests tagged timing by their names, which it finds by their tag.)
enum TagSelection {
    /// Whether a test or suite with these tags runs.
    static func allows(_ tags: [String]) -> Bool {
        guard let text = ProcessInfo.processInfo.environment["MEMGRAPH_SKIP_TAGS"], !text.isEmpty else { return true }
        return Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }).isDisjoint(with: tags)
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs unless ``TagSelection`` leaves out one of `tags` (give the same tags with `.tags(…)`).
    static func selected(by tags: String...) -> Self {
        .enabled(if: TagSelection.allows(tags), "left out by MEMGRAPH_SKIP_TAGS")
    }
}
