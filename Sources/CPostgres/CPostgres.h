#ifndef BOUNCETAIL_CPOSTGRES_H
#define BOUNCETAIL_CPOSTGRES_H
/* libpq, PostgreSQL's client library (Debian libpq-dev), for a state shared by many hosts. */
#include <postgresql/libpq-fe.h>
#endif
