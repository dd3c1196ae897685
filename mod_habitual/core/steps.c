/* Which core function answers which route. */
#include "steps.h"

static hab_err_t *step_me(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    (void)in;
    json_t *roles = json_array();
    for (unsigned i = 0; i < HAB_ROLE_COUNT; i++)
        if (ctx->roles & hab_role_bit(i)) json_array_append_new(roles, json_string(hab_role_name(i)));
    out->status = 200;
    const char *token = hab_csrf_token(ctx->p, ctx->secret, ctx->user, ctx->now_seconds);
    out->body = hab_json_own(ctx->p, json_pack("{s:s, s:o, s:s}", "user", ctx->user,
                                               "roles", roles, "csrf_token", token));
    return NULL;
}

hab_step_fn hab_step_for(hab_route_id_t route)
{
    switch (route) {
    case HAB_ROUTE_ME: return step_me;
    default: return NULL;
    }
}
