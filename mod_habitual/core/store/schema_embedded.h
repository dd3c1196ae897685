/* The migrations compiled into this build (see embed.sh). */
#ifndef HABITUAL_SCHEMA_EMBEDDED_H
#define HABITUAL_SCHEMA_EMBEDDED_H

typedef struct hab_migration {
    int version;
    const char *name;
    const char *sql;
} hab_migration_t;

/* schema/NNN_*.sql (SQLite) and schema/pgsql/NNN_*.sql (PostgreSQL): the
 * same versions, so both engines hold the same data model. */
extern const hab_migration_t hab_migrations[];
extern const int hab_migration_count;
extern const hab_migration_t hab_migrations_pgsql[];
extern const int hab_migration_count_pgsql;

#endif
