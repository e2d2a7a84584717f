#ifndef BOUNCETAIL_CZLIB_H
#define BOUNCETAIL_CZLIB_H
#include <zlib.h>

/* inflateInit2 is a macro, which Swift cannot import; this wrapper passes the version and size for it. */
static inline int bouncetail_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
/* The same for deflateInit2 (the tests compress with zlib to check the project's decoder against it). */
static inline int bouncetail_deflateInit2(z_streamp stream, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, memLevel, strategy);
}
#endif
