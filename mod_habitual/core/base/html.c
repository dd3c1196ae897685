#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "habitual/base/html.h"

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

/* ---- the text of an HTML fragment (hab_html_to_text) ---- */

static int tag_is(const char *name, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == n && !strncasecmp(name, *list, n)) return 1;
    return 0;
}

/* The character an entity at s ("&...;") stands for, into buf; its length
 * in s, or 0 when it is not one we know (then the '&' is kept as text). */
static size_t entity(const char *s, char *buf)
{
    static const char *const named[][2] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"},
                                           {"&quot;", "\""}, {"&#39;", "'"}, {"&apos;", "'"},
                                           {"&nbsp;", " "}, {NULL, NULL}};
    for (int i = 0; named[i][0]; i++) {
        size_t n = strlen(named[i][0]);
        if (!strncmp(s, named[i][0], n)) {
            strcpy(buf, named[i][1]);
            return n;
        }
    }
    if (s[1] != '#') return 0;
    int hex = s[2] == 'x' || s[2] == 'X';
    char *end;
    unsigned long cp = strtoul(s + 2 + hex, &end, hex ? 16 : 10);
    if (end == s + 2 + hex || *end != ';' || end - s > 12) return 0;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
        cp = '?';
    unsigned char *b = (unsigned char *)buf;
    if (cp < 0x80) { b[0] = (unsigned char)cp; b[1] = 0;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        b[2] = 0;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f)); b[3] = 0;
    } else {
        b[0] = (unsigned char)(0xf0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        b[4] = 0;
    }
    return (size_t)(end - s) + 1;
}

const char *hab_html_to_text(apr_pool_t *p, const char *html)
{
    static const char *const blocks[] = {
        "p",  "br",     "div",    "section", "article",    "h1",  "h2",    "h3", "h4",
        "h5", "h6",     "li",     "ul",      "ol",         "tr",  "table", "dl", "dt",
        "dd", "header", "footer", "main",    "blockquote", "pre", "hr",    NULL};
    static const char *const hidden[] = {"script", "style", "template", "title", "head", NULL};
    if (!html) return "";
    size_t len = strlen(html);
    char *out = apr_palloc(p, len + 2), *o = out; /* the text is never longer (+ a final newline) */
    const char *c = html;
    while (*c) {
        if (*c == '<') {
            const char *name = c + 1 + (c[1] == '/');
            size_t n =
                strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
            if (!n && c[1] != '/' && c[1] != '!' && c[1] != '?') { /* a lone '<' is text */
                *o++ = *c++;
                continue;
            }
            const char *close = strchr(c, '>');
            if (!close) break; /* an unfinished tag: the rest is dropped */
            int closing = c[1] == '/';
            if (!closing && n && tag_is(name, n, hidden)) {
                /* skip to the matching end tag, or to the end */
                const char *at = close + 1, *end = NULL;
                for (; *at; at++)
                    if (at[0] == '<' && at[1] == '/' && !strncasecmp(at + 2, name, n)) {
                        end = strchr(at, '>');
                        break;
                    }
                c = end ? end + 1 : html + len;
                continue;
            }
            if (n && tag_is(name, n, blocks) && o > out && o[-1] != '\n') *o++ = '\n';
            c = close + 1;
        } else if (*c == '&') {
            char buf[8];
            size_t used = entity(c, buf);
            size_t blen = used ? strlen(buf) : 0;
            if (used && blen <= used) { /* never longer than what it replaces */
                memcpy(o, buf, blen);
                o += blen;
                c += used;
            } else {
                *o++ = *c++;
            }
        } else if (*c == '\n' || *c == '\r') {
            if (o > out && o[-1] != '\n' && o[-1] != ' ') *o++ = ' ';
            c++;
        } else {
            *o++ = *c++;
        }
    }
    while (o > out && (o[-1] == '\n' || o[-1] == ' ')) o--;
    *o = '\0';
    return out;
}
