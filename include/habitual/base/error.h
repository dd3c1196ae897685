/* Errors travel as values: an HTTP status, the API's error code and a
 * message for people.  NULL means success. */
#ifndef HABITUAL_ERROR_H
#define HABITUAL_ERROR_H

#include <apr_pools.h>

typedef struct hab_err {
    int status;          /* HTTP status the glue answers with */
    const char *code;    /* error code (README "The JSON API: the envelope"), e.g. "wrong-state" */
    const char *message; /* plain English, never personal data */
    const char *field;   /* the request field at fault, or NULL */
    const char *rule;    /* the safeguard that refused: "R1".."R19", or NULL */
    const char *cause;   /* the underlying code, for the error log: "sqlite 5", "pgsql 57P01",
                          * "apr 70007"; NULL when the refusal is the module's own */
    int logged;          /* already written to the error log */
    int lock_wait;       /* gave up waiting for a lock held elsewhere: another
                          * try before the holder lets go would wait again */
} hab_err_t;

hab_err_t *hab_err_make(apr_pool_t *p, int status, const char *code,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The same, naming the field at fault (pages link the error to it). */
hab_err_t *hab_err_field(apr_pool_t *p, int status, const char *code,
                         const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* " [cause]" for an error-log line, or "" when the error has no cause. */
const char *hab_err_cause_note(apr_pool_t *p, const hab_err_t *e);

/* A copy in p, every field with it (an outcome handed to another pool). */
hab_err_t *hab_err_copy(apr_pool_t *p, const hab_err_t *e);

/* Shorthands for the answers every route shares. */
hab_err_t *hab_err_bad_request(apr_pool_t *p, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
hab_err_t *hab_err_not_found(apr_pool_t *p);
hab_err_t *hab_err_forbidden(apr_pool_t *p, const char *message);
hab_err_t *hab_err_unavailable(apr_pool_t *p, const char *message);
hab_err_t *hab_err_internal(apr_pool_t *p, const char *message);
hab_err_t *hab_err_wrong_state(apr_pool_t *p, const char *status_now);

#endif
