/* Escaping for HTML output: & < > " ' all become entities, so text is safe
 * in element content and in (double- or single-quoted) attributes. */
#ifndef HABITUAL_HTML_H
#define HABITUAL_HTML_H

#include <apr_pools.h>

const char *hab_html_escape(apr_pool_t *p, const char *s);

#endif
