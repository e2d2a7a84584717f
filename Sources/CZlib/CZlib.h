#ifndef BOUNCETAIL_CZLIB_H
#define BOUNCETAIL_CZLIB_H
#include <zlib.h>

/* inflateInit2 is a macro, which Swift cannot import; this wrapper passes the version and size for it. */
static inline int bouncetail_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif
