/* Every request below the mount point, API and pages alike: route it,
 * establish who is asking, check the envelope (token, content type, size,
 * body), hand it to the core service, write the answer.  No rule is decided
 * here. */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>

#include "habitual/domain/evidence.h"
#include "habitual/base/form.h"
#include "habitual/base/json_io.h"
#include "habitual/web/pages.h"
#include "habitual/domain/router.h"
#include "habitual/domain/service.h"
#include "mod_habitual.h"
#include "respond.h"

APLOG_USE_MODULE(habitual);

static int is_state_change(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "DELETE") == 0;
}

/* type, optionally with charset=utf-8, nothing else. */
static int content_type_is(const char *ct, const char *type)
{
    if (!ct) return 0;
    size_t n = strlen(type);
    if (strncasecmp(ct, type, n) != 0) return 0;
    const char *rest = ct + n;
    while (*rest == ' ') rest++;
    if (*rest == '\0') return 1;
    if (*rest != ';') return 0;
    rest++;
    while (*rest == ' ') rest++;
    return strcasecmp(rest, "charset=utf-8") == 0 || strcasecmp(rest, "charset=\"utf-8\"") == 0;
}

static hab_err_t *bad_token(apr_pool_t *p, int page)
{
    return hab_err_make(
        p, 403, "bad-csrf-token",
        page
            ? "This form has expired or did not come from this service: go back, reload the "
              "page and try again."
            : "The X-CSRF-Token header is missing, stale or wrong; fetch a fresh one from api/me.");
}

/* A page's form: urlencoded, its own csrf_token field, nothing hidden. */
static int is_multipart(const char *ct)
{
    return ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

static hab_err_t *read_form(request_rec *r, hab_ctx_t *ctx, hab_request_in_t *in)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    hab_err_t *err;
    if (is_multipart(ct)) { /* a form with a file (evidence) */
        hab_upload_t *up = NULL;
        err = hab_read_multipart_form(r, ctx->evidence_max, HAB_BODY_MAX, &in->form, &up);
        if (err) return err;
        in->upload = up;
    } else {
        if (!content_type_is(ct, "application/x-www-form-urlencoded"))
            return hab_err_make(r->pool, 415, "unsupported-media-type",
                                "Send the form as a web form.");
        const char *body;
        apr_size_t len;
        err = hab_read_body(r, HAB_BODY_MAX, &body, &len);
        if (!err) err = hab_form_parse(r->pool, body, len, &in->form);
        if (err) return err;
    }
    const char *token = NULL;
    for (int i = 0; i < in->form->nelts; i++) {
        const hab_form_pair_t *pair = &APR_ARRAY_IDX(in->form, i, hab_form_pair_t);
        if (strcmp(pair->name, "csrf_token") != 0) continue;
        if (token) return bad_token(r->pool, 1); /* given twice: not from our form */
        token = pair->value;
    }
    if (hab_csrf_check(r->pool, ctx->secret, ctx->user, token, ctx->now_seconds) != HAB_CSRF_OK)
        return bad_token(r->pool, 1);
    return NULL;
}

static hab_err_t *read_json(request_rec *r, hab_request_in_t *in)
{
    if (!content_type_is(apr_table_get(r->headers_in, "Content-Type"), "application/json"))
        return hab_err_make(r->pool, 415, "unsupported-media-type",
                            "Send the request body as application/json.");
    const char *body;
    apr_size_t len;
    hab_err_t *err = hab_read_body(r, HAB_BODY_MAX, &body, &len);
    return err ? err : hab_json_parse_object(r->pool, body, len, &in->body);
}

static hab_err_t *check_envelope(request_rec *r, hab_ctx_t *ctx, const hab_route_def_t *def,
                                 hab_request_in_t *in)
{
    hab_err_t *err = NULL;
    if (def->flags & HAB_ROUTE_FORM) {
        err = read_form(r, ctx, in);
    } else if (is_state_change(def->method)) {
        const char *token = apr_table_get(r->headers_in, "X-CSRF-Token");
        if (hab_csrf_check(r->pool, ctx->secret, ctx->user, token, ctx->now_seconds) != HAB_CSRF_OK)
            err = bad_token(r->pool, 0);
    }
    if (!err && (def->flags & HAB_ROUTE_BODY)) err = read_json(r, in);
    if (!err && (def->flags & HAB_ROUTE_UPLOAD)) {
        hab_upload_t *up;
        err = hab_spool_body(r, ctx->evidence_max, &up);
        if (!err) in->upload = up;
    }
    if (!err && r->args && *r->args) err = hab_query_parse(r->pool, r->args, &in->query);
    return err;
}

/* Everything the core needs to know about who is asking, from r alone. */
static void fill_context(request_rec *r, const hab_dir_conf *dc, hab_ctx_t *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->p = r->pool;
    ctx->user = r->user ? r->user : "";
    ctx->secret = &dc->secret;
    ctx->checkpoint_key = dc->checkpoint_key_file ? &dc->checkpoint_key : NULL;
    ctx->appeal_days = hab_dir_appeal_days(dc);
    ctx->interim_days = hab_dir_interim_days(dc);
    ctx->triage_days = hab_dir_triage_days(dc);
    ctx->evidence_max = hab_dir_evidence_max(dc);
    ctx->review_grace_days = hab_dir_review_grace_days(dc);
    ctx->council_name = hab_dir_council_name(dc);
    size_t n = strlen(dc->base);
    while (n > 0 && dc->base[n - 1] == '/') n--;
    ctx->mount = apr_pstrndup(r->pool, dc->base, n);
    ctx->request_id = hab_request_id(r);
    ctx->client = r->useragent_ip;
    ctx->writer = hab_child_writer();
    ctx->views = hab_child_view_cache();
    ctx->users = hab_request_user_finder(r, dc);
    hab_ctx_set_clock(ctx);
}

static int answer_error(request_rec *r, hab_ctx_t *ctx, int page, const hab_err_t *err)
{
    if (!page) return hab_respond_error(r, err);
    hab_log_server_error(r, err, 1);
    return hab_respond_html(r, err->status, hab_page_error(ctx, err));
}

/* Answer err, after logging it when the route is audited. */
static int refuse(request_rec *r, hab_ctx_t *ctx, const hab_request_in_t *in, int page,
                  hab_err_t *err)
{
    if (ctx->store) {
        hab_err_t *log_err = hab_service_refused(ctx, in, err);
        if (log_err) err = log_err;
    }
    return answer_error(r, ctx, page, err);
}

static int answer(request_rec *r, hab_ctx_t *ctx, const hab_result_t *result)
{
    if (result->stream) return hab_respond_stream(r, ctx->store, result->stream);
    if (result->location) {
        apr_table_setn(r->headers_out, "Location", result->location);
        hab_set_security_headers(r, 1);
        r->status = HTTP_SEE_OTHER;
        return OK;
    }
    if (result->download)
        return hab_respond_download(r, result->content_type, result->filename, result->download);
    if (result->html) return hab_respond_html(r, result->status, result->html);
    if (result->json_text) return hab_respond_json_text(r, result->status, result->json_text);
    return hab_respond_json(r, result->status, result->body);
}

int hab_handle(request_rec *r, const hab_dir_conf *dc, const char *path)
{
    const char *method = r->header_only ? "GET" : r->method;
    int api = strncmp(path, "api/", 4) == 0 || strcmp(path, "api") == 0;
    hab_ctx_t ctx;
    fill_context(r, dc, &ctx);
    hab_route_match_t match;
    hab_route(r->pool, method, path, &match);
    if (!match.route) {
        hab_err_t *err = hab_err_not_found(r->pool);
        if (match.allow) {
            apr_table_setn(r->err_headers_out, "Allow", match.allow);
            err = hab_err_make(r->pool, 405, "method-not-allowed", "Use %s here.", match.allow);
        }
        return answer_error(r, &ctx, !api, err);
    }
    int page = (match.route->flags & HAB_ROUTE_PAGE) != 0;
    hab_request_in_t in = {match.route->id, match.case_id, match.arg, NULL, NULL, NULL, NULL};

    if (!r->user || !*r->user)
        return answer_error(r, &ctx, page, hab_err_forbidden(r->pool, "You are not signed in."));
    hab_err_t *err = NULL;
    if (match.route->flags & HAB_ROUTE_AUDITED) {
        err = hab_request_store(r, &ctx.store);
        if (err) return answer_error(r, &ctx, page, err);
    }
    const char *canonical = NULL;
    err = hab_request_roles(r, dc, &ctx.roles, &canonical);
    if (err) return refuse(r, &ctx, &in, page, err);
    if (!ctx.roles || !canonical)
        return refuse(r, &ctx, &in, page,
                      hab_err_forbidden(r->pool, "You have no role in this service."));
    /* From here on the user is who the directory says, spelt its way: the
     * referrer, authors, deciders, grants, the access log, the CSRF token. */
    ctx.user = canonical;
    ctx.teams = hab_request_teams(r);
    ctx.team_names = hab_dir_team_names(r->pool, dc);
    err = check_envelope(r, &ctx, match.route, &in);
    if (err) return refuse(r, &ctx, &in, page, err);

    hab_result_t result;
    err = hab_service_run(&ctx, &in, &result);
    if (err) return answer_error(r, &ctx, page, err);
    return answer(r, &ctx, &result);
}
