/* habitual-admin: helpers shared by the operations verbs:
 * verbs_ops.c (reviews, backup, report), verbs_people.c (sar, purge),
 * verbs_notify.c (notify).  Implemented in verbs_ops.c. */
#ifndef HABITUAL_ADMIN_OPS_H
#define HABITUAL_ADMIN_OPS_H

#include <stdio.h>

#include "admin.h"

/* --format: one of allowed (NULL-terminated), default first.  NULL and a
 * message on stderr when the value is not allowed. */
const char *ops_format(admin_ctx_t *ctx, const char *const *allowed);

/* An integer option in [min, max]; def when absent.  ADMIN_USAGE (message
 * printed) when it is not a plain decimal in range. */
int ops_int_option(admin_ctx_t *ctx, const char *name, long def, long min, long max, long *out);

/* The date part of a stored UTC time ("YYYY-MM-DDTHH:MM:SSZ"), or the date itself. */
const char *ops_date_of(apr_pool_t *p, const char *time_or_date);

#endif
