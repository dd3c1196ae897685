/* What an evidence file is, by its first bytes (README "Evidence"): pure,
 * so the fuzz suite runs it on anything. */
#include <string.h>
#include <strings.h>

#include "habitual/domain/evidence.h"

static int starts(const unsigned char *h, apr_size_t len, apr_size_t at, const char *magic,
                  apr_size_t n)
{
    return len >= at + n && memcmp(h + at, magic, n) == 0;
}

/* UTF-8 with no control character but tab, newline, CR and form feed. */
static int plain_utf8(const unsigned char *s, apr_size_t len)
{
    for (apr_size_t i = 0; i < len;) {
        unsigned char c = s[i];
        apr_size_t n = c < 0x80             ? 1
                       : (c & 0xE0) == 0xC0 ? 2
                       : (c & 0xF0) == 0xE0 ? 3
                       : (c & 0xF8) == 0xF0 ? 4
                                            : 0;
        if (!n || c == 0 || c == 0x7f || (c < 0x20 && !strchr("\t\n\r\f", c)))
            return 0;              /* binary, not text */
        if (i + n > len) return 1; /* cut at the end of the first bytes */
        for (apr_size_t k = 1; k < n; k++)
            if ((s[i + k] & 0xC0) != 0x80) return 0;
        i += n;
    }
    return 1;
}

/* Header lines, then a blank line or the end: an email (.eml). */
static int looks_like_email(const char *t)
{
    static const char *const fields[] = {
        "From:",         "Received:", "Return-Path:", "Message-ID:", "MIME-Version:",
        "Delivered-To:", NULL};
    int known = 0;
    for (const char *line = t; *line && *line != '\r' && *line != '\n';) {
        const char *colon = strchr(line, ':'), *eol = strpbrk(line, "\r\n");
        if (!colon || (eol && colon > eol)) {
            if (*line != ' ' && *line != '\t') return 0; /* neither a field nor its continuation */
        }
        for (int i = 0; fields[i]; i++)
            known |= strncasecmp(line, fields[i], strlen(fields[i])) == 0;
        if (!eol) break;
        line = eol + (eol[0] == '\r' && eol[1] == '\n' ? 2 : 1);
    }
    return known;
}

static int holds_markup(const char *t)
{
    static const char *const tags[] = {"<html", "<script", "<svg",    "<!doctype", "<iframe",
                                       "<body", "<?xml",   "<object", "<embed",    NULL};
    const char *s = t;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    if (*s == '<') return 1;
    for (const char *c = t; *c; c++)
        if (*c == '<')
            for (int i = 0; tags[i]; i++)
                if (strncasecmp(c, tags[i], strlen(tags[i])) == 0) return 1;
    return 0;
}

const char *hab_evidence_type(const unsigned char *h, apr_size_t len)
{
    if (starts(h, len, 0, "%PDF-", 5)) return "application/pdf";
    if (starts(h, len, 0, "\x89PNG\r\n\x1a\n", 8)) return "image/png";
    if (starts(h, len, 0, "\xFF\xD8\xFF", 3)) return "image/jpeg";
    if (starts(h, len, 0, "GIF87a", 6) || starts(h, len, 0, "GIF89a", 6)) return "image/gif";
    if (starts(h, len, 0, "ID3", 3) || (len >= 2 && h[0] == 0xFF && (h[1] & 0xE0) == 0xE0))
        return "audio/mpeg";
    if (starts(h, len, 0, "RIFF", 4) && starts(h, len, 8, "WAVE", 4)) return "audio/wav";
    if (starts(h, len, 0, "OggS", 4)) return "audio/ogg";
    if (starts(h, len, 4, "ftypM4A ", 8)) return "audio/mp4";
    if (!len || !plain_utf8(h, len)) return NULL;
    char buf[HAB_UPLOAD_HEAD_BYTES + 1];
    apr_size_t n = len < HAB_UPLOAD_HEAD_BYTES ? len : HAB_UPLOAD_HEAD_BYTES;
    memcpy(buf, h, n);
    buf[n] = '\0';
    const char *t = buf;
    if (!strncmp(t, "\xEF\xBB\xBF", 3)) t += 3; /* a byte-order mark */
    if (looks_like_email(t)) return "message/rfc822";
    if (holds_markup(t)) return NULL;
    return "text/plain; charset=utf-8";
}

