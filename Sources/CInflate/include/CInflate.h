#ifndef BOUNCETAIL_CINFLATE_H
#define BOUNCETAIL_CINFLATE_H
#include <stddef.h>
#include <stdint.h>

/* A streaming decoder of raw DEFLATE (RFC 1951) that writes into the caller's buffers, keeping the last 32 KiB of
   output (the history matches refer to) itself. The gzip wrapper around it (header, CRC, members) is the
   caller's. */

enum {
    BT_INFLATE_NEED_INPUT = 1,  /* call again with the unconsumed bytes and what follows them */
    BT_INFLATE_OUTPUT_FULL = 2, /* call again with more room */
    BT_INFLATE_END = 3,         /* the stream ended; *consumed stops at its last byte */
    BT_INFLATE_CORRUPT = -1,    /* bt_inflater_error says what */
    BT_INFLATE_TRUNCATED = -2   /* the input ended inside the stream */
};

/* The least room a call must be given: it writes up to 288 bytes past the output it reports (scratch), so it
   stops that far short of `out_cap`. */
#define BT_INFLATE_MIN_OUTPUT 512

typedef struct bt_inflater bt_inflater;

bt_inflater *bt_inflater_new(void);
void bt_inflater_free(bt_inflater *s);
/* Makes `s` decode with the build for any x86-64 even on a processor with BMI2 (so tests cover both). */
void bt_inflater_use_generic(bt_inflater *s, int on);
/* Starts a new stream: no history. */
void bt_inflater_reset(bt_inflater *s);
/* Decodes from in[0..<in_len] into out[0..<out_cap]; `last` says no input follows these bytes. *consumed is how
   many input bytes are used (whatever is not must be passed again), *produced how many output bytes are written
   (also on errors: a truncated stream's output made of real bits, a corrupt one's up to the damage). While more
   input is to come, the last ~1 KiB of `in` is left unconsumed (so that a block header never has to be resumed
   half-read). Bytes of out[*produced..<out_cap] may be overwritten. */
int bt_inflate(bt_inflater *s, const uint8_t *in, size_t in_len, int last, size_t *consumed, uint8_t *out,
               size_t out_cap, size_t *produced);
const char *bt_inflater_error(const bt_inflater *s);

/* Adds a prefix of p[0..<n] to *crc (a CRC-32 as zlib's crc32 keeps it) with vector instructions, and returns how
   many bytes it took: a multiple of 16, or 0 when the processor lacks them or n < 64. The caller does the rest. */
size_t bt_crc32_fold(uint32_t *crc, const uint8_t *p, size_t n);
#endif
