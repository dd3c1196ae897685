/* The shared CSV writer (include/habitual/csv.h). */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/csv.h"

int hab_csv_needs_quote_mark(const char *v)
{
    return v && *v && strchr("=+-@\t\r'", *v) != NULL;
}

const char *hab_csv_text(apr_pool_t *p, const char *v)
{
    if (!v) return "\"\"";
    size_t quotes = 0;
    for (const char *c = v; *c; c++) quotes += *c == '"';
    int mark = hab_csv_needs_quote_mark(v);
    char *out = apr_palloc(p, strlen(v) + quotes + (size_t)mark + 3), *o = out;
    *o++ = '"';
    if (mark) *o++ = '\'';
    for (const char *c = v; *c; c++) {
        if (*c == '"') *o++ = '"';
        *o++ = *c;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

const char *hab_csv_int(apr_pool_t *p, long long n)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)n);
}

hab_csv_row_t *hab_csv_row(apr_pool_t *p)
{
    hab_csv_row_t *r = apr_palloc(p, sizeof(*r));
    r->p = p;
    r->cells = apr_array_make(p, 16, sizeof(const char *));
    return r;
}

void hab_csv_add_text(hab_csv_row_t *r, const char *v)
{
    APR_ARRAY_PUSH(r->cells, const char *) = hab_csv_text(r->p, v);
}

void hab_csv_add_int(hab_csv_row_t *r, long long n)
{
    APR_ARRAY_PUSH(r->cells, const char *) = hab_csv_int(r->p, n);
}

const char *hab_csv_row_end(const hab_csv_row_t *r)
{
    return apr_pstrcat(r->p, apr_array_pstrcat(r->p, r->cells, ','), "\r\n", NULL);
}

const char *hab_csv_line(apr_pool_t *p, const char *const *texts)
{
    hab_csv_row_t *r = hab_csv_row(p);
    for (int i = 0; texts[i]; i++) hab_csv_add_text(r, texts[i]);
    return hab_csv_row_end(r);
}
