/* The migrations compiled into this build (see embed_schema.sh). */
#ifndef HABITUAL_SCHEMA_EMBEDDED_H
#define HABITUAL_SCHEMA_EMBEDDED_H

typedef struct hab_migration {
    int version;
    const char *name;
    const char *sql;
} hab_migration_t;

extern const hab_migration_t hab_migrations[];
extern const int hab_migration_count;

#endif
