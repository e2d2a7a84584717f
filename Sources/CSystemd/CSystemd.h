#ifndef BOUNCETAIL_CSYSTEMD_H
#define BOUNCETAIL_CSYSTEMD_H
/* libsystemd's sd-journal, with one helper: a field of the current entry copied out at once (sd-journal's
   pointer is only good until its next call, and points into a decompression buffer for compressed fields). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <systemd/sd-journal.h>

/* Copies the value of `field` (e.g. "MESSAGE") of the current entry into buf, at most cap bytes, and sets
   *length to the value's whole length (more than cap when it did not fit). Returns 0, 1 when the entry has no
   such field, or a negative errno. */
static inline int bt_journal_field(sd_journal *j, const char *field, uint8_t *buf, size_t cap, size_t *length) {
    const void *data;
    size_t size;
    int rc = sd_journal_get_data(j, field, &data, &size);
    if (rc == -ENOENT) return 1;
    if (rc < 0) return rc;
    size_t prefix = strlen(field) + 1;
    size_t value = size > prefix ? size - prefix : 0;
    if (value > 0) memcpy(buf, (const uint8_t *)data + prefix, value < cap ? value : cap);
    *length = value;
    return 0;
}
#endif
