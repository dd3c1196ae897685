/* The core's error log, a port as mod_md's md_log_set: the module connects
 * it to httpd's error log, habitual-admin to stderr, the unit tests to a
 * capture.  Set once before any thread runs; unset, nothing is written.
 * Each message has its own number (the README's message table) and never
 * carries personal data. */
#ifndef HABITUAL_LOG_H
#define HABITUAL_LOG_H

#include <apr_pools.h>

/* syslog's (and so httpd's APLOG_*) values */
typedef enum {
    HAB_LOG_CRIT = 2,
    HAB_LOG_ERR = 3,
    HAB_LOG_WARNING = 4,
    HAB_LOG_INFO = 6
} hab_log_level_t;

typedef void hab_log_fn(void *baton, apr_pool_t *p, hab_log_level_t level, int number,
                        const char *message);

void hab_log_set(hab_log_fn *fn, void *baton);

/* Format in p and hand to the sink: "HAB<number>: " is the sink's to add. */
void hab_log(apr_pool_t *p, hab_log_level_t level, int number, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
