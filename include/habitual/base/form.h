/* application/x-www-form-urlencoded, parsed strictly: query strings and
 * page forms.  (httpd's ap_parse_form_data silently drops bodies of any
 * other type and keeps NULs and duplicates, so we parse ourselves.) */
#ifndef HABITUAL_FORM_H
#define HABITUAL_FORM_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "habitual/base/error.h"

typedef struct hab_form_pair {
    const char *name;
    const char *value;
} hab_form_pair_t;

/* Pairs in order; 400 on bad %-escapes, NUL or invalid UTF-8. */
hab_err_t *hab_form_parse(apr_pool_t *p, const char *text, apr_size_t len,
                          apr_array_header_t **pairs);

/* A query string as a JSON object of strings; a name given twice is 400. */
hab_err_t *hab_query_parse(apr_pool_t *p, const char *args, json_t **out);

/* At most max bytes of s, cut at a character boundary (s is valid UTF-8). */
const char *hab_utf8_prefix(apr_pool_t *p, const char *s, apr_size_t max);

/* %-encode a value for a query string. */
const char *hab_url_escape(apr_pool_t *p, const char *s);

/* Is s (len bytes) well-formed UTF-8 with no NUL? */
int hab_utf8_valid(const char *s, apr_size_t len);

#endif
