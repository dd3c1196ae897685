/* What habitual-admin and the exports print: the CSV writer's
 * cell is one quoted cell that gives the value back once its ' is dropped
 * and never starts a formula; cleaned text holds no control character and
 * is valid UTF-8; a stored letter's text, escaped again, holds no markup. */
#include "fuzz_common.h"
#include "habitual/base/csv.h"
#include "habitual/base/html.h"
#include "habitual/base/text.h"

static void check_csv(apr_pool_t *p, const char *in)
{
    const char *cell = hab_csv_text(p, in);
    size_t n = strlen(cell);
    FUZZ_CHECK(n >= 2 && cell[0] == '"' && cell[n - 1] == '"', "not one quoted cell: %s", cell);
    /* unquote: "" inside is one quote, a lone quote would end the cell early */
    char *value = apr_palloc(p, n), *v = value;
    for (size_t i = 1; i < n - 1; i++) {
        if (cell[i] == '"') {
            FUZZ_CHECK(cell[i + 1] == '"' && i + 1 < n - 1, "a lone quote inside the cell");
            i++;
        }
        *v++ = cell[i];
    }
    *v = '\0';
    FUZZ_CHECK(!*value || !strchr("=+-@\t\r", *value), "the cell starts a formula: %s", value);
    const char *back = value[0] == '\'' ? value + 1 : value;
    FUZZ_CHECK(!strcmp(back, in), "dropping one ' does not give the value back");
}

static void check_text(apr_pool_t *p, const char *in, int keep_newlines)
{
    const char *out = hab_text_clean(p, in, keep_newlines);
    FUZZ_CHECK(strlen(out) <= strlen(in), "longer than the input");
    for (const unsigned char *c = (const unsigned char *)out; *c; c++) {
        FUZZ_CHECK(*c >= 0x20 || *c == '\t' || (*c == '\n' && keep_newlines), "control 0x%02x", *c);
        FUZZ_CHECK(*c != 0x7f, "DEL");
        FUZZ_CHECK(!(c[0] == 0xc2 && c[1] >= 0x80 && c[1] < 0xa0), "a C1 control");
    }
    /* cleaning is idempotent: what is left is all valid UTF-8 */
    FUZZ_CHECK(hab_text_clean(p, out, keep_newlines) == out, "clean text changed again");
}

static void check_letter(apr_pool_t *p, const char *in)
{
    const char *text = hab_html_to_text(p, in);
    FUZZ_CHECK(strlen(text) <= strlen(in) + 1, "text longer than the letter");
    const char *html = hab_html_escape(p, text);
    FUZZ_CHECK(!strchr(html, '<') && !strchr(html, '>'), "markup left in the escaped text");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *in = fuzz_cstr(p, data, size);
    check_csv(p, in);
    check_text(p, in, 0);
    check_text(p, in, 1);
    check_letter(p, in);
    apr_pool_destroy(p);
    return 0;
}
