/* Request bodies: hab_json_parse_object is the first thing every POST body
 * meets.  Whatever it accepts must be one object with no NUL, and must
 * survive our own dump and a re-parse unchanged (the API echoes parsed
 * values back, and the access log stores dumps). */
#include <jansson.h>

#include "fuzz_common.h"
#include "habitual/base/json_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The glue never reads more than this; larger bodies answer 413. */
    if (size > HAB_BODY_MAX) return 0;
    apr_pool_t *p = fuzz_pool();
    json_t *obj = NULL;
    hab_err_t *err = hab_json_parse_object(p, (const char *)data, size, &obj);
    if (err) {
        FUZZ_CHECK(err->status == 400 && err->code && err->message && !obj,
                   "a rejected body must be a 400 with a message and no value");
    } else {
        FUZZ_CHECK(json_is_object(obj), "accepted a non-object");
        FUZZ_CHECK(!memchr(data, '\0', size), "accepted a body holding a NUL byte");

        const char *dumped = hab_json_dump(p, obj);
        json_t *again = NULL;
        err = hab_json_parse_object(p, dumped, strlen(dumped), &again);
        FUZZ_CHECK(!err, "our own dump does not parse: %s: %s", err->message, dumped);
        FUZZ_CHECK(json_equal(obj, again), "dump and re-parse changed the value: %s", dumped);
        /* Dumping is deterministic, so a second dump must be byte-identical. */
        FUZZ_CHECK(strcmp(dumped, hab_json_dump(p, again)) == 0,
                   "dump is not stable: %s", dumped);
    }
    apr_pool_destroy(p);
    return 0;
}
