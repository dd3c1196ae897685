/* The operations verbs: reviews, backup and report here; sar and
 * purge in verbs_people.c; notify in verbs_notify.c; shared helpers (ops.h)
 * at the end of this file.  Each file's header says what its verbs do.
 *
 * What each verb does, and why:
 *
 * Every verb
 *   --help (main.c); an unknown option or a bad value exits 2; a missing
 *   database or one of another schema version exits 3 (admin_open) and no
 *   verb but backup ever creates a file.  Exit 1: the verb ran and found a
 *   problem (backup failed, no such person, a notification not sent).
 *   Dates given on the command line are YYYY-MM-DD; stored times are UTC, so
 *   a time counts on its UTC date.
 *
 * reviews [--within DAYS] [--format text|csv|json]
 *   Cases stored as active whose current period's review date is on or
 *   before today + DAYS (default 30, 0-3650), oldest review date first (then
 *   case id): case id, person reference, review date, days overdue
 *   (negative: days left), whether the period has lapsed (derived: an active
 *   case past its period's end, hab_effective_status) and whether a review is
 *   recorded and awaits its decision.  A lapsed case stays on the list (its
 *   review was missed: the designation ended without one) until it is purged.
 *   References and case ids are personal data: before anything is printed
 *   one access-log entry per case listed (action admin.reviews, user
 *   admin:<login or SUDO_USER>), or one with no case when none is due; the
 *   reference is printed without control characters in text format and
 *   through the shared CSV writer in csv.  The access log cannot be
 *   written: exit 3, nothing printed.  report prints counts only and is not
 *   logged; backup discloses nothing to anyone and is not logged either.
 *   Always exits 0.  In text format nothing at all is printed when nothing is
 *   due, so cron mails only when there is something to do; csv prints its
 *   header, json an empty list.  Interim restrictions in force (R8, R15),
 *   whatever --within says (they last HabitualInterimDays at most without a
 *   report), soonest end first: text lines "interim case N  reference R  ...
 *   last day D" (or "until the decision" once a report is made); csv rows
 *   with kind "interim" and interim_until (empty: until the decision), the
 *   review rows kind "review"; json a list "interim" of {case_id, reference,
 *   status, since, interim_until (null: until the decision), days_left}.
 *   Crontab line (the CEM's mailbox):
 *     MAILTO=cem@council.example
 *     0 7 * * 1-5  www-data  habitual-admin --driver sqlite3 --params /var/lib/habitual/habitual.db
 * reviews --within 30
 *
 * backup DEST [--force]
 *   SQLite only (for --driver pgsql it says to use pg_dump and exits 2).
 *   Copies with SQLite's online backup API in one step over a separate
 *   read-only connection: in WAL mode that is one read snapshot, so httpd
 *   keeps writing meanwhile and the copy is the database as of one commit.
 *   DEST is created 0600 (it holds everything); an existing DEST is refused
 *   (exit 1) unless --force, which replaces it (and any DEST-journal, -wal,
 *   -shm beside it, which SQLite could otherwise replay into the new copy);
 *   DEST may never be the database itself.  The copy is then opened
 *   read-only and immutable (so no -wal/-shm is created beside it) and must
 *   pass PRAGMA integrity_check, the schema version check and the access
 *   log's chain verification; the success line names the entry count and
 *   head hash: "ok: DEST: N entries, head HEX, integrity ok".  On any failure
 *   the partial copy is removed and the exit is 1.  The copy keeps WAL mode.
 *   A backup is not an access-log entry (it discloses nothing to anyone);
 *   keep backups as safe as the database, and rotate them: a purged case
 *   lives on in older backups until they are gone.
 *
 * report --from DATE --to DATE [--format text|csv|json]
 *   Counts only, no personal data.  Each figure counts events whose own date
 *   falls in the range (both ends inclusive): referrals (referred_at),
 *   warnings (the date warned), reports (created) and of those made without
 *   a prior warning (R3, action without notice), decisions approved/rejected
 *   and deputised (decided_at), review decisions by outcome and deputised,
 *   designations by restriction type (restrictions put in force by the
 *   approvals decided in the range), designations that ended in the range
 *   (removed, quashed: ended_at; lapsed: the day after the period's last
 *   day) and their median duration in days (ended: ended_at's date minus the
 *   decision's start; lapsed: the period's end minus the start), reviews
 *   whose due date is in the range (a case's n-th review decision is the
 *   review of its n-th period): on time (the review decision dated on or
 *   before the due date), overdue (decided later, or not decided and the
 *   date passed, lapses included) and not yet due (not decided, date not
 *   passed); a designation quashed before its review fell due is not counted
 *   as due; appeals received (the received date) and appeal decisions by
 *   outcome (decided_at); closures (closed_at) without action and on
 *   rejection; refusals (the access log's entries refused in the range, by
 *   `at`): in total, by the rule that refused them (refused_rule, R1-R19,
 *   recorded since schema 10) and those no rule refused.  Purged cases no
 *   longer count.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>
#include <jansson.h>
#include <sqlite3.h>

#include "admin.h"
#include "ops.h"
#include "habitual/store/audit.h"
#include "habitual/domain/casefile.h"
#include "habitual/domain/rules.h"
#include "habitual/base/csv.h"
#include "habitual/base/dates.h"
#include "habitual/domain/governance.h"
#include "habitual/base/json_io.h"
#include "habitual/base/text.h"
#include "habitual/base/validate.h"
#include "habitual/store/schema.h"

#define T(rows, r, c) hab_rows_text(rows, r, c)
#define BACKUP_BUSY_TRIES 600 /* x 50 ms: 30 s of a busy source before giving up */

static void print_json(const json_t *j)
{
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
}

/* ---- reviews ---- */

/* R15: the interim restrictions in force today, soonest end first. */
static hab_err_t *interim_in_force(admin_ctx_t *ctx, hab_store_t *store, hab_rows_t **r)
{
    return hab_store_q(store, ctx->p, r,
                       "SELECT c.id, p.reference, c.status, x.created_at, x.in_force_until "
                       "FROM restrictions x JOIN cases c ON c.id = x.case_id "
                       "JOIN persons p ON p.id = c.person_id "
                       "WHERE x.interim = 1 AND " HAB_SQL_IN_FORCE(
                           "x.") " AND c.status IN "
                                 "('referred','warned','reported','active') "
                                 "ORDER BY coalesce(x.in_force_until, '9'), c.id",
                       "tt", ctx->today, ctx->today);
}

/* One interim restriction, in the verb's format; its last day is the day
 * before in_force_until. */
static void print_interim(admin_ctx_t *ctx, const char *format, const hab_rows_t *r, int i,
                          json_t *list)
{
    long long id = hab_rows_int(r, i, 0);
    const char *ref = T(r, i, 1), *status = T(r, i, 2), *since = ops_date_of(ctx->p, T(r, i, 3));
    const char *until = T(r, i, 4) ? hab_date_add_days(ctx->p, T(r, i, 4), -1) : NULL;
    long left = until ? hab_date_diff(ctx->today, until) : 0;
    if (!strcmp(format, "csv")) {
        hab_csv_row_t *row = hab_csv_row(ctx->p);
        hab_csv_add_int(row, id);
        hab_csv_add_text(row, ref);
        for (int k = 0; k < 5; k++) hab_csv_add_text(row, NULL);
        hab_csv_add_text(row, "interim");
        hab_csv_add_text(row, until);
        fputs(hab_csv_row_end(row), stdout);
    } else if (!strcmp(format, "text")) {
        printf("interim case %lld  reference %s  %s  written-only since %s  ", id,
               hab_text_clean(ctx->p, ref, 0), status, since);
        if (until) printf("last day %s (%ld day%s left)\n", until, left, left == 1 ? "" : "s");
        else printf("until the decision (report made)\n");
    } else {
        json_array_append_new(list,
                              json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "case_id", (json_int_t)id,
                                        "reference", ref, "status", status, "since", since,
                                        "interim_until", until ? json_string(until) : json_null(),
                                        "days_left", until ? json_integer(left) : json_null()));
    }
}

int verb_reviews(admin_ctx_t *ctx)
{
    static const char *const opts[] = {"--within", "--format", NULL};
    static const char *const formats[] = {"text", "csv", "json", NULL};
    int rc = admin_check_options(ctx, opts, NULL, 0);
    if (rc) return rc;
    long within;
    if ((rc = ops_int_option(ctx, "--within", 30, 0, 3650, &within))) return rc;
    const char *format = ops_format(ctx, formats);
    if (!format) return ADMIN_USAGE;
    hab_store_t *store;
    if ((rc = admin_open(ctx, 0, &store))) return rc;

    const char *due_by = hab_date_add_days(ctx->p, ctx->today, within);
    hab_rows_t *r;
    hab_err_t *err = hab_store_q(
        store, ctx->p, &r,
        "SELECT c.id, p.reference, pe.review_due, pe.end_date, "
        "(SELECT count(*) FROM reviews rv WHERE rv.case_id = c.id AND NOT EXISTS "
        " (SELECT 1 FROM review_decisions d WHERE d.review_id = rv.id)), " HAB_SQL_LAST_DAY(
            "pe") " "
                  "FROM cases c JOIN persons p ON p.id = c.person_id "
                  "JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "
                  "WHERE c.status = 'active' AND pe.review_due <= ? ORDER BY pe.review_due, c.id",
        "t", due_by);
    if (err) return admin_fail(err, ADMIN_DATABASE);
    /* references and case ids: logged before anything is shown */
    hab_rows_t *interim;
    if ((err = interim_in_force(ctx, store, &interim))) return admin_fail(err, ADMIN_DATABASE);
    apr_array_header_t *named =
        apr_array_make(ctx->p, r->nrows + interim->nrows + 1, sizeof(long long));
    for (int i = 0; i < r->nrows; i++) APR_ARRAY_PUSH(named, long long) = hab_rows_int(r, i, 0);
    for (int i = 0; i < interim->nrows; i++)
        APR_ARRAY_PUSH(named, long long) = hab_rows_int(interim, i, 0);
    if ((rc = admin_log_cases(ctx, store, "admin.reviews", named))) return rc;
    json_t *list = hab_json_own(ctx->p, json_array());
    json_t *interim_list = hab_json_own(ctx->p, json_array());
    int csv = !strcmp(format, "csv"), text = !strcmp(format, "text");
    static const char *const header[] = {
        "case_id",    "reference",      "review_due", "days_overdue",  "lapsed",
        "period_end", "review_pending", "kind",       "interim_until", NULL};
    if (csv) fputs(hab_csv_line(ctx->p, header), stdout);
    if (text && r->nrows)
        printf("Reviews overdue or due by %s (today %s, within %ld days): %d\n", due_by,
               ctx->today, within, r->nrows);
    for (int i = 0; i < r->nrows; i++) {
        long long id = hab_rows_int(r, i, 0);
        const char *ref = T(r, i, 1), *due = T(r, i, 2), *end = T(r, i, 3);
        long overdue = hab_date_diff(due, ctx->today);
        int lapsed, pending = hab_rows_int(r, i, 4) > 0;
        /* ended: the period is over, or its review was not decided in time (R16) */
        hab_effective_status("active", T(r, i, 5), ctx->today, &lapsed);
        if (csv) {
            hab_csv_row_t *row = hab_csv_row(ctx->p);
            hab_csv_add_int(row, id);
            hab_csv_add_text(row, ref);
            hab_csv_add_text(row, due);
            hab_csv_add_int(row, overdue);
            hab_csv_add_text(row, lapsed ? "yes" : "no");
            hab_csv_add_text(row, end);
            hab_csv_add_text(row, pending ? "yes" : "no");
            hab_csv_add_text(row, "review");
            hab_csv_add_text(row, NULL);
            fputs(hab_csv_row_end(row), stdout);
        } else if (text) {
            printf("case %lld  reference %s  review due %s  ", id, hab_text_clean(ctx->p, ref, 0),
                   due);
            if (overdue > 0) printf("%ld day%s overdue", overdue, overdue == 1 ? "" : "s");
            else if (overdue == 0) printf("due today");
            else printf("due in %ld day%s", -overdue, overdue == -1 ? "" : "s");
            if (lapsed) printf("  LAPSED: the period ended on %s without a review", end);
            if (pending) printf("  (a review awaits its decision)");
            printf("\n");
        } else {
            json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:I, s:b, s:s, s:b}",
                                                  "case_id", (json_int_t)id, "reference", ref,
                                                  "review_due", due, "days_overdue",
                                                  (json_int_t)overdue, "lapsed", lapsed,
                                                  "period_end", end, "review_pending", pending));
        }
    }
    if (text && interim->nrows)
        printf("Interim restrictions in force (written-only after violence, R15): %d\n",
               interim->nrows);
    for (int i = 0; i < interim->nrows; i++) print_interim(ctx, format, interim, i, interim_list);
    if (!csv && !text)
        print_json(hab_json_own(ctx->p, json_pack("{s:s, s:I, s:s, s:O, s:O}", "today", ctx->today,
                                                  "within", (json_int_t)within, "due_by", due_by,
                                                  "reviews", list, "interim", interim_list)));
    return ADMIN_OK;
}

/* ---- backup ---- */

static void remove_copy(apr_pool_t *p, const char *dest)
{
    unlink(dest);
    unlink(apr_pstrcat(p, dest, "-journal", NULL));
}

/* "file:" URI for a read-only, immutable look at a finished copy. */
static const char *immutable_uri(apr_pool_t *p, const char *path)
{
    char *out = apr_palloc(p, strlen(path) * 3 + 32), *o = out;
    o += sprintf(o, "file:");
    for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
        if (*c == '%' || *c == '?' || *c == '#' || *c < 0x20 || *c >= 0x7f)
            o += sprintf(o, "%%%02X", *c);
        else
            *o++ = (char)*c;
    }
    strcpy(o, "?mode=ro&immutable=1");
    return out;
}

/* Copy params to dest with the online backup API; NULL or what went wrong. */
static const char *backup_copy(apr_pool_t *p, const char *params, const char *dest)
{
    sqlite3 *src = NULL, *dst = NULL;
    const char *problem = NULL;
    int rc = sqlite3_open_v2(params, &src, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        problem = apr_psprintf(p, "cannot open %s: %s", params, src ? sqlite3_errmsg(src)
                                                                    : sqlite3_errstr(rc));
        goto done;
    }
    sqlite3_busy_timeout(src, 5000);
    rc = sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        problem = apr_psprintf(p, "cannot open %s: %s", dest, dst ? sqlite3_errmsg(dst)
                                                                  : sqlite3_errstr(rc));
        goto done;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        problem = apr_psprintf(p, "backup cannot start: %s", sqlite3_errmsg(dst));
        goto done;
    }
    /* One step (-1): one read transaction on the source, so in WAL mode
     * writers carry on and the copy is a single snapshot. */
    int tries = 0;
    do {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
    } while ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_OK) &&
             ++tries < BACKUP_BUSY_TRIES);
    int frc = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        problem = apr_psprintf(p, "backup failed: %s", sqlite3_errstr(rc));
    else if (frc != SQLITE_OK)
        problem = apr_psprintf(p, "backup failed: %s", sqlite3_errmsg(dst));
done:
    if (dst && sqlite3_close(dst) != SQLITE_OK && !problem)
        problem = apr_psprintf(p, "cannot close %s", dest);
    if (src) sqlite3_close(src);
    return problem;
}

/* Open the finished copy read-only and check it; NULL or what is wrong. */
static const char *backup_check(apr_pool_t *p, const char *dest, hab_audit_verdict_t *v)
{
    hab_store_t *copy;
    hab_err_t *e = hab_store_open(p, "sqlite3", immutable_uri(p, dest), HAB_STORE_READONLY, &copy);
    if (e) return e->message;
    const char *problem = NULL;
    if ((e = copy->ops->integrity_check(copy, p))) problem = e->message;
    else if ((e = hab_schema_check(copy, p))) problem = e->message;
    else if ((e = copy->ops->begin(copy, p, 0)) || (e = hab_audit_verify(copy, p, v)))
        problem = e->message;
    else if (!v->ok)
        problem = apr_psprintf(p, "the copy's access log does not verify: first bad entry "
                               "%" APR_INT64_T_FMT ": %s", (apr_int64_t)v->first_bad_seq,
                               v->problem ? v->problem : "");
    copy->ops->rollback(copy);
    copy->ops->close(copy);
    return problem;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int verb_backup(admin_ctx_t *ctx)
{
    static const char *const flags[] = {"--force", NULL};
    int rc = admin_check_options(ctx, NULL, flags, 1);
    if (rc) return rc;
    if (strcmp(ctx->driver, "sqlite3") != 0) {
        fprintf(stderr, "habitual-admin: backup copies SQLite databases; for %s use the "
                        "database's own tool (PostgreSQL: pg_dump --format=custom)\n", ctx->driver);
        return ADMIN_USAGE;
    }
    /* before SQLite starts: lets the check open the copy as an immutable URI */
    sqlite3_config(SQLITE_CONFIG_URI, 1);
    hab_store_t *store;
    if ((rc = admin_open(ctx, 0, &store))) return rc;
    store->ops->close(store);

    const char *dest = admin_positional(ctx, 0);
    int force = admin_flag(ctx, "--force");
    struct stat sst, dst;
    if (stat(ctx->params, &sst) == 0 && stat(dest, &dst) == 0 && sst.st_dev == dst.st_dev &&
        sst.st_ino == dst.st_ino) {
        fprintf(stderr, "habitual-admin: %s is the database itself\n", dest);
        return ADMIN_USAGE;
    }
    static const char *const beside[] = {"", "-journal", "-wal", "-shm", NULL};
    for (int i = 0; beside[i]; i++) {
        const char *f = apr_pstrcat(ctx->p, dest, beside[i], NULL);
        if (!exists(f)) continue;
        if (!force) {
            fprintf(stderr, "habitual-admin: %s exists; refusing to overwrite it "
                            "(--force replaces it)\n", f);
            return ADMIN_FAILED;
        }
        if (unlink(f) != 0) {
            fprintf(stderr, "habitual-admin: cannot remove %s: %s\n", f, strerror(errno));
            return ADMIN_FAILED;
        }
    }
    int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "habitual-admin: cannot create %s: %s\n", dest, strerror(errno));
        return ADMIN_FAILED;
    }
    close(fd);

    apr_pool_t *p;
    apr_pool_create(&p, ctx->p);
    hab_audit_verdict_t v;
    memset(&v, 0, sizeof(v));
    const char *problem = backup_copy(p, ctx->params, dest);
    if (!problem) problem = backup_check(p, dest, &v);
    if (problem) {
        remove_copy(p, dest);
        fprintf(stderr, "habitual-admin: backup to %s failed, nothing kept: %s\n", dest, problem);
        apr_pool_destroy(p);
        return ADMIN_FAILED;
    }
    printf("ok: %s: %lld entries, head %s, integrity ok\n", dest, v.entries, v.head);
    apr_pool_destroy(p);
    return ADMIN_OK;
}

/* ---- report ---- */

/* The figures come from the core (hab_governance_figures), as the
 * governance page's and api/governance's do: the report prints the
 * report's figures only, each as it is (no suppression: counts, no one
 * named, on the server). */
int verb_report(admin_ctx_t *ctx)
{
    static const char *const opts[] = {"--from", "--to", "--format", NULL};
    static const char *const formats[] = {"text", "csv", "json", NULL};
    int rc = admin_check_options(ctx, opts, NULL, 0);
    if (rc) return rc;
    const char *from = admin_option(ctx, "--from"), *to = admin_option(ctx, "--to");
    if (!from || !to || !hab_valid_date(from) || !hab_valid_date(to)) {
        fprintf(stderr, "habitual-admin: report needs --from DATE and --to DATE (YYYY-MM-DD)\n");
        return ADMIN_USAGE;
    }
    if (strcmp(from, to) > 0) {
        fprintf(stderr, "habitual-admin: --from must not be after --to\n");
        return ADMIN_USAGE;
    }
    const char *format = ops_format(ctx, formats);
    if (!format) return ADMIN_USAGE;
    hab_store_t *store;
    if ((rc = admin_open(ctx, 0, &store))) return rc;

    hab_gov_t *g;
    hab_err_t *e = hab_governance_figures(store, ctx->p, from, to, ctx->today, 1, &g);
    if (e) return admin_fail(e, ADMIN_DATABASE);

    if (!strcmp(format, "json")) {
        print_json(hab_json_own(ctx->p, hab_gov_json(g, 0, 1)));
        return ADMIN_OK;
    }
    int csv = !strcmp(format, "csv");
    if (csv) {
        fputs(hab_csv_line(ctx->p, (const char *const[]){"figure", "value", NULL}), stdout);
        fputs(hab_csv_line(ctx->p, (const char *const[]){"from", from, NULL}), stdout);
        fputs(hab_csv_line(ctx->p, (const char *const[]){"to", to, NULL}), stdout);
    } else {
        printf("Habitual contact: governance figures from %s to %s\n", from, to);
    }
    for (int i = 0; i < g->figs->nelts; i++) {
        const hab_gov_fig_t *f = &APR_ARRAY_IDX(g->figs, i, hab_gov_fig_t);
        if (!f->report) continue;
        const char *v = hab_gov_value_text(ctx->p, f);
        if (csv) fputs(hab_csv_line(ctx->p, (const char *const[]){f->name, v, NULL}), stdout);
        else printf("  %-36s %s\n", f->name, *v ? v : "-");
    }
    return ADMIN_OK;
}

/* ---- helpers shared by the operations verbs (ops.h) ---- */

const char *ops_format(admin_ctx_t *ctx, const char *const *allowed)
{
    const char *format = admin_option(ctx, "--format");
    if (!format) return allowed[0];
    for (int i = 0; allowed[i]; i++)
        if (!strcmp(format, allowed[i])) return format;
    fprintf(stderr, "habitual-admin: --format is one of:");
    for (int i = 0; allowed[i]; i++) fprintf(stderr, " %s", allowed[i]);
    fprintf(stderr, "\n");
    return NULL;
}

int ops_int_option(admin_ctx_t *ctx, const char *name, long def, long min, long max, long *out)
{
    const char *v = admin_option(ctx, name);
    *out = def;
    if (!v) return ADMIN_OK;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < min || n > max || v[0] == '+' || v[0] == ' ') {
        fprintf(stderr, "habitual-admin: %s takes a whole number from %ld to %ld\n", name, min,
                max);
        return ADMIN_USAGE;
    }
    *out = n;
    return ADMIN_OK;
}

const char *ops_date_of(apr_pool_t *p, const char *t)
{
    return t ? apr_pstrndup(p, t, 10) : NULL;
}


