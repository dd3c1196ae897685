/* habitual-admin --driver sqlite3 --params FILE VERB [options] */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "admin.h"
#include "habitual/base/log.h"

static const admin_verb_t verbs[] = {
    {"init", "", "create the database or bring its schema up to date", verb_init},
    {"verify-audit", "[--checkpoint FILE --key FILE]",
     "check the access log's hash chain (and that it still holds a checkpoint)", verb_verify_audit},
    {"export-audit", "[--from DATE] [--to DATE] [--format csv|json]",
     "write the access log for offline review", verb_export_audit},
    {"checkpoint", "--key FILE [--dir DIR] [--send --ldap-url URL --group DN [--sendmail CMD]]",
     "print a signed line with the entry count and head hash; --dir also writes it to a new file "
     "in DIR "
     "(one the web server's user cannot write), --send mails it to the auditors' group",
     verb_checkpoint},
    {"reviews", "[--within DAYS] [--format text|csv|json]",
     "cases whose review is overdue or due within DAYS (default 30), oldest first", verb_reviews},
    {"backup", "DEST [--force]", "a consistent, verified copy of the database while httpd serves",
     verb_backup},
    {"sar", "PERSON-REFERENCE [--format json|html|csv|text] [--evidence-dir DIR]",
     "everything held about one person, for a subject access request", verb_sar},
    {"purge", "[--dry-run] [--closed-years N] [--ended-years N] [--violence-years N]",
     "remove cases past their retention period (never those on legal hold)", verb_purge},
    {"notify",
     "--ldap-url URL --group DN [--reminder-group DN]... [--triage-group DN] [--triage-days N] "
     "[--sendmail CMD] "
     "[--link BASE]",
     "email each pending notification once to the chief officers, and each review reminder due "
     "once "
     "to the --reminder-group members (the CEM's, monitoring officer's and chief executive's "
     "groups), "
     "and flag once each item of post waiting over --triage-days working days (default 5) to the "
     "--triage-group members (the CEM's group; else the reminder groups)",
     verb_notify},
    {"report", "--from DATE --to DATE [--format text|csv|json]",
     "governance figures for the period, with no personal data", verb_report},
};
#define VERB_COUNT (sizeof(verbs) / sizeof(verbs[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: habitual-admin --driver sqlite3 --params FILE VERB [options]\n\nverbs:\n");
    for (size_t i = 0; i < VERB_COUNT; i++)
        fprintf(out, "  %-13s %s\n  %-13s   %s\n", verbs[i].name, verbs[i].usage, "",
                verbs[i].summary);
    fprintf(out, "\nexit codes: 0 done, 1 the verb found a problem, 2 usage, "
                 "3 database missing or wrong version\n");
}

static void set_clock(admin_ctx_t *ctx)
{
    apr_time_t now = apr_time_now();
    apr_time_exp_t gmt, local;
    apr_time_exp_gmt(&gmt, now);
    apr_time_exp_lt(&local, now);
    ctx->now = apr_psprintf(ctx->p, "%04d-%02d-%02dT%02d:%02d:%02dZ", gmt.tm_year + 1900,
                            gmt.tm_mon + 1, gmt.tm_mday, gmt.tm_hour, gmt.tm_min, gmt.tm_sec);
    ctx->today = apr_psprintf(ctx->p, "%04d-%02d-%02d", local.tm_year + 1900, local.tm_mon + 1,
                              local.tm_mday);
}

static int run(int argc, const char *const *argv, apr_pool_t *p)
{
    admin_ctx_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.p = p;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--driver") == 0 && i + 1 < argc) ctx.driver = argv[++i];
        else if (strcmp(argv[i], "--params") == 0 && i + 1 < argc) ctx.params = argv[++i];
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return ADMIN_OK;
        } else break;
    }
    if (i >= argc) {
        usage(stderr);
        return ADMIN_USAGE;
    }
    const admin_verb_t *verb = NULL;
    for (size_t v = 0; v < VERB_COUNT; v++)
        if (strcmp(verbs[v].name, argv[i]) == 0) verb = &verbs[v];
    if (!verb) {
        fprintf(stderr, "habitual-admin: unknown verb '%s'\n\n", argv[i]);
        usage(stderr);
        return ADMIN_USAGE;
    }
    ctx.argc = argc - i - 1;
    ctx.argv = argv + i + 1;
    for (int a = 0; a < ctx.argc; a++) {
        if (strcmp(ctx.argv[a], "--help") == 0) {
            printf("usage: habitual-admin --driver DRIVER --params PARAMS %s %s\n  %s\n",
                   verb->name, verb->usage, verb->summary);
            return ADMIN_OK;
        }
    }
    if (!ctx.driver || !ctx.params) {
        fprintf(stderr, "habitual-admin: --driver and --params are required "
                        "(e.g. --driver sqlite3 --params /var/lib/habitual/habitual.db)\n");
        return ADMIN_USAGE;
    }
    if (!hab_store_driver_known(ctx.driver)) {
        fprintf(stderr, "habitual-admin: unknown driver '%s' (known: %s)\n", ctx.driver,
                hab_store_drivers());
        return ADMIN_USAGE;
    }
    set_clock(&ctx);
    return verb->run(&ctx);
}

/* The core's log port: its numbered lines on stderr, beside the verb's own. */
static void log_to_stderr(void *baton, apr_pool_t *p, hab_log_level_t level, int number,
                          const char *message)
{
    (void)baton;
    (void)p;
    (void)level;
    fprintf(stderr, "habitual-admin: HAB%d: %s\n", number, message);
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS) return ADMIN_FAILED;
    hab_log_set(log_to_stderr, NULL);
    apr_pool_create(&p, NULL);
    int rc = run(argc, argv, p);
    apr_pool_destroy(p);
    apr_terminate();
    return rc;
}
