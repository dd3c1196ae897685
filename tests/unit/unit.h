/* Unit tests of the core, with Check.  Each file adds one suite. */
#ifndef HABITUAL_UNIT_H
#define HABITUAL_UNIT_H

#include <check.h>

#include <apr_pools.h>

#include "habitual/store/store.h"

/* A pool per test, created in setup and destroyed in teardown. */
extern apr_pool_t *test_pool;
void unit_pool_setup(void);
void unit_pool_teardown(void);

/* A fresh database with the schema, in a temporary file. */
hab_store_t *unit_fresh_store(apr_pool_t *p);

Suite *suite_ldap_text(void);
Suite *suite_roles(void);
Suite *suite_crypto(void);
Suite *suite_dates(void);
Suite *suite_router(void);
Suite *suite_form_json(void);
Suite *suite_store(void);
Suite *suite_audit(void);
Suite *suite_rules(void);
Suite *suite_procedure(void);
Suite *suite_output(void);
Suite *suite_governance(void);
Suite *suite_case_tables(void);
Suite *suite_multipart(void);
/* The pages rendered from fixed views, without httpd or a database. */
Suite *suite_pages_home(void);
Suite *suite_pages_case(void);
Suite *suite_pages_governance(void);
Suite *suite_forms(void);

#endif
