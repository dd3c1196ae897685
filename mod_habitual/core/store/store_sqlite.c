/* The SQLite driver of the store interface.  One connection per thread of
 * one process, opened after fork; WAL, busy timeout, foreign keys on,
 * statements prepared once with sqlite3_prepare_v2 (which re-prepares
 * itself after a schema change) and kept for the connection's life.
 *
 * "INSERT … RETURNING id" of one row, id the table's rowid, runs without
 * its RETURNING: the answer is the row's rowid, read back.  SQLite's
 * RETURNING keeps its rows in a temporary b-tree and makes the insert look
 * for rows of every referencing table that point at the new key (a scan of
 * each one whose reference has no index); that was a third of an audited
 * write's instructions. */
#include <ctype.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <sqlite3.h>

#include "habitual/store/store.h"
#include "habitual/store/store_drivers.h"

typedef struct {
    hab_store_t *store;     /* its deadline bounds every wait */
    sqlite3 *db;
    apr_hash_t *statements; /* SQL text -> prepared_t* */
    apr_pool_t *pool;
    apr_time_t busy_since;  /* when the current wait for a lock began */
} sqlite_conn_t;

typedef struct {
    sqlite3_stmt *stmt;
    int rowid_returned;     /* prepared without its "RETURNING <rowid>" */
} prepared_t;

/* Waiting for another process's write lock: SQLite's own handler sleeps
 * longer and longer (up to 100 ms a try), which under load gives a few
 * requests very long waits.  Poll every half millisecond instead, up to
 * the lock timeout or the store's deadline, whichever comes first, then
 * give up: the caller answers 503.  A deadline already passed means one
 * try and no wait (the writer's batch of requests that waited in vain). */
static int busy_poll(void *data, int count)
{
    sqlite_conn_t *c = data;
    apr_time_t now = apr_time_now();
    if (count == 0) c->busy_since = now;
    apr_time_t until = c->busy_since + apr_time_from_msec(HAB_STORE_LOCK_WAIT_MS);
    if (c->store->deadline && c->store->deadline < until) until = c->store->deadline;
    if (now >= until) return 0;
    apr_sleep(500);
    return 1;
}

/* Busy, locked, disk full, read-only or I/O trouble: the answer is 503 and
 * the client may retry.  Anything else is our bug: 500. */
static hab_err_t *sqlite_failure(apr_pool_t *p, sqlite3 *db, int rc, const char *what)
{
    int primary = rc & 0xff;
    const char *detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    hab_err_t *e;
    switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        e = hab_err_make(p, 503, "unavailable",
                         "The case database is busy (%s: %s); try again shortly.", what, detail);
        e->lock_wait = 1;
        return e;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return hab_err_make(p, 503, "unavailable",
                            "The case database cannot be written (%s: %s).", what, detail);
    default:
        return hab_err_make(p, 500, "internal", "database error (%s: %s)", what, detail);
    }
}

/* The same, carrying SQLite's extended result code for the error log. */
static hab_err_t *sqlite_error(apr_pool_t *p, sqlite3 *db, int rc, const char *what)
{
    hab_err_t *e = sqlite_failure(p, db, rc, what);
    e->cause = apr_psprintf(p, "sqlite %d", rc);
    return e;
}

/* Past a parenthesised group starting at s ('(' at s), quoted text and
 * comments skipped; NULL when it does not close. */
static const char *past_group(const char *s)
{
    int depth = 0;
    while (*s) {
        const char *span = hab_sql_skip_span(s);
        if (span != s) {
            s = span;
            continue;
        }
        if (*s == '(') depth++;
        else if (*s == ')' && --depth == 0) return s + 1;
        s++;
    }
    return NULL;
}

/* The source of an INSERT gives one row at most: one VALUES tuple, or a
 * SELECT with no FROM or compound of its own (its subqueries may have). */
static int one_row_source(const char *s, const char *end)
{
    s = hab_sql_skip_space(s);
    if (hab_sql_starts_word(s, "VALUES")) {
        s = hab_sql_skip_space(s + 6);
        const char *after = *s == '(' ? past_group(s) : NULL;
        return after && after <= end && hab_sql_skip_space(after) == end;
    }
    if (!hab_sql_starts_word(s, "SELECT")) return 0;
    while (s < end) {
        const char *after = *s == '(' ? past_group(s) : hab_sql_skip_span(s);
        if (!after || after >= end) return 0;
        if (after != s) {
            s = after;
            continue;
        }
        if (!isalnum((unsigned char)s[-1]) && s[-1] != '_' &&
            (hab_sql_starts_word(s, "FROM") || hab_sql_starts_word(s, "UNION") ||
             hab_sql_starts_word(s, "INTERSECT") || hab_sql_starts_word(s, "EXCEPT") ||
             hab_sql_starts_word(s, "VALUES")))
            return 0;
        s++;
    }
    return 1;
}

/* Whether column of table is its INTEGER PRIMARY KEY, the rowid's alias. */
static int is_rowid_alias(sqlite3 *db, const char *table, const char *column)
{
    const char *type;
    int pk = 0;
    if (sqlite3_table_column_metadata(db, "main", table, column, &type, NULL, NULL, &pk, NULL) !=
            SQLITE_OK ||
        !pk || !type || sqlite3_stricmp(type, "INTEGER"))
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM pragma_table_info(?) WHERE pk > 0 AND name <> ?",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    int alone = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
    return alone;
}

/* The length of sql without its " RETURNING <rowid>" when it is an
 * "INSERT INTO t(…) <one row> RETURNING <t's rowid>", else 0. */
static size_t without_rowid_returning(sqlite_conn_t *c, const char *sql)
{
    static const char insert[] = "INSERT INTO ", returning[] = " RETURNING ";
    if (strncmp(sql, insert, sizeof(insert) - 1) || strstr(sql, "ON CONFLICT")) return 0;
    const char *table = sql + sizeof(insert) - 1, *t = table;
    while (isalnum((unsigned char)*t) || *t == '_') t++;
    const char *ret = NULL;
    for (const char *r = strstr(t, returning); r; r = strstr(r + 1, returning)) ret = r;
    if (t == table || *t != '(' || !ret) return 0;
    const char *column = ret + sizeof(returning) - 1, *e = column;
    while (isalnum((unsigned char)*e) || *e == '_') e++;
    const char *source = past_group(t);
    if (e == column || *e || !source || source > ret || !one_row_source(source, ret)) return 0;
    char name[64], col[64];
    if ((size_t)(t - table) >= sizeof(name) || (size_t)(e - column) >= sizeof(col)) return 0;
    memcpy(name, table, (size_t)(t - table));
    name[t - table] = '\0';
    memcpy(col, column, (size_t)(e - column) + 1);
    return is_rowid_alias(c->db, name, col) ? (size_t)(ret - sql) : 0;
}

static prepared_t *cached_statement(sqlite_conn_t *c, const char *sql, int *rc)
{
    prepared_t *ps = apr_hash_get(c->statements, sql, APR_HASH_KEY_STRING);
    *rc = SQLITE_OK;
    if (ps) return ps;
    size_t stripped = without_rowid_returning(c, sql);
    sqlite3_stmt *stmt;
    *rc = sqlite3_prepare_v2(c->db, sql, stripped ? (int)stripped : -1, &stmt, NULL);
    if (*rc != SQLITE_OK) return NULL;
    ps = apr_palloc(c->pool, sizeof(*ps));
    ps->stmt = stmt;
    ps->rowid_returned = stripped > 0;
    apr_hash_set(c->statements, apr_pstrdup(c->pool, sql), APR_HASH_KEY_STRING, ps);
    return ps;
}

static int bind_params(sqlite3_stmt *stmt, const hab_param_t *params, int n)
{
    for (int i = 0; i < n; i++) {
        int rc;
        switch (params[i].type) {
        case HAB_PARAM_TEXT:
            rc = sqlite3_bind_text(stmt, i + 1, params[i].text, -1, SQLITE_STATIC);
            break;
        case HAB_PARAM_INT:
            rc = sqlite3_bind_int64(stmt, i + 1, params[i].num);
            break;
        default:
            rc = sqlite3_bind_null(stmt, i + 1);
        }
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

/* A connection that met a read-only, I/O or open failure may keep failing
 * after the cause is fixed (SQLite opens an unwritable file read-only and
 * stays so): mark it, so the pool opens a fresh one next time. */
static hab_err_t *mark(hab_store_t *s, hab_err_t *e)
{
    if (e && e->status == 503) {
        sqlite_conn_t *c = s->conn;
        int primary = c->db ? sqlite3_errcode(c->db) & 0xff : SQLITE_CANTOPEN;
        if (primary != SQLITE_BUSY && primary != SQLITE_LOCKED) s->broken = 1;
    }
    return e;
}

static hab_err_t *sqlite_query(hab_store_t *s, apr_pool_t *p, const char *sql,
                               const hab_param_t *params, int nparams, hab_rows_t **out)
{
    sqlite_conn_t *c = s->conn;
    int rc;
    prepared_t *ps = cached_statement(c, sql, &rc);
    if (!ps) return mark(s, sqlite_error(p, c->db, rc, "prepare"));
    sqlite3_stmt *stmt = ps->stmt;
    if (sqlite3_bind_parameter_count(stmt) != nparams) {
        return hab_err_internal(p, "store: parameter count does not match the statement");
    }
    rc = bind_params(stmt, params, nparams);
    if (rc != SQLITE_OK) {
        sqlite3_reset(stmt);
        return sqlite_error(p, c->db, rc, "bind");
    }

    hab_rows_t *rows = apr_pcalloc(p, sizeof(*rows));
    rows->ncols = sqlite3_column_count(stmt);
    apr_array_header_t *cells = apr_array_make(p, 16, sizeof(const char *));
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        for (int col = 0; col < rows->ncols; col++) {
            const unsigned char *t = sqlite3_column_text(stmt, col);
            int len = sqlite3_column_bytes(stmt, col);
            APR_ARRAY_PUSH(cells, const char *) =
                t ? apr_pstrmemdup(p, (const char *)t, (apr_size_t)len) : NULL;
        }
        rows->nrows++;
    }
    hab_err_t *err = rc == SQLITE_DONE ? NULL : mark(s, sqlite_error(p, c->db, rc, "step"));
    if (!err && ps->rowid_returned) {
        rows->ncols = 1;
        rows->nrows = sqlite3_changes(c->db) ? 1 : 0;   /* one row at most, by its text */
        if (rows->nrows)
            APR_ARRAY_PUSH(cells, const char *) =
                apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)sqlite3_last_insert_rowid(c->db));
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    rows->cells = (const char **)cells->elts;
    *out = rows;
    return err;
}

static hab_err_t *sqlite_exec(hab_store_t *s, apr_pool_t *p, const char *sql)
{
    sqlite_conn_t *c = s->conn;
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK) return NULL;
    hab_err_t *e = mark(s, sqlite_error(p, c->db, rc, "exec"));
    sqlite3_free(msg);
    return e;
}

/* BEGIN, COMMIT and ROLLBACK run on every request: prepared once, like
 * every other statement. */
static int run_prepared(sqlite_conn_t *c, const char *sql)
{
    int rc;
    prepared_t *ps = cached_statement(c, sql, &rc);
    if (!ps) return rc;
    rc = sqlite3_step(ps->stmt);
    sqlite3_reset(ps->stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static hab_err_t *sqlite_begin(hab_store_t *s, apr_pool_t *p, int write)
{
    sqlite_conn_t *c = s->conn;
    hab_store_forget(s);
    int rc = run_prepared(c, write ? "BEGIN IMMEDIATE" : "BEGIN");
    if (rc != SQLITE_OK) return mark(s, sqlite_error(p, c->db, rc, "begin"));
    s->in_transaction = 1;
    return NULL;
}

static hab_err_t *sqlite_commit(hab_store_t *s, apr_pool_t *p)
{
    sqlite_conn_t *c = s->conn;
    hab_store_forget(s);
    int rc = run_prepared(c, "COMMIT");
    hab_err_t *e = rc == SQLITE_OK ? NULL : mark(s, sqlite_error(p, c->db, rc, "commit"));
    if (e && !sqlite3_get_autocommit(c->db)) run_prepared(c, "ROLLBACK");
    s->in_transaction = 0;
    return e;
}

static void sqlite_rollback(hab_store_t *s)
{
    sqlite_conn_t *c = s->conn;
    hab_store_forget(s);
    if (c->db && !sqlite3_get_autocommit(c->db)) run_prepared(c, "ROLLBACK");
    s->in_transaction = 0;
}

static hab_err_t *sqlite_integrity(hab_store_t *s, apr_pool_t *p)
{
    hab_rows_t *rows = NULL;
    hab_err_t *e = s->ops->query(s, p, "PRAGMA integrity_check", NULL, 0, &rows);
    if (e) return e;
    const char *first = hab_rows_text(rows, 0, 0);
    if (rows->nrows == 1 && first && strcmp(first, "ok") == 0) return NULL;
    return hab_err_make(p, 500, "integrity", "integrity_check: %s", first ? first : "no answer");
}

static void sqlite_close(hab_store_t *s)
{
    sqlite_conn_t *c = s->conn;
    if (!c || !c->db) return;
    for (apr_hash_index_t *hi = apr_hash_first(NULL, c->statements); hi; hi = apr_hash_next(hi)) {
        void *ps;
        apr_hash_this(hi, NULL, NULL, &ps);
        sqlite3_finalize(((prepared_t *)ps)->stmt);
    }
    apr_hash_clear(c->statements);
    sqlite3_close(c->db);
    c->db = NULL;
}

/* In WAL mode a commit appends to the WAL; synchronous=NORMAL leaves its
 * sync to the caller, and one fdatasync of the WAL then makes every commit
 * before it durable, whichever connection or process made them.  Not in WAL
 * mode (a rollback journal): commits stay synchronous. */
static const char *sqlite_defer_sync(hab_store_t *s, apr_pool_t *p)
{
    sqlite_conn_t *c = s->conn;
    hab_rows_t *rows = NULL;
    if (s->ops->query(s, p, "PRAGMA journal_mode", NULL, 0, &rows) || rows->nrows != 1)
        return NULL;
    const char *mode = hab_rows_text(rows, 0, 0);
    const char *wal = sqlite3_filename_wal(sqlite3_db_filename(c->db, "main"));
    if (!mode || strcmp(mode, "wal") != 0 || !wal || !*wal) return NULL;
    if (sqlite_exec(s, p, "PRAGMA synchronous=NORMAL")) return NULL;
    return apr_pstrdup(p, wal);
}

static const hab_store_ops_t sqlite_ops = {
    sqlite_begin, sqlite_commit, sqlite_rollback, sqlite_query,
    sqlite_exec, sqlite_integrity, sqlite_close, sqlite_defer_sync,
    NULL, NULL, NULL   /* query_many, send_later, send_waiting: no round trips to save */
};

static hab_err_t *sqlite_setup(hab_store_t *s, apr_pool_t *p, int flags)
{
    sqlite_conn_t *c = s->conn;
    sqlite3_busy_handler(c->db, busy_poll, c);
    sqlite3_extended_result_codes(c->db, 1);
    if (flags & HAB_STORE_READONLY) return sqlite_exec(s, p, "PRAGMA foreign_keys=ON");
    /* FULL: a write answered 2xx is on disk, even across power loss.
     * temp_store MEMORY: each request's savepoint keeps the pages it changes
     * in a sub-journal, a temporary file by default (about 40 writes and an
     * open and close a request, measured with strace); in memory it costs
     * nothing durable (a crash discards the open transaction anyway). */
    return sqlite_exec(
        s, p, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;");
}

void hab_store_sqlite_process_init(void)
{
    /* SQLITE_MISUSE once SQLite is initialised (another module got there
     * first): then the statistics simply stay on. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

hab_err_t *hab_store_sqlite_open(apr_pool_t *p, const char *path, int flags,
                                 hab_store_t **out)
{
    hab_store_t *s = apr_pcalloc(p, sizeof(*s));
    sqlite_conn_t *c = apr_pcalloc(p, sizeof(*c));
    s->ops = &sqlite_ops;
    s->driver = "sqlite3";
    s->params = apr_pstrdup(p, path);
    s->conn = c;
    c->store = s;
    c->pool = p;
    c->statements = hab_store_statement_cache(p);

    int oflags = SQLITE_OPEN_NOMUTEX;
    oflags |= (flags & HAB_STORE_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (flags & HAB_STORE_CREATE) oflags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &c->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        hab_err_t *e = hab_err_make(p, 503, "unavailable",
                                    "cannot open database file %s: %s%s", path,
                                    c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc),
                                    (flags & HAB_STORE_CREATE) ? ""
                                        : " (does it exist? create it with habitual-admin init)");
        if (c->db) sqlite3_close(c->db);
        c->db = NULL;
        return e;
    }
    apr_pool_cleanup_register(p, s, hab_store_close_cleanup, apr_pool_cleanup_null);
    hab_err_t *e = sqlite_setup(s, p, flags);
    if (e) return e;
    if (!(flags & HAB_STORE_READONLY) && sqlite3_db_readonly(c->db, "main") == 1)
        return hab_err_make(p, 503, "unavailable", "database file %s cannot be written (read-only)",
                            path);
    *out = s;
    return NULL;
}
