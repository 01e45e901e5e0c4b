import Foundation
import MemoryGraph

/// The synthetic graph `bench store` imports: contacts with distinct names, and tool outputs.
extension StoreBenchmark {
    static let firstNames = [
        "Sarah", "Raj", "Maria", "James", "Li", "Olga", "Ahmed", "Yuki", "Pierre", "Ana", "David", "Fatima",
        "Lars", "Ines", "Tomas", "Ngozi", "Priya", "Omar", "Elena", "Kofi", "Mei", "Ivan", "Sofia", "Diego",
        "Hana", "Noah", "Zara", "Felix", "Nora", "Emeka", "Anika", "Mateo", "Leila", "Sven", "Chloe", "Arjun",
        "Greta", "Kenji", "Amara", "Paulo", "Ingrid", "Samir", "Rosa", "Theo", "Aisha", "Bruno", "Dana", "Hugo",
        "Lucia", "Marek",
    ]
    static let syllables = ["ka", "ri", "mo", "ne", "ta", "lu", "vo", "si", "de", "ra", "po", "ni", "ga", "le", "bu", "fe"]
    static let roles = ["account manager", "CFO", "head of data", "procurement lead", "VP engineering", "CTO", "office manager"]
    static let companies = ["Northwind", "Acme Corp", "Globex", "Initech", "Umbrella Health", "Stark Freight", "Wayne Foods"]

    /// Contact `i`'s name (i even): a first name and a surname of consonant-vowel syllables,
    /// distinct for every contact, so every LOOKUP key names one node.
    static func contactName(_ i: Int) -> String {
        let k = i / 2
        var s = k / firstNames.count
        var surname = ""
        repeat {
            surname += syllables[s % syllables.count]
            s /= syllables.count
        } while s > 0 || surname.count < 4
        return "\(firstNames[k % firstNames.count]) \(surname.prefix(1).uppercased())\(surname.dropFirst())"
    }

    /// The name with two adjacent letters of the surname swapped, as a hurried typist would.
    static func typo(_ name: String, seed: Int) -> String {
        var letters = Array(name)
        let surnameStart = (letters.firstIndex(of: " ") ?? 0) + 1
        let at = surnameStart + 1 + seed % max(1, letters.count - surnameStart - 2)
        if at + 1 < letters.count { letters.swapAt(at, at + 1) }
        return String(letters)
    }

    static func node(_ i: Int) -> MemoryNode {
        if i % 2 == 0 {
            let name = contactName(i)
            let role = roles[i % roles.count], company = companies[(i / 3) % companies.count]
            return MemoryNode(
                contextType: .domainEntity, summary: "\(name), \(role) at \(company) (account \(i % 97))",
                content: [
                    "entity_system": "bench", "entity_id": .string("C\(i)"), "entity_type": "Contact",
                    "entity_name": .string(name), "entity_data": ["account": .number(Double(i % 97)), "role": .string(role)],
                ], tags: ["bench"])
        }
        return MemoryNode(contextType: .toolOutput, summary: "Tool run \(i) returned \(i % 13) rows", content: ["text": .string("output \(i)")])
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
}
