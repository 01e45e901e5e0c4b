import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files that hold secrets or memories: created with mode 0600 in the `open` call itself, so there
/// is no moment at which another user of the machine can read them (FileManager.createFile writes
/// first and sets the mode afterwards).
public enum PrivateFile {
    /// Creates `url` with mode 0600 (replacing it if it exists) and writes `data`.
    /// - Throws: `MemoryGraphError` (`.storage`) naming the file and the system's reason.
    public static func write(_ data: Data, to url: URL) throws {
        unlink(url.path)
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure(url, "cannot create") }
        defer { close(descriptor) }
        try data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                guard written > 0 else { throw failure(url, "cannot write") }
                offset += written
            }
        }
    }

    /// Makes sure `url` exists with mode 0600: created so when missing, narrowed when it is wider
    /// (a file an older memgraph made). SQLite gives its -wal and -shm files the database file's mode.
    public static func prepare(_ url: URL) throws {
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure(url, "cannot create") }
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else { throw failure(url, "cannot restrict the mode of") }
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: url.path + suffix) {
            chmod(url.path + suffix, 0o600)
        }
    }

    private static func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(descriptor, buffer, count)
        #else
        Darwin.write(descriptor, buffer, count)
        #endif
    }

    private static func failure(_ url: URL, _ what: String) -> MemoryGraphError {
        MemoryGraphError(code: .storage, message: "\(what) \(url.path): \(String(cString: strerror(errno)))")
    }
}
