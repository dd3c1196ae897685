/* The store's two drivers, behind hab_store_open (store.h): only the store
 * itself, the module's start-up and the tests open one by name. */
#ifndef HABITUAL_STORE_DRIVERS_H
#define HABITUAL_STORE_DRIVERS_H

#include <apr_hash.h>

#include "habitual/store/store.h"

hab_err_t *hab_store_sqlite_open(apr_pool_t *p, const char *path, int flags,
                                 hab_store_t **out);
/* Once per process, before any connection: SQLite's memory statistics take
 * a process-wide mutex on every allocation; we never read them. */
void hab_store_sqlite_process_init(void);
/* conninfo as libpq takes it: "host=... port=... dbname=... user=..." */
hab_err_t *hab_store_pgsql_open(apr_pool_t *p, const char *conninfo, int flags,
                                hab_store_t **out);
const char *hab_store_pgsql_display(apr_pool_t *p, const char *conninfo);

/* A driver's statement cache, keyed by SQL text (APR_HASH_KEY_STRING): it is
 * looked up on every query, so its hash samples the text instead of reading
 * every byte of it (apr_hash still compares the whole key on a match). */
apr_hash_t *hab_store_statement_cache(apr_pool_t *p);

#endif
