import Foundation

/// Reads a flat config file: a JSON object, or `key: value` lines of YAML. Keys match the
/// setting names (``Settings/definitions``), in any case (`database_url` or `DATABASE_URL`).
enum ConfigurationFile {
    static func read(_ url: URL) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MemoryGraphError.invalidInput("cannot read the config file \(url.path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MemoryGraphError.invalidInput("the config file \(url.path) is not UTF-8")
        }
        var raw: [String: String] = [:]
        if url.pathExtension.lowercased() == "json" || text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
            guard case .object(let object)? = try? JSONValue.parse(text) else {
                throw MemoryGraphError.invalidInput("the config file \(url.path) is not a JSON object")
            }
            for (key, value) in object {
                switch value {
                case .string(let string): raw[key] = string
                case .number(let number): raw[key] = number.rounded() == number ? String(Int(number)) : String(number)
                case .bool(let flag): raw[key] = String(flag)
                default:
                    throw MemoryGraphError.invalidInput("the config file \(url.path): \(key) must be a string or a number")
                }
            }
        } else {
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                guard let colon = trimmed.firstIndex(of: ":") else {
                    throw MemoryGraphError.invalidInput("the config file \(url.path), line \(index + 1): expected 'key: value'")
                }
                var value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                    value = String(value.dropFirst().dropLast())
                }
                raw[String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)] = value
            }
        }
        var settings: [String: String] = [:]
        for (key, value) in raw {
            let name = key.uppercased()
            guard Settings.names.contains(name) else {
                throw MemoryGraphError.invalidInput("the config file \(url.path) has an unknown setting '\(key)'")
            }
            settings[name] = value
        }
        return settings
    }
}
