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
    ///
    /// A file that exists is never opened here: closing any descriptor of a file drops every POSIX
    /// lock the process holds on it, the locks of SQLite's own connections included. A second
    /// session store in `memgraph serve` did that to the first one's shared lock; a CLI process
    /// then closing its connection took itself for the database's last user, checkpointed and
    /// deleted the WAL under the server, and the database was malformed.
    public static func prepare(_ url: URL) throws {
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)  // new: nothing in this process can hold a lock on it yet
        } else if errno != EEXIST {
            throw failure(url, "cannot create")
        }
        guard chmod(url.path, 0o600) == 0 else { throw failure(url, "cannot restrict the mode of") }
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
