/* The access log, offline: verify-audit, export-audit, checkpoint (and the
 * daily job that sends it off the server: --send to the auditors, --dir). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>

#include "admin.h"
#include "habitual/store/audit.h"
#include "habitual/base/json_io.h"
#include "habitual/base/dates.h"

#define EXPORT_BATCH 5000

static int load_key(admin_ctx_t *ctx, hab_secret_t *key)
{
    const char *file = admin_option(ctx, "--key");
    if (!file) {
        fprintf(stderr, "habitual-admin: --key FILE is required (the checkpoint key, "
                        "at least %d bytes; keep it off the web server)\n", HAB_SECRET_MIN);
        return ADMIN_USAGE;
    }
    hab_err_t *err = hab_secret_load(ctx->p, file, key);
    if (err) {
        fprintf(stderr, "habitual-admin: %s\n", err->message);
        return ADMIN_USAGE;
    }
    return ADMIN_OK;
}

static char *read_line_file(apr_pool_t *p, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char buf[512];
    char *line = fgets(buf, sizeof(buf), f) ? apr_pstrdup(p, buf) : NULL;
    fclose(f);
    return line;
}

/* The checkpoint line given with --checkpoint FILE, parsed with --key. */
static int load_checkpoint(admin_ctx_t *ctx, long long *entries, const char **head)
{
    const char *file = admin_option(ctx, "--checkpoint");
    hab_secret_t key;
    int rc = load_key(ctx, &key);
    if (rc) return rc;
    const char *line = read_line_file(ctx->p, file);
    if (!line) {
        fprintf(stderr, "habitual-admin: cannot read checkpoint file %s\n", file);
        return ADMIN_USAGE;
    }
    hab_err_t *err = hab_checkpoint_parse(ctx->p, &key, line, entries, head);
    if (err) {
        fprintf(stderr, "habitual-admin: %s: %s\n", file, err->message);
        return ADMIN_FAILED;
    }
    return ADMIN_OK;
}

/* Does the verified chain still hold the checkpoint's entry count and head? */
static int check_checkpoint(admin_ctx_t *ctx, hab_store_t *store, const hab_audit_verdict_t *v,
                            long long entries, const char *head)
{
    const char *at_count = NULL;
    if (entries > 0 && v->entries >= entries) {
        hab_rows_t *rows;
        hab_err_t *e = hab_store_q(store, ctx->p, &rows,
                                   "SELECT hash FROM access_log WHERE seq = ?", "i", entries);
        if (e) return admin_fail(e, ADMIN_DATABASE);
        at_count = rows->nrows ? hab_rows_text(rows, 0, 0) : NULL;
    }
    hab_checkpoint_verdict_t cv;
    hab_checkpoint_judge(ctx->p, v, entries, head, at_count, &cv);
    if (cv.state != HAB_CHECKPOINT_HOLDS) {
        printf("bad: first bad entry %lld: %s\n", cv.first_bad_seq, cv.problem);
        return ADMIN_FAILED;
    }
    printf("checkpoint ok: entry %lld still has head %s\n", entries, head);
    return ADMIN_OK;
}

int verb_verify_audit(admin_ctx_t *ctx)
{
    static const char *const opts[] = {"--checkpoint", "--key", NULL};
    int rc = admin_check_options(ctx, opts, NULL, 0);
    if (rc) return rc;
    long long cp_entries = 0;
    const char *cp_head = NULL;
    int with_checkpoint = admin_option(ctx, "--checkpoint") != NULL;
    hab_store_t *store;
    if ((rc = admin_open(ctx, 0, &store))) return rc;
    if (with_checkpoint && (rc = load_checkpoint(ctx, &cp_entries, &cp_head))) return rc;
    hab_err_t *err = store->ops->begin(store, ctx->p, 0); /* one snapshot */
    if (err) return admin_fail(err, ADMIN_DATABASE);
    hab_audit_verdict_t v;
    err = hab_audit_verify(store, ctx->p, &v);
    if (err) return admin_fail(err, ADMIN_DATABASE);
    if (!v.ok) {
        printf("bad: first bad entry %lld: %s\n", v.first_bad_seq, v.problem);
        store->ops->rollback(store);
        return ADMIN_FAILED;
    }
    printf("ok: %lld entries, head %s\n", v.entries, v.head);
    rc = with_checkpoint ? check_checkpoint(ctx, store, &v, cp_entries, cp_head) : ADMIN_OK;
    store->ops->rollback(store);
    return rc;
}

/* ---- checkpoint: the daily anchor outside the database ---- */

/* --dir DIR: a directory the web server's user cannot write.  We can only
 * check what is visible from here: it exists, is a directory, and nobody
 * but its owner and group may write it. */
static const char *checkpoint_dir_problem(apr_pool_t *p, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) return apr_psprintf(p, "--dir %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return apr_psprintf(p, "--dir %s is not a directory", dir);
    if (st.st_mode & S_IWOTH)
        return apr_psprintf(
            p,
            "--dir %s may be written by anyone: give a directory the web server's user "
            "cannot write",
            dir);
    return NULL;
}

/* One new file per checkpoint, never overwritten:
 * DIR/habitual-checkpoint-<time>-<entries>.txt, read-only. */
static const char *write_checkpoint_file(admin_ctx_t *ctx, const char *dir, const char *line,
                                         long long entries, const char **path)
{
    char stamp[32];
    size_t n = 0;
    for (const char *c = ctx->now; *c && n < sizeof(stamp) - 1; c++)
        if (*c != '-' && *c != ':') stamp[n++] = *c;
    stamp[n] = '\0';
    *path = apr_psprintf(ctx->p, "%s/habitual-checkpoint-%s-%" APR_INT64_T_FMT ".txt", dir, stamp,
                         (apr_int64_t)entries);
    int fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) return apr_psprintf(ctx->p, "cannot create %s: %s", *path, strerror(errno));
    const char *text = apr_pstrcat(ctx->p, line, "\n", NULL);
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(*path);
        return apr_psprintf(ctx->p, "cannot write %s: %s", *path, strerror(errno));
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* the new name survives a crash */
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return NULL;
}

typedef struct {
    const apr_array_header_t *to;
    const char *line, *date;
    long long entries;
} checkpoint_mail_t;

/* Every header is text made here from checked values (plain addresses, the
 * date); the body is the line, which is ASCII hex and digits. */
static void write_checkpoint_mail(FILE *out, const void *arg)
{
    const checkpoint_mail_t *m = arg;
    char subject[80];
    snprintf(subject, sizeof(subject), "Habitual contact: access log checkpoint %.10s", m->date);
    admin_mail_headers(out, m->to, subject);
    fprintf(out, "You are sent this as an auditor of the habitual contact access log.\n\n"
                 "Keep this message where the council's servers cannot change it. It pins the\n"
                 "first %lld entries of the access log: to check that none of them was changed\n"
                 "since, paste the line below into the intranet's access log check page, or run\n"
                 "habitual-admin verify-audit --checkpoint FILE --key KEYFILE.\n\n%s\n\n"
                 "This message holds no case content.\n", m->entries, m->line);
}

int verb_checkpoint(admin_ctx_t *ctx)
{
    static const char *const opts[] = {"--key",   "--dir",      "--ldap-url",
                                       "--group", "--sendmail", NULL};
    static const char *const flags[] = {"--send", NULL};
    int rc = admin_check_options(ctx, opts, flags, 0);
    if (rc) return rc;
    const char *dir = admin_option(ctx, "--dir"), *url = admin_option(ctx, "--ldap-url");
    const char *group = admin_option(ctx, "--group"), *cmd = admin_option(ctx, "--sendmail");
    int send = admin_flag(ctx, "--send");
    if (send && (!url || !group)) {
        fprintf(stderr,
                "habitual-admin: checkpoint --send needs --ldap-url URL (as HabitualLDAPURL) and "
                "--group DN (the auditors' group, as HabitualRoleGroup auditor)\n");
        return ADMIN_USAGE;
    }
    if (!send && (url || group || cmd)) {
        fprintf(stderr, "habitual-admin: --ldap-url, --group and --sendmail go with --send\n");
        return ADMIN_USAGE;
    }
    if (!cmd) cmd = ADMIN_DEFAULT_SENDMAIL;
    const char *problem = dir ? checkpoint_dir_problem(ctx->p, dir) : NULL;
    if (problem) {
        fprintf(stderr, "habitual-admin: %s\n", problem);
        return ADMIN_USAGE;
    }
    hab_secret_t key;
    if ((rc = load_key(ctx, &key))) return rc;
    hab_store_t *store;
    if ((rc = admin_open(ctx, 0, &store))) return rc;
    hab_rows_t *rows;
    hab_err_t *err = hab_store_q(store, ctx->p, &rows,
                                 "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1", "");
    if (err) return admin_fail(err, ADMIN_DATABASE);
    long long entries = rows->nrows ? hab_rows_int(rows, 0, 0) : 0;
    const char *head = rows->nrows ? hab_rows_text(rows, 0, 1) : HAB_AUDIT_GENESIS;
    const char *line = hab_checkpoint_make(ctx->p, &key, entries, head, ctx->now);
    printf("%s\n", line);
    fflush(stdout);

    int failed = 0;
    if (dir) {
        const char *path;
        problem = write_checkpoint_file(ctx, dir, line, entries, &path);
        if (problem) {
            fprintf(stderr, "habitual-admin: %s\n", problem);
            failed = 1;
        } else {
            fprintf(stderr, "habitual-admin: checkpoint written to %s\n", path);
        }
    }
    if (send) {
        signal(SIGPIPE, SIG_IGN); /* a sendmail that exits early is a failed send */
        apr_array_header_t *to = apr_array_make(ctx->p, 8, sizeof(const char *));
        problem = admin_group_addresses(ctx->p, url, group, to);
        checkpoint_mail_t m = {to, line, ctx->now, entries};
        if (!problem) problem = admin_sendmail(ctx->p, cmd, write_checkpoint_mail, &m);
        if (problem) {
            fprintf(stderr, "habitual-admin: checkpoint not sent: %s\n", problem);
            failed = 1;
        } else {
            fprintf(stderr, "habitual-admin: checkpoint sent to %d auditor%s\n", to->nelts,
                    to->nelts == 1 ? "" : "s");
        }
    }
    return failed ? ADMIN_FAILED : ADMIN_OK;
}

static const char *admin_user(apr_pool_t *p)
{
    const char *who = getenv("SUDO_USER");
    if (!who || !*who) {
        struct passwd *pw = getpwuid(getuid());
        who = pw ? pw->pw_name : "unknown";
    }
    return apr_pstrcat(p, "admin:", who, NULL);
}

hab_err_t *admin_log_in_transaction(admin_ctx_t *ctx, hab_store_t *store, const char *action,
                                    long long case_id)
{
    hab_audit_entry_t e;
    memset(&e, 0, sizeof(e));
    e.at = ctx->now;
    e.user = admin_user(ctx->p);
    e.roles = "";
    e.action = action;
    e.case_id = case_id;
    e.outcome = "allowed";
    e.status = 200;
    e.client = "habitual-admin";
    return hab_audit_append(store, ctx->p, &e);
}

/* Offline tools that disclose the log or case data leave their own entry. */
int admin_log_action(admin_ctx_t *ctx, hab_store_t *store, const char *action, long long case_id)
{
    hab_err_t *err = store->ops->begin(store, ctx->p, 1);
    if (!err) err = admin_log_in_transaction(ctx, store, action, case_id);
    if (!err) err = store->ops->commit(store, ctx->p);
    if (err) {
        store->ops->rollback(store);
        return admin_fail(err, ADMIN_DATABASE);
    }
    return ADMIN_OK;
}

int admin_log_cases(admin_ctx_t *ctx, hab_store_t *store, const char *action,
                    const apr_array_header_t *case_ids)
{
    hab_err_t *err = store->ops->begin(store, ctx->p, 1);
    for (int i = 0; !err && i < case_ids->nelts; i++)
        err = admin_log_in_transaction(ctx, store, action, APR_ARRAY_IDX(case_ids, i, long long));
    if (!err && !case_ids->nelts) err = admin_log_in_transaction(ctx, store, action, 0);
    if (!err) err = store->ops->commit(store, ctx->p);
    if (err) {
        store->ops->rollback(store);
        return admin_fail(err, ADMIN_DATABASE);
    }
    return ADMIN_OK;
}

int verb_export_audit(admin_ctx_t *ctx)
{
    static const char *const opts[] = {"--from", "--to", "--format", NULL};
    int rc = admin_check_options(ctx, opts, NULL, 0);
    if (rc) return rc;
    const char *from = admin_option(ctx, "--from"), *to = admin_option(ctx, "--to");
    const char *format = admin_option(ctx, "--format");
    if (!format) format = "json";
    if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
        fprintf(stderr, "habitual-admin: --format is csv or json\n");
        return ADMIN_USAGE;
    }
    if ((from && !hab_valid_date(from)) || (to && !hab_valid_date(to))) {
        fprintf(stderr, "habitual-admin: --from and --to are dates, YYYY-MM-DD\n");
        return ADMIN_USAGE;
    }
    hab_store_t *store;
    if ((rc = admin_open(ctx, 0, &store))) return rc;
    if ((rc = admin_log_action(ctx, store, "admin.export-audit", 0))) return rc;

    hab_err_t *err = store->ops->begin(store, ctx->p, 0);
    if (err) return admin_fail(err, ADMIN_DATABASE);
    int csv = strcmp(format, "csv") == 0;
    if (csv)
        fputs(hab_audit_csv_header(ctx->p), stdout);
    else
        printf("{\"entries\":[");
    apr_pool_t *batch;
    apr_pool_create(&batch, ctx->p);
    long long after = 0, written = 0;
    for (;;) {
        apr_array_header_t *entries =
            apr_array_make(batch, EXPORT_BATCH, sizeof(hab_audit_entry_t));
        err = hab_audit_read(store, batch, after, EXPORT_BATCH, from, to, entries);
        if (err) return admin_fail(err, ADMIN_DATABASE);
        for (int i = 0; i < entries->nelts; i++) {
            const hab_audit_entry_t *e = &APR_ARRAY_IDX(entries, i, hab_audit_entry_t);
            if (csv) {
                fputs(hab_audit_csv_line(batch, e), stdout);
            } else {
                json_t *j = hab_json_own(batch, hab_audit_entry_json(e, 1));
                printf("%s\n%s", written ? "," : "", hab_json_dump(batch, j));
            }
            written++;
            after = e->seq;
        }
        if (entries->nelts < EXPORT_BATCH) break;
        apr_pool_clear(batch);
    }
    if (!csv) printf("\n]}\n");
    store->ops->rollback(store);
    fprintf(stderr, "habitual-admin: exported %lld entries\n", written);
    return ADMIN_OK;
}
