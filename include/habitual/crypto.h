/* Hashing, HMAC, the CSRF token and secrets, over OpenSSL's libcrypto
 * (apr-util 1.6 has no SHA-256). */
#ifndef HABITUAL_CRYPTO_H
#define HABITUAL_CRYPTO_H

#include <apr_pools.h>

#define HAB_SHA256_HEX_LEN 64
#define HAB_SECRET_MIN 32
#define HAB_SECRET_MAX 4096
/* A page or client fetches a fresh token at least this often. */
#define HAB_CSRF_LIFETIME_SECONDS (12 * 60 * 60)

typedef struct hab_secret {
    const unsigned char *bytes;
    apr_size_t len;
} hab_secret_t;

/* Lower-case hex of SHA-256(data). */
const char *hab_sha256_hex(apr_pool_t *p, const void *data, apr_size_t len);
const char *hab_hmac_sha256_hex(apr_pool_t *p, const hab_secret_t *key,
                                const void *data, apr_size_t len);
/* Constant-time equality of two NUL-terminated strings. */
int hab_equal_ct(const char *a, const char *b);
/* n random bytes as hex; NULL if the system has no randomness. */
const char *hab_random_hex(apr_pool_t *p, apr_size_t n);

/* Read a secret file: returns NULL, or what is wrong with it (for a
 * start-up message naming the file).  A trailing newline is not part of it. */
const char *hab_secret_load(apr_pool_t *p, const char *path, hab_secret_t *secret);

/* CSRF token: "<issued unix time, hex>.<HMAC-SHA256(secret, user, issued)>". */
const char *hab_csrf_token(apr_pool_t *p, const hab_secret_t *secret,
                           const char *user, long long now);

typedef enum {
    HAB_CSRF_OK,
    HAB_CSRF_MISSING,
    HAB_CSRF_MALFORMED,
    HAB_CSRF_STALE,     /* older than HAB_CSRF_LIFETIME_SECONDS, or from the future */
    HAB_CSRF_MISMATCH   /* another user's token, or another secret's */
} hab_csrf_result_t;

hab_csrf_result_t hab_csrf_check(apr_pool_t *p, const hab_secret_t *secret,
                                 const char *user, const char *token, long long now);

#endif
