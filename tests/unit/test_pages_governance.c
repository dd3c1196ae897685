/* Pages_governance.c: the governance page and its charts, rendered from fixed
 * views without httpd or a database: the page's structure, each figure as
 * shown (a count, "fewer than 5", "none"), the period form, and that what
 * the view holds reaches the page escaped. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/json_io.h"
#include "habitual/domain/roles.h"
#include "habitual/web/pages.h"
#include "unit.h"

#define TD "<td class=\"govuk-table__cell\">"
#define ESCAPED "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"

/* A quarter's figures as api/governance answers them: some suppressed,
 * some null, a real, some absent, and an action named with markup. */
static const char *const quarter_view =
    "{\"from\": \"2026-04-01\", \"to\": \"2026-06-30\", \"today\": \"2026-07-15\","
    " \"suppressed_below\": 5,"
    " \"monthly\": {"
    "  \"2026-04\": {\"referrals\": 7, \"warnings\": {\"count\": null, \"suppressed\": true},"
    "               \"reports\": 0, \"approvals\": 0, \"rejections\": 0},"
    "  \"2026-05\": {\"referrals\": 0, \"warnings\": 0, \"reports\": 6, \"approvals\": 5,"
    "               \"rejections\": 0},"
    "  \"2026-06\": {\"referrals\": 0, \"warnings\": 0, \"reports\": 6, \"approvals\": 0,"
    "               \"rejections\": 0}},"
    " \"working_days\": {"
    "  \"referral_to_decision\": {\"count\": 6, \"median\": 4.5, \"p90\": 9,"
    "                            \"buckets\": {\"0-5\": 6, \"6-10\": 0}},"
    "  \"report_to_decision\": {\"count\": 6, \"median\": null, \"p90\": null}},"
    " \"reports\": {\"total\": 12, \"action_without_notice\": 0},"
    " \"cases_now\": {\"active\": 8, \"closed\": {\"count\": null, \"suppressed\": true}},"
    " \"adjustments\": {\"share_percent\": {\"value\": null, \"suppressed\": true}},"
    " \"refusals\": {\"total\": 30, \"not_by_a_rule\": 0,"
    "  \"by_rule\": {\"R1\": 5, \"R2\": {\"count\": null, \"suppressed\": true}},"
    "  \"by_action\": {\"case.create\": 9,"
    "                \"<script>alert(1)</script> & \\\"x\\\"\": 6}}}";

static const json_t *view_of(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    ck_assert_msg(v != NULL, "view: %s", err.text);
    return hab_json_own(test_pool, v);
}

static const char *render(const char *view, int year, int quarter)
{
    hab_ui_t ui = {"/habitual", "Test Council", "alice", HAB_ROLE_CEM, "token"};
    return hab_render_governance(test_pool, &ui, view_of(view), year, quarter);
}

static int count_of(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *at = haystack; (at = strstr(at, needle)); at += strlen(needle)) n++;
    return n;
}

static void has(const char *html, const char *what)
{
    ck_assert_msg(strstr(html, what) != NULL, "missing: %s", what);
}

START_TEST(governance_page_has_its_heading_sections_tables_and_charts)
{
    const char *html = render(quarter_view, 2026, 2);
    ck_assert_int_eq(count_of(html, "<h1 class=\"govuk-heading-xl\">Governance figures</h1>"), 1);
    has(html, "<span class=\"govuk-caption-l\">1 April 2026 to 30 June 2026</span>");
    has(html, "<div class=\"govuk-inset-text\">Counts only: no one is named. Any count from 1 "
              "to 4, and any figure worked out from fewer than 5 cases, is shown as");
    /* flow, time, decisions, reviews, appeals, interim, refusals, now */
    ck_assert_int_eq(count_of(html, "<h2 class=\"govuk-heading-l app-break-before\">"), 8);
    has(html, "<h2 class=\"govuk-heading-l app-break-before\">Now (15 July 2026)</h2>"
              "<p class=\"govuk-body\">These figures are as of today");
    has(html, "<h2 class=\"govuk-heading-l app-break-before\">Decisions</h2><table");
    ck_assert_int_eq(count_of(html, "<table class=\"govuk-table\">"), 14);
    /* three charts, each beside its table */
    ck_assert_int_eq(count_of(html, "<div class=\"app-figure\"><div class=\"app-figure__chart\">"),
                     3);
    ck_assert_int_eq(count_of(html, "</svg></div><table class=\"govuk-table\">"), 3);
    /* a row per month of the view, in its order */
    const char *april = strstr(html, TD "April 2026</td>");
    const char *june = strstr(html, TD "June 2026</td>");
    ck_assert_ptr_nonnull(april);
    ck_assert_ptr_nonnull(june);
    ck_assert(april < strstr(html, TD "May 2026</td>") && strstr(html, TD "May 2026</td>") < june);
    has(html, "<p class=\"govuk-body app-no-print\"><a class=\"govuk-link\" "
              "href=\"/habitual/governance?year=2026&amp;quarter=2&amp;format=csv\" download>"
              "Download these tables (CSV)</a></p>");
}
END_TEST

START_TEST(governance_figures_show_counts_fewer_than_5_and_none)
{
    const char *html = render(quarter_view, 2026, 2);
    has(html, TD "Reports made</td>" TD "12</td>");
    has(html, TD "April 2026</td>" TD "7</td>" TD "fewer than 5</td>" TD "0</td>");
    has(html, TD "Median</td>" TD "4.5</td>" TD "none</td>");
    has(html, TD "Share (per cent)</td>" TD "fewer than 5</td>");
    has(html, TD "Closed</td>" TD "fewer than 5</td>");
    has(html, TD "Active (restrictions in force)</td>" TD "8</td>");
    /* a figure the view lacks is an empty cell */
    has(html, TD "Reports rejected</td>" TD "</td>");
    has(html, TD "R1 Exclusions</td>" TD "5</td>");
    has(html, TD "R2 Last resort</td>" TD "fewer than 5</td>");
    /* by action: every refusal, then each action of the view (its name holds a dot) */
    ck_assert_int_eq(count_of(html, TD "All refusals</td>" TD "30</td>"), 2);
    has(html, TD "All refusals</td>" TD "30</td></tr><tr class=\"govuk-table__row\">"
              TD "case.create</td>" TD "9</td>");
    has(html, TD ESCAPED "</td>" TD "6</td></tr></tbody>");
}
END_TEST

START_TEST(governance_period_form_offers_the_years_and_quarters)
{
    const char *html = render(quarter_view, 2026, 2);
    has(html, "<form method=\"get\" action=\"/habitual/governance\" class=\"app-no-print\" "
              "novalidate><div class=\"govuk-form-group app-inline-group\">"
              "<label class=\"govuk-label\" for=\"year\">Year</label>"
              "<select class=\"govuk-select\" id=\"year\" name=\"year\">"
              "<option value=\"2026\" selected>2026</option><option value=\"2025\">2025</option>"
              "<option value=\"2024\">2024</option></select></div>");
    has(html, "<option value=\"year\">The whole year</option>"
              "<option value=\"1\">January to March</option>"
              "<option value=\"2\" selected>April to June</option>");
    has(html, "<button type=\"submit\" class=\"govuk-button govuk-button--secondary\" "
              "data-module=\"govuk-button\">Show figures</button></form>");
    ck_assert_int_eq(count_of(html, "<option "), 8);
    ck_assert_int_eq(count_of(html, " selected>"), 2);
    /* an older year chosen: the list reaches back to it; the whole year */
    html = render(quarter_view, 2022, 0);
    ck_assert_int_eq(count_of(html, "<option "), 10);
    has(html, "<option value=\"2022\" selected>2022</option></select>");
    has(html, "<option value=\"year\" selected>The whole year</option>");
    has(html, "href=\"/habitual/governance?year=2022&amp;quarter=year&amp;format=csv\"");
}
END_TEST

START_TEST(governance_page_escapes_what_the_view_holds)
{
    const char *html = render(quarter_view, 2026, 2);
    ck_assert_ptr_null(strstr(html, "<script>alert"));
    ck_assert_int_eq(count_of(html, ESCAPED), 1);
    /* dates that are not dates are shown as they are, escaped */
    html = render("{\"from\": \"<script>alert(1)</script> & \\\"x\\\"\", \"to\": \"2026-06-30\","
                  " \"today\": \"<i>\", \"monthly\": {\"<b>\": {\"referrals\": 1}}}",
                  2026, 2);
    ck_assert_ptr_null(strstr(html, "<script>alert"));
    ck_assert_ptr_null(strstr(html, "<b>"));
    has(html, "<span class=\"govuk-caption-l\">" ESCAPED " to 30 June 2026</span>");
    has(html, TD "&lt;b&gt;</td>");
    ck_assert_ptr_null(strstr(html, "<i>"));
    has(html, "<h2 class=\"govuk-heading-l app-break-before\">Now (&lt;i&gt;)</h2>");
}
END_TEST

START_TEST(governance_page_renders_from_an_empty_view)
{
    const char *html = render("{}", 2026, 1);
    ck_assert_int_eq(count_of(html, "<h1 class=\"govuk-heading-xl\">Governance figures</h1>"), 1);
    ck_assert_int_eq(count_of(html, "<table class=\"govuk-table\">"), 14);
    /* no month and no action: only the heads, and every refusal's row */
    ck_assert_int_eq(count_of(html, TD "All refusals</td>" TD "</td>"), 2);
    has(html, "By month</caption>");
    ck_assert_ptr_null(strstr(html, "2026</td>"));
}
END_TEST

Suite *suite_pages_governance(void)
{
    Suite *s = suite_create("pages_governance");
    TCase *tc = tcase_create("render");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, governance_page_has_its_heading_sections_tables_and_charts);
    tcase_add_test(tc, governance_figures_show_counts_fewer_than_5_and_none);
    tcase_add_test(tc, governance_period_form_offers_the_years_and_quarters);
    tcase_add_test(tc, governance_page_escapes_what_the_view_holds);
    tcase_add_test(tc, governance_page_renders_from_an_empty_view);
    suite_add_tcase(s, tc);
    return s;
}
