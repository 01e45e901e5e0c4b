import Foundation

/// Reads fixture files (`.json` graphs, `.jsonl` streams, or directories of them) and validates
/// everything before anything is written. The format is described in `docs/fixtures.md` and
/// `fixtures/fixture.schema.json`.
///
/// ```swift
/// let set = try FixtureLoader.load(paths: [URL(fileURLWithPath: "fixtures/crm.json"),
///                                          URL(fileURLWithPath: "fixtures/projects")])
/// print(set.nodes.count, set.relationships.count, set.unresolvedReferences.map(\.key))
/// ```
public enum FixtureLoader {
    /// How many problems one run reports at most.
    public static let maximumProblems = 20

    /// The two file formats.
    public enum Format: String, Sendable, CaseIterable {
        /// One graph document: `{"user_id", "nodes", "relationships"}`.
        case json
        /// One record a line: `{"kind": "node" | "relationship" | "user", …}`.
        case jsonl

        /// The format of a file name, from its extension (case-insensitive).
        public init?(fileName: String) {
            let lower = fileName.lowercased()
            if lower.hasSuffix(".jsonl") {
                self = .jsonl
            } else if lower.hasSuffix(".json") {
                self = .json
            } else {
                return nil
            }
        }
    }

    /// Loads and validates fixture files and directories.
    ///
    /// A directory contributes its `.json` and `.jsonl` files, sorted by name, not searching
    /// subdirectories and leaving out `*.schema.json` and hidden files (see ``FixtureSet/skipped``).
    /// - Throws: `MemoryGraphError` (`.invalidInput`) listing up to ``maximumProblems`` problems,
    ///   one a line, each naming the file and the JSON path or line. Relationship ends that no
    ///   node of the set defines are not problems: see ``FixtureSet/unresolvedReferences``.
    public static func load(paths: [URL]) throws -> FixtureSet {
        try checked(validate(paths: paths))
    }

    /// Loads and validates one document held in memory, such as standard input.
    /// - Parameter name: how locations name the document, such as `stdin`.
    /// - Throws: `MemoryGraphError` (`.invalidInput`), as ``load(paths:)``.
    public static func load(data: Data, name: String, format: Format) throws -> FixtureSet {
        try checked(validate(data: data, name: name, format: format))
    }

    /// Validates one document held in memory without throwing, as ``validate(paths:)``.
    public static func validate(data: Data, name: String, format: Format) -> (set: FixtureSet, problems: [FixtureProblem]) {
        var decoder = FixtureDecoder(limit: maximumProblems)
        decode(Array(data), file: name, format: format, into: &decoder)
        return finish(decoder, files: [name], skipped: [])
    }

    /// Validates without throwing: the set (holding only the records that passed) and every
    /// problem found, up to ``maximumProblems``. An empty `problems` means the set is complete.
    public static func validate(paths: [URL]) -> (set: FixtureSet, problems: [FixtureProblem]) {
        var decoder = FixtureDecoder(limit: maximumProblems)
        var files: [String] = []
        var skipped: [String] = []
        var seen: Set<String> = []
        for url in paths where !decoder.isFull {
            let name = url.relativePath
            for file in expand(url, name: name, skipped: &skipped, decoder: &decoder) where !decoder.isFull {
                guard seen.insert(file.url.resolvingSymlinksInPath().standardizedFileURL.path).inserted else { continue }
                files.append(file.name)
                guard let format = Format(fileName: file.name) else {
                    decoder.report(FixtureLocation(file: file.name), "expected a .json or .jsonl file")
                    continue
                }
                do {
                    let bytes = try Data(contentsOf: file.url)
                    decode(Array(bytes), file: file.name, format: format, into: &decoder)
                } catch {
                    decoder.report(FixtureLocation(file: file.name), "the file cannot be read")
                }
            }
        }
        return finish(decoder, files: files, skipped: skipped)
    }

    // MARK: Files

    /// A path's files: itself, or a directory's fixture files by name.
    private static func expand(
        _ url: URL, name: String, skipped: inout [String], decoder: inout FixtureDecoder
    ) -> [(url: URL, name: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            decoder.report(FixtureLocation(file: name), "no such file or directory")
            return []
        }
        guard isDirectory.boolValue else { return [(url, name)] }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
        } catch {
            decoder.report(FixtureLocation(file: name), "the directory cannot be read")
            return []
        }
        var files: [(url: URL, name: String)] = []
        for entry in entries where !entry.hasPrefix(".") {
            let child = url.appendingPathComponent(entry)
            let childName = name.hasSuffix("/") ? name + entry : name + "/" + entry
            var childIsDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: child.path, isDirectory: &childIsDirectory)
            if childIsDirectory.boolValue || Format(fileName: entry) == nil || entry.lowercased().hasSuffix(".schema.json") {
                skipped.append(childName)
            } else {
                files.append((child, childName))
            }
        }
        if files.isEmpty {
            decoder.report(FixtureLocation(file: name), "the directory holds no .json or .jsonl files")
        }
        return files
    }

    /// Checks encoding and emptiness, then parses and decodes one file.
    private static func decode(_ bytes: [UInt8], file: String, format: Format, into decoder: inout FixtureDecoder) {
        if let offset = FixtureJSONParser.firstInvalidUTF8(in: bytes) {
            let (line, column) = FixtureJSONParser.lineAndColumn(of: offset, in: bytes)
            decoder.report(
                FixtureLocation(file: file, line: line, column: column),
                "not valid UTF-8 (byte 0x\(String(bytes[offset], radix: 16, uppercase: true))); save the file as UTF-8")
            return
        }
        // A byte order mark is harmless; skip it. Line and column still count from the file's start.
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        guard bytes[start...].contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            decoder.report(FixtureLocation(file: file), "the file is empty")
            return
        }
        switch format {
        case .json:
            let location = FixtureLocation(file: file, path: "$")
            do throws(FixtureJSONParser.SyntaxError) {
                decoder.decodeGraph(try FixtureJSONParser.parse(bytes, in: start..<bytes.count), at: location)
            } catch {
                let (line, column) = FixtureJSONParser.lineAndColumn(of: error.offset, in: bytes)
                decoder.report(FixtureLocation(file: file, line: line, column: column), "invalid JSON: \(error.message)")
            }
        case .jsonl:
            decodeLines(bytes, from: start, file: file, into: &decoder)
        }
    }

    private static func decodeLines(_ bytes: [UInt8], from start: Int, file: String, into decoder: inout FixtureDecoder) {
        var lineStart = start
        var line = 1
        while lineStart < bytes.count, !decoder.isFull {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let range = lineStart..<lineEnd
            if bytes[range].contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) {
                do throws(FixtureJSONParser.SyntaxError) {
                    let value = try FixtureJSONParser.parse(bytes, in: range)
                    decoder.decodeRecord(value, at: FixtureLocation(file: file, line: line, path: "$"))
                } catch {
                    let column = String(decoding: bytes[lineStart..<error.offset], as: UTF8.self).count + 1
                    decoder.report(
                        FixtureLocation(file: file, line: line, column: column),
                        "invalid JSON: \(error.message) (each line of a .jsonl file is one JSON object)")
                }
            }
            lineStart = lineEnd + 1
            line += 1
        }
    }

    // MARK: Checks across files

    private static func finish(_ decoder: FixtureDecoder, files: [String], skipped: [String]) -> (set: FixtureSet, problems: [FixtureProblem]) {
        var decoder = decoder
        var userID: UserID?
        if let (first, firstLocation) = decoder.userIDs.first {
            userID = first
            for (other, location) in decoder.userIDs.dropFirst() where other != first {
                decoder.report(location, "user_id \"\(other)\" differs from \"\(first)\" at \(firstLocation); fixtures imported together belong to one user")
            }
        }
        // A key may be repeated (the store merges), but not for two different entities.
        // Keys byte for byte (ExactKey), as the database tells them apart.
        var entityByKey: [ExactKey: (identity: EntityIdentity, location: FixtureLocation)] = [:]
        for fixture in decoder.nodes {
            guard let key = fixture.key, let identity = fixture.node.entityIdentity else { continue }
            if let first = entityByKey[ExactKey(key)] {
                if first.identity != identity {
                    let field = fixture.node.key == nil ? ".content.entity_name" : ".key"
                    decoder.report(
                        fixture.location.appending(field),
                        "the key \"\(key)\" already names a different entity (another entity_system and entity_id) at \(first.location); give one of them its own key")
                }
            } else {
                entityByKey[ExactKey(key)] = (identity, fixture.location)
            }
        }
        // A key written for an entity is not also written for a node that is not one: the store
        // would refuse the second, whichever came first (the key index, memory.refuse_entity_key).
        var entityByWrittenKey: [ExactKey: FixtureLocation] = [:]
        for fixture in decoder.nodes where fixture.node.entityIdentity != nil {
            if let key = fixture.node.key, entityByWrittenKey[ExactKey(key)] == nil { entityByWrittenKey[ExactKey(key)] = fixture.location }
        }
        for fixture in decoder.nodes where fixture.node.entityIdentity == nil {
            guard let key = fixture.node.key, let entity = entityByWrittenKey[ExactKey(key)] else { continue }
            decoder.report(
                fixture.location.appending(".key"),
                "the key \"\(key)\" is an entity's at \(entity); a node that is not an entity cannot have it too; give it its own key")
        }
        let keys: Set<ExactKey> = Set(decoder.nodes.compactMap { fixture -> ExactKey? in fixture.key.map { ExactKey($0) } })
        var unresolved: [FixtureReference] = []
        for relationship in decoder.relationships {
            for (key, field) in [(relationship.fromKey, ".from"), (relationship.toKey, ".to")] where !keys.contains(ExactKey(key)) {
                unresolved.append(FixtureReference(key: key, location: relationship.location.appending(field)))
            }
        }
        let set = FixtureSet(
            userID: userID, nodes: decoder.nodes, relationships: decoder.relationships,
            unresolvedReferences: unresolved, files: files, skipped: skipped)
        return (set, Array(decoder.problems.prefix(maximumProblems)))
    }

    private static func checked(_ result: (set: FixtureSet, problems: [FixtureProblem])) throws -> FixtureSet {
        guard !result.problems.isEmpty else { return result.set }
        var lines = result.problems.map(\.description)
        if result.problems.count >= maximumProblems {
            lines.append("(stopped after \(maximumProblems) problems)")
        }
        throw MemoryGraphError.invalidInput(lines.joined(separator: "\n"))
    }
}
