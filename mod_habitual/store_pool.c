/* One database connection per worker thread, opened lazily after fork and
 * kept for the life of the child (apr_reslist, as mod_dbd keeps its pool). */
#include <apr_reslist.h>
#include <ap_mpm.h>

#include "habitual/writer.h"
#include "habitual/view_cache.h"
#include "mod_habitual.h"

APLOG_USE_MODULE(habitual);

typedef struct {
    const hab_server_conf *sc;
    apr_reslist_t *list;
    hab_writer_t *writer;           /* every write of this process, group-committed */
    hab_view_cache_t *views;        /* answers kept while the change counter stands */
} store_pool_t;

/* Written once per child in child_init, before any request thread runs. */
static store_pool_t *child_pool;

static apr_status_t store_construct(void **resource, void *params, apr_pool_t *pool)
{
    store_pool_t *sp = params;
    hab_store_t *store = NULL;
    hab_err_t *e = hab_store_open(pool, sp->sc->db_driver, sp->sc->db_params, 0, &store);
    if (e) {
        ap_log_perror(APLOG_MARK, APLOG_ERR, 0, pool, HABLOGNO(10201) "%s", e->message);
        return APR_EGENERAL;
    }
    *resource = store;
    return APR_SUCCESS;
}

/* The writer's own connection: opened when first needed, again after it broke. */
static hab_err_t *open_writer(void *baton, apr_pool_t *p, hab_store_t **store)
{
    store_pool_t *sp = baton;
    hab_err_t *e = hab_store_open(p, sp->sc->db_driver, sp->sc->db_params, 0, store);
    if (e) ap_log_perror(APLOG_MARK, APLOG_ERR, 0, p, HABLOGNO(10204) "%s", e->message);
    return e;
}

static apr_status_t store_destruct(void *resource, void *params, apr_pool_t *pool)
{
    (void)resource; (void)params; (void)pool;
    return APR_SUCCESS; /* the connection closes with its pool */
}

void hab_store_pool_init(apr_pool_t *pchild, server_rec *s)
{
    const hab_server_conf *sc = ap_get_module_config(s->module_config, &habitual_module);
    if (!sc->db_driver) return;
    int threads = 1;
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    if (threads < 1) threads = 1;
    store_pool_t *sp = apr_pcalloc(pchild, sizeof(*sp));
    sp->sc = sc;

    apr_status_t rv = apr_reslist_create(&sp->list, 0, threads, threads, 0,
                                         store_construct, store_destruct, sp, pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, HABLOGNO(10202) "cannot create the "
                     "database connection pool");
        return;
    }
    sp->writer = hab_writer_create(pchild, open_writer, sp);
    sp->views = hab_view_cache_create(pchild);
    child_pool = sp;
}

hab_view_cache_t *hab_child_view_cache(void)
{
    return child_pool ? child_pool->views : NULL;
}

hab_writer_t *hab_child_writer(void)
{
    return child_pool ? child_pool->writer : NULL;
}

typedef struct {
    apr_reslist_t *list;
    hab_store_t *store;
} store_lease_t;

static apr_status_t release_store(void *data)
{
    store_lease_t *lease = data;
    /* A connection left inside a transaction is rolled back; one the driver
     * marked broken (read-only, I/O trouble) is closed and replaced. */
    if (lease->store->in_transaction) lease->store->ops->rollback(lease->store);
    if (lease->store->broken) apr_reslist_invalidate(lease->list, lease->store);
    else apr_reslist_release(lease->list, lease->store);
    return APR_SUCCESS;
}

hab_err_t *hab_request_store(request_rec *r, hab_store_t **store)
{
    if (!child_pool)
        return hab_err_unavailable(r->pool, "The case database is not configured.");
    void *resource = NULL;
    apr_status_t rv = apr_reslist_acquire(child_pool->list, &resource);
    if (rv != APR_SUCCESS || !resource) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, HABLOGNO(10203) "no database "
                      "connection available: answering 503");
        return hab_err_unavailable(r->pool, "The case database is unavailable; try again shortly.");
    }
    store_lease_t *l = apr_palloc(r->pool, sizeof(*l));
    l->list = child_pool->list;
    l->store = resource;
    apr_pool_cleanup_register(r->pool, l, release_store, apr_pool_cleanup_null);
    *store = resource;
    return NULL;
}
