#include <stdlib.h>
#include <string.h>
#include "CInflate.h"

/* Why a decoder of our own: zlib's inflate took 2 CPU-seconds per GiB of log, as much as all of scanning and
   tracking. This one decodes with a 64-bit bit buffer refilled a word at a time, one table look-up for most
   codes (looked up before the refill, so the two overlap), and matches copied 16 or 8 bytes at a time; it stops
   only between symbols, so its state is small. */

#define WINDOW 32768
/* Room a symbol may need: a 258-byte match copied in 16-byte steps after the first 32 (272 bytes). */
#define OUT_SLACK 288
/* Input a block header or symbol may need, while more input is to come. */
#define IN_MARGIN 1024
/* Input the fast loop needs: one 8-byte load per symbol. */
#define FAST_IN 32

#define LIT_BITS 11
#define DIST_BITS 8
#define LIT_MASK ((1u << LIT_BITS) - 1)

/* A table entry: bits to consume, code and extra bits together (bits 0-4; bit 5 stays clear, so `e & 63` is the
   count a shift takes), code length (8-11), flags, value (16-31). With both counts at hand a length or distance
   is consumed with one shift and its extra bits read from the bits saved before it. */
#define E_TOTAL(e) ((e) & 63u)
#define E_LEN(e) (((e) >> 8) & 15u)
#define E_VALUE(e) ((e) >> 16)
#define F_BAD 0x40u /* no code, or a symbol the format does not allow */
#define F_LITERAL 0x1000u
#define F_LENGTH 0x2000u
#define F_END 0x4000u
#define F_LONG 0x8000u /* the code is longer than the table: decode it bit by bit */

enum { S_BLOCK_HEADER, S_STORED, S_HUFFMAN, S_DONE, S_FAILED };

struct bt_inflater {
    uint64_t bitbuf;
    unsigned bitcnt;
    int state;
    int final_block;
    uint32_t stored_left;
    size_t window_len; /* the last window_len bytes of output before this call's, in window[0..<window_len] */
    int generic;       /* use the build for any x86-64 even where BMI2 is there (tests) */
    const char *error;
    uint32_t lit[1u << LIT_BITS];
    uint32_t dist[1u << DIST_BITS];
    /* For codes longer than a table: how many codes of each length, and the symbols in code order. */
    uint16_t lit_count[16], lit_sym[288];
    uint16_t dist_count[16], dist_sym[32];
    uint8_t window[WINDOW];
};

static const uint16_t length_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                         31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                       193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/* What a literal/length symbol decodes to, code length left out (bits 0-4 hold the extra bits until
   `with_length` adds the code's length). */
static uint32_t lit_entry(unsigned sym) {
    if (sym < 256) return F_LITERAL | ((uint32_t)sym << 16);
    if (sym == 256) return F_END;
    if (sym < 286) return F_LENGTH | ((uint32_t)length_base[sym - 257] << 16) | length_extra[sym - 257];
    return F_BAD;
}

static uint32_t dist_entry(unsigned sym) {
    if (sym < 30) return ((uint32_t)dist_base[sym] << 16) | dist_extra[sym];
    return F_BAD;
}

/* A symbol's entry for a code of `len` bits. */
static inline uint32_t with_length(uint32_t e, unsigned len) {
    return (e & F_BAD) ? e : e + len + (len << 8);
}

/* `code`'s low `len` bits in reverse order (deflate sends Huffman codes most significant bit first). */
static inline unsigned reverse_bits(unsigned code, unsigned len) {
    static const uint8_t rev8[256] = {
#define R2(n) n, n + 2 * 64, n + 1 * 64, n + 3 * 64
#define R4(n) R2(n), R2(n + 2 * 16), R2(n + 1 * 16), R2(n + 3 * 16)
#define R6(n) R4(n), R4(n + 2 * 4), R4(n + 1 * 4), R4(n + 3 * 4)
        R6(0), R6(2), R6(1), R6(3)
#undef R2
#undef R4
#undef R6
    };
    return ((unsigned)rev8[code & 0xff] << 8 | rev8[(code >> 8) & 0xff]) >> (16 - len);
}

/* Builds a decoding table for the canonical code of `lens`. An incomplete code is refused unless allowed and it
   is a single one-bit code (as zlib allows); a code with no symbols at all gives a table of F_BAD, for the
   caller to judge. Returns 0, or -1 for an over-subscribed or refused code. */
static inline __attribute__((always_inline)) int build_table(const uint8_t *lens, unsigned n, uint32_t *table, unsigned tbits, uint16_t *count, uint16_t *sym,
                       uint32_t (*entry)(unsigned), int allow_incomplete) {
    uint16_t offs[17];
    memset(count, 0, 16 * sizeof(uint16_t));
    for (unsigned s = 0; s < n; s++) count[lens[s]]++;
    count[0] = 0;
    unsigned max = 15;
    while (max > 0 && count[max] == 0) max--;
    unsigned size = 1u << tbits;
    if (max == 0) {
        for (unsigned i = 0; i < size; i++) table[i] = F_BAD;
        return 0;
    }
    int left = 1;
    for (unsigned len = 1; len <= 15; len++) {
        left <<= 1;
        left -= count[len];
        if (left < 0) return -1;
    }
    if (left > 0) {
        if (!(allow_incomplete && max == 1)) return -1;
        for (unsigned i = 0; i < size; i++) table[i] = F_BAD;
    }
    offs[1] = 0;
    for (unsigned len = 1; len < 16; len++) offs[len + 1] = offs[len] + count[len];
    for (unsigned s = 0; s < n; s++)
        if (lens[s]) sym[offs[lens[s]]++] = (uint16_t)s;
    unsigned code = 0, k = 0;
    for (unsigned len = 1; len <= max; len++) {
        for (unsigned i = 0; i < count[len]; i++, k++, code++) {
            unsigned r = reverse_bits(code, len);
            if (len <= tbits) {
                uint32_t e = with_length(entry(sym[k]), len);
                for (unsigned j = r; j < size; j += 1u << len) table[j] = e;
            } else {
                table[r & (size - 1)] = F_LONG;
            }
        }
        code <<= 1;
    }
    return 0;
}

/* Decodes a code longer than its table one bit at a time (codes this long are rare by construction). */
static uint32_t decode_long(uint64_t bits, const uint16_t *count, const uint16_t *sym, uint32_t (*entry)(unsigned)) {
    int code = 0, first = 0, index = 0;
    for (unsigned len = 1; len <= 15; len++) {
        code |= (int)(bits & 1);
        bits >>= 1;
        int c = count[len];
        if (code - first < c) return with_length(entry(sym[index + code - first]), len);
        index += c;
        first += c;
        first <<= 1;
        code <<= 1;
    }
    return F_BAD;
}

bt_inflater *bt_inflater_new(void) {
    bt_inflater *s = malloc(sizeof *s);
    if (s) {
        s->generic = 0;
        bt_inflater_reset(s);
    }
    return s;
}

void bt_inflater_free(bt_inflater *s) { free(s); }

void bt_inflater_use_generic(bt_inflater *s, int on) { s->generic = on; }

void bt_inflater_reset(bt_inflater *s) {
    s->bitbuf = 0;
    s->bitcnt = 0;
    s->state = S_BLOCK_HEADER;
    s->final_block = 0;
    s->stored_left = 0;
    s->window_len = 0;
    s->error = NULL;
}

const char *bt_inflater_error(const bt_inflater *s) { return s->error ? s->error : "no error"; }

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v; /* little-endian machines only, as deflate's bit order is */
}

/* Copies a match of `length` bytes from `dist` back, in steps as wide as the distance allows (overshooting
   the end: the caller leaves OUT_SLACK bytes of room). Most matches in logs are at most 32 bytes: those are two
   copies with no loop, so no mispredicted loop exit. */
static inline uint8_t *copy_match(uint8_t *out, unsigned dist, unsigned length) {
    const uint8_t *src = out - dist;
    uint8_t *end = out + length;
    if (dist >= 16) {
        memcpy(out, src, 16);
        memcpy(out + 16, src + 16, 16);
        if (__builtin_expect(length > 32, 0)) {
            out += 32;
            src += 32;
            do {
                memcpy(out, src, 16);
                out += 16;
                src += 16;
            } while (out < end);
        }
    } else if (dist >= 8) {
        do {
            memcpy(out, src, 8);
            out += 8;
            src += 8;
        } while (out < end);
    } else if (dist == 1) {
        memset(out, *src, length);
    } else {
        while (out < end) *out++ = *src++;
    }
    return end;
}

/* A match reaching back before this call's output: its first bytes come from the window kept from earlier
   calls, the rest from the output (byte by byte: it may overlap what it writes). Only the first 32 KiB of a
   call's output can need this. */
static uint8_t *copy_match_from_window(uint8_t *out, const uint8_t *base, const bt_inflater *s, unsigned dist,
                                       unsigned length) {
    size_t back = dist - (size_t)(out - base);
    const uint8_t *src = s->window + s->window_len - back;
    size_t n = length < back ? length : back;
    memcpy(out, src, n);
    out += n;
    src = base;
    for (size_t k = n; k < length; k++) *out++ = *src++;
    return out;
}

/* Keeps the last 32 KiB of all output so far, the `n` bytes of this call's at `base` included. */
static void keep_window(bt_inflater *s, const uint8_t *base, size_t n) {
    if (n >= WINDOW) {
        memcpy(s->window, base + n - WINDOW, WINDOW);
        s->window_len = WINDOW;
        return;
    }
    size_t keep = s->window_len < WINDOW - n ? s->window_len : WINDOW - n;
    memmove(s->window, s->window + s->window_len - keep, keep);
    memcpy(s->window + keep, base, n);
    s->window_len = keep + n;
}

/* The decoder, compiled twice: for any x86-64 and for processors with BMI2 (shifts by a register without flags,
   5 % faster), chosen once at run time. */
static inline __attribute__((always_inline)) int inflate_body(bt_inflater *s, const uint8_t *in0, size_t in_len, int last,
                                                              size_t *consumed, uint8_t *out0, size_t out_cap,
                                                              size_t *produced) {
    const uint8_t *in = in0, *in_end = in0 + in_len;
    uint64_t bitbuf = s->bitbuf;
    unsigned bitcnt = s->bitcnt;
    unsigned overread = 0; /* zero bytes made up past the end of the last input */
    int result;
    *consumed = 0;
    *produced = 0;
    if (s->state == S_DONE) return BT_INFLATE_END;
    if (s->state == S_FAILED) return BT_INFLATE_CORRUPT;
    if (out_cap < BT_INFLATE_MIN_OUTPUT) return BT_INFLATE_OUTPUT_FULL;
    /* This call's output: buf[0..<out_cap]; what came before it is in s->window. */
    uint8_t *const buf = out0;
    uint8_t *const buf_end = out0 + out_cap;
    uint8_t *out = buf;
    uint8_t *const out_limit = buf_end - OUT_SLACK;

#define CONSUME(n) (bitbuf >>= (n), bitcnt -= (n))
#define BITS(n) ((unsigned)(bitbuf & ((1ull << (n)) - 1)))
    /* Fills the bit buffer to at least 57 bits a byte at a time, making up zeros past the end of the input. */
#define REFILL_SLOW()                                                                                                  \
    while (bitcnt <= 56) {                                                                                             \
        uint64_t b_;                                                                                                   \
        if (in < in_end) b_ = *in++;                                                                                   \
        else {                                                                                                         \
            b_ = 0;                                                                                                    \
            overread++;                                                                                                \
        }                                                                                                              \
        bitbuf |= b_ << bitcnt;                                                                                        \
        bitcnt += 8;                                                                                                   \
    }
    /* Fills the bit buffer to 56..63 bits with one load; the bits above bitcnt are the stream's next bits. */
#define REFILL_FAST()                                                                                                  \
    do {                                                                                                               \
        bitbuf |= load64(in) << bitcnt;                                                                                \
        in += (63 - bitcnt) >> 3;                                                                                      \
        bitcnt |= 56;                                                                                                  \
    } while (0)
#define FAIL(msg)                                                                                                      \
    do {                                                                                                               \
        s->error = (msg);                                                                                              \
        goto failed;                                                                                                   \
    } while (0)
    /* A length or distance: the entry's base plus its extra bits, consumed with the code in one shift. */
#define TAKE_VALUE(e, v)                                                                                               \
    do {                                                                                                               \
        uint64_t saved_ = bitbuf;                                                                                      \
        CONSUME(E_TOTAL(e));                                                                                           \
        (v) = E_VALUE(e) + (unsigned)((saved_ & ((1ull << E_TOTAL(e)) - 1)) >> E_LEN(e));                           \
    } while (0)
    /* The match of length entry `e`; needs 48 bits in the buffer. */
#define DECODE_MATCH(e)                                                                                                \
    do {                                                                                                               \
        unsigned length_, dist_;                                                                                       \
        TAKE_VALUE(e, length_);                                                                                        \
        uint32_t d_ = s->dist[bitbuf & ((1u << DIST_BITS) - 1)];                                                       \
        if (__builtin_expect(d_ & F_LONG, 0)) d_ = decode_long(bitbuf, s->dist_count, s->dist_sym, dist_entry);        \
        if (d_ & F_BAD) FAIL("invalid distance code");                                                                 \
        TAKE_VALUE(d_, dist_);                                                                                         \
        if (__builtin_expect(dist_ > (size_t)(out - buf), 0)) {                                                       \
            if (dist_ > (size_t)(out - buf) + s->window_len) FAIL("invalid distance too far back");                    \
            out = copy_match_from_window(out, buf, s, dist_, length_);                                                 \
        } else {                                                                                                       \
            out = copy_match(out, dist_, length_);                                                                     \
        }                                                                                                              \
    } while (0)
    /* One literal/length symbol, and its distance if it has one; needs 48 bits in the buffer. */
#define DECODE_SYMBOL()                                                                                                \
    do {                                                                                                               \
        uint32_t e = s->lit[bitbuf & LIT_MASK];                                                                        \
        if (__builtin_expect(e & F_LONG, 0)) e = decode_long(bitbuf, s->lit_count, s->lit_sym, lit_entry);             \
        if (e & F_LITERAL) {                                                                                           \
            CONSUME(E_TOTAL(e));                                                                                       \
            *out++ = (uint8_t)E_VALUE(e);                                                                              \
        } else if (e & F_LENGTH) {                                                                                     \
            DECODE_MATCH(e);                                                                                           \
        } else if (e & F_END) {                                                                                        \
            CONSUME(E_TOTAL(e));                                                                                       \
            s->state = S_BLOCK_HEADER;                                                                                 \
        } else {                                                                                                       \
            FAIL("invalid literal/length code");                                                                       \
        }                                                                                                              \
    } while (0)

    uint8_t *out_real = out; /* output made only of real input bits, for when the input proves truncated */
    for (;;) {
        out_real = out;
        switch (s->state) {
        case S_BLOCK_HEADER: {
            if (s->final_block) {
                if (overread * 8 > bitcnt) goto truncated;
                in -= (bitcnt >> 3) - overread; /* hand back whole bytes the buffer read ahead */
                overread = 0;
                bitbuf = 0;
                bitcnt = 0;
                s->state = S_DONE;
                result = BT_INFLATE_END;
                goto pause;
            }
            if (!last && (size_t)(in_end - in) < IN_MARGIN) {
                result = BT_INFLATE_NEED_INPUT;
                goto pause;
            }
            REFILL_SLOW();
            s->final_block = (int)BITS(1);
            unsigned type = (unsigned)(bitbuf >> 1) & 3;
            CONSUME(3);
            if (type == 0) {
                CONSUME(bitcnt & 7);
                REFILL_SLOW();
                unsigned len = BITS(16), nlen = (unsigned)(bitbuf >> 16) & 0xffff;
                CONSUME(32);
                if (overread * 8 > bitcnt) goto truncated;
                if (len != (~nlen & 0xffff)) FAIL("invalid stored block lengths");
                in -= (bitcnt >> 3) - overread;
                overread = 0;
                bitbuf = 0;
                bitcnt = 0;
                s->stored_left = len;
                s->state = S_STORED;
            } else if (type == 1) {
                uint8_t lens[288];
                memset(lens, 8, 144);
                memset(lens + 144, 9, 112);
                memset(lens + 256, 7, 24);
                memset(lens + 280, 8, 8);
                build_table(lens, 288, s->lit, LIT_BITS, s->lit_count, s->lit_sym, lit_entry, 0);
                memset(lens, 5, 32);
                build_table(lens, 32, s->dist, DIST_BITS, s->dist_count, s->dist_sym, dist_entry, 0);
                s->state = S_HUFFMAN;
            } else if (type == 2) {
                static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
                REFILL_SLOW();
                unsigned nlit = BITS(5) + 257;
                CONSUME(5);
                unsigned ndist = BITS(5) + 1;
                CONSUME(5);
                unsigned ncode = BITS(4) + 4;
                CONSUME(4);
                if (nlit > 286 || ndist > 30) FAIL("too many length or distance symbols");
                uint8_t clens[19] = {0};
                for (unsigned i = 0; i < ncode; i++) {
                    REFILL_SLOW();
                    clens[order[i]] = (uint8_t)BITS(3);
                    CONSUME(3);
                }
                uint32_t ctable[1u << 7];
                uint16_t ccount[16], csym[19];
                if (build_table(clens, 19, ctable, 7, ccount, csym, lit_entry, 0) != 0) FAIL("invalid code lengths set");
                uint8_t lens[286 + 30];
                unsigned n = 0;
                while (n < nlit + ndist) {
                    REFILL_SLOW();
                    uint32_t e = ctable[BITS(7)];
                    if (e & F_BAD) FAIL("invalid code lengths set");
                    CONSUME(E_LEN(e));
                    unsigned sym = E_VALUE(e); /* code-length symbols are below 256: entries of literals */
                    if (sym < 16) {
                        lens[n++] = (uint8_t)sym;
                        continue;
                    }
                    unsigned repeat, value = 0;
                    if (sym == 16) {
                        if (n == 0) FAIL("invalid bit length repeat");
                        value = lens[n - 1];
                        repeat = 3 + BITS(2);
                        CONSUME(2);
                    } else if (sym == 17) {
                        repeat = 3 + BITS(3);
                        CONSUME(3);
                    } else {
                        repeat = 11 + BITS(7);
                        CONSUME(7);
                    }
                    if (n + repeat > nlit + ndist) FAIL("invalid bit length repeat");
                    while (repeat--) lens[n++] = (uint8_t)value;
                }
                if (overread * 8 > bitcnt) goto truncated;
                if (lens[256] == 0) FAIL("invalid code -- missing end-of-block");
                if (build_table(lens, nlit, s->lit, LIT_BITS, s->lit_count, s->lit_sym, lit_entry, 1) != 0)
                    FAIL("invalid literal/lengths set");
                if (build_table(lens + nlit, ndist, s->dist, DIST_BITS, s->dist_count, s->dist_sym, dist_entry, 1) != 0)
                    FAIL("invalid distances set");
                s->state = S_HUFFMAN;
            } else {
                FAIL("invalid block type");
            }
            if (overread * 8 > bitcnt) goto truncated;
            break;
        }
        case S_STORED: {
            while (s->stored_left > 0) {
                size_t n = s->stored_left;
                if ((size_t)(in_end - in) < n) n = (size_t)(in_end - in);
                if ((size_t)(buf_end - out) < n) n = (size_t)(buf_end - out);
                if (n == 0) {
                    if (out == buf_end) result = BT_INFLATE_OUTPUT_FULL;
                    else if (last) goto truncated;
                    else result = BT_INFLATE_NEED_INPUT;
                    goto pause;
                }
                memcpy(out, in, n);
                out += n;
                in += n;
                s->stored_left -= (uint32_t)n;
            }
            s->state = S_BLOCK_HEADER;
            break;
        }
        case S_HUFFMAN: {
            /* The fast loop: each symbol's table entry is looked up before the refill it does not need (at least
               LIT_BITS bits are left after every symbol), and up to three literals are taken per refill. */
            if (in_end - in >= FAST_IN && out < out_limit) {
                REFILL_FAST();
                uint32_t e = s->lit[bitbuf & LIT_MASK];
                for (;;) {
                    REFILL_FAST();
                    if (e & F_LITERAL) {
                        /* 56 bits after the refill, at most 11 per literal from the table: 23 are left. */
                        CONSUME(E_TOTAL(e));
                        *out++ = (uint8_t)E_VALUE(e);
                        e = s->lit[bitbuf & LIT_MASK];
                        if (e & F_LITERAL) {
                            CONSUME(E_TOTAL(e));
                            *out++ = (uint8_t)E_VALUE(e);
                            e = s->lit[bitbuf & LIT_MASK];
                            if (e & F_LITERAL) {
                                CONSUME(E_TOTAL(e));
                                *out++ = (uint8_t)E_VALUE(e);
                                e = s->lit[bitbuf & LIT_MASK];
                            }
                        }
                    } else {
                        if (__builtin_expect(e & F_LONG, 0)) {
                            e = decode_long(bitbuf, s->lit_count, s->lit_sym, lit_entry);
                            if (e & F_LITERAL) {
                                CONSUME(E_TOTAL(e));
                                *out++ = (uint8_t)E_VALUE(e);
                                e = s->lit[bitbuf & LIT_MASK];
                                goto next;
                            }
                        }
                        if (!(e & F_LENGTH)) {
                            if (!(e & F_END)) FAIL("invalid literal/length code");
                            CONSUME(E_TOTAL(e));
                            s->state = S_BLOCK_HEADER;
                            break;
                        }
                        DECODE_MATCH(e);
                        /* A length takes at most 20 bits, a distance from the table 21: 15 are left. Only a
                           distance code longer than the table can leave fewer. */
                        if (__builtin_expect(bitcnt < LIT_BITS, 0)) REFILL_FAST();
                        e = s->lit[bitbuf & LIT_MASK];
                    }
                next:
                    if (in_end - in < FAST_IN || out >= out_limit) break;
                }
                if (s->state != S_HUFFMAN) break;
            }
            if (out >= out_limit) {
                result = BT_INFLATE_OUTPUT_FULL;
                goto pause;
            }
            if (!last && (size_t)(in_end - in) < IN_MARGIN) {
                result = BT_INFLATE_NEED_INPUT;
                goto pause;
            }
            /* The last few bytes of the input: one symbol at a time, zeros made up past the end. */
            REFILL_SLOW();
            DECODE_SYMBOL();
            if (overread * 8 > bitcnt) goto truncated;
            break;
        }
        case S_DONE:
            result = BT_INFLATE_END;
            goto pause;
        default:
            s->error = s->error ? s->error : "decoder failed";
            goto failed;
        }
    }

truncated:
    s->state = S_FAILED;
    s->error = "unexpected end of data";
    *produced = (size_t)(out_real - buf);
    *consumed = in_len;
    return BT_INFLATE_TRUNCATED;
failed:
    if (overread * 8 > bitcnt) goto truncated;
    s->state = S_FAILED;
    *produced = (size_t)(out - buf);
    *consumed = (size_t)(in - in0);
    return BT_INFLATE_CORRUPT;
pause:
    /* Keep only a partial byte in the bit buffer, so whatever the caller passes next follows on. */
    in -= (bitcnt >> 3) - overread;
    bitcnt &= 7;
    bitbuf &= (1ull << bitcnt) - 1;
    s->bitbuf = bitbuf;
    s->bitcnt = bitcnt;
    *produced = (size_t)(out - buf);
    keep_window(s, buf, *produced);
    *consumed = (size_t)(in - in0);
    return result;
#undef CONSUME
#undef BITS
#undef REFILL_SLOW
#undef REFILL_FAST
#undef FAIL
#undef DECODE_SYMBOL
#undef DECODE_MATCH
#undef TAKE_VALUE
}

static int inflate_generic(bt_inflater *s, const uint8_t *in, size_t in_len, int last, size_t *consumed, uint8_t *out,
                           size_t out_cap, size_t *produced) {
    return inflate_body(s, in, in_len, last, consumed, out, out_cap, produced);
}

#if defined(__x86_64__)
__attribute__((target("bmi2"))) static int inflate_bmi2(bt_inflater *s, const uint8_t *in, size_t in_len, int last,
                                                        size_t *consumed, uint8_t *out, size_t out_cap,
                                                        size_t *produced) {
    return inflate_body(s, in, in_len, last, consumed, out, out_cap, produced);
}
#endif

int bt_inflate(bt_inflater *s, const uint8_t *in, size_t in_len, int last, size_t *consumed, uint8_t *out,
               size_t out_cap, size_t *produced) {
#if defined(__x86_64__)
    static int bmi2 = -1; /* threads may race to set it, to the same value */
    int has = __atomic_load_n(&bmi2, __ATOMIC_RELAXED);
    if (has < 0) {
        has = __builtin_cpu_supports("bmi2") ? 1 : 0;
        __atomic_store_n(&bmi2, has, __ATOMIC_RELAXED);
    }
    if (has && !s->generic) return inflate_bmi2(s, in, in_len, last, consumed, out, out_cap, produced);
#endif
    return inflate_generic(s, in, in_len, last, consumed, out, out_cap, produced);
}
