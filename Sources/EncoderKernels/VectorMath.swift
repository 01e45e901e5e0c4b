/// The element-wise parts of the encoder: layer norm, GELU, softmax.
///
/// The loops are plain scalar code over pointers with no branches in their bodies, which the
/// optimiser vectorises in release builds and which stays tolerably fast in debug builds (explicit
/// `SIMD` types are generic, and hundreds of times slower unoptimised). `exp` and `erf` are
/// polynomial approximations within a few float ulps, which keeps vectors within 1e-6 of the
/// reference without a libm call per element.
///
/// Every function is emitted into the module that calls it and compiled for that module's
/// processor: MemoryGraph gets a copy for any x86-64, and ``VectorMathAVX512`` one for AVX-512.
public enum VectorMath {
    /// `e^x`, Cephes-style: range reduction by ln 2, a degree-6 polynomial, then scaling by 2ⁿ.
    @_alwaysEmitIntoClient @inline(__always)
    public static func exp(_ input: Float) -> Float {
        let x0 = Swift.min(Swift.max(input, -87.3), 88.3)
        // Adding 1.5·2²³ rounds to an integer held in the low bits of the float.
        let shifted = x0 * 1.44269504088896341 + 12_582_912
        let n = shifted - 12_582_912
        var x = x0 - n * 0.693359375
        x = x + n * 2.12194440e-4
        let x2 = x * x
        var y: Float = 1.9875691500e-4
        y = y * x + 1.3981999507e-3
        y = y * x + 8.3334519073e-3
        y = y * x + 4.1665795894e-2
        y = y * x + 1.6666665459e-1
        y = y * x + 5.0000001201e-1
        y = y * x2 + x + 1
        let exponent = (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23
        return y * Float(bitPattern: exponent)
    }

    /// The error function, as a rational approximation on [-4, 4] (outside it erf is ±1 in float).
    @_alwaysEmitIntoClient @inline(__always)
    public static func erf(_ input: Float) -> Float {
        let x = Swift.min(Swift.max(input, -4), 4)
        let x2 = x * x
        var p: Float = x2 * -2.72614225801306e-10 + 2.77068142495902e-08
        p = x2 * p + -2.10102402082508e-06
        p = x2 * p + -5.69250639462346e-05
        p = x2 * p + -7.34990630326855e-04
        p = x2 * p + -2.95459980854025e-03
        p = x2 * p + -1.60960333262415e-02
        var q: Float = x2 * -1.45660718464996e-05 + -2.13374055278905e-04
        q = x2 * q + -1.68282697438203e-03
        q = x2 * q + -7.37332916720468e-03
        q = x2 * q + -1.42647390514189e-02
        return x * p / q
    }

    /// `x = gelu(x + bias)` on `columns` of each row (row stride `stride`), with the exact (erf)
    /// GELU: `x/2 · (1 + erf(x/√2))`.
    @_alwaysEmitIntoClient
    public static func addBiasGELU(
        _ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Range<Int>, stride: Int,
        bias: UnsafePointer<Float>
    ) {
        for row in 0..<rows {
            let line = matrix + row * stride
            for column in columns {
                let x = line[column] + bias[column]
                line[column] = x * 0.5 * (1 + erf(x * 0.70710678118654752))
            }
        }
    }

    /// `matrix[row][columns] += bias[columns]` for every row (row stride `stride`).
    @_alwaysEmitIntoClient
    public static func addBias(
        _ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Range<Int>, stride: Int,
        bias: UnsafePointer<Float>
    ) {
        for row in 0..<rows {
            let line = matrix + row * stride
            for column in columns { line[column] += bias[column] }
        }
    }

    /// `output = LayerNorm(input + bias + residual)` per row, with gain `gamma` and offset `beta`.
    /// `output` may be `input` or `residual`. `columns` must be a multiple of 4.
    @_alwaysEmitIntoClient
    public static func addBiasResidualLayerNorm(
        _ input: UnsafePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
        output: UnsafeMutablePointer<Float>, rows: Int, columns: Int
    ) {
        for row in 0..<rows {
            let source = input + row * columns
            let target = output + row * columns
            if let bias, let residual {
                let skip = residual + row * columns
                for column in 0..<columns { target[column] = source[column] + bias[column] + skip[column] }
            } else if source != UnsafePointer(target) {
                target.update(from: source, count: columns)
            }
            let mean = sum(target, count: columns) { $0 } / Float(columns)
            let variance = sum(target, count: columns) { ($0 - mean) * ($0 - mean) } / Float(columns)
            let scale = 1 / (variance + epsilon).squareRoot()
            for column in 0..<columns {
                target[column] = (target[column] - mean) * scale * gamma[column] + beta[column]
            }
        }
    }

    /// Softmax of each of `rows` rows of length `columns`, in place (row stride `columns`).
    @_alwaysEmitIntoClient
    public static func softmaxRows(_ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for row in 0..<rows {
            let line = matrix + row * columns
            var maximum = -Float.infinity
            for column in 0..<columns { maximum = Swift.max(maximum, line[column]) }
            for column in 0..<columns { line[column] = exp(line[column] - maximum) }
            let inverse = 1 / sum(line, count: columns) { $0 }
            for column in 0..<columns { line[column] *= inverse }
        }
    }

    /// Σ f(values[i]), with four running sums so the additions need not wait on each other.
    @_alwaysEmitIntoClient @inline(__always)
    public static func sum(_ values: UnsafePointer<Float>, count: Int, _ f: (Float) -> Float) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var index = 0
        while index + 4 <= count {
            s0 += f(values[index])
            s1 += f(values[index + 1])
            s2 += f(values[index + 2])
            s3 += f(values[index + 3])
            index += 4
        }
        while index < count {
            s0 += f(values[index])
            index += 1
        }
        return (s0 + s1) + (s2 + s3)
    }
}
