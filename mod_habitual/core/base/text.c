/* Plain text made safe for terminals (include/habitual/text.h). */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/text.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static int utf8_len(const unsigned char *s)
{
    int n;
    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef) n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) n = 4;
    else return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    /* overlong, surrogates, above U+10FFFF */
    if (n == 3 && s[0] == 0xe0 && s[1] < 0xa0) return 0;
    if (n == 3 && s[0] == 0xed && s[1] >= 0xa0) return 0;
    if (n == 4 && s[0] == 0xf0 && s[1] < 0x90) return 0;
    if (n == 4 && s[0] == 0xf4 && s[1] >= 0x90) return 0;
    return n;
}

/* Is the (valid) sequence at s of length n one to replace? */
static int unwanted(const unsigned char *s, int n, int keep_newlines)
{
    if (n == 1) {
        if (s[0] == '\t' || (s[0] == '\n' && keep_newlines)) return 0;
        return s[0] < 0x20 || s[0] == 0x7f;
    }
    if (n == 2) return s[0] == 0xc2 && s[1] < 0xa0;                 /* C1 */
    if (n == 3 && s[0] == 0xe2 && s[1] == 0x80) return s[2] >= 0xaa && s[2] <= 0xae;
    if (n == 3 && s[0] == 0xe2 && s[1] == 0x81) return s[2] >= 0xa6 && s[2] <= 0xa9;
    return 0;
}

const char *hab_text_clean(apr_pool_t *p, const char *s, int keep_newlines)
{
    if (!s) return "";
    const unsigned char *c = (const unsigned char *)s;
    char *out = NULL, *o = NULL;
    while (*c) {
        int n = utf8_len(c);
        int bad = !n || unwanted(c, n, keep_newlines);
        if (bad && !out) { /* first change: copy what came before */
            out = apr_palloc(p, strlen(s) + 1);
            size_t before = (size_t)((const char *)c - s);
            memcpy(out, s, before);
            o = out + before;
        }
        if (bad) {
            *o++ = '?';
            c += n ? n : 1;
        } else {
            if (out) memcpy(o, c, (size_t)n), o += n;
            c += n;
        }
    }
    if (!out) return s;
    *o = '\0';
    return out;
}
