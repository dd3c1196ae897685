#include <string.h>

#include <apr_strings.h>

#include "habitual/html.h"

const char *hab_html_escape(apr_pool_t *p, const char *s)
{
    if (!s) return "";
    size_t extra = 0;
    for (const char *c = s; *c; c++) {
        switch (*c) {
        case '&': extra += 4; break;
        case '<': case '>': extra += 3; break;
        case '"': case '\'': extra += 5; break;
        default: break;
        }
    }
    if (!extra) return s;
    char *out = apr_palloc(p, strlen(s) + extra + 1), *o = out;
    for (const char *c = s; *c; c++) {
        const char *rep = NULL;
        switch (*c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: *o++ = *c; continue;
        }
        size_t n = strlen(rep);
        memcpy(o, rep, n);
        o += n;
    }
    *o = '\0';
    return out;
}
