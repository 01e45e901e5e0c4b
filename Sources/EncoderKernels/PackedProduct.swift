#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// The encoder's matrix product on AVX-512, for weights packed once at load, in half precision.
///
/// This module is compiled for `skylake-avx512` (see Package.swift), so nothing in it may run on a
/// processor without AVX-512: MemoryGraph calls it only after checking the processor
/// (`EncoderKernel.avx512`; `PackedProductBF16` is its bfloat16 sibling). cblas cannot take weights packed in advance; OpenBLAS packs them again
/// on every call, which at batch 1 costs as much as the product itself.
///
/// Layout of a packed `n`×`k` weight (PyTorch `Linear`, out×in): `n / 48` panels, each `k` rows of
/// 48 halves; row `p` of panel `j` holds `weight[48·j + c][p]` for `c` in `0..<48`.
///
/// The weights are kept as IEEE half-precision numbers and widened to single precision as they
/// are loaded (one `vcvtph2ps` per 16); inputs, products and sums stay single precision. MiniLM's
/// packed weights then take 21 MB instead of 42, and a 32 MB L3 cache is no longer emptied by
/// every embedding, so the Postgres search that follows a query's embedding finds more of the
/// index's pages still cached. `memgraph bench encoder` on this project's 2-core machine, single
/// precision against half: a short sentence 2.05 against 1.40-1.53 ms (p50), batch 32 467
/// against 548-581 sentences/s. `bench store` (100,000 nodes), SEARCH with its query embedded:
/// 8.5-8.9 against 5.7-7.6 ms (p50). Rounding to half precision changes a weight by at most 2⁻¹¹
/// of itself; the model's vectors stay within cosine 0.999999 of sentence-transformers' (the
/// worst of the 42 reference sentences of MiniLMEmbedderTests: 1 − 7.6e-7; the test asks for
/// 0.9999).
public enum PackedProduct {
    /// The packed weights' element type.
    public typealias Weight = Float16

    /// Output columns per panel: three 16-float vectors.
    public static let panelWidth = 48
    /// Output rows per tile.
    public static let tileRows = 8

    /// `c[i][48·j ..< 48·(j+1)] = a[i] · panel j` for `i` in `0..<m` and each panel `j` in `panels`.
    ///
    /// `a` is `m`×`k` with row stride `lda`; `c` has row stride `ldc` and is overwritten.
    @inline(never)
    public static func multiply(
        a: UnsafePointer<Float>, lda: Int, m: Int, k: Int,
        packed: UnsafePointer<Weight>, panels: Range<Int>,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, k > 0 else { return }
        for panel in panels {
            let weights = packed + panel * k * panelWidth
            var row = 0
            while row < m {
                tile(
                    a: a + row * lda, lda: lda, rows: Swift.min(tileRows, m - row), k: k, panel: weights,
                    c: c + row * ldc + panel * panelWidth, ldc: ldc)
                row += tileRows
            }
        }
    }

    /// Copies an `n`×`k` row-major weight into `packed` (`n`·`k` halves, each rounded to the
    /// nearest) in the panel layout. `n` must be a multiple of ``panelWidth``.
    public static func pack(weight: UnsafePointer<Float>, n: Int, k: Int, into packed: UnsafeMutablePointer<Weight>) {
        precondition(n % panelWidth == 0, "a packed weight needs a multiple of \(panelWidth) rows")
        var target = packed
        for panel in 0..<(n / panelWidth) {
            let rows = weight + panel * panelWidth * k
            for p in 0..<k {
                for column in 0..<panelWidth { target[column] = Weight(rows[column * k + p]) }
                target += panelWidth
            }
        }
    }

    typealias Vector = SIMD16<Float>

    /// One 8×48 tile: 24 accumulators, three panel loads and eight broadcasts per step of `k`.
    /// With `rows` below 8 the missing rows repeat the last one and are not stored.
    ///
    /// The rows are written out one by one on purpose: as 24 separate variables the accumulators
    /// stay in registers (zmm0-23), which an array or a loop over rows does not guarantee.
    @inline(__always)
    static func tile(
        a: UnsafePointer<Float>, lda: Int, rows: Int, k: Int, panel: UnsafePointer<Weight>,
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
        var b = UnsafeRawPointer(panel)
        for p in 0..<k {
            let b0 = widen(b, 0)
            let b1 = widen(b, 32)
            let b2 = widen(b, 64)
            let x0 = Vector(repeating: a0[p])
            c00 = c00.addingProduct(x0, b0); c01 = c01.addingProduct(x0, b1); c02 = c02.addingProduct(x0, b2)
            let x1 = Vector(repeating: a1[p])
            c10 = c10.addingProduct(x1, b0); c11 = c11.addingProduct(x1, b1); c12 = c12.addingProduct(x1, b2)
            let x2 = Vector(repeating: a2[p])
            c20 = c20.addingProduct(x2, b0); c21 = c21.addingProduct(x2, b1); c22 = c22.addingProduct(x2, b2)
            let x3 = Vector(repeating: a3[p])
            c30 = c30.addingProduct(x3, b0); c31 = c31.addingProduct(x3, b1); c32 = c32.addingProduct(x3, b2)
            let x4 = Vector(repeating: a4[p])
            c40 = c40.addingProduct(x4, b0); c41 = c41.addingProduct(x4, b1); c42 = c42.addingProduct(x4, b2)
            let x5 = Vector(repeating: a5[p])
            c50 = c50.addingProduct(x5, b0); c51 = c51.addingProduct(x5, b1); c52 = c52.addingProduct(x5, b2)
            let x6 = Vector(repeating: a6[p])
            c60 = c60.addingProduct(x6, b0); c61 = c61.addingProduct(x6, b1); c62 = c62.addingProduct(x6, b2)
            let x7 = Vector(repeating: a7[p])
            c70 = c70.addingProduct(x7, b0); c71 = c71.addingProduct(x7, b1); c72 = c72.addingProduct(x7, b2)
            b += 96
        }
        store(c, c00, c01, c02)
        if rows > 1 { store(c + 1 * ldc, c10, c11, c12) }
        if rows > 2 { store(c + 2 * ldc, c20, c21, c22) }
        if rows > 3 { store(c + 3 * ldc, c30, c31, c32) }
        if rows > 4 { store(c + 4 * ldc, c40, c41, c42) }
        if rows > 5 { store(c + 5 * ldc, c50, c51, c52) }
        if rows > 6 { store(c + 6 * ldc, c60, c61, c62) }
        if rows > 7 { store(c + 7 * ldc, c70, c71, c72) }
    }

    /// The 16 halves at `base + offset`, as floats.
    @inline(__always)
    static func widen(_ base: UnsafeRawPointer, _ offset: Int) -> Vector {
        #if arch(x86_64)
        // Swift's generic SIMD conversion is not lowered to the instruction (it converts one by one).
        return _mm512_cvtph_ps(base.loadUnaligned(fromByteOffset: offset, as: __m256i.self))
        #else
        return Vector(base.loadUnaligned(fromByteOffset: offset, as: SIMD16<Weight>.self))
        #endif
    }

    @inline(__always)
    static func store(_ target: UnsafeMutablePointer<Float>, _ v0: Vector, _ v1: Vector, _ v2: Vector) {
        let raw = UnsafeMutableRawPointer(target)
        raw.storeBytes(of: v0, as: Vector.self)
        raw.storeBytes(of: v1, toByteOffset: 64, as: Vector.self)
        raw.storeBytes(of: v2, toByteOffset: 128, as: Vector.self)
    }
}
