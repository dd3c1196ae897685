/* Pages_case.c: the case page, its step forms, letters, rendered from fixed views without httpd or a database: each
 * page's structure, and that what a user typed reaches it escaped. */
#include <string.h>

#include <apr_strings.h>

#include "unit.h"

Suite *suite_pages_case(void)
{
    Suite *s = suite_create("pages_case");
    TCase *tc = tcase_create("render");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    suite_add_tcase(s, tc);
    return s;
}
