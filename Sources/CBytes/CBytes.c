#define _GNU_SOURCE
#include <string.h>
#include "CBytes.h"

const void *bouncetail_memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len) {
    return memmem(haystack, haystack_len, needle, needle_len);
}

const void *bouncetail_memrchr(const void *s, int c, size_t n) {
    return memrchr(s, c, n);
}

/* Whether ": to=" starts at p[j] (the caller knows j + 5 <= n). */
static inline int is_to_mark(const unsigned char *p, size_t j) {
    return p[j] == ':' && p[j + 1] == ' ' && p[j + 2] == 't' && p[j + 3] == 'o' && p[j + 4] == '=';
}

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Hands out the newlines (`lines`) and ": to=" candidates (`hits`) of one block at `i`, in order: each
   newline closes a line in ends/marks. Returns 1 when `cap` lines are indexed. */
static inline int take_block(const unsigned char *p, size_t i, unsigned long long lines, unsigned long long hits,
                             int *ends, int *marks, size_t cap, size_t *k, int *mark) {
    while (lines | hits) {
        unsigned first_line = lines ? (unsigned)__builtin_ctzll(lines) : 64;
        unsigned first_hit = hits ? (unsigned)__builtin_ctzll(hits) : 64;
        if (first_hit < first_line) {
            if (*mark < 0 && is_to_mark(p, i + first_hit)) *mark = (int)(i + first_hit);
            hits &= hits - 1;
        } else {
            ends[*k] = (int)(i + first_line);
            marks[*k] = *mark;
            *mark = -1;
            if (++*k == cap) return 1;
            lines &= lines - 1;
        }
    }
    return 0;
}


#if defined(__x86_64__)
#include <immintrin.h>

/* The same scan 64 bytes at a time, on processors with AVX2 (chosen once at run time). */
__attribute__((target("avx2")))
static size_t index_lines_avx2(const unsigned char *p, size_t n, size_t *at, int *ends, int *marks, size_t cap, int *mark_io) {
    size_t k = 0;
    size_t i = *at;
    int mark = *mark_io;
    const __m256i nl = _mm256_set1_epi8('\n'), colon = _mm256_set1_epi8(':'), t = _mm256_set1_epi8('t'), eq = _mm256_set1_epi8('=');
    while (i + 68 <= n) {
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(p + i));
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(p + i + 32));
        unsigned long long lines = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, nl))
            | (unsigned long long)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, nl)) << 32;
        __m256i c0 = _mm256_and_si256(_mm256_cmpeq_epi8(v0, colon),
            _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 2)), t),
                             _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 4)), eq)));
        __m256i c1 = _mm256_and_si256(_mm256_cmpeq_epi8(v1, colon),
            _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 34)), t),
                             _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 36)), eq)));
        unsigned long long hits = (unsigned)_mm256_movemask_epi8(c0) | (unsigned long long)(unsigned)_mm256_movemask_epi8(c1) << 32;
        if (take_block(p, i, lines, hits, ends, marks, cap, &k, &mark)) { *at = i; *mark_io = mark; return k; }
        i += 64;
    }
    *at = i;
    *mark_io = mark;
    return k;
}

static int has_avx2(void) {
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx2") ? 1 : 0;
    return known;
}
#endif

size_t bouncetail_index_lines(const unsigned char *p, size_t n, size_t start, int *ends, int *marks, size_t cap) {
    size_t k = 0;
    int mark = -1;
    size_t i = start;
    if (cap == 0) return 0;
#if defined(__x86_64__)
    if (has_avx2()) {
        k = index_lines_avx2(p, n, &i, ends, marks, cap, &mark);
        if (k == cap) return k;
    }
#endif
#if defined(__SSE2__)
    /* 16 bytes at a time: a bit per newline, and a bit per ':' with 't' two bytes on and '=' four bytes on (the
       other two bytes are checked per hit). The loads reach 4 bytes past the block, so the loop stops 20 short. */
    const __m128i nl = _mm_set1_epi8('\n'), colon = _mm_set1_epi8(':'), t = _mm_set1_epi8('t'), eq = _mm_set1_epi8('=');
    while (i + 20 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        unsigned lines = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
        unsigned hits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, colon));
        if (hits) {
            hits &= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 2)), t));
            if (hits) hits &= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 4)), eq));
        }
        if (take_block(p, i, lines, hits, ends, marks, cap, &k, &mark)) return k;
        i += 16;
    }
#endif
    for (; i < n; i++) {
        if (p[i] == '\n') {
            ends[k] = (int)i;
            marks[k] = mark;
            mark = -1;
            if (++k == cap) return k;
        } else if (p[i] == ':' && mark < 0 && i + 5 <= n && is_to_mark(p, i)) {
            mark = (int)i;
        }
    }
    return k;
}

/* Both searches look at 16 bytes at a time for the few bytes that matter and settle those one by one: field
   values in logs run to tens of bytes, and a byte-at-a-time loop over them was a tenth of scanning. */

size_t bouncetail_field_end(const unsigned char *p, size_t i, size_t end) {
    int in_quote = 0;
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
    while (i + 16 <= end) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)));
        while (m) {
            size_t j = i + (size_t)__builtin_ctz(m);
            if (p[j] == '"') in_quote = !in_quote;
            else if (!in_quote && (j + 1 == end || p[j + 1] == ' ')) return j;
            m &= m - 1;
        }
        i += 16;
    }
#endif
    for (; i < end; i++) {
        if (p[i] == '"') in_quote = !in_quote;
        else if (p[i] == ',' && !in_quote && (i + 1 == end || p[i + 1] == ' ')) return i;
    }
    return end;
}

long bouncetail_bracket_end(const unsigned char *p, size_t i, size_t end) {
    int in_quote = 0;
    size_t j = i + 1;
#if defined(__SSE2__)
    const __m128i gt = _mm_set1_epi8('>'), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    while (j + 16 <= end) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + j));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, gt), _mm_cmpeq_epi8(v, quote)), _mm_cmpeq_epi8(v, backslash)));
        size_t next = j + 16;
        while (m) {
            size_t k = j + (size_t)__builtin_ctz(m);
            m &= m - 1;
            if (in_quote) {
                if (p[k] == '\\') {
                    next = k + 2; /* the escaped byte may be any of the three: look again after it */
                    break;
                }
                if (p[k] == '"') in_quote = 0;
            } else if (p[k] == '"') {
                in_quote = 1;
            } else if (p[k] == '>') {
                return (long)k;
            }
        }
        j = next;
    }
#endif
    while (j < end) {
        unsigned char b = p[j];
        if (in_quote) {
            if (b == '\\') {
                j += 2;
                continue;
            }
            if (b == '"') in_quote = 0;
        } else if (b == '"') {
            in_quote = 1;
        } else if (b == '>') {
            return (long)j;
        }
        j++;
    }
    return -1;
}

static inline int is_alnum_ascii(unsigned char b) {
    return (unsigned char)(b - '0') < 10 || (unsigned char)((b | 0x20) - 'a') < 26;
}

size_t bouncetail_alnum_run_start(const unsigned char *p, size_t lo, size_t end) {
    size_t i = end;
#if defined(__SSE2__)
    const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9), case_bit = _mm_set1_epi8(0x20),
                  a = _mm_set1_epi8('a'), z = _mm_set1_epi8(25);
    while (i >= lo + 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i - 16));
        /* b - '0' <= 9 or (b | 0x20) - 'a' <= 25, unsigned: min(x, k) == x */
        __m128i d = _mm_sub_epi8(v, zero);
        __m128i l = _mm_sub_epi8(_mm_or_si128(v, case_bit), a);
        __m128i ok = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(d, nine), d), _mm_cmpeq_epi8(_mm_min_epu8(l, z), l));
        unsigned bad = ~(unsigned)_mm_movemask_epi8(ok) & 0xffffu;
        if (bad) return i - 16 + (size_t)(31 - __builtin_clz(bad)) + 1;
        i -= 16;
    }
#endif
    while (i > lo && is_alnum_ascii(p[i - 1])) i--;
    return i;
}
