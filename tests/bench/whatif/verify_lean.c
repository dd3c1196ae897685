/* What-if: how fast can the access log's chain be walked on this machine?
 * A lean verifier (not the admin tool): columns read straight from one
 * statement, the canonical encoding (README, "The access log") written into
 * one reusable buffer, SHA-256 with a digest fetched once, hashes compared as
 * text.  Sizes the verify-audit target; never used by the module.
 *
 *   verify_lean DB  ->  "ok N entries HEAD" (exit 0) or "bad SEQ" (exit 1) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

static char *put(char *o, const unsigned char *v, int len)
{
    if (!v) {
        *o++ = '-';
        *o++ = '\n';
        return o;
    }
    char digits[12];
    int k = 0, x = len;
    do {
        digits[k++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    while (k) *o++ = digits[--k];
    *o++ = ':';
    memcpy(o, v, (size_t)len);
    o += len;
    *o++ = '\n';
    return o;
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    sqlite3 *db;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        return 3;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            db,
            "SELECT seq, at, \"user\", roles, acting_as, action, case_id, outcome, status, "
            "request_id, client, prev_hash, hash FROM access_log ORDER BY seq",
            -1, &st, NULL) != SQLITE_OK)
        return 3;
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    static const char hexd[] = "0123456789abcdef";
    char head[65];
    memset(head, '0', 64);
    head[64] = 0;
    char *buf = malloc(1 << 20);
    long long n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long seq = sqlite3_column_int64(st, 0);
        if (seq != n + 1) {
            printf("bad %lld (missing)\n", n + 1);
            return 1;
        }
        const unsigned char *prev = sqlite3_column_text(st, 11);
        if (!prev || memcmp(prev, head, 64) != 0) {
            printf("bad %lld (prev_hash)\n", seq);
            return 1;
        }
        char *o = buf;
        memcpy(o, "habitual-audit-v1\n", 18);
        o += 18;
        for (int col = 0; col < 12; col++) {
            const unsigned char *v = sqlite3_column_text(st, col); /* integers as decimal text */
            o = put(o, v, sqlite3_column_bytes(st, col));
        }
        unsigned char d[32];
        unsigned int dl;
        EVP_DigestInit_ex(ctx, md, NULL);
        EVP_DigestUpdate(ctx, buf, (size_t)(o - buf));
        EVP_DigestFinal_ex(ctx, d, &dl);
        char hex[65];
        for (int i = 0; i < 32; i++) {
            hex[2 * i] = hexd[d[i] >> 4];
            hex[2 * i + 1] = hexd[d[i] & 15];
        }
        hex[64] = 0;
        const unsigned char *h = sqlite3_column_text(st, 12);
        if (!h || memcmp(h, hex, 64) != 0) {
            printf("bad %lld (hash)\n", seq);
            return 1;
        }
        memcpy(head, hex, 65);
        n++;
    }
    printf("ok %lld entries %s\n", n, head);
    return 0;
}
