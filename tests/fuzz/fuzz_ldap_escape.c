/* LDAP text: the user name comes from single sign-on and lands inside a
 * search filter, so its escaping is the injection barrier (README "Roles");
 * the URL comes from configuration but is parsed by our own code. */
#include <ctype.h>

#include <apr_strings.h>

#include "fuzz_common.h"
#include "habitual/base/ldap_text.h"

static int lower_hex(char c)
{
    return (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* An escaped value is safe inside "(attr=...)": printable ASCII only, no
 * '*', '(' or ')', and every '\' starts a \XX escape.  Decoding it must
 * give back the original bytes (len of them), so nothing was lost. */
static void check_escaped(const char *esc, const uint8_t *orig, size_t len)
{
    size_t n = 0;
    for (const char *c = esc; *c; c++, n++) {
        FUZZ_CHECK(*c >= 0x20 && *c <= 0x7e, "non-printable byte 0x%02x in %s",
                   (unsigned char)*c, esc);
        FUZZ_CHECK(*c != '*' && *c != '(' && *c != ')', "unescaped special in %s", esc);
        int byte = (unsigned char)*c;
        if (*c == '\\') {
            int hi = lower_hex(c[1]), lo = hi < 0 ? -1 : lower_hex(c[2]);
            FUZZ_CHECK(hi >= 0 && lo >= 0, "'\\' not followed by two lower-case hex digits in %s",
                       esc);
            byte = hi * 16 + lo;
            c += 2;
        }
        FUZZ_CHECK(n < len && byte == orig[n], "escaping changed byte %zu of the value", n);
    }
    FUZZ_CHECK(n == len, "escaping lost bytes: %zu of %zu", n, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();

    /* Raw bytes, embedded NULs included. */
    check_escaped(hab_ldap_escape_value(p, (const char *)data, size), data, size);

    /* The user name as the glue passes it: a C string. */
    const char *user = fuzz_cstr(p, data, size);
    static const char prefix[] = "(&(objectClass=person)(uid=";
    const char *filter = hab_ldap_user_filter(p, "(objectClass=person)", "uid", user);
    size_t flen = strlen(filter), plen = sizeof(prefix) - 1;
    FUZZ_CHECK(flen >= plen + 2 && strncmp(filter, prefix, plen) == 0 &&
               strcmp(filter + flen - 2, "))") == 0, "filter has the wrong shape: %s", filter);
    char *value = apr_pstrmemdup(p, filter + plen, flen - plen - 2);
    check_escaped(value, (const uint8_t *)user, strlen(user));

    /* The URL: whatever is accepted must be usable as util_ldap is given it. */
    hab_ldap_url_t url;
    hab_err_t *why = hab_ldap_url_parse(p, user, &url);
    if (!why) {
        FUZZ_CHECK(url.hosts && *url.hosts, "accepted a URL with no hosts");
        FUZZ_CHECK(url.port >= 1 && url.port <= 65535, "port %d out of range", url.port);
        FUZZ_CHECK(url.base_dn && *url.base_dn, "accepted an empty base DN");
        FUZZ_CHECK(url.scope == HAB_LDAP_SCOPE_BASE || url.scope == HAB_LDAP_SCOPE_ONE ||
                   url.scope == HAB_LDAP_SCOPE_SUB, "scope %d", (int)url.scope);
        /* The attribute is pasted into "(attr=value)": it must be a name. */
        FUZZ_CHECK(url.attribute && *url.attribute, "accepted an empty attribute: %s", user);
        for (const char *c = url.attribute; *c; c++)
            FUZZ_CHECK(isalnum((unsigned char)*c) || *c == '-' || *c == ';',
                       "attribute holds 0x%02x", (unsigned char)*c);
        /* The filter is pasted into "(&FILTER(...))": it must open with
         * '(' and its parentheses balance ("(a)(b)" is fine there). */
        int depth = 0;
        const char *f = url.filter;
        FUZZ_CHECK(f && f[0] == '(', "filter does not start with '('");
        for (const char *c = f; *c; c++) {
            if (*c == '(') depth++;
            else if (*c == ')') depth--;
            FUZZ_CHECK(depth >= 0, "filter closes more than it opens: %s", f);
        }
        FUZZ_CHECK(depth == 0, "filter does not balance: %s", f);
    } else {
        FUZZ_CHECK(why->message && *why->message, "an empty error message");
    }
    apr_pool_destroy(p);
    return 0;
}
