/* The pages that list things: home, referrals, cases, notices,
 * notifications, absences, the access log; and error pages.  Each gets its
 * data from the same reads as the API (reads.c), so it shows no more. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/crypto.h"
#include "habitual/base/form.h"
#include "habitual/web/forms.h"
#include "habitual/base/html.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/letters.h"
#include "habitual/web/pages.h"
#include "habitual/domain/procedure.h"
#include "habitual/domain/roles.h"
#include "habitual/base/validate.h"
#include "habitual/domain/roles.h"
#include "domain/steps.h"
#include "habitual/domain/reads.h"

#define E(s) hab_html_escape(ctx->p, s)

hab_ui_t hab_page_ui(hab_ctx_t *ctx)
{
    hab_ui_t ui;
    ui.mount = ctx->mount ? ctx->mount : "";
    ui.council = ctx->council_name ? ctx->council_name : "The Council";
    ui.user = ctx->user;
    ui.roles = ctx->roles;
    ui.csrf_token = ctx->secret ? hab_csrf_token(ctx->p, ctx->secret, ctx->user, ctx->now_seconds) : "";
    return ui;
}

void hab_page_answer(hab_ctx_t *ctx, hab_result_t *out, int status, const hab_page_t *page)
{
    hab_ui_t ui = hab_page_ui(ctx);
    out->status = status;
    out->html = hab_ui_page(ctx->p, &ui, page);
}

static void show(hab_ctx_t *ctx, hab_result_t *out, const char *title, const char *nav,
                 const char *body, int wide)
{
    hab_page_t pg = {title, nav, body, 0, wide, NULL};
    hab_page_answer(ctx, out, 200, &pg);
}

/* What the API would answer, for a page to render: the same filtering. */
static hab_err_t *api_body(hab_ctx_t *ctx, hab_step_fn read, const hab_request_in_t *in, json_t **body)
{
    hab_result_t r;
    memset(&r, 0, sizeof(r));
    hab_err_t *e = read(ctx, in, &r);
    *body = r.body;
    return e;
}

const char *hab_page_error(hab_ctx_t *ctx, const hab_err_t *err)
{
    const char *title, *text = err->message;
    switch (err->status) {
    case 403: title = "You cannot do this"; break;
    case 404: title = "Page not found"; text = "There is nothing here. If you typed the address, check it is correct."; break;
    case 405: title = "This page cannot be used that way"; text = "Go back and use the page's own links and buttons."; break;
    case 409: title = "This step cannot be taken now"; break;
    case 503: title = "Sorry, the service is unavailable"; text = "It should be back shortly: try again in a few seconds."; break;
    case 400: case 413: case 415: case 422: title = "There is a problem"; break;
    default: title = "Sorry, there is a problem with the service"; text = "It has been logged. Try again later."; break;
    }
    if (err->status == 403 && ctx->roles == 0)
        text = "You have no role in this service. Ask the customer experience team if you think you should.";
    /* a server's fault: the reference finds its detail in the error log */
    const char *ref = err->status >= 500 && ctx->request_id
        ? hab_tpl(ctx->p, "<p class=\"govuk-body\">If you report this, quote the reference "
                          "<span class=\"govuk-!-font-weight-bold\">{{id}}</span>.</p>", "id", ctx->request_id, NULL)
        : "";
    hab_ui_t ui = hab_page_ui(ctx);
    hab_page_t pg = {title, NULL,
                     hab_tpl(ctx->p, "<h1 class=\"govuk-heading-l\">{{t}}</h1><p class=\"govuk-body\">{{m}}</p>{{{ref}}}"
                                     "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"{{home}}\">Go to the start</a></p>",
                             "t", title, "m", text, "ref", ref, "home", hab_ui_url(ctx->p, &ui, ""), NULL),
                     0, 0, NULL};
    return hab_ui_page(ctx->p, &ui, &pg);
}

/* ---- tables of cases ---- */

static const char *case_link(hab_ctx_t *ctx, const hab_ui_t *ui, json_int_t id)
{
    return hab_ui_link(ctx->p, ui, apr_psprintf(ctx->p, "cases/%" APR_INT64_T_FMT, (apr_int64_t)id),
                       apr_psprintf(ctx->p, "Case %" APR_INT64_T_FMT, (apr_int64_t)id));
}

static const char *cases_table(hab_ctx_t *ctx, const hab_ui_t *ui, const char *caption,
                               const json_t *cases, int with_review)
{
    if (!json_array_size(cases))
        return hab_tpl(ctx->p, "<h2 class=\"govuk-heading-m\">{{c}}</h2><p class=\"govuk-body\">None.</p>",
                       "c", caption, NULL);
    apr_array_header_t *rows = apr_array_make(ctx->p, 8, sizeof(const char *const *));
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char **cells = apr_pcalloc(ctx->p, 4 * sizeof(char *));
        cells[0] = case_link(ctx, ui, (apr_int64_t)json_integer_value(json_object_get(c, "id")));
        cells[1] = E(hab_j_str(json_object_get(c, "person"), "name"));
        cells[2] = hab_ui_tag(ctx->p, hab_j_str(c, "status"));
        cells[3] = E(hab_ui_date(ctx->p, hab_j_str(c, "review_due")));
        APR_ARRAY_PUSH(rows, const char *const *) = cells;
    }
    static const char *const head4[] = {"Case", "Customer", "Status", "Review due", NULL};
    static const char *const head3[] = {"Case", "Customer", "Status", NULL};
    return hab_ui_table(ctx->p, caption, with_review ? head4 : head3, rows);
}

/* R15: the interim restrictions in force, each with its end. */
static const char *interim_table(hab_ctx_t *ctx, const hab_ui_t *ui, const json_t *cases)
{
    const char *caption = "Interim restrictions in force (violence)";
    if (!json_array_size(cases))
        return hab_tpl(ctx->p, "<h2 class=\"govuk-heading-m\">{{c}}</h2><p class=\"govuk-body\">None.</p>",
                       "c", caption, NULL);
    apr_array_header_t *rows = apr_array_make(ctx->p, 8, sizeof(const char *const *));
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char **cells = apr_pcalloc(ctx->p, 4 * sizeof(char *));
        const char *until = hab_j_str(c, "interim_until");
        cells[0] = case_link(ctx, ui, (apr_int64_t)json_integer_value(json_object_get(c, "id")));
        cells[1] = E(hab_j_str(json_object_get(c, "person"), "name"));
        cells[2] = hab_ui_tag(ctx->p, hab_j_str(c, "status"));
        cells[3] = until ? E(hab_ui_date(ctx->p, until)) : "Until the decision (reported)";
        APR_ARRAY_PUSH(rows, const char *const *) = cells;
    }
    static const char *const head[] = {"Case", "Customer", "Status", "Last day in force", NULL};
    return hab_ui_table(ctx->p, caption, head, rows);
}

/* R16: reviews due, the last day to decide, and the reminders sent. */
static const char *reminder_sent(hab_ctx_t *ctx, const json_t *reminded)
{
    static const struct { const char *kind, *words; } kinds[] = {
        {"review-due-in-30-days", "30 days before"}, {"review-due-today", "On the due date"},
        {"review-grace-ending", "7 days before the grace ends"}};
    const char *kind = hab_j_str(reminded, "kind"), *sent = hab_j_str(reminded, "sent_at");
    if (!kind || !sent) return "Not yet";
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        if (!strcmp(kinds[k].kind, kind))
            return apr_pstrcat(ctx->p, kinds[k].words, ", sent ",
                               hab_ui_date(ctx->p, apr_pstrndup(ctx->p, sent, 10)), NULL);
    return "Not yet";
}

static const char *reviews_due_table(hab_ctx_t *ctx, const hab_ui_t *ui, const json_t *cases)
{
    const char *caption = "Reviews due within 30 days or overdue";
    if (!json_array_size(cases))
        return hab_tpl(ctx->p, "<h2 class=\"govuk-heading-m\">{{c}}</h2><p class=\"govuk-body\">None.</p>",
                       "c", caption, NULL);
    apr_array_header_t *rows = apr_array_make(ctx->p, 8, sizeof(const char *const *));
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char **cells = apr_pcalloc(ctx->p, 5 * sizeof(char *));
        const char *decide_by = hab_j_str(c, "decide_by");
        cells[0] = case_link(ctx, ui, (apr_int64_t)json_integer_value(json_object_get(c, "id")));
        cells[1] = E(hab_j_str(json_object_get(c, "person"), "name"));
        cells[2] = E(hab_ui_date(ctx->p, hab_j_str(c, "review_due")));
        cells[3] = decide_by ? E(hab_ui_date(ctx->p, decide_by)) : "Before the period ends";
        cells[4] = E(reminder_sent(ctx, json_object_get(c, "reminded")));
        APR_ARRAY_PUSH(rows, const char *const *) = cells;
    }
    static const char *const head[] = {"Case", "Customer", "Review due", "Decide by (R16)", "Last reminder", NULL};
    return hab_ui_table(ctx->p, caption, head, rows);
}

/* The post queue at a glance: how many wait, how many too long. */
static const char *triage_summary(hab_ctx_t *ctx, const hab_ui_t *ui, const json_t *d)
{
    long waiting = (long)json_integer_value(json_object_get(d, "post_waiting"));
    long over = (long)json_integer_value(json_object_get(d, "post_over_limit"));
    return hab_tpl(ctx->p, "<h2 class=\"govuk-heading-m\">Post awaiting triage</h2><p class=\"govuk-body\">{{w}} "
                           "{{{over}}} <a class=\"govuk-link\" href=\"{{h}}\">The post queue</a></p>",
                   "w", apr_psprintf(ctx->p, "%ld item%s waiting.", waiting, waiting == 1 ? "" : "s"),
                   "over", over ? apr_psprintf(ctx->p, "<strong class=\"govuk-tag govuk-tag--red\">%ld waiting too "
                                                       "long</strong>", over) : "",
                   "h", hab_ui_url(ctx->p, ui, "triage"), NULL);
}

/* ---- home ---- */

static const char *start_button(hab_ctx_t *ctx, const hab_ui_t *ui)
{
    return hab_tpl(ctx->p, "<a href=\"{{h}}\" role=\"button\" draggable=\"false\" class=\"govuk-button "
                           "govuk-button--start\" data-module=\"govuk-button\">Raise a concern</a>",
                   "h", hab_ui_url(ctx->p, ui, "concerns/new"), NULL);
}

static hab_err_t *home_case_officer(hab_ctx_t *ctx, const hab_ui_t *ui, hab_html_t *h)
{
    json_t *d;
    hab_err_t *e = hab_read_dashboard(ctx, &d);
    if (e) return e;
    if (ctx->roles & HAB_ROLE_CEM) {
        hab_html_add(h, cases_table(ctx, ui, "New referrals", json_object_get(d, "new"), 0));
        hab_html_add(h, cases_table(ctx, ui, "Warned: awaiting your next step", json_object_get(d, "warned"), 0));
        hab_html_add(h, interim_table(ctx, ui, json_object_get(d, "interim")));
        hab_html_add(h, triage_summary(ctx, ui, d));
        hab_html_add(h, cases_table(ctx, ui, "Appeals awaiting a chief officer", json_object_get(d, "appeals"), 0));
    }
    hab_html_add(h, cases_table(ctx, ui, "Reports awaiting a decision", json_object_get(d, "awaiting_decision"), 0));
    hab_html_add(h, cases_table(ctx, ui, "Reviews awaiting a decision", json_object_get(d, "review_decisions"), 1));
    hab_html_add(h, reviews_due_table(ctx, ui, json_object_get(d, "reviews_due")));
    return NULL;
}

static hab_err_t *home_chief_officer(hab_ctx_t *ctx, const hab_ui_t *ui, hab_html_t *h)
{
    json_t *appeals;
    hab_err_t *e = hab_read_appeals_to_hear(ctx, &appeals);
    if (e) return e;
    hab_html_add(h, cases_table(ctx, ui, "Appeals for you to hear", appeals, 0));
    hab_html_tpl(h, "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"{{n}}\">What chief officers have been "
                    "told</a> · <a class=\"govuk-link\" href=\"{{o}}\">Notices of restrictions in force</a></p>",
                 "n", hab_ui_url(ctx->p, ui, "notifications"), "o", hab_ui_url(ctx->p, ui, "notices"), NULL);
    return NULL;
}

hab_err_t *hab_page_home(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_ui_t ui = hab_page_ui(ctx);
    hab_html_t *h = hab_html_new(ctx->p);
    hab_html_add(h, "<h1 class=\"govuk-heading-l\">Habitual contact</h1>");
    hab_err_t *e = NULL;
    if (ctx->roles & HAB_ROLES_CASE_OFFICERS) e = home_case_officer(ctx, &ui, h);
    if (!e && (ctx->roles & HAB_ROLE_CHIEF_OFFICER)) e = home_chief_officer(ctx, &ui, h);
    if (e) return e;
    if (ctx->roles & HAB_ROLE_AUDITOR)
        hab_html_tpl(h, "<h2 class=\"govuk-heading-m\">Audit</h2><p class=\"govuk-body\"><a class=\"govuk-link\" "
                        "href=\"{{a}}\">The access log</a> · <a class=\"govuk-link\" href=\"{{v}}\">Check the log "
                        "has not been tampered with</a></p>",
                     "a", hab_ui_url(ctx->p, &ui, "audit"), "v", hab_ui_url(ctx->p, &ui, "audit/verify"), NULL);
    hab_html_tpl(h, "<h2 class=\"govuk-heading-m\">Customers whose contact is a concern</h2>"
                    "<p class=\"govuk-body\">If a customer's contact with you is repeated, unreasonable, abusive or "
                    "threatening, tell the customer experience manager. Only people who need to know will see it.</p>"
                    "{{{start}}}<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"{{r}}\">Your referrals</a> · "
                    "<a class=\"govuk-link\" href=\"{{n}}\">Notices you hold</a></p>",
                 "start", start_button(ctx, &ui), "r", hab_ui_url(ctx->p, &ui, "referrals"),
                 "n", hab_ui_url(ctx->p, &ui, "notices"), NULL);
    hab_page_t pg = {"Home", "home", hab_html_str(h), 0, 1, hab_page_done_banner(in)};
    hab_page_answer(ctx, out, 200, &pg);
    return NULL;
}

/* ---- referrals and cases ---- */

hab_err_t *hab_page_referrals(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    unsigned roles = ctx->roles;
    json_t *body;
    ctx->roles = HAB_ROLE_STAFF; /* what this user raised, even when they are the CEM */
    hab_err_t *e = api_body(ctx, hab_read_cases, in, &body);
    ctx->roles = roles;
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    show(ctx, out, "Your referrals", "referrals",
         apr_pstrcat(ctx->p, "<h1 class=\"govuk-heading-l\">Your referrals</h1><p class=\"govuk-body\">Concerns "
                             "you raised. Once the customer experience manager takes a referral forward you see only "
                             "its status.</p>",
                     cases_table(ctx, &ui, "Your referrals", json_object_get(body, "cases"), 0), NULL), 1);
    return NULL;
}

hab_err_t *hab_page_cases(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    if (!(ctx->roles & HAB_ROLES_CASE_OFFICERS))
        return hab_err_forbidden(ctx->p, "Only the customer experience manager, the monitoring officer and "
                                         "the chief executive see the list of cases.");
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_cases, in, &body);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    show(ctx, out, "Cases", "cases",
         apr_pstrcat(ctx->p, "<h1 class=\"govuk-heading-l\">Cases</h1>",
                     cases_table(ctx, &ui, "All cases", json_object_get(body, "cases"), 1), NULL), 1);
    return NULL;
}

/* ---- notices ---- */

static const char *notice_card(hab_ctx_t *ctx, const hab_ui_t *ui, const json_t *n)
{
    apr_array_header_t *rows = apr_array_make(ctx->p, 8, sizeof(const char *));
    const char *items = "";
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(n, "restrictions_in_words"), i, r)
        items = apr_pstrcat(ctx->p, items, "<li>", E(json_string_value(r)), "</li>", NULL);
    hab_ui_row(rows, "What the council will do", apr_pstrcat(ctx->p, "<ul class=\"govuk-list govuk-list--bullet\">",
                                                             items, "</ul>", NULL));
    const char *open = "";
    json_array_foreach(json_object_get(n, "open_channels"), i, r)
        open = apr_pstrcat(ctx->p, open, *open ? ", " : "", hab_words(json_string_value(r)), NULL);
    hab_ui_row(rows, "How they may still contact the council", E(*open ? open : "None until the suspension ends"));
    hab_ui_row(rows, "Case", E(apr_psprintf(ctx->p, "Case %" APR_INT64_T_FMT,
                                             (apr_int64_t)json_integer_value(json_object_get(n, "case_id")))));
    const char *until = hab_j_str(n, "until");
    hab_ui_row(rows, "Until", until ? E(hab_ui_date(ctx->p, until))
                                    : "Until the chief executive decides (interim, after violence)");
    if (hab_j_str(n, "phone_statement"))
        hab_ui_row(rows, "To end a telephone call, say", hab_ui_paragraphs(ctx->p, hab_j_str(n, "phone_statement")));
    const json_t *person = json_object_get(n, "person");
    apr_int64_t id = (apr_int64_t)json_integer_value(json_object_get(n, "case_id"));
    /* whoever holds the notice records the call they took; chief officers
     * and the CEM also pass notices on to officers who need them */
    /* the deciders see the whole file, not a notice: the chronology is not
     * theirs to add to (R5 would then bar them from deciding) */
    int deciders_only = (ctx->roles & (HAB_ROLE_MONITORING_OFFICER | HAB_ROLE_CHIEF_EXECUTIVE)) &&
                        !(ctx->roles & HAB_ROLE_CEM);
    const char *record = deciders_only ? "" : hab_tpl(ctx->p, "<li class=\"govuk-summary-card__action\"><a class=\"govuk-link\" "
                                         "href=\"{{h}}\">Record a contact<span class=\"govuk-visually-hidden\"> from "
                                         "{{name}}</span></a></li>",
                                 "h", hab_ui_url(ctx->p, ui, apr_psprintf(ctx->p, "cases/%" APR_INT64_T_FMT "/contacts", id)),
                                 "name", hab_j_str(person, "name"), NULL);
    const char *pass = (ctx->roles & (HAB_ROLE_CHIEF_OFFICER | HAB_ROLE_CEM))
        ? hab_tpl(ctx->p, "<li class=\"govuk-summary-card__action\"><a class=\"govuk-link\" href=\"{{h}}\">Pass on"
                          "<span class=\"govuk-visually-hidden\"> the notice about {{name}}</span></a></li>",
                  "h", hab_ui_url(ctx->p, ui, apr_psprintf(ctx->p, "cases/%" APR_INT64_T_FMT "/grants", id)),
                  "name", hab_j_str(person, "name"), NULL)
        : "";
    const char *action = apr_pstrcat(ctx->p, "<ul class=\"govuk-summary-card__actions\">", record, pass, "</ul>", NULL);
    return hab_tpl(ctx->p, "<div class=\"govuk-summary-card\"><div class=\"govuk-summary-card__title-wrapper\">"
                           "<h2 class=\"govuk-summary-card__title\">{{name}} ({{ref}}){{interim}}</h2>{{{action}}}</div>"
                           "<div class=\"govuk-summary-card__content\">{{{list}}}</div></div>",
                   "name", hab_j_str(person, "name"), "ref", hab_j_str(person, "reference"),
                   "interim", json_is_true(json_object_get(n, "interim")) ? " – interim" : "",
                   "action", action, "list", hab_ui_summary_list(ctx->p, rows), NULL);
}

hab_err_t *hab_page_notices(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_notices, in, &body);
    if (e) return e;
    hab_html_t *h = hab_html_new(ctx->p);
    hab_html_add(h, "<h1 class=\"govuk-heading-l\">Notices</h1><p class=\"govuk-body\">Customers whose contact "
                    "with the council is restricted, that you need to know about. Keep this to yourself: share it "
                    "only with people who need to know.</p>");
    json_t *notices = json_object_get(body, "notices");
    if (!json_array_size(notices)) hab_html_add(h, "<p class=\"govuk-body\">You hold no notices.</p>");
    hab_ui_t ui = hab_page_ui(ctx);
    size_t i;
    json_t *n;
    json_array_foreach(notices, i, n) hab_html_add(h, notice_card(ctx, &ui, n));
    hab_page_t pg = {"Notices", "notices", hab_html_str(h), 0, 0, hab_page_done_banner(in)};
    hab_page_answer(ctx, out, 200, &pg);
    return NULL;
}

/* ---- notifications ---- */

static const char *event_words(const char *event)
{
    if (!strcmp(event, "approved")) return "Restrictions approved";
    if (!strcmp(event, "continued")) return "Restrictions continued after review";
    if (!strcmp(event, "varied")) return "Restrictions varied";
    if (!strcmp(event, "removed")) return "Restrictions removed after review";
    if (!strcmp(event, "quashed")) return "Decision quashed on appeal";
    if (!strcmp(event, "lapsed")) return "Restrictions lapsed at the end of their period";
    if (!strcmp(event, "interim-imposed")) return "Interim written-only restriction imposed after violence";
    if (!strcmp(event, "interim-lifted")) return "Interim restriction lifted";
    return event;
}

hab_err_t *hab_page_notifications(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_notifications, in, &body);
    if (e) return e;
    apr_array_header_t *rows = apr_array_make(ctx->p, 8, sizeof(const char *const *));
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(body, "notifications"), i, n) {
        const char **cells = apr_pcalloc(ctx->p, 4 * sizeof(char *));
        cells[0] = E(hab_ui_date(ctx->p, hab_j_str(n, "at")));
        cells[1] = E(apr_psprintf(ctx->p, "Case %" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(json_object_get(n, "case_id"))));
        cells[2] = E(hab_j_str(json_object_get(n, "person"), "name"));
        cells[3] = E(event_words(hab_j_str(n, "event")));
        APR_ARRAY_PUSH(rows, const char *const *) = cells;
    }
    static const char *const head[] = {"When", "Case", "Customer", "What happened", NULL};
    show(ctx, out, "Notifications", "notifications",
         apr_pstrcat(ctx->p, "<h1 class=\"govuk-heading-l\">Notifications</h1><p class=\"govuk-body\">Every approval, "
                             "variation and end of restrictions, newest first, so you can tell officers who need to "
                             "know.</p>", rows->nelts ? hab_ui_table(ctx->p, "Notifications", head, rows)
                                                      : "<p class=\"govuk-body\">Nothing yet.</p>", NULL), 1);
    return NULL;
}

/* ---- absences ---- */

static const hab_widget_t w_absence[] = {
    {"from", "First day of the absence", NULL, HAB_W_DATE, NULL, "Enter the first day of the absence"},
    {"to", "Last day of the absence", NULL, HAB_W_DATE, NULL, "Enter the last day of the absence"},
    {"note", "Note (optional)", NULL, HAB_W_TEXT, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL}};

/* ---- the post queue (the CEM's) ---- */

hab_err_t *hab_page_triage(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_ui_t ui = hab_page_ui(ctx);
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_triage, in, &body);
    if (e) return e;
    const json_t *items = json_object_get(body, "items");
    int limit = (int)json_integer_value(json_object_get(body, "limit_working_days"));
    hab_html_t *h = hab_html_new(ctx->p);
    hab_html_tpl(h, "<h1 class=\"govuk-heading-l\">Post awaiting triage</h1><p class=\"govuk-body\">Post from customers "
                    "whose correspondence is restricted, oldest first. Read each item for new issues and "
                    "safeguarding, and decide it. Items waiting more than {{n}} working days are flagged.</p>",
                 "n", apr_psprintf(ctx->p, "%d", limit), NULL);
    apr_array_header_t *rows = apr_array_make(ctx->p, 8, sizeof(const char *const *));
    size_t i;
    json_t *x;
    json_array_foreach(items, i, x) {
        apr_int64_t item = (apr_int64_t)json_integer_value(json_object_get(x, "item"));
        apr_int64_t cid = (apr_int64_t)json_integer_value(json_object_get(x, "case_id"));
        long waited = (long)json_integer_value(json_object_get(x, "working_days_waited"));
        const char **cells = apr_pcalloc(ctx->p, 6 * sizeof(char *));
        cells[0] = apr_psprintf(ctx->p, "%" APR_INT64_T_FMT, item);
        cells[1] = hab_tpl(ctx->p, "{{{case}}}<br>{{name}}", "case", case_link(ctx, &ui, cid),
                           "name", hab_j_str(json_object_get(x, "person"), "name"), NULL);
        cells[2] = hab_tpl(ctx->p, "{{d}} ({{c}})", "d", hab_ui_date(ctx->p, hab_j_str(x, "received")),
                           "c", hab_words(hab_j_str(x, "channel")), NULL);
        cells[3] = json_is_true(json_object_get(x, "over_limit"))
            ? apr_psprintf(ctx->p, "<strong class=\"govuk-tag govuk-tag--red\">%ld: over %d</strong>", waited, limit)
            : apr_psprintf(ctx->p, "%ld", waited);
        cells[4] = E(hab_j_str(x, "summary"));
        cells[5] = hab_tpl(ctx->p, "<a class=\"govuk-link\" href=\"{{h}}\">Decide<span class=\"govuk-visually-hidden\"> "
                                   "item {{n}}</span></a>",
                           "h", hab_ui_url(ctx->p, &ui, apr_psprintf(ctx->p, "cases/%" APR_INT64_T_FMT "/triage?item=%"
                                                                     APR_INT64_T_FMT, cid, item)),
                           "n", cells[0], NULL);
        APR_ARRAY_PUSH(rows, const char *const *) = cells;
    }
    static const char *const head[] = {"Item", "Case", "Received", "Working days waited", "What it is about", "", NULL};
    hab_html_add(h, json_array_size(items) ? hab_ui_table(ctx->p, "Items awaiting a decision", head, rows)
                                           : "<p class=\"govuk-body\">No post awaits triage.</p>");
    show(ctx, out, "Post awaiting triage", "triage", hab_html_str(h), 1);
    return NULL;
}

static hab_err_t *absences_page(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out,
                                const hab_posted_t *posted, const apr_array_header_t *errors, int status)
{
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_absences, in, &body);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    apr_array_header_t *rows = apr_array_make(ctx->p, 8, sizeof(const char *const *));
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(body, "absences"), i, a) {
        const char **cells = apr_pcalloc(ctx->p, 4 * sizeof(char *));
        cells[0] = E(hab_ui_date(ctx->p, hab_j_str(a, "from")));
        cells[1] = E(hab_ui_date(ctx->p, hab_j_str(a, "to")));
        cells[2] = E(hab_j_str(a, "note") ? hab_j_str(a, "note") : "");
        cells[3] = json_is_true(json_object_get(a, "covers_today")) ? "Yes: the monitoring officer decides" : "No";
        APR_ARRAY_PUSH(rows, const char *const *) = cells;
    }
    static const char *const head[] = {"From", "To", "Note", "Covers today", NULL};
    const char *html = apr_pstrcat(
        ctx->p, hab_ui_error_summary(ctx->p, errors),
        "<h1 class=\"govuk-heading-l\">Absences of the chief executive</h1><p class=\"govuk-body\">While a recorded "
        "absence covers the day, the monitoring officer decides on reports and reviews instead of the chief "
        "executive. Outside one, they cannot.</p>",
        rows->nelts ? hab_ui_table(ctx->p, "Recorded absences", head, rows) : "<p class=\"govuk-body\">None recorded.</p>",
        "<h2 class=\"govuk-heading-m\">Record an absence</h2>",
        hab_form_render(ctx->p, w_absence, posted, errors, ui.csrf_token, "Record absence",
                        hab_ui_url(ctx->p, &ui, "absences")), NULL);
    hab_page_t pg = {"Absences", "absences", html, errors != NULL, 0, NULL};
    if (in->query && hab_j_str(in->query, "done")) pg.banner = "Absence recorded";
    hab_page_answer(ctx, out, status, &pg);
    return NULL;
}

hab_err_t *hab_page_absences(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    return absences_page(ctx, in, out, NULL, NULL, 200);
}

hab_err_t *hab_page_absence_add(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_posted_t posted = {in->form};
    hab_request_in_t api = *in;
    hab_err_t *e = hab_form_to_json(ctx->p, w_absence, &posted, &api.body);
    if (e) return e;
    hab_result_t r;
    memset(&r, 0, sizeof(r));
    e = hab_step_add_absence(ctx, &api, &r);
    if (!e) {
        hab_ui_t ui = hab_page_ui(ctx);
        out->status = 303;
        out->location = hab_ui_url(ctx->p, &ui, "absences?done=1");
        return NULL;
    }
    if (e->status != 400 && e->status != 422) return e;
    hab_err_t *shown = absences_page(ctx, in, out, &posted, hab_form_errors(ctx->p, w_absence, e), e->status);
    return shown ? shown : NULL;
}

/* ---- the access log ---- */

static const hab_widget_t w_audit_filter[] = {
    {"from", "From (date or UTC time)", "For example, 2026-11-01", HAB_W_TEXT, NULL, NULL},
    {"to", "To (date or UTC time)", NULL, HAB_W_TEXT, NULL, NULL},
    {"user", "User", NULL, HAB_W_TEXT, NULL, NULL},
    {"case", "Case number", NULL, HAB_W_TEXT, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL}};

/* The query string again, for the next page and the export links. */
static const char *filter_query(hab_ctx_t *ctx, const json_t *q, const char *extra)
{
    const char *out = extra ? extra : "";
    const char *keys[] = {"from", "to", "user", "case"};
    for (int i = 0; i < 4; i++) {
        const char *v = q ? hab_j_str(q, keys[i]) : NULL;
        if (!v || !*v) continue;
        out = apr_pstrcat(ctx->p, out, *out ? "&" : "", keys[i], "=", hab_url_escape(ctx->p, v), NULL);
    }
    return out;
}

static hab_posted_t posted_query(hab_ctx_t *ctx, const json_t *q)
{
    hab_posted_t posted = {apr_array_make(ctx->p, 4, sizeof(hab_form_pair_t))};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)q, key, v) {
        hab_form_pair_t *pair = &APR_ARRAY_PUSH(posted.pairs, hab_form_pair_t);
        pair->name = key;
        pair->value = json_string_value(v);
    }
    return posted;
}

/* Empty filter fields count as absent, as a browser sends them all. */
static json_t *nonempty_query(hab_ctx_t *ctx, const json_t *q)
{
    json_t *out = hab_json_own(ctx->p, json_object());
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)q, key, v)
        if (json_string_length(v)) json_object_set(out, key, v);
    return out;
}


/* A list or notices entry names the cases it showed (README, "The access
 * log"): "shown: 3, 7". */
static const char *shown_cases(hab_ctx_t *ctx, const json_t *ids)
{
    const char *out = "";
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
        out = apr_psprintf(ctx->p, "%s%s%" APR_INT64_T_FMT, out, i ? ", " : "shown: ",
                           (apr_int64_t)json_integer_value(id));
    return out;
}

hab_err_t *hab_page_audit(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_request_in_t filtered = *in;
    filtered.query = nonempty_query(ctx, in->query);
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_audit, &filtered, &body);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    apr_array_header_t *rows = apr_array_make(ctx->p, 64, sizeof(const char *const *));
    size_t i;
    json_t *en;
    json_array_foreach(json_object_get(body, "entries"), i, en) {
        const char **cells = apr_pcalloc(ctx->p, 8 * sizeof(char *));
        cells[0] = E(apr_psprintf(ctx->p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(json_object_get(en, "seq"))));
        cells[1] = E(hab_j_str(en, "at"));
        cells[2] = E(hab_j_str(en, "user"));
        cells[3] = E(hab_j_str(en, "action"));
        json_t *cid = json_object_get(en, "case_id");
        cells[4] = json_is_integer(cid) ? E(apr_psprintf(ctx->p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(cid)))
                                        : shown_cases(ctx, json_object_get(en, "case_ids"));
        cells[5] = E(hab_j_str(en, "outcome"));
        cells[6] = E(apr_psprintf(ctx->p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(json_object_get(en, "status"))));
        /* the safeguard that refused the request (schema 10), else nothing */
        cells[7] = hab_j_str(en, "refused_rule") ? E(hab_j_str(en, "refused_rule")) : "";
        APR_ARRAY_PUSH(rows, const char *const *) = cells;
    }
    static const char *const head[] = {"Entry", "Time (UTC)", "User", "Action", "Case", "Outcome", "Status", "Rule", NULL};
    hab_posted_t posted = posted_query(ctx, in->query);
    hab_html_t *filters = hab_html_new(ctx->p);
    for (const hab_widget_t *w = w_audit_filter; w->key; w++) hab_html_add(filters, hab_form_widget(ctx->p, w, &posted, NULL));
    json_t *next = json_object_get(body, "next_after");
    const char *q = filter_query(ctx, filtered.query, NULL);
    const char *html = hab_tpl(
        ctx->p,
        "<h1 class=\"govuk-heading-l\">Access log</h1><p class=\"govuk-body\">Every look at case data and at this "
        "log, allowed or refused. <a class=\"govuk-link\" href=\"{{verify}}\">Check the log has not been tampered "
        "with</a>.</p><form method=\"get\" novalidate><div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-one-half\">"
        "{{{filters}}}</div></div><button type=\"submit\" class=\"govuk-button govuk-button--secondary\" "
        "data-module=\"govuk-button\">Filter</button></form>{{{table}}}{{{next}}}"
        "<p class=\"govuk-body\">Export these entries (every field, to re-verify offline): "
        "<a class=\"govuk-link\" href=\"{{csv}}\">CSV</a> · <a class=\"govuk-link\" href=\"{{json}}\">JSON</a></p>",
        "verify", hab_ui_url(ctx->p, &ui, "audit/verify"), "filters", hab_html_str(filters),
        "table", rows->nelts ? hab_ui_table(ctx->p, "Entries", head, rows) : "<p class=\"govuk-body\">No entries match.</p>",
        "next", json_is_integer(next)
                    ? hab_tpl(ctx->p, "<nav class=\"govuk-pagination govuk-pagination--block\" aria-label=\"Pagination\">"
                                      "<div class=\"govuk-pagination__next\"><a class=\"govuk-link govuk-pagination__link\" "
                                      "href=\"{{h}}\" rel=\"next\"><span class=\"govuk-pagination__link-title\">Next page"
                                      "</span></a></div></nav>",
                              "h", hab_ui_url(ctx->p, &ui, apr_psprintf(ctx->p, "audit?%s%safter=%" APR_INT64_T_FMT,
                                                                        q, *q ? "&" : "", (apr_int64_t)json_integer_value(next))), NULL)
                    : "",
        "csv", hab_ui_url(ctx->p, &ui, apr_pstrcat(ctx->p, "audit/export?", filter_query(ctx, filtered.query, "format=csv"), NULL)),
        "json", hab_ui_url(ctx->p, &ui, apr_pstrcat(ctx->p, "audit/export?", filter_query(ctx, filtered.query, "format=json"), NULL)),
        NULL);
    show(ctx, out, "Access log", "audit", html, 1);
    return NULL;
}

static const hab_widget_t w_checkpoint[] = {
    {"checkpoint", "Checkpoint line", "One line starting habitual-checkpoint v1, from the daily checkpoint mail or "
     "file", HAB_W_TEXTAREA, NULL, "Paste the checkpoint line"},
    {NULL, NULL, NULL, 0, NULL, NULL}};

/* The check's result (or nothing), then the form to check a checkpoint. */
static void audit_verify_page(hab_ctx_t *ctx, hab_result_t *out, int status, const char *result,
                              const hab_posted_t *posted, const apr_array_header_t *errors)
{
    hab_ui_t ui = hab_page_ui(ctx);
    const char *html = apr_pstrcat(
        ctx->p, hab_ui_error_summary(ctx->p, errors), result,
        "<h2 class=\"govuk-heading-m\">Check against a checkpoint</h2><p class=\"govuk-body\">The chain alone "
        "cannot show that someone who can write the database changed entries and recomputed every hash after "
        "them. A checkpoint kept off the server can: paste one and the log must still hold it.</p>",
        hab_form_render(ctx->p, w_checkpoint, posted, errors, ui.csrf_token, "Check the checkpoint",
                        hab_ui_url(ctx->p, &ui, "audit/verify")), NULL);
    hab_page_t pg = {"Access log check", "audit", html, errors != NULL, 0, NULL};
    hab_page_answer(ctx, out, status, &pg);
}

static const char *changed_html(hab_ctx_t *ctx, const char *title, const json_t *body)
{
    return hab_tpl(ctx->p, "<h1 class=\"govuk-heading-l\">{{t}}</h1>{{{w}}}"
                           "<p class=\"govuk-body\">The first entry that does not check out is number {{n}}: {{why}}</p>",
                   "t", title,
                   "w", hab_ui_warning(ctx->p, "Tell the information governance manager and keep a copy of the "
                                               "database as it is now."),
                   "n", apr_psprintf(ctx->p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(json_object_get(body, "first_bad_seq"))),
                   "why", hab_j_str(body, "problem"), NULL);
}

hab_err_t *hab_page_audit_verify(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_audit_verify, in, &body);
    if (e) return e;
    const char *html;
    if (json_is_true(json_object_get(body, "ok")))
        html = hab_tpl(ctx->p, "<h1 class=\"govuk-heading-l\">The access log is intact</h1><p class=\"govuk-body\">"
                               "All {{n}} entries link up and match their hashes. The head of the chain is:</p>"
                               "<p class=\"govuk-body app-wrap-anywhere\"><code>{{head}}</code></p>",
                       "n", apr_psprintf(ctx->p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(json_object_get(body, "entries"))),
                       "head", hab_j_str(body, "head"), NULL);
    else
        html = changed_html(ctx, "The access log has been changed", body);
    audit_verify_page(ctx, out, 200, html, NULL, NULL);
    return NULL;
}

hab_err_t *hab_page_audit_checkpoint(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_posted_t posted = {in->form};
    hab_request_in_t api = *in;
    json_t *body = NULL;
    hab_err_t *e = hab_form_to_json(ctx->p, w_checkpoint, &posted, &api.body);
    if (!e) e = api_body(ctx, hab_read_audit_checkpoint, &api, &body);
    if (e) {
        if (e->status != 400 && e->status != 422) return e;
        /* shown at the field; the entry records the page's status (refused) */
        audit_verify_page(ctx, out, e->status, "<h1 class=\"govuk-heading-l\">Access log check</h1>", &posted,
                          hab_form_errors(ctx->p, w_checkpoint, e));
        return NULL;
    }
    const char *html;
    const json_t *cp = json_object_get(body, "checkpoint");
    if (json_is_true(json_object_get(body, "ok")))
        html = hab_tpl(ctx->p, "<h1 class=\"govuk-heading-l\">The log still holds the checkpoint</h1>"
                               "<div class=\"govuk-panel govuk-panel--confirmation\"><div class=\"govuk-panel__body\">"
                               "Entry {{n}} still has the hash the checkpoint recorded</div></div>"
                               "<p class=\"govuk-body\">Nothing up to entry {{n}} has changed since the checkpoint was "
                               "taken, and all {{all}} entries link up. Entries after it are only as safe as the "
                               "database: keep taking checkpoints.</p>",
                       "n", apr_psprintf(ctx->p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(json_object_get(cp, "entries"))),
                       "all", apr_psprintf(ctx->p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(json_object_get(body, "entries"))),
                       NULL);
    else
        html = changed_html(ctx, "The access log has been changed since the checkpoint", body);
    audit_verify_page(ctx, out, 200, html, &posted, NULL);
    return NULL;
}

#define EXPORT_MAX 100000

hab_err_t *hab_page_audit_export(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    if (!(ctx->roles & HAB_ROLE_AUDITOR)) return hab_err_forbidden(ctx->p, "Only auditors may see this.");
    json_t *q = json_deep_copy(nonempty_query(ctx, in->query));
    hab_json_own(ctx->p, q);
    const char *format = hab_j_str(q, "format");
    if (!format || (strcmp(format, "csv") && strcmp(format, "json")))
        return hab_err_field(ctx->p, 400, "invalid-field", "format", "format is csv or json.");
    format = apr_pstrdup(ctx->p, format); /* it lives in q, which loses it now */
    json_object_del(q, "format");
    json_object_set_new(q, "limit", json_string("1000"));
    hab_html_t *doc = hab_html_new(ctx->p); /* a text builder: nothing here is HTML */
    int csv = !strcmp(format, "csv");
    hab_html_add(doc, csv ? hab_read_audit_csv_header(ctx->p) : "{\"entries\":[");
    long long written = 0;
    for (;;) {
        hab_request_in_t page_in = *in;
        page_in.query = q;
        json_t *body;
        hab_err_t *e = api_body(ctx, hab_read_audit, &page_in, &body);
        if (e) return e;
        size_t i;
        json_t *en;
        json_array_foreach(json_object_get(body, "entries"), i, en) {
            const char *text;
            e = hab_read_audit_export_entry(ctx, json_integer_value(json_object_get(en, "seq")), csv, &text);
            if (e) return e;
            hab_html_add(doc, csv ? text : apr_pstrcat(ctx->p, written ? ",\n" : "\n", text, NULL));
            written++;
        }
        json_t *next = json_object_get(body, "next_after");
        if (!json_is_integer(next) || written >= EXPORT_MAX) break;
        json_object_set_new(q, "after", json_sprintf("%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(next)));
    }
    if (!csv) hab_html_add(doc, "\n]}\n");
    out->status = 200;
    out->download = hab_html_str(doc);
    out->content_type = csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
    out->filename = csv ? "access-log.csv" : "access-log.json";
    return NULL;
}
