import EncoderKernels
import Foundation
import Testing

@testable import Encoder
import MemoryGraph

extension EmbeddingTests {
    @Suite("Vector math", .timeLimit(.minutes(5)))
    struct VectorMathTests {
        @Test("erf is within 1e-6 of libm's on [-6, 6]")
        func erfAccuracy() {
            var worst: Float = 0
            var x: Float = -6
            while x <= 6 {
                worst = max(worst, abs(VectorMath.erf(x) - Foundation.erf(x)))
                x += 0.0003
            }
            #expect(worst < 1e-6)
        }

        @Test("exp is within 2e-7 relative error of libm's on [-80, 80]")
        func expAccuracy() {
            var worst: Float = 0
            var x: Float = -80
            while x <= 80 {
                let exact = Foundation.exp(x)
                worst = max(worst, abs(VectorMath.exp(x) - exact) / exact)
                x += 0.001
            }
            #expect(worst < 2e-7)
        }

        @Test("softmax rows sum to one, for lengths that are and are not multiples of 8")
        func softmax() {
            for columns in [1, 7, 8, 13, 30] {
                var values = (0..<(2 * columns)).map { Float($0 % 5) - 2 }
                values.withUnsafeMutableBufferPointer { buffer in
                    VectorMath.softmaxRows(buffer.baseAddress!, rows: 2, columns: columns)
                }
                for row in 0..<2 {
                    let sum = values[(row * columns)..<((row + 1) * columns)].reduce(0, +)
                    #expect(abs(sum - 1) < 1e-5)
                }
                let first = values[0..<columns].map { Double($0) }
                let raw = (0..<columns).map { Double($0 % 5) - 2 }
                let expected = raw.map { Foundation.exp($0) / raw.map { Foundation.exp($0) }.reduce(0, +) }
                for (a, b) in zip(first, expected) { #expect(abs(a - b) < 1e-6) }
            }
        }

        /// The same source compiled twice: a difference would come from vectorisation changing an
        /// operation, which must stay within float rounding.
        @Test(
            "the AVX-512 build of GELU, layer norm and softmax agrees with the portable one",
            .enabled(if: EncoderKernel.avx512Supported, "this processor has no AVX-512"))
        func avx512Build() {
            let (rows, columns) = (5, 384)
            var random = SplitMix64(seed: 42)
            func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(Double(random.next() % 8001) / 1000 - 4) } }
            let input = values(rows * columns), bias = values(columns), residual = values(rows * columns)
            let gamma = values(columns), beta = values(columns)
            func close(_ a: [Float], _ b: [Float]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) } }

            var portable = input, fast = input
            VectorMath.addBiasGELU(&portable, rows: rows, columns: 3..<columns, stride: columns, bias: bias)
            VectorMathAVX512.addBiasGELU(&fast, rows: rows, columns: 3..<columns, stride: columns, bias: bias)
            #expect(close(portable, fast))
            #expect(portable[0..<3] == input[0..<3])

            var normed = [Float](repeating: 0, count: rows * columns), normedFast = normed
            VectorMath.addBiasResidualLayerNorm(
                input, bias: bias, residual: residual, gamma: gamma, beta: beta, epsilon: 1e-12,
                output: &normed, rows: rows, columns: columns)
            VectorMathAVX512.addBiasResidualLayerNorm(
                input, bias: bias, residual: residual, gamma: gamma, beta: beta, epsilon: 1e-12,
                output: &normedFast, rows: rows, columns: columns)
            #expect(close(normed, normedFast))

            var soft = Array(input[0..<(3 * 29)]), softFast = soft
            VectorMath.softmaxRows(&soft, rows: 3, columns: 29)
            VectorMathAVX512.softmaxRows(&softFast, rows: 3, columns: 29)
            #expect(close(soft, softFast))
        }
    }
}
