#ifndef BOUNCETAIL_CBYTES_H
#define BOUNCETAIL_CBYTES_H
#include <stddef.h>

/* memmem and memrchr are GNU extensions that Glibc's Swift module does not show; these wrappers do. */
const void *bouncetail_memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len);
const void *bouncetail_memrchr(const void *s, int c, size_t n);

/* Indexes the complete lines of p[start..<n]: for each line, the index of its newline in ends[k] and the index of
   the first ": to=" in it in marks[k] (-1 if none). At most `cap` lines; returns how many were indexed. The next
   call starts after ends[k-1]. Bytes after the last newline are not a line. Indices fit 31 bits (chunks are small). */
size_t bouncetail_index_lines(const unsigned char *p, size_t n, size_t start, int *ends, int *marks, size_t cap);

/* Where a Postfix field value starting at p[i] ends: the first ',' followed by ' ' (or by the end) outside double
   quotes, or `end`. */
size_t bouncetail_field_end(const unsigned char *p, size_t i, size_t end);

/* Where the address opened by '<' at p[i] closes: the index of the first '>' outside double quotes (a backslash
   inside quotes escapes the next byte), or -1 when p[i+1..<end] has none. */
long bouncetail_bracket_end(const unsigned char *p, size_t i, size_t end);

/* Where the run of ASCII letters and digits that ends at p[end-1] starts (not before `lo`): read back 16 bytes
   at a time (Postfix queue ids are 10 to 16 of them). */
size_t bouncetail_alnum_run_start(const unsigned char *p, size_t lo, size_t end);

/* Asks for the cache line at p ahead of a load that would otherwise wait for memory. */
static inline void bouncetail_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
#endif
