#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/ldap_text.h"

/* RFC 4515: the specials must be escaped; we also escape every byte that
 * is not printable ASCII, which is allowed and keeps filters log-safe. */
static int needs_escape(unsigned char c)
{
    return c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 || c >= 0x7f;
}

const char *hab_ldap_escape_value(apr_pool_t *p, const char *value, apr_size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *out = apr_palloc(p, len * 3 + 1);
    char *o = out;
    for (apr_size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (needs_escape(c)) {
            *o++ = '\\';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0xf];
        } else {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}

const char *hab_ldap_user_filter(apr_pool_t *p, const char *filter,
                                 const char *attribute, const char *user)
{
    const char *escaped = hab_ldap_escape_value(p, user, strlen(user));
    return apr_pstrcat(p, "(&", filter, "(", attribute, "=", escaped, "))", NULL);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* RFC 4516 %XX decoding; NULL when malformed or it would hide a NUL. */
static char *percent_decode(apr_pool_t *p, const char *s, apr_size_t len)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    for (apr_size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            *o++ = s[i];
            continue;
        }
        if (i + 2 >= len) return NULL;
        int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return NULL;
        *o++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    return out;
}

static const char *parse_hosts(apr_pool_t *p, const char *hostpart, hab_ldap_url_t *url)
{
    char *copy = apr_pstrdup(p, hostpart), *state = NULL;
    const char *joined = NULL;
    int count = 0;
    for (char *tok = apr_strtok(copy, " ", &state); tok; tok = apr_strtok(NULL, " ", &state)) {
        char *colon = strrchr(tok, ':');
        int port = url->secure ? 636 : 389;
        if (colon) {
            char *end = NULL;
            long v = strtol(colon + 1, &end, 10);
            if (colon[1] == '\0' || *end != '\0' || v < 1 || v > 65535)
                return "the port after ':' must be a number from 1 to 65535";
            port = (int)v;
            *colon = '\0';
        }
        if (*tok == '\0') return "a host name is empty";
        for (const char *c = tok; *c; c++)
            if (!(isalnum((unsigned char)*c) || *c == '.' || *c == '-' || *c == '_'))
                return "a host name may hold only letters, digits, '.', '-' and '_'";
        if (count == 0) url->port = port;
        joined = joined ? apr_psprintf(p, "%s %s:%d", joined, tok, port)
                        : apr_psprintf(p, "%s:%d", tok, port);
        count++;
    }
    if (count == 0) return "the URL names no host";
    /* util_ldap initialises libldap with the default port and expects each
     * host to carry its own: "h1:p1 h2:p2". */
    url->hosts = joined;
    return NULL;
}

static const char *url_problem(apr_pool_t *p, const char *text, hab_ldap_url_t *url)
{
    memset(url, 0, sizeof(*url));
    url->attribute = "uid";
    url->scope = HAB_LDAP_SCOPE_SUB;
    url->filter = "(objectClass=*)";

    const char *rest;
    if (strncasecmp(text, "ldap://", 7) == 0) rest = text + 7;
    else if (strncasecmp(text, "ldaps://", 8) == 0) { rest = text + 8; url->secure = 1; }
    else return "it must start with ldap:// or ldaps://";

    const char *slash = strchr(rest, '/');
    if (!slash) return "it has no '/' before the base DN";
    const char *err = parse_hosts(p, apr_pstrndup(p, rest, (apr_size_t)(slash - rest)), url);
    if (err) return err;

    char *parts[4] = {NULL, NULL, NULL, NULL};
    char *tail = apr_pstrdup(p, slash + 1);
    for (int i = 0; i < 4; i++) {
        parts[i] = tail;
        char *q = tail ? strchr(tail, '?') : NULL;
        if (q) { *q = '\0'; tail = q + 1; } else tail = NULL;
    }
    if (tail) return "it has more than four '?'-separated parts";

    url->base_dn = percent_decode(p, parts[0], strlen(parts[0]));
    if (!url->base_dn || !*url->base_dn) return "the base DN is empty or badly %-encoded";
    if (parts[1] && *parts[1]) {
        char *comma = strchr(parts[1], ',');
        if (comma) *comma = '\0';   /* like AuthLDAPURL: the first attribute names the user */
        if (!*parts[1]) return "the attribute is empty";
        for (const char *c = parts[1]; *c; c++)
            if (!(isalnum((unsigned char)*c) || *c == '-' || *c == ';'))
                return "the attribute is not an LDAP attribute name";
        url->attribute = parts[1];
    }
    if (parts[2] && *parts[2]) {
        if (!strcasecmp(parts[2], "sub")) url->scope = HAB_LDAP_SCOPE_SUB;
        else if (!strcasecmp(parts[2], "one")) url->scope = HAB_LDAP_SCOPE_ONE;
        else if (!strcasecmp(parts[2], "base")) url->scope = HAB_LDAP_SCOPE_BASE;
        else return "the scope must be base, one or sub";
    }
    if (parts[3] && *parts[3]) {
        char *f = percent_decode(p, parts[3], strlen(parts[3]));
        if (!f) return "the filter is badly %-encoded";
        if (f[0] != '(') f = apr_pstrcat(p, "(", f, ")", NULL);
        int depth = 0;
        for (const char *c = f; *c; c++) {
            if (*c == '(') depth++;
            else if (*c == ')' && --depth < 0) break;
        }
        if (depth != 0) return "the filter's parentheses do not balance";
        if (strstr(f, "()")) return "the filter has an empty part ()";
        url->filter = f;
    }
    return NULL;
}

hab_err_t *hab_ldap_url_parse(apr_pool_t *p, const char *text, hab_ldap_url_t *url)
{
    const char *problem = url_problem(p, text, url);
    return problem ? hab_err_make(p, 500, "bad-config", "%s", problem) : NULL;
}
