/* The process's writer: group commit of every write (see writer.h).
 *
 * Requests queue their work.  One of them at a time is the leader: it takes
 * the write lock (the processes' shared one when set, then the database's),
 * then the queue (up to GROUP_MAX), runs each work in its own savepoint of
 * one write transaction on the writer's connection, commits once, and wakes
 * each owner with its own outcome.  If more work queued meanwhile, the oldest
 * waiter becomes the next leader.  So a waiting request sleeps once and is
 * woken once, and a burst of requests shares one commit and one disk sync.
 *
 * The disk sync comes after the write lock is let go, where the driver
 * allows (SQLite in WAL mode: commits append to the WAL, and one fdatasync
 * of it makes every commit before it durable).  The leader commits, lets go
 * of the lock and of the leadership, and only then syncs: the next batch,
 * of this process or another, is taken and committed while the disk
 * works, and one sync may carry several commits.  Nobody is answered
 * before the sync that covers their commit has returned.
 *
 * The leader runs another request's work with that request's pool: its
 * owner is blocked until the leader is done with it, so the pool has one
 * user at a time (handed over under the mutex).
 *
 * Lock waits: every job has a deadline (by default its enqueue time plus
 * the lock timeout).  Outcomes are released only when the batch ends, so
 * the batch's every wait for a lock held elsewhere ends by the earliest
 * deadline in it, not by each job's own timeout in turn (which made eight
 * requests behind a held lock wait 5 s each, one after another).  When the
 * lock cannot be had by then, every job of the batch fails at once with
 * 503; the next batch, whose deadlines may have passed meanwhile, gets one
 * try without waiting.  So no request waits much longer than the lock
 * timeout plus its own work. */
#include <string.h>

#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "habitual/base/log.h"
#include "habitual/store/audit.h"
#include "habitual/store/writer.h"

#define GROUP_MAX 64   /* requests in one commit at most: bounds everyone's wait */

typedef struct job {
    hab_write_fn fn;
    void *arg;
    apr_pool_t *p;                 /* the owner's */
    apr_thread_cond_t *wake;       /* the owner sleeps on it */
    int done;                      /* result is final */
    int lead;                      /* the owner is to lead the next batch */
    int work_failed;               /* result is fn's own error: nothing to commit */
    int plain;                     /* no savepoint: fn failing spoils the transaction */
    apr_time_t deadline;           /* its lock waits end by then */
    hab_err_t *result;             /* in p */
    struct job *next;
} job_t;

struct hab_writer {
    apr_thread_mutex_t *mu;
    apr_pool_t *pool;               /* the writer's own */
    apr_pool_t *conn_pool;          /* the connection's: destroyed to close it */
    hab_writer_open_fn open;
    void *baton;
    hab_store_t *conn;              /* used by the leader only */
    const char *sync_file;          /* conn's: synced after the commit, or NULL */
    hab_writer_lock_t shared;       /* across processes; lock NULL: none */
    int leading;                    /* a leader is running a batch */
    job_t *head, *tail;             /* queued work, oldest first */
};

hab_writer_t *hab_writer_create(apr_pool_t *p, hab_writer_open_fn open, void *baton)
{
    hab_writer_t *w = apr_pcalloc(p, sizeof(*w));
    w->pool = p;
    w->open = open;
    w->baton = baton;
    if (apr_thread_mutex_create(&w->mu, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS) return NULL;
    return w;
}

void hab_writer_set_lock(hab_writer_t *w, const hab_writer_lock_t *lock)
{
    w->shared = *lock;
}

/* Leader only: a connection that broke is closed and opened again. */
static hab_err_t *ensure_connection(hab_writer_t *w, apr_pool_t *p)
{
    if (w->conn && !w->conn->broken) return NULL;
    if (w->conn_pool) apr_pool_destroy(w->conn_pool);
    w->conn = NULL;
    if (apr_pool_create(&w->conn_pool, w->pool) != APR_SUCCESS) {
        w->conn_pool = NULL;
        return hab_err_unavailable(p, "out of memory");
    }
    w->sync_file = NULL;
    hab_err_t *e = w->open(w->baton, w->conn_pool, &w->conn);
    if (e) {
        hab_err_t *copy = hab_err_copy(p, e);
        apr_pool_destroy(w->conn_pool);
        w->conn_pool = NULL;
        w->conn = NULL;
        return copy;
    }
    if (w->conn->ops->defer_sync) w->sync_file = w->conn->ops->defer_sync(w->conn, w->conn_pool);
    return NULL;
}

/* The outcome for one job, copied into its owner's pool. */
static void settle(job_t *job, const hab_err_t *err)
{
    job->result = err ? hab_err_copy(job->p, err) : NULL;
}

/* Under a lock held elsewhere nobody's outcome is released before the
 * batch ends: the batch waits no longer than its most urgent job may. */
static apr_time_t batch_deadline(const job_t *batch)
{
    apr_time_t first = batch->deadline;
    for (const job_t *j = batch->next; j; j = j->next)
        if (j->deadline < first) first = j->deadline;
    return first;
}

/* The write transaction, and with it the log's head: on PostgreSQL the
 * BEGIN and the write lock travel with that read, so a lock held elsewhere
 * is met here, before any work. */
static hab_err_t *begin_write(hab_store_t *s, apr_pool_t *p)
{
    hab_err_t *e = s->ops->begin(s, p, 1);
    if (!e) e = hab_audit_read_head(s, p);
    if (e && s->in_transaction) s->ops->rollback(s);
    return e;
}

/* One job in its savepoint of the open (or newly begun) transaction.
 * Returns an infrastructure failure that spoils the whole transaction. */
static hab_err_t *run_one(hab_writer_t *w, job_t *job, apr_time_t deadline, int *open_txn)
{
    hab_err_t *lost = ensure_connection(w, job->p);
    if (lost) return lost;
    hab_store_t *s = w->conn;
    s->deadline = deadline;
    if (!*open_txn) {
        lost = begin_write(s, job->p);
        if (lost) return lost;
        *open_txn = 1;
    }
    if (job->plain) {
        /* its entry may wait for the next statement or the commit: one
         * round trip for the batch's appends, not one each (PostgreSQL) */
        job->result = NULL;
        s->appends_may_wait = 1;
        lost = job->fn(s, job->p, job->arg);
        s->appends_may_wait = 0;
        return lost;
    }
    /* what waited goes now: its failure is the batch's, not this job's */
    lost = hab_store_send_waiting(s, job->p);
    /* prepared once per connection, as every statement */
    if (!lost) lost = hab_store_q(s, job->p, NULL, "SAVEPOINT hab_writer", "");
    if (lost) return lost;
    hab_err_t *work_err = job->fn(s, job->p, job->arg);
    if (work_err) hab_audit_forget_head(s);
    if (work_err) lost = hab_store_q(s, job->p, NULL, "ROLLBACK TO SAVEPOINT hab_writer", "");
    if (!lost) lost = hab_store_q(s, job->p, NULL, "RELEASE SAVEPOINT hab_writer", "");
    /* a disk or I/O failure inside the work may have spoilt the transaction */
    if (!lost && s->broken)
        lost = work_err ? work_err : hab_err_unavailable(job->p, "write failed");
    if (lost) return lost;
    job->result = work_err;
    job->work_failed = work_err != NULL;
    return NULL;
}

/* One line per lost transaction (a cause the connection's opener logged is
 * not logged again); the requests' own lines carry their ids. */
static void log_lost(apr_pool_t *p, const hab_err_t *lost, int failed)
{
    const char *cause = lost->cause ? lost->cause : "no engine code";
    if (lost->lock_wait)
        hab_log(p, HAB_LOG_WARNING, 10402,
                "the write lock was held elsewhere past the deadline (%s): "
                "%d request(s) answered %d",
                cause, failed, lost->status);
    else if (!lost->logged)
        hab_log(p, HAB_LOG_ERR, 10401,
                "a shared write transaction was lost (%s): %d request(s) answered %d; "
                "the next write reconnects",
                cause, failed, lost->status);
}

/* Leader, without the mutex: every job of the batch gets its outcome.  A
 * job whose own work failed is undone alone (one that met a lock past the
 * deadline too: the jobs after it try that lock without waiting); a lost
 * transaction (disk, connection) fails the jobs in it, and the rest go on
 * in a new one, unless no connection can be had at all or the write lock
 * is held elsewhere past the batch's deadline. */
static int run_batch(hab_writer_t *w, job_t *batch, apr_pool_t *p, int open_txn)
{
    job_t *uncommitted = batch;   /* first job whose result waits on the commit */
    apr_time_t deadline = batch_deadline(batch);
    for (job_t *job = batch; job; job = job->next) {
        hab_err_t *lost = run_one(w, job, deadline, &open_txn);
        if (!lost) continue;
        if (w->conn) {
            if (open_txn) w->conn->ops->rollback(w->conn);
            if (!lost->lock_wait) w->conn->broken = 1;   /* a held lock breaks nothing */
        }
        open_txn = 0;
        int failed = 0;
        for (job_t *j = uncommitted; j != job->next; j = j->next)
            if (j == job || !j->work_failed) settle(j, lost), failed++;
        uncommitted = job->next;
        /* the rest would only wait for the same answer */
        int give_up = !w->conn || lost->lock_wait;
        for (job_t *j = uncommitted; give_up && j; j = j->next) settle(j, lost), failed++;
        log_lost(p, lost, failed);
        if (give_up) return 0;
    }
    if (!open_txn) return 0;
    hab_err_t *cerr = w->conn->ops->commit(w->conn, p);
    if (cerr)
        for (job_t *j = uncommitted; j; j = j->next)
            if (!j->work_failed) settle(j, cerr);
    return cerr == NULL;
}

/* Leader, after letting go: the batch's commit reaches the disk before
 * anyone in it is answered.  A failed sync fails each job that waited on
 * the commit (its change may be visible but is not known to be durable). */
static void sync_batch(job_t *batch, apr_pool_t *p, const char *file)
{
    hab_err_t *e = hab_store_sync_file(p, file);
    if (!e) return;
    int failed = 0;
    for (job_t *j = batch; j; j = j->next)
        if (!j->work_failed && !j->result) settle(j, e), failed++;
    hab_log(p, HAB_LOG_ERR, 10403, "the database's log could not be synced to disk (%s): "
            "%d request(s) answered %d", e->cause, failed, e->status);
}

/* Under mu: the oldest waiter leads next, or nobody leads. */
static void pass_lead(hab_writer_t *w)
{
    if (w->head) {
        w->head->lead = 1;
        apr_thread_cond_signal(w->head->wake);
    } else {
        w->leading = 0;
    }
}

/* Leader, without the mutex, before it takes its batch: the write lock
 * first.  While another process holds it, the requests arriving here queue
 * and join this batch, so processes that take turns at the lock each
 * commit everything that waited meanwhile, one disk sync for all.  A
 * failure here is the batch's: the jobs then meet it in run_batch (a held
 * lock at once, as its first job would). */
static int begin_before_batch(hab_writer_t *w, apr_pool_t *p, apr_time_t deadline,
                              hab_err_t **failed)
{
    *failed = ensure_connection(w, p);
    if (*failed) return 0;
    w->conn->deadline = deadline;
    *failed = begin_write(w->conn, p);
    if (*failed && !(*failed)->lock_wait) w->conn->broken = 1;
    return *failed == NULL;
}

/* Every job of a batch whose write lock or connection could not be had. */
static void fail_batch(job_t *batch, apr_pool_t *p, const hab_err_t *err)
{
    int failed = 0;
    for (job_t *j = batch; j; j = j->next) settle(j, err), failed++;
    log_lost(p, err, failed);
}

/* Under mu: the oldest queued jobs, up to GROUP_MAX, off the queue. */
static job_t *take_batch(hab_writer_t *w)
{
    job_t *batch = w->head, *last = w->head;
    for (int n = 1; n < GROUP_MAX && last->next; n++) last = last->next;
    w->head = last->next;
    if (!w->head) w->tail = NULL;
    last->next = NULL;
    return batch;
}

hab_err_t *hab_writer_run(hab_writer_t *w, apr_pool_t *p, hab_write_fn fn, void *arg)
{
    return hab_writer_run_by(w, p, apr_time_now() + apr_time_from_msec(HAB_STORE_LOCK_WAIT_MS), fn,
                             arg);
}

static hab_err_t *run_job(hab_writer_t *w, apr_pool_t *p, apr_time_t deadline,
                          hab_write_fn fn, void *arg, int plain)
{
    job_t me;
    memset(&me, 0, sizeof(me));
    me.fn = fn;
    me.arg = arg;
    me.p = p;
    me.deadline = deadline;
    me.plain = plain;
    if (apr_thread_cond_create(&me.wake, p) != APR_SUCCESS)
        return hab_err_unavailable(p, "out of memory");

    apr_thread_mutex_lock(w->mu);
    if (w->tail) w->tail->next = &me; else w->head = &me;
    w->tail = &me;
    if (!w->leading) w->leading = me.lead = 1;
    while (!me.done && !me.lead) apr_thread_cond_wait(me.wake, w->mu);
    if (me.done) {
        apr_thread_mutex_unlock(w->mu);
        return me.result;
    }

    apr_thread_mutex_unlock(w->mu);
    hab_err_t *failed = w->shared.lock ? w->shared.lock(w->shared.baton, p, me.deadline) : NULL;
    int shared = w->shared.lock && !failed;
    int open_txn = !failed && begin_before_batch(w, p, me.deadline, &failed);
    apr_thread_mutex_lock(w->mu);
    job_t *batch = take_batch(w);   /* I am at its head */
    apr_thread_mutex_unlock(w->mu);
    int committed = 0;
    if (failed && (failed->lock_wait || !w->conn)) fail_batch(batch, p, failed);
    else committed = run_batch(w, batch, p, open_txn);   /* reconnects a broken connection */
    /* the next leader may reconnect while this one syncs: a copy of the name */
    const char *sync_file = committed && w->sync_file ? apr_pstrdup(p, w->sync_file) : NULL;
    if (shared) w->shared.unlock(w->shared.baton);
    if (sync_file) {
        apr_thread_mutex_lock(w->mu);
        pass_lead(w);
        apr_thread_mutex_unlock(w->mu);
        sync_batch(batch, p, sync_file);
    }
    apr_thread_mutex_lock(w->mu);
    for (job_t *job = batch, *next; job; job = next) {
        next = job->next;           /* read before its owner may return */
        job->done = 1;
        if (job != &me) apr_thread_cond_signal(job->wake);
    }
    if (!sync_file) pass_lead(w);
    apr_thread_mutex_unlock(w->mu);
    return me.result;
}

hab_err_t *hab_writer_run_by(hab_writer_t *w, apr_pool_t *p, apr_time_t deadline,
                             hab_write_fn fn, void *arg)
{
    return run_job(w, p, deadline, fn, arg, 0);
}

hab_err_t *hab_writer_append_by(hab_writer_t *w, apr_pool_t *p, apr_time_t deadline,
                                hab_write_fn fn, void *arg)
{
    return run_job(w, p, deadline, fn, arg, 1);
}
