#if arch(x86_64)
import _Builtin_intrinsics.intel
internal import CBFloat16
#endif

/// The encoder's matrix product on AVX-512 BF16: weights packed once at load in bfloat16, inputs
/// rounded to bfloat16 per call, products summed in single precision.
///
/// `VDPBF16PS` does 32 multiply-adds a vector where `VFMADD231PS` does 16, and on the processors
/// that have it runs as fast: on this project's Zen 4 machine a core peaks at ~233 against ~117
/// GFLOP/s, and ``PackedProduct`` ran at nearly its peak. Only processors with `avx512_bf16`
/// (Cooper Lake, Sapphire Rapids and later; Zen 4 and later) may call it: MemoryGraph's
/// `EncoderKernel.avx512BF16` checks.
///
/// The price is precision: a bfloat16 keeps 8 bits of mantissa where a half keeps 11. Every
/// product of two bfloat16s is exact in single precision, so the error is the rounding of each
/// input and weight (at most 2⁻⁹ of itself). Run through the whole model, the vectors stay within
/// cosine 0.99997 of sentence-transformers' (the worst of MiniLMEmbedderTests' 44 reference
/// sentences: 1 − 3.4e-5, against 1 − 7.6e-7 for the half-precision kernel; the test asks for
/// 0.9999 of every kernel).
///
/// Layout of a packed `n`×`k` weight (`k` even): `n / 48` panels, each `k / 2` rows of 48 pairs;
/// row `q` of panel `j` holds `weight[48·j + c][2q]` and `weight[48·j + c][2q + 1]` side by side
/// for `c` in `0..<48`. An input row is `k` bfloat16s, so a pair of them is one 32-bit broadcast.
public enum PackedProductBF16 {
    /// Output columns per panel: three 16-float vectors.
    public static let panelWidth = PackedProduct.panelWidth
    /// Output rows per tile.
    public static let tileRows = 8

    /// `x` rounded to the nearest bfloat16, ties to even (NaN stays NaN), as its bits.
    public static func bfloat16(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// The float a bfloat16's bits stand for (exact).
    public static func float(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Copies an `n`×`k` row-major weight into `packed` (`n`·`k` bfloat16s, each rounded to the
    /// nearest) in the panel layout. `n` must be a multiple of ``panelWidth`` and `k` even.
    public static func pack(weight: UnsafePointer<Float>, n: Int, k: Int, into packed: UnsafeMutablePointer<UInt16>) {
        precondition(n % panelWidth == 0 && k % 2 == 0, "a bfloat16 packed weight needs a multiple of \(panelWidth) rows and an even row length")
        var target = packed
        for panel in 0..<(n / panelWidth) {
            let rows = weight + panel * panelWidth * k
            for pair in 0..<(k / 2) {
                for column in 0..<panelWidth {
                    target[2 * column] = bfloat16(rows[column * k + 2 * pair])
                    target[2 * column + 1] = bfloat16(rows[column * k + 2 * pair + 1])
                }
                target += 2 * panelWidth
            }
        }
    }

    /// Rounds the `m`×`k` floats of `a` (row stride `lda`) to bfloat16 into `target`, `k` to a row.
    /// `k` must be even. Rows are rounded as the hardware does (ties to even), 32 at a time.
    @inline(never)
    public static func round(a: UnsafePointer<Float>, lda: Int, m: Int, k: Int, into target: UnsafeMutablePointer<UInt16>) {
        precondition(k % 2 == 0, "bfloat16 rows are read in pairs: k must be even")
        for row in 0..<m {
            let source = a + row * lda
            let out = target + row * k
            var column = 0
            #if arch(x86_64)
            while column + 32 <= k {
                let low = UnsafeRawPointer(source + column).loadUnaligned(as: SIMD16<Float>.self)
                let high = UnsafeRawPointer(source + column + 16).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(out + column).storeBytes(of: memgraph_round_bf16(low, high), as: __m512i.self)
                column += 32
            }
            #endif
            while column < k {
                out[column] = bfloat16(source[column])
                column += 1
            }
        }
    }

    /// `c[i][48·j ..< 48·(j+1)] = a[i] · panel j` for `i` in `0..<m` and each panel `j` in `panels`.
    ///
    /// `a` is `m`×`k` bfloat16s (from ``round(a:lda:m:k:into:)``) with row stride `lda`, both
    /// even; `c` has row stride `ldc` and is overwritten.
    @inline(never)
    public static func multiply(
        a: UnsafePointer<UInt16>, lda: Int, m: Int, k: Int,
        packed: UnsafePointer<UInt16>, panels: Range<Int>,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        #if arch(x86_64)
        guard m > 0, k > 0 else { return }
        precondition(k % 2 == 0 && lda % 2 == 0, "bfloat16 rows are read in pairs: k and lda must be even")
        for panel in panels {
            let weights = UnsafeRawPointer(packed + panel * k * panelWidth)
            var row = 0
            while row < m {
                tile(
                    a: UnsafeRawPointer(a + row * lda), lda: lda * 2, rows: Swift.min(tileRows, m - row), pairs: k / 2,
                    panel: weights, c: c + row * ldc + panel * panelWidth, ldc: ldc)
                row += tileRows
            }
        }
        #else
        preconditionFailure("the bfloat16 product needs x86-64 with AVX-512 BF16")
        #endif
    }

    #if arch(x86_64)
    typealias Vector = SIMD16<Float>

    /// One 8×48 tile: 24 accumulators, three panel loads and eight pair broadcasts per two steps
    /// of `k`. `lda` is in bytes. With `rows` below 8 the missing rows repeat the last one and
    /// are not stored. The accumulators are 24 separate variables, as in ``PackedProduct``, so
    /// that they stay in registers.
    @inline(__always)
    static func tile(
        a: UnsafeRawPointer, lda: Int, rows: Int, pairs: Int, panel: UnsafeRawPointer,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let last = rows - 1
        let a0 = a + Swift.min(0, last) * lda
        let a1 = a + Swift.min(1, last) * lda
        let a2 = a + Swift.min(2, last) * lda
        let a3 = a + Swift.min(3, last) * lda
        let a4 = a + Swift.min(4, last) * lda
        let a5 = a + Swift.min(5, last) * lda
        let a6 = a + Swift.min(6, last) * lda
        let a7 = a + Swift.min(7, last) * lda
        var c00 = Vector(), c01 = Vector(), c02 = Vector()
        var c10 = Vector(), c11 = Vector(), c12 = Vector()
        var c20 = Vector(), c21 = Vector(), c22 = Vector()
        var c30 = Vector(), c31 = Vector(), c32 = Vector()
        var c40 = Vector(), c41 = Vector(), c42 = Vector()
        var c50 = Vector(), c51 = Vector(), c52 = Vector()
        var c60 = Vector(), c61 = Vector(), c62 = Vector()
        var c70 = Vector(), c71 = Vector(), c72 = Vector()
        var b = panel
        for q in 0..<pairs {
            let b0 = b.loadUnaligned(as: __m512i.self)
            let b1 = b.loadUnaligned(fromByteOffset: 64, as: __m512i.self)
            let b2 = b.loadUnaligned(fromByteOffset: 128, as: __m512i.self)
            let x0 = pair(a0, q)
            c00 = memgraph_dpbf16(c00, x0, b0); c01 = memgraph_dpbf16(c01, x0, b1); c02 = memgraph_dpbf16(c02, x0, b2)
            let x1 = pair(a1, q)
            c10 = memgraph_dpbf16(c10, x1, b0); c11 = memgraph_dpbf16(c11, x1, b1); c12 = memgraph_dpbf16(c12, x1, b2)
            let x2 = pair(a2, q)
            c20 = memgraph_dpbf16(c20, x2, b0); c21 = memgraph_dpbf16(c21, x2, b1); c22 = memgraph_dpbf16(c22, x2, b2)
            let x3 = pair(a3, q)
            c30 = memgraph_dpbf16(c30, x3, b0); c31 = memgraph_dpbf16(c31, x3, b1); c32 = memgraph_dpbf16(c32, x3, b2)
            let x4 = pair(a4, q)
            c40 = memgraph_dpbf16(c40, x4, b0); c41 = memgraph_dpbf16(c41, x4, b1); c42 = memgraph_dpbf16(c42, x4, b2)
            let x5 = pair(a5, q)
            c50 = memgraph_dpbf16(c50, x5, b0); c51 = memgraph_dpbf16(c51, x5, b1); c52 = memgraph_dpbf16(c52, x5, b2)
            let x6 = pair(a6, q)
            c60 = memgraph_dpbf16(c60, x6, b0); c61 = memgraph_dpbf16(c61, x6, b1); c62 = memgraph_dpbf16(c62, x6, b2)
            let x7 = pair(a7, q)
            c70 = memgraph_dpbf16(c70, x7, b0); c71 = memgraph_dpbf16(c71, x7, b1); c72 = memgraph_dpbf16(c72, x7, b2)
            b += 4 * panelWidth
        }
        PackedProduct.store(c, c00, c01, c02)
        if rows > 1 { PackedProduct.store(c + 1 * ldc, c10, c11, c12) }
        if rows > 2 { PackedProduct.store(c + 2 * ldc, c20, c21, c22) }
        if rows > 3 { PackedProduct.store(c + 3 * ldc, c30, c31, c32) }
        if rows > 4 { PackedProduct.store(c + 4 * ldc, c40, c41, c42) }
        if rows > 5 { PackedProduct.store(c + 5 * ldc, c50, c51, c52) }
        if rows > 6 { PackedProduct.store(c + 6 * ldc, c60, c61, c62) }
        if rows > 7 { PackedProduct.store(c + 7 * ldc, c70, c71, c72) }
    }

    /// Pair `q` of the bfloat16 row at `row` (32 bits), in every lane.
    @inline(__always)
    static func pair(_ row: UnsafeRawPointer, _ q: Int) -> __m512i {
        unsafeBitCast(SIMD16<UInt32>(repeating: row.loadUnaligned(fromByteOffset: 4 * q, as: UInt32.self)), to: __m512i.self)
    }
    #endif
}
