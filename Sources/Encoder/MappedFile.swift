import Foundation
import MemoryGraph

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A read-only memory mapping of a whole file. Pages are loaded by the kernel on first touch,
/// so a 90 MB model costs resident memory only for the parts that are read.
final class MappedFile: @unchecked Sendable {
    // @unchecked: the mapping is read-only and unmapped only in deinit.
    let url: URL
    let bytes: UnsafeRawBufferPointer

    /// Maps `url` read-only.
    /// - Throws: ``MemoryGraphError`` `.modelUnavailable` if the file cannot be opened,
    ///   `.modelCorrupt` if it cannot be mapped.
    init(url: URL) throws {
        self.url = url
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else {
            throw MemoryGraphError(
                code: .modelUnavailable,
                message: "cannot open model file \(url.path): \(String(cString: strerror(errno)))",
                operation: "load model")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw MemoryGraphError(
                code: .modelUnavailable, message: "cannot stat model file \(url.path)",
                operation: "load model")
        }
        let size = Int(status.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw MemoryGraphError(
                code: .modelCorrupt,
                message: "cannot map model file \(url.path): \(String(cString: strerror(errno)))",
                operation: "load model")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
