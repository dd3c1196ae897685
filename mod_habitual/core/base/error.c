#include <stdarg.h>

#include <apr_strings.h>

#include "habitual/base/error.h"

static hab_err_t *err_vmake(apr_pool_t *p, int status, const char *code,
                            const char *field, const char *fmt, va_list ap)
{
    hab_err_t *e = apr_pcalloc(p, sizeof(*e));
    e->status = status;
    e->code = code;
    e->field = field;
    e->message = apr_pvsprintf(p, fmt, ap);
    return e;
}

hab_err_t *hab_err_make(apr_pool_t *p, int status, const char *code,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hab_err_t *e = err_vmake(p, status, code, NULL, fmt, ap);
    va_end(ap);
    return e;
}

hab_err_t *hab_err_field(apr_pool_t *p, int status, const char *code,
                         const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hab_err_t *e = err_vmake(p, status, code, field, fmt, ap);
    va_end(ap);
    return e;
}

hab_err_t *hab_err_bad_request(apr_pool_t *p, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hab_err_t *e = err_vmake(p, 400, "bad-request", field, fmt, ap);
    va_end(ap);
    return e;
}

const char *hab_err_cause_note(apr_pool_t *p, const hab_err_t *e)
{
    return e->cause ? apr_pstrcat(p, " [", e->cause, "]", NULL) : "";
}

hab_err_t *hab_err_copy(apr_pool_t *p, const hab_err_t *e)
{
    hab_err_t *c = apr_pmemdup(p, e, sizeof(*e));
    c->code = apr_pstrdup(p, e->code);
    c->message = apr_pstrdup(p, e->message);
    c->field = e->field ? apr_pstrdup(p, e->field) : NULL;
    c->rule = e->rule ? apr_pstrdup(p, e->rule) : NULL;
    c->cause = e->cause ? apr_pstrdup(p, e->cause) : NULL;
    return c;
}

/* One message for "does not exist" and "you may not see it": README "Need to know". */
hab_err_t *hab_err_not_found(apr_pool_t *p)
{
    return hab_err_make(p, 404, "not-found", "There is nothing here.");
}

hab_err_t *hab_err_forbidden(apr_pool_t *p, const char *message)
{
    return hab_err_make(p, 403, "forbidden", "%s", message);
}

hab_err_t *hab_err_unavailable(apr_pool_t *p, const char *message)
{
    return hab_err_make(p, 503, "unavailable", "%s", message);
}

hab_err_t *hab_err_internal(apr_pool_t *p, const char *message)
{
    return hab_err_make(p, 500, "internal", "%s", message);
}

hab_err_t *hab_err_wrong_state(apr_pool_t *p, const char *status_now)
{
    return hab_err_make(p, 409, "wrong-state",
                        "This step cannot be taken while the case is %s.",
                        status_now);
}
