import Foundation
import MemoryGraph
import NIOCore
import PostgresNIO

// MARK: - jsonb

extension JSONValue: PostgresNonThrowingEncodable, PostgresDecodable, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var psqlType: PostgresDataType { .jsonb }
    public static var psqlFormat: PostgresFormat { .binary }
    public static var psqlArrayType: PostgresDataType { .jsonbArray }

    public func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeInteger(UInt8(1))  // jsonb binary format version
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        writeJSON(into: &bytes)  // jsonb keeps no key order: none is imposed here
        byteBuffer.writeBytes(bytes)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        if type == .jsonb, format == .binary {
            guard buffer.readInteger(as: UInt8.self) == 1 else { throw PostgresDecodingError.Code.failure }
        }
        guard let bytes = buffer.readBytes(length: buffer.readableBytes), let value = try? JSONValue.parse(bytes: bytes)
        else { throw PostgresDecodingError.Code.failure }
        self = value
    }
}

// MARK: - arrays with NULLs and dynamic element types

/// A one-dimensional array bind whose elements may be NULL and whose element type may be known
/// only at run time (pgvector's `vector`). Used for UNNEST batches.
struct BindArray: PostgresThrowingDynamicTypeEncodable, Sendable {
    var elements: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    var elementType: PostgresDataType
    var arrayType: PostgresDataType

    var psqlType: PostgresDataType { arrayType }
    var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) throws {
        buffer.writeInteger(Int32(1))  // dimensions
        buffer.writeInteger(Int32(elements.contains { $0 == nil } ? 1 : 0))
        buffer.writeInteger(elementType.rawValue)
        buffer.writeInteger(Int32(elements.count))
        buffer.writeInteger(Int32(1))  // lower bound
        for element in elements {
            guard let element else {
                buffer.writeInteger(Int32(-1))
                continue
            }
            let lengthIndex = buffer.writerIndex
            buffer.writeInteger(Int32(0))
            let start = buffer.writerIndex
            try element.encode(into: &buffer, context: context)
            buffer.setInteger(Int32(buffer.writerIndex - start), at: lengthIndex)
        }
    }
}

extension BindArray {
    init<T: PostgresEncodable & Sendable>(_ values: [T?], type: PostgresDataType, arrayType: PostgresDataType) {
        self.init(elements: values.map { $0 }, elementType: type, arrayType: arrayType)
    }
    static func text(_ values: [String?]) -> BindArray { .init(values, type: .text, arrayType: .textArray) }
    static func uuid(_ values: [UUID?]) -> BindArray { .init(values, type: .uuid, arrayType: .uuidArray) }
    static func jsonb(_ values: [JSONValue?]) -> BindArray { .init(values, type: .jsonb, arrayType: .jsonbArray) }
    static func float8(_ values: [Double?]) -> BindArray { .init(values, type: .float8, arrayType: .float8Array) }
    static func timestamptz(_ values: [Date?]) -> BindArray {
        .init(values, type: .timestamptz, arrayType: .timestamptzArray)
    }
}

// MARK: - pgvector

/// A pgvector `vector` value in its binary wire format: int16 dimensions, int16 unused, then
/// big-endian float32s. The type's OID differs per database, so it travels with the value.
public struct PGVector: Sendable, Equatable, PostgresDynamicTypeEncodable, PostgresDecodable {
    public var values: [Float]
    let oid: PostgresDataType

    init(_ values: [Float], oid: PostgresDataType) {
        self.values = values
        self.oid = oid
    }

    public var psqlType: PostgresDataType { oid }
    public var psqlFormat: PostgresFormat { .binary }

    /// pgvector allows at most 16,000 dimensions; callers check sizes against the model first.
    public func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        buffer.writeInteger(Int16(values.count))
        buffer.writeInteger(Int16(0))
        for value in values { buffer.writeInteger(value.bitPattern) }
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard format == .binary, let dims = buffer.readInteger(as: Int16.self),
            buffer.readInteger(as: Int16.self) != nil, dims >= 0, buffer.readableBytes == Int(dims) * 4
        else { throw PostgresDecodingError.Code.failure }
        var values = [Float](repeating: 0, count: Int(dims))
        for i in 0..<Int(dims) {
            values[i] = Float(bitPattern: buffer.readInteger(as: UInt32.self)!)
        }
        self.values = values
        self.oid = type
    }
}
