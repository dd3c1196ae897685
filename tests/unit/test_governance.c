/* The governance figures' pure parts -- the default period,
 * working days, the suppression rule and its JSON, and the SVG charts'
 * escaping and accessible names. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/domain/governance.h"
#include "habitual/base/json_io.h"
#include "habitual/web/svg.h"
#include "unit.h"

START_TEST(default_period_is_the_last_full_quarter)
{
    const char *from, *to;
    hab_gov_last_quarter(test_pool, "2026-12-03", &from, &to);
    ck_assert_str_eq(from, "2026-07-01");
    ck_assert_str_eq(to, "2026-09-30");
    hab_gov_last_quarter(test_pool, "2026-01-01", &from, &to);
    ck_assert_str_eq(from, "2025-10-01");
    ck_assert_str_eq(to, "2025-12-31");
    hab_gov_last_quarter(test_pool, "2024-05-31", &from, &to);
    ck_assert_str_eq(from, "2024-01-01");
    ck_assert_str_eq(to, "2024-03-31");
}
END_TEST

START_TEST(working_days_skip_weekends_and_bank_holidays)
{
    /* Thu 24 Dec 2026 to Tue 29 Dec: Fri 25 and Mon 28 are bank holidays */
    ck_assert_int_eq(hab_working_days_between("2026-12-24", "2026-12-29"), 1);
    ck_assert_int_eq(hab_working_days_between("2026-12-01", "2026-12-01"), 0);
    ck_assert_int_eq(hab_working_days_between("2026-12-02", "2026-12-01"), 0);
    ck_assert_int_eq(hab_working_days_between("2026-11-30", "2026-12-07"), 5);
    ck_assert_int_eq(hab_working_days_between("bad", "2026-12-07"), 0);
    /* 2026: 261 weekdays, 8 of them bank holidays */
    ck_assert_int_eq(hab_working_days_between("2025-12-31", "2026-12-31"), 253);
    ck_assert_int_eq(hab_working_days_between("2028-02-28", "2028-03-01"),
                     2); /* a leap day, Tuesday */
}
END_TEST

START_TEST(counts_from_one_to_four_are_suppressed_in_json_not_in_the_report)
{
    hab_store_t *s = unit_fresh_store(test_pool);
    hab_gov_t *g;
    hab_err_t *e =
        hab_governance_figures(s, test_pool, "2026-10-01", "2026-12-31", "2026-12-03", 1, &g);
    ck_assert_msg(e == NULL, "%s", e ? e->message : "");
    ck_assert_int_eq(g->months->nelts, 3);
    hab_gov_fig_t *f = (hab_gov_fig_t *)hab_gov_get(g, "referrals");
    ck_assert_ptr_nonnull(f);
    ck_assert(f->report);
    ck_assert(!hab_gov_suppressed(f)); /* 0 is shown */
    ck_assert(!hab_gov_get(g, "cases_now.active")->report);
    ck_assert(json_is_null(hab_gov_get(g, "working_days.referral_to_decision.median")->value));
    for (long long n = 1; n <= 6; n++) {
        f->value = hab_json_own(test_pool, json_integer(n));
        f->base = n;
        ck_assert_int_eq(hab_gov_suppressed(f), n < 5);
        json_t *shown = hab_json_own(test_pool, hab_gov_json(g, 1, 0));
        json_t *v = json_object_get(shown, "referrals");
        if (n < 5) {
            ck_assert(json_is_null(json_object_get(v, "count")));
            ck_assert(json_is_true(json_object_get(v, "suppressed")));
        } else {
            ck_assert_int_eq(json_integer_value(v), n);
        }
        json_t *report = hab_json_own(test_pool, hab_gov_json(g, 0, 1));
        ck_assert_int_eq(json_integer_value(json_object_get(report, "referrals")), n);
        ck_assert_ptr_null(json_object_get(report, "cases_now"));
    }
}
END_TEST

START_TEST(svg_text_is_escaped_and_named)
{
    static const char *const series[] = {"<b>One</b>", "Two & three"};
    static const char *const groups[] = {"\"Jan\"", "Feb"};
    long long values[] = {3, HAB_SVG_SUPPRESSED, 0, 12};
    const char *svg = hab_svg_bars(test_pool, "c1", "A <script>title</script>", "Desc 'quoted'",
                                   series, 2, groups, 2, values);
    ck_assert_ptr_null(strstr(svg, "<script>"));
    ck_assert_ptr_null(strstr(svg, "<b>"));
    ck_assert_ptr_nonnull(strstr(svg, "role=\"img\""));
    ck_assert_ptr_nonnull(strstr(svg, "aria-labelledby=\"c1-title c1-desc\""));
    ck_assert_ptr_nonnull(
        strstr(svg, "<title id=\"c1-title\">A &lt;script&gt;title&lt;/script&gt;</title>"));
    ck_assert_ptr_nonnull(strstr(svg, "Two &amp; three"));
    ck_assert_ptr_nonnull(strstr(svg, "&lt;5"));  /* the suppressed bar */
    ck_assert_ptr_nonnull(strstr(svg, "</svg>"));
}
END_TEST

Suite *suite_governance(void)
{
    Suite *s = suite_create("governance");
    TCase *tc = tcase_create("figures");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, default_period_is_the_last_full_quarter);
    tcase_add_test(tc, working_days_skip_weekends_and_bank_holidays);
    tcase_add_test(tc, counts_from_one_to_four_are_suppressed_in_json_not_in_the_report);
    tcase_add_test(tc, svg_text_is_escaped_and_named);
    suite_add_tcase(s, tc);
    return s;
}
