/* Hashing, HMAC, the CSRF token and secrets, over OpenSSL's libcrypto
 * (apr-util 1.6 has no SHA-256). */
#ifndef HABITUAL_CRYPTO_H
#define HABITUAL_CRYPTO_H

#include <apr_pools.h>

#include "habitual/base/error.h"

#define HAB_SHA256_HEX_LEN 64
#define HAB_SECRET_MIN 32
#define HAB_SECRET_MAX 4096
/* A page or client fetches a fresh token at least this often. */
#define HAB_CSRF_LIFETIME_SECONDS (12 * 60 * 60)

typedef struct hab_secret {
    const unsigned char *bytes;
    apr_size_t len;
} hab_secret_t;

/* SHA-256 of a stream (a file read in pieces): begin, add each piece, end
 * for its lower-case hex; NULL/0 when libcrypto fails. */
typedef struct hab_sha256 hab_sha256_t;
hab_sha256_t *hab_sha256_begin(apr_pool_t *p);
int hab_sha256_add(hab_sha256_t *h, const void *data, apr_size_t len);
const char *hab_sha256_end(apr_pool_t *p, hab_sha256_t *h);

/* Standard base64 (evidence is stored as base64 text, one chunk a row). */
const char *hab_base64(apr_pool_t *p, const void *data, apr_size_t len);
/* NULL when text is not base64. */
const void *hab_unbase64(apr_pool_t *p, const char *text, apr_size_t *len);

/* Lower-case hex of SHA-256(data). */
const char *hab_sha256_hex(apr_pool_t *p, const void *data, apr_size_t len);
const char *hab_hmac_sha256_hex(apr_pool_t *p, const hab_secret_t *key,
                                const void *data, apr_size_t len);
/* Constant-time equality of two NUL-terminated strings. */
int hab_equal_ct(const char *a, const char *b);

/* Read a secret file: NULL, or what is wrong with it (500 bad-config, its
 * message naming the file, for a start-up line).  A trailing newline is not
 * part of the secret. */
hab_err_t *hab_secret_load(apr_pool_t *p, const char *path, hab_secret_t *secret);

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
