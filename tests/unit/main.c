#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "unit.h"
#include "habitual/store/schema.h"

apr_pool_t *test_pool;

void unit_pool_setup(void)
{
    apr_pool_create(&test_pool, NULL);
}

void unit_pool_teardown(void)
{
    apr_pool_destroy(test_pool);
    test_pool = NULL;
}

static apr_status_t remove_files(void *data)
{
    const char *path = data;
    const char *suffixes[] = {"", "-wal", "-shm"};
    char name[512];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
        unlink(name);
    }
    return APR_SUCCESS;
}

hab_store_t *unit_fresh_store(apr_pool_t *p)
{
    char tmpl[] = "/tmp/habitual-unit-XXXXXX";
    int fd = mkstemp(tmpl);
    ck_assert_int_ge(fd, 0);
    close(fd);
    unlink(tmpl);
    const char *path = apr_pstrdup(p, tmpl);
    /* Cleanups run in reverse order: registered before the store's own, this
     * one removes the files after the connection has closed. */
    apr_pool_cleanup_register(p, path, remove_files, apr_pool_cleanup_null);
    hab_store_t *s = NULL;
    hab_err_t *e = hab_store_open(p, "sqlite3", path, HAB_STORE_CREATE, &s);
    ck_assert_msg(e == NULL, "open: %s", e ? e->message : "");
    hab_rows_t *rows;
    e = hab_store_q(s, p, &rows, "PRAGMA journal_mode=WAL", "");
    ck_assert_msg(e == NULL, "wal: %s", e ? e->message : "");
    int from, to;
    e = hab_schema_migrate(s, p, "2026-01-01T00:00:00Z", &from, &to);
    ck_assert_msg(e == NULL, "migrate: %s", e ? e->message : "");
    return s;
}

int main(void)
{
    apr_initialize();
    SRunner *sr = srunner_create(suite_ldap_text());
    srunner_add_suite(sr, suite_roles());
    srunner_add_suite(sr, suite_crypto());
    srunner_add_suite(sr, suite_dates());
    srunner_add_suite(sr, suite_router());
    srunner_add_suite(sr, suite_form_json());
    srunner_add_suite(sr, suite_store());
    srunner_add_suite(sr, suite_audit());
    srunner_add_suite(sr, suite_rules());
    srunner_add_suite(sr, suite_procedure());
    srunner_add_suite(sr, suite_output());
    srunner_add_suite(sr, suite_governance());
    srunner_add_suite(sr, suite_case_tables());
    srunner_add_suite(sr, suite_multipart());
    srunner_add_suite(sr, suite_pages_home());
    srunner_add_suite(sr, suite_pages_case());
    srunner_add_suite(sr, suite_pages_governance());
    srunner_add_suite(sr, suite_forms());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
