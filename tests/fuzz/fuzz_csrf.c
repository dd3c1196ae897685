/* The CSRF check guards every POST and DELETE.  Nothing but a token this
 * code itself issued for this user, within its lifetime, may pass: in
 * particular no other spelling of one (README: "Missing, malformed,
 * another user's, stale or forged -> 403"). */
#include <apr_strings.h>

#include "fuzz_common.h"
#include "habitual/base/crypto.h"

/* Fixed, so the seed corpus can hold real tokens (see corpus/fuzz_csrf). */
#define FUZZ_USER "alice"
#define FUZZ_NOW 1700000000LL  /* 0x6553f100 */

static const unsigned char secret_bytes[32] = "fuzz-secret-0123456789abcdefghij";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const hab_secret_t secret = {secret_bytes, sizeof(secret_bytes)};
    const char *token = fuzz_cstr(p, data, size);

    hab_csrf_result_t res = hab_csrf_check(p, &secret, FUZZ_USER, token, FUZZ_NOW);
    FUZZ_CHECK(res >= HAB_CSRF_OK && res <= HAB_CSRF_MISMATCH, "result %d", (int)res);
    FUZZ_CHECK((res == HAB_CSRF_MISSING) == (*token == '\0'), "MISSING iff empty");
    if (res == HAB_CSRF_OK) {
        /* The issued time the token claims; it must be the token issued
         * then, spelled exactly as hab_csrf_token spells it. */
        long long issued = strtoll(token, NULL, 16);
        const char *issued_token = hab_csrf_token(p, &secret, FUZZ_USER, issued);
        FUZZ_CHECK(strcmp(token, issued_token) == 0,
                   "accepted '%s', but the token issued at %lld is '%s'",
                   token, issued, issued_token);
        FUZZ_CHECK(issued <= FUZZ_NOW + 60 && FUZZ_NOW - issued <= HAB_CSRF_LIFETIME_SECONDS,
                   "accepted a token issued at %lld", issued);
        /* And it is no good for anyone else. */
        FUZZ_CHECK(hab_csrf_check(p, &secret, "bob", token, FUZZ_NOW) == HAB_CSRF_MISMATCH,
                   "alice's token passes for bob");
    }
    apr_pool_destroy(p);
    return 0;
}
