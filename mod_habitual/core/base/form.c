#include <string.h>

#include <apr_strings.h>

#include "habitual/base/form.h"
#include "habitual/base/json_io.h"

#define FORM_MAX_PAIRS 200

int hab_utf8_valid(const char *str, apr_size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    apr_size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        apr_size_t n;
        unsigned int cp;
        if (c == 0) return 0;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
        else return 0;
        if (i + n >= len) return 0;
        for (apr_size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

const char *hab_utf8_prefix(apr_pool_t *p, const char *s, apr_size_t max)
{
    apr_size_t len = strlen(s);
    if (len <= max) return s;
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80) max--;
    return apr_pstrndup(p, s, max);
}

const char *hab_url_escape(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            *c == '-' || *c == '_' || *c == '.' || *c == '~') {
            *o++ = (char)*c;
        } else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 0xf];
        }
    }
    *o = '\0';
    return out;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode one name or value; NULL when malformed. */
static char *decode(apr_pool_t *p, const char *s, apr_size_t len)
{
    char *out = apr_palloc(p, len + 1);
    apr_size_t o = 0;
    for (apr_size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= len) return NULL;
            int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0) return NULL;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return hab_utf8_valid(out, o) ? out : NULL;
}

hab_err_t *hab_form_parse(apr_pool_t *p, const char *text, apr_size_t len,
                          apr_array_header_t **pairs)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(hab_form_pair_t));
    apr_size_t start = 0;
    while (start <= len && len > 0) {
        const char *amp = memchr(text + start, '&', len - start);
        apr_size_t end = amp ? (apr_size_t)(amp - text) : len;
        if (end > start) {
            const char *eq = memchr(text + start, '=', end - start);
            apr_size_t name_end = eq ? (apr_size_t)(eq - text) : end;
            hab_form_pair_t *pair = &APR_ARRAY_PUSH(out, hab_form_pair_t);
            pair->name = decode(p, text + start, name_end - start);
            pair->value = eq ? decode(p, eq + 1, end - name_end - 1) : "";
            if (!pair->name || !pair->value || !*pair->name)
                return hab_err_bad_request(p, NULL, "The form data is malformed "
                                           "(a bad %%-escape, a NUL byte or invalid UTF-8).");
            if (out->nelts > FORM_MAX_PAIRS)
                return hab_err_bad_request(p, NULL, "The form has too many fields.");
        }
        if (!amp) break;
        start = end + 1;
    }
    *pairs = out;
    return NULL;
}

hab_err_t *hab_query_parse(apr_pool_t *p, const char *args, json_t **out)
{
    apr_array_header_t *pairs;
    json_t *obj = hab_json_own(p, json_object());
    *out = obj;
    if (!args) return NULL;
    hab_err_t *err = hab_form_parse(p, args, strlen(args), &pairs);
    if (err) return err;
    for (int i = 0; i < pairs->nelts; i++) {
        hab_form_pair_t *pair = &APR_ARRAY_IDX(pairs, i, hab_form_pair_t);
        if (json_object_get(obj, pair->name))
            return hab_err_bad_request(p, pair->name, "The parameter '%s' is given twice.",
                                       pair->name);
        json_object_set_new(obj, pair->name, json_string(pair->value));
    }
    return NULL;
}
