/* The template filler: escape by default, markup only where asked. */
#include <stdarg.h>
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/html.h"
#include "habitual/base/template.h"

#define MAX_TPL_ARGS 24

static const char *lookup(const char *const *keys, const char *const *vals, int n,
                          const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(keys[i]) == len && strncmp(keys[i], name, len) == 0) return vals[i];
    return NULL;
}

static const char *tpl_fill(apr_pool_t *p, const char *tpl, va_list ap)
{
    const char *keys[MAX_TPL_ARGS], *vals[MAX_TPL_ARGS];
    int n = 0;
    const char *k;
    while (n < MAX_TPL_ARGS && (k = va_arg(ap, const char *)) != NULL) {
        keys[n] = k;
        vals[n] = va_arg(ap, const char *);
        n++;
    }
    apr_array_header_t *out = apr_array_make(p, 16, sizeof(const char *));
    const char *s = tpl;
    while (*s) {
        const char *open = strstr(s, "{{");
        if (!open) {
            APR_ARRAY_PUSH(out, const char *) = s;
            break;
        }
        APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(p, s, (apr_size_t)(open - s));
        int raw = open[2] == '{';
        const char *name = open + (raw ? 3 : 2);
        const char *close = strstr(name, raw ? "}}}" : "}}");
        if (!close) { /* not a placeholder after all */
            APR_ARRAY_PUSH(out, const char *) = open;
            break;
        }
        const char *v = lookup(keys, vals, n, name, (size_t)(close - name));
        APR_ARRAY_PUSH(out, const char *) = raw ? (v ? v : "") : hab_html_escape(p, v);
        s = close + (raw ? 3 : 2);
    }
    return apr_array_pstrcat(p, out, 0);
}

const char *hab_tpl(apr_pool_t *p, const char *tpl, ...)
{
    va_list ap;
    va_start(ap, tpl);
    const char *out = tpl_fill(p, tpl, ap);
    va_end(ap);
    return out;
}

hab_html_t *hab_html_new(apr_pool_t *p)
{
    hab_html_t *h = apr_palloc(p, sizeof(*h));
    h->p = p;
    h->parts = apr_array_make(p, 32, sizeof(const char *));
    return h;
}

void hab_html_add(hab_html_t *h, const char *markup)
{
    if (markup) APR_ARRAY_PUSH(h->parts, const char *) = markup;
}

void hab_html_tpl(hab_html_t *h, const char *tpl, ...)
{
    va_list ap;
    va_start(ap, tpl);
    APR_ARRAY_PUSH(h->parts, const char *) = tpl_fill(h->p, tpl, ap);
    va_end(ap);
}

const char *hab_html_str(const hab_html_t *h)
{
    return apr_array_pstrcat(h->p, h->parts, 0);
}
