/* The GOV.UK form widgets (forms.c) and the bar charts (svg.c), rendered from
 * fixed widget tables and posted values without httpd or a database: each
 * widget's structure (labels tied to ids, hints and errors named by
 * aria-describedby, the error classes, the CSRF token), and that what a
 * user typed reaches the page escaped. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/form.h"
#include "habitual/web/forms.h"
#include "habitual/web/svg.h"
#include "unit.h"

#define HOSTILE "<script>alert(1)</script> \" & x"
#define HOSTILE_ESCAPED "&lt;script&gt;alert(1)&lt;/script&gt; &quot; &amp; x"

static const hab_option_t options[] = {
    {"a", "Option <a>", NULL},
    {"b", "Option B", "Hint & <b>"},
    {NULL, NULL, NULL}};

/* One of each kind, as a page declares them. */
static const hab_widget_t widgets[] = {
    {"person.name", "Name <of> person", "As they give it", HAB_W_TEXT, NULL, NULL},
    {"count", "How many", NULL, HAB_W_NUMBER, NULL, NULL},
    {"notes", "Notes", NULL, HAB_W_TEXTAREA, NULL, NULL},
    {"places", "Places", "One per line", HAB_W_LINES, NULL, NULL},
    {"when", "When it happened", NULL, HAB_W_DATE, NULL, NULL},
    {"pick", "Pick one", "Choose", HAB_W_RADIOS, options, NULL},
    {"many", "Pick any", NULL, HAB_W_CHECKBOXES, options, NULL},
    {"agreed", "Agreed", NULL, HAB_W_YESNO, NULL, NULL},
    {"restrictions", "Restrictions", NULL, HAB_W_RESTRICTIONS, NULL, NULL},
    {"letter", "The letter", NULL, HAB_W_FILE, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL}};

static const hab_form_pair_t posted_pairs[] = {
    {"person_name", HOSTILE},
    {"count", "12"},
    {"notes", "Notes " HOSTILE},
    {"when_day", "3"},
    {"when_month", "<m>"},
    {"when_year", "2026"},
    {"pick", "b"},
    {"many", "a"},
    {"many", "b"},
    {"agreed", "no"},
    {"r_types", "decline-channels"},
    {"r_channels", "email"},
    {"r_buildings", "Town <Hall>"},
};

static hab_posted_t *posted(void)
{
    hab_posted_t *ps = apr_pcalloc(test_pool, sizeof(*ps));
    size_t n = sizeof(posted_pairs) / sizeof(posted_pairs[0]);
    ps->pairs = apr_array_make(test_pool, (int)n, sizeof(hab_form_pair_t));
    for (size_t i = 0; i < n; i++) APR_ARRAY_PUSH(ps->pairs, hab_form_pair_t) = posted_pairs[i];
    return ps;
}

/* An error at each of these ids, as hab_form_errors links them (a date's at
 * its day input). */
static apr_array_header_t *errors_at(const char *const *ids)
{
    apr_array_header_t *errors = apr_array_make(test_pool, 4, sizeof(hab_ui_error_t));
    for (int i = 0; ids[i]; i++)
        APR_ARRAY_PUSH(errors, hab_ui_error_t) = (hab_ui_error_t){ids[i], "Fix <this> & that"};
    return errors;
}

static const hab_widget_t *widget(const char *key)
{
    for (const hab_widget_t *w = widgets; w->key; w++)
        if (!strcmp(w->key, key)) return w;
    return NULL;
}

static const char *render(const char *key, const hab_posted_t *ps, const char *const *error_ids)
{
    return hab_form_widget(test_pool, widget(key), ps, error_ids ? errors_at(error_ids) : NULL);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = strstr(hay, needle); s; s = strstr(s + 1, needle)) n++;
    return n;
}

/* The whole tag that holds needle ("<input ... id=\"x\" ...>"), or "". */
static const char *tag_with(const char *html, const char *needle)
{
    const char *at = strstr(html, needle);
    if (!at) return "";
    const char *open = at;
    while (open > html && *open != '<') open--;
    const char *close = strchr(at, '>');
    return apr_pstrndup(test_pool, open, (apr_size_t)(close ? close - open + 1 : 0));
}

START_TEST(text_widget_ties_label_hint_and_error_and_reshows_escaped)
{
    static const char *const ids[] = {"person-name", NULL};
    const char *html = render("person.name", posted(), ids);
    ck_assert_ptr_nonnull(strstr(html, "<div class=\"govuk-form-group govuk-form-group--error\">"));
    ck_assert_ptr_nonnull(strstr(html, "<label class=\"govuk-label govuk-label--s\" "
                                       "for=\"person-name\">Name &lt;of&gt; person</label>"));
    ck_assert_ptr_nonnull(strstr(html, "<div id=\"person-name-hint\" class=\"govuk-hint\">"
                                       "As they give it</div>"));
    ck_assert_ptr_nonnull(strstr(html, "<p id=\"person-name-error\" class=\"govuk-error-message\">"
                                       "<span class=\"govuk-visually-hidden\">Error:</span> "
                                       "Fix &lt;this&gt; &amp; that</p>"));
    const char *input = tag_with(html, "id=\"person-name\"");
    ck_assert_ptr_nonnull(strstr(input, "class=\"govuk-input govuk-input--error\""));
    ck_assert_ptr_nonnull(strstr(input, "name=\"person_name\""));
    ck_assert_ptr_nonnull(strstr(input, "value=\"" HOSTILE_ESCAPED "\""));
    ck_assert_ptr_nonnull(strstr(input, "aria-describedby=\"person-name-hint person-name-error\""));
    ck_assert_ptr_null(strstr(html, "<script>"));
    ck_assert_ptr_null(strstr(html, "<of>"));
    ck_assert_ptr_null(strstr(html, "<this>"));
}
END_TEST

START_TEST(widget_without_hint_or_error_describes_nothing)
{
    const char *html = render("count", NULL, NULL);
    ck_assert_ptr_nonnull(strstr(html, "<div class=\"govuk-form-group\">"));
    ck_assert_ptr_null(strstr(html, "--error"));
    ck_assert_ptr_null(strstr(html, "aria-describedby"));
    ck_assert_ptr_null(strstr(html, "govuk-hint"));
    const char *input = tag_with(html, "id=\"count\"");
    ck_assert_ptr_nonnull(strstr(input, "class=\"govuk-input govuk-input--width-4\""));
    ck_assert_ptr_nonnull(strstr(input, "inputmode=\"numeric\" spellcheck=\"false\" value=\"\""));
    ck_assert_ptr_nonnull(strstr(render("count", posted(), NULL), "value=\"12\""));
    /* an error alone: described by it, without a hint id */
    static const char *const ids[] = {"count", NULL};
    input = tag_with(render("count", NULL, ids), "id=\"count\"");
    ck_assert_ptr_nonnull(strstr(input, " aria-describedby=\"count-error\">"));
    ck_assert_ptr_nonnull(strstr(input, "govuk-input govuk-input--error govuk-input--width-4"));
}
END_TEST

START_TEST(textareas_reshow_their_text_escaped)
{
    static const char *const ids[] = {"notes", NULL};
    const char *html = render("notes", posted(), ids);
    ck_assert_ptr_nonnull(strstr(html, "<label class=\"govuk-label govuk-label--s\" "
                                       "for=\"notes\">Notes</label>"));
    ck_assert_ptr_nonnull(strstr(html, "<textarea class=\"govuk-textarea govuk-textarea--error\" "
                                       "id=\"notes\" name=\"notes\" rows=\"5\" "
                                       "aria-describedby=\"notes-error\">Notes " HOSTILE_ESCAPED
                                       "</textarea>"));
    ck_assert_ptr_nonnull(strstr(html, "govuk-form-group--error"));
    ck_assert_ptr_null(strstr(html, "<script>"));
    /* one entry per line: the same textarea, with its hint */
    html = render("places", NULL, NULL);
    ck_assert_ptr_nonnull(strstr(html, "<textarea class=\"govuk-textarea\" id=\"places\" "
                                       "name=\"places\" rows=\"5\" "
                                       "aria-describedby=\"places-hint\"></textarea>"));
    ck_assert_ptr_nonnull(strstr(html, "<div id=\"places-hint\" class=\"govuk-hint\">"));
}
END_TEST

START_TEST(file_widget_is_never_refilled_and_makes_the_form_multipart)
{
    static const char *const ids[] = {"letter", NULL};
    const char *html = render("letter", posted(), ids);
    const char *input = tag_with(html, "id=\"letter\"");
    ck_assert_str_eq(input, "<input class=\"govuk-file-upload govuk-file-upload--error\" "
                            "id=\"letter\" name=\"letter\" type=\"file\" "
                            "aria-describedby=\"letter-error\">");
    ck_assert_ptr_nonnull(strstr(html, "<label class=\"govuk-label govuk-label--s\" for=\"letter\">"
                                       "The letter</label>"));
    const char *form = hab_form_render(test_pool, widgets, NULL, NULL, "tok", "Send", "/x");
    ck_assert_ptr_nonnull(strstr(form, "<form method=\"post\" action=\"/x\" "
                                       "enctype=\"multipart/form-data\" novalidate>"));
    const hab_widget_t no_file[] = {widgets[0], {NULL, NULL, NULL, 0, NULL, NULL}};
    form = hab_form_render(test_pool, no_file, NULL, NULL, "tok", "Send", "/x");
    ck_assert_ptr_nonnull(strstr(form, "<form method=\"post\" action=\"/x\" novalidate>"));
}
END_TEST

START_TEST(date_widget_has_three_labelled_inputs_and_its_error_at_the_day)
{
    static const char *const ids[] = {"when-day", NULL};
    const char *html = render("when", posted(), ids);
    ck_assert_ptr_nonnull(strstr(html, "<div class=\"govuk-form-group govuk-form-group--error\">"
                                       "<fieldset class=\"govuk-fieldset\" role=\"group\" "
                                       "aria-describedby=\"when-hint when-error\">"));
    ck_assert_ptr_nonnull(strstr(html, "<legend class=\"govuk-fieldset__legend "
                                       "govuk-fieldset__legend--s\">When it happened</legend>"));
    ck_assert_ptr_nonnull(strstr(html, "<div id=\"when-hint\" class=\"govuk-hint\">"
                                       "For example, 27 3 2026</div>"));
    ck_assert_ptr_nonnull(strstr(html, "<p id=\"when-error\" class=\"govuk-error-message\">"));
    ck_assert_ptr_nonnull(strstr(html, "<div class=\"govuk-date-input\" id=\"when\">"));
    static const char *const parts[][3] = {
        {"day", "Day", "2"}, {"month", "Month", "2"}, {"year", "Year", "4"}};
    for (int i = 0; i < 3; i++) {
        const char *id = apr_pstrcat(test_pool, "when-", parts[i][0], NULL);
        ck_assert_ptr_nonnull(strstr(html, apr_psprintf(test_pool, "for=\"%s\">%s</label>",
                                                        id, parts[i][1])));
        const char *input = tag_with(html, apr_pstrcat(test_pool, "id=\"", id, "\"", NULL));
        ck_assert_ptr_nonnull(strstr(input, apr_pstrcat(test_pool, "name=\"when_", parts[i][0],
                                                        "\"", NULL)));
        ck_assert_ptr_nonnull(strstr(input, apr_pstrcat(test_pool, "govuk-input--width-",
                                                        parts[i][2], " govuk-input--error",
                                                        NULL)));
    }
    ck_assert_int_eq(count_of(html, "govuk-date-input__item"), 3);
    ck_assert_ptr_nonnull(strstr(html, "value=\"&lt;m&gt;\""));
    ck_assert_ptr_null(strstr(html, "<m>"));
    /* an error elsewhere is not this widget's */
    static const char *const other[] = {"when", NULL};
    ck_assert_ptr_null(strstr(render("when", NULL, other), "error"));
}
END_TEST

START_TEST(radios_and_checkboxes_number_their_items_and_tick_what_was_posted)
{
    const char *html = render("pick", posted(), NULL);
    ck_assert_ptr_nonnull(strstr(html, "<fieldset class=\"govuk-fieldset\" "
                                       "aria-describedby=\"pick-hint\">"));
    ck_assert_ptr_nonnull(strstr(html, "<div class=\"govuk-radios\" "
                                       "data-module=\"govuk-radios\">"));
    const char *first = tag_with(html, "id=\"pick\"");
    ck_assert_str_eq(first, "<input class=\"govuk-radios__input\" id=\"pick\" name=\"pick\" "
                            "type=\"radio\" value=\"a\">");
    const char *second = tag_with(html, "id=\"pick-2\"");
    ck_assert_str_eq(second, "<input class=\"govuk-radios__input\" id=\"pick-2\" name=\"pick\" "
                             "type=\"radio\" value=\"b\" checked "
                             "aria-describedby=\"pick-2-item-hint\">");
    ck_assert_ptr_nonnull(strstr(html, "<label class=\"govuk-label govuk-radios__label\" "
                                       "for=\"pick\">Option &lt;a&gt;</label>"));
    ck_assert_ptr_nonnull(strstr(html, "<div id=\"pick-2-item-hint\" class=\"govuk-hint "
                                       "govuk-radios__hint\">Hint &amp; &lt;b&gt;</div>"));
    ck_assert_ptr_null(strstr(html, "<a>"));
    ck_assert_ptr_null(strstr(html, "<b>"));
    static const char *const ids[] = {"many", NULL};
    html = render("many", posted(), ids);
    ck_assert_ptr_nonnull(strstr(html, "govuk-form-group--error"));
    ck_assert_ptr_nonnull(strstr(html, "<fieldset class=\"govuk-fieldset\" "
                                       "aria-describedby=\"many-error\">"));
    ck_assert_ptr_nonnull(strstr(html, "data-module=\"govuk-checkboxes\""));
    ck_assert_int_eq(count_of(html, "type=\"checkbox\""), 2);
    ck_assert_int_eq(count_of(html, " checked"), 2);
    ck_assert_ptr_nonnull(strstr(html, "govuk-checkboxes__label\" "
                                       "for=\"many-2\">Option B</label>"));
}
END_TEST

START_TEST(yes_no_is_two_inline_radios)
{
    const char *html = render("agreed", posted(), NULL);
    ck_assert_ptr_nonnull(strstr(html, "<div class=\"govuk-radios govuk-radios--inline\" "
                                       "data-module=\"govuk-radios\">"));
    ck_assert_int_eq(count_of(html, "type=\"radio\""), 2);
    ck_assert_str_eq(tag_with(html, "value=\"no\""),
                     "<input class=\"govuk-radios__input\" id=\"agreed-2\" name=\"agreed\" "
                     "type=\"radio\" value=\"no\" checked>");
    ck_assert_ptr_null(strstr(tag_with(html, "value=\"yes\""), "checked"));
    ck_assert_ptr_nonnull(strstr(html, "for=\"agreed\">Yes</label>"));
}
END_TEST

START_TEST(restrictions_reveal_their_details_under_the_ticked_type)
{
    static const char *const ids[] = {"restrictions", NULL};
    const char *html = render("restrictions", posted(), ids);
    ck_assert_ptr_nonnull(strstr(html, "govuk-form-group--error"));
    ck_assert_ptr_nonnull(strstr(html, "<legend class=\"govuk-fieldset__legend "
                                       "govuk-fieldset__legend--m\">Restrictions</legend>"));
    ck_assert_int_eq(count_of(html, "name=\"r_types\""), 8);
    ck_assert_ptr_nonnull(strstr(html, "id=\"restrictions\" name=\"r_types\""));
    ck_assert_ptr_nonnull(strstr(html, "id=\"restrictions-8\" name=\"r_types\""));
    /* the ticked type's details are shown, each other's hidden */
    const char *ticked = tag_with(html, "value=\"decline-channels\"");
    ck_assert_ptr_nonnull(strstr(ticked, " checked"));
    ck_assert_ptr_nonnull(strstr(ticked, "data-aria-controls=\"conditional-restrictions-2\""));
    ck_assert_ptr_nonnull(strstr(html, "<div class=\"govuk-checkboxes__conditional\" "
                                       "id=\"conditional-restrictions-2\">"));
    ck_assert_int_eq(count_of(html, "govuk-checkboxes__conditional--hidden"), 5);
    /* types with nothing to add reveal nothing */
    ck_assert_ptr_null(strstr(tag_with(html, "value=\"written-only\""), "data-aria-controls"));
    ck_assert_ptr_null(strstr(html, "conditional-restrictions-8"));
    /* the details are widgets of their own, showing what was posted */
    ck_assert_ptr_nonnull(strstr(tag_with(html, "value=\"email\""), " checked"));
    ck_assert_ptr_nonnull(strstr(html, "name=\"r_buildings\" rows=\"5\" "
                                       "aria-describedby=\"r-buildings-hint\">Town &lt;Hall&gt;"));
    ck_assert_ptr_nonnull(strstr(html, "<div class=\"govuk-hint govuk-checkboxes__hint\">"
                                       "One form of contact must stay open.</div>"));
    ck_assert_ptr_null(strstr(html, "<Hall>"));
}
END_TEST

START_TEST(form_carries_the_csrf_token_every_widget_and_an_escaped_button)
{
    static const char *const ids[] = {"person-name", "when-day", NULL};
    const char *html = hab_form_render(test_pool, widgets, posted(), errors_at(ids),
                                       "tok\"<en>", "Save & <go>", "/habitual/cases?a=1&b=<c>");
    ck_assert_ptr_eq(strstr(html, "<form method=\"post\" "
                                  "action=\"/habitual/cases?a=1&amp;b=&lt;c&gt;\""), html);
    ck_assert_ptr_nonnull(strstr(html, " novalidate><input type=\"hidden\" name=\"csrf_token\" "
                                       "value=\"tok&quot;&lt;en&gt;\">"));
    ck_assert_int_eq(count_of(html, "name=\"csrf_token\""), 1);
    ck_assert_ptr_nonnull(strstr(html, "<div class=\"govuk-button-group\"><button type=\"submit\" "
                                       "class=\"govuk-button\" data-module=\"govuk-button\" "
                                       "data-prevent-double-click=\"true\">Save &amp; &lt;go&gt;"
                                       "</button></div></form>"));
    /* each widget once, in the table's order, the errors where they belong */
    const char *prev = html;
    for (const hab_widget_t *w = widgets; w->key; w++) {
        const char *at = strstr(html, apr_pstrcat(test_pool, "id=\"",
                                                  hab_form_id(test_pool, w->key), "\"", NULL));
        ck_assert_msg(at && at > prev, "%s out of place", w->key);
        prev = at;
    }
    ck_assert_int_eq(count_of(html, "govuk-form-group--error"), 2);
    ck_assert_int_eq(count_of(html, "class=\"govuk-error-message\""), 2);
    ck_assert_ptr_null(strstr(html, "<script>"));
    ck_assert_ptr_null(strstr(html, "<go>"));
    ck_assert_ptr_null(strstr(html, "<en>"));
}
END_TEST

START_TEST(chart_escapes_its_texts_and_draws_a_bar_per_count)
{
    static const char *const series[] = {"Warned <i>", "Restricted"};
    static const char *const groups[] = {"2025 & \"before\"", "<script>alert(1)</script>"};
    static const long long values[] = {4, HAB_SVG_SUPPRESSED, 10, 0};
    const char *svg = hab_svg_bars(test_pool, "c<1>", "Cases <b>by</b> year", "Desc & \"q\"",
                                   series, 2, groups, 2, values);
    ck_assert_ptr_eq(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"app-chart\" "
                                 "role=\"img\" viewBox=\"0 0 640 300\" "
                                 "aria-labelledby=\"c&lt;1&gt;-title c&lt;1&gt;-desc\" "
                                 "focusable=\"false\">"), svg);
    ck_assert_ptr_nonnull(strstr(svg, "<title id=\"c&lt;1&gt;-title\">"
                                      "Cases &lt;b&gt;by&lt;/b&gt; year</title>"));
    ck_assert_ptr_nonnull(strstr(svg, "<desc id=\"c&lt;1&gt;-desc\">"
                                      "Desc &amp; &quot;q&quot;</desc>"));
    ck_assert_ptr_nonnull(strstr(svg, ">Warned &lt;i&gt;</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">2025 &amp; &quot;before&quot;</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">&lt;script&gt;alert(1)&lt;/script&gt;</text>"));
    ck_assert_ptr_null(strstr(svg, "<script>"));
    ck_assert_ptr_null(strstr(svg, "<b>"));
    ck_assert_ptr_null(strstr(svg, "<i>"));
    /* two legend keys, three bars (one count suppressed), one "<5" mark */
    ck_assert_int_eq(count_of(svg, "<rect "), 5);
    ck_assert_int_eq(count_of(svg, "height=\"14\""), 2);
    ck_assert_int_eq(count_of(svg, ">&lt;5</text>"), 1);
    /* the tallest bar reaches the axis's top (10), the zero count is flat */
    ck_assert_ptr_nonnull(strstr(svg, "height=\"204\" fill=\"#1d70b8\"/>"));
    ck_assert_ptr_nonnull(strstr(svg, "height=\"0\" fill=\"#f47738\"/>"));
    ck_assert_ptr_nonnull(strstr(svg, "text-anchor=\"end\">10</text>"));
    ck_assert_int_eq(count_of(svg, "stroke=\"#b1b4b6\""), 6);  /* 0, 2, ... 10 */
    ck_assert_int_eq(count_of(svg, "stroke=\"#0b0c0c\""), 1);
    ck_assert_ptr_nonnull(strstr(svg, "</svg>"));
    ck_assert_int_eq((int)strlen(strstr(svg, "</svg>")), 6);
}
END_TEST

Suite *suite_forms(void)
{
    Suite *s = suite_create("forms");
    TCase *tc = tcase_create("render");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, text_widget_ties_label_hint_and_error_and_reshows_escaped);
    tcase_add_test(tc, widget_without_hint_or_error_describes_nothing);
    tcase_add_test(tc, textareas_reshow_their_text_escaped);
    tcase_add_test(tc, file_widget_is_never_refilled_and_makes_the_form_multipart);
    tcase_add_test(tc, date_widget_has_three_labelled_inputs_and_its_error_at_the_day);
    tcase_add_test(tc, radios_and_checkboxes_number_their_items_and_tick_what_was_posted);
    tcase_add_test(tc, yes_no_is_two_inline_radios);
    tcase_add_test(tc, restrictions_reveal_their_details_under_the_ticked_type);
    tcase_add_test(tc, form_carries_the_csrf_token_every_widget_and_an_escaped_button);
    tcase_add_test(tc, chart_escapes_its_texts_and_draws_a_bar_per_count);
    suite_add_tcase(s, tc);
    return s;
}
