/// ``VectorMath``'s per-layer steps compiled for AVX-512, for the model that runs
/// ``PackedProduct``: the same code, vectorised eight or sixteen floats wide with fused
/// multiply-adds instead of four without. Only to be called on a processor with AVX-512.
public enum VectorMathAVX512 {
    /// ``VectorMath/addBiasGELU(_:rows:columns:stride:bias:)``.
    @inline(never)
    public static func addBiasGELU(
        _ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Range<Int>, stride: Int,
        bias: UnsafePointer<Float>
    ) {
        VectorMath.addBiasGELU(matrix, rows: rows, columns: columns, stride: stride, bias: bias)
    }

    /// ``VectorMath/addBias(_:rows:columns:stride:bias:)``.
    @inline(never)
    public static func addBias(
        _ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Range<Int>, stride: Int,
        bias: UnsafePointer<Float>
    ) {
        VectorMath.addBias(matrix, rows: rows, columns: columns, stride: stride, bias: bias)
    }

    /// ``VectorMath/addBiasResidualLayerNorm(_:bias:residual:gamma:beta:epsilon:output:rows:columns:)``.
    @inline(never)
    public static func addBiasResidualLayerNorm(
        _ input: UnsafePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
        output: UnsafeMutablePointer<Float>, rows: Int, columns: Int
    ) {
        VectorMath.addBiasResidualLayerNorm(
            input, bias: bias, residual: residual, gamma: gamma, beta: beta, epsilon: epsilon,
            output: output, rows: rows, columns: columns)
    }

    /// ``VectorMath/softmaxRows(_:rows:columns:)``.
    @inline(never)
    public static func softmaxRows(_ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        VectorMath.softmaxRows(matrix, rows: rows, columns: columns)
    }
}
