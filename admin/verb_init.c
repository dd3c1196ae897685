/* init: create the database, or bring its schema up to this build's. */
#include <string.h>

#include "admin.h"
#include "habitual/store/schema.h"

int verb_init(admin_ctx_t *ctx)
{
    int rc = admin_check_options(ctx, NULL, NULL, 0);
    if (rc) return rc;
    hab_store_t *store;
    rc = admin_open(ctx, HAB_STORE_CREATE, &store);
    if (rc) return rc;
    if (strcmp(ctx->driver, "sqlite3") == 0) {
        hab_rows_t *rows;
        /* WAL is a property of the file: set once here, kept for good. */
        hab_err_t *err = hab_store_q(store, ctx->p, &rows, "PRAGMA journal_mode=WAL", "");
        if (err) return admin_fail(err, ADMIN_DATABASE);
        const char *mode = hab_rows_text(rows, 0, 0);
        if (!mode || strcmp(mode, "wal") != 0) {
            fprintf(stderr, "habitual-admin: %s would not switch to WAL mode\n", ctx->params);
            return ADMIN_DATABASE;
        }
    }
    int from = 0, to = 0;
    hab_err_t *err = hab_schema_migrate(store, ctx->p, ctx->now, &from, &to);
    if (err) return admin_fail(err, ADMIN_DATABASE);
    const char *db = hab_store_display(ctx->p, ctx->driver, ctx->params);
    if (from == to)
        printf("%s: schema version %d, already current\n", db, to);
    else
        printf("%s: schema version %d (was %d)\n", db, to, from);
    return ADMIN_OK;
}
