/* The store interface: a table of function pointers (as httpd's mod_md does
 * for its store), so a PostgreSQL driver can sit beside the SQLite one.
 * The data model's SQL is written once, over this interface. */
#ifndef HABITUAL_STORE_H
#define HABITUAL_STORE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "habitual/base/error.h"

typedef enum { HAB_PARAM_NULL, HAB_PARAM_TEXT, HAB_PARAM_INT } hab_param_type_t;

typedef struct hab_param {
    hab_param_type_t type;
    const char *text;
    long long num;
} hab_param_t;

/* A result copied into the caller's pool: cells[row * ncols + col], NULL
 * for SQL NULL.  Every value arrives as text. */
typedef struct hab_rows {
    int ncols;
    int nrows;
    const char **cells;
} hab_rows_t;

typedef struct hab_store hab_store_t;

/* One statement and its parameters, as a driver is handed several at once. */
typedef struct hab_stmt {
    const char *sql;
    const hab_param_t *params;
    int nparams;
} hab_stmt_t;

typedef struct hab_prefetch hab_prefetch_t;

/* How long a request may wait for a lock held elsewhere (another process's
 * SQLite write lock, a PostgreSQL lock of another session): past it the
 * answer is 503 with Retry-After.  The whole request's waits together,
 * not each statement's (see hab_store.deadline). */
#define HAB_STORE_LOCK_WAIT_MS 5000

typedef struct hab_store_ops {
    /* write: take the write lock now (SQLite BEGIN IMMEDIATE) */
    hab_err_t *(*begin)(hab_store_t *s, apr_pool_t *p, int write);
    hab_err_t *(*commit)(hab_store_t *s, apr_pool_t *p);
    void (*rollback)(hab_store_t *s);
    /* One statement, '?' placeholders, prepared once per connection. */
    hab_err_t *(*query)(hab_store_t *s, apr_pool_t *p, const char *sql,
                        const hab_param_t *params, int nparams, hab_rows_t **rows);
    /* Several statements with no parameters: migrations only. */
    hab_err_t *(*exec_script)(hab_store_t *s, apr_pool_t *p, const char *sql);
    /* The engine's own consistency check; NULL when sound. */
    hab_err_t *(*integrity_check)(hab_store_t *s, apr_pool_t *p);
    void (*close)(hab_store_t *s);
    /* Let this connection's commits return before the disk has them, for a
     * caller that syncs them itself, once, for many commits (the writer):
     * the file whose sync makes every commit so far durable, in p; NULL
     * when the connection cannot (its commits then stay synchronous).
     * NULL op: the engine's commit is durable on its own (PostgreSQL). */
    const char *(*defer_sync)(hab_store_t *s, apr_pool_t *p);
    /* Several reads sent together, in the open transaction, their rows in
     * the same order (PostgreSQL: one pipeline, one round trip); the first
     * failure is returned, and the transaction is then failed as by a
     * query().  NULL op: nothing would be gained (SQLite runs in the
     * process), and hab_store_prefetch_begin says so. */
    hab_err_t *(*query_many)(hab_store_t *s, apr_pool_t *p, const hab_stmt_t *stmts, int n,
                             hab_rows_t **rows);
    /* A write whose answer nobody reads, in the open transaction, kept to
     * go with the next statement that has an answer, or with the COMMIT
     * (PostgreSQL: in its pipeline); its failure is then that statement's,
     * and fails the transaction.  send_waiting sends what was kept now.
     * NULL ops: the store runs such a write at once (SQLite). */
    hab_err_t *(*send_later)(hab_store_t *s, apr_pool_t *p, const char *sql,
                             const hab_param_t *params, int nparams);
    hab_err_t *(*send_waiting)(hab_store_t *s, apr_pool_t *p);
} hab_store_ops_t;

struct hab_store {
    const hab_store_ops_t *ops;
    const char *driver;   /* "sqlite3" */
    const char *params;   /* the file name or connection string */
    void *conn;
    int in_transaction;
    int broken;           /* set by the driver: do not hand this connection out again */
    /* Set by the caller: every lock wait on this connection ends by then
     * (one try without waiting once it has passed), so the waits of one
     * request never add up past its own deadline.  0: each wait may last
     * HAB_STORE_LOCK_WAIT_MS. */
    apr_time_t deadline;
    /* The access log's head as this transaction last appended it, so the
     * next append need not read it back (a round trip on PostgreSQL).
     * Forgotten at every begin, commit and rollback, and by whoever rolls
     * back to a savepoint (hab_audit_forget_head). */
    struct {
        int known;
        long long seq;
        char hash[65];
    } log_head;
    /* The change counter (schema.h) as read with the log's head, under the
     * write lock, while nothing in this transaction has moved it; forgotten
     * with the head and by hab_changes_bump. */
    struct {
        int known;
        long long n;
    } changes;
    /* Set by the writer around work that only appends to the access log: its
     * statements may wait for the next one (ops->send_later). */
    int appends_may_wait;
    /* Reads sent ahead (hab_store_prefetch_send), answered from here by
     * hab_store_q asking the same thing.  Forgotten with the log's head,
     * and by any statement that is not a read. */
    hab_prefetch_t *prefetch;
    unsigned long round_trips;   /* to the engine's server (PostgreSQL), for tests */
};

enum {
    HAB_STORE_CREATE = 1,   /* only `habitual-admin init` creates a database */
    HAB_STORE_READONLY = 2
};

/* Make what was written to path so far durable (fdatasync, on a descriptor
 * of its own, so it needs no connection): 503 with the errno as cause. */
hab_err_t *hab_store_sync_file(apr_pool_t *p, const char *path);

/* Drivers known to this build, for messages: "sqlite3, pgsql". */
const char *hab_store_drivers(void);
int hab_store_driver_known(const char *driver);

/* The database as messages name it: a SQLite path as given, a PostgreSQL
 * connection string with its password masked (never print params itself). */
const char *hab_store_display(apr_pool_t *p, const char *driver, const char *params);

/* Open a connection; it closes when p is cleared or destroyed.  The driver
 * allocates from p while the connection works (its statement cache), so p
 * must belong to this connection alone: pools are not thread-safe. */
hab_err_t *hab_store_open(apr_pool_t *p, const char *driver, const char *params,
                          int flags, hab_store_t **out);

/* Query with parameters described by fmt: 't' text (NULL binds NULL),
 * 'i' long long, 'I' long long id (0 binds NULL), 'b' int (0/1).  rows may be NULL when none are
 * wanted. */
hab_err_t *hab_store_q(hab_store_t *s, apr_pool_t *p, hab_rows_t **rows,
                       const char *sql, const char *fmt, ...);

/* The same for a write whose answer nobody reads: kept by the driver to go
 * with the next statement, while s->appends_may_wait (ops->send_later),
 * else run at once.  hab_store_send_waiting sends what was kept. */
hab_err_t *hab_store_q_later(hab_store_t *s, apr_pool_t *p, const char *sql, const char *fmt, ...);
hab_err_t *hab_store_send_waiting(hab_store_t *s, apr_pool_t *p);

/* Reads known in advance, sent together: between _begin and _send every
 * hab_store_q is only written down (and answers no rows, no error); _send
 * sends what was written down in one go, and each of those reads, asked
 * again by hab_store_q in the same transaction, is answered once from what
 * came back.  A write, a savepoint, the transaction's end or a read asked
 * differently is sent as usual, and forgets what was not asked yet.  So a
 * caller whose reads depend only on what it knew at _begin (a case's parts,
 * by the case's id) runs them twice: once to write them down, once for real.
 * _begin answers 0, and records nothing, where that gains nothing: SQLite,
 * or outside a transaction. */
int hab_store_prefetch_begin(hab_store_t *s, apr_pool_t *p);
hab_err_t *hab_store_prefetch_send(hab_store_t *s, apr_pool_t *p);
/* What a transaction knew (the log's head, reads sent ahead): the drivers
 * forget it at begin, commit and rollback. */
void hab_store_forget(hab_store_t *s);

const char *hab_rows_text(const hab_rows_t *rows, int row, int col);

/* For drivers: a pool clean-up that closes the store (registered on the
 * pool the store lives in, once its connection is open). */
apr_status_t hab_store_close_cleanup(void *store);
long long hab_rows_int(const hab_rows_t *rows, int row, int col);

/* Reading SQL text (the drivers' placeholders and RETURNING, the case
 * definition's DDL reader).  Past a lexical span at s that may hold stray
 * punctuation: a quoted literal or identifier ('' and "" are their own
 * escapes, so re-entering is right), a -- comment or a block comment; s
 * itself when it begins none. */
const char *hab_sql_skip_span(const char *s);
const char *hab_sql_skip_space(const char *s);
/* word (a keyword, any case) at s, not followed by a name's character. */
int hab_sql_starts_word(const char *s, const char *word);

#endif
