// The two AVX-512 BF16 instructions the encoder's bfloat16 product uses, taking and returning
// integer vectors: Swift cannot import clang's __m512bh (a vector of __bf16), so it cannot call
// _mm512_dpbf16_ps or _mm512_cvtne2ps_pbh directly. Inline, so that each compiles to its one
// instruction inside the Swift kernel (EncoderKernels is built with -mavx512bf16 for this; it
// calls them only after checking that the processor has avx512_bf16).
#ifndef MEMGRAPH_CBFLOAT16_H
#define MEMGRAPH_CBFLOAT16_H
#if defined(__x86_64__) && defined(__AVX512BF16__)
#include <immintrin.h>

/// acc[i] += a[2i]·b[2i] + a[2i+1]·b[2i+1] over 32 bfloat16 pairs (VDPBF16PS).
static inline __attribute__((always_inline)) __m512 memgraph_dpbf16(__m512 acc, __m512i a, __m512i b) {
    return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b);
}

/// low's 16 floats then high's, rounded to the nearest bfloat16, ties to even (VCVTNE2PS2BF16).
static inline __attribute__((always_inline)) __m512i memgraph_round_bf16(__m512 low, __m512 high) {
    return (__m512i)_mm512_cvtne2ps_pbh(high, low);
}
#endif
#endif
