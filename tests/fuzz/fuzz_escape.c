/* HTML output: every page and letter puts request text through
 * hab_html_escape, so its output must be inert in element content and in
 * single- or double-quoted attributes, and must lose nothing. */
#include "fuzz_common.h"
#include "habitual/base/html.h"

static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
static const char specials[] = "&<>\"'";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *in = fuzz_cstr(p, data, size);  /* callers pass C strings */
    const char *out = hab_html_escape(p, in);
    FUZZ_CHECK(out, "NULL for '%s'", in);

    /* Walk the output, undoing each entity; it must give back the input. */
    const char *i = in;
    for (const char *o = out; *o; i++) {
        FUZZ_CHECK(!strchr("<>\"'", *o), "raw '%c' in the output", *o);
        if (*o == '&') {
            size_t k = 0;
            while (k < 5 && strncmp(o, entities[k], strlen(entities[k])) != 0) k++;
            FUZZ_CHECK(k < 5, "'&' starts no entity we emit: %.8s", o);
            FUZZ_CHECK(*i == specials[k], "%s stands for '%c'", entities[k], *i);
            o += strlen(entities[k]);
        } else {
            FUZZ_CHECK(*i == *o, "byte %zu changed", (size_t)(i - in));
            o++;
        }
    }
    FUZZ_CHECK(*i == '\0', "output stops before the input does");
    apr_pool_destroy(p);
    return 0;
}
