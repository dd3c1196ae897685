/* The SQLite store, schema migrations and the access log's chain. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "habitual/store/audit.h"
#include "habitual/base/log.h"
#include "habitual/store/store.h"
#include "habitual/store/writer.h"
#include "store/schema_embedded.h"
#include "unit.h"
#include "habitual/store/schema.h"

START_TEST(schema_is_current_after_migrate_and_idempotent)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    int v = -1, from, to;
    ck_assert_ptr_null(hab_schema_version(s, test_pool, &v));
    ck_assert_int_eq(v, hab_schema_latest());
    ck_assert_ptr_null(hab_schema_check(s, test_pool));
    ck_assert_ptr_null(hab_schema_migrate(s, test_pool, "2026-01-02T00:00:00Z", &from, &to));
    ck_assert_int_eq(from, to);
    hab_rows_t *rows;
    ck_assert_ptr_null(
        hab_store_q(s, test_pool, &rows, "SELECT count(*) FROM schema_migrations", ""));
    /* one row per migration (numbers may have a gap while branches merge) */
    ck_assert_int_eq(hab_rows_int(rows, 0, 0), hab_migration_count);
}
END_TEST

START_TEST(newer_schema_refused)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "INSERT INTO schema_migrations VALUES (99, 'x', 'y')", ""));
    int from, to;
    hab_err_t *e = hab_schema_migrate(s, test_pool, "2026-01-02T00:00:00Z", &from, &to);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->code, "schema-newer");
    e = hab_schema_check(s, test_pool);
    ck_assert_ptr_nonnull(e);
}
END_TEST

START_TEST(store_binds_and_returns_text)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    hab_rows_t *rows;
    ck_assert_ptr_null(hab_store_q(s, test_pool, &rows, "SELECT ?, ?, ?, ?", "tiIb",
                                   "O'Brien; DROP", 42LL, 0LL, 1));
    ck_assert_int_eq(rows->nrows, 1);
    ck_assert_str_eq(hab_rows_text(rows, 0, 0), "O'Brien; DROP");
    ck_assert_int_eq(hab_rows_int(rows, 0, 1), 42);
    ck_assert_ptr_null(hab_rows_text(rows, 0, 2));
    ck_assert_int_eq(hab_rows_int(rows, 0, 3), 1);
    ck_assert_ptr_null(hab_rows_text(rows, 1, 0));
    /* a wrong parameter count is refused, not guessed */
    hab_err_t *e = hab_store_q(s, test_pool, &rows, "SELECT ?, ?", "t", "x");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 500);
}
END_TEST

/* One returned value as text ("" for none), for the checks below. */
static const char *returned(hab_store_t *s, const char *sql, int *nrows)
{
    hab_rows_t *rows;
    hab_err_t *e = hab_store_q(s, test_pool, &rows, sql, "");
    ck_assert_msg(e == NULL, "%s: %s", sql, e ? e->message : "");
    *nrows = rows->nrows;
    const char *all = "";
    for (int i = 0; i < rows->nrows; i++)
        all = apr_pstrcat(test_pool, all, i ? "," : "", hab_rows_text(rows, i, 0), NULL);
    return all;
}

/* The driver answers a one-row "INSERT … RETURNING <rowid>" from the rowid
 * without running RETURNING: every other INSERT … RETURNING must still get
 * what RETURNING says (several rows, an upsert's updated row, a key that is
 * not the rowid). */
START_TEST(insert_returning_answers_as_returning_does) {
    hab_store_t *s = unit_fresh_store(test_pool);
    ck_assert_ptr_null(
        hab_store_q(s, test_pool, NULL,
                    "CREATE TABLE things(id INTEGER PRIMARY KEY, k TEXT UNIQUE, n INTEGER)", ""));
    ck_assert_ptr_null(hab_store_q(
        s, test_pool, NULL, "CREATE TABLE pairs(a INTEGER, b INTEGER, PRIMARY KEY (a, b))", ""));
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "CREATE TABLE tagged(code TEXT PRIMARY KEY, n INTEGER)", ""));
    int n;
    ck_assert_str_eq(returned(s, "INSERT INTO things(k, n) VALUES ('a', 1) RETURNING id", &n), "1");
    ck_assert_str_eq(returned(s, "INSERT INTO things(k, n) VALUES ('b', 1) RETURNING id", &n), "2");
    ck_assert_str_eq(
        returned(s, "INSERT INTO things(k, n) VALUES ('it''s (odd) FROM x', 1) RETURNING id", &n),
        "3");
    /* a SELECT with no FROM: one row or none */
    ck_assert_str_eq(
        returned(s, "INSERT INTO things(k, n) SELECT 'c', 2 WHERE 1 = 0 RETURNING id", &n), "");
    ck_assert_int_eq(n, 0);
    ck_assert_str_eq(
        returned(s,
                 "INSERT INTO things(k, n) SELECT 'c', 2 WHERE (SELECT count(*) FROM things) = 3 "
                 "RETURNING id",
                 &n),
        "4");
    /* several rows */
    ck_assert_str_eq(
        returned(s,
                 "INSERT INTO things(k, n) SELECT k || '2', 5 FROM things WHERE n = 1 RETURNING id",
                 &n),
        "5,6,7");
    ck_assert_str_eq(
        returned(s, "INSERT INTO things(k, n) VALUES ('m', 1), ('o', 1) RETURNING id", &n), "8,9");
    /* an upsert's row is the one updated, not the last inserted */
    ck_assert_str_eq(returned(s,
                              "INSERT INTO things(k, n) VALUES ('a', 9) ON CONFLICT(k) DO UPDATE "
                              "SET n = excluded.n RETURNING id",
                              &n),
                     "1");
    /* keys that are not the rowid */
    ck_assert_str_eq(returned(s, "INSERT INTO pairs(a, b) VALUES (5, 6) RETURNING a", &n), "5");
    ck_assert_str_eq(returned(s, "INSERT INTO tagged(code, n) VALUES ('x', 1) RETURNING code", &n),
                     "x");
    ck_assert_str_eq(returned(s, "INSERT INTO tagged(code, n) VALUES ('y', 1) RETURNING n", &n),
                     "1");
    /* and the rows are there */
    ck_assert_str_eq(
        returned(s, "SELECT group_concat(id || k, ' ') FROM (SELECT id, k FROM things ORDER BY id)",
                 &n),
        "1a 2b 3it's (odd) FROM x 4c 5a2 6b2 7it's (odd) FROM x2 8m 9o");
}
END_TEST

START_TEST(foreign_keys_are_on) {
    hab_store_t *s = unit_fresh_store(test_pool);
    hab_err_t *e =
        hab_store_q(s, test_pool, NULL,
                    "INSERT INTO case_criteria(case_id, criterion) VALUES (999, 'swearing')", "");
    ck_assert_ptr_nonnull(e);
}
END_TEST

START_TEST(missing_file_is_not_created)
{
    hab_store_t *s = NULL;
    hab_err_t *e =
        hab_store_open(test_pool, "sqlite3", "/tmp/habitual-unit-does-not-exist.db", 0, &s);
    ck_assert_ptr_nonnull(e);
    ck_assert(access("/tmp/habitual-unit-does-not-exist.db", F_OK) != 0);
    e = hab_store_open(test_pool, "nosuch", "x", 0, &s);
    ck_assert_ptr_nonnull(e);
}
END_TEST

static hab_audit_entry_t entry(const char *user, long long case_id, int status)
{
    hab_audit_entry_t e;
    memset(&e, 0, sizeof(e));
    e.at = "2026-11-29T10:00:00Z";
    e.user = user;
    e.roles = "staff,cem";
    e.action = "case.read";
    e.case_id = case_id;
    e.outcome = status < 400 ? "allowed" : "refused";
    e.status = status;
    e.request_id = "abc";
    e.client = "127.0.0.1";
    return e;
}

static void append(hab_store_t *s, const char *user, long long case_id, int status)
{
    hab_audit_entry_t e = entry(user, case_id, status);
    ck_assert_ptr_null(s->ops->begin(s, test_pool, 1));
    ck_assert_ptr_null(hab_audit_append(s, test_pool, &e));
    ck_assert_ptr_null(s->ops->commit(s, test_pool));
}

START_TEST(chain_appends_and_verifies)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    hab_audit_verdict_t v;
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert(v.ok);
    ck_assert_int_eq(v.entries, 0);
    ck_assert_str_eq(v.head, HAB_AUDIT_GENESIS);
    for (int i = 0; i < 5; i++) append(s, "carol", i + 1, 200);
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert(v.ok);
    ck_assert_int_eq(v.entries, 5);
    hab_rows_t *rows;
    ck_assert_ptr_null(
        hab_store_q(s, test_pool, &rows,
                    "SELECT hash, prev_hash FROM access_log WHERE seq IN (4,5) ORDER BY seq", ""));
    ck_assert_str_eq(v.head, hab_rows_text(rows, 1, 0));
    ck_assert_str_eq(hab_rows_text(rows, 1, 1), hab_rows_text(rows, 0, 0));
}
END_TEST

START_TEST(append_unchanged_writes_only_while_the_counter_stands)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    long long gen = -1;
    int appended = -1;
    ck_assert_ptr_null(hab_changes_read(s, test_pool, &gen));
    ck_assert_ptr_null(s->ops->begin(s, test_pool, 1));
    hab_audit_entry_t one = entry("carol", 1, 200);
    one.case_ids = "1,7";
    ck_assert_ptr_null(hab_audit_append_unchanged(s, test_pool, &one, gen, &appended));
    ck_assert_int_eq(appended, 1);
    ck_assert_ptr_null(hab_changes_bump(s, test_pool));
    /* moved: nothing written, and the next entry chains from the last one */
    hab_audit_entry_t two = entry("carol", 2, 200);
    two.case_ids = "2";
    ck_assert_ptr_null(hab_audit_append_unchanged(s, test_pool, &two, gen, &appended));
    ck_assert_int_eq(appended, 0);
    ck_assert_ptr_null(hab_audit_append_unchanged(s, test_pool, &two, -1, &appended));
    ck_assert_int_eq(appended, 0);
    hab_audit_entry_t three = entry("carol", 3, 200);
    ck_assert_ptr_null(hab_audit_append_unchanged(s, test_pool, &three, gen + 1, &appended));
    ck_assert_int_eq(appended, 1);
    ck_assert_ptr_null(s->ops->commit(s, test_pool));
    hab_rows_t *rows;
    ck_assert_ptr_null(hab_store_q(s, test_pool, &rows,
                                   "SELECT group_concat(case_id), group_concat(case_ids, ';') "
                                   "FROM access_log",
                                   ""));
    ck_assert_str_eq(hab_rows_text(rows, 0, 0), "1,3");
    ck_assert_str_eq(hab_rows_text(rows, 0, 1), "1,7");
    hab_audit_verdict_t v;
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert(v.ok);
    ck_assert_int_eq(v.entries, 2);
}
END_TEST

START_TEST(encoding_is_the_documented_one)
{
    hab_audit_entry_t e = entry("carol", 0, 404);
    e.seq = 1;
    e.prev_hash = HAB_AUDIT_GENESIS;
    apr_size_t len;
    const char *enc = hab_audit_encode(test_pool, &e, &len);
    ck_assert_str_eq(
        enc, "habitual-audit-v1\n1:1\n20:2026-11-29T10:00:00Z\n5:carol\n9:staff,cem\n-\n"
             "9:case.read\n-\n7:refused\n3:404\n3:abc\n9:127.0.0.1\n64:" HAB_AUDIT_GENESIS "\n");
}
END_TEST

static void expect_bad_at(hab_store_t *s, long long seq);

/* Entries with the cases a list showed: v2, case_ids after prev_hash; the
 * same entry without them is v1, byte for byte as before. */
START_TEST(encoding_v2_only_with_case_ids)
{
    hab_audit_entry_t e = entry("carol", 0, 200);
    e.seq = 2;
    e.prev_hash = HAB_AUDIT_GENESIS;
    e.action = "cases.list";
    const char *v1 = hab_audit_compute_hash(test_pool, &e);
    e.case_ids = "3,7,12";
    apr_size_t len;
    const char *enc = hab_audit_encode(test_pool, &e, &len);
    ck_assert_str_eq(enc,
                     "habitual-audit-v2\n1:2\n20:2026-11-29T10:00:00Z\n5:carol\n9:staff,cem\n-\n"
                     "10:cases.list\n-\n7:allowed\n3:200\n3:abc\n9:127.0.0.1\n64:" HAB_AUDIT_GENESIS
                     "\n6:3,7,12\n");
    ck_assert_str_ne(hab_audit_compute_hash(test_pool, &e), v1);
    e.case_ids = NULL;
    ck_assert_str_eq(hab_audit_compute_hash(test_pool, &e), v1);
}
END_TEST

START_TEST(case_ids_canonical_text)
{
    apr_array_header_t *ids = apr_array_make(test_pool, 4, sizeof(long long));
    ck_assert_ptr_null(hab_audit_ids_text(test_pool, ids));
    ck_assert_ptr_null(hab_audit_ids_text(test_pool, NULL));
    long long in[] = {12, 3, 7, 3, 999999999999999LL, 12};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) APR_ARRAY_PUSH(ids, long long) = in[i];
    const char *t = hab_audit_ids_text(test_pool, ids);
    ck_assert_str_eq(t, "3,7,12,999999999999999");
    ck_assert(hab_audit_ids_valid(t));
    ck_assert(hab_audit_ids_valid("1"));
    const char *bad[] = {"", ",1", "1,", "1,,2", "2,1", "1,1", "01", "-1", "1 ,2", "0", "1;2",
                         "1234567890123456789", NULL};
    for (int i = 0; bad[i]; i++) ck_assert_msg(!hab_audit_ids_valid(bad[i]), "%s", bad[i]);
}
END_TEST

/* A refusal naming its rule (schema 10): v3, case_ids (or none) and the
 * rule after prev_hash; the same entry without a rule is v1 as before. */
START_TEST(encoding_v3_only_with_a_rule)
{
    hab_audit_entry_t e = entry("carol", 4, 422);
    e.seq = 3;
    e.prev_hash = HAB_AUDIT_GENESIS;
    e.action = "case.decide";
    const char *v1 = hab_audit_compute_hash(test_pool, &e);
    e.refused_rule = "R5";
    apr_size_t len;
    const char *enc = hab_audit_encode(test_pool, &e, &len);
    ck_assert_str_eq(
        enc, "habitual-audit-v3\n1:3\n20:2026-11-29T10:00:00Z\n5:carol\n9:staff,cem\n-\n"
             "11:case.decide\n1:4\n7:refused\n3:422\n3:abc\n9:127.0.0.1\n64:" HAB_AUDIT_GENESIS
             "\n-\n2:R5\n");
    ck_assert_str_ne(hab_audit_compute_hash(test_pool, &e), v1);
    e.refused_rule = NULL;
    ck_assert_str_eq(hab_audit_compute_hash(test_pool, &e), v1);
    ck_assert(hab_audit_rule_valid("R1") && hab_audit_rule_valid("R19") &&
              hab_audit_rule_valid("R10"));
    ck_assert(!hab_audit_rule_valid("R0") && !hab_audit_rule_valid("R20") &&
              !hab_audit_rule_valid("R") && !hab_audit_rule_valid("r5") &&
              !hab_audit_rule_valid("R05") && !hab_audit_rule_valid(NULL));
}
END_TEST

/* Old entries (no rule), new refusals naming one, in one chain: it
 * verifies; naming a rule on an old entry, or changing one, breaks it there. */
START_TEST(mixed_v1_and_v3_entries_verify)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    append(s, "carol", 1, 200);
    append(s, "alice", 1, 404);
    const char *rules[] = {"R13", "R5"};
    for (int i = 0; i < 2; i++) {
        hab_audit_entry_t e = entry("molly", 1, i ? 422 : 409);
        e.refused_rule = rules[i];
        ck_assert_ptr_null(s->ops->begin(s, test_pool, 1));
        ck_assert_ptr_null(hab_audit_append(s, test_pool, &e));
        ck_assert_ptr_null(s->ops->commit(s, test_pool));
    }
    append(s, "carol", 1, 200);
    hab_audit_verdict_t v;
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert(v.ok);
    ck_assert_int_eq(v.entries, 5);
    hab_audit_entry_t back;
    ck_assert_ptr_null(hab_audit_entry_by_seq(s, test_pool, 4, &back));
    ck_assert_str_eq(back.refused_rule, "R5");
    ck_assert_ptr_null(hab_audit_entry_by_seq(s, test_pool, 2, &back));
    ck_assert_ptr_null(back.refused_rule);
    /* not a rule: refused before anything is written */
    hab_audit_entry_t bad = entry("molly", 1, 422);
    bad.refused_rule = "R20";
    ck_assert_ptr_null(s->ops->begin(s, test_pool, 1));
    ck_assert_ptr_nonnull(hab_audit_append(s, test_pool, &bad));
    s->ops->rollback(s);
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL, "DROP TRIGGER access_log_no_update", ""));
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "UPDATE access_log SET refused_rule = 'R4' WHERE seq = 2", ""));
    expect_bad_at(s, 2);
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "UPDATE access_log SET refused_rule = NULL WHERE seq = 2", ""));
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "UPDATE access_log SET refused_rule = 'R6' WHERE seq = 4", ""));
    expect_bad_at(s, 4);
}
END_TEST

/* Appended with case_ids: the chain holds, api/audit?case=N finds the
 * entry (here after the index's mark, by its own case_ids; the test below
 * crosses the mark), and an edit of case_ids is caught. */
START_TEST(case_ids_are_indexed_and_chained)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    append(s, "carol", 5, 200);
    hab_audit_entry_t e = entry("olive", 0, 200);
    e.action = "notices.list";
    e.case_ids = "5,9";
    ck_assert_ptr_null(s->ops->begin(s, test_pool, 1));
    ck_assert_ptr_null(hab_audit_append(s, test_pool, &e));
    ck_assert_ptr_null(s->ops->commit(s, test_pool));
    append(s, "carol", 7, 200);
    hab_audit_verdict_t v;
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert(v.ok);
    ck_assert_int_eq(v.entries, 3);
    long long wanted[] = {5, 9, 7};
    int found[] = {2, 1, 1};
    for (int i = 0; i < 3; i++) {
        hab_audit_filter_t f = {NULL, NULL, NULL, wanted[i], 0, 100};
        json_t *got = json_array();
        long long last;
        ck_assert_ptr_null(hab_audit_query(s, test_pool, &f, got, &last));
        ck_assert_int_eq((int)json_array_size(got), found[i]);
        json_decref(got);
    }
    hab_audit_entry_t back;
    ck_assert_ptr_null(hab_audit_entry_by_seq(s, test_pool, 2, &back));
    ck_assert_str_eq(back.case_ids, "5,9");
    json_t *j = hab_audit_entry_json(&back, 0);
    ck_assert_int_eq((int)json_array_size(json_object_get(j, "case_ids")), 2);
    ck_assert_int_eq((int)json_integer_value(json_array_get(json_object_get(j, "case_ids"), 1)), 9);
    json_decref(j);
    /* not canonical: refused before anything is written */
    e.case_ids = "9,5";
    ck_assert_ptr_null(s->ops->begin(s, test_pool, 1));
    ck_assert_ptr_nonnull(hab_audit_append(s, test_pool, &e));
    s->ops->rollback(s);
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL, "DROP TRIGGER access_log_no_update", ""));
    ck_assert_ptr_null(
        hab_store_q(s, test_pool, NULL, "UPDATE access_log SET case_ids = '5' WHERE seq = 2", ""));
    expect_bad_at(s, 2);
}
END_TEST

static void append_showing(hab_store_t *s, long long case_id, const char *case_ids)
{
    hab_audit_entry_t e = entry("olive", case_id, 200);
    e.case_ids = case_ids;
    ck_assert_ptr_null(s->ops->begin(s, test_pool, 1));
    ck_assert_ptr_null(hab_audit_append(s, test_pool, &e));
    ck_assert_ptr_null(s->ops->commit(s, test_pool));
}

/* The seqs api/audit?case=N answers with, after `after`, at most limit. */
static const char *seqs_about(hab_store_t *s, long long case_id, long long after, int limit)
{
    hab_audit_filter_t f = {NULL, NULL, NULL, case_id, after, limit};
    json_t *got = json_array();
    long long last;
    ck_assert_ptr_null(hab_audit_query(s, test_pool, &f, got, &last));
    const char *text = "";
    for (size_t i = 0; i < json_array_size(got); i++)
        text = apr_psprintf(test_pool, "%s%s%" APR_INT64_T_FMT, text, i ? "," : "",
                            (apr_int64_t)json_integer_value(
                                json_object_get(json_array_get(got, i), "seq")));
    json_decref(got);
    return text;
}

/* The index's rows as case:first-last, by block, then case. */
#define BLOCKS_SQL                                                                               \
    "SELECT count(*), group_concat(row) FROM (SELECT case_id || ':' || first_seq || '-' || "    \
    "last_seq AS row FROM access_log_case_blocks ORDER BY last_seq, case_id)"

/* The index is written in arrears and by block (audit.h): nothing until an
 * entry at a multiple of HAB_AUDIT_INDEX_EVERY, then each case the block's
 * entries showed, once, and the block's mark; a search finds the entries on
 * both sides of the mark, in order, only those that showed the case, and
 * pages across it. */
START_TEST(shown_cases_are_indexed_in_arrears_and_found_on_both_sides_of_the_mark)
{
    enum { EVERY = HAB_AUDIT_INDEX_EVERY };
    hab_store_t *s = unit_fresh_store(test_pool);
    hab_rows_t *rows;
    const char *index_sql = BLOCKS_SQL;
    for (long long seq = 1; seq <= EVERY + 5; seq++) {
        if (seq == 3)
            append_showing(s, 0, "4,9");
        else if (seq == EVERY - 1)
            append_showing(s, 9, "9");
        else if (seq == EVERY)
            append_showing(s, 0, "2,9");
        else if (seq == EVERY + 3)
            append_showing(s, 0, "9,11");
        else
            append_showing(s, seq == 5 ? 11 : 1, NULL);
        if (seq == EVERY - 1) {
            /* before the mark: nothing indexed, and still everything found */
            ck_assert_ptr_null(hab_store_q(s, test_pool, &rows, index_sql, ""));
            ck_assert_int_eq(hab_rows_int(rows, 0, 0), 0);
            ck_assert_str_eq(seqs_about(s, 9, 0, 100),
                             apr_psprintf(test_pool, "3,%d", EVERY - 1));
        }
    }
    ck_assert_ptr_null(hab_store_q(s, test_pool, &rows, index_sql, ""));
    ck_assert_str_eq(hab_rows_text(rows, 0, 1),
                     apr_psprintf(test_pool, "0:1-%d,2:1-%d,4:1-%d,9:1-%d", EVERY, EVERY, EVERY,
                                  EVERY));
    ck_assert_str_eq(seqs_about(s, 9, 0, 100),
                     apr_psprintf(test_pool, "3,%d,%d,%d", EVERY - 1, EVERY, EVERY + 3));
    ck_assert_str_eq(seqs_about(s, 11, 0, 100), apr_psprintf(test_pool, "5,%d", EVERY + 3));
    ck_assert_str_eq(seqs_about(s, 2, 0, 100), apr_psprintf(test_pool, "%d", EVERY));
    ck_assert_str_eq(seqs_about(s, 4, 0, 100), "3");
    ck_assert_str_eq(seqs_about(s, 9, EVERY - 1, 2),
                     apr_psprintf(test_pool, "%d,%d", EVERY, EVERY + 3));
    /* a case shown nowhere; an id that is a part of another's ("1" of "9,11") */
    ck_assert_str_eq(seqs_about(s, 12, 0, 100), "");
    ck_assert_str_eq(seqs_about(s, 1, EVERY + 2, 100),
                     apr_psprintf(test_pool, "%d,%d", EVERY + 4, EVERY + 5));
    hab_audit_verdict_t v;
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert(v.ok);
    ck_assert_int_eq(v.entries, EVERY + 5);
}
END_TEST

/* The entry at the multiple rolled back takes its indexing with it; the
 * entry that takes its seq next does the indexing. */
START_TEST(shown_cases_indexing_rolls_back_with_its_entry)
{
    enum { EVERY = HAB_AUDIT_INDEX_EVERY };
    hab_store_t *s = unit_fresh_store(test_pool);
    append_showing(s, 0, "7");
    for (long long seq = 2; seq < EVERY; seq++) append_showing(s, 1, NULL);
    hab_audit_entry_t e = entry("olive", 0, 200);
    e.case_ids = "8";
    ck_assert_ptr_null(s->ops->begin(s, test_pool, 1));
    ck_assert_ptr_null(hab_audit_append(s, test_pool, &e));
    ck_assert_int_eq(e.seq, EVERY);
    s->ops->rollback(s);
    hab_audit_forget_head(s);
    hab_rows_t *rows;
    ck_assert_ptr_null(hab_store_q(s, test_pool, &rows, BLOCKS_SQL, ""));
    ck_assert_int_eq(hab_rows_int(rows, 0, 0), 0);
    ck_assert_str_eq(seqs_about(s, 8, 0, 100), "");
    append_showing(s, 0, "8");
    ck_assert_ptr_null(hab_store_q(s, test_pool, &rows, BLOCKS_SQL, ""));
    ck_assert_str_eq(hab_rows_text(rows, 0, 1),
                     apr_psprintf(test_pool, "0:1-%d,7:1-%d,8:1-%d", EVERY, EVERY, EVERY));
    ck_assert_str_eq(seqs_about(s, 8, 0, 100), apr_psprintf(test_pool, "%d", EVERY));
}
END_TEST

/* A log upgraded from schema 12: access_log_cases indexes each entry up to
 * its mark, and is all a search has for them; the first block begins after
 * that mark.  Entries 1 and 2 are found only through the old rows. */
START_TEST(a_search_reads_the_old_index_up_to_its_mark_then_the_blocks)
{
    enum { EVERY = HAB_AUDIT_INDEX_EVERY };
    hab_store_t *s = unit_fresh_store(test_pool);
    append_showing(s, 0, "5");
    append_showing(s, 0, "6");
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "INSERT INTO access_log_cases(case_id, seq) "
                                   "VALUES (5, 1), (6, 2), (0, 2)",
                                   ""));
    for (long long seq = 3; seq <= EVERY + 1; seq++)
        append_showing(s, 0, seq == 3 ? "5" : seq == EVERY ? "6" : seq == EVERY + 1 ? "5" : NULL);
    hab_rows_t *rows;
    ck_assert_ptr_null(hab_store_q(s, test_pool, &rows, BLOCKS_SQL, ""));
    ck_assert_str_eq(hab_rows_text(rows, 0, 1),
                     apr_psprintf(test_pool, "0:3-%d,5:3-%d,6:3-%d", EVERY, EVERY, EVERY));
    ck_assert_str_eq(seqs_about(s, 5, 0, 100), apr_psprintf(test_pool, "1,3,%d", EVERY + 1));
    ck_assert_str_eq(seqs_about(s, 6, 0, 100), apr_psprintf(test_pool, "2,%d", EVERY));
}
END_TEST

START_TEST(log_refuses_update_and_delete)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    append(s, "carol", 1, 200);
    hab_err_t *e = hab_store_q(s, test_pool, NULL, "UPDATE access_log SET user='mallory'", "");
    ck_assert_ptr_nonnull(e);
    e = hab_store_q(s, test_pool, NULL, "DELETE FROM access_log", "");
    ck_assert_ptr_nonnull(e);
}
END_TEST

/* An attacker with the file: drop the triggers, then tamper. */
static hab_store_t *tampered_store(const char *sql)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    for (int i = 0; i < 6; i++) append(s, i % 2 ? "carol" : "chris", i + 1, 200);
    ck_assert_ptr_null(s->ops->exec_script(
        s, test_pool, "DROP TRIGGER access_log_no_update; DROP TRIGGER access_log_no_delete;"));
    ck_assert_ptr_null(s->ops->exec_script(s, test_pool, sql));
    return s;
}

static void expect_bad_at(hab_store_t *s, long long seq)
{
    hab_audit_verdict_t v;
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert(!v.ok);
    ck_assert_int_eq(v.first_bad_seq, seq);
}

START_TEST(tamper_one_field)
{
    expect_bad_at(tampered_store("UPDATE access_log SET status=403 WHERE seq=3"), 3);
}
END_TEST

START_TEST(tamper_delete_middle)
{
    expect_bad_at(tampered_store("DELETE FROM access_log WHERE seq=4"), 4);
}
END_TEST

START_TEST(tamper_swap_two)
{
    expect_bad_at(tampered_store(
        "UPDATE access_log SET seq=-2 WHERE seq=2; UPDATE access_log SET seq=2 WHERE seq=5;"
        "UPDATE access_log SET seq=5 WHERE seq=-2;"), 2);
}
END_TEST

/* Many batches, read on a second thread while the one before is hashed:
 * every entry counted once, a bad entry in a late batch named exactly. */
START_TEST(verify_in_batches_walks_every_batch)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    for (int i = 0; i < 20; i++) append(s, "carol", i + 1, 200);
    hab_audit_verdict_t whole, v;
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &whole));
    static const int sizes[] = {1,  3,  5, 7,
                                19, 20, 21}; /* 5 and 20 divide 20: a last, empty read */
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        int size = sizes[i];
        ck_assert_ptr_null(hab_audit_verify_in_batches(s, test_pool, size, &v));
        ck_assert_msg(v.ok && v.entries == 20, "batch size %d: ok %d, %lld entries", size, v.ok,
                      v.entries);
        ck_assert_str_eq(v.head, whole.head);
    }
    ck_assert_ptr_null(s->ops->exec_script(s, test_pool,
                                           "DROP TRIGGER access_log_no_update;"
                                           "UPDATE access_log SET status=403 WHERE seq=17"));
    ck_assert_ptr_null(hab_audit_verify_in_batches(s, test_pool, 3, &v));
    ck_assert(!v.ok);
    ck_assert_int_eq(v.first_bad_seq, 17);
    ck_assert_int_eq(v.entries, 16);
}
END_TEST

START_TEST(tamper_rehash_one_is_caught_by_the_next)
{
    /* Changing an entry and recomputing its own hash breaks the next link. */
    hab_store_t *s = tampered_store("UPDATE access_log SET user='mallory' WHERE seq=2");
    hab_rows_t *rows;
    ck_assert_ptr_null(
        hab_store_q(s, test_pool, &rows,
                    "SELECT seq, at, user, roles, acting_as, action, case_id, outcome, status,"
                    " request_id, client, prev_hash FROM access_log WHERE seq=2",
                    ""));
    hab_audit_entry_t e = entry("mallory", 2, 200);
    e.seq = 2;
    e.prev_hash = hab_rows_text(rows, 0, 11);
    const char *h = hab_audit_compute_hash(test_pool, &e);
    ck_assert_ptr_null(
        hab_store_q(s, test_pool, NULL, "UPDATE access_log SET hash=? WHERE seq=2", "t", h));
    expect_bad_at(s, 3);
}
END_TEST

START_TEST(checkpoint_round_trip)
{
    hab_secret_t key = {(const unsigned char *)"checkpoint-key-checkpoint-key-32", 32};
    hab_secret_t other = {(const unsigned char *)"another-key-another-key-another!", 32};
    const char *line =
        hab_checkpoint_make(test_pool, &key, 12, HAB_AUDIT_GENESIS, "2026-11-29T10:00:00Z");
    long long n;
    const char *head;
    ck_assert_ptr_null(hab_checkpoint_parse(test_pool, &key, line, &n, &head));
    ck_assert_int_eq(n, 12);
    ck_assert_str_eq(head, HAB_AUDIT_GENESIS);
    ck_assert_ptr_nonnull(hab_checkpoint_parse(test_pool, &other, line, &n, &head));
    char *forged = apr_pstrdup(test_pool, line);
    forged[strlen("habitual-checkpoint v1 entries=1")] = '3';
    ck_assert_ptr_nonnull(hab_checkpoint_parse(test_pool, &key, forged, &n, &head));
    ck_assert_ptr_nonnull(hab_checkpoint_parse(test_pool, &key, "nonsense", &n, &head));
}
END_TEST

static void judge(long long chain_entries, int chain_ok, long long cp_entries, const char *at_count,
                  hab_checkpoint_state_t state, long long first_bad)
{
    hab_audit_verdict_t v = {chain_ok, chain_entries, "h", chain_ok ? 0 : 4, chain_ok ? NULL : "x"};
    hab_checkpoint_verdict_t cv;
    hab_checkpoint_judge(test_pool, &v, cp_entries, HAB_AUDIT_GENESIS, at_count, &cv);
    ck_assert_int_eq(cv.state, state);
    ck_assert_int_eq(cv.first_bad_seq, first_bad);
    ck_assert(state == HAB_CHECKPOINT_HOLDS ? cv.problem == NULL : cv.problem != NULL);
}

START_TEST(checkpoint_judged)
{
    const char *other = "1111111111111111111111111111111111111111111111111111111111111111";
    judge(10, 1, 10, HAB_AUDIT_GENESIS, HAB_CHECKPOINT_HOLDS, 0);
    judge(12, 1, 10, HAB_AUDIT_GENESIS, HAB_CHECKPOINT_HOLDS, 0);   /* the log went on */
    judge(12, 1, 0, NULL, HAB_CHECKPOINT_HOLDS, 0);                /* an empty log's checkpoint */
    judge(12, 1, 10, other, HAB_CHECKPOINT_REWRITTEN, 10);         /* re-chained */
    judge(12, 1, 10, NULL, HAB_CHECKPOINT_REWRITTEN, 10);
    judge(7, 1, 10, NULL, HAB_CHECKPOINT_TRUNCATED, 8);            /* 8.. removed */
    judge(12, 0, 10, HAB_AUDIT_GENESIS, HAB_CHECKPOINT_CHAIN_BROKEN, 4);
}
END_TEST

START_TEST(checkpoint_checked_against_the_store)
{
    hab_secret_t key = {(const unsigned char *)"checkpoint-key-checkpoint-key-32", 32};
    hab_secret_t other = {(const unsigned char *)"another-key-another-key-another!", 32};
    hab_store_t *s = unit_fresh_store(test_pool);
    for (int i = 0; i < 4; i++) append(s, "carol", i + 1, 200);
    hab_rows_t *rows;
    ck_assert_ptr_null(
        hab_store_q(s, test_pool, &rows, "SELECT hash FROM access_log WHERE seq = 3", ""));
    const char *line =
        hab_checkpoint_make(test_pool, &key, 3, hab_rows_text(rows, 0, 0), "2026-11-29T10:00:00Z");
    long long n;
    const char *head;
    hab_err_t *problem;
    hab_audit_verdict_t chain;
    hab_checkpoint_verdict_t cv;
    ck_assert_ptr_null(
        hab_checkpoint_check(s, test_pool, &key, line, &problem, &chain, &n, &head, &cv));
    ck_assert_ptr_null(problem);
    ck_assert_int_eq(cv.state, HAB_CHECKPOINT_HOLDS);
    ck_assert_int_eq(chain.entries, 4);
    ck_assert_ptr_null(
        hab_checkpoint_check(s, test_pool, &other, line, &problem, &chain, &n, &head, &cv));
    ck_assert_ptr_nonnull(problem);
    ck_assert_int_eq(problem->status, 422);
    ck_assert_str_eq(problem->code, "checkpoint-signature");
    ck_assert_ptr_null(hab_checkpoint_check(s, test_pool, &key, "habitual-checkpoint v1 entries=x",
                                            &problem, &chain, &n, &head, &cv));
    ck_assert_ptr_nonnull(problem);
    ck_assert_int_eq(problem->status, 400);
    ck_assert_str_eq(problem->code, "invalid-checkpoint");
    /* entry 2 edited and every hash after it recomputed: the chain holds, the checkpoint does not
     */
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL, "DROP TRIGGER access_log_no_update", ""));
    for (long long seq = 2; seq <= 4; seq++) {
        hab_audit_entry_t e;
        ck_assert_ptr_null(hab_audit_entry_by_seq(s, test_pool, seq, &e));
        if (seq == 2) e.user = "mallory";
        if (seq > 2) {
            ck_assert_ptr_null(hab_store_q(
                s, test_pool, &rows, "SELECT hash FROM access_log WHERE seq = ?", "i", seq - 1));
            e.prev_hash = hab_rows_text(rows, 0, 0);
        }
        ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                       "UPDATE access_log SET \"user\" = ?, prev_hash = ?, "
                                       "hash = ? WHERE seq = ?",
                                       "ttti", e.user, e.prev_hash,
                                       hab_audit_compute_hash(test_pool, &e), seq));
    }
    ck_assert_ptr_null(
        hab_checkpoint_check(s, test_pool, &key, line, &problem, &chain, &n, &head, &cv));
    ck_assert(chain.ok);
    ck_assert_int_eq(cv.state, HAB_CHECKPOINT_REWRITTEN);
    ck_assert_int_eq(cv.first_bad_seq, 3);
}
END_TEST

/* The writer: threads append through one process writer on one file;
 * every entry lands once, a failing work leaves nothing, the chain holds. */
typedef struct {
    hab_writer_t *writer;
    int appends;
    int failures;
    int fail_every;      /* every n-th work fails after writing: must leave nothing */
} writer_job_t;

static hab_err_t *open_test_store(void *baton, apr_pool_t *p, hab_store_t **s)
{
    return hab_store_open(p, "sqlite3", baton, 0, s);
}

static hab_err_t *append_then_maybe_fail(hab_store_t *s, apr_pool_t *p, void *arg)
{
    hab_audit_entry_t *e = arg;
    hab_err_t *err = hab_audit_append(s, p, e);
    if (!err && e->status == 418) return hab_err_make(p, 422, "refused", "this work is refused");
    return err;
}

static void *APR_THREAD_FUNC writer_worker(apr_thread_t *t, void *data)
{
    writer_job_t *job = data;
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    for (int i = 0; i < job->appends; i++) {
        apr_pool_t *req;
        apr_pool_create(&req, p);
        hab_audit_entry_t *e = apr_palloc(req, sizeof(*e));
        int fails = job->fail_every && i % job->fail_every == 0;
        *e = entry("writer", i + 1, fails ? 418 : 200);
        hab_err_t *err = hab_writer_run(job->writer, req, append_then_maybe_fail, e);
        if ((err != NULL) != fails) job->failures++;
        apr_pool_destroy(req);
    }
    apr_pool_destroy(p);
    (void)
        t; /* returning, not apr_thread_exit: pthread_exit skips ASan's unpoisoning of the frames */
    return NULL;
}

START_TEST(writer_group_commits_concurrent_work_once_each)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    hab_writer_t *w = hab_writer_create(test_pool, open_test_store, (void *)s->params);
    ck_assert_ptr_nonnull(w);
    enum { THREADS = 8, EACH = 50, FAIL_EVERY = 5 };
    apr_thread_t *threads[THREADS];
    writer_job_t jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (writer_job_t){w, EACH, 0, FAIL_EVERY};
        ck_assert_int_eq(apr_thread_create(&threads[i], NULL, writer_worker, &jobs[i], test_pool),
                         APR_SUCCESS);
    }
    for (int i = 0; i < THREADS; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, threads[i]);
        ck_assert_int_eq(jobs[i].failures, 0);
    }
    hab_audit_verdict_t v;
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert(v.ok);
    /* the refused works (status 418) left nothing */
    ck_assert_int_eq(v.entries, THREADS * (EACH - EACH / FAIL_EVERY));
    hab_rows_t *rows;
    ck_assert_ptr_null(
        hab_store_q(s, test_pool, &rows, "SELECT count(*) FROM access_log WHERE status = 418", ""));
    ck_assert_int_eq(hab_rows_int(rows, 0, 0), 0);
}
END_TEST

/* Behind a write lock held elsewhere, each request
 * waits until its own deadline at most, not for the jobs queued before it
 * one after another (which took 5 s each). */
typedef struct {
    hab_writer_t *writer;
    apr_interval_time_t wait;   /* from the start to the deadline */
    apr_interval_time_t took;
    hab_err_t err;
} held_job_t;

static void *APR_THREAD_FUNC held_worker(apr_thread_t *t, void *data)
{
    held_job_t *job = data;
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    hab_audit_entry_t *e = apr_palloc(p, sizeof(*e));
    *e = entry("held", 1, 200);
    apr_time_t start = apr_time_now();
    hab_err_t *err =
        hab_writer_run_by(job->writer, p, start + job->wait, append_then_maybe_fail, e);
    job->took = apr_time_now() - start;
    if (err) job->err = *err;
    apr_pool_destroy(p);
    (void)t;
    return NULL;
}

/* The log port's capture: the numbers written, in order. */
typedef struct {
    apr_thread_mutex_t *mu;
    int numbers[64];
    int n;
    char last[256];
} log_capture_t;

static void capture_log(void *baton, apr_pool_t *p, hab_log_level_t level, int number,
                        const char *message)
{
    log_capture_t *c = baton;
    (void)p;
    (void)level;
    apr_thread_mutex_lock(c->mu);
    if (c->n < 64) c->numbers[c->n++] = number;
    snprintf(c->last, sizeof(c->last), "%s", message);
    apr_thread_mutex_unlock(c->mu);
}

START_TEST(writer_behind_a_held_lock_fails_each_request_by_its_deadline)
{
    log_capture_t logged = {.n = 0};
    ck_assert_int_eq(apr_thread_mutex_create(&logged.mu, APR_THREAD_MUTEX_DEFAULT, test_pool),
                     APR_SUCCESS);
    hab_log_set(capture_log, &logged);
    hab_store_t *s = unit_fresh_store(test_pool);
    hab_store_t *holder;
    ck_assert_ptr_null(hab_store_open(test_pool, "sqlite3", s->params, 0, &holder));
    ck_assert_ptr_null(holder->ops->begin(holder, test_pool, 1));   /* BEGIN IMMEDIATE */
    hab_writer_t *w = hab_writer_create(test_pool, open_test_store, (void *)s->params);
    enum { THREADS = 8 };
    apr_thread_t *threads[THREADS];
    held_job_t jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (held_job_t){.writer = w, .wait = apr_time_from_msec(300)};
        ck_assert_int_eq(apr_thread_create(&threads[i], NULL, held_worker, &jobs[i], test_pool),
                         APR_SUCCESS);
    }
    for (int i = 0; i < THREADS; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, threads[i]);
        ck_assert_int_eq(jobs[i].err.status, 503);
        ck_assert(jobs[i].err.lock_wait);
        /* its own 300 ms and scheduling, never the other jobs' waits too (8 x 300 ms) */
        ck_assert_msg(jobs[i].took < apr_time_from_msec(1000), "waited %" APR_TIME_T_FMT " us",
                      jobs[i].took);
    }
    holder->ops->rollback(holder);
    /* every batch that gave up said so once, with SQLite's code, and nothing else was logged */
    ck_assert_int_ge(logged.n, 1);
    ck_assert_int_le(logged.n, THREADS);
    for (int i = 0; i < logged.n; i++) ck_assert_int_eq(logged.numbers[i], 10402);
    ck_assert_msg(strstr(logged.last, "(sqlite 5)") && strstr(logged.last, "answered 503"), "%s",
                  logged.last);
    held_job_t after = {.writer = w, .wait = apr_time_from_msec(300)};
    int before = logged.n;
    held_worker(NULL, &after);
    ck_assert_int_eq(after.err.status, 0);   /* the lock released, the writer writes again */
    ck_assert_int_eq(logged.n, before);      /* and logs nothing */
    hab_log_set(NULL, NULL);
}
END_TEST

/* The cross-process lock around each batch: taken once a batch and let
 * go after its commit; refused, every job of the batch answers 503 and
 * nothing is written. */
typedef struct {
    apr_thread_mutex_t *mu;
    int locks, unlocks, held, overlapped, refuse;
} counting_lock_t;

static hab_err_t *count_lock(void *baton, apr_pool_t *p, apr_time_t deadline)
{
    counting_lock_t *l = baton;
    (void)deadline;
    apr_thread_mutex_lock(l->mu);
    hab_err_t *e = NULL;
    if (l->refuse) {
        e = hab_err_unavailable(p, "held elsewhere");
        e->lock_wait = 1;
    } else {
        l->locks++;
        if (l->held++) l->overlapped++;
    }
    apr_thread_mutex_unlock(l->mu);
    return e;
}

static void count_unlock(void *baton)
{
    counting_lock_t *l = baton;
    apr_thread_mutex_lock(l->mu);
    l->unlocks++;
    l->held--;
    apr_thread_mutex_unlock(l->mu);
}

START_TEST(writer_takes_the_shared_lock_around_each_batch)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    hab_writer_t *w = hab_writer_create(test_pool, open_test_store, (void *)s->params);
    counting_lock_t l = {0};
    ck_assert_int_eq(apr_thread_mutex_create(&l.mu, APR_THREAD_MUTEX_DEFAULT, test_pool),
                     APR_SUCCESS);
    hab_writer_set_lock(w, &(hab_writer_lock_t){count_lock, count_unlock, &l});
    enum { THREADS = 4, EACH = 25 };
    apr_thread_t *threads[THREADS];
    writer_job_t jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (writer_job_t){w, EACH, 0, 0};
        ck_assert_int_eq(apr_thread_create(&threads[i], NULL, writer_worker, &jobs[i], test_pool),
                         APR_SUCCESS);
    }
    for (int i = 0; i < THREADS; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, threads[i]);
        ck_assert_int_eq(jobs[i].failures, 0);
    }
    ck_assert_int_ge(l.locks, 1);
    ck_assert_int_le(l.locks, THREADS * EACH);   /* batches: never more locks than requests */
    ck_assert_int_eq(l.unlocks, l.locks);
    ck_assert_int_eq(l.overlapped, 0);
    hab_audit_verdict_t v;
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert_int_eq(v.entries, THREADS * EACH);
    /* refused: 503, lock_wait, nothing written, nothing to let go */
    l.refuse = 1;
    held_job_t refused = {.writer = w, .wait = apr_time_from_msec(100)};
    held_worker(NULL, &refused);
    ck_assert_int_eq(refused.err.status, 503);
    ck_assert(refused.err.lock_wait);
    ck_assert_int_eq(l.unlocks, l.locks);
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert_int_eq(v.entries, THREADS * EACH);
}
END_TEST

/* Appends in one transaction take the head from the last one, not from the
 * table; a rollback to a savepoint that undid one is forgotten with it. */
START_TEST(appends_chain_from_the_last_and_survive_a_savepoint_rollback)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    ck_assert_ptr_null(s->ops->begin(s, test_pool, 1));
    for (int i = 0; i < 3; i++) {
        hab_audit_entry_t e = entry("in-one", i + 1, 200);
        ck_assert_ptr_null(hab_audit_append(s, test_pool, &e));
        ck_assert_int_eq(e.seq, i + 1);
        ck_assert(s->log_head.known);
    }
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL, "SAVEPOINT t", ""));
    hab_audit_entry_t undone = entry("undone", 9, 200);
    ck_assert_ptr_null(hab_audit_append(s, test_pool, &undone));
    ck_assert_int_eq(undone.seq, 4);
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL, "ROLLBACK TO SAVEPOINT t", ""));
    hab_audit_forget_head(s);
    hab_audit_entry_t after = entry("after", 5, 200);
    ck_assert_ptr_null(hab_audit_append(s, test_pool, &after));
    ck_assert_int_eq(after.seq, 4);          /* read back: the undone entry is not its parent */
    ck_assert_ptr_null(s->ops->commit(s, test_pool));
    ck_assert(!s->log_head.known);           /* a new transaction reads the head again */
    hab_audit_verdict_t v;
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert(v.ok);
    ck_assert_int_eq(v.entries, 4);
}
END_TEST

/* A log entry alone needs no savepoint: appended by many threads, each lands
 * once; one that fails takes down only the uncommitted work with it, and the
 * chain holds. */
typedef struct {
    hab_writer_t *writer;
    int appends, ok, failed;
    int poison;          /* this thread's 3rd append carries ids that are not canonical */
} plain_job_t;

static hab_err_t *append_work(hab_store_t *s, apr_pool_t *p, void *arg)
{
    return hab_audit_append(s, p, arg);
}

static void *APR_THREAD_FUNC plain_worker(apr_thread_t *t, void *data)
{
    plain_job_t *job = data;
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    for (int i = 0; i < job->appends; i++) {
        apr_pool_t *req;
        apr_pool_create(&req, p);
        hab_audit_entry_t *e = apr_palloc(req, sizeof(*e));
        *e = entry("plain", i + 1, 200);
        if (job->poison && i == 2) e->case_ids = "2,1";
        hab_err_t *err = hab_writer_append_by(job->writer, req, apr_time_now() +
                                              apr_time_from_sec(5), append_work, e);
        if (err) job->failed++;
        else job->ok++;
        apr_pool_destroy(req);
    }
    apr_pool_destroy(p);
    (void)t;
    return NULL;
}

START_TEST(writer_appends_without_savepoints_once_each)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    hab_writer_t *w = hab_writer_create(test_pool, open_test_store, (void *)s->params);
    enum { THREADS = 6, EACH = 30 };
    apr_thread_t *threads[THREADS];
    plain_job_t jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (plain_job_t){.writer = w, .appends = EACH, .poison = i == 0};
        ck_assert_int_eq(apr_thread_create(&threads[i], NULL, plain_worker, &jobs[i], test_pool),
                         APR_SUCCESS);
    }
    int ok = 0, failed = 0;
    for (int i = 0; i < THREADS; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, threads[i]);
        ok += jobs[i].ok;
        failed += jobs[i].failed;
    }
    ck_assert_int_eq(ok + failed, THREADS * EACH);
    ck_assert_int_ge(failed, 1);             /* the poisoned one, and what shared its batch */
    hab_audit_verdict_t v;
    ck_assert_ptr_null(hab_audit_verify(s, test_pool, &v));
    ck_assert(v.ok);
    ck_assert_int_eq(v.entries, ok);         /* every answered append is there, once */
}
END_TEST

/* The writer's connection may leave the disk sync to the writer in WAL mode
 * only; the sync of the WAL file answers 503 with its errno when it fails. */
START_TEST(commits_leave_their_sync_to_the_writer_only_in_wal_mode)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    hab_rows_t *rows;
    const char *wal = s->ops->defer_sync(s, test_pool);
    ck_assert_ptr_nonnull(wal);
    ck_assert_str_eq(wal, apr_pstrcat(test_pool, s->params, "-wal", NULL));
    ck_assert_ptr_null(hab_store_q(s, test_pool, &rows, "PRAGMA synchronous", ""));
    ck_assert_str_eq(hab_rows_text(rows, 0, 0), "1");   /* NORMAL */
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "INSERT INTO persons (reference, name) VALUES ('r', 'x')", ""));
    ck_assert_ptr_null(hab_store_sync_file(test_pool, wal));
    hab_err_t *e = hab_store_sync_file(test_pool, "/nonexistent/habitual.db-wal");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 503);
    ck_assert_str_eq(e->cause, "errno 2");

    hab_store_t *journal = unit_fresh_store(test_pool);
    ck_assert_ptr_null(hab_store_q(journal, test_pool, &rows, "PRAGMA journal_mode=DELETE", ""));
    ck_assert_ptr_null(journal->ops->defer_sync(journal, test_pool));
    ck_assert_ptr_null(hab_store_q(journal, test_pool, &rows, "PRAGMA synchronous", ""));
    ck_assert_str_eq(hab_rows_text(rows, 0, 0), "2");   /* FULL: its commits sync themselves */
}
END_TEST

/* SQLite's operations with query_many added, each exchange counted in
 * round_trips: the store's reads sent ahead (store.c) on a real engine. */
static hab_store_ops_t counted_ops;
static const hab_store_ops_t *engine_ops;

static hab_err_t *counted_query(hab_store_t *s, apr_pool_t *p, const char *sql,
                                const hab_param_t *params, int n, hab_rows_t **rows)
{
    s->round_trips++;
    return engine_ops->query(s, p, sql, params, n, rows);
}

static hab_err_t *counted_many(hab_store_t *s, apr_pool_t *p, const hab_stmt_t *stmts, int n,
                               hab_rows_t **rows)
{
    s->round_trips++;
    for (int i = 0; i < n; i++) {
        hab_err_t *e = engine_ops->query(s, p, stmts[i].sql, stmts[i].params, stmts[i].nparams,
                                         &rows[i]);
        if (e) return e;
    }
    return NULL;
}

static long long count_of(hab_store_t *s, const char *reference)
{
    hab_rows_t *rows;
    ck_assert_ptr_null(hab_store_q(s, test_pool, &rows,
                                   "SELECT count(*) FROM persons WHERE reference = ?", "t",
                                   reference));
    return hab_rows_int(rows, 0, 0);
}

START_TEST(reads_sent_ahead_are_answered_once_and_forgotten_by_a_write)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    ck_assert_int_eq(hab_store_prefetch_begin(s, test_pool), 0); /* SQLite: nothing to gain */
    engine_ops = s->ops;
    counted_ops = *s->ops;
    counted_ops.query = counted_query;
    counted_ops.query_many = counted_many;
    s->ops = &counted_ops;
    ck_assert_int_eq(hab_store_prefetch_begin(s, test_pool), 0); /* outside a transaction */

    ck_assert_ptr_null(s->ops->begin(s, test_pool, 1));
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "INSERT INTO persons (reference, name) VALUES ('a', 'x')", ""));
    ck_assert_int_eq(hab_store_prefetch_begin(s, test_pool), 1);
    /* written down, not run: no rows, no exchange, and no write */
    unsigned long trips = s->round_trips;
    ck_assert_int_eq(count_of(s, "a"), 0);
    ck_assert_int_eq(count_of(s, "b"), 0);
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "INSERT INTO persons (reference, name) VALUES ('b', 'y')", ""));
    ck_assert_int_eq(s->round_trips, trips);
    ck_assert_ptr_null(hab_store_prefetch_send(s, test_pool));
    ck_assert_int_eq(s->round_trips, trips + 1);
    /* each answered from what came back, once; the write was not sent */
    ck_assert_int_eq(count_of(s, "b"), 0);
    ck_assert_int_eq(count_of(s, "a"), 1);
    ck_assert_int_eq(s->round_trips, trips + 1);
    ck_assert_int_eq(count_of(s, "a"), 1);
    ck_assert_int_eq(s->round_trips, trips + 2);

    /* a write between sending and asking: the answer is asked again */
    ck_assert_int_eq(hab_store_prefetch_begin(s, test_pool), 1);
    ck_assert_int_eq(count_of(s, "a"), 0);
    ck_assert_ptr_null(hab_store_prefetch_send(s, test_pool));
    ck_assert_ptr_null(hab_store_q(s, test_pool, NULL,
                                   "INSERT INTO persons (reference, name) VALUES ('a', 'z')", ""));
    ck_assert_int_eq(count_of(s, "a"), 2);

    /* the transaction's end forgets what was not asked */
    ck_assert_int_eq(hab_store_prefetch_begin(s, test_pool), 1);
    ck_assert_int_eq(count_of(s, "a"), 0);
    ck_assert_ptr_null(hab_store_prefetch_send(s, test_pool));
    s->ops->rollback(s);
    ck_assert_ptr_null(s->prefetch);
    trips = s->round_trips;
    ck_assert_int_eq(count_of(s, "a"), 0);
    ck_assert_int_eq(s->round_trips, trips + 1);
    s->ops = engine_ops;
}
END_TEST

Suite *suite_store(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, schema_is_current_after_migrate_and_idempotent);
    tcase_add_test(tc, newer_schema_refused);
    tcase_add_test(tc, store_binds_and_returns_text);
    tcase_add_test(tc, insert_returning_answers_as_returning_does);
    tcase_add_test(tc, foreign_keys_are_on);
    tcase_add_test(tc, missing_file_is_not_created);
    tcase_add_test(tc, reads_sent_ahead_are_answered_once_and_forgotten_by_a_write);
    suite_add_tcase(s, tc);
    return s;
}

Suite *suite_audit(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, chain_appends_and_verifies);
    tcase_add_test(tc, append_unchanged_writes_only_while_the_counter_stands);
    tcase_add_test(tc, encoding_is_the_documented_one);
    tcase_add_test(tc, log_refuses_update_and_delete);
    tcase_add_test(tc, tamper_one_field);
    tcase_add_test(tc, tamper_delete_middle);
    tcase_add_test(tc, tamper_swap_two);
    tcase_add_test(tc, tamper_rehash_one_is_caught_by_the_next);
    tcase_add_test(tc, verify_in_batches_walks_every_batch);
    tcase_add_test(tc, checkpoint_round_trip);
    tcase_add_test(tc, checkpoint_judged);
    tcase_add_test(tc, checkpoint_checked_against_the_store);
    tcase_add_test(tc, encoding_v2_only_with_case_ids);
    tcase_add_test(tc, encoding_v3_only_with_a_rule);
    tcase_add_test(tc, mixed_v1_and_v3_entries_verify);
    tcase_add_test(tc, case_ids_canonical_text);
    tcase_add_test(tc, case_ids_are_indexed_and_chained);
    tcase_add_test(tc, shown_cases_are_indexed_in_arrears_and_found_on_both_sides_of_the_mark);
    tcase_add_test(tc, shown_cases_indexing_rolls_back_with_its_entry);
    tcase_add_test(tc, a_search_reads_the_old_index_up_to_its_mark_then_the_blocks);
    tcase_add_test(tc, writer_group_commits_concurrent_work_once_each);
    tcase_add_test(tc, writer_behind_a_held_lock_fails_each_request_by_its_deadline);
    tcase_add_test(tc, writer_takes_the_shared_lock_around_each_batch);
    tcase_add_test(tc, commits_leave_their_sync_to_the_writer_only_in_wal_mode);
    tcase_add_test(tc, appends_chain_from_the_last_and_survive_a_savepoint_rollback);
    tcase_add_test(tc, writer_appends_without_savepoints_once_each);
    suite_add_tcase(s, tc);
    return s;
}
