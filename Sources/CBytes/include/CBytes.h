#ifndef BOUNCETAIL_CBYTES_H
#define BOUNCETAIL_CBYTES_H
#include <stddef.h>

/* memmem and memrchr are GNU extensions that Glibc's Swift module does not show; these wrappers do. */
const void *bouncetail_memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len);
const void *bouncetail_memrchr(const void *s, int c, size_t n);
#endif
