import EncoderKernels
import Foundation
import Testing

@testable import Encoder
import MemoryGraph

extension EmbeddingTests {
    @Suite("Encoder kernels", .timeLimit(.minutes(5)))
    struct EncoderKernelTests {
        @Test("MEMGRAPH_ENCODER_KERNEL picks the kernel; auto or unset is the fastest this processor runs")
        func choice() throws {
            let variable = EncoderKernel.environmentVariable
            #expect(try EncoderKernel.preferred(environment: [:]) == EncoderKernel.available[0])
            #expect(try EncoderKernel.preferred(environment: [variable: "auto"]) == EncoderKernel.available[0])
            #expect(try EncoderKernel.preferred(environment: [variable: " BLAS "]) == .blas)
            let error = try #require(throws: MemoryGraphError.self) {
                try EncoderKernel.preferred(environment: [variable: "cuda"])
            }
            #expect(error.code == .invalidInput)
            #expect(error.description.contains("use auto, blas or avx512"))
            if EncoderKernel.avx512Supported {
                #expect(try EncoderKernel.preferred(environment: [variable: "avx512"]) == .avx512)
            } else {
                #expect(throws: MemoryGraphError.self) { try EncoderKernel.preferred(environment: [variable: "avx512"]) }
            }
        }

        /// Every tile shape: rows below, at and above a tile, one step of k or many, strides wider
        /// than the matrices, and a range of panels that must leave the other columns alone.
        @Test(
            "the packed AVX-512 product equals a double-precision product by the half-precision weights",
            .enabled(if: EncoderKernel.avx512Supported, "this processor has no AVX-512"),
            arguments: [(1, 1), (7, 5), (8, 384), (9, 64), (33, 1536)])
        func packedProduct(_ m: Int, _ k: Int) {
            let width = PackedProduct.panelWidth
            let n = 3 * width
            let (lda, ldc) = (k + 3, n + 5)
            var random = SplitMix64(seed: UInt64(m * 10_000 + k))
            func value() -> Float { Float(Double(random.next() % 2001) / 1000 - 1) }
            let a = (0..<(m * lda)).map { _ in value() }
            let weight = (0..<(n * k)).map { _ in value() }
            var packed = [PackedProduct.Weight](repeating: .nan, count: n * k)
            PackedProduct.pack(weight: weight, n: n, k: k, into: &packed)
            let sentinel: Float = 12345
            var c = [Float](repeating: sentinel, count: m * ldc)
            PackedProduct.multiply(a: a, lda: lda, m: m, k: k, packed: packed, panels: 1..<3, c: &c, ldc: ldc)
            var worst = 0.0
            for row in 0..<m {
                for column in 0..<ldc {
                    let got = c[row * ldc + column]
                    guard (width..<n).contains(column) else {
                        #expect(got == sentinel, "row \(row) column \(column) was written")
                        continue
                    }
                    var expected = 0.0
                    // Each weight as packed: the nearest half-precision number.
                    for p in 0..<k { expected += Double(a[row * lda + p]) * Double(Float16(weight[column * k + p])) }
                    worst = max(worst, abs(Double(got) - expected))
                }
            }
            #expect(worst <= 1e-5 * Double(k), "largest error \(worst)")
        }
    }
}
