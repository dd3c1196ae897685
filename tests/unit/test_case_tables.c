/* One definition of what a case holds (case_tables.c), checked against the
 * schema itself: SQLite's as migrated, PostgreSQL's from its migrations. */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "habitual/domain/case_tables.h"
#include "habitual/domain/evidence.h"
#include "habitual/store/store.h"
#include "store/schema_embedded.h"
#include "unit.h"

/* table -> its columns, read from a migrated SQLite database */
static apr_hash_t *sqlite_columns(hab_store_t *s)
{
    apr_hash_t *tables = apr_hash_make(test_pool);
    hab_rows_t *t, *c;
    ck_assert_ptr_null(
        hab_store_q(s, test_pool, &t, "SELECT name FROM sqlite_master WHERE type = 'table'", ""));
    for (int i = 0; i < t->nrows; i++) {
        const char *table = hab_rows_text(t, i, 0);
        ck_assert_ptr_null(
            hab_store_q(s, test_pool, &c, "SELECT name FROM pragma_table_info(?)", "t", table));
        apr_array_header_t *cols = apr_array_make(test_pool, c->nrows, sizeof(const char *));
        for (int k = 0; k < c->nrows; k++)
            APR_ARRAY_PUSH(cols, const char *) = hab_rows_text(c, k, 0);
        apr_hash_set(tables, table, APR_HASH_KEY_STRING, cols);
    }
    return tables;
}

static const char *pgsql_ddl(void)
{
    const char *ddl = "";
    for (int i = 0; i < hab_migration_count_pgsql; i++)
        ddl = apr_pstrcat(test_pool, ddl, hab_migrations_pgsql[i].sql, "\n", NULL);
    return ddl;
}

START_TEST(every_table_of_a_case_is_defined_sqlite)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    const char *missing = hab_case_tables_uncovered(test_pool, sqlite_columns(s));
    ck_assert_msg(missing == NULL, "not in hab_case_tables:\n%s", missing);
}
END_TEST

START_TEST(a_new_table_or_column_left_out_fails_sqlite)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "CREATE TABLE case_photos (id INTEGER PRIMARY KEY, "
                                   "case_id INTEGER REFERENCES cases(id), body BLOB)",
                                   ""));
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "CREATE TABLE contact_notes (contact_id INTEGER, "
                                   "note TEXT)",
                                   ""));
    ck_assert_ptr_null(
        hab_store_q(s, test_pool, NULL, "ALTER TABLE contacts ADD COLUMN mood TEXT", ""));
    const char *missing = hab_case_tables_uncovered(test_pool, sqlite_columns(s));
    ck_assert_ptr_nonnull(missing);
    ck_assert_str_eq(missing, "case_photos\ncontact_notes\ncontacts.mood");
}
END_TEST

/* The case load reads through the definition: a column it does not hold
 * (or a table) is refused, one it holds is read, typed and renamed. */
START_TEST(the_case_load_reads_only_what_the_definition_holds)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    ck_assert_ptr_null(
        hab_store_q(s, test_pool, NULL, "ALTER TABLE contacts ADD COLUMN mood TEXT", ""));
    json_t *rows = NULL;
    hab_err_t *e = hab_case_rows(s, test_pool, 1, "contacts",
                                 (const char *const[]){"id", "mood", NULL}, &rows);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 500);
    ck_assert_ptr_null(rows);
    e = hab_case_rows(s, test_pool, 1, "case_photos", (const char *const[]){"id", NULL}, &rows);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_null(hab_case_rows(s, test_pool, 1, "copy_recipients",
                                     (const char *const[]){"id", "added_by>by", NULL}, &rows));
    ck_assert_int_eq((int)json_array_size(rows), 0);
}
END_TEST

START_TEST(every_table_of_a_case_is_defined_pgsql)
{
    apr_hash_t *tables = hab_schema_columns_from_ddl(test_pool, pgsql_ddl());
    /* the reader saw the schema: tables and an added column */
    ck_assert_ptr_nonnull(apr_hash_get(tables, "correspondence", APR_HASH_KEY_STRING));
    const apr_array_header_t *cases = apr_hash_get(tables, "cases", APR_HASH_KEY_STRING);
    int linked = 0;
    for (int k = 0; k < cases->nelts; k++)
        linked |= !strcmp(APR_ARRAY_IDX(cases, k, const char *), "person_linked_at");
    ck_assert(linked);
    const char *missing = hab_case_tables_uncovered(test_pool, tables);
    ck_assert_msg(missing == NULL, "not in hab_case_tables:\n%s", missing);
    /* and the same schema with a table of the case added */
    tables = hab_schema_columns_from_ddl(
        test_pool, apr_pstrcat(test_pool, pgsql_ddl(),
                               "CREATE TABLE case_photos (\n    id BIGSERIAL PRIMARY KEY,\n    "
                               "case_id BIGINT NOT NULL REFERENCES cases(id),\n"
                               "    CHECK (id > 0)\n);\n",
                               NULL));
    ck_assert_str_eq(hab_case_tables_uncovered(test_pool, tables), "case_photos");
}
END_TEST

START_TEST(ddl_reader_skips_constraints_and_comments)
{
    apr_hash_t *t = hab_schema_columns_from_ddl(
        test_pool,
        "-- CREATE TABLE ghost (case_id INT);\n"
        "CREATE TABLE IF NOT EXISTS a (\n  id INTEGER PRIMARY KEY,\n  \"case_id\" INTEGER,\n"
        "  kind TEXT CHECK (kind IN ('x','y')),\n  UNIQUE (id, kind),\n  CONSTRAINT c FOREIGN KEY "
        "(case_id) "
        "REFERENCES cases(id)\n);\nALTER TABLE a ADD CONSTRAINT k CHECK (id > 0);\nALTER TABLE a "
        "ADD COLUMN b TEXT;");
    ck_assert_ptr_null(apr_hash_get(t, "ghost", APR_HASH_KEY_STRING));
    const apr_array_header_t *a = apr_hash_get(t, "a", APR_HASH_KEY_STRING);
    ck_assert_int_eq(a->nelts, 4);
    const char *want[] = {"id", "case_id", "kind", "b"};
    for (int i = 0; i < 4; i++) ck_assert_str_eq(APR_ARRAY_IDX(a, i, const char *), want[i]);
}
END_TEST

/* Evidence is judged by its first bytes, never by what the client said. */
START_TEST(evidence_type_by_content)
{
#define TYPE(lit) hab_evidence_type((const unsigned char *)(lit), sizeof(lit) - 1)
    ck_assert_str_eq(TYPE("%PDF-1.7\n..."), "application/pdf");
    ck_assert_str_eq(TYPE("\x89PNG\r\n\x1a\n\0\0"), "image/png");
    ck_assert_str_eq(TYPE("\xFF\xD8\xFF\xE0"), "image/jpeg");
    ck_assert_str_eq(TYPE("GIF89a.."), "image/gif");
    ck_assert_str_eq(TYPE("ID3\x04"), "audio/mpeg");
    ck_assert_str_eq(TYPE("RIFF\x24\0\0\0WAVEfmt "), "audio/wav");
    ck_assert_str_eq(TYPE("OggS\0\x02"), "audio/ogg");
    ck_assert_str_eq(TYPE("\0\0\0\x20" "ftypM4A \0"), "audio/mp4");
    ck_assert_str_eq(TYPE("From: a@b\r\nMessage-ID: <1@b>\r\n\r\n<html>body</html>"),
                     "message/rfc822");
    ck_assert_str_eq(TYPE("Notes of the call: \xC2\xA3" "5 owed."), "text/plain; charset=utf-8");
    ck_assert_str_eq(TYPE("\xEF\xBB\xBF" "a note"), "text/plain; charset=utf-8");
    /* markup, wherever it starts; binary; bad UTF-8; nothing */
    ck_assert_ptr_null(TYPE("<html><body>x</body></html>"));
    ck_assert_ptr_null(TYPE("  \n<svg onload=alert(1)>"));
    ck_assert_ptr_null(TYPE("Dear council, <script>alert(1)</script>"));
    ck_assert_ptr_null(TYPE("\x7f" "ELF\x02\x01"));
    ck_assert_ptr_null(TYPE("abc\xC3" "("));
    ck_assert_ptr_null(TYPE("text with a NUL\0 in it"));
    ck_assert_ptr_null(hab_evidence_type((const unsigned char *)"", 0));
#undef TYPE
}
END_TEST

Suite *suite_case_tables(void)
{
    Suite *s = suite_create("case_tables");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, every_table_of_a_case_is_defined_sqlite);
    tcase_add_test(tc, a_new_table_or_column_left_out_fails_sqlite);
    tcase_add_test(tc, the_case_load_reads_only_what_the_definition_holds);
    tcase_add_test(tc, every_table_of_a_case_is_defined_pgsql);
    tcase_add_test(tc, ddl_reader_skips_constraints_and_comments);
    tcase_add_test(tc, evidence_type_by_content);
    suite_add_tcase(s, tc);
    return s;
}
