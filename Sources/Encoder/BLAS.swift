#if canImport(Accelerate)
import Accelerate
#else
import CCBLAS
#endif

/// The one matrix product the encoder needs, on cblas (Accelerate on Apple platforms,
/// OpenBLAS elsewhere). Row-major throughout.
public enum BLAS {
    /// `C = alpha · A · op(B) + beta · C`, with `A` m×k, `op(B)` k×n and `C` m×n.
    /// `transposeB` reads `B` as n×k (a PyTorch `Linear` weight is stored out×in).
    @inline(__always)
    static func gemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The number of threads the BLAS library uses for one call, where it can tell.
    public static var threads: Int? {
        #if canImport(Accelerate)
        return nil
        #else
        return Int(openblas_get_num_threads())
        #endif
    }

    /// Sets the BLAS library's thread count (OpenBLAS only; Accelerate chooses its own).
    public static func setThreads(_ count: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(count))
        #endif
    }
}
