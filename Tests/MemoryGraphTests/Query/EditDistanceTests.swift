import MemoryGraph
import Testing

@Suite("Edit distance", .timeLimit(.minutes(5)))
struct EditDistanceTests {
    @Test("a swap of adjacent letters is one edit; insertions, deletions and substitutions one each")
    func optimalStringAlignment() {
        let cases: [(String, String, Int)] = [
            ("", "", 0), ("", "abc", 3), ("abc", "", 3), ("abc", "abc", 0),
            ("tomas-fsei", "tomas-fesi", 1), ("tomas-fsei", "tomas-feri", 2), ("tomas-fsei", "tomas-feka", 3),
            ("ab", "ba", 1), ("abc", "ca", 3),  // no substring is edited twice (Damerau would say 2)
            ("kitten", "sitting", 3), ("sarah", "sara", 1), ("sara", "sarah", 1), ("zoë", "zoe", 1),
        ]
        for (a, b, expected) in cases {
            #expect(EditDistance.optimalStringAlignment(a, b) == expected, "\(a) / \(b)")
            #expect(EditDistance.optimalStringAlignment(b, a) == expected, "\(b) / \(a)")
        }
    }
}
