import Foundation
import MemoryGraph

/// A safetensors file, memory-mapped: an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw tensor data.
///
/// Tensor pointers point into the mapping and stay valid for the life of this object.
final class SafeTensors: @unchecked Sendable {
    // @unchecked: immutable after init except `copies`, which `lock` guards.

    /// One tensor's entry in the header.
    struct Entry: Sendable, Equatable {
        let dtype: String
        let shape: [Int]
        /// Byte range relative to the start of the data section.
        let range: Range<Int>
    }

    let url: URL
    let entries: [String: Entry]
    private let file: MappedFile
    private let dataStart: Int
    private let lock = NSLock()
    private var copies: [UnsafeMutableRawPointer] = []

    private static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
    ]

    /// Maps and validates `url`: the header must parse and every tensor must lie inside the file.
    /// - Throws: ``MemoryGraphError`` `.modelUnavailable` or `.modelCorrupt`, naming the file.
    init(contentsOf url: URL) throws {
        self.url = url
        file = try MappedFile(url: url)
        let bytes = file.bytes
        let name = url.path
        guard bytes.count >= 8 else {
            throw Self.corrupt("model file \(name) is truncated: \(bytes.count) bytes, no header")
        }
        let headerLength = Int(UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)))
        guard headerLength <= 100_000_000 else {
            throw Self.corrupt("model file \(name) is not a safetensors file: header length \(headerLength)")
        }
        guard 8 + headerLength <= bytes.count else {
            throw Self.corrupt(
                "model file \(name) is truncated: header needs \(headerLength) bytes, file has \(bytes.count)")
        }
        dataStart = 8 + headerLength
        let header = Data(bytes[8..<dataStart])
        guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw Self.corrupt("model file \(name) has an unreadable safetensors header")
        }
        let dataSize = bytes.count - dataStart
        var entries: [String: Entry] = [:]
        for (key, value) in json where key != "__metadata__" {
            guard let object = value as? [String: Any],
                let dtype = object["dtype"] as? String,
                let shape = object["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }),
                let offsets = object["data_offsets"] as? [Int], offsets.count == 2,
                offsets[0] >= 0, offsets[0] <= offsets[1]
            else {
                throw Self.corrupt("model file \(name) has a malformed header entry for tensor '\(key)'")
            }
            guard offsets[1] <= dataSize else {
                throw Self.corrupt(
                    "model file \(name) is truncated: tensor '\(key)' ends at byte \(dataStart + offsets[1]), "
                        + "file has \(bytes.count)")
            }
            if let size = Self.dtypeSizes[dtype], shape.reduce(size, *) != offsets[1] - offsets[0] {
                throw Self.corrupt("model file \(name): tensor '\(key)' has a byte range that does not match its shape")
            }
            entries[key] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        self.entries = entries
    }

    deinit {
        for copy in copies { copy.deallocate() }
    }

    /// The F32 tensor `name`, which must have exactly `shape`.
    ///
    /// The buffer points into the mapping (or, for a tensor not 4-byte aligned in the file,
    /// into a copy owned by this object) and is valid only while this object lives: keep a stored
    /// reference to it, or use `withExtendedLifetime`.
    /// - Throws: ``MemoryGraphError`` `.modelCorrupt` for a missing tensor, another dtype or another shape.
    func floats(_ name: String, shape: [Int]) throws -> UnsafeBufferPointer<Float> {
        guard let entry = entries[name] else {
            throw Self.corrupt("model file \(url.path) has no tensor '\(name)'")
        }
        guard entry.dtype == "F32" else {
            throw Self.corrupt(
                "model file \(url.path): tensor '\(name)' has dtype \(entry.dtype), only F32 is supported")
        }
        guard entry.shape == shape else {
            throw Self.corrupt(
                "model file \(url.path): tensor '\(name)' has shape \(entry.shape), expected \(shape)")
        }
        let count = shape.reduce(1, *)
        guard count > 0, let base = file.bytes.baseAddress else {
            return UnsafeBufferPointer(start: nil, count: 0)
        }
        let source = base + dataStart + entry.range.lowerBound
        if Int(bitPattern: source) % MemoryLayout<Float>.alignment == 0 {
            return UnsafeBufferPointer(start: source.bindMemory(to: Float.self, capacity: count), count: count)
        }
        let copy = UnsafeMutableRawPointer.allocate(
            byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        copy.copyMemory(from: source, byteCount: count * MemoryLayout<Float>.stride)
        lock.withLock { copies.append(copy) }
        return UnsafeBufferPointer(start: copy.bindMemory(to: Float.self, capacity: count), count: count)
    }

    private static func corrupt(_ message: String) -> MemoryGraphError {
        MemoryGraphError(code: .modelCorrupt, message: message, operation: "load model")
    }
}
