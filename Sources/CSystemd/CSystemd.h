#ifndef BOUNCETAIL_CSYSTEMD_H
#define BOUNCETAIL_CSYSTEMD_H
/* libsystemd's sd-journal, with one helper: the current entry's fields copied out at once (sd-journal's
   pointers are only good until its next call, and point into a decompression buffer for compressed fields). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <systemd/sd-journal.h>

/* The fields a mail log line is made of, copied out of the current entry in one pass over its data (one
   sd_journal_get_data per field would walk the entry's items once for each). */
enum { BT_FIELD_IDENTIFIER, BT_FIELD_MESSAGE, BT_FIELD_HOSTNAME, BT_FIELD_SYSLOG_PID, BT_FIELD_PID, BT_FIELDS };

typedef struct {
    uint8_t *buf[BT_FIELDS]; /* where each value is copied (set once by the caller) */
    size_t cap[BT_FIELDS];
    size_t length[BT_FIELDS]; /* the value's whole length (more than cap when it did not fit) */
    int present[BT_FIELDS];
} bt_journal_fields;

static inline void bt_journal_take(bt_journal_fields *f, int which, const uint8_t *value, size_t length) {
    memcpy(f->buf[which], value, length < f->cap[which] ? length : f->cap[which]);
    f->length[which] = length;
    f->present[which] = 1;
}

/* Fills f from the current entry. Returns 0, or a negative errno; a damaged item (-EBADMSG, -EADDRNOTAVAIL:
   journald writes through crashes) ends the pass with what was found so far. */
static inline int bt_journal_entry_fields(sd_journal *j, bt_journal_fields *f) {
    static const char *const names[BT_FIELDS] = {"SYSLOG_IDENTIFIER=", "MESSAGE=", "_HOSTNAME=", "SYSLOG_PID=", "_PID="};
    static const size_t lengths[BT_FIELDS] = {18, 8, 10, 11, 5};
    for (int i = 0; i < BT_FIELDS; i++) f->present[i] = 0, f->length[i] = 0;
    const void *data;
    size_t size;
    int rc;
    sd_journal_restart_data(j);
    while ((rc = sd_journal_enumerate_data(j, &data, &size)) > 0) {
        const char *d = data;
        int which;
        switch (d[0]) {
        case 'S': which = size > 11 && d[7] == 'I' ? BT_FIELD_IDENTIFIER : BT_FIELD_SYSLOG_PID; break;
        case 'M': which = BT_FIELD_MESSAGE; break;
        case '_': which = size > 2 && d[1] == 'H' ? BT_FIELD_HOSTNAME : BT_FIELD_PID; break;
        default: continue;
        }
        size_t n = lengths[which];
        if (size < n || memcmp(d, names[which], n) != 0) continue;
        bt_journal_take(f, which, (const uint8_t *)d + n, size - n);
    }
    if (rc == -EBADMSG || rc == -EADDRNOTAVAIL) return 0;
    return rc;
}
#endif
