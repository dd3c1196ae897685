/* pages.c: home, referrals, cases, notices, notifications, triage,
 * absences, the access log and the error page, rendered from fixed views
 * without httpd or a database: each page's structure, and that what a user
 * typed reaches it escaped. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/form.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/roles.h"
#include "habitual/web/forms.h"
#include "habitual/web/pages.h"
#include "unit.h"

/* What a user might type, and what it must become on the page. */
#define NASTY "<script>alert(1)</script> \\\"Q\\\" & co"
#define NASTY_SHOWN "&lt;script&gt;alert(1)&lt;/script&gt; &quot;Q&quot; &amp; co"

/* A failure names the markup it looked for. */
#define HAS(html, s) ck_assert_msg(strstr(html, s) != NULL, "missing: %s", s)
#define LACKS(html, s) ck_assert_msg(strstr(html, s) == NULL, "present: %s", s)

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = strstr(hay, needle); s; s = strstr(s + 1, needle)) n++;
    return n;
}

static json_t *view_of(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    ck_assert_msg(v != NULL, "bad view: %s", je.text);
    return hab_json_own(test_pool, v);
}

static hab_ui_t ui_for(unsigned roles)
{
    hab_ui_t ui = {"/habitual", "Test Council", "alice", roles, "token"};
    return ui;
}

/* Escaped where it shows; the raw tag nowhere. */
static void assert_escaped(const char *html, int times)
{
    LACKS(html, "<script>");
    ck_assert_int_eq(count_of(html, NASTY_SHOWN), times);
}

/* Rows of the table bodies: the head row aside. */
static int body_rows(const char *html)
{
    return count_of(html, "<tr class=\"govuk-table__row\">")
        - count_of(html, "<thead class=\"govuk-table__head\">");
}

static const char *const DASHBOARD =
    "{\"dashboard\": {"
    " \"new\": [{\"id\": 1, \"status\": \"new\", \"person\": {\"name\": \"" NASTY "\"}}],"
    " \"warned\": [],"
    " \"interim\": [{\"id\": 3, \"status\": \"active\", \"person\": {\"name\": \"Cy\"},"
    "               \"interim_until\": \"2026-12-01\"}],"
    " \"appeals\": [], \"awaiting_decision\": [],"
    " \"review_decisions\": [{\"id\": 7, \"status\": \"active\", \"person\": {\"name\": \"Gil\"},"
    "                        \"review_due\": \"2026-11-30\"}],"
    " \"reviews_due\": [{\"id\": 8, \"person\": {\"name\": \"Hal\"},"
    "                   \"review_due\": \"2026-11-30\", \"decide_by\": \"2026-12-07\","
    "                   \"reminded\": {\"kind\": \"review-due-today\","
    "                   \"sent_at\": \"2026-11-30T08:00:00Z\"}}],"
    " \"post_waiting\": 3, \"post_over_limit\": 2},"
    " \"appeals_to_hear\": [{\"id\": 11, \"status\": \"active\","
    "                       \"person\": {\"name\": \"Kit\"}}]}";

START_TEST(home_for_the_cem_shows_every_queue_with_links_from_the_mount)
{
    hab_ui_t ui = ui_for(HAB_ROLE_CEM | HAB_ROLE_STAFF);
    const char *html = hab_render_home(test_pool, &ui, view_of(DASHBOARD));
    ck_assert_int_eq(count_of(html, "<h1 class=\"govuk-heading-l\">Habitual contact</h1>"), 1);
    HAS(html, "govuk-table__caption--m\">New referrals</caption>");
    HAS(html, ">Interim restrictions in force (violence)</caption>");
    HAS(html, ">Reviews due within 30 days or overdue</caption>");
    /* an empty queue is its heading over "None." */
    HAS(html, "<h2 class=\"govuk-heading-m\">Warned: awaiting your next "
              "step</h2><p class=\"govuk-body\">None.</p>");
    ck_assert_int_eq(count_of(html, "<p class=\"govuk-body\">None.</p>"), 3);
    HAS(html, "<a class=\"govuk-link\" href=\"/habitual/cases/1\">Case 1</a>");
    HAS(html, "On the due date, sent 30 November 2026");
    /* the post queue at a glance, the late ones in red */
    HAS(html, "<p class=\"govuk-body\">3 items waiting. <strong class=\""
              "govuk-tag govuk-tag--red\">2 waiting too long</strong> "
              "<a class=\"govuk-link\" href=\"/habitual/triage\">");
    HAS(html, "<a href=\"/habitual/concerns/new\" role=\"button\" "
              "draggable=\"false\" class=\"govuk-button "
              "govuk-button--start\"");
    HAS(html, "href=\"/habitual/referrals\">Your referrals</a> · <a");
    /* not a chief officer nor an auditor */
    LACKS(html, "Appeals for you to hear");
    LACKS(html, "/habitual/audit");
    assert_escaped(html, 1);
}
END_TEST

START_TEST(home_shows_each_role_only_its_own_parts)
{
    json_t *view = view_of(DASHBOARD);
    hab_ui_t staff = ui_for(HAB_ROLE_STAFF);
    const char *html = hab_render_home(test_pool, &staff, view);
    ck_assert_int_eq(count_of(html, "<table"), 0);
    HAS(html, "Customers whose contact is a concern</h2>");
    HAS(html, "href=\"/habitual/notices\">Notices you hold</a>");

    hab_ui_t mo = ui_for(HAB_ROLE_MONITORING_OFFICER);
    html = hab_render_home(test_pool, &mo, view);
    LACKS(html, "New referrals");      /* the CEM's queues */
    LACKS(html, "Post awaiting triage");
    HAS(html, ">Reports awaiting a decision</h2>");
    HAS(html, ">Reviews awaiting a decision</caption>");
    ck_assert_int_eq(count_of(html, "<table"), 2);

    hab_ui_t chief = ui_for(HAB_ROLE_CHIEF_OFFICER);
    html = hab_render_home(test_pool, &chief, view);
    HAS(html, ">Appeals for you to hear</caption>");
    HAS(html, "href=\"/habitual/cases/11\">Case 11</a>");
    HAS(html, "<a class=\"govuk-link\" href=\"/habitual/notifications\">"
              "What chief officers have been told</a> · ");
    LACKS(html, "Reports awaiting a decision");

    hab_ui_t auditor = ui_for(HAB_ROLE_AUDITOR);
    html = hab_render_home(test_pool, &auditor, view);
    HAS(html, "<h2 class=\"govuk-heading-m\">Audit</h2><p class=\"govuk-body\">"
              "<a class=\"govuk-link\" href=\"/habitual/audit\">The access "
              "log</a> · <a class=\"govuk-link\" "
              "href=\"/habitual/audit/verify\">");
    ck_assert_int_eq(count_of(html, "<table"), 0);
}
END_TEST

static const char *const CASES =
    "{\"cases\": ["
    " {\"id\": 4, \"status\": \"active\", \"person\": {\"name\": \"" NASTY "\"},"
    "  \"review_due\": \"2026-01-02\"},"
    " {\"id\": 5, \"status\": \"closed\", \"person\": {\"name\": \"Bo\"}, \"review_due\": null}]}";

START_TEST(referrals_and_cases_list_the_cases_they_are_given)
{
    hab_ui_t ui = ui_for(HAB_ROLE_CEM | HAB_ROLE_STAFF);
    const char *html = hab_render_referrals(test_pool, &ui, view_of(CASES));
    ck_assert_int_eq(count_of(html, "<h1 class=\"govuk-heading-l\">Your referrals</h1>"), 1);
    HAS(html, "Concerns you raised. Once the customer experience manager "
              "takes a referral forward you see only its status.</p>");
    ck_assert_int_eq(body_rows(html), 2);
    LACKS(html, "Review due");
    HAS(html, "href=\"/habitual/cases/5\">Case 5</a>");
    HAS(html, "<strong class=\"govuk-tag");
    assert_escaped(html, 1);

    html = hab_render_cases(test_pool, &ui, view_of(CASES));
    ck_assert_int_eq(count_of(html, "<h1 class=\"govuk-heading-l\">Cases</h1>"), 1);
    HAS(html, ">All cases</caption>");
    HAS(html, "<th scope=\"col\" class=\"govuk-table__header\">Review "
              "due</th>");
    HAS(html, "2 January 2026");
    ck_assert_int_eq(body_rows(html), 2);
    assert_escaped(html, 1);

    html = hab_render_cases(test_pool, &ui, view_of("{\"cases\": []}"));
    HAS(html, "<h2 class=\"govuk-heading-m\">All cases</h2>"
              "<p class=\"govuk-body\">None.</p>");
    ck_assert_int_eq(count_of(html, "<table"), 0);
}
END_TEST

static const char *const NOTICES =
    "{\"notices\": ["
    " {\"case_id\": 3, \"person\": {\"name\": \"" NASTY "\", \"reference\": \"C-1\"},"
    "  \"restrictions_in_words\": [\"No calls <ever>\", \"Letters only\"],"
    "  \"open_channels\": [\"letter\"], \"until\": \"2027-01-01\","
    "  \"phone_statement\": \"I am ending this call.\", \"interim\": false},"
    " {\"case_id\": 4, \"person\": {\"name\": \"Dee\", \"reference\": \"C-2\"},"
    "  \"restrictions_in_words\": [], \"open_channels\": [], \"interim\": true}]}";

START_TEST(notices_are_summary_cards_with_the_actions_each_role_may_take)
{
    hab_ui_t cem = ui_for(HAB_ROLE_CEM | HAB_ROLE_STAFF);
    const char *html = hab_render_notices(test_pool, &cem, view_of(NOTICES));
    ck_assert_int_eq(count_of(html, "<h1 class=\"govuk-heading-l\">Notices</h1>"), 1);
    ck_assert_int_eq(count_of(html, "<div class=\"govuk-summary-card\">"), 2);
    ck_assert_int_eq(count_of(html, "<h2 class=\"govuk-summary-card__title\">"), 2);
    HAS(html, "<h2 class=\"govuk-summary-card__title\">Dee (C-2) – "
              "interim</h2>");
    HAS(html, "<li class=\"govuk-summary-card__action\"><a class=\"govuk-link\""
              " href=\"/habitual/cases/3/contacts\">Record a contact<span "
              "class=\"govuk-visually-hidden\"> from " NASTY_SHOWN);
    HAS(html, "href=\"/habitual/cases/4/grants\">Pass on<span class=\""
              "govuk-visually-hidden\"> the notice about Dee</span>");
    HAS(html, "<ul class=\"govuk-list govuk-list--bullet\"><li>No calls "
              "&lt;ever&gt;</li><li>Letters only</li></ul>");
    HAS(html, "None until the suspension ends");
    HAS(html, "Until the chief executive decides (interim, after "
              "violence)");
    ck_assert_int_eq(count_of(html, "To end a telephone call, say"), 1);
    assert_escaped(html, 3);   /* the title and both actions' hidden words */

    /* the deciders neither record contacts nor pass notices on */
    hab_ui_t mo = ui_for(HAB_ROLE_MONITORING_OFFICER);
    html = hab_render_notices(test_pool, &mo, view_of(NOTICES));
    ck_assert_int_eq(count_of(html, "govuk-summary-card__action\""), 0);
    ck_assert_int_eq(count_of(html, "<ul class=\"govuk-summary-card__actions\"></ul>"), 2);
    hab_ui_t staff = ui_for(HAB_ROLE_STAFF);
    html = hab_render_notices(test_pool, &staff, view_of(NOTICES));
    ck_assert_int_eq(count_of(html, "Record a contact"), 2);
    ck_assert_int_eq(count_of(html, "Pass on"), 0);

    html = hab_render_notices(test_pool, &staff, view_of("{\"notices\": []}"));
    HAS(html, "<p class=\"govuk-body\">You hold no notices.</p>");
    ck_assert_int_eq(count_of(html, "govuk-summary-card"), 0);
}
END_TEST

START_TEST(notifications_are_a_table_of_events_in_words)
{
    hab_ui_t ui = ui_for(HAB_ROLE_CHIEF_OFFICER);
    const char *html = hab_render_notifications(test_pool, &ui, view_of(
        "{\"notifications\": ["
        " {\"at\": \"2026-11-01T10:00:00Z\", \"case_id\": 3, \"person\": {\"name\": \"" NASTY "\"},"
        "  \"event\": \"approved\"},"
        " {\"at\": \"2026-11-02\", \"case_id\": 4, \"person\": {\"name\": \"Xi\"},"
        "  \"event\": \"interim-imposed\"}]}"));
    ck_assert_int_eq(count_of(html, "<h1 class=\"govuk-heading-l\">Notifications</h1>"), 1);
    HAS(html, "<table class=\"govuk-table\">");
    ck_assert_int_eq(body_rows(html), 2);
    HAS(html, "<td class=\"govuk-table__cell\">Restrictions approved</td>");
    HAS(html, "Interim written-only restriction imposed after violence");
    HAS(html, "<td class=\"govuk-table__cell\">1 November 2026, 10:00 UTC</td>");
    assert_escaped(html, 1);

    html = hab_render_notifications(test_pool, &ui, view_of("{\"notifications\": []}"));
    HAS(html, "<p class=\"govuk-body\">Nothing yet.</p>");
    ck_assert_int_eq(count_of(html, "<table"), 0);
}
END_TEST

START_TEST(the_post_queue_flags_the_late_and_links_each_decision)
{
    hab_ui_t ui = ui_for(HAB_ROLE_CEM);
    const char *html = hab_render_triage(test_pool, &ui, view_of(
        "{\"limit_working_days\": 5, \"items\": ["
        " {\"item\": 7, \"case_id\": 3, \"person\": {\"name\": \"" NASTY "\"},"
        "  \"received\": \"2026-11-01\", \"channel\": \"letter\", \"working_days_waited\": 9,"
        "  \"over_limit\": true, \"summary\": \"About <b>bins</b>\"},"
        " {\"item\": 8, \"case_id\": 4, \"person\": {\"name\": \"Zed\"},"
        "  \"received\": \"2026-11-05\","
        "  \"channel\": \"email\", \"working_days_waited\": 1, \"over_limit\": false}]}"));
    ck_assert_int_eq(count_of(html, "<h1 class=\"govuk-heading-l\">Post awaiting triage</h1>"), 1);
    HAS(html, "Items waiting more than 5 working days are flagged.</p>");
    ck_assert_int_eq(body_rows(html), 2);
    HAS(html, "<strong class=\"govuk-tag govuk-tag--red\">9: over 5</strong>");
    ck_assert_int_eq(count_of(html, "govuk-tag--red"), 1);
    HAS(html, "href=\"/habitual/cases/3\">Case 3</a><br>" NASTY_SHOWN);
    HAS(html, "<a class=\"govuk-link\" href=\"/habitual/cases/3/triage?item=7\">"
              "Decide<span class=\"govuk-visually-hidden\"> item 7</span></a>");
    HAS(html, "About &lt;b&gt;bins&lt;/b&gt;");
    assert_escaped(html, 1);

    html = hab_render_triage(test_pool, &ui, view_of("{\"limit_working_days\": 3, \"items\": []}"));
    HAS(html, "<p class=\"govuk-body\">No post awaits triage.</p>");
    HAS(html, "more than 3 working days");
    ck_assert_int_eq(count_of(html, "<table"), 0);
}
END_TEST

static const char *const ABSENCES =
    "{\"absences\": ["
    " {\"from\": \"2026-11-01\", \"to\": \"2026-11-03\", \"note\": \"" NASTY "\","
    "  \"covers_today\": true},"
    " {\"from\": \"2026-12-01\", \"to\": \"2026-12-03\", \"note\": null,"
    "  \"covers_today\": false}]}";

START_TEST(absences_list_what_is_recorded_over_the_form_to_add_one)
{
    hab_ui_t ui = ui_for(HAB_ROLE_CHIEF_EXECUTIVE);
    const char *html = hab_render_absences(test_pool, &ui, view_of(ABSENCES), NULL, NULL);
    ck_assert_int_eq(count_of(html, "<h1 class=\"govuk-heading-l\">Absences of the chief "
                                    "executive</h1>"), 1);
    HAS(html, ">Recorded absences</caption>");
    ck_assert_int_eq(body_rows(html), 2);
    HAS(html, ">Yes: the monitoring officer decides</td>");
    HAS(html, "<h2 class=\"govuk-heading-m\">Record an absence</h2>"
              "<form method=\"post\" action=\"/habitual/absences\"");
    HAS(html, "name=\"csrf_token\" value=\"token\"");
    LACKS(html, "govuk-error-summary");
    assert_escaped(html, 1);

    /* refused: the summary first, the posted note kept, escaped */
    apr_array_header_t *errors = apr_array_make(test_pool, 1, sizeof(hab_ui_error_t));
    APR_ARRAY_PUSH(errors, hab_ui_error_t) = (hab_ui_error_t){"to", "The last day is too early"};
    hab_posted_t posted = {apr_array_make(test_pool, 1, sizeof(hab_form_pair_t))};
    APR_ARRAY_PUSH(posted.pairs, hab_form_pair_t) = (hab_form_pair_t){"note", "<script>x"};
    html = hab_render_absences(test_pool, &ui, view_of("{\"absences\": []}"), &posted, errors);
    ck_assert_ptr_eq(strstr(html, "<div class=\"govuk-error-summary\""), html);
    HAS(html, "<a href=\"#to\">The last day is too early</a>");
    HAS(html, "<p class=\"govuk-body\">None recorded.</p>");
    HAS(html, "value=\"&lt;script&gt;x\"");
    LACKS(html, "<script>");
}
END_TEST

static const char *const ENTRIES =
    "{\"entries\": ["
    " {\"seq\": 1, \"at\": \"2026-11-01T10:00:00Z\", \"user\": \"" NASTY "\","
    "  \"action\": \"case.view\", \"case_id\": 3, \"outcome\": \"allowed\", \"status\": 200},"
    " {\"seq\": 2, \"at\": \"2026-11-01T10:01:00Z\", \"user\": \"bob\", \"action\": \"cases.list\","
    "  \"case_id\": null, \"case_ids\": [3, 4], \"outcome\": \"refused\", \"status\": 403,"
    "  \"refused_rule\": \"R5\"}],"
    " \"next_after\": 2}";

START_TEST(the_access_log_filters_pages_and_exports_what_it_shows)
{
    hab_ui_t ui = ui_for(HAB_ROLE_AUDITOR);
    json_t *query = view_of("{\"from\": \"2026-11-01\", \"to\": \"\", \"user\": \"a&b\"}");
    const char *html = hab_render_audit(test_pool, &ui, view_of(ENTRIES), query);
    ck_assert_int_eq(count_of(html, "<h1 class=\"govuk-heading-l\">Access log</h1>"), 1);
    HAS(html, "refused. <a class=\"govuk-link\" href=\"/habitual/audit/"
              "verify\">Check the log has not been tampered with</a>.</p>");
    HAS(html, "<form method=\"get\" novalidate><div class=\"govuk-grid-row\">"
              "<div class=\"govuk-grid-column-one-half\">");
    ck_assert_int_eq(count_of(html, "<input class=\"govuk-input\""), 4);
    HAS(html, "name=\"user\" type=\"text\" value=\"a&amp;b\"");
    HAS(html, "govuk-button--secondary\" data-module=\"govuk-button\">"
              "Filter</button></form>");
    HAS(html, ">Entries</caption>");
    ck_assert_int_eq(body_rows(html), 2);
    HAS(html, "<td class=\"govuk-table__cell\">shown: 3, 4</td>");
    HAS(html, "<td class=\"govuk-table__cell\">R5</td>");
    /* the filters again (the empty one left out) in the next page and exports */
    HAS(html, "<nav class=\"govuk-pagination govuk-pagination--block\" "
              "aria-label=\"Pagination\"><div class=\"govuk-pagination__"
              "next\"><a class=\"govuk-link govuk-pagination__link\" "
              "href=\"/habitual/audit?from=2026-11-01&amp;user=a%26b&amp;"
              "after=2\" rel=\"next\">");
    HAS(html, "href=\"/habitual/audit/export?format=csv&amp;from=2026-11-01"
              "&amp;user=a%26b\">CSV</a> · <a class=\"govuk-link\" "
              "href=\"/habitual/audit/export?format=json&amp;");
    assert_escaped(html, 1);

    html = hab_render_audit(test_pool, &ui, view_of("{\"entries\": []}"), NULL);
    HAS(html, "<p class=\"govuk-body\">No entries match.</p>");
    LACKS(html, "govuk-pagination");
    HAS(html, "href=\"/habitual/audit/export?format=json\">JSON</a>");
}
END_TEST

START_TEST(the_log_check_says_what_it_found_over_the_checkpoint_form)
{
    hab_ui_t ui = ui_for(HAB_ROLE_AUDITOR);
    const char *html = hab_render_audit_verify(test_pool, &ui, view_of(
        "{\"ok\": true, \"entries\": 42, \"head\": \"ab<cd>\"}"));
    ck_assert_ptr_eq(strstr(html, "<h1 class=\"govuk-heading-l\">The access log is intact</h1>"),
                     html);
    HAS(html, "All 42 entries link up and match their hashes.");
    HAS(html, "<p class=\"govuk-body app-wrap-anywhere\"><code>ab&lt;cd&gt;"
              "</code></p>");
    HAS(html, "<h2 class=\"govuk-heading-m\">Check against a checkpoint</h2>");
    HAS(html, "<form method=\"post\" action=\"/habitual/audit/verify\"");

    html = hab_render_audit_verify(test_pool, &ui, view_of(
        "{\"ok\": false, \"first_bad_seq\": 7, \"problem\": \"" NASTY "\"}"));
    HAS(html, ">The access log has been changed</h1><div class=\""
              "govuk-warning-text\">");
    HAS(html, "does not check out is number 7: " NASTY_SHOWN "</p>");
    assert_escaped(html, 1);

    html = hab_render_audit_checkpoint(test_pool, &ui, view_of(
        "{\"ok\": true, \"entries\": 50, \"checkpoint\": {\"entries\": 40, \"head\": \"h\"}}"),
        NULL, NULL);
    HAS(html, "<div class=\"govuk-panel govuk-panel--confirmation\"><div "
              "class=\"govuk-panel__body\">Entry 40 still has the hash the "
              "checkpoint recorded</div></div>");
    HAS(html, "Nothing up to entry 40 has changed since the checkpoint was "
              "taken, and all 50 entries link up. Entries after it");

    html = hab_render_audit_checkpoint(test_pool, &ui, view_of(
        "{\"ok\": false, \"first_bad_seq\": 9, \"problem\": \"gone\"}"), NULL, NULL);
    HAS(html, ">The access log has been changed since the checkpoint</h1>");

    apr_array_header_t *errors = apr_array_make(test_pool, 1, sizeof(hab_ui_error_t));
    APR_ARRAY_PUSH(errors, hab_ui_error_t) = (hab_ui_error_t){"checkpoint", "Paste <it>"};
    html = hab_render_audit_checkpoint(test_pool, &ui, NULL, NULL, errors);
    ck_assert_ptr_eq(strstr(html, "<div class=\"govuk-error-summary\""), html);
    HAS(html, "</div><h1 class=\"govuk-heading-l\">Access log check</h1>"
              "<h2 class=\"govuk-heading-m\">Check against");
    HAS(html, "Paste &lt;it&gt;");
    LACKS(html, "<it>");
}
END_TEST

START_TEST(the_error_page_titles_each_status_and_names_a_server_fault)
{
    hab_ui_t ui = ui_for(HAB_ROLE_STAFF);
    const char *html = hab_render_error(test_pool, &ui, view_of(
        "{\"status\": 404, \"message\": \"no such case\"}"));
    HAS(html, "<title>Page not found – Habitual contact – Test Council");
    HAS(html, "<h1 class=\"govuk-heading-l\">Page not found</h1><p class=\""
              "govuk-body\">There is nothing here.");
    LACKS(html, "no such case");   /* never whether a case exists */
    HAS(html, "<p class=\"govuk-body\"><a class=\"govuk-link\" "
              "href=\"/habitual/\">Go to the start</a></p>");

    html = hab_render_error(test_pool, &ui, view_of(
        "{\"status\": 422, \"message\": \"" NASTY "\", \"reference\": \"r-1\"}"));
    HAS(html, "<h1 class=\"govuk-heading-l\">There is a problem</h1>");
    HAS(html, "<p class=\"govuk-body\">" NASTY_SHOWN "</p>");
    LACKS(html, "quote the reference");   /* not the server's fault */
    assert_escaped(html, 1);

    html = hab_render_error(test_pool, &ui, view_of(
        "{\"status\": 500, \"message\": \"secret detail\", \"reference\": \"r<2>\"}"));
    HAS(html, "Sorry, there is a problem with the service</h1>");
    LACKS(html, "secret detail");
    HAS(html, "<p class=\"govuk-body\">If you report this, quote the "
              "reference <span class=\"govuk-!-font-weight-bold\">"
              "r&lt;2&gt;</span>.</p>");

    hab_ui_t nobody = ui_for(0);
    html = hab_render_error(test_pool, &nobody, view_of(
        "{\"status\": 403, \"message\": \"Only auditors\"}"));
    HAS(html, ">You cannot do this</h1><p class=\"govuk-body\">You have no "
              "role in this service.");
    html = hab_render_error(test_pool, &ui, view_of(
        "{\"status\": 403, \"message\": \"Only auditors\"}"));
    HAS(html, "<p class=\"govuk-body\">Only auditors</p>");
}
END_TEST

Suite *suite_pages_home(void)
{
    Suite *s = suite_create("pages_home");
    TCase *tc = tcase_create("render");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, home_for_the_cem_shows_every_queue_with_links_from_the_mount);
    tcase_add_test(tc, home_shows_each_role_only_its_own_parts);
    tcase_add_test(tc, referrals_and_cases_list_the_cases_they_are_given);
    tcase_add_test(tc, notices_are_summary_cards_with_the_actions_each_role_may_take);
    tcase_add_test(tc, notifications_are_a_table_of_events_in_words);
    tcase_add_test(tc, the_post_queue_flags_the_late_and_links_each_decision);
    tcase_add_test(tc, absences_list_what_is_recorded_over_the_form_to_add_one);
    tcase_add_test(tc, the_access_log_filters_pages_and_exports_what_it_shows);
    tcase_add_test(tc, the_log_check_says_what_it_found_over_the_checkpoint_form);
    tcase_add_test(tc, the_error_page_titles_each_status_and_names_a_server_fault);
    suite_add_tcase(s, tc);
    return s;
}
