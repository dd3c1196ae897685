#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "habitual/base/crypto.h"
#include "habitual/base/error.h"

static const char *to_hex(apr_pool_t *p, const unsigned char *bytes, apr_size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *out = apr_palloc(p, n * 2 + 1);
    for (apr_size_t i = 0; i < n; i++) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 0xf];
    }
    out[n * 2] = '\0';
    return out;
}

const char *hab_sha256_hex(apr_pool_t *p, const void *data, apr_size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL)) return NULL;
    return to_hex(p, md, mdlen);
}

/* ---- SHA-256 over a stream, and base64 ---- */

struct hab_sha256 {
    EVP_MD_CTX *md;
};

static apr_status_t free_md(void *data)
{
    EVP_MD_CTX_free(((hab_sha256_t *)data)->md);
    return APR_SUCCESS;
}

hab_sha256_t *hab_sha256_begin(apr_pool_t *p)
{
    hab_sha256_t *h = apr_pcalloc(p, sizeof(*h));
    if (!(h->md = EVP_MD_CTX_new())) return NULL;
    apr_pool_cleanup_register(p, h, free_md, apr_pool_cleanup_null);
    return EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) ? h : NULL;
}

int hab_sha256_add(hab_sha256_t *h, const void *data, apr_size_t len)
{
    return EVP_DigestUpdate(h->md, data, len) == 1;
}

const char *hab_sha256_end(apr_pool_t *p, hab_sha256_t *h)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_DigestFinal_ex(h->md, md, &mdlen)) return NULL;
    return to_hex(p, md, mdlen);
}

const char *hab_base64(apr_pool_t *p, const void *data, apr_size_t len)
{
    char *out = apr_palloc(p, 4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

const void *hab_unbase64(apr_pool_t *p, const char *text, apr_size_t *len)
{
    size_t n = strlen(text);
    if (n % 4) return NULL;
    unsigned char *out = apr_palloc(p, n / 4 * 3 + 1);
    int got = EVP_DecodeBlock(out, (const unsigned char *)text, (int)n);
    if (got < 0) return NULL;
    /* EVP_DecodeBlock counts the padding as bytes */
    for (size_t i = n; i > 0 && text[i - 1] == '='; i--) got--;
    *len = (apr_size_t)got;
    return out;
}

const char *hab_hmac_sha256_hex(apr_pool_t *p, const hab_secret_t *key,
                                const void *data, apr_size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!HMAC(EVP_sha256(), key->bytes, (int)key->len, data, len, md, &mdlen)) return NULL;
    return to_hex(p, md, mdlen);
}

int hab_equal_ct(const char *a, const char *b)
{
    if (!a || !b) return 0;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb) return 0;
    return CRYPTO_memcmp(a, b, la) == 0;
}

/* A secret file's fault: the glue stops start-up with it, the admin tool
 * exits with it. */
static hab_err_t *bad_secret(apr_pool_t *p, const char *message)
{
    return hab_err_make(p, 500, "bad-config", "%s", message);
}

hab_err_t *hab_secret_load(apr_pool_t *p, const char *path, hab_secret_t *secret)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int why = errno;
        hab_err_t *e = bad_secret(p, apr_psprintf(p, "cannot read %s: %s", path, strerror(why)));
        e->cause = apr_psprintf(p, "errno %d", why);
        return e;
    }
    unsigned char *buf = apr_palloc(p, HAB_SECRET_MAX + 1);
    size_t n = fread(buf, 1, HAB_SECRET_MAX + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed) return bad_secret(p, apr_psprintf(p, "cannot read %s", path));
    if (n > HAB_SECRET_MAX)
        return bad_secret(p, apr_psprintf(p, "%s is longer than %d bytes", path, HAB_SECRET_MAX));
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    if (n < HAB_SECRET_MIN)
        return bad_secret(p,
                          apr_psprintf(p,
                                       "%s holds %" APR_SIZE_T_FMT " bytes; a secret needs "
                                       "at least %d (e.g. head -c 48 /dev/urandom | base64 > %s)",
                                       path, n, HAB_SECRET_MIN, path));
    secret->bytes = buf;
    secret->len = n;
    return NULL;
}

static const char *csrf_mac(apr_pool_t *p, const hab_secret_t *secret,
                            const char *user, long long issued)
{
    /* Domain-separated so the same secret can never sign anything else alike. */
    const char *msg =
        apr_psprintf(p, "habitual-csrf-v1\n%s\n%" APR_INT64_T_FMT, user, (apr_int64_t)issued);
    return hab_hmac_sha256_hex(p, secret, msg, strlen(msg));
}

const char *hab_csrf_token(apr_pool_t *p, const hab_secret_t *secret,
                           const char *user, long long now)
{
    return apr_psprintf(p, "%" APR_UINT64_T_HEX_FMT ".%s", (apr_uint64_t)now,
                        csrf_mac(p, secret, user, now));
}

hab_csrf_result_t hab_csrf_check(apr_pool_t *p, const hab_secret_t *secret,
                                 const char *user, const char *token, long long now)
{
    if (!token || !*token) return HAB_CSRF_MISSING;
    const char *dot = strchr(token, '.');
    if (!dot || dot == token || dot - token > 15 || strlen(dot + 1) != HAB_SHA256_HEX_LEN)
        return HAB_CSRF_MALFORMED;
    long long issued = 0;
    for (const char *c = token; c < dot; c++) {
        int v = (*c >= '0' && *c <= '9') ? *c - '0'
              : (*c >= 'a' && *c <= 'f') ? *c - 'a' + 10 : -1;
        if (v < 0) return HAB_CSRF_MALFORMED;
        issued = issued * 16 + v;
    }
    if (issued > now + 60 || now - issued > HAB_CSRF_LIFETIME_SECONDS) return HAB_CSRF_STALE;
    /* the whole token, so each token has exactly one spelling */
    return hab_equal_ct(hab_csrf_token(p, secret, user, issued), token) ? HAB_CSRF_OK
                                                                        : HAB_CSRF_MISMATCH;
}
