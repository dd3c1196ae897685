/* The router sees every request path below the mount point before any
 * role check, so it must never crash, and what it captures must be what
 * the steps rely on: a positive case id for {id} routes, an argument for
 * {n} and {arg} routes, and nothing for the others.
 * Input: "METHOD\npath"; with no newline, the whole input is a GET path. */
#include <apr_strings.h>

#include "fuzz_common.h"
#include "habitual/domain/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *text = fuzz_cstr(p, data, size);
    const char *method = "GET", *path = text;
    char *nl = strchr(text, '\n');
    if (nl) {
        *nl = '\0';
        method = text;
        path = nl + 1;
    }

    hab_route_match_t m;
    hab_route(p, method, path, &m);
    if (m.route) {
        const hab_route_def_t *r = m.route;
        FUZZ_CHECK(m.case_id >= 0, "negative case id %lld", m.case_id);
        FUZZ_CHECK(hab_route_def(r->id) == r, "route %d is not in the table", (int)r->id);
        FUZZ_CHECK(strcmp(r->method, method) == 0, "%s matched a %s route", method, r->method);
        FUZZ_CHECK(!m.allow, "a match also carries Allow: %s", m.allow);
        if (strstr(r->pattern, "{id}"))
            FUZZ_CHECK(m.case_id > 0, "%s matched with case id %lld", r->pattern, m.case_id);
        else
            FUZZ_CHECK(m.case_id == 0, "%s has no {id} but case id %lld", r->pattern, m.case_id);
        if (strstr(r->pattern, "{arg}") || strstr(r->pattern, "{n}")) {
            FUZZ_CHECK(m.arg && *m.arg && !strchr(m.arg, '/'),
                       "%s matched with argument '%s'", r->pattern, m.arg ? m.arg : "(null)");
        } else {
            FUZZ_CHECK(!m.arg, "%s has no argument but got '%s'", r->pattern, m.arg);
        }
        /* Every literal route is one of the API's paths, so a match that
         * is not a pattern route must be the exact pattern. */
        if (!strchr(r->pattern, '{'))
            FUZZ_CHECK(strcmp(r->pattern, path) == 0, "'%s' matched %s", path, r->pattern);
    } else {
        FUZZ_CHECK(m.case_id == 0 && !m.arg, "no route, yet captures");
        FUZZ_CHECK(!m.allow || *m.allow, "an empty Allow");
    }
    apr_pool_destroy(p);
    return 0;
}
