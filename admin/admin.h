/* habitual-admin: shared declarations of its verbs. */
#ifndef HABITUAL_ADMIN_H
#define HABITUAL_ADMIN_H

#include <stdio.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "habitual/base/error.h"
#include "habitual/store/store.h"

/* Exit codes (documented in the README). */
enum {
    ADMIN_OK = 0,
    ADMIN_FAILED = 1,      /* the verb ran and found a problem (bad chain, no match) */
    ADMIN_USAGE = 2,       /* wrong arguments */
    ADMIN_DATABASE = 3     /* the database is missing, unreadable or of the wrong version */
};

typedef struct admin_ctx {
    apr_pool_t *p;
    const char *driver;
    const char *params;
    int argc;              /* the verb's own arguments */
    const char *const *argv;
    const char *positional[4]; /* filled by admin_check_options */
    int npositional;
    const char *now;       /* UTC time */
    const char *today;
} admin_ctx_t;

typedef struct admin_verb {
    const char *name;
    const char *usage;     /* arguments after the verb */
    const char *summary;
    int (*run)(admin_ctx_t *ctx);
} admin_verb_t;

/* Open the database for a verb: never creates it; checks the schema. */
int admin_open(admin_ctx_t *ctx, int flags, hab_store_t **store);
int admin_fail(const hab_err_t *err, int code);
/* --name VALUE options after the verb; returns NULL when absent. */
const char *admin_option(admin_ctx_t *ctx, const char *name);
int admin_flag(admin_ctx_t *ctx, const char *name);
/* Reject options this verb does not know; usage error message printed. */
int admin_check_options(admin_ctx_t *ctx, const char *const *known_with_value,
                        const char *const *known_flags, int positionals);
const char *admin_positional(admin_ctx_t *ctx, int index);

/* One access-log entry for an offline action that discloses data. */
int admin_log_action(admin_ctx_t *ctx, hab_store_t *store, const char *action, long long case_id);
/* The same inside the caller's write transaction, so a change and its
 * entry commit together. */
hab_err_t *admin_log_in_transaction(admin_ctx_t *ctx, hab_store_t *store, const char *action,
                                    long long case_id);

/* Mail (verbs_notify.c).  The first usable mail of each member of group
 * under the users' LDAP URL (as HabitualLDAPURL); NULL or what went wrong. */
const char *admin_group_addresses(apr_pool_t *p, const char *url, const char *group,
                                  apr_array_header_t *addresses);
/* To (plain addresses only), Subject (plain ASCII the caller made), Date,
 * a text/plain us-ascii body follows. */
void admin_mail_headers(FILE *out, const apr_array_header_t *to, const char *subject);
/* Pipe one message to the sendmail command (run with /bin/sh -c); NULL on
 * success or a short reason. */
const char *admin_sendmail(apr_pool_t *p, const char *cmd,
                           void (*write)(FILE *out, const void *arg), const void *arg);
#define ADMIN_DEFAULT_SENDMAIL "/usr/sbin/sendmail -t -i"

/* A verb that prints personal data (names, references, case ids with
 * what happened in the case): before it prints anything, one entry per
 * case it names (long long ids), or one with no case when it names none,
 * all in one write transaction.  ADMIN_DATABASE (message printed) when the
 * log cannot be written: then nothing may be printed. */
int admin_log_cases(admin_ctx_t *ctx, hab_store_t *store, const char *action,
                    const apr_array_header_t *case_ids);

int verb_init(admin_ctx_t *ctx);
int verb_verify_audit(admin_ctx_t *ctx);
int verb_export_audit(admin_ctx_t *ctx);
int verb_checkpoint(admin_ctx_t *ctx);
int verb_reviews(admin_ctx_t *ctx);
int verb_backup(admin_ctx_t *ctx);
int verb_sar(admin_ctx_t *ctx);
int verb_purge(admin_ctx_t *ctx);
int verb_notify(admin_ctx_t *ctx);
int verb_report(admin_ctx_t *ctx);

#endif
