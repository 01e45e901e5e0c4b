import Foundation
import MemoryGraph

// The Hugging Face BertNormalizer (clean_text, handle_chinese_chars, strip_accents, lowercase, in
// that order) and BertPreTokenizer (split on whitespace, isolate punctuation), scalar by scalar as
// the Rust implementation works. Unassigned code points are kept, as the reference keeps them.
extension WordPieceTokenizer {
    /// Cleans, spaces out CJK ideographs, strips accents (NFD, drop Mn) and lower-cases.
    static func normalize(_ input: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var cleaned = String.UnicodeScalarView()
        var isASCII = true
        for scalar in input {
            if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                cleaned.append(" ")
            } else if isCJK(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
                isASCII = false
            } else {
                cleaned.append(scalar)
                isASCII = isASCII && scalar.isASCII
            }
        }
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(cleaned.count)
        if isASCII {
            for scalar in cleaned { output.append(asciiLowercase(scalar)) }
            return output
        }
        let decomposed = String(cleaned).decomposedStringWithCanonicalMapping
        for scalar in decomposed.unicodeScalars {
            if scalar.isASCII {
                output.append(asciiLowercase(scalar))
                continue
            }
            if scalar.properties.generalCategory == .nonspacingMark { continue }
            // Full lower-case mapping of each scalar on its own, like Rust's char::to_lowercase
            // (so a final capital sigma becomes σ, never ς).
            output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
        return output
    }

    /// Splits normalised text into words: whitespace separates, each punctuation mark stands alone.
    static func preTokenize(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start = 0
        for (index, scalar) in scalars.enumerated() {
            if isWhitespace(scalar) {
                if start < index { words.append(scalars[start..<index]) }
                start = index + 1
            } else if isPunctuation(scalar) {
                if start < index { words.append(scalars[start..<index]) }
                words.append(scalars[index...index])
                start = index + 1
            }
        }
        if start < scalars.count { words.append(scalars[start...]) }
        return words
    }

    @inline(__always)
    static func asciiLowercase(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        (0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(scalar.value + 0x20)! : scalar
    }

    /// Tab, newline, carriage return and the Unicode White_Space property.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        if scalar.value < 0x09 { return false }
        return scalar.properties.isWhitespace
    }

    /// Control, format, private-use and surrogate categories, except tab, newline and CR.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        if scalar.value >= 0x20 && scalar.value < 0x7F { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// ASCII punctuation and symbols, plus the Unicode punctuation categories (P*).
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (0x21...0x2F).contains(value) || (0x3A...0x40).contains(value)
            || (0x5B...0x60).contains(value) || (0x7B...0x7E).contains(value)
        {
            return true
        }
        if value < 0x80 { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .closePunctuation, .finalPunctuation,
            .initialPunctuation, .otherPunctuation, .openPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideograph blocks that BERT splits into single characters.
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
            0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
