/* multipart/form-data read as it arrives (include/habitual/multipart.h).
 * What is held: the bytes not yet handed on, at most one piece fed plus
 * the boundary's length, or a part's headers (at most 8 KiB). */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "habitual/web/multipart.h"

#define HEADERS_MAX 8192

enum state { PREAMBLE, AFTER_BOUNDARY, HEADERS, BODY, DONE };

struct hab_multipart {
    apr_pool_t *p;
    const hab_multipart_sink_t *sink;
    const char *delim;          /* CRLF "--" boundary */
    apr_size_t delim_len;
    enum state state;
    char *buf;
    apr_size_t len, cap;
};

static hab_err_t *bad(apr_pool_t *p, const char *why)
{
    return hab_err_bad_request(p, NULL,
                               "The form's body is not well-formed multipart/form-data: %s.", why);
}

/* A parameter of a header value: name="value" or name=token. */
static const char *header_param(apr_pool_t *p, const char *value, const char *param)
{
    size_t n = strlen(param);
    for (const char *s = value; (s = strchr(s, ';'));) {
        s++;
        while (*s == ' ' || *s == '\t') s++;
        if (strncasecmp(s, param, n) != 0 || s[n] != '=') continue;
        s += n + 1;
        if (*s != '"') return apr_pstrndup(p, s, strcspn(s, "; \t"));
        char *out = apr_palloc(p, strlen(s)), *o = out;
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && s[1]) s++;
            *o++ = *s;
        }
        *o = '\0';
        return out;
    }
    return NULL;
}

hab_err_t *hab_multipart_new(apr_pool_t *p, const char *content_type,
                             const hab_multipart_sink_t *sink, hab_multipart_t **out)
{
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0)
        return hab_err_make(p, 415, "unsupported-media-type",
                            "Send the form with its file as multipart/form-data.");
    const char *boundary = header_param(p, content_type, "boundary");
    size_t n = boundary ? strlen(boundary) : 0;
    if (n < 1 || n > 70) return bad(p, "no usable boundary");
    hab_multipart_t *m = apr_pcalloc(p, sizeof(*m));
    m->p = p;
    m->sink = sink;
    m->delim = apr_pstrcat(p, "\r\n--", boundary, NULL);
    m->delim_len = n + 4;
    m->cap = 64 * 1024;
    m->buf = apr_palloc(p, m->cap);
    /* the first boundary has no line break before it: give it one */
    memcpy(m->buf, "\r\n", 2);
    m->len = 2;
    *out = m;
    return NULL;
}

static const char *find(const char *hay, apr_size_t len, const char *needle, apr_size_t n)
{
    for (apr_size_t i = 0; n <= len && i <= len - n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0) return hay + i;
    return NULL;
}

static hab_err_t *part_headers(hab_multipart_t *m, const char *head, apr_size_t len)
{
    char *text = apr_pstrndup(m->p, head, len);
    const char *name = NULL, *filename = NULL;
    char *state;
    for (char *line = apr_strtok(text, "\r\n", &state); line;
         line = apr_strtok(NULL, "\r\n", &state)) {
        if (strncasecmp(line, "Content-Disposition:", 20) != 0) continue;
        if (!strstr(line, "form-data")) return bad(m->p, "a part that is not form-data");
        name = header_param(m->p, line + 20, "name");
        filename = header_param(m->p, line + 20, "filename");
    }
    if (!name) return bad(m->p, "a part without a name");
    return m->sink->begin(m->sink->baton, name, filename);
}

/* One step of the machine; *progress when it consumed anything. */
static hab_err_t *step(hab_multipart_t *m, apr_size_t *used)
{
    const char *hit;
    *used = 0;
    switch (m->state) {
    case PREAMBLE:
        if ((hit = find(m->buf, m->len, m->delim, m->delim_len))) {
            *used = (apr_size_t)(hit - m->buf) + m->delim_len;
            m->state = AFTER_BOUNDARY;
        } else if (m->len >= m->delim_len) {
            *used = m->len - (m->delim_len - 1); /* the preamble is thrown away */
        }
        return NULL;
    case AFTER_BOUNDARY:
        if (m->len < 2) return NULL;
        if (!memcmp(m->buf, "--", 2)) {
            m->state = DONE;
            *used = m->len; /* the epilogue is thrown away */
        } else if (!memcmp(m->buf, "\r\n", 2)) {
            m->state = HEADERS;
            *used = 2;
        } else {
            return bad(m->p, "text after a boundary");
        }
        return NULL;
    case HEADERS:
        if ((hit = find(m->buf, m->len, "\r\n\r\n", 4))) {
            hab_err_t *e = part_headers(m, m->buf, (apr_size_t)(hit - m->buf));
            if (e) return e;
            *used = (apr_size_t)(hit - m->buf) + 4;
            m->state = BODY;
        } else if (m->len > HEADERS_MAX) {
            return bad(m->p, "a part's headers are too long");
        }
        return NULL;
    case BODY: {
        hab_err_t *e = NULL;
        if ((hit = find(m->buf, m->len, m->delim, m->delim_len))) {
            apr_size_t n = (apr_size_t)(hit - m->buf);
            if ((n && (e = m->sink->data(m->sink->baton, m->buf, n))) ||
                (e = m->sink->end(m->sink->baton)))
                return e;
            *used = n + m->delim_len;
            m->state = AFTER_BOUNDARY;
        } else if (m->len >= m->delim_len) {
            /* all but what could still be the start of the boundary */
            apr_size_t n = m->len - (m->delim_len - 1);
            if ((e = m->sink->data(m->sink->baton, m->buf, n))) return e;
            *used = n;
        }
        return NULL;
    }
    case DONE:
        *used = m->len;
        return NULL;
    }
    return NULL;
}

hab_err_t *hab_multipart_feed(hab_multipart_t *m, const char *bytes, apr_size_t len)
{
    if (m->len + len > m->cap) {
        apr_size_t cap = m->cap;
        while (cap < m->len + len) cap *= 2;
        char *grown = apr_palloc(m->p, cap); /* once per larger piece: the pool keeps the old one */
        memcpy(grown, m->buf, m->len);
        m->buf = grown;
        m->cap = cap;
    }
    memcpy(m->buf + m->len, bytes, len);
    m->len += len;
    for (;;) {
        apr_size_t used;
        hab_err_t *e = step(m, &used);
        if (e) return e;
        if (!used) break;
        memmove(m->buf, m->buf + used, m->len - used);
        m->len -= used;
    }
    return NULL;
}

hab_err_t *hab_multipart_finish(hab_multipart_t *m)
{
    return m->state == DONE ? NULL : bad(m->p, "it ended before its closing boundary");
}
