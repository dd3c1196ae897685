/* Group commit of access-log entries that come with no change of their own.
 *
 * Every audited read ends with an access-log entry that must be on disk
 * before the answer goes out.  Committed one by one, each costs a disk sync
 * and holds the write lock; committed together, one sync serves every
 * request waiting at that moment.  The first waiter to find no batch in
 * progress leads: it takes everything queued, appends it in one write
 * transaction on its own connection, and wakes the others with the result.
 * Entries keep their order; nobody answers before their entry is committed. */
#include <string.h>

#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "habitual/audit.h"

#define BATCH_MAX 256

typedef struct waiter {
    hab_audit_entry_t *entry;
    int finished;
    int status;                  /* 0: committed; otherwise the error's */
    const char *code;            /* static strings only: read after the leader is gone */
    char message[256];
} waiter_t;

struct hab_log_batcher {
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *done;
    waiter_t *queue[BATCH_MAX];
    int queued;
    int leading;
};

hab_log_batcher_t *hab_log_batcher_create(apr_pool_t *p)
{
    hab_log_batcher_t *b = apr_pcalloc(p, sizeof(*b));
    if (apr_thread_mutex_create(&b->lock, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS ||
        apr_thread_cond_create(&b->done, p) != APR_SUCCESS)
        return NULL;
    return b;
}

static hab_err_t *commit_batch(hab_store_t *store, apr_pool_t *p, waiter_t **batch, int n)
{
    hab_err_t *err = store->ops->begin(store, p, 1);
    for (int i = 0; !err && i < n; i++) err = hab_audit_append(store, p, batch[i]->entry);
    if (!err) err = store->ops->commit(store, p);
    if (err) store->ops->rollback(store);
    return err;
}

static void finish(waiter_t **batch, int n, const hab_err_t *err)
{
    for (int i = 0; i < n; i++) {
        batch[i]->finished = 1;
        if (!err) continue;
        batch[i]->status = err->status;
        batch[i]->code = err->status == 503 ? "unavailable" : "internal";
        apr_cpystrn(batch[i]->message, err->message, sizeof(batch[i]->message));
    }
}

hab_err_t *hab_log_batch_append(hab_log_batcher_t *b, hab_store_t *store, apr_pool_t *p,
                                hab_audit_entry_t *e)
{
    waiter_t me;
    memset(&me, 0, sizeof(me));
    me.entry = e;
    apr_thread_mutex_lock(b->lock);
    while (b->queued == BATCH_MAX) apr_thread_cond_wait(b->done, b->lock);
    b->queue[b->queued++] = &me;
    while (!me.finished) {
        if (b->leading) {
            apr_thread_cond_wait(b->done, b->lock);
            continue;
        }
        waiter_t *batch[BATCH_MAX];
        int n = b->queued;
        memcpy(batch, b->queue, sizeof(waiter_t *) * (size_t)n);
        b->queued = 0;
        b->leading = 1;
        apr_thread_mutex_unlock(b->lock);
        hab_err_t *err = commit_batch(store, p, batch, n);
        apr_thread_mutex_lock(b->lock);
        finish(batch, n, err);
        b->leading = 0;
        apr_thread_cond_broadcast(b->done);
    }
    apr_thread_mutex_unlock(b->lock);
    if (!me.status) return NULL;
    hab_err_t *err = hab_err_make(p, me.status, me.code, "%s", me.message);
    return err;
}
