/* The JSON API: route, establish who is asking, check the envelope
 * (token, content type, size, JSON), hand the request to the core service,
 * write the answer.  No rule is decided here. */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>

#include "habitual/form.h"
#include "habitual/json_io.h"
#include "habitual/router.h"
#include "habitual/service.h"
#include "mod_habitual.h"
#include "respond.h"

APLOG_USE_MODULE(habitual);

static int is_state_change(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "DELETE") == 0;
}

/* "application/json", optionally with charset=utf-8, nothing else. */
static int content_type_is_json(const char *ct)
{
    if (!ct) return 0;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0) return 0;
    const char *rest = ct + n;
    while (*rest == ' ') rest++;
    if (*rest == '\0') return 1;
    if (*rest != ';') return 0;
    rest++;
    while (*rest == ' ') rest++;
    return strcasecmp(rest, "charset=utf-8") == 0 || strcasecmp(rest, "charset=\"utf-8\"") == 0;
}

static hab_err_t *check_envelope(request_rec *r, hab_ctx_t *ctx, const hab_route_def_t *def,
                                 hab_request_in_t *in)
{
    if (is_state_change(def->method)) {
        const char *token = apr_table_get(r->headers_in, "X-CSRF-Token");
        if (hab_csrf_check(r->pool, ctx->secret, ctx->user, token, ctx->now_seconds) != HAB_CSRF_OK)
            return hab_err_make(r->pool, 403, "bad-csrf-token",
                                "The X-CSRF-Token header is missing, stale or wrong; "
                                "fetch a fresh one from api/me.");
    }
    if (def->flags & HAB_ROUTE_BODY) {
        if (!content_type_is_json(apr_table_get(r->headers_in, "Content-Type")))
            return hab_err_make(r->pool, 415, "unsupported-media-type",
                                "Send the request body as application/json.");
        const char *body;
        apr_size_t len;
        hab_err_t *err = hab_read_body(r, HAB_BODY_MAX, &body, &len);
        if (err) return err;
        err = hab_json_parse_object(r->pool, body, len, &in->body);
        if (err) return err;
    }
    if (r->args && *r->args) {
        hab_err_t *err = hab_query_parse(r->pool, r->args, &in->query);
        if (err) return err;
    }
    return NULL;
}

/* Everything the core needs to know about who is asking, from r alone. */
static void fill_context(request_rec *r, const hab_dir_conf *dc, hab_ctx_t *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->p = r->pool;
    ctx->user = r->user;
    ctx->secret = &dc->secret;
    ctx->appeal_days = hab_dir_appeal_days(dc);
    ctx->council_name = hab_dir_council_name(dc);
    ctx->request_id = hab_request_id(r);
    ctx->client = r->useragent_ip;
    hab_ctx_set_clock(ctx);
}

/* Answer err, after logging it when the route is audited. */
static int refuse(request_rec *r, hab_ctx_t *ctx, const hab_request_in_t *in, hab_err_t *err)
{
    if (ctx->store) {
        hab_err_t *log_err = hab_service_refused(ctx, in, err);
        if (log_err) err = log_err;
    }
    return hab_respond_error(r, err);
}

int hab_api_handle(request_rec *r, const hab_dir_conf *dc, const char *path)
{
    const char *method = r->header_only ? "GET" : r->method;
    hab_route_match_t match;
    hab_route(r->pool, method, path, &match);
    if (!match.route) {
        if (match.allow) {
            apr_table_setn(r->err_headers_out, "Allow", match.allow);
            return hab_respond_error(r, hab_err_make(r->pool, 405, "method-not-allowed",
                                                     "Use %s here.", match.allow));
        }
        return hab_respond_error(r, hab_err_not_found(r->pool));
    }

    hab_ctx_t ctx;
    fill_context(r, dc, &ctx);
    hab_request_in_t in = {match.route->id, match.case_id, match.arg, NULL, NULL};

    if (!r->user || !*r->user)
        return hab_respond_error(r, hab_err_forbidden(r->pool, "You are not signed in."));

    hab_err_t *err = NULL;
    if (match.route->flags & HAB_ROUTE_AUDITED) {
        err = hab_request_store(r, &ctx.store);
        if (err) return hab_respond_error(r, err);
    }
    err = hab_request_roles(r, dc, &ctx.roles);
    if (err) return refuse(r, &ctx, &in, err);
    if (!ctx.roles)
        return refuse(r, &ctx, &in, hab_err_forbidden(r->pool, "You have no role in this service."));
    err = check_envelope(r, &ctx, match.route, &in);
    if (err) return refuse(r, &ctx, &in, err);

    hab_result_t result;
    err = hab_service_run(&ctx, &in, &result);
    if (err) return hab_respond_error(r, err);
    if (result.html) return hab_respond_html(r, result.status, result.html);
    return hab_respond_json(r, result.status, result.body);
}
