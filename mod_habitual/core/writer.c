/* The process's writer: group commit of every write (see writer.h).
 *
 * One request at a time holds the connection ("busy").  It opens the shared
 * write transaction if none is open, does its work in a savepoint, and then
 * either commits (nobody is waiting, or the group is full) or hands the
 * open transaction to the next waiter.  Everyone whose work went in waits
 * for the commit that carries it, and learns that commit's outcome. */
#include <string.h>

#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "habitual/writer.h"

#define GROUP_MAX 64   /* requests in one commit at most: bounds everyone's wait */

typedef struct member {
    int done;
    int status;          /* 0: committed; otherwise the commit's error */
    char message[256];   /* copied: the committer's pool may be gone when it is read */
} member_t;

struct hab_writer {
    apr_thread_mutex_t *mu;
    apr_thread_cond_t *turn;        /* the connection is free */
    apr_thread_cond_t *committed;   /* a group's commit is over */
    apr_pool_t *pool;               /* the writer's own */
    apr_pool_t *conn_pool;          /* the connection's: destroyed to close it */
    hab_writer_open_fn open;
    void *baton;
    hab_store_t *conn;
    int busy;
    int waiting;
    int open_txn;
    member_t *group[GROUP_MAX];
    int members;
};

hab_writer_t *hab_writer_create(apr_pool_t *p, hab_writer_open_fn open, void *baton)
{
    hab_writer_t *w = apr_pcalloc(p, sizeof(*w));
    w->pool = p;
    w->open = open;
    w->baton = baton;
    if (apr_thread_mutex_create(&w->mu, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS ||
        apr_thread_cond_create(&w->turn, p) != APR_SUCCESS ||
        apr_thread_cond_create(&w->committed, p) != APR_SUCCESS)
        return NULL;
    return w;
}

/* Called while busy: a connection that broke is closed and opened again. */
static hab_err_t *ensure_connection(hab_writer_t *w)
{
    if (w->conn && !w->conn->broken) return NULL;
    if (w->conn_pool) apr_pool_destroy(w->conn_pool);
    w->conn = NULL;
    if (apr_pool_create(&w->conn_pool, w->pool) != APR_SUCCESS) {
        w->conn_pool = NULL;
        return hab_err_unavailable(w->pool, "out of memory");
    }
    hab_err_t *e = w->open(w->baton, w->conn_pool, &w->conn);
    if (e) {
        hab_err_t *copy = hab_err_make(w->pool, e->status, e->code, "%s", e->message);
        apr_pool_destroy(w->conn_pool);
        w->conn_pool = NULL;
        w->conn = NULL;
        return copy;
    }
    return NULL;
}

/* Under mu: tell everyone in the group how their commit went. */
static void finish_group(hab_writer_t *w, const hab_err_t *err)
{
    for (int i = 0; i < w->members; i++) {
        w->group[i]->done = 1;
        if (err) {
            w->group[i]->status = err->status;
            apr_cpystrn(w->group[i]->message, err->message, sizeof(w->group[i]->message));
        }
    }
    w->members = 0;
    w->open_txn = 0;
    apr_thread_cond_broadcast(w->committed);
}

/* The work, in its savepoint; infrastructure errors come back in *lost. */
static hab_err_t *do_work(hab_writer_t *w, apr_pool_t *p, hab_write_fn fn, void *arg, hab_err_t **lost)
{
    hab_store_t *s;
    *lost = ensure_connection(w);
    if (*lost) return NULL;
    s = w->conn;
    if (!w->open_txn) {
        *lost = s->ops->begin(s, p, 1);
        if (*lost) return NULL;
        w->open_txn = 1;
    }
    *lost = s->ops->exec_script(s, p, "SAVEPOINT hab_writer");
    if (*lost) return NULL;
    hab_err_t *work_err = fn(s, p, arg);
    *lost = s->ops->exec_script(s, p, work_err ? "ROLLBACK TO SAVEPOINT hab_writer; RELEASE SAVEPOINT hab_writer"
                                               : "RELEASE SAVEPOINT hab_writer");
    return work_err;
}

static hab_err_t *member_result(apr_pool_t *p, const member_t *me)
{
    if (!me->status) return NULL;
    return hab_err_make(p, me->status, me->status == 503 ? "unavailable" : "internal", "%s", me->message);
}

hab_err_t *hab_writer_run(hab_writer_t *w, apr_pool_t *p, hab_write_fn fn, void *arg)
{
    member_t me;
    memset(&me, 0, sizeof(me));
    apr_thread_mutex_lock(w->mu);
    w->waiting++;
    while (w->busy) apr_thread_cond_wait(w->turn, w->mu);
    w->waiting--;
    w->busy = 1;
    apr_thread_mutex_unlock(w->mu);

    hab_err_t *lost = NULL;
    hab_err_t *work_err = do_work(w, p, fn, arg, &lost);
    /* a disk or I/O failure inside the work may have spoilt the whole transaction */
    if (!lost && w->conn && w->conn->broken) lost = work_err ? work_err : hab_err_unavailable(p, "write failed");

    apr_thread_mutex_lock(w->mu);
    if (lost) {
        /* the shared transaction is gone: nothing of this group commits */
        if (w->conn) {
            if (w->open_txn) w->conn->ops->rollback(w->conn);
            w->conn->broken = 1;
        }
        finish_group(w, lost);
        me.status = lost->status;
        apr_cpystrn(me.message, lost->message, sizeof(me.message));
        me.done = 1;
    } else {
        if (!work_err) w->group[w->members++] = &me;
        if (w->open_txn && (w->waiting == 0 || w->members >= GROUP_MAX)) {
            apr_thread_mutex_unlock(w->mu); /* still busy: others may queue meanwhile */
            hab_err_t *cerr = w->conn->ops->commit(w->conn, p);
            apr_thread_mutex_lock(w->mu);
            finish_group(w, cerr);
        }
    }
    w->busy = 0;
    apr_thread_cond_signal(w->turn);
    if (work_err) {
        apr_thread_mutex_unlock(w->mu);
        return work_err;
    }
    while (!me.done) apr_thread_cond_wait(w->committed, w->mu);
    apr_thread_mutex_unlock(w->mu);
    return member_result(p, &me);
}
