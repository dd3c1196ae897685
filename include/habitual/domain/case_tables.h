/* What a case holds, defined once (README "What a case holds"): every table
 * with rows belonging to a case, how they are found from the case's id, the
 * columns each holds and which are special-category data.  The subject
 * access export (habitual-admin sar) and the purge read only this table, so
 * a table added to the schema and left out here is caught by the unit test
 * that compares it with the schema itself (both engines). */
#ifndef HABITUAL_CASE_TABLES_H
#define HABITUAL_CASE_TABLES_H

#include <apr_hash.h>
#include <apr_pools.h>
#include <jansson.h>

#include "habitual/base/error.h"
#include "habitual/store/store.h"

typedef struct hab_case_table {
    const char *key; /* its name in the export; "" merges its columns into the case itself;
                      * "-" not in the export (purged, and checked against the schema) */
    const char *table;
    /* "t:col" text, "i:col" integer, "b:col" 0/1 flag, "j:col" JSON the
     * module stored; "t:col>name" exports col as name */
    const char *const *columns;
    const char *belongs;        /* SQL condition on the table's rows; one parameter, the case id */
    const char *order;          /* ORDER BY of the export */
    const char *parent;         /* the key of the part whose rows these sit under, or NULL */
    const char *parent_column;  /* this table's column holding the parent row's id */
    int single;                 /* under its parent as one object (or null), not a list */
    int special;                /* special-category data (UK GDPR article 9; R10) */
} hab_case_table_t;

extern const hab_case_table_t hab_case_tables[];

/* Tables that name a case but are not part of its record, each with why. */
extern const char *const hab_case_not_tables[][2];

/* Everything held in the case as JSON, special-category data under
 * "special_category"; status as it stands today (a lapse derived). */
hab_err_t *hab_case_export(hab_store_t *s, apr_pool_t *p, long long case_id, const char *today,
                           json_t **out);

/* The rows table holds for case case_id, as the definition finds and
 * orders them: each row an object of the fields asked, "column" or
 * "column>name", typed as the definition says.  Asking for a column the
 * definition does not hold is an error, so the case load (casefile.c)
 * reads nothing the export and the purge would miss. */
hab_err_t *hab_case_rows(hab_store_t *s, apr_pool_t *p, long long case_id, const char *table,
                         const char *const *fields, json_t **rows);
/* The same as stored rows, column k the field k (no JSON), for a loader
 * that reads a few values: the case load's hot path. */
hab_err_t *hab_case_select(hab_store_t *s, apr_pool_t *p, long long case_id, const char *table,
                           const char *const *fields, hab_rows_t **rows);

/* Delete every row of the case, children first, then the case; not its
 * persons (the caller decides whether another case still holds them). */
hab_err_t *hab_case_purge(hab_store_t *s, apr_pool_t *p, long long case_id);

/* tables: table name -> apr_array_header_t of column names (const char *).
 * NULL when every table that names a case (a case_id or person_id column,
 * or an X_id column for a part table Xs) is a part or listed as not one,
 * and every column of a part's table is in one of its parts; else what is
 * missing, one "table" or "table.column" per line. */
const char *hab_case_tables_uncovered(apr_pool_t *p, apr_hash_t *tables);

/* The tables and columns a schema's DDL creates (CREATE TABLE, ALTER TABLE
 * ... ADD COLUMN), as for hab_case_tables_uncovered. */
apr_hash_t *hab_schema_columns_from_ddl(apr_pool_t *p, const char *ddl);

#endif
