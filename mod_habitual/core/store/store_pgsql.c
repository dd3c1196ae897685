/* The PostgreSQL driver of the store interface, with libpq; it mirrors
 * store_sqlite.c.  One connection per thread of one process, opened after
 * fork (a forked child must never close a connection it inherited: PQfinish
 * would end the parent's session).
 *
 * Statements: the core writes '?' placeholders; each distinct SQL text is
 * translated to $1..$n and prepared once per connection (PQprepare), then
 * run with PQexecPrepared.  Parameters travel as untyped text, so PostgreSQL
 * infers each one from its context exactly as it would a quoted literal;
 * a '?' with no context at all (a bare "? IS NULL") cannot be typed and must
 * be written CAST(? AS TEXT) in the core's SQL.  Every value comes back as
 * text, NULL for SQL NULL.
 *
 * Transactions: begin(write=1) is READ COMMITTED plus a transaction-level
 * advisory lock, so writers on every web server take turns as SQLite's
 * BEGIN IMMEDIATE makes them (see pg_begin); begin(write=0) is REPEATABLE
 * READ, one snapshot for the whole read, as a deferred SQLite read has.
 * Statements whose answers nobody reads (the BEGIN itself, SAVEPOINT,
 * RELEASE) wait for the next one that has one, and go with it in one
 * round trip (libpq's pipeline mode).
 *
 * Failures: a lost connection, a server shutting down or not yet accepting,
 * serialization failures, deadlocks, lock timeouts, full disks, I/O errors
 * and read-only servers answer 503; anything else is our bug: 500.  After a
 * lost connection the next transaction's first statement (or a query
 * outside a transaction) resets the connection once, so service returns by
 * itself when the server does. */
#include <stdio.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <libpq-fe.h>

#include "habitual/store/store.h"
#include "habitual/store/store_drivers.h"

/* 'habit' in ASCII.  Advisory lock keys are per database, so two habitual
 * databases on one server do not contend. */
#define HAB_PG_WRITE_LOCK "448310438260"
/* A wait that ends this close after the deadline is on time: no round
 * trip to shorten the lock timeout for it. */
#define HAB_PG_DEADLINE_SLACK_MS 100
#define HAB_PG_CONNECT_TIMEOUT "5"
/* a batch's appends and their index rows, between two round trips */
#define AHEAD_MAX 40
#define AHEAD_TEXT 64

typedef struct {
    const char *name; /* the server-side prepared statement */
    int nparams;
} pg_stmt_t;

/* A statement waiting for the next one that has an answer: a text with no
 * parameters (BEGIN, SAVEPOINT, ...) or a prepared write and its values,
 * in the pool of whoever kept it (the writer's job: it outlives the batch). */
typedef struct {
    char text[AHEAD_TEXT];
    const pg_stmt_t *st;       /* NULL: text */
    const char *const *values;
    int nparams;
} ahead_t;

typedef struct {
    PGconn *pg;
    apr_pool_t *cache_pool;  /* the statement cache; cleared on every reset */
    apr_hash_t *statements;  /* SQL text -> pg_stmt_t* */
    unsigned long next_stmt; /* names hab_1, hab_2, ... */
    int readonly;
    int lock_timeout_ms;     /* in force in the open transaction; -1 unknown */
    /* Statements nobody waits on (a transaction's BEGIN, lock timeout and
     * advisory lock, a SAVEPOINT, a RELEASE, an access-log entry): sent with
     * the next statement that has an answer, in the same round trip
     * (pipeline mode), whose answer is then also theirs; a ROLLBACK makes
     * them needless, and a COMMIT all but the writes. */
    ahead_t ahead[AHEAD_MAX];
    int nahead;
    int nwrites;             /* of them, writes (pg_send_later) */
    int ahead_begins;        /* ahead[0] is the BEGIN: nothing has happened yet */
} pg_conn_t;

/* ---- errors ---- */

/* Only SQLSTATEs that say "try again later" are 503s. */
static int transient_sqlstate(const char *state)
{
    static const char *const classes[] = {"08", "53", "57", "58", NULL};
    static const char *const codes[] = {"40001", "40P01", "55P03", "25006", NULL};
    if (!state) return 0;
    for (int i = 0; classes[i]; i++)
        if (strncmp(state, classes[i], 2) == 0) return 1;
    for (int i = 0; codes[i]; i++)
        if (strcmp(state, codes[i]) == 0) return 1;
    return 0;
}

/* The primary message only: DETAIL lines quote row values (personal data)
 * and never reach the log.  Data exceptions (class 22) quote the offending
 * input in the primary message too, so they are cut at the colon. */
static const char *safe_message(apr_pool_t *p, PGconn *pg, const PGresult *res,
                                const char *state)
{
    const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!m) m = PQerrorMessage(pg);
    if (!m || !*m) m = "no message";
    apr_size_t n = strcspn(m, "\n");
    if (state && strncmp(state, "22", 2) == 0) {
        const char *colon = memchr(m, ':', n);
        if (colon) n = (apr_size_t)(colon - m);
    }
    return apr_pstrmemdup(p, m, n);
}

static hab_err_t *pg_failure(apr_pool_t *p, PGconn *pg, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = safe_message(p, pg, res, state);
    if (!pg || PQstatus(pg) == CONNECTION_BAD || transient_sqlstate(state)) {
        hab_err_t *e =
            hab_err_make(p, 503, "unavailable",
                         "The case database is unavailable (%s: %s%s%s); try again shortly.", what,
                         state ? state : "", state ? " " : "", msg);
        e->lock_wait = state && strcmp(state, "55P03") == 0; /* lock_not_available */
        return e;
    }
    return hab_err_make(p, 500, "internal", "database error (%s: %s %s)", what,
                        state ? state : "-", msg);
}

/* The same, carrying the SQLSTATE (or the connection's state) for the error log. */
static hab_err_t *pg_error(apr_pool_t *p, PGconn *pg, const PGresult *res, const char *what)
{
    hab_err_t *e = pg_failure(p, pg, res, what);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    e->cause = state ? apr_pstrcat(p, "pgsql ", state, NULL) : "pgsql connection";
    return e;
}

static int result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

/* ---- placeholders ---- */

/* '?' -> $1..$n outside literals, identifiers and comments.  Each '?' grows
 * by at most 5 bytes ($65535, libpq's limit), hence the buffer's size. */
static const char *translate_placeholders(apr_pool_t *p, const char *sql, int *count)
{
    char *out = apr_palloc(p, strlen(sql) * 6 + 1), *o = out;
    *count = 0;
    for (const char *s = sql; *s;) {
        const char *end = hab_sql_skip_span(s);
        if (end != s) {
            memcpy(o, s, (apr_size_t)(end - s));
            o += end - s;
            s = end;
        } else if (*s == '?') {
            o += sprintf(o, "$%d", ++*count);
            s++;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

/* ---- statements ---- */

static void forget_statements(pg_conn_t *c)
{
    /* The server forgot them with the session; names restart nowhere, the
     * counter simply goes on. */
    apr_pool_clear(c->cache_pool);
    c->statements = hab_store_statement_cache(c->cache_pool);
}

static hab_err_t *cached_statement(hab_store_t *s, apr_pool_t *p, const char *sql,
                                   const pg_stmt_t **out)
{
    pg_conn_t *c = s->conn;
    pg_stmt_t *st = apr_hash_get(c->statements, sql, APR_HASH_KEY_STRING);
    if (st) {
        *out = st;
        return NULL;
    }
    int n;
    const char *text = translate_placeholders(p, sql, &n);
    const char *name = apr_psprintf(c->cache_pool, "hab_%lu", ++c->next_stmt);
    s->round_trips++;
    PGresult *res = PQprepare(c->pg, name, text, 0, NULL);
    hab_err_t *e = result_ok(res) ? NULL : pg_error(p, c->pg, res, "prepare");
    PQclear(res);
    if (e) return e;
    st = apr_palloc(c->cache_pool, sizeof(*st));
    st->name = name;
    st->nparams = n;
    apr_hash_set(c->statements, apr_pstrdup(c->cache_pool, sql), APR_HASH_KEY_STRING, st);
    *out = st;
    return NULL;
}

static const char *const *param_values(apr_pool_t *p, const hab_param_t *params, int n)
{
    const char **v = apr_pcalloc(p, sizeof(*v) * (apr_size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        if (params[i].type == HAB_PARAM_TEXT)
            v[i] = params[i].text;
        else if (params[i].type == HAB_PARAM_INT)
            v[i] = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)params[i].num);
        /* HAB_PARAM_NULL stays NULL: libpq sends SQL NULL */
    }
    return v;
}

static hab_rows_t *copy_rows(apr_pool_t *p, const PGresult *res)
{
    hab_rows_t *rows = apr_pcalloc(p, sizeof(*rows));
    rows->ncols = PQnfields(res);
    rows->nrows = PQntuples(res);
    apr_size_t cells = (apr_size_t)rows->ncols * (apr_size_t)rows->nrows;
    rows->cells = apr_pcalloc(p, sizeof(const char *) * (cells ? cells : 1));
    for (int r = 0; r < rows->nrows; r++)
        for (int col = 0; col < rows->ncols; col++)
            if (!PQgetisnull(res, r, col))
                rows->cells[r * rows->ncols + col] =
                    apr_pstrmemdup(p, PQgetvalue(res, r, col),
                                   (apr_size_t)PQgetlength(res, r, col));
    return rows;
}

/* ---- connection ---- */

/* Settings that belong to the session, so they are made again after every
 * reset. */
static hab_err_t *session_setup(pg_conn_t *c, apr_pool_t *p)
{
    /* As SQLite's busy timeout: a statement waits this long for a lock,
     * then answers 503 (lock_not_available) rather than holding a worker. */
    const char *sql = apr_psprintf(p, "SET lock_timeout = %d%s", HAB_STORE_LOCK_WAIT_MS,
                                   c->readonly ? "; SET default_transaction_read_only = on" : "");
    PGresult *res = PQexec(c->pg, sql);
    hab_err_t *e = result_ok(res) ? NULL : pg_error(p, c->pg, res, "session setup");
    PQclear(res);
    return e;
}

/* Once per call at most: a server that is still down answers 503 now and
 * gets another try at the next call. */
static hab_err_t *reconnect_if_lost(pg_conn_t *c, apr_pool_t *p)
{
    if (PQstatus(c->pg) != CONNECTION_BAD) return NULL;
    forget_statements(c);
    PQreset(c->pg);
    if (PQstatus(c->pg) != CONNECTION_OK) return pg_error(p, c->pg, NULL, "reconnect");
    return session_setup(c, p);
}

static void rollback_if_open(pg_conn_t *c)
{
    PGTransactionStatusType ts = c->pg ? PQtransactionStatus(c->pg) : PQTRANS_UNKNOWN;
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) PQclear(PQexec(c->pg, "ROLLBACK"));
}

static hab_err_t *pg_exec(hab_store_t *s, apr_pool_t *p, const char *sql)
{
    pg_conn_t *c = s->conn;
    s->round_trips++;
    PGresult *res = PQexec(c->pg, sql);
    hab_err_t *e = result_ok(res) ? NULL : pg_error(p, c->pg, res, "exec");
    PQclear(res);
    return e;
}

/* ---- deadlines ---- */

/* lock_timeout applies to each wait on its own, and a transaction may wait
 * more than once (the advisory lock, then a table or row lock inside the
 * work): so each wait gets what is left until the store's deadline, never
 * the whole timeout again.  SET LOCAL ends with the transaction. */
static int lock_wait_ms(apr_time_t deadline, apr_time_t now)
{
    apr_time_t left = deadline - now;
    if (left >= apr_time_from_msec(HAB_STORE_LOCK_WAIT_MS)) return HAB_STORE_LOCK_WAIT_MS;
    /* 0 would mean no limit at all: past the deadline, one try, no wait */
    return left <= apr_time_from_msec(1) ? 1 : (int)apr_time_as_msec(left);
}

/* The lock timeout a statement about to run should have, if the one in
 * force would let a wait end later than the deadline (plus a little slack,
 * so a quick batch costs no extra round trip); 0 when it is fine. */
static int lock_timeout_due(const hab_store_t *s, const pg_conn_t *c)
{
    if (!s->deadline || c->lock_timeout_ms == 1) return 0;
    apr_time_t now = apr_time_now();
    if (c->lock_timeout_ms > 0 && now + apr_time_from_msec(c->lock_timeout_ms) <=
                                      s->deadline + apr_time_from_msec(HAB_PG_DEADLINE_SLACK_MS))
        return 0;
    return lock_wait_ms(s->deadline, now);
}

/* Inside the open transaction, before a statement that may wait.  Not in a
 * failed transaction: only ROLLBACK TO may run there, and it waits for nothing. */
static hab_err_t *bound_lock_wait(hab_store_t *s, apr_pool_t *p)
{
    pg_conn_t *c = s->conn;
    if (!s->in_transaction || PQtransactionStatus(c->pg) != PQTRANS_INTRANS) return NULL;
    int ms = lock_timeout_due(s, c);
    if (!ms) return NULL;
    s->round_trips++;
    PGresult *res = PQexec(c->pg, apr_psprintf(p, "SET LOCAL lock_timeout = %d", ms));
    hab_err_t *e = result_ok(res) ? NULL : pg_error(p, c->pg, res, "lock timeout");
    PQclear(res);
    if (!e) c->lock_timeout_ms = ms;
    return e;
}

/* A savepoint rolled back takes the SET LOCALs made inside it with it. */
static void note_rollback_to(pg_conn_t *c, const char *sql)
{
    if (strstr(sql, "ROLLBACK TO")) c->lock_timeout_ms = -1;
}

/* ---- statements sent ahead ---- */

static int put_ahead(pg_conn_t *c, const char *sql)
{
    if (c->nahead == AHEAD_MAX || strlen(sql) >= AHEAD_TEXT) return 0;
    ahead_t *a = &c->ahead[c->nahead++];
    strcpy(a->text, sql);
    a->st = NULL;
    return 1;
}

static void drop_ahead(pg_conn_t *c)
{
    c->nahead = 0;
    c->nwrites = 0;
    c->ahead_begins = 0;
}

static int send_ahead(PGconn *pg, const ahead_t *a)
{
    if (a->st) return PQsendQueryPrepared(pg, a->st->name, a->nparams, a->values, NULL, NULL, 0);
    return PQsendQueryParams(pg, a->text, 0, NULL, NULL, NULL, NULL, 0);
}

/* A savepoint's own statements answer nothing a caller reads. */
static int can_wait(const char *sql)
{
    return strncmp(sql, "SAVEPOINT ", 10) == 0 || strncmp(sql, "RELEASE SAVEPOINT ", 18) == 0;
}

/* Pipeline mode: what waited (each its own message: the extended protocol
 * takes one statement at a time), every statement, one sync, then the
 * answers in order.  A statement that fails aborts the ones after it (and
 * the transaction), as it would have one by one; the first failure is the
 * answer.  Statements new to this connection are prepared first, each
 * with its own round trip, once per connection. */
static hab_err_t *pipeline_once(hab_store_t *s, apr_pool_t *p, const hab_stmt_t *stmts, int n,
                                hab_rows_t **rows)
{
    pg_conn_t *c = s->conn;
    const pg_stmt_t **st = apr_palloc(p, sizeof(*st) * (apr_size_t)n);
    hab_err_t *e = bound_lock_wait(s, p);
    for (int i = 0; !e && i < n; i++) {
        e = cached_statement(s, p, stmts[i].sql, &st[i]);
        if (!e && st[i]->nparams != stmts[i].nparams)
            e = hab_err_internal(p, "store: parameter count does not match the statement");
    }
    if (e) return e;
    if (!PQenterPipelineMode(c->pg)) return pg_error(p, c->pg, NULL, "pipeline");
    s->round_trips++;
    int lead = 0, sent = 0; /* what waited, then the statements */
    while (lead < c->nahead && send_ahead(c->pg, &c->ahead[lead])) lead++;
    int ok = lead == c->nahead;
    drop_ahead(c);
    while (ok && sent < n && PQsendQueryPrepared(c->pg, st[sent]->name, stmts[sent].nparams,
                                                 param_values(p, stmts[sent].params,
                                                              stmts[sent].nparams),
                                                 NULL, NULL, 0))
        sent++;
    if (sent < n || !PQpipelineSync(c->pg)) e = pg_error(p, c->pg, NULL, "pipeline");
    /* each message's answer, then the NULL that ends it; then the sync's */
    for (int i = 0; i < lead + sent && PQstatus(c->pg) == CONNECTION_OK; i++) {
        PGresult *res = PQgetResult(c->pg);
        if (!result_ok(res) && !e)
            e = pg_error(p, c->pg, res, i < lead ? "statement sent ahead" : "query");
        else if (result_ok(res) && i >= lead)
            rows[i - lead] = copy_rows(p, res);
        PQclear(res);
        while ((res = PQgetResult(c->pg))) PQclear(res);
    }
    PGresult *res;
    while (PQstatus(c->pg) == CONNECTION_OK && (res = PQgetResult(c->pg))) {
        int synced = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
        PQclear(res);
        if (synced) break;
    }
    if (!PQexitPipelineMode(c->pg)) {
        s->broken = 1; /* answers still owed: nobody may use it again */
        if (!e) e = pg_error(p, c->pg, NULL, "pipeline");
    }
    return e;
}

/* ---- the interface ---- */

static hab_err_t *pg_query_many(hab_store_t *s, apr_pool_t *p, const hab_stmt_t *stmts, int n,
                                hab_rows_t **rows)
{
    pg_conn_t *c = s->conn;
    int nahead = c->nahead, nwrites = c->nwrites, begins = c->ahead_begins;
    ahead_t *ahead = begins ? apr_pmemdup(p, c->ahead, sizeof(ahead_t) * (apr_size_t)nahead) : NULL;
    hab_err_t *e = pipeline_once(s, p, stmts, n, rows);
    /* Lost while idle (the server restarted): libpq only notices now.  A
     * transaction whose BEGIN went with this has done nothing yet: one
     * reset and a second try is safe. */
    if (e && begins && PQstatus(c->pg) == CONNECTION_BAD) {
        e = reconnect_if_lost(c, p);
        memcpy(c->ahead, ahead, sizeof(ahead_t) * (apr_size_t)nahead);
        c->nahead = nahead;
        c->nwrites = nwrites;
        c->ahead_begins = begins;
        if (!e) e = pipeline_once(s, p, stmts, n, rows);
    }
    return e;
}

/* What waits, sent now in one round trip (before a script, which cannot
 * join a pipeline; before a write job's savepoint; before the COMMIT). */
static hab_err_t *send_waiting(hab_store_t *s, apr_pool_t *p)
{
    return ((pg_conn_t *)s->conn)->nahead ? pg_query_many(s, p, NULL, 0, NULL) : NULL;
}

/* ops->send_later: the write waits its turn in the queue (a full queue
 * goes first); prepared now, once per connection, as every statement. */
static hab_err_t *pg_send_later(hab_store_t *s, apr_pool_t *p, const char *sql,
                                const hab_param_t *params, int nparams)
{
    pg_conn_t *c = s->conn;
    const pg_stmt_t *st;
    hab_err_t *e = c->nahead == AHEAD_MAX ? send_waiting(s, p) : NULL;
    if (!e) e = cached_statement(s, p, sql, &st);
    if (!e && st->nparams != nparams)
        e = hab_err_internal(p, "store: parameter count does not match the statement");
    if (e) return e;
    ahead_t *a = &c->ahead[c->nahead++];
    a->text[0] = '\0';
    a->st = st;
    a->values = param_values(p, params, nparams);
    a->nparams = nparams;
    c->nwrites++;
    return NULL;
}

static hab_err_t *pg_query(hab_store_t *s, apr_pool_t *p, const char *sql,
                           const hab_param_t *params, int nparams, hab_rows_t **out)
{
    pg_conn_t *c = s->conn;
    const pg_stmt_t *st;
    *out = copy_rows(p, NULL); /* empty, as the caller may look on failure */
    if (s->in_transaction && can_wait(sql) && put_ahead(c, sql)) return NULL;
    if (c->nahead) {
        hab_stmt_t one = {sql, params, nparams};
        hab_rows_t *rows = NULL;
        hab_err_t *e = pg_query_many(s, p, &one, 1, &rows);
        if (rows) *out = rows;
        note_rollback_to(c, sql);
        return e;
    }
    /* Outside a transaction nothing is lost by reconnecting first. */
    hab_err_t *e = s->in_transaction ? bound_lock_wait(s, p) : reconnect_if_lost(c, p);
    if (!e) e = cached_statement(s, p, sql, &st);
    if (e) return e;
    if (st->nparams != nparams)
        return hab_err_internal(p, "store: parameter count does not match the statement");
    s->round_trips++;
    PGresult *res = PQexecPrepared(c->pg, st->name, nparams, param_values(p, params, nparams),
                                   NULL, NULL, 0);
    if (result_ok(res))
        *out = copy_rows(p, res);
    else
        e = pg_error(p, c->pg, res, "query");
    PQclear(res);
    note_rollback_to(c, sql);
    return e;
}

/* Writers: READ COMMITTED, so every statement after the lock sees what the
 * previous lock holder committed (under REPEATABLE READ the snapshot would
 * date from before the wait, and the access log's head would be stale).
 * The advisory lock makes writers on every server take turns for the whole
 * transaction, as SQLite's BEGIN IMMEDIATE does: the access-log append
 * (read the head, insert head + 1) and the core's read-then-write state
 * checks stay correct without retry loops.  The price is one writer at a
 * time across all servers; readers are never blocked.  The lock ends with
 * the transaction, also when the connection dies.
 * Readers: REPEATABLE READ, one snapshot for the whole read (verify-audit
 * and exports page through the log).
 *
 * Either way the BEGIN, the lock timeout the store's deadline leaves (the
 * number is ours, an int: nothing from a request reaches this text) and
 * the advisory lock wait for the transaction's first statement and go with
 * it, in one round trip; a transaction that asks nothing sends nothing.
 * Nothing has happened before that statement, so a connection found lost
 * then is reset and the whole tried once more (pg_query_many). */
static hab_err_t *pg_begin(hab_store_t *s, apr_pool_t *p, int write)
{
    pg_conn_t *c = s->conn;
    hab_store_forget(s);
    drop_ahead(c);
    hab_err_t *e = reconnect_if_lost(c, p);
    s->in_transaction = !e;
    if (e) return e;
    c->lock_timeout_ms = HAB_STORE_LOCK_WAIT_MS;
    int ms = lock_timeout_due(s, c);
    put_ahead(c, write ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                       : "BEGIN ISOLATION LEVEL REPEATABLE READ");
    if (ms) {
        c->lock_timeout_ms = ms;
        put_ahead(c, apr_psprintf(p, "SET LOCAL lock_timeout = %d", ms));
    }
    if (write && !c->readonly) put_ahead(c, "SELECT pg_advisory_xact_lock(" HAB_PG_WRITE_LOCK ")");
    c->ahead_begins = 1;
    return NULL;
}

static hab_err_t *pg_commit(hab_store_t *s, apr_pool_t *p)
{
    pg_conn_t *c = s->conn;
    hab_store_forget(s);
    /* writes that waited go first (a failed one fails the commit) */
    hab_err_t *e = c->nwrites ? send_waiting(s, p) : NULL;
    int begun = !c->ahead_begins;
    drop_ahead(c); /* the rest is savepoints, which COMMIT ends */
    if (e) rollback_if_open(c);
    if (e || !begun) { /* nothing was asked: nothing to end */
        s->in_transaction = 0;
        return e;
    }
    PGresult *res = PQexec(c->pg, "COMMIT");
    if (!result_ok(res))
        e = pg_error(p, c->pg, res, "commit");
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
        /* COMMIT of a failed transaction succeeds, says ROLLBACK and keeps
         * nothing: a statement failed and the caller went on regardless. */
        e = hab_err_internal(p, "store: the transaction had failed and was rolled back");
    PQclear(res);
    if (e) rollback_if_open(c);
    s->in_transaction = 0;
    return e;
}

static void pg_rollback(hab_store_t *s)
{
    hab_store_forget(s);
    drop_ahead(s->conn);
    rollback_if_open(s->conn);
    s->in_transaction = 0;
}

/* exec_script: several statements in one simple-protocol call (they run in
 * the caller's transaction when one is open).  No parameters; dollar-quoted
 * function bodies are fine here, unlike in query(). */
static hab_err_t *pg_exec_script(hab_store_t *s, apr_pool_t *p, const char *sql)
{
    hab_store_forget(s);
    hab_err_t *e = s->in_transaction ? send_waiting(s, p) : reconnect_if_lost(s->conn, p);
    if (!e && s->in_transaction) e = bound_lock_wait(s, p);
    if (!e) e = pg_exec(s, p, sql);
    note_rollback_to(s->conn, sql);
    return e;
}

/* Cheap: the server answers, and the database-enforced rules the audit
 * trail relies on are in force (the append-only triggers exist and fire in
 * ordinary sessions: not disabled, not "replica only"; a table not created
 * yet counts as sound, like an empty SQLite file).  It cannot see on-disk corruption (that is
 * data_checksums, amcheck and pg_checksums, for the DBA), nor a session that bypasses triggers with
 * session_replication_role, nor edits made before a trigger was dropped and
 * put back: the hash chain (verify-audit) covers the access log's content. */
static hab_err_t *pg_integrity(hab_store_t *s, apr_pool_t *p)
{
    hab_rows_t *rows = NULL;
    hab_err_t *e = s->ops->query(
        s, p,
        "SELECT string_agg(w.tbl || '.' || w.trg, ', ' ORDER BY w.trg) FROM (VALUES "
        "('access_log', 'access_log_no_update'), ('access_log', 'access_log_no_delete'), "
        "('access_log', 'access_log_no_truncate'), ('letters', 'letters_never_change')) "
        "AS w(tbl, trg) JOIN pg_class c ON c.relname = w.tbl AND c.relkind = 'r' "
        "AND pg_table_is_visible(c.oid) WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t "
        "WHERE t.tgrelid = c.oid AND t.tgname = w.trg AND t.tgenabled IN ('O', 'A'))",
        NULL, 0, &rows);
    if (e) return e;
    const char *missing = hab_rows_text(rows, 0, 0);
    if (rows->nrows == 1 && !missing) return NULL;
    return hab_err_make(p, 500, "integrity", "integrity_check: triggers missing or disabled: %s",
                        missing ? missing : "no answer");
}

static void pg_close(hab_store_t *s)
{
    pg_conn_t *c = s->conn;
    if (!c || !c->pg) return;
    PQfinish(c->pg);
    c->pg = NULL;
}

static const hab_store_ops_t pg_ops = {
    pg_begin, pg_commit, pg_rollback, pg_query,
    pg_exec_script, pg_integrity, pg_close, NULL, pg_query_many,
    pg_send_later, send_waiting
};

/* ---- opening ---- */

static void notice_ignore(void *arg, const char *message)
{
    (void)arg; (void)message; /* NOTICEs would land on httpd's stderr */
}

/* The connection string for messages: hab_schema_check and friends quote
 * s->params, so the password must not be in it. */
static const char *display_params(apr_pool_t *p, const PQconninfoOption *opts)
{
    const char *out = "";
    for (const PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val) continue;
        const char *v = strcmp(o->keyword, "password") == 0 ? "***" : o->val;
        out = apr_psprintf(p, "%s%s%s='%s'", out, *out ? " " : "", o->keyword, v);
    }
    return out;
}

/* Our defaults come first; whatever the connection string says wins
 * (expand_dbname: later settings override earlier ones). */
static PGconn *connect_with_defaults(const char *conninfo)
{
    const char *const keys[] = {"connect_timeout", "fallback_application_name",
                                "client_encoding", "dbname", NULL};
    const char *const vals[] = {HAB_PG_CONNECT_TIMEOUT, "mod_habitual", "UTF8",
                                conninfo, NULL};
    return PQconnectdbParams(keys, vals, 1);
}

static hab_err_t *check_conninfo(apr_pool_t *p, const char *conninfo, const char **display)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &why);
    if (!opts) {
        const char *m = why ? why : "out of memory";
        hab_err_t *e = hab_err_make(p, 500, "bad-params", "bad PostgreSQL connection string: %.*s",
                                    (int)strcspn(m, "\n"), m);
        PQfreemem(why);
        return e;
    }
    *display = display_params(p, opts);
    PQconninfoFree(opts);
    return NULL;
}

const char *hab_store_pgsql_display(apr_pool_t *p, const char *conninfo)
{
    const char *display;
    if (check_conninfo(p, conninfo ? conninfo : "", &display))
        return "(a connection string libpq cannot read; not shown, it may hold a password)";
    return display;
}

hab_err_t *hab_store_pgsql_open(apr_pool_t *p, const char *conninfo, int flags,
                                hab_store_t **out)
{
    hab_store_t *s = apr_pcalloc(p, sizeof(*s));
    pg_conn_t *c = apr_pcalloc(p, sizeof(*c));
    /* HAB_STORE_CREATE asks nothing more here: the DBA creates the database. */
    hab_err_t *e = check_conninfo(p, conninfo ? conninfo : "", &s->params);
    if (e) return e;
    s->ops = &pg_ops;
    s->driver = "pgsql";
    s->conn = c;
    c->readonly = (flags & HAB_STORE_READONLY) != 0;
    apr_pool_create(&c->cache_pool, p);
    c->statements = hab_store_statement_cache(c->cache_pool);

    c->pg = connect_with_defaults(conninfo ? conninfo : "");
    if (!c->pg) return hab_err_unavailable(p, "cannot connect to PostgreSQL: out of memory");
    apr_pool_cleanup_register(p, s, hab_store_close_cleanup, apr_pool_cleanup_null);
    PQsetNoticeProcessor(c->pg, notice_ignore, NULL);
    PQsetErrorVerbosity(c->pg, PQERRORS_TERSE);
    if (PQstatus(c->pg) != CONNECTION_OK)
        return hab_err_make(p, 503, "unavailable", "cannot connect to PostgreSQL (%s): %s",
                            s->params, safe_message(p, c->pg, NULL, NULL));
    e = session_setup(c, p);
    if (e) return e;
    *out = s;
    return NULL;
}
