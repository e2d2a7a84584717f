#ifndef BOUNCETAIL_CISAL_H
#define BOUNCETAIL_CISAL_H
/* ISA-L's inflate behind four small functions: Swift never touches struct inflate_state (its 64 KiB arrays
   would import as tuples), and the gzip wrapper, CRC-32 and length check are ISA-L's own (crc_flag ISAL_GZIP). */
#include <stdint.h>
#include <stdlib.h>
#include <isa-l.h>

enum { BT_ISAL_NEED_INPUT = 0, BT_ISAL_OUTPUT_FULL = 1, BT_ISAL_MEMBER_END = 2 };

static inline void *bt_isal_new(void) {
    struct inflate_state *s = malloc(sizeof *s);
    if (s) {
        isal_inflate_init(s);
        s->crc_flag = ISAL_GZIP;
    }
    return s;
}

static inline void bt_isal_free(void *s) { free(s); }

/* Ready for the next gzip member. */
static inline void bt_isal_reset(void *p) {
    struct inflate_state *s = p;
    isal_inflate_reset(s);
    s->crc_flag = ISAL_GZIP;
}

/* Decodes from in[0..<in_len] into out[0..<out_len]; *consumed and *produced say how far it went, *pending how
   many of the consumed bytes are still held unread in ISA-L's bit buffer (for an offset near the damage).
   Returns BT_ISAL_* or one of ISA-L's negative error codes. */
static inline int bt_isal_decode(void *p, const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len,
                                 size_t *consumed, size_t *produced, size_t *pending) {
    struct inflate_state *s = p;
    s->next_in = (uint8_t *)in;
    s->avail_in = in_len > UINT32_MAX ? UINT32_MAX : (uint32_t)in_len;
    s->next_out = out;
    s->avail_out = out_len > UINT32_MAX ? UINT32_MAX : (uint32_t)out_len;
    int rc = isal_inflate(s);
    *consumed = (size_t)(s->next_in - in);
    *produced = (size_t)(s->next_out - out);
    *pending = s->read_in_length > 0 ? (size_t)s->read_in_length / 8 : 0;
    if (rc < 0) return rc;
    if (s->block_state == ISAL_BLOCK_FINISH) return BT_ISAL_MEMBER_END;
    if (s->avail_out == 0) return BT_ISAL_OUTPUT_FULL;
    return BT_ISAL_NEED_INPUT;
}

static inline unsigned bt_isal_version(void) { return ISAL_VERSION; }
#endif
