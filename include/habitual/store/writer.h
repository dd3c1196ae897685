/* The process's writer: every change and every access-log entry of one
 * httpd process goes through one connection, one request at a time, each
 * inside a savepoint of a shared write transaction.  When nobody else is
 * waiting the transaction commits; while others wait it is handed on, so a
 * burst of requests shares one commit and one disk sync (group commit).
 * Nobody's request returns before its own work is committed; a request
 * whose work fails leaves nothing behind and does not disturb the others. */
#ifndef HABITUAL_WRITER_H
#define HABITUAL_WRITER_H

#include <apr_pools.h>

#include "habitual/base/error.h"
#include "habitual/store/store.h"

typedef struct hab_writer hab_writer_t;

/* Opens the writer's connection, again after it broke. */
typedef hab_err_t *(*hab_writer_open_fn)(void *baton, apr_pool_t *p, hab_store_t **store);

hab_writer_t *hab_writer_create(apr_pool_t *p, hab_writer_open_fn open, void *baton);

/* A lock shared by every process writing the same database, taken by a
 * batch's leader before its transaction and let go after its commit: the
 * leaders of other processes sleep on it instead of polling SQLite's lock.
 * lock answers by deadline or fails (lock_wait set, 503). */
typedef struct hab_writer_lock {
    hab_err_t *(*lock)(void *baton, apr_pool_t *p, apr_time_t deadline);
    void (*unlock)(void *baton);
    void *baton;
} hab_writer_lock_t;

/* Before any request: the process's writers take lock around each batch. */
void hab_writer_set_lock(hab_writer_t *w, const hab_writer_lock_t *lock);

/* Work done inside the shared transaction on the writer's connection. */
typedef hab_err_t *(*hab_write_fn)(hab_store_t *s, apr_pool_t *p, void *arg);

/* Run fn in its own savepoint and wait until it is committed.  fn's error
 * undoes fn's changes and is returned at once; otherwise the commit's.
 * Waits for a lock held elsewhere end HAB_STORE_LOCK_WAIT_MS from now
 * (503, lock_wait set). */
hab_err_t *hab_writer_run(hab_writer_t *w, apr_pool_t *p, hab_write_fn fn, void *arg);
/* The same, with the request's own deadline for lock waits (a request that
 * already waited in its read does not wait the whole timeout again). */
hab_err_t *hab_writer_run_by(hab_writer_t *w, apr_pool_t *p, apr_time_t deadline,
                             hab_write_fn fn, void *arg);
/* For work that only appends to the access log (a read's entry, a
 * refusal's): it runs without a savepoint of its own (two statements fewer,
 * two round trips on PostgreSQL), since a failed append is the database's
 * failure, not the request's: it fails the batch's uncommitted jobs with it
 * and the connection is opened again. */
hab_err_t *hab_writer_append_by(hab_writer_t *w, apr_pool_t *p, apr_time_t deadline,
                                hab_write_fn fn, void *arg);

#endif
