/* Escaping for HTML output: & < > " ' all become entities, so text is safe
 * in element content and in (double- or single-quoted) attributes. */
#ifndef HABITUAL_HTML_H
#define HABITUAL_HTML_H

#include <apr_pools.h>

const char *hab_html_escape(apr_pool_t *p, const char *s);

/* The text of an HTML fragment that is not to be trusted as markup (a stored
 * letter shown outside the module's own pages): tags dropped (script, style,
 * template, title and head with their content), a line break where a block
 * ends, the usual entities and numeric references decoded (control
 * characters among them as '?').  The result is plain text: escape it again
 * (hab_html_escape) to put it in HTML. */
const char *hab_html_to_text(apr_pool_t *p, const char *html);

#endif
