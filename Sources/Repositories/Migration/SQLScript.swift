import Foundation

/// Splits a SQL script into statements, since the extended protocol runs one statement per query.
///
/// It understands `--` and `/* */` comments, single-quoted strings, quoted identifiers and
/// dollar-quoted bodies (`$$ … $$`, `$tag$ … $tag$`), so semicolons inside them do not split.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let chars = Array(script.unicodeScalars)
        var i = 0
        func flush() {
            let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty, !isOnlyComments(trimmed) { statements.append(trimmed) }
            current = ""
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "-", next == "-" {
                while i < chars.count, chars[i] != "\n" { current.unicodeScalars.append(chars[i]); i += 1 }
                continue
            }
            if c == "/", next == "*" {
                var depth = 0
                repeat {
                    if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                        depth += 1; current += "/*"; i += 2; continue
                    }
                    if chars[i] == "*", i + 1 < chars.count, chars[i + 1] == "/" {
                        depth -= 1; current += "*/"; i += 2; continue
                    }
                    current.unicodeScalars.append(chars[i]); i += 1
                } while i < chars.count && depth > 0
                continue
            }
            if c == "'" || c == "\"" {
                current.unicodeScalars.append(c); i += 1
                while i < chars.count {
                    current.unicodeScalars.append(chars[i])
                    if chars[i] == c {
                        if i + 1 < chars.count, chars[i + 1] == c {  // doubled quote
                            current.unicodeScalars.append(chars[i + 1]); i += 2; continue
                        }
                        i += 1; break
                    }
                    i += 1
                }
                continue
            }
            if c == "$", let tag = dollarTag(chars, at: i) {
                current += tag; i += tag.unicodeScalars.count
                while i < chars.count {
                    if chars[i] == "$", dollarTag(chars, at: i) == tag {
                        current += tag; i += tag.unicodeScalars.count; break
                    }
                    current.unicodeScalars.append(chars[i]); i += 1
                }
                continue
            }
            if c == ";" { flush(); i += 1; continue }
            current.unicodeScalars.append(c); i += 1
        }
        flush()
        return statements
    }

    /// `$tag$` starting at `index`, where tag is empty or an identifier.
    private static func dollarTag(_ chars: [Unicode.Scalar], at index: Int) -> String? {
        var j = index + 1
        while j < chars.count, chars[j] != "$" {
            let s = chars[j]
            guard s == "_" || s.properties.isAlphabetic || (j > index + 1 && ("0"..."9").contains(s)) else { return nil }
            j += 1
        }
        guard j < chars.count else { return nil }
        return String(String.UnicodeScalarView(chars[index...j]))
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy {
            let line = $0.trimmingCharacters(in: .whitespaces)
            return line.isEmpty || line.hasPrefix("--")
        }
    }
}
