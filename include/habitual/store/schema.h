/* The schema: its migrations, embedded from schema/NNN_*.sql at build time,
 * applied only by habitual-admin init; and the change counter the views'
 * caches read. */
#ifndef HABITUAL_SCHEMA_H
#define HABITUAL_SCHEMA_H

#include "habitual/store/store.h"

int hab_schema_latest(void);
/* 0 when the database has no schema yet. */
hab_err_t *hab_schema_version(hab_store_t *s, apr_pool_t *p, int *version);
/* Apply what is missing; refuses a database newer than this build. */
hab_err_t *hab_schema_migrate(hab_store_t *s, apr_pool_t *p, const char *now,
                              int *from, int *to);
/* NULL when the database holds exactly this build's schema version. */
hab_err_t *hab_schema_check(hab_store_t *s, apr_pool_t *p);

/* The change counter (schema 002): bumped, inside the caller's write
 * transaction, by everything that changes case data; read to know whether
 * an answer built earlier still holds. */
hab_err_t *hab_changes_bump(hab_store_t *s, apr_pool_t *p);
hab_err_t *hab_changes_read(hab_store_t *s, apr_pool_t *p, long long *n);

#endif
