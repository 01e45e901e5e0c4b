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
            #expect(error.description.contains("use auto, blas, avx512 or avx512-bf16"))
            if EncoderKernel.avx512Supported {
                #expect(try EncoderKernel.preferred(environment: [variable: "avx512"]) == .avx512)
            } else {
                #expect(throws: MemoryGraphError.self) { try EncoderKernel.preferred(environment: [variable: "avx512"]) }
            }
            if EncoderKernel.avx512BF16Supported {
                #expect(try EncoderKernel.preferred(environment: [variable: "AVX512-BF16"]) == .avx512BF16)
                #expect(EncoderKernel.available == [.avx512BF16, .avx512, .blas])
            } else {
                let error = try #require(throws: MemoryGraphError.self) {
                    try EncoderKernel.preferred(environment: [variable: "avx512-bf16"])
                }
                #expect(error.description.contains("no AVX-512"))
                #expect(!EncoderKernel.available.contains(.avx512BF16))
            }
        }

        /// A product's shapes and random entries in [-1, 1]: three panels of output columns, and
        /// row strides wider than the rows (`m`×`k` inputs, `3·48`×`k` weights).
        static func productCase(_ m: Int, _ k: Int) -> (width: Int, n: Int, lda: Int, ldc: Int, a: [Float], weight: [Float]) {
            let width = PackedProduct.panelWidth
            let n = 3 * width
            let (lda, ldc) = (k + 3, n + 5)
            var random = SplitMix64(seed: UInt64(m * 10_000 + k))
            func value() -> Float { Float(Double(random.next() % 2001) / 1000 - 1) }
            let a = (0..<(m * lda)).map { _ in value() }
            let weight = (0..<(n * k)).map { _ in value() }
            return (width, n, lda, ldc, a, weight)
        }

        /// Every tile shape: rows below, at and above a tile, one step of k or many, strides wider
        /// than the matrices, and a range of panels that must leave the other columns alone.
        @Test(
            "the packed AVX-512 product equals a double-precision product by the half-precision weights",
            .enabled(if: EncoderKernel.avx512Supported, "this processor has no AVX-512"),
            arguments: [(1, 1), (7, 5), (8, 384), (9, 64), (33, 1536)])
        func packedProduct(_ m: Int, _ k: Int) {
            let (width, n, lda, ldc, a, weight) = Self.productCase(m, k)
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

        /// Every tile shape, as for the half-precision product, against a double-precision product
        /// of the same bfloat16 inputs and weights; and each row alone gives the same bits as in
        /// the batch (a vector does not depend on what it was batched with).
        @Test(
            "the packed AVX-512 BF16 product equals a double-precision product by the bfloat16 inputs and weights",
            .enabled(if: EncoderKernel.avx512BF16Supported, "this processor has no AVX-512 BF16"),
            arguments: [(1, 2), (7, 6), (8, 384), (9, 64), (33, 1536)])
        func packedProductBF16(_ m: Int, _ k: Int) {
            let (width, n, lda, ldc, a, weight) = Self.productCase(m, k)
            var packed = [UInt16](repeating: 0xFFFF, count: n * k)
            PackedProductBF16.pack(weight: weight, n: n, k: k, into: &packed)
            var rounded = [UInt16](repeating: 0xFFFF, count: m * k)
            PackedProductBF16.round(a: a, lda: lda, m: m, k: k, into: &rounded)
            let sentinel: Float = 12345
            var c = [Float](repeating: sentinel, count: m * ldc)
            PackedProductBF16.multiply(a: rounded, lda: k, m: m, k: k, packed: packed, panels: 1..<3, c: &c, ldc: ldc)
            var worst = 0.0
            for row in 0..<m {
                for p in 0..<k {
                    #expect(rounded[row * k + p] == PackedProductBF16.bfloat16(a[row * lda + p]), "row \(row) input \(p) rounded")
                }
                var alone = [Float](repeating: sentinel, count: ldc)
                rounded.withUnsafeBufferPointer { all in
                    PackedProductBF16.multiply(
                        a: all.baseAddress! + row * k, lda: k, m: 1, k: k, packed: packed, panels: 1..<3, c: &alone, ldc: ldc)
                }
                for column in 0..<ldc {
                    let got = c[row * ldc + column]
                    guard (width..<n).contains(column) else {
                        #expect(got == sentinel, "row \(row) column \(column) was written")
                        continue
                    }
                    #expect(alone[column] == got, "row \(row) column \(column) differs when multiplied alone")
                    var expected = 0.0
                    for p in 0..<k {
                        let input = PackedProductBF16.float(PackedProductBF16.bfloat16(a[row * lda + p]))
                        let w = PackedProductBF16.float(PackedProductBF16.bfloat16(weight[column * k + p]))
                        expected += Double(input) * Double(w)
                    }
                    worst = max(worst, abs(Double(got) - expected))
                }
            }
            #expect(worst <= 1e-5 * Double(k), "largest error \(worst)")
        }

        @Test("bfloat16 rounding: to the nearest, ties to even, NaN stays NaN")
        func bfloat16Rounding() {
            let f = PackedProductBF16.self
            #expect(f.bfloat16(1) == 0x3F80)
            #expect(f.float(f.bfloat16(-2.5)) == -2.5)
            // 1 + 2⁻⁸ lies halfway between 1 and 1 + 2⁻⁷: ties go to the even one, 1.
            #expect(f.bfloat16(1 + 0x1p-8) == 0x3F80)
            // 1 + 3·2⁻⁸ lies halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶: to the even one, 1 + 2⁻⁶.
            #expect(f.bfloat16(1 + 3 * 0x1p-8) == 0x3F82)
            #expect(f.bfloat16(1 + 0x1p-8 + 0x1p-16) == 0x3F81)
            #expect(f.float(f.bfloat16(.nan)).isNaN)
            #expect(f.bfloat16(.infinity) == 0x7F80)
        }
    }
}
