import Foundation
import Testing

@testable import Encoder
import MemoryGraph

extension EmbeddingTests {
    @Suite("safetensors reader", .timeLimit(.minutes(5)))
    struct SafeTensorsTests {
        /// A temporary folder removed when the test ends.
        final class Folder {
            let url = FileManager.default.temporaryDirectory
                .appendingPathComponent("memgraph-safetensors-\(UUID().uuidString)", isDirectory: true)
            init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
            deinit { try? FileManager.default.removeItem(at: url) }

            /// Writes a safetensors file: `header` JSON, padded with `padding` spaces, then `data`.
            func write(_ name: String, header: String, padding: Int = 0, data: Data) throws -> URL {
                var headerBytes = Data(header.utf8)
                headerBytes.append(Data(repeating: 0x20, count: padding))
                var length = UInt64(headerBytes.count).littleEndian
                var file = Data(bytes: &length, count: 8)
                file.append(headerBytes)
                file.append(data)
                return try write(name, bytes: file)
            }

            func write(_ name: String, bytes: Data) throws -> URL {
                let file = url.appendingPathComponent(name)
                try bytes.write(to: file)
                return file
            }
        }

        static func floatData(_ values: [Float]) -> Data {
            values.withUnsafeBufferPointer { Data(buffer: $0) }
        }

        static let matrixHeader = #"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#

        @Test("reads an F32 tensor by name")
        func readsTensor() throws {
            let folder = try Folder()
            let url = try folder.write("ok.safetensors", header: Self.matrixHeader, data: Self.floatData([1, 2, 3, 4, 5, 6]))
            let file = try SafeTensors(contentsOf: url)
            let values = try withExtendedLifetime(file) { try Array(file.floats("w", shape: [2, 3])) }
            #expect(values == [1, 2, 3, 4, 5, 6])
        }

        @Test("reads a tensor that is not 4-byte aligned in the file")
        func readsMisalignedTensor() throws {
            let folder = try Folder()
            let url = try folder.write(
                "odd.safetensors", header: Self.matrixHeader, padding: 1, data: Self.floatData([1, 2, 3, 4, 5, 6]))
            let file = try SafeTensors(contentsOf: url)
            let values = try withExtendedLifetime(file) { try Array(file.floats("w", shape: [2, 3])) }
            #expect(values == [1, 2, 3, 4, 5, 6])
        }

        @Test("a missing tensor names the tensor and the file")
        func missingTensor() throws {
            let folder = try Folder()
            let url = try folder.write("ok.safetensors", header: Self.matrixHeader, data: Self.floatData([1, 2, 3, 4, 5, 6]))
            let error = try #require(throws: MemoryGraphError.self) {
                try SafeTensors(contentsOf: url).floats("bias", shape: [3])
            }
            #expect(error.code == .modelCorrupt)
            #expect(error.description.contains("'bias'") && error.description.contains(url.path))
        }

        @Test("a wrong shape is reported with both shapes")
        func wrongShape() throws {
            let folder = try Folder()
            let url = try folder.write("ok.safetensors", header: Self.matrixHeader, data: Self.floatData([1, 2, 3, 4, 5, 6]))
            let error = try #require(throws: MemoryGraphError.self) {
                try SafeTensors(contentsOf: url).floats("w", shape: [3, 2])
            }
            #expect(error.code == .modelCorrupt)
            #expect(error.description.contains("[2, 3]") && error.description.contains("[3, 2]"))
        }

        @Test("an unsupported dtype is reported")
        func unsupportedDtype() throws {
            let folder = try Folder()
            let header = #"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#
            let url = try folder.write("half.safetensors", header: header, data: Data(count: 8))
            let error = try #require(throws: MemoryGraphError.self) {
                try SafeTensors(contentsOf: url).floats("h", shape: [4])
            }
            #expect(error.code == .modelCorrupt)
            #expect(error.description.contains("F16") && error.description.contains(url.path))
        }

        @Test("a file cut inside the tensor data is truncated, naming the file")
        func truncatedData() throws {
            let folder = try Folder()
            let url = try folder.write("cut.safetensors", header: Self.matrixHeader, data: Self.floatData([1, 2, 3]))
            let error = try #require(throws: MemoryGraphError.self) { try SafeTensors(contentsOf: url) }
            #expect(error.code == .modelCorrupt)
            #expect(error.description.contains("truncated") && error.description.contains(url.path))
            #expect(!error.description.contains("\n"))
        }

        @Test("a file cut inside the header, or shorter than its length field, is truncated")
        func truncatedHeader() throws {
            let folder = try Folder()
            var length = UInt64(500).littleEndian
            var bytes = Data(bytes: &length, count: 8)
            bytes.append(Data(#"{"w":"#.utf8))
            for (name, content) in [("short.safetensors", Data([1, 2, 3])), ("header.safetensors", bytes)] {
                let url = try folder.write(name, bytes: content)
                let error = try #require(throws: MemoryGraphError.self) { try SafeTensors(contentsOf: url) }
                #expect(error.code == .modelCorrupt)
                #expect(error.description.contains("truncated") && error.description.contains(url.path))
            }
        }

        @Test("an unreadable header and a shape that does not match the byte range are rejected")
        func malformedHeader() throws {
            let folder = try Folder()
            let garbage = try folder.write("garbage.safetensors", header: "not json", data: Data())
            let mismatch = try folder.write(
                "mismatch.safetensors", header: #"{"w":{"dtype":"F32","shape":[5],"data_offsets":[0,8]}}"#,
                data: Data(count: 8))
            for url in [garbage, mismatch] {
                let error = try #require(throws: MemoryGraphError.self) { try SafeTensors(contentsOf: url) }
                #expect(error.code == .modelCorrupt)
                #expect(error.description.contains(url.path))
            }
        }

        @Test("a file that does not exist is unavailable, naming it")
        func missingFile() throws {
            let url = URL(fileURLWithPath: "/nonexistent/model.safetensors")
            let error = try #require(throws: MemoryGraphError.self) { try SafeTensors(contentsOf: url) }
            #expect(error.code == .modelUnavailable)
            #expect(error.description.contains(url.path))
        }
    }
}
