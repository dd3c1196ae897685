/* pages_case.c: the case page, its step forms, the concern form and the
 * letters, rendered from fixed views without httpd or a database: each
 * page's structure, and that what a user typed reaches it escaped. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/form.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/access.h"
#include "habitual/domain/casefile.h"
#include "habitual/domain/roles.h"
#include "habitual/domain/router.h"
#include "habitual/web/forms.h"
#include "habitual/web/pages.h"
#include "unit.h"

/* What a user might type: markup, a quote and an ampersand. */
#define NASTY "<script>alert(1)</script> \"Q\" & co"
#define NASTY_ESCAPED "&lt;script&gt;alert(1)&lt;/script&gt; &quot;Q&quot; &amp; co"

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = strstr(hay, needle); s; s = strstr(s + strlen(needle), needle)) n++;
    return n;
}

static void has(const char *html, const char *needle)
{
    ck_assert_msg(strstr(html, needle) != NULL, "missing: %s", needle);
}

static void lacks(const char *html, const char *needle)
{
    ck_assert_msg(strstr(html, needle) == NULL, "present: %s", needle);
}

/* JSON written with ' for " (the test data holds no apostrophe), owned by
 * the test's pool. */
static json_t *json_of(const char *text)
{
    char *s = apr_pstrdup(test_pool, text);
    for (char *c = s; *c; c++)
        if (*c == '\'') *c = '"';
    json_error_t err;
    json_t *j = json_loads(s, 0, &err);
    ck_assert_msg(j != NULL, "bad test JSON: %s", err.text);
    return hab_json_own(test_pool, j);
}

static const hab_ui_t cem_ui = {"/habitual", "Test Council", "alice", HAB_ROLE_CEM, "token"};

/* A case's whole file as hab_view_case gives it to the case officers. */
static json_t *full_view(void)
{
    json_t *v = json_of(
        "{'id': 7, 'status': 'active', 'end_reason': null,"
        " 'person': {'name': 'x', 'reference': 'R1', 'address': '1 High St',"
        "            'date_of_birth': '1971-03-27'},"
        " 'person_as_referred': {'name': 'Typed name', 'reference': 'R1'},"
        " 'person_link': {'by': 'carol', 'at': '2026-02-03T09:10:00Z'},"
        " 'person_matches': [{'person_id': 12, 'name': 'Held person', 'address': null,"
        "                     'cases': 2}],"
        " 'referred_by': 'bob', 'referred_at': '2026-01-02T10:00:00Z', 'department': 'Housing',"
        " 'summary': 'Shouting at the desk', 'measures_taken': 'A meeting',"
        " 'complaints_procedure': 'in-progress', 'criteria': ['abusive-about-staff'],"
        " 'vulnerable': true, 'vulnerability': 'Recorded',"
        " 'copy_to': [{'id': 1, 'name': 'Ann MP', 'role': 'MP', 'address': 'Westminster'}],"
        " 'copies_removed': [],"
        " 'corrections': [{'target': 'person', 'item': 'name', 'old_value': 'Old name',"
        "                  'new_value': 'New name', 'reason': 'A typing slip', 'by': 'carol',"
        "                  'at': '2026-02-02T00:00:00Z'}],"
        " 'correspondence': [{'item': 1, 'received': '2026-02-05', 'channel': 'letter',"
        "                     'summary': 'Another letter', 'recorded_by': 'bob'}],"
        " 'evidence': [{'id': 3, 'filename': 'call.mp3', 'description': 'The call',"
        "               'content_type': 'audio/mpeg', 'size': 1234, 'uploaded_by': 'carol',"
        "               'uploaded_at': '2026-02-07T11:00:00Z'}],"
        " 'contacts': [{'id': 4, 'at': '2026-01-05', 'channel': 'phone',"
        "               'direction': 'inbound', 'summary': 'Shouted', 'recorded_by': 'bob',"
        "               'incidents': ['violence']},"
        "              {'id': 5, 'at': '2026-01-06', 'channel': 'email',"
        "               'direction': 'outbound', 'summary': 'Sent in error',"
        "               'recorded_by': 'bob', 'withdrawn_at': '2026-01-09T00:00:00Z'}],"
        " 'restrictions': [{'type': 'written-only', 'interim': true}],"
        " 'open_channels': ['letter', 'email'],"
        " 'period': {'start': '2026-01-20', 'end': '2026-07-20'}, 'review_due': '2026-06-20',"
        " 'warning': {'on': '2026-01-10', 'method': 'letter', 'text': 'Please stop',"
        "             'by': 'carol'},"
        " 'letters': [{'id': 5, 'kind': 'warning', 'issued_at': '2026-01-10T12:00:00Z',"
        "              'subject': 'Your contact with the council'}],"
        " 'grants': [{'id': 2, 'user': 'dan', 'reason': 'Front desk', 'expires': '2026-05-01',"
        "             'active': true}],"
        " 'legal_hold': {'reason': 'Litigation', 'by': 'carol', 'at': '2026-02-12'}}");
    json_object_set_new(json_object_get(v, "person"), "name", json_string(NASTY));
    json_object_set_new(v, "summary", json_string(NASTY));
    return v;
}

static apr_array_header_t *routes(int n, const hab_route_id_t *ids)
{
    apr_array_header_t *open = apr_array_make(test_pool, 4, sizeof(hab_route_id_t));
    for (int i = 0; i < n; i++) APR_ARRAY_PUSH(open, hab_route_id_t) = ids[i];
    return open;
}

static const char *section_heading(const char *text)
{
    return apr_pstrcat(test_pool, "<h2 class=\"govuk-heading-m\">", text, "</h2>", NULL);
}

START_TEST(case_page_shows_the_whole_file_to_case_officers)
{
    static const hab_route_id_t ids[] = {HAB_ROUTE_WARN, HAB_ROUTE_PERSON_LINK,
                                         HAB_ROUTE_PERSON_UNLINK};
    const char *html = hab_render_case(test_pool, &cem_ui, full_view(), HAB_SEE_FULL,
                                       routes(3, ids));
    has(html, "<span class=\"govuk-caption-l\">Case 7</span>");
    ck_assert_int_eq(count_of(html, "<h1 class=\"govuk-heading-l\">"), 1);
    has(html, "<h1 class=\"govuk-heading-l\">" NASTY_ESCAPED "</h1>");
    /* the steps open, as links; linking is offered on the person records instead */
    has(html, "<h2 class=\"govuk-heading-m\">What you can do</h2><ul class=\"govuk-list\">"
              "<li><a class=\"govuk-link\" href=\"/habitual/cases/7/warning\">Warn the customer"
              "</a></li></ul>");
    lacks(html, "href=\"/habitual/cases/7/link\"");
    static const char *const sections[] = {
        "The customer", "Person records", "Restrictions", "Special category data", "The referral",
        "Chronology", "Letters are copied to", "Warning", "Letters", "Notices passed on",
        "Legal hold", NULL};
    for (int i = 0; sections[i]; i++)
        ck_assert_int_eq(count_of(html, section_heading(sections[i])), 1);
    has(html, "<caption class=\"govuk-table__caption govuk-table__caption--m\">Corrections");
    has(html, "<caption class=\"govuk-table__caption govuk-table__caption--m\">Post received");
    has(html, "<caption class=\"govuk-table__caption govuk-table__caption--m\">Evidence");
    has(html, "<strong>(interim, after violence)</strong>");
    has(html, "<del>Old name</del>");
    /* the chronology: a contact each, the withdrawn one struck through */
    ck_assert_int_eq(count_of(html, "<li class=\"govuk-!-margin-bottom-4\">"), 2);
    has(html, "<del>Contact 5, 6 January 2026: ");
    has(html, "Withdrawn as entered in error on 9 January 2026");
    ck_assert_int_eq(count_of(html, " <strong class=\"govuk-tag govuk-tag--red\">"), 1);
    /* the buttons post to the steps, with the form's token */
    has(html, "<form method=\"post\" action=\"/habitual/cases/7/link\" novalidate>"
              "<input type=\"hidden\" name=\"csrf_token\" value=\"token\">"
              "<input type=\"hidden\" name=\"person_id\" value=\"12\">");
    has(html, "<form method=\"post\" action=\"/habitual/cases/7/unlink\" novalidate>");
    ck_assert_int_eq(count_of(html, "govuk-button--secondary"), 2);
    has(html, "Linked by carol on 3 February 2026");
    has(html, "<a class=\"govuk-link\" href=\"/habitual/api/cases/7/evidence/3\" download>"
              "call.mp3</a>");
    has(html, "<a class=\"govuk-link\" href=\"/habitual/cases/7/letters/5\">"
              "Your contact with the council</a> (10 January 2026, 12:00 UTC)");
    /* the notices passed on are listed here, withdrawn on the grants form */
    has(html, "Officers holding the notice");
    lacks(html, "/revoke");
    /* what was typed, escaped wherever it shows */
    lacks(html, "<script>");
    ck_assert_int_eq(count_of(html, NASTY_ESCAPED), 3); /* heading, name, what happened */
}
END_TEST

START_TEST(case_page_hides_what_the_sight_does_not_reach)
{
    static const hab_route_id_t ids[] = {HAB_ROUTE_PERSON_LINK};
    /* a chief officer hearing the appeal: no person records, letters or grants */
    const char *html = hab_render_case(test_pool, &cem_ui, full_view(), HAB_SEE_APPEAL,
                                       routes(1, ids));
    has(html, section_heading("The customer"));
    has(html, section_heading("Chronology"));
    lacks(html, section_heading("Person records"));
    lacks(html, section_heading("Letters"));
    lacks(html, section_heading("Notices passed on"));
    lacks(html, "/habitual/cases/7/link");
    /* the case officers without the step open: the records, without buttons */
    html = hab_render_case(test_pool, &cem_ui, full_view(), HAB_SEE_FULL, routes(0, ids));
    has(html, section_heading("Person records"));
    lacks(html, "<form");
    lacks(html, "What you can do");
}
END_TEST

START_TEST(case_page_shows_the_referrer_what_they_raised)
{
    static const hab_ui_t staff = {"/habitual", "Test Council", "bob", HAB_ROLE_STAFF, "token"};
    json_t *raised = json_of("{'id': 9, 'status': 'referred', 'referred_at': '2026-01-02',"
                             " 'person': {'name': 'Typed name', 'reference': 'R1'},"
                             " 'department': 'Housing', 'measures_taken': 'A meeting',"
                             " 'complaints_procedure': 'exhausted',"
                             " 'criteria': ['abusive-about-staff'],"
                             " 'contacts': []}");
    json_object_set_new(raised, "summary", json_string(NASTY));
    const char *html = hab_render_case(test_pool, &staff, raised, HAB_SEE_REFERRAL,
                                       routes(0, NULL));
    has(html, "<span class=\"govuk-caption-l\">Case 9</span>");
    has(html, section_heading("What you raised"));
    has(html, "<p class=\"govuk-body\">No contacts recorded.</p>");
    has(html, "<p class=\"govuk-body\">" NASTY_ESCAPED "</p>");
    has(html, "<ul class=\"govuk-list govuk-list--bullet\"><li>Is abusive about staff, ");
    lacks(html, section_heading("Restrictions"));
    lacks(html, "<script>");
    /* taken forward: its status only */
    json_t *forward = json_of("{'id': 9, 'status': 'warned', 'end_reason': null,"
                              " 'person': {'name': 'Typed name', 'reference': 'R1'}}");
    html = hab_render_case(test_pool, &staff, forward, HAB_SEE_REFERRAL, routes(0, NULL));
    has(html, "The customer experience manager has taken your referral forward. "
              "You see its status only.");
    lacks(html, "<h2");
}
END_TEST

/* A case as hab_case_load gives it, with what a step's page reads. */
static hab_case_t step_case(void)
{
    hab_case_t c;
    memset(&c, 0, sizeof(c));
    c.id = 7;
    c.status = "active";
    c.person = json_of("{'name': 'x', 'reference': 'R1'}");
    json_object_set_new(c.person, "name", json_string(NASTY));
    c.grants = json_of("[{'id': 2, 'user': 'dan', 'reason': 'Front desk', 'expires': '2026-05-01',"
                       "  'active': true},"
                       " {'id': 3, 'team': 'north', 'reason': 'Desk', 'expires': '2026-05-02',"
                       "  'active': true},"
                       " {'id': 4, 'user': 'gone', 'reason': 'Old', 'active': false}]");
    return c;
}

START_TEST(step_page_passes_the_notice_on_and_withdraws_it)
{
    hab_case_t c = step_case();
    hab_step_form_t form = {"grants", ",north,south,", NULL, NULL};
    const char *html = hab_render_step(test_pool, &cem_ui, &c, HAB_SEE_FULL, &form);
    has(html, "<span class=\"govuk-caption-l\">Case 7: " NASTY_ESCAPED "</span>");
    has(html, "<h1 class=\"govuk-heading-l\">Pass the notice to an officer</h1>");
    /* each active grant with its own form to withdraw it, by the grant's id */
    has(html, "<form method=\"post\" action=\"/habitual/cases/7/grants/2/revoke\" novalidate>"
              "<input type=\"hidden\" name=\"csrf_token\" value=\"token\"><button type=\"submit\" "
              "class=\"govuk-button govuk-button--warning govuk-!-margin-bottom-0\" "
              "data-module=\"govuk-button\">Withdraw<span class=\"govuk-visually-hidden\"> "
              "the notice from dan</span></button></form>");
    has(html, "action=\"/habitual/cases/7/grants/3/revoke\"");
    has(html, "the notice from Team north");
    lacks(html, "/grants/4/revoke");
    /* the teams this <Location> names, offered after the user name */
    has(html, "Team south");
    has(html, "action=\"/habitual/cases/7/grants\"");
    has(html, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/habitual/cases/7\">"
              "Back to the case</a></p>");
    lacks(html, "<script>");
    /* a chief officer holding the notice goes back to their notices */
    html = hab_render_step(test_pool, &cem_ui, &c, HAB_SEE_NOTICE, &form);
    has(html, "<a class=\"govuk-link\" href=\"/habitual/notices\">Back to your notices</a>");
    form.slug = "no-such-step";
    ck_assert_ptr_null(hab_render_step(test_pool, &cem_ui, &c, HAB_SEE_FULL, &form));
}
END_TEST

START_TEST(step_page_warns_of_what_the_rules_ask)
{
    hab_case_t c = step_case();
    hab_step_form_t report = {"report", NULL, NULL, NULL};
    const char *html = hab_render_step(test_pool, &cem_ui, &c, HAB_SEE_FULL, &report);
    ck_assert_int_eq(count_of(html, "<div class=\"govuk-warning-text\">"), 0);
    has(html, "<p class=\"govuk-body\">The report details the behaviour causing concern");
    c.violence = 1;
    c.vulnerable = 1;
    html = hab_render_step(test_pool, &cem_ui, &c, HAB_SEE_FULL, &report);
    ck_assert_int_eq(count_of(html, "<div class=\"govuk-warning-text\">"), 2);
    has(html, "Violence or threats of violence have been recorded (R8)");
    has(html, "The customer is recorded as vulnerable (R10)");
    /* the monitoring officer decides only while deputising */
    hab_step_form_t decision = {"decision", NULL, NULL, NULL};
    hab_ui_t mo = cem_ui;
    mo.roles = HAB_ROLE_MONITORING_OFFICER;
    html = hab_render_step(test_pool, &mo, &c, HAB_SEE_FULL, &decision);
    has(html, "<div class=\"govuk-inset-text\">As monitoring officer you may decide only");
    mo.roles = HAB_ROLE_CHIEF_EXECUTIVE;
    html = hab_render_step(test_pool, &mo, &c, HAB_SEE_FULL, &decision);
    lacks(html, "govuk-inset-text");
    has(html, "<h1 class=\"govuk-heading-l\">Decide on the report</h1>");
}
END_TEST

START_TEST(step_page_shows_a_refused_form_again_escaped)
{
    hab_case_t c = step_case();
    apr_array_header_t *pairs = apr_array_make(test_pool, 1, sizeof(hab_form_pair_t));
    APR_ARRAY_PUSH(pairs, hab_form_pair_t) = (hab_form_pair_t){"reason", NASTY};
    hab_posted_t posted = {pairs};
    apr_array_header_t *errors = apr_array_make(test_pool, 1, sizeof(hab_ui_error_t));
    APR_ARRAY_PUSH(errors, hab_ui_error_t) = (hab_ui_error_t){"reason", "Enter a <better> reason"};
    hab_step_form_t form = {"close", NULL, &posted, errors};
    const char *html = hab_render_step(test_pool, &cem_ui, &c, HAB_SEE_FULL, &form);
    ck_assert_ptr_eq(strstr(html, "<div class=\"govuk-error-summary\""), html);
    has(html, "<a href=\"#reason\">Enter a &lt;better&gt; reason</a>");
    has(html, "<h1 class=\"govuk-heading-l\">Close without action</h1>");
    ck_assert_int_eq(count_of(html, NASTY_ESCAPED), 2); /* the caption and the field */
    lacks(html, "<script>");
}
END_TEST

START_TEST(concern_page_posts_to_the_concerns)
{
    static const hab_ui_t staff = {"/habitual", "Test Council", "bob", HAB_ROLE_STAFF, "token"};
    const char *html = hab_render_concern(test_pool, &staff, NULL, NULL);
    ck_assert_ptr_eq(strstr(html, "<h1 class=\"govuk-heading-l\">Raise a concern</h1>"), html);
    has(html, "<p class=\"govuk-body\">Tell the customer experience manager about a customer "
              "whose contact is repeated, unreasonable, abusive or threatening. Only people who "
              "need to know will see what you write.</p>");
    has(html, "<form method=\"post\" action=\"/habitual/concerns/new\"");
    has(html, "value=\"token\"");
    has(html, "Raise the concern");
    lacks(html, "govuk-error-summary");
    apr_array_header_t *pairs = apr_array_make(test_pool, 1, sizeof(hab_form_pair_t));
    APR_ARRAY_PUSH(pairs, hab_form_pair_t) = (hab_form_pair_t){"person_name", NASTY};
    hab_posted_t posted = {pairs};
    apr_array_header_t *errors = apr_array_make(test_pool, 1, sizeof(hab_ui_error_t));
    APR_ARRAY_PUSH(errors, hab_ui_error_t) =
        (hab_ui_error_t){"department", "Enter your department"};
    html = hab_render_concern(test_pool, &staff, &posted, errors);
    ck_assert_ptr_eq(strstr(html, "<div class=\"govuk-error-summary\""), html);
    has(html, "value=\"" NASTY_ESCAPED "\"");
    lacks(html, "<script>");
}
END_TEST

static json_t *letter_view(const char *format)
{
    json_t *v = json_of("{'case_id': 7, 'letter': '5', 'issued_at': '2026-01-10T12:00:00Z',"
                        " 'body': '<h2 id=letter-subject>Your contact</h2>"
                        "<p>Dear <b>you</b></p>'}");
    json_object_set_new(v, "subject", json_string(NASTY));
    json_object_set_new(v, "format", json_string(format));
    return v;
}

START_TEST(letter_page_shows_the_letter_in_its_format)
{
    const char *html = hab_render_letter(test_pool, &cem_ui, letter_view("large-print"));
    ck_assert_ptr_eq(strstr(html, "<a href=\"/habitual/cases/7\" class=\"govuk-back-link\">"
                                  "Back to case 7</a><div class=\"app-no-print\">"), html);
    has(html, "<h1 class=\"govuk-heading-l\">" NASTY_ESCAPED "</h1>");
    has(html, "Issued 10 January 2026, 12:00 UTC. Issued letters cannot be changed. ");
    /* the other formats as links, the one shown as current */
    has(html, "<nav aria-label=\"Versions of this letter\">");
    has(html, "<li><strong aria-current=\"page\">Large print</strong></li>");
    has(html, "<a class=\"govuk-link\" href=\"/habitual/cases/7/letters/5?format=standard\">"
              "As issued</a>");
    has(html, "href=\"/habitual/cases/7/letters/5?format=plain-text\">Plain text</a>");
    /* the letter as issued: markup the module wrote */
    has(html, "<article class=\"app-letter app-letter--large-print\" "
              "aria-labelledby=\"letter-subject\"><h2 id=letter-subject>");
    lacks(html, "<script>");
    html = hab_render_letter(test_pool, &cem_ui, letter_view("plain-text"));
    has(html, "<article class=\"app-letter-text\" aria-label=\"The letter as plain text\">");
    has(html, "<li><strong aria-current=\"page\">Plain text</strong></li>");
    has(html, "Dear you");
    lacks(html, "<b>");
    html = hab_render_letter(test_pool, &cem_ui, letter_view("standard"));
    has(html, "<article class=\"app-letter\" aria-labelledby=\"letter-subject\">");
}
END_TEST

Suite *suite_pages_case(void)
{
    Suite *s = suite_create("pages_case");
    TCase *tc = tcase_create("render");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, case_page_shows_the_whole_file_to_case_officers);
    tcase_add_test(tc, case_page_hides_what_the_sight_does_not_reach);
    tcase_add_test(tc, case_page_shows_the_referrer_what_they_raised);
    tcase_add_test(tc, step_page_passes_the_notice_on_and_withdraws_it);
    tcase_add_test(tc, step_page_warns_of_what_the_rules_ask);
    tcase_add_test(tc, step_page_shows_a_refused_form_again_escaped);
    tcase_add_test(tc, concern_page_posts_to_the_concerns);
    tcase_add_test(tc, letter_page_shows_the_letter_in_its_format);
    suite_add_tcase(s, tc);
    return s;
}
