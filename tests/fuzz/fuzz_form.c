/* Query strings and page forms: every name and value that comes out must
 * be well-formed UTF-8 with no NUL, since they flow into SQL parameters,
 * JSON and HTML.  hab_utf8_valid itself is checked against jansson's
 * independent UTF-8 validator, since everything here rests on it. */
#include <jansson.h>

#include "fuzz_common.h"
#include "habitual/base/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *raw = (const char *)data;

    /* Differential: jansson accepts a string iff it is valid UTF-8 (it
     * allows NUL through json_stringn, which hab_utf8_valid rejects). */
    json_t *ref = json_stringn(raw, size);
    int ref_valid = ref && !memchr(raw, '\0', size);
    json_decref(ref);
    FUZZ_CHECK(hab_utf8_valid(raw, size) == ref_valid,
               "hab_utf8_valid says %d, jansson says %d", !ref_valid, ref_valid);

    /* A form body: raw bytes, NULs included. */
    apr_array_header_t *pairs = NULL;
    hab_err_t *err = hab_form_parse(p, raw, size, &pairs);
    if (err) {
        FUZZ_CHECK(err->status == 400, "status %d", err->status);
    } else {
        for (int i = 0; i < pairs->nelts; i++) {
            hab_form_pair_t *pair = &APR_ARRAY_IDX(pairs, i, hab_form_pair_t);
            FUZZ_CHECK(pair->name && *pair->name && pair->value, "pair %d is empty", i);
            FUZZ_CHECK(hab_utf8_valid(pair->name, strlen(pair->name)), "name %d", i);
            FUZZ_CHECK(hab_utf8_valid(pair->value, strlen(pair->value)), "value %d", i);
        }
    }

    /* A query string, as r->args: a C string. */
    json_t *query = NULL;
    err = hab_query_parse(p, fuzz_cstr(p, data, size), &query);
    if (err) {
        FUZZ_CHECK(err->status == 400, "status %d", err->status);
    } else {
        const char *name;
        json_t *value;
        FUZZ_CHECK(json_is_object(query), "query is not an object");
        json_object_foreach(query, name, value) {
            FUZZ_CHECK(*name && hab_utf8_valid(name, strlen(name)), "query name");
            FUZZ_CHECK(json_is_string(value), "query value is not a string");
            FUZZ_CHECK(hab_utf8_valid(json_string_value(value), json_string_length(value)),
                       "query value holds a NUL or invalid UTF-8");
        }
    }
    apr_pool_destroy(p);
    return 0;
}
