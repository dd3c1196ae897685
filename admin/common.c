/* What every verb shares: opening the database, options, errors. */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

#include "admin.h"
#include "habitual/store/audit.h"
#include "habitual/domain/roles.h"
#include "habitual/store/schema.h"

int admin_fail(const hab_err_t *err, int code)
{
    /* a message may quote what the database holds: no control characters */
    fputs("habitual-admin: ", stderr);
    for (const unsigned char *c = (const unsigned char *)err->message; c && *c; c++)
        fputc(*c < 0x20 || *c == 0x7f ? '?' : *c, stderr);
    fputc('\n', stderr);
    return code;
}

int admin_open(admin_ctx_t *ctx, int flags, hab_store_t **store)
{
    if (strcmp(ctx->driver, "sqlite3") == 0 && !(flags & HAB_STORE_CREATE) &&
        access(ctx->params, F_OK) != 0) {
        fprintf(stderr, "habitual-admin: database file %s does not exist "
                        "(create it with: habitual-admin --driver sqlite3 --params %s init)\n",
                ctx->params, ctx->params);
        return ADMIN_DATABASE;
    }
    hab_err_t *err = hab_store_open(ctx->p, ctx->driver, ctx->params, flags, store);
    if (err) return admin_fail(err, ADMIN_DATABASE);
    if (flags & HAB_STORE_CREATE) return ADMIN_OK;
    err = hab_schema_check(*store, ctx->p);
    return err ? admin_fail(err, ADMIN_DATABASE) : ADMIN_OK;
}

static int find_arg(admin_ctx_t *ctx, const char *name)
{
    for (int i = 0; i < ctx->argc; i++)
        if (strcmp(ctx->argv[i], name) == 0) return i;
    return -1;
}

const char *admin_option(admin_ctx_t *ctx, const char *name)
{
    int i = find_arg(ctx, name);
    return (i >= 0 && i + 1 < ctx->argc) ? ctx->argv[i + 1] : NULL;
}

int admin_flag(admin_ctx_t *ctx, const char *name)
{
    return find_arg(ctx, name) >= 0;
}

static int listed(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0) return 1;
    return 0;
}

int admin_check_options(admin_ctx_t *ctx, const char *const *with_value,
                        const char *const *flags, int positionals)
{
    int seen_positional = 0;
    for (int i = 0; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        if (listed(with_value, a)) {
            if (i + 1 >= ctx->argc) {
                fprintf(stderr, "habitual-admin: %s needs a value\n", a);
                return ADMIN_USAGE;
            }
            i++;
        } else if (listed(flags, a)) {
            continue;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "habitual-admin: unknown option %s\n", a);
            return ADMIN_USAGE;
        } else if (++seen_positional > positionals || seen_positional > 4) {
            fprintf(stderr, "habitual-admin: unexpected argument '%s'\n", a);
            return ADMIN_USAGE;
        } else {
            ctx->positional[ctx->npositional++] = a;
        }
    }
    if (seen_positional < positionals) {
        fprintf(stderr, "habitual-admin: missing argument\n");
        return ADMIN_USAGE;
    }
    return ADMIN_OK;
}

const char *admin_positional(admin_ctx_t *ctx, int index)
{
    return index < ctx->npositional ? ctx->positional[index] : NULL;
}
