/* The core's error-log port (include/habitual/log.h). */
#include <stdarg.h>

#include <apr_strings.h>

#include "habitual/base/log.h"

/* Configuration, written once at start-up as the sink is chosen. */
static hab_log_fn *log_sink;
static void *log_baton;

void hab_log_set(hab_log_fn *fn, void *baton)
{
    log_sink = fn;
    log_baton = baton;
}

void hab_log(apr_pool_t *p, hab_log_level_t level, int number, const char *fmt, ...)
{
    if (!log_sink) return;
    va_list ap;
    va_start(ap, fmt);
    const char *message = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    log_sink(log_baton, p, level, number, message);
}
