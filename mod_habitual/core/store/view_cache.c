/* A small per-process store of answers, keyed and generation-stamped (see
 * view_cache.h).  When full it is emptied: answers are cheap to rebuild. */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "habitual/store/view_cache.h"

#define VIEW_CACHE_MAX 2000
#define VIEW_CACHE_MAX_TEXT (256 * 1024)
#define VIEW_CACHE_MAX_BYTES (16 * 1024 * 1024) /* replaced entries are freed only by a clear */

typedef struct {
    long long gen;
    const char *text;
} kept_t;

struct hab_view_cache {
    apr_pool_t *pool;           /* holds the entries; cleared when full */
    apr_thread_mutex_t *lock;
    apr_hash_t *entries;
    apr_size_t bytes;           /* allocated from pool since it was last cleared */
};

hab_view_cache_t *hab_view_cache_create(apr_pool_t *p)
{
    hab_view_cache_t *c = apr_pcalloc(p, sizeof(*c));
    if (apr_pool_create(&c->pool, p) != APR_SUCCESS ||
        apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS)
        return NULL;
    c->entries = apr_hash_make(c->pool);
    return c;
}

/* The text under key, copied into p, if its generation is want (any when
 * want < 0); the generation kept in *gen (-1: none). */
static const char *lookup(hab_view_cache_t *c, apr_pool_t *p, const char *key, long long want,
                          long long *gen)
{
    const char *text = NULL;
    *gen = -1;
    if (!c || apr_thread_mutex_lock(c->lock) != APR_SUCCESS) return NULL;
    const kept_t *k = apr_hash_get(c->entries, key, APR_HASH_KEY_STRING);
    if (k && (want < 0 || k->gen == want)) {
        text = apr_pstrdup(p, k->text);
        *gen = k->gen;
    }
    apr_thread_mutex_unlock(c->lock);
    return text;
}

const char *hab_view_cache_get(hab_view_cache_t *c, apr_pool_t *p, const char *key, long long gen)
{
    long long kept;
    return gen < 0 ? NULL : lookup(c, p, key, gen, &kept);
}

const char *hab_view_cache_peek(hab_view_cache_t *c, apr_pool_t *p, const char *key,
                                long long *gen)
{
    return lookup(c, p, key, -1, gen);
}

void hab_view_cache_put(hab_view_cache_t *c, const char *key, long long gen, const char *text)
{
    if (!c || gen < 0 || strlen(text) > VIEW_CACHE_MAX_TEXT) return;
    if (apr_thread_mutex_lock(c->lock) != APR_SUCCESS) return;
    apr_size_t need = strlen(text) + strlen(key) + sizeof(kept_t) + 2;
    if (apr_hash_count(c->entries) >= VIEW_CACHE_MAX || c->bytes + need > VIEW_CACHE_MAX_BYTES) {
        apr_pool_clear(c->pool);
        c->entries = apr_hash_make(c->pool);
        c->bytes = 0;
    }
    c->bytes += need;
    kept_t *k = apr_palloc(c->pool, sizeof(*k));
    k->gen = gen;
    k->text = apr_pstrdup(c->pool, text);
    apr_hash_set(c->entries, apr_pstrdup(c->pool, key), APR_HASH_KEY_STRING, k);
    apr_thread_mutex_unlock(c->lock);
}
