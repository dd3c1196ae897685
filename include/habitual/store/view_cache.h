/* Answers a process keeps while the data they were built from stands: each
 * is stored with the change counter (store.h) it was built at, and is good
 * only while the counter still reads the same.  Keys say whose answer it is
 * (user, roles, the day), so nobody is ever given another user's answer. */
#ifndef HABITUAL_VIEW_CACHE_H
#define HABITUAL_VIEW_CACHE_H

#include <apr_pools.h>

typedef struct hab_view_cache hab_view_cache_t;

hab_view_cache_t *hab_view_cache_create(apr_pool_t *p);
/* The text kept under key at generation gen, copied into p; NULL if none. */
const char *hab_view_cache_get(hab_view_cache_t *c, apr_pool_t *p, const char *key, long long gen);
/* The text kept under key whatever its generation, which is set in *gen;
 * NULL if none.  The caller checks the generation later, where it matters
 * (hab_service: inside the transaction that logs the answer). */
const char *hab_view_cache_peek(hab_view_cache_t *c, apr_pool_t *p, const char *key,
                                long long *gen);
void hab_view_cache_put(hab_view_cache_t *c, const char *key, long long gen, const char *text);

#endif
