#include "CInflate.h"

/* CRC-32 (gzip's, reflected polynomial 0xEDB88320) by folding 64 bytes at a time with carry-less multiplication,
   after Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ": about five times zlib's speed on
   data in cache. The constants are x^n mod P(x) for the folding distances (512, 128, 64 bits), P(x) and its
   Barrett quotient, all bit-reflected. */

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("pclmul,sse4.1")))
static uint32_t fold(uint32_t crc, const uint8_t *p, size_t n) {
    const __m128i k12 = _mm_set_epi64x(0x1c6e41596LL, 0x154442bd4LL);
    const __m128i k34 = _mm_set_epi64x(0x0ccaa009eLL, 0x1751997d0LL);
    const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124LL);
    const __m128i poly = _mm_set_epi64x(0x1f7011641LL, 0x1db710641LL);
    const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
    __m128i x1 = _mm_loadu_si128((const __m128i *)p), x2 = _mm_loadu_si128((const __m128i *)(p + 16)),
            x3 = _mm_loadu_si128((const __m128i *)(p + 32)), x4 = _mm_loadu_si128((const __m128i *)(p + 48));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
    p += 64;
    n -= 64;
#define FOLD(x, k, d) x = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), d)
    for (; n >= 64; p += 64, n -= 64) {
        FOLD(x1, k12, _mm_loadu_si128((const __m128i *)p));
        FOLD(x2, k12, _mm_loadu_si128((const __m128i *)(p + 16)));
        FOLD(x3, k12, _mm_loadu_si128((const __m128i *)(p + 32)));
        FOLD(x4, k12, _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    FOLD(x1, k34, x2);
    FOLD(x1, k34, x3);
    FOLD(x1, k34, x4);
    for (; n >= 16; p += 16, n -= 16) FOLD(x1, k34, _mm_loadu_si128((const __m128i *)p));
#undef FOLD
    /* 128 bits to 64, to 32, then Barrett reduction to the remainder. */
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), _mm_clmulepi64_si128(k34, x1, 0x01));
    __m128i t = _mm_and_si128(x1, mask32);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 4), _mm_clmulepi64_si128(t, k5, 0x00));
    t = _mm_and_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, mask32), poly, 0x10), mask32);
    x1 = _mm_xor_si128(x1, _mm_clmulepi64_si128(t, poly, 0x00));
    return (uint32_t)_mm_extract_epi32(x1, 1);
}

size_t bt_crc32_fold(uint32_t *crc, const uint8_t *p, size_t n) {
    static int usable = -1;
    if (usable < 0) usable = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    if (!usable || n < 64) return 0;
    size_t m = n & ~(size_t)15;
    *crc = ~fold(~*crc, p, m);
    return m;
}
#else
size_t bt_crc32_fold(uint32_t *crc, const uint8_t *p, size_t n) {
    (void)crc;
    (void)p;
    (void)n;
    return 0;
}
#endif
