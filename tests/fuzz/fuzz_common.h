/* Shared by every fuzz target: APR set up once per process, one pool per
 * input (so nothing one input allocates can mask a bug in the next), and a
 * check that aborts, which both libFuzzer and the replay runner see as a
 * crash.  Header-only so each target stays a single object. */
#ifndef HABITUAL_FUZZ_COMMON_H
#define HABITUAL_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fresh pool; the first call initialises APR (libFuzzer has no main of
 * ours to do it, and LLVMFuzzerInitialize would be one more symbol to keep
 * in step with the replay runner). */
static inline apr_pool_t *fuzz_pool(void)
{
    static int initialised;
    apr_pool_t *p = NULL;
    if (!initialised) {
        if (apr_initialize() != APR_SUCCESS) abort();
        atexit(apr_terminate);
        initialised = 1;
    }
    if (apr_pool_create(&p, NULL) != APR_SUCCESS) abort();
    return p;
}

/* The input as a NUL-terminated string in p (cut at its first NUL, as a C
 * API would see it). */
static inline char *fuzz_cstr(apr_pool_t *p, const uint8_t *data, size_t size)
{
    char *s = apr_palloc(p, size + 1);
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* An invariant of the code under test: on failure say which, then abort. */
#define FUZZ_CHECK(cond, ...)                                                 \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__,        \
                    __LINE__, #cond);                                         \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

#endif
