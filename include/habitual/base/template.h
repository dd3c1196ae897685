/* Templates filled with escaping by default: the pages' and the letters'
 * (mod_habitual/templates and templates/letters), embedded at build time. */
#ifndef HABITUAL_TEMPLATE_H
#define HABITUAL_TEMPLATE_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Fill template: {{key}} is replaced by the value HTML-escaped, {{{key}}}
 * by the value as it is (markup we built).  Arguments are key, value pairs
 * ending with NULL; a missing or NULL value is empty. */
const char *hab_tpl(apr_pool_t *p, const char *tpl, ...) __attribute__((sentinel));

/* A growing piece of HTML. */
typedef struct hab_html {
    apr_pool_t *p;
    apr_array_header_t *parts;
} hab_html_t;

hab_html_t *hab_html_new(apr_pool_t *p);
void hab_html_add(hab_html_t *h, const char *markup);           /* trusted markup */
void hab_html_tpl(hab_html_t *h, const char *tpl, ...) __attribute__((sentinel));
const char *hab_html_str(const hab_html_t *h);

#endif
