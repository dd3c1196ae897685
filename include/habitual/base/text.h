/* Plain text for a terminal, a log line or a mail: what a user typed must
 * not reach a terminal as an escape sequence (README, "Security: what the
 * outputs guarantee"). */
#ifndef HABITUAL_TEXT_H
#define HABITUAL_TEXT_H

#include <apr_pools.h>

/* s with every control character replaced by '?': C0 controls (ESC, CR,
 * BEL, ...) but TAB, and LF when keep_newlines; DEL; C1 controls (U+0080 to
 * U+009F); the bidirectional overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069), which make text display as something else; and each byte
 * that is not part of valid UTF-8.  NULL gives "".  s itself when clean. */
const char *hab_text_clean(apr_pool_t *p, const char *s, int keep_newlines);

#endif
