import Foundation

/// Natural keys: the `key` a LOOKUP finds a node by ("sarah-chen").
public enum NodeKey {
    /// The key derived from a name: lower-cased, runs of non-alphanumerics turned into `-`,
    /// without leading or trailing dashes. Returns nil when nothing alphanumeric is left.
    ///
    /// ```swift
    /// NodeKey.normalize("Sarah Chen")   // "sarah-chen"
    /// NodeKey.normalize("Acme Corp.")   // "acme-corp"
    /// ```
    public static func normalize(_ name: String) -> String? {
        var result = ""
        var pendingDash = false
        // Composed first (NFC), so that "Café" gives one key however its é was written; a mark
        // that stays combining (a Devanagari vowel sign, a dot above) belongs to its letter.
        let lowered = name.lowercased()
        let composed = lowered.utf8.allSatisfy { $0 < 0x80 } ? lowered : lowered.precomposedStringWithCanonicalMapping  // ASCII is NFC
        for scalar in composed.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                if pendingDash, !result.isEmpty { result.append("-") }
                pendingDash = false
                result.unicodeScalars.append(scalar)
            } else if Self.isMark(scalar), !pendingDash, !result.isEmpty {
                result.unicodeScalars.append(scalar)
            } else {
                pendingDash = true
            }
        }
        return result.isEmpty ? nil : result
    }

    private static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }
}
