/* One database connection per worker thread, opened lazily after fork and
 * kept for the life of the child (apr_reslist, as mod_dbd keeps its pool). */
#include <string.h>

#include <apr_global_mutex.h>
#include <apr_reslist.h>
#include <apr_strings.h>
#include <ap_mpm.h>
#include <util_mutex.h>

#include "habitual/store/writer.h"
#include "habitual/store/view_cache.h"
#include "mod_habitual.h"

APLOG_USE_MODULE(habitual);

typedef struct {
    const hab_server_conf *sc;
    apr_reslist_t *list;
    hab_writer_t *writer;           /* every write of this process, group-committed */
    hab_view_cache_t *views;        /* answers kept while the change counter stands */
    int exiting;                    /* pchild is being destroyed */
} store_pool_t;

/* Written once per child in child_init, before any request thread runs. */
static store_pool_t *child_pool;

/* SQLite lets one process write at a time and the others poll for its
 * lock; the writers' leaders take this lock first and sleep on it instead.
 * Created in post_config (so before fork), reopened in each child: set at
 * start-up like configuration. */
#define WRITER_MUTEX "habitual-writer"
static apr_global_mutex_t *writer_mutex;

int hab_writer_mutex_register(apr_pool_t *pconf)
{
    return ap_mutex_register(pconf, WRITER_MUTEX, NULL, APR_LOCK_DEFAULT_TIMED, 0) == APR_SUCCESS
               ? OK
               : !OK;
}

const char *hab_writer_mutex_create(apr_pool_t *pconf, server_rec *s)
{
    const hab_server_conf *sc = ap_get_module_config(s->module_config, &habitual_module);
    writer_mutex =
        NULL; /* a restart's new configuration may have none: the old one went with pconf */
    if (!sc->db_driver || strcmp(sc->db_driver, "sqlite3") != 0) return NULL;
    apr_status_t rv = ap_global_mutex_create(&writer_mutex, NULL, WRITER_MUTEX, NULL, s, pconf, 0);
    return rv == APR_SUCCESS ? NULL : "cannot create the writers' lock (see the Mutex directive)";
}

static hab_err_t *lock_writers(void *baton, apr_pool_t *p, apr_time_t deadline)
{
    (void)baton;
    apr_interval_time_t wait = deadline - apr_time_now();
    apr_status_t rv = apr_global_mutex_timedlock(writer_mutex, wait > 0 ? wait : 0);
    if (rv == APR_SUCCESS) return NULL;
    hab_err_t *e = hab_err_unavailable(p, "The case database is busy; try again shortly.");
    e->lock_wait = APR_STATUS_IS_TIMEUP(rv) || APR_STATUS_IS_EBUSY(rv);
    e->cause = apr_psprintf(p, "apr %d", rv);
    return e;
}

static void unlock_writers(void *baton)
{
    (void)baton;
    apr_global_mutex_unlock(writer_mutex);
}

/* A pooled connection owns a pool of its own: a driver allocates from it
 * while the connection works (its statement cache), and pools are not
 * thread-safe, so no two connections may share one.  Destroying it closes
 * the connection.  These pools are created from worker threads (the
 * reslist's constructor, the writer's reconnect) as children of pchild,
 * whose allocator the MPM gives a mutex (checked under event). */
typedef struct {
    hab_store_t *store;
    apr_pool_t *pool;
} pooled_conn_t;

static apr_status_t store_construct(void **resource, void *params, apr_pool_t *pool)
{
    store_pool_t *sp = params;
    pooled_conn_t *pc = apr_pcalloc(pool, sizeof(*pc));
    if (apr_pool_create(&pc->pool, pool) != APR_SUCCESS) return APR_ENOMEM;
    hab_err_t *e = hab_store_open(pc->pool, sp->sc->db_driver, sp->sc->db_params, 0, &pc->store);
    if (e) {
        ap_log_perror(APLOG_MARK, APLOG_ERR, 0, pool, HABLOGNO(10201) "%s%s", e->message,
                      hab_err_cause_note(pool, e));
        apr_pool_destroy(pc->pool);
        return APR_EGENERAL;
    }
    *resource = pc;
    return APR_SUCCESS;
}

/* The writer's own connection: opened when first needed, again after it broke. */
static hab_err_t *open_writer(void *baton, apr_pool_t *p, hab_store_t **store)
{
    store_pool_t *sp = baton;
    hab_err_t *e = hab_store_open(p, sp->sc->db_driver, sp->sc->db_params, 0, store);
    if (e) {
        ap_log_perror(APLOG_MARK, APLOG_ERR, 0, p, HABLOGNO(10204) "%s%s", e->message,
                      hab_err_cause_note(p, e));
        e->logged = 1;   /* each request it fails logs its id, not this again */
    }
    return e;
}

static apr_status_t store_destruct(void *resource, void *params, apr_pool_t *pool)
{
    store_pool_t *sp = params;
    (void)pool;
    if (!sp->exiting) apr_pool_destroy(((pooled_conn_t *)resource)->pool);
    return APR_SUCCESS;
}

/* At the child's exit pchild destroys its subpools (closing every
 * connection) before it runs clean-ups; this one, registered after the
 * reslist's, runs before it and stops store_destruct from destroying
 * those pools a second time (as mod_dbd does). */
static apr_status_t child_exiting(void *data)
{
    ((store_pool_t *)data)->exiting = 1;
    return APR_SUCCESS;
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
    apr_pool_cleanup_register(pchild, sp, child_exiting, apr_pool_cleanup_null);
    sp->writer = hab_writer_create(pchild, open_writer, sp);
    if (writer_mutex) {
        rv = apr_global_mutex_child_init(&writer_mutex, apr_global_mutex_lockfile(writer_mutex),
                                         pchild);
        if (rv == APR_SUCCESS) {
            hab_writer_set_lock(sp->writer,
                                &(hab_writer_lock_t){lock_writers, unlock_writers, NULL});
        } else {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         HABLOGNO(10205) "cannot reopen the writers' lock in "
                                         "this child: its writes poll SQLite's lock instead");
        }
    }
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
    pooled_conn_t *conn;
    request_rec *r;
    unsigned long round_trips;   /* the connection's count when leased */
} store_lease_t;

static apr_status_t release_store(void *data)
{
    store_lease_t *lease = data;
    hab_store_t *store = lease->conn->store;
    /* A connection left inside a transaction is rolled back; one the driver
     * marked broken (read-only, I/O trouble) is closed and replaced. */
    if (store->in_transaction) store->ops->rollback(store);
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, lease->r,
                  HABLOGNO(10206) "the request's reads took %lu round trip(s) to the database",
                  store->round_trips - lease->round_trips);
    store->deadline = 0;   /* the next request brings its own */
    if (store->broken) apr_reslist_invalidate(lease->list, lease->conn);
    else apr_reslist_release(lease->list, lease->conn);
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
    l->conn = resource;
    l->r = r;
    l->round_trips = l->conn->store->round_trips;
    apr_pool_cleanup_register(r->pool, l, release_store, apr_pool_cleanup_null);
    *store = l->conn->store;
    return NULL;
}
