/* Forms.c: the GOV.UK form widgets, rendered from fixed views without httpd or a database: each
 * page's structure, and that what a user typed reaches it escaped. */
#include <string.h>

#include <apr_strings.h>

#include "unit.h"

Suite *suite_forms(void)
{
    Suite *s = suite_create("forms");
    TCase *tc = tcase_create("render");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    suite_add_tcase(s, tc);
    return s;
}
