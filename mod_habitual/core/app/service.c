/* One request, one transaction, one access-log entry (README "Need to know"). */
#include <ctype.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "habitual/store/audit.h"
#include "habitual/base/form.h"
#include "habitual/domain/reads.h"
#include "habitual/domain/roles.h"
#include "habitual/domain/service.h"
#include "habitual/store/writer.h"
#include "app/routes.h"
#include "habitual/store/schema.h"

void hab_ctx_set_clock(hab_ctx_t *ctx)
{
    apr_time_t now = apr_time_now();
    ctx->now_seconds = (long long)apr_time_sec(now);
    apr_time_exp_t gmt, local;
    apr_time_exp_gmt(&gmt, now);
    apr_time_exp_lt(&local, now);
    ctx->now = apr_psprintf(ctx->p, "%04d-%02d-%02dT%02d:%02d:%02dZ", gmt.tm_year + 1900,
                            gmt.tm_mon + 1, gmt.tm_mday, gmt.tm_hour, gmt.tm_min, gmt.tm_sec);
    ctx->today = apr_psprintf(ctx->p, "%04d-%02d-%02d", local.tm_year + 1900,
                              local.tm_mon + 1, local.tm_mday);
}

void hab_ctx_shown(hab_ctx_t *ctx, long long case_id)
{
    if (!ctx->shown) ctx->shown = apr_array_make(ctx->p, 16, sizeof(long long));
    APR_ARRAY_PUSH(ctx->shown, long long) = case_id;
}

static const char *outcome_of(int status)
{
    if (status < 400) return "allowed";
    if (status >= 500) return "error";
    return "refused";
}

static void fill_entry(hab_ctx_t *ctx, const hab_request_in_t *in, int status, hab_audit_entry_t *e)
{
    const hab_route_def_t *def = hab_route_def(in->route);
    memset(e, 0, sizeof(*e));
    e->at = ctx->now;
    e->user = ctx->user && *ctx->user ? ctx->user : "-";
    e->roles = hab_roles_join(ctx->p, ctx->roles);
    e->acting_as = ctx->acting_as;
    e->action = ctx->action ? ctx->action : def ? def->action : "unknown";
    e->case_id = in->case_id ? in->case_id : ctx->created_case_id;
    e->outcome = outcome_of(status);
    e->status = status;
    e->request_id = ctx->request_id;
    e->client = ctx->client;
    e->case_ids = status < 400 ? hab_audit_ids_text(ctx->p, ctx->shown) : NULL;
    /* a refusal by one of the safeguards names it (README "The rules") */
    e->refused_rule = status >= 400 && status < 500 ? ctx->refused_rule : NULL;
}

/* Inside the caller's write transaction, with the change it records. */
static hab_err_t *append_with_change(hab_ctx_t *ctx, const hab_request_in_t *in, int status)
{
    hab_audit_entry_t e;
    fill_entry(ctx, in, status, &e);
    return hab_audit_append(ctx->store, ctx->p, &e);
}

static hab_err_t *append_work(hab_store_t *s, apr_pool_t *p, void *entry)
{
    return hab_audit_append(s, p, entry);
}

/* One lock timeout for the whole request, from its first transaction: a
 * read that waited, then its log entry, or a change refused and then its
 * refusal logged, never wait the timeout twice over. */
static apr_time_t request_deadline(hab_ctx_t *ctx)
{
    if (!ctx->deadline) ctx->deadline = apr_time_now() + apr_time_from_msec(HAB_STORE_LOCK_WAIT_MS);
    return ctx->deadline;
}

/* Write work through the process's writer when there is one (httpd), else
 * in a write transaction of its own (the admin tool, the unit tests); an
 * error from the work leaves nothing of it. */
static hab_err_t *run_write(hab_ctx_t *ctx, hab_write_fn work, void *arg)
{
    if (ctx->writer)
        return hab_writer_run_by(ctx->writer, ctx->p, request_deadline(ctx), work, arg);
    ctx->store->deadline = request_deadline(ctx);
    hab_err_t *err = ctx->store->ops->begin(ctx->store, ctx->p, 1);
    if (!err) err = work(ctx->store, ctx->p, arg);
    if (!err) err = ctx->store->ops->commit(ctx->store, ctx->p);
    if (err) ctx->store->ops->rollback(ctx->store);
    return err;
}

/* Work that only appends an entry: through the writer without a savepoint
 * of its own, or in a write transaction of its own (run_write). */
static hab_err_t *run_append(hab_ctx_t *ctx, hab_write_fn work, void *arg)
{
    if (ctx->writer)
        return hab_writer_append_by(ctx->writer, ctx->p, request_deadline(ctx), work, arg);
    return run_write(ctx, work, arg);
}

/* An entry with no change of its own (a read, a refusal). */
static hab_err_t *append_alone(hab_ctx_t *ctx, const hab_request_in_t *in, int status)
{
    hab_audit_entry_t *e = apr_palloc(ctx->p, sizeof(*e));
    fill_entry(ctx, in, status, e);
    return run_append(ctx, append_work, e);
}

hab_err_t *hab_service_refused(hab_ctx_t *ctx, const hab_request_in_t *in,
                               const hab_err_t *why)
{
    const hab_route_def_t *def = hab_route_def(in->route);
    if (!def || !(def->flags & HAB_ROUTE_AUDITED) || !ctx->store) return NULL;
    ctx->refused_rule = why->rule;
    return append_alone(ctx, in, why->status);
}

/* A kept answer's entry, appended only while nothing has changed since the
 * answer was kept: the change counter, read under the write lock, in the
 * transaction that commits the entry.  Otherwise nothing is appended. */
typedef struct {
    hab_audit_entry_t entry;
    long long gen;
    int stale;
} kept_entry_t;

static hab_err_t *append_if_unchanged(hab_store_t *s, apr_pool_t *p, void *arg)
{
    kept_entry_t *k = arg;
    int appended = 0;
    hab_err_t *e = hab_audit_append_unchanged(s, p, &k->entry, k->gen, &appended);
    k->stale = !e && !appended;
    return e;
}

/* An answer this process kept (hab_read_kept) needs no read transaction
 * of its own: it stands, and is answered, if its entry is committed while
 * the data it was made from still stands.  1: answered (or failed, in
 * *err); 0: nothing kept, or it no longer stands: read as usual. */
static int answer_kept(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out,
                       hab_err_t **err)
{
    const char *acting_as = ctx->acting_as;
    kept_entry_t *k = apr_pcalloc(ctx->p, sizeof(*k));
    *err = NULL;
    if (!hab_read_kept(ctx, in, out, &k->gen)) return 0;
    fill_entry(ctx, in, out->status ? out->status : 200, &k->entry);
    *err = run_append(ctx, append_if_unchanged, k);
    if (*err || !k->stale) {
        if (*err) memset(out, 0, sizeof(*out));
        return 1;
    }
    memset(out, 0, sizeof(*out));
    ctx->shown = NULL;
    ctx->acting_as = acting_as;
    return 0;
}

/* A read changes nothing: it runs in a snapshot without holding the write
 * lock, and its entry is appended afterwards.  Nothing is answered until
 * that entry is committed. */
static hab_err_t *run_read(hab_ctx_t *ctx, const hab_request_in_t *in, hab_step_fn step,
                           hab_result_t *out)
{
    hab_err_t *kept_err;
    if (answer_kept(ctx, in, out, &kept_err)) return kept_err;
    ctx->store->deadline = request_deadline(ctx);
    hab_err_t *err = ctx->store->ops->begin(ctx->store, ctx->p, 0);
    if (err) return err;
    hab_err_t *refusal = step(ctx, in, out);
    ctx->store->ops->rollback(ctx->store);
    if (refusal) {
        ctx->shown = NULL; /* a refused read showed nothing */
        err = hab_service_refused(ctx, in, refusal);
        return err ? err : refusal;
    }
    err = append_alone(ctx, in, out->status ? out->status : 200);
    if (err) memset(out, 0, sizeof(*out));
    return err;
}

/* A step that changes case data, with everything it implies: the change
 * counter, and its own access-log entry, in the same transaction. */
typedef struct {
    hab_ctx_t *ctx;
    const hab_request_in_t *in;
    hab_step_fn step;
    hab_result_t *out;
    hab_err_t *refusal;
} change_job_t;

static hab_err_t *change_work(hab_store_t *s, apr_pool_t *p, void *arg)
{
    change_job_t *job = arg;
    hab_ctx_t *ctx = job->ctx;
    (void)p;
    hab_store_t *own = ctx->store;
    ctx->store = s;   /* the step works on the writer's connection */
    hab_err_t *err = job->refusal = job->step(ctx, job->in, job->out);
    if (!err) err = hab_changes_bump(s, ctx->p);
    if (!err) err = append_with_change(ctx, job->in, job->out->status ? job->out->status : 200);
    ctx->store = own;
    return err;
}

static hab_err_t *run_change(hab_ctx_t *ctx, const hab_request_in_t *in, hab_step_fn step,
                             hab_result_t *out)
{
    change_job_t job = {ctx, in, step, out, NULL};
    hab_err_t *err = run_write(ctx, change_work, &job);
    if (!err || err != job.refusal) return err;
    /* refused: nothing of the step remains; the refusal itself is logged */
    hab_err_t *log_err = hab_service_refused(ctx, in, err);
    return log_err ? log_err : err;
}

hab_err_t *hab_ctx_find_user(hab_ctx_t *ctx, const char *name, const char **id)
{
    *id = NULL;
    if (!hab_user_name_plausible(name))
        return hab_err_field(ctx->p, 422, "unknown-user", "user",
                             "There is no such user in the staff directory.");
    if (!ctx->named || strcmp(ctx->named, name) != 0) {
        ctx->named = apr_pstrdup(ctx->p, name);
        ctx->named_id = NULL;
        ctx->named_roles = 0;
        ctx->named_answer = ctx->users ? ctx->users->find(ctx->users->baton, ctx->p, name,
                                                          &ctx->named_id, &ctx->named_roles)
                                       : HAB_DIR_NO;
    }
    switch (ctx->named_answer) {
    case HAB_DIR_YES:
        if (ctx->named_id) {
            *id = ctx->named_id;
            return NULL;
        }
        break;
    case HAB_DIR_UNAVAILABLE: {
        hab_err_t *e = hab_err_unavailable(
            ctx->p, "The staff directory cannot be reached; try again shortly.");
        e->logged = 1; /* the directory's port said why */
        return e;
    }
    case HAB_DIR_NO: break;
    }
    return hab_err_field(ctx->p, 422, "unknown-user", "user",
                         "There is no such user in the staff directory.");
}

unsigned hab_ctx_found_roles(const hab_ctx_t *ctx)
{
    return ctx->named_answer == HAB_DIR_YES ? ctx->named_roles : 0;
}

/* A change that names a user (a grant, from the API or its page) has the
 * directory asked here, before the write transaction: the step then finds
 * the answer in ctx and no directory wait holds the process's writer.  The
 * step still decides (its gates come first); a name not asked here is
 * asked by the step itself. */
static void prefetch_named_user(hab_ctx_t *ctx, const hab_request_in_t *in)
{
    /* the API route, the page's slug and the field naming the user */
    static const struct { hab_route_id_t route; const char *slug, *field; } named[] = {
        {HAB_ROUTE_GRANT_ADD, "grants", "user"},
        {HAB_ROUTE_REVIEW, "review", "monitoring_officer"},
    };
    const char *name = NULL;
    for (size_t k = 0; k < sizeof(named) / sizeof(named[0]) && !name; k++) {
        if (in->route == named[k].route && in->body)
            name = json_string_value(json_object_get(in->body, named[k].field));
        if (in->route != HAB_ROUTE_PAGE_STEP || !in->arg || strcmp(in->arg, named[k].slug) ||
            !in->form)
            continue;
        for (int i = 0; i < in->form->nelts && !name; i++) {
            const hab_form_pair_t *pair = &APR_ARRAY_IDX(in->form, i, hab_form_pair_t);
            if (!strcmp(pair->name, named[k].field)) name = pair->value;
        }
        if (name) { /* as the form's text fields are read: trimmed */
            while (isspace((unsigned char)*name)) name++;
            size_t n = strlen(name);
            while (n > 0 && isspace((unsigned char)name[n - 1])) n--;
            name = apr_pstrndup(ctx->p, name, n);
        }
    }
    const char *id;
    if (name && hab_user_name_plausible(name)) (void)hab_ctx_find_user(ctx, name, &id);
}

hab_err_t *hab_service_run(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    const hab_route_def_t *def = hab_route_def(in->route);
    hab_step_fn step = hab_route_fn(in->route);
    memset(out, 0, sizeof(*out));
    if (!def || !step) return hab_err_not_found(ctx->p); /* not a case: no such route */
    if (!(def->flags & HAB_ROUTE_AUDITED)) return step(ctx, in, out);
    if (def->flags & HAB_ROUTE_READ) return run_read(ctx, in, step, out);
    prefetch_named_user(ctx, in);
    return run_change(ctx, in, step, out);
}
