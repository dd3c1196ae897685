/* placeholder: the operations verbs (issue 6) replace this file */
#include "admin.h"

static int not_yet(const char *verb)
{
    fprintf(stderr, "habitual-admin: %s is not built yet\n", verb);
    return ADMIN_USAGE;
}

int verb_reviews(admin_ctx_t *ctx) { (void)ctx; return not_yet("reviews"); }
int verb_backup(admin_ctx_t *ctx) { (void)ctx; return not_yet("backup"); }
int verb_sar(admin_ctx_t *ctx) { (void)ctx; return not_yet("sar"); }
int verb_purge(admin_ctx_t *ctx) { (void)ctx; return not_yet("purge"); }
int verb_notify(admin_ctx_t *ctx) { (void)ctx; return not_yet("notify"); }
int verb_report(admin_ctx_t *ctx) { (void)ctx; return not_yet("report"); }
