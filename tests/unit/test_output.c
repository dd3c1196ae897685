/* What the outputs guarantee: the shared CSV writer neutralises
 * cells a spreadsheet would run; plain text carries no control characters;
 * a stored letter shown outside the module is text, not markup. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/csv.h"
#include "habitual/base/html.h"
#include "habitual/base/text.h"
#include "habitual/domain/letters.h"
#include "habitual/web/ui.h"
#include "unit.h"

/* ---- CSV ---- */

START_TEST(csv_each_dangerous_first_character_gets_a_quote_mark)
{
    static const char *const cases[][2] = {
        {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
        {"+1+2", "\"'+1+2\""},
        {"-2+3+cmd|' /C calc'!A0", "\"'-2+3+cmd|' /C calc'!A0\""},
        {"@SUM(1)", "\"'@SUM(1)\""},
        {"\t=1", "\"'\t=1\""},
        {"\r=1", "\"'\r=1\""},
        {"'=1", "\"''=1\""}, /* a leading ' too: one ' dropped gives the value back */
        {NULL, NULL}};
    for (int i = 0; cases[i][0]; i++) {
        ck_assert_int_eq(hab_csv_needs_quote_mark(cases[i][0]), 1);
        ck_assert_str_eq(hab_csv_text(test_pool, cases[i][0]), cases[i][1]);
    }
}
END_TEST

START_TEST(csv_plain_values_are_quoted_and_unchanged)
{
    ck_assert_str_eq(hab_csv_text(test_pool, "REF-1"), "\"REF-1\"");
    ck_assert_str_eq(hab_csv_text(test_pool, ""), "\"\"");
    ck_assert_str_eq(hab_csv_text(test_pool, NULL), "\"\"");
    /* the dangerous characters anywhere but first are plain text */
    ck_assert_str_eq(hab_csv_text(test_pool, "a=b+c-d@e"), "\"a=b+c-d@e\"");
    ck_assert_str_eq(hab_csv_text(test_pool, " =1"), "\" =1\"");
    ck_assert_int_eq(hab_csv_needs_quote_mark("x"), 0);
    ck_assert_int_eq(hab_csv_needs_quote_mark(""), 0);
    ck_assert_int_eq(hab_csv_needs_quote_mark(NULL), 0);
}
END_TEST

START_TEST(csv_quotes_commas_newlines_and_utf8)
{
    ck_assert_str_eq(hab_csv_text(test_pool, "say \"hi\""), "\"say \"\"hi\"\"\"");
    ck_assert_str_eq(hab_csv_text(test_pool, "a,b"), "\"a,b\"");
    ck_assert_str_eq(hab_csv_text(test_pool, "line 1\r\nline 2\n"), "\"line 1\r\nline 2\n\"");
    ck_assert_str_eq(hab_csv_text(test_pool, "\"=1"), "\"\"\"=1\""); /* starts with a quote: safe */
    ck_assert_str_eq(hab_csv_text(test_pool, "Siân Ó Briain – £5 ✓"), "\"Siân Ó Briain – £5 ✓\"");
    ck_assert_str_eq(hab_csv_text(test_pool, "=Ünïcode"), "\"'=Ünïcode\"");
}
END_TEST

START_TEST(csv_rows_numbers_bare_text_neutralised)
{
    hab_csv_row_t *r = hab_csv_row(test_pool);
    hab_csv_add_int(r, 42);
    hab_csv_add_int(r, -5); /* a number the program produced: bare, never marked */
    hab_csv_add_text(r, "-5");
    hab_csv_add_text(r, "@SUM(1)");
    hab_csv_add_text(r, NULL);
    ck_assert_str_eq(hab_csv_row_end(r), "42,-5,\"'-5\",\"'@SUM(1)\",\"\"\r\n");
    ck_assert_str_eq(hab_csv_line(test_pool, (const char *const[]){"case_id", "=x", NULL}),
                     "\"case_id\",\"'=x\"\r\n");
    ck_assert_str_eq(hab_csv_row_end(hab_csv_row(test_pool)), "\r\n");
    ck_assert_str_eq(hab_csv_int(test_pool, 9007199254740993LL), "9007199254740993");
}
END_TEST

/* ---- plain text ---- */

START_TEST(text_control_characters_are_replaced)
{
    ck_assert_str_eq(hab_text_clean(test_pool, "a\x1b[31mred\x1b]0;title\x07", 1),
                     "a?[31mred?]0;title?");
    ck_assert_str_eq(hab_text_clean(test_pool, "tab\tnew\nline\r", 1), "tab\tnew\nline?");
    ck_assert_str_eq(hab_text_clean(test_pool, "one\nline", 0), "one?line");
    ck_assert_str_eq(hab_text_clean(test_pool, "del\x7f", 1), "del?");
    ck_assert_str_eq(hab_text_clean(test_pool,
                                    "c1 \xc2\x9b"
                                    "31m",
                                    1),
                     "c1 ?31m"); /* U+009B CSI */
    ck_assert_str_eq(hab_text_clean(test_pool,
                                    "raw \x9b"
                                    "31m",
                                    1),
                     "raw ?31m"); /* not UTF-8 */
    ck_assert_str_eq(hab_text_clean(test_pool,
                                    "bidi \xe2\x80\xae"
                                    "cba",
                                    1),
                     "bidi ?cba");                                                 /* U+202E */
    ck_assert_str_eq(hab_text_clean(test_pool, "iso \xe2\x81\xa6x", 1), "iso ?x"); /* U+2066 */
    ck_assert_str_eq(hab_text_clean(test_pool, "cut \xe2\x82", 1), "cut ??");
    ck_assert_str_eq(hab_text_clean(test_pool, NULL, 1), "");
}
END_TEST

START_TEST(text_clean_text_is_returned_as_it_is)
{
    const char *s = "Siân – £5 ✓ 😀 <b>&amp;</b> \"quoted\"";
    ck_assert_ptr_eq(hab_text_clean(test_pool, s, 0), s);
    ck_assert_str_eq(hab_text_clean(test_pool, "\xc2\xa0nbsp", 0), "\xc2\xa0nbsp");
}
END_TEST

/* ---- a stored letter as text ---- */

START_TEST(html_to_text_drops_markup_and_decodes_entities)
{
    const char *letter =
        "<h2 class=\"govuk-heading-m\">Your contact</h2>\n<p class=\"govuk-body\">Dear "
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co,</p><p>It&#39;s &#x2713; done.</p>";
    const char *text = hab_html_to_text(test_pool, letter);
    ck_assert_str_eq(text, "Your contact\nDear <script>alert(1)</script> & co,\nIt's ✓ done.");
    /* a tampered body: scripts vanish with their content, tags are dropped */
    text =
        hab_html_to_text(test_pool, "<p>Hi</p><script>alert(1)</script><img src=x onerror=alert(1)>"
                                    "<STYLE>p{}</style>after <b>bold</b> 1 < 2 &#27;[31m &bogus;");
    ck_assert_str_eq(text, "Hi\nafter bold 1 < 2 ?[31m &bogus;");
    ck_assert_str_eq(hab_html_to_text(test_pool, "<p>unfinished <a href=\"x"), "unfinished");
    ck_assert_str_eq(hab_html_to_text(test_pool, "<script>never closed"), "");
    ck_assert_str_eq(hab_html_to_text(test_pool, NULL), "");
    /* and once escaped again nothing of it is markup */
    ck_assert_str_eq(hab_html_escape(test_pool, hab_html_to_text(test_pool, "&lt;img src=x&gt;")),
                     "&lt;img src=x&gt;");
}
END_TEST

/* ---- the page shell and components, rendered without httpd ---- */

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *at = strstr(hay, needle); at; at = strstr(at + 1, needle)) n++;
    return n;
}

/* GOV.UK Frontend 6's structure: one <header> holding the Generic header
 * (the council's name, no GOV.UK logo) and the service navigation, one
 * <main>, one <footer> without a crown; what anyone typed is escaped. */
START_TEST(page_shell_is_frontend_6_and_escapes_what_it_shows)
{
    hab_ui_t ui = {.mount = "/habitual", .council = "Bright & <Early> Council", .user = "carol",
                   .roles = 0, .csrf_token = "t"};
    hab_page_t page = {.title = "Case <script>alert(1)</script>",
                       .nav = NULL,
                       .body = "<p class=\"govuk-body\">trusted body</p>",
                       .has_error = 1,
                       .wide = 0,
                       .banner = "Saved <b>x</b>"};
    const char *html = hab_ui_page(test_pool, &ui, &page);
    ck_assert_int_eq(count_of(html, "<header class=\"govuk-template__header\">"), 1);
    ck_assert_int_eq(count_of(html, "<main "), 1);
    ck_assert_int_eq(count_of(html, "<footer class=\"govuk-template__footer\">"), 1);
    ck_assert_int_eq(count_of(html, "govuk-generic-header__homepage-link"), 1);
    ck_assert_int_eq(count_of(html, "govuk-service-navigation__service-name"), 1);
    /* the navigation sits inside the header element, before it closes */
    ck_assert_ptr_nonnull(strstr(html, "</section></header>"));
    ck_assert_ptr_null(
        strstr(html, "govuk-header\"")); /* the GOV.UK header carries GOV.UK's logo */
    ck_assert_ptr_null(strstr(html, "govuk-logo"));
    ck_assert_ptr_null(strstr(html, "govuk-footer__crown"));
    ck_assert_ptr_null(strstr(html, "govuk-template--rebranded"));
    /* escaped in the title, the header, the footer and the banner; the body is trusted markup */
    ck_assert_ptr_null(strstr(html, "<script>alert"));
    ck_assert_ptr_null(strstr(html, "<Early>"));
    ck_assert_ptr_null(strstr(html, "<b>x</b>"));
    ck_assert_ptr_nonnull(strstr(html, "<title>Error: Case &lt;script&gt;alert(1)&lt;/script&gt;"));
    ck_assert_int_eq(count_of(html, "Bright &amp; &lt;Early&gt; Council"),
                     3); /* title, header, footer */
    ck_assert_ptr_nonnull(strstr(html, "<p class=\"govuk-body\">trusted body</p>"));
    /* no inline script or style: the Content-Security-Policy allows none */
    ck_assert_int_eq(count_of(html, "<script"), 2);
    ck_assert_int_eq(count_of(html, "<script src=\"/habitual/assets/supported.js\"></script>"), 1);
    ck_assert_int_eq(
        count_of(html, "<script type=\"module\" src=\"/habitual/assets/init.js\"></script>"), 1);
    ck_assert_ptr_null(strstr(html, "style="));
    ck_assert_ptr_null(strstr(html, "<style"));
}
END_TEST

START_TEST(components_escape_their_text)
{
    apr_array_header_t *errors = apr_array_make(test_pool, 2, sizeof(hab_ui_error_t));
    APR_ARRAY_PUSH(errors, hab_ui_error_t) = (hab_ui_error_t){"name", "Enter <the> name"};
    const char *summary = hab_ui_error_summary(test_pool, errors);
    ck_assert_ptr_nonnull(strstr(summary, "<a href=\"#name\">Enter &lt;the&gt; name</a>"));
    ck_assert_ptr_nonnull(strstr(summary, "govuk-error-summary"));
    ck_assert_str_eq(hab_ui_error_summary(test_pool, NULL), "");
    const char *paras = hab_ui_paragraphs(test_pool, "one <i>\ntwo & three");
    ck_assert_int_eq(count_of(paras, "<p class=\"govuk-body"), 2);
    ck_assert_ptr_nonnull(strstr(paras, "one &lt;i&gt;"));
    ck_assert_ptr_nonnull(strstr(paras, "two &amp; three"));
    ck_assert_ptr_null(strstr(hab_ui_warning(test_pool, "<img src=x onerror=alert(1)>"), "<img"));
}
END_TEST

/* Letters come from templates/letters: every part R11 asks for, the case's
 * values escaped, the address's line breaks kept, the document whole. */
START_TEST(letters_from_their_templates_escape_the_case)
{
    hab_case_t c;
    memset(&c, 0, sizeof(c));
    c.id = 7;
    c.person = json_pack("{s:s, s:s, s:s}", "name", "Ann <script>alert(1)</script>", "address",
                         "1 High St\nTown & Co", "reference", "R\"1\"");
    c.copy_to = json_pack("[{s:s, s:s}]", "name", "Bob <i>", "role", "MP");
    c.adjustments = json_object();
    json_t *restrictions = json_pack("[{s:s}]", "type", "written-only");
    hab_contact_plan_t plan;
    ck_assert_ptr_null(hab_restrictions_plan(test_pool, restrictions, &plan));
    hab_letter_facts_t f = {.council = "Council & <Co>", .date = "2026-03-02",
                            .signed_as = "Chief Executive", .reasons = "Because <b>",
                            .restrictions = restrictions, .plan = &plan,
                            .period_start = "2026-03-02", .period_end = "2027-03-01",
                            .review_due = "2027-02-01", .appeal_days = 10};
    hab_letter_t *l = hab_letter_decision(test_pool, &c, &f);
    for (int i = 0; hab_letter_required_parts[i]; i++)
        ck_assert_ptr_nonnull(strstr(l->body, hab_letter_required_parts[i]));
    ck_assert_ptr_null(strstr(l->body, "<script>"));
    ck_assert_ptr_null(strstr(l->body, "<b>"));
    ck_assert_ptr_null(strstr(l->body, "<i>"));
    ck_assert_ptr_nonnull(strstr(l->body, "Ann &lt;script&gt;alert(1)&lt;/script&gt;\n1 High St\n"
                                          "Town &amp; Co</p>"));
    ck_assert_ptr_nonnull(strstr(l->body,
                                 "Your reference</dt>"
                                 "<dd class=\"govuk-summary-list__value\">R&quot;1&quot;"));
    ck_assert_ptr_nonnull(strstr(l->body, "<li>Bob &lt;i&gt; (MP)</li>"));
    ck_assert_ptr_nonnull(strstr(l->body, "id=\"letter-subject\">Decision about your contact "
                                          "with the council</h2>"));
    ck_assert_ptr_nonnull(strstr(l->body, "by 16 March 2026"));   /* 10 working days */
    const char *page = hab_letter_page(test_pool, f.council, l->subject, l->body, "/s.css");
    ck_assert_ptr_nonnull(strstr(page, "<title>Decision about your contact with the council - "
                                       "Council &amp; &lt;Co&gt;</title>"));
    ck_assert_ptr_nonnull(strstr(page, "<link rel=\"stylesheet\" href=\"/s.css\">"));
    ck_assert_ptr_nonnull(strstr(page, l->body));
    json_decref(c.person);
    json_decref(c.copy_to);
    json_decref(c.adjustments);
    json_decref(restrictions);
}
END_TEST

Suite *suite_output(void)
{
    Suite *s = suite_create("output");
    TCase *tc = tcase_create("csv");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, csv_each_dangerous_first_character_gets_a_quote_mark);
    tcase_add_test(tc, csv_plain_values_are_quoted_and_unchanged);
    tcase_add_test(tc, csv_quotes_commas_newlines_and_utf8);
    tcase_add_test(tc, csv_rows_numbers_bare_text_neutralised);
    suite_add_tcase(s, tc);
    tc = tcase_create("text");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, text_control_characters_are_replaced);
    tcase_add_test(tc, text_clean_text_is_returned_as_it_is);
    tcase_add_test(tc, html_to_text_drops_markup_and_decodes_entities);
    suite_add_tcase(s, tc);
    tc = tcase_create("pages");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, page_shell_is_frontend_6_and_escapes_what_it_shows);
    tcase_add_test(tc, components_escape_their_text);
    tcase_add_test(tc, letters_from_their_templates_escape_the_case);
    suite_add_tcase(s, tc);
    return s;
}
