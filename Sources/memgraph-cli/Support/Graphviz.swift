import Foundation
import MemoryGraph

/// Renders DOT through Graphviz's `dot` program, which scripts/setup installs.
enum Graphviz {
    /// `dot` on PATH.
    static func executable() throws -> URL {
        let path = Settings.processEnvironment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("dot")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw MemoryGraphError(
            code: .unavailable,
            message: "Graphviz's dot is not on PATH, so PNG cannot be drawn: run scripts/setup (or apt-get install graphviz), or use --format dot")
    }

    /// The image `dot -T<format>` makes of `source`.
    static func render(_ source: String, format: String) throws -> Data {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = ["-T\(format)"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read while writing would deadlock on large graphs; write first on another thread.
        let writer = Thread {
            input.fileHandleForWriting.write(Data(source.utf8))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let image = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, !image.isEmpty else {
            let detail = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw MemoryGraphError(
                code: .unavailable, message: "Graphviz's dot failed (status \(process.terminationStatus)): \(detail)")
        }
        return image
    }
}
