/* The access log, offline: verify-audit, export-audit, checkpoint. */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

#include "admin.h"
#include "habitual/audit.h"
#include "habitual/json_io.h"
#include "habitual/dates.h"

#define EXPORT_BATCH 5000

static int load_key(admin_ctx_t *ctx, hab_secret_t *key)
{
    const char *file = admin_option(ctx, "--key");
    if (!file) {
        fprintf(stderr, "habitual-admin: --key FILE is required (the checkpoint key, "
                        "at least %d bytes; keep it off the web server)\n", HAB_SECRET_MIN);
        return ADMIN_USAGE;
    }
    const char *err = hab_secret_load(ctx->p, file, key);
    if (err) {
        fprintf(stderr, "habitual-admin: %s\n", err);
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

/* Does the verified chain still hold the checkpoint's entry count and head? */
static int check_checkpoint(admin_ctx_t *ctx, hab_store_t *store, const hab_audit_verdict_t *v)
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
    long long entries;
    const char *head;
    const char *err = hab_checkpoint_parse(ctx->p, &key, line, &entries, &head);
    if (err) {
        fprintf(stderr, "habitual-admin: %s: %s\n", file, err);
        return ADMIN_FAILED;
    }
    if (v->entries < entries) {
        printf("bad: first bad entry %lld: the log ends at %lld entries but the checkpoint "
               "holds %lld (entries were removed from the end)\n", v->entries + 1, v->entries,
               entries);
        return ADMIN_FAILED;
    }
    if (entries == 0) return ADMIN_OK;
    hab_rows_t *rows;
    hab_err_t *e = hab_store_q(store, ctx->p, &rows, "SELECT hash FROM access_log WHERE seq = ?",
                               "i", entries);
    if (e) return admin_fail(e, ADMIN_DATABASE);
    const char *hash = hab_rows_text(rows, 0, 0);
    if (!hash || strcmp(hash, head) != 0) {
        printf("bad: first bad entry %lld or earlier: the chain no longer leads to the "
               "checkpoint's head (it was rewritten)\n", entries);
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
    hab_store_t *store;
    if ((rc = admin_open(ctx, 0, &store))) return rc;
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
    rc = admin_option(ctx, "--checkpoint") ? check_checkpoint(ctx, store, &v) : ADMIN_OK;
    store->ops->rollback(store);
    return rc;
}

int verb_checkpoint(admin_ctx_t *ctx)
{
    static const char *const opts[] = {"--key", NULL};
    int rc = admin_check_options(ctx, opts, NULL, 0);
    if (rc) return rc;
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
    printf("%s\n", hab_checkpoint_make(ctx->p, &key, entries, head, ctx->now));
    return ADMIN_OK;
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
        apr_array_header_t *entries = apr_array_make(batch, EXPORT_BATCH, sizeof(hab_audit_entry_t));
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
