/// Edit distances between short strings: FUZZY orders near spellings of a name by them, and the
/// fixture decoder suggests the field a misspelt one meant.
public enum EditDistance {
    /// The optimal string alignment distance between `a` and `b`: the fewest insertions,
    /// deletions, substitutions and swaps of two adjacent characters (no substring edited twice)
    /// that turn one into the other. A swapped pair of letters, the commonest typo, counts 1,
    /// where Levenshtein counts 2, the same as two unrelated substitutions.
    ///
    /// ```swift
    /// EditDistance.optimalStringAlignment("tomas-fsei", "tomas-fesi")  // 1
    /// EditDistance.optimalStringAlignment("tomas-fsei", "tomas-feri")  // 2
    /// ```
    /// Compares Unicode scalars; O(|a|·|b|) time, O(|b|) memory.
    public static func optimalStringAlignment(_ a: String, _ b: String) -> Int {
        let s = Array(a.unicodeScalars), t = Array(b.unicodeScalars)
        if s.isEmpty { return t.count }
        if t.isEmpty { return s.count }
        // Three rows: the one before the previous is needed for a swap.
        var before = [Int](repeating: 0, count: t.count + 1)
        var previous = Array(0...t.count)
        var current = [Int](repeating: 0, count: t.count + 1)
        for i in 1...s.count {
            current[0] = i
            for j in 1...t.count {
                let substitution = previous[j - 1] + (s[i - 1] == t[j - 1] ? 0 : 1)
                var best = min(previous[j] + 1, current[j - 1] + 1, substitution)
                if i > 1, j > 1, s[i - 1] == t[j - 2], s[i - 2] == t[j - 1] {
                    best = min(best, before[j - 2] + 1)
                }
                current[j] = best
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[t.count]
    }
}
