import Foundation
import Testing

@testable import MemoryGraph

extension EmbeddingTests {
    @Suite("Vector math")
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
    }
}
