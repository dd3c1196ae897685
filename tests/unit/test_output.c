/* What the outputs guarantee (issue 11): the shared CSV writer neutralises
 * cells a spreadsheet would run; plain text carries no control characters;
 * a stored letter shown outside the module is text, not markup. */
#include <string.h>

#include <apr_strings.h>

#include "unit.h"
#include "habitual/csv.h"
#include "habitual/html.h"
#include "habitual/text.h"

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
    ck_assert_str_eq(hab_text_clean(test_pool, "a\x1b[31mred\x1b]0;title\x07", 1), "a?[31mred?]0;title?");
    ck_assert_str_eq(hab_text_clean(test_pool, "tab\tnew\nline\r", 1), "tab\tnew\nline?");
    ck_assert_str_eq(hab_text_clean(test_pool, "one\nline", 0), "one?line");
    ck_assert_str_eq(hab_text_clean(test_pool, "del\x7f", 1), "del?");
    ck_assert_str_eq(hab_text_clean(test_pool, "c1 \xc2\x9b" "31m", 1), "c1 ?31m");      /* U+009B CSI */
    ck_assert_str_eq(hab_text_clean(test_pool, "raw \x9b" "31m", 1), "raw ?31m");        /* not UTF-8 */
    ck_assert_str_eq(hab_text_clean(test_pool, "bidi \xe2\x80\xae" "cba", 1), "bidi ?cba"); /* U+202E */
    ck_assert_str_eq(hab_text_clean(test_pool, "iso \xe2\x81\xa6x", 1), "iso ?x");       /* U+2066 */
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
    const char *letter = "<h2 class=\"govuk-heading-m\">Your contact</h2>\n<p class=\"govuk-body\">Dear "
                         "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co,</p><p>It&#39;s &#x2713; done.</p>";
    const char *text = hab_html_to_text(test_pool, letter);
    ck_assert_str_eq(text, "Your contact\nDear <script>alert(1)</script> & co,\nIt's ✓ done.");
    /* a tampered body: scripts vanish with their content, tags are dropped */
    text = hab_html_to_text(test_pool, "<p>Hi</p><script>alert(1)</script><img src=x onerror=alert(1)>"
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
    return s;
}
