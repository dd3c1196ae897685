/* Smoke test of the PostgreSQL store (store_pgsql.c) against a real server,
 * started and stopped by tests/pg/run.sh.
 *
 *   pg_smoke CONNINFO SCHEMA_FILE
 *   PG_SMOKE_STOP, PG_SMOKE_START: shell commands that stop and start the
 *   server (for the lost-connection checks).
 *
 * Prints "ok - ..." or "not ok - ..." per check, the measured append rates,
 * and exits non-zero when any check failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "habitual/store/audit.h"
#include "habitual/store/store.h"
#include "habitual/store/schema.h"
#include "habitual/store/store_drivers.h"

/* Declared in store.h once the lead merges the driver. */
hab_err_t *hab_store_pgsql_open(apr_pool_t *p, const char *conninfo, int flags,
                                hab_store_t **out);

#define SINGLE_APPENDS 100
#define CHILD_APPENDS 500
#define CHILDREN 2

static int checks, failures;
static const char *conninfo;

static void check(int ok, const char *what, const hab_err_t *e)
{
    checks++;
    if (!ok) failures++;
    printf("%s - %s%s%s\n", ok ? "ok" : "not ok", what, e ? ": " : "", e ? e->message : "");
    fflush(stdout);
}

static int is_status(const hab_err_t *e, int status)
{
    return e && e->status == status;
}

static hab_store_t *open_store(apr_pool_t *p)
{
    hab_store_t *s = NULL;
    hab_err_t *e = hab_store_pgsql_open(p, conninfo, 0, &s);
    if (e) {
        check(0, "open", e);
        exit(1);
    }
    return s;
}

/* The password never reaches s->params (messages quote it); a read-only
 * store answers 503 to a write, as a read-only SQLite file does. */
static void open_flags(apr_pool_t *root)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    hab_store_t *s = NULL;
    hab_err_t *e = hab_store_pgsql_open(p, apr_pstrcat(p, conninfo, " password=sekrit", NULL),
                                        HAB_STORE_READONLY, &s);
    check(!e && !strstr(s->params, "sekrit") && strstr(s->params, "password='***'"),
          "the password is masked in s->params", e);
    if (!e) e = hab_store_q(s, p, NULL, "INSERT INTO absences(from_date, to_date, recorded_by, "
                            "recorded_at) VALUES ('a', 'b', 'c', 'd')", "");
    check(is_status(e, 503), "HAB_STORE_READONLY: a write is a 503", e);
    e = hab_store_pgsql_open(p, "port=notanumber sslmode", 0, &s);
    check(is_status(e, 500), "a malformed connection string is a 500", e);
    apr_pool_destroy(p);
}

static int run_cmd(const char *env)
{
    const char *cmd = getenv(env);
    if (!cmd) {
        fprintf(stderr, "pg_smoke: %s is not set\n", env);
        exit(2);
    }
    return system(cmd) == 0;
}

/* ---- schema ---- */

static void apply_schema(hab_store_t *s, apr_pool_t *p, const char *file)
{
    char *sql;
    apr_size_t len;
    apr_file_t *f;
    apr_finfo_t fi;
    if (apr_file_open(&f, file, APR_FOPEN_READ, 0, p) != APR_SUCCESS ||
        apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        fprintf(stderr, "pg_smoke: cannot read %s\n", file);
        exit(2);
    }
    len = (apr_size_t)fi.size;
    sql = apr_pcalloc(p, len + 1);
    apr_file_read_full(f, sql, len, NULL);
    /* As hab_schema_migrate does: one transaction, script plus its row. */
    hab_err_t *e = s->ops->begin(s, p, 1);
    if (!e) e = s->ops->exec_script(s, p, sql);
    if (!e) e = hab_store_q(s, p, NULL, "INSERT INTO schema_migrations(version, name, applied_at) "
                            "VALUES (?, ?, ?)", "itt", 1LL, "001_init.sql", "2024-01-01T00:00:00Z");
    if (!e) e = s->ops->commit(s, p);
    else s->ops->rollback(s);
    check(!e, "the PostgreSQL schema applies in one transaction", e);
    int version = -1;
    e = hab_schema_version(s, p, &version);
    check(!e && version == 1, "hab_schema_version reads version 1", e);
    e = s->ops->integrity_check(s, p);
    check(!e, "integrity_check: the append-only triggers are in force", e);
}

static void script_errors_roll_back(hab_store_t *s, apr_pool_t *p)
{
    hab_err_t *e = s->ops->begin(s, p, 1);
    if (!e) e = s->ops->exec_script(s, p, "CREATE TABLE smoke_t(x INTEGER); SELECT nonsense;");
    check(is_status(e, 500), "a failing script is a 500", e);
    s->ops->rollback(s);
    hab_rows_t *rows;
    e = hab_store_q(s, p, &rows, "SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_name = ?", "t", "smoke_t");
    check(!e && hab_rows_int(rows, 0, 0) == 0, "and leaves nothing behind", e);
}

/* ---- parameters and values ---- */

static void round_trip(hab_store_t *s, apr_pool_t *p)
{
    const char *name = "O'Brien \"Bob\" -- ? /* ? */ ;";
    hab_rows_t *rows;
    hab_err_t *e = s->ops->begin(s, p, 1);
    if (!e) e = hab_store_q(s, p, &rows, "INSERT INTO persons(reference, name, address, "
                            "date_of_birth) VALUES (?, ?, ?, ?) RETURNING id",
                            "tttt", "REF-1", name, NULL, "1970-01-01");
    long long id = e ? 0 : hab_rows_int(rows, 0, 0);
    if (!e) e = s->ops->commit(s, p);
    check(!e && id > 0, "INSERT ... RETURNING id with quotes, '?' and NULL bound", e);

    e = hab_store_q(s, p, &rows, "SELECT name, address, date_of_birth, 'what?', id FROM persons "
                    "WHERE id = ? AND reference = ?", "it", id, "REF-1");
    check(!e && rows->nrows == 1 && rows->ncols == 5 &&
          strcmp(hab_rows_text(rows, 0, 0), name) == 0 && hab_rows_text(rows, 0, 1) == NULL &&
          strcmp(hab_rows_text(rows, 0, 2), "1970-01-01") == 0 &&
          strcmp(hab_rows_text(rows, 0, 3), "what?") == 0 && hab_rows_int(rows, 0, 4) == id,
          "SELECT gives the same text back, NULL as NULL, '?' in a literal untouched", e);

    e = hab_store_q(s, p, &rows, "SELECT CAST(? AS BIGINT) + 1, CAST(? AS TEXT) IS NULL", "it",
                    1099511627776LL, NULL);
    check(!e && strcmp(hab_rows_text(rows, 0, 0), "1099511627777") == 0,
          "64-bit integers travel as text", e);
    /* SQLite would say 1: the core must select CASE WHEN ... THEN 1 ELSE 0 END. */
    check(!e && strcmp(hab_rows_text(rows, 0, 1), "t") == 0,
          "a boolean expression comes back as 't', not 1", e);
    e = hab_store_q(s, p, &rows, "SELECT id FROM persons WHERE id = ?", "", NULL);
    check(is_status(e, 500), "a parameter count mismatch is a 500", e);
    e = hab_store_q(s, p, &rows, "SELECT * FROM no_such_table", "");
    check(is_status(e, 500), "an unknown table is a 500", e);
    e = hab_store_q(s, p, &rows, "SELECT count(*) FROM persons WHERE ? IS NULL", "t", NULL);
    check(is_status(e, 500), "a bare '? IS NULL' cannot be typed: write CAST(? AS TEXT)", e);
}

static long long make_case(hab_store_t *s, apr_pool_t *p)
{
    hab_rows_t *rows;
    hab_err_t *e = hab_store_q(s, p, &rows,
        "INSERT INTO cases(person_id, status, referred_by, referred_at, department, summary, "
        "measures_taken, complaints_procedure, updated_at) SELECT id, 'referred', 'alice', "
        "'2024-01-01T00:00:00Z', 'Housing', 's', 'm', 'exhausted', '2024-01-01T00:00:00Z' "
        "FROM persons WHERE reference = ? RETURNING id", "t", "REF-1");
    return e ? 0 : hab_rows_int(rows, 0, 0);
}

static void letters_never_change(hab_store_t *s, apr_pool_t *p)
{
    hab_err_t *e = s->ops->begin(s, p, 1);
    long long case_id = e ? 0 : make_case(s, p);
    if (!e) e = hab_store_q(s, p, NULL, "INSERT INTO letters(case_id, number, kind, issued_at, "
                            "issued_by, subject, body, copied_to) VALUES (?, 1, 'warning', "
                            "'2024-01-01T00:00:00Z', 'carol', 'x', 'y', '[]')", "i", case_id);
    if (!e) e = s->ops->commit(s, p);
    check(!e && case_id > 0, "a case and a letter are stored", e);
    e = s->ops->begin(s, p, 1);
    if (!e) e = hab_store_q(s, p, NULL, "UPDATE letters SET body = 'z'", "");
    check(is_status(e, 500) && strstr(e->message, "never change"), "UPDATE letters is refused", e);
    s->ops->rollback(s);
}

/* ---- the access log ---- */

static hab_err_t *append_one(hab_store_t *s, apr_pool_t *p, const char *user, long long case_id)
{
    hab_audit_entry_t e;
    memset(&e, 0, sizeof(e));
    e.at = "2024-01-01T00:00:00Z";
    e.user = user;
    e.roles = "staff,auditor";
    e.action = "case.read";
    e.case_id = case_id;
    e.outcome = "allowed";
    e.status = 200;
    e.request_id = "req";
    e.client = "127.0.0.1";
    hab_err_t *err = s->ops->begin(s, p, 1);
    if (!err) err = hab_audit_append(s, p, &e);
    if (!err) err = s->ops->commit(s, p);
    if (err) s->ops->rollback(s);
    return err;
}

static void verify_chain(hab_store_t *s, apr_pool_t *p, long long want, const char *what)
{
    hab_audit_verdict_t v;
    hab_err_t *e = s->ops->begin(s, p, 0);
    if (!e) e = hab_audit_verify(s, p, &v);
    s->ops->rollback(s);
    check(!e && v.ok && v.entries == want,
          apr_psprintf(p, "%s: verify-audit ok over %" APR_INT64_T_FMT " entries (got %"
                       APR_INT64_T_FMT ")%s%s", what, (apr_int64_t)want,
                       (apr_int64_t)(e ? -1 : v.entries), e || v.ok ? "" : ", ",
                       e || v.ok ? "" : v.problem), e);
}

static void single_appends(hab_store_t *s, apr_pool_t *p)
{
    hab_err_t *e = NULL;
    apr_time_t t0 = apr_time_now();
    for (int i = 0; i < SINGLE_APPENDS && !e; i++)
        e = append_one(s, p, i % 2 ? "alice" : "bob", i % 3 ? i : 0);
    double secs = (double)(apr_time_now() - t0) / APR_USEC_PER_SEC;
    check(!e, apr_psprintf(p, "%d appends, one writer", SINGLE_APPENDS), e);
    printf("# figure: single writer %.0f appends/s (%d in %.3f s)\n",
           SINGLE_APPENDS / secs, SINGLE_APPENDS, secs);
    verify_chain(s, p, SINGLE_APPENDS, "after the single appends");

    json_t *entries = json_array();
    long long last = 0;
    hab_audit_filter_t f = {NULL, NULL, "alice", 0, 0, 1000};
    e = hab_audit_query(s, p, &f, entries, &last);
    check(!e && json_array_size(entries) == SINGLE_APPENDS / 2,
          "hab_audit_query filters on \"user\"", e);
    json_decref(entries);
}

static void log_is_append_only(hab_store_t *s, apr_pool_t *p)
{
    static const char *const sql[] = {
        "UPDATE access_log SET outcome = 'refused' WHERE seq = 1",
        "DELETE FROM access_log WHERE seq = 1",
        "TRUNCATE access_log",
    };
    for (int i = 0; i < 3; i++) {
        hab_err_t *e = s->ops->begin(s, p, 1);
        if (!e) e = hab_store_q(s, p, NULL, sql[i], "");
        check(is_status(e, 500) && strstr(e->message, "append-only"),
              apr_psprintf(p, "refused: %s", sql[i]), e);
        s->ops->rollback(s);
    }
    hab_err_t *e =
        s->ops->exec_script(s, p, "ALTER TABLE access_log DISABLE TRIGGER access_log_no_delete");
    if (!e) e = s->ops->integrity_check(s, p);
    check(is_status(e, 500) && strstr(e->message, "access_log_no_delete"),
          "integrity_check notices a disabled append-only trigger", e);
    e = s->ops->exec_script(s, p, "ALTER TABLE access_log ENABLE TRIGGER access_log_no_delete");
    if (!e) e = s->ops->integrity_check(s, p);
    check(!e, "and is content once it is enabled again", e);

    hab_rows_t *rows;
    e = hab_store_q(s, p, &rows, "SELECT user, \"user\" FROM access_log WHERE seq = 2", "");
    check(!e && strcmp(hab_rows_text(rows, 0, 1), "alice") == 0 &&
          strcmp(hab_rows_text(rows, 0, 0), "alice") != 0,
          "a bare user is CURRENT_USER on PostgreSQL; \"user\" is the column", e);
}

/* A second writer waits for the first (the advisory lock), and gives up
 * with a 503 after lock_timeout rather than holding its worker. */
static void writers_take_turns(apr_pool_t *root)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    hab_store_t *a = open_store(p), *b = open_store(p);
    hab_err_t *e = a->ops->begin(a, p, 1);
    apr_time_t t0 = apr_time_now();
    hab_err_t *e2 = e ? NULL : b->ops->begin(b, p, 1);
    double waited = (double)(apr_time_now() - t0) / APR_USEC_PER_SEC;
    check(!e && is_status(e2, 503) && waited > 4.5 && !b->in_transaction,
          apr_psprintf(p, "a second writer waits for the first, then 503 (%.1f s)", waited), e2);
    e = hab_store_q(b, p, NULL, "SELECT 1", "");
    check(!e, "and its connection is usable afterwards", e);
    a->ops->rollback(a);
    e = b->ops->begin(b, p, 1);
    check(!e, "the lock is free once the first writer ends", e);
    b->ops->rollback(b);
    apr_pool_destroy(p);
}

/* ---- a server that goes away ---- */

static void server_restarts(hab_store_t *s, apr_pool_t *p, long long *appended)
{
    check(run_cmd("PG_SMOKE_STOP"), "server stopped", NULL);
    hab_err_t *e = s->ops->begin(s, p, 1);
    check(is_status(e, 503), "begin with the server down is a 503", e);
    e = hab_store_q(s, p, NULL, "SELECT 1", "");
    check(is_status(e, 503), "a query with the server down is a 503", e);
    check(run_cmd("PG_SMOKE_START"), "server started", NULL);
    e = append_one(s, p, "carol", 0);
    check(!e, "the next begin() reconnects by itself and appends", e);
    (*appended)++;

    /* Restarted while the connection sat idle: libpq cannot know until it
     * speaks, and begin() retries once on a fresh connection. */
    check(run_cmd("PG_SMOKE_STOP") && run_cmd("PG_SMOKE_START"), "server restarted", NULL);
    e = append_one(s, p, "carol", 0);
    check(!e, "after an idle restart begin() succeeds at once", e);
    (*appended)++;

    /* Lost inside a transaction: 503, nothing half-done, then service. */
    e = s->ops->begin(s, p, 1);
    check(!e && run_cmd("PG_SMOKE_STOP"), "server stopped inside a transaction", e);
    e = hab_store_q(s, p, NULL, "SELECT 1", "");
    check(is_status(e, 503), "a statement on the lost connection is a 503", e);
    s->ops->rollback(s);
    check(run_cmd("PG_SMOKE_START"), "server started", NULL);
    e = append_one(s, p, "carol", 0);
    check(!e, "and the next transaction works", e);
    (*appended)++;
    verify_chain(s, p, SINGLE_APPENDS + *appended, "after the restarts");
}

/* ---- several writers ---- */

static int child_appends(int n)
{
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    hab_store_t *s = open_store(p);
    const char *user = apr_psprintf(p, "child%d", n);
    int failed = 0;
    for (int i = 0; i < CHILD_APPENDS; i++) {
        apr_pool_t *it;
        apr_pool_create(&it, p);
        hab_err_t *e = append_one(s, it, user, i + 1);
        if (e && !failed++) fprintf(stderr, "child %d append %d: %s\n", n, i, e->message);
        apr_pool_destroy(it);
    }
    apr_pool_destroy(p);
    return failed ? 1 : 0;
}

static void concurrent_appends(apr_pool_t *p, long long before)
{
    pid_t pids[CHILDREN];
    fflush(stdout);
    apr_time_t t0 = apr_time_now();
    for (int n = 0; n < CHILDREN; n++) {
        pids[n] = fork();
        if (pids[n] == 0) _exit(child_appends(n)); /* a connection of its own, after fork */
    }
    int ok = 1;
    for (int n = 0; n < CHILDREN; n++) {
        int status = 0;
        ok &= pids[n] > 0 && waitpid(pids[n], &status, 0) == pids[n] &&
              WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    double secs = (double)(apr_time_now() - t0) / APR_USEC_PER_SEC;
    check(ok, apr_psprintf(p, "%d processes append %d times each, every append succeeds",
                           CHILDREN, CHILD_APPENDS), NULL);
    printf("# figure: %d concurrent writers %.0f appends/s in total (%d in %.3f s)\n", CHILDREN,
           CHILDREN * CHILD_APPENDS / secs, CHILDREN * CHILD_APPENDS, secs);
    apr_pool_t *vp;
    apr_pool_create(&vp, p);
    verify_chain(open_store(vp), vp, before + CHILDREN * CHILD_APPENDS,
                 "after the concurrent appends");
    apr_pool_destroy(vp);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: pg_smoke CONNINFO SCHEMA_FILE\n");
        return 2;
    }
    conninfo = argv[1];
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_t *root, *p;
    apr_pool_create(&root, NULL);
    apr_pool_create(&p, root);

    hab_store_t *s = open_store(p);
    check(strcmp(s->driver, "pgsql") == 0, apr_psprintf(p, "open (%s)", s->params), NULL);
    apply_schema(s, p, argv[2]);
    open_flags(root);
    script_errors_roll_back(s, p);
    round_trip(s, p);
    letters_never_change(s, p);
    single_appends(s, p);
    log_is_append_only(s, p);
    writers_take_turns(root);
    long long restarts = 0;
    server_restarts(s, p, &restarts);
    /* Closed before fork: a child must never finish the parent's session. */
    apr_pool_destroy(p);
    concurrent_appends(root, SINGLE_APPENDS + restarts);

    printf("pg_smoke: %d checks, %d failures\n", checks, failures);
    apr_pool_destroy(root);
    return failures ? 1 : 0;
}
