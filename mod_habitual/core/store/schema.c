/* Schema versions: the migrations of schema/ applied in order, each in its
 * own transaction together with its row in schema_migrations. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/store/store.h"
#include "store/schema_embedded.h"
#include "habitual/store/schema.h"

int hab_schema_latest(void)
{
    return hab_migrations[hab_migration_count - 1].version;
}

/* The driver's own dialect of the same migrations. */
static const hab_migration_t *migrations_for(const hab_store_t *s, int *count)
{
    if (strcmp(s->driver, "pgsql") == 0) {
        *count = hab_migration_count_pgsql;
        return hab_migrations_pgsql;
    }
    *count = hab_migration_count;
    return hab_migrations;
}

static const char *table_exists_sql(const hab_store_t *s)
{
    if (strcmp(s->driver, "sqlite3") == 0)
        return "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?";
    return "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
           "AND table_name=?";
}

hab_err_t *hab_schema_version(hab_store_t *s, apr_pool_t *p, int *version)
{
    hab_rows_t *rows;
    *version = 0;
    hab_err_t *e = hab_store_q(s, p, &rows, table_exists_sql(s), "t", "schema_migrations");
    if (e) return e;
    if (hab_rows_int(rows, 0, 0) == 0) return NULL;
    e = hab_store_q(s, p, &rows, "SELECT coalesce(max(version), 0) FROM schema_migrations", "");
    if (e) return e;
    *version = (int)hab_rows_int(rows, 0, 0);
    return NULL;
}

/* SQLite rebuilds a table to change a constraint; with foreign keys on,
 * dropping the old table would fail or cascade.  As SQLite's ALTER TABLE
 * page prescribes: foreign keys off around the migration (the pragma is a
 * no-op inside a transaction), checked before the commit. */
static int is_sqlite(const hab_store_t *s)
{
    return strcmp(s->driver, "sqlite3") == 0;
}

static hab_err_t *foreign_keys_hold(hab_store_t *s, apr_pool_t *p)
{
    hab_rows_t *rows;
    hab_err_t *e = hab_store_q(s, p, &rows, "PRAGMA foreign_key_check", "");
    if (e) return e;
    if (rows->nrows == 0) return NULL;
    return hab_err_make(p, 500, "schema-foreign-key",
                        "%d row(s) would break a foreign key (first in table %s)", rows->nrows,
                        hab_rows_text(rows, 0, 0));
}

static hab_err_t *apply_one(hab_store_t *s, apr_pool_t *p, const hab_migration_t *m,
                            const char *now)
{
    hab_err_t *e = is_sqlite(s) ? s->ops->exec_script(s, p, "PRAGMA foreign_keys=OFF") : NULL;
    if (!e) e = s->ops->begin(s, p, 1);
    if (e) return e;
    e = s->ops->exec_script(s, p, m->sql);
    if (!e)
        e = hab_store_q(s, p, NULL,
                        "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                        "itt", (long long)m->version, m->name, now);
    if (!e && is_sqlite(s))
        e = s->ops->exec_script(s, p, apr_psprintf(p, "PRAGMA user_version=%d", m->version));
    if (!e && is_sqlite(s)) e = foreign_keys_hold(s, p);
    if (e) {
        s->ops->rollback(s);
        if (is_sqlite(s)) s->ops->exec_script(s, p, "PRAGMA foreign_keys=ON");
        return hab_err_make(p, e->status, e->code, "migration %s failed: %s", m->name, e->message);
    }
    e = s->ops->commit(s, p);
    if (!e && is_sqlite(s)) e = s->ops->exec_script(s, p, "PRAGMA foreign_keys=ON");
    return e;
}

hab_err_t *hab_schema_migrate(hab_store_t *s, apr_pool_t *p, const char *now,
                              int *from, int *to)
{
    int current;
    hab_err_t *e = hab_schema_version(s, p, &current);
    if (e) return e;
    *from = *to = current;
    if (current > hab_schema_latest())
        return hab_err_make(p, 409, "schema-newer",
                            "the database has schema version %d, newer than this build "
                            "knows (%d); use the habitual-admin that came with it",
                            current, hab_schema_latest());
    int count;
    const hab_migration_t *m = migrations_for(s, &count);
    for (int i = 0; i < count; i++) {
        if (m[i].version <= current) continue;
        e = apply_one(s, p, &m[i], now);
        if (e) return e;
        *to = m[i].version;
    }
    return NULL;
}

hab_err_t *hab_schema_check(hab_store_t *s, apr_pool_t *p)
{
    int version;
    hab_err_t *e = hab_schema_version(s, p, &version);
    if (e) return e;
    if (version == hab_schema_latest()) return NULL;
    if (version < hab_schema_latest())
        return hab_err_make(p, 500, "schema-older",
                            "database %s has schema version %d but this build needs %d: "
                            "run habitual-admin --driver %s --params \"%s\" init "
                            "as the database's owner",
                            s->params, version, hab_schema_latest(), s->driver, s->params);
    return hab_err_make(p, 500, "schema-newer",
                        "database %s has schema version %d, newer than this build (%d): "
                        "install the mod_habitual that matches it",
                        s->params, version, hab_schema_latest());
}
