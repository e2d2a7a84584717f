#ifndef BOUNCETAIL_CSQLITE_H
#define BOUNCETAIL_CSQLITE_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro Swift cannot import: binds copy their bytes through this. */
static inline sqlite3_destructor_type bouncetail_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
