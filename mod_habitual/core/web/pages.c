/* The pages that list things: home, referrals, cases, notices,
 * notifications, absences, the access log; and error pages.  Each gets its
 * data from the same reads as the API (reads.c), so it shows no more, and
 * renders it with a pure hab_render_* function: the markup lives in
 * templates/home.html and templates/audit_log.html. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/crypto.h"
#include "habitual/base/form.h"
#include "habitual/base/html.h"
#include "habitual/base/json_io.h"
#include "habitual/base/validate.h"
#include "habitual/domain/procedure.h"
#include "habitual/domain/reads.h"
#include "habitual/domain/roles.h"
#include "habitual/web/forms.h"
#include "habitual/web/pages.h"
#include "domain/steps.h"
#include "web/templates.h"

/* Every render function has its pool in p. */
#define E(s) hab_html_escape(p, s)

hab_ui_t hab_page_ui(hab_ctx_t *ctx)
{
    hab_ui_t ui;
    ui.mount = ctx->mount ? ctx->mount : "";
    ui.council = ctx->council_name ? ctx->council_name : "The Council";
    ui.user = ctx->user;
    ui.roles = ctx->roles;
    ui.csrf_token = ctx->secret
        ? hab_csrf_token(ctx->p, ctx->secret, ctx->user, ctx->now_seconds) : "";
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
static hab_err_t *api_body(hab_ctx_t *ctx, hab_step_fn read, const hab_request_in_t *in,
                           json_t **body)
{
    hab_result_t r;
    memset(&r, 0, sizeof(r));
    hab_err_t *e = read(ctx, in, &r);
    *body = r.body;
    return e;
}

/* ---- pieces the pages share ---- */

/* A JSON integer as text (0 when it is not one). */
static const char *num(apr_pool_t *p, const json_t *v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(v));
}

static apr_int64_t int_of(const json_t *obj, const char *key)
{
    return (apr_int64_t)json_integer_value(json_object_get(obj, key));
}

static const char *name_of(const json_t *obj)
{
    return hab_j_str(json_object_get(obj, "person"), "name");
}

static apr_array_header_t *new_rows(apr_pool_t *p)
{
    return apr_array_make(p, 8, sizeof(const char *const *));
}

/* A row of n cells, added to rows, for the caller to fill. */
static const char **new_row(apr_pool_t *p, apr_array_header_t *rows, int n)
{
    const char **cells = apr_pcalloc(p, (apr_size_t)n * sizeof(char *));
    APR_ARRAY_PUSH(rows, const char *const *) = cells;
    return cells;
}

/* The table, or what to say when it has no rows. */
static const char *table_or(apr_pool_t *p, const char *caption, const char *const *head,
                            const apr_array_header_t *rows, const char *none)
{
    return rows->nelts ? hab_ui_table(p, caption, head, rows) : none;
}

/* A table of cases, or its caption over "None." */
static const char *cases_or_none(apr_pool_t *p, const char *caption, const char *const *head,
                                 const apr_array_header_t *rows)
{
    return rows->nelts ? hab_ui_table(p, caption, head, rows)
                       : hab_tpl(p, hab_tpl_home_none, "c", caption, NULL);
}

static const char *red_tag(apr_pool_t *p, const char *text)
{
    return hab_tpl(p, hab_tpl_home_tag_red, "t", text, NULL);
}

/* ---- the error page ---- */

/* The title for an error's status, and the words when the status says more
 * than the error's own message. */
static const char *error_title(int status, unsigned roles, const char **text)
{
    switch (status) {
    case 403:
        if (roles == 0)
            *text = "You have no role in this service. Ask the customer experience team if "
                    "you think you should.";
        return "You cannot do this";
    case 404:
        *text = "There is nothing here. If you typed the address, check it is correct.";
        return "Page not found";
    case 405:
        *text = "Go back and use the page's own links and buttons.";
        return "This page cannot be used that way";
    case 409:
        return "This step cannot be taken now";
    case 503:
        *text = "It should be back shortly: try again in a few seconds.";
        return "Sorry, the service is unavailable";
    case 400: case 413: case 415: case 422:
        return "There is a problem";
    default:
        *text = "It has been logged. Try again later.";
        return "Sorry, there is a problem with the service";
    }
}

const char *hab_render_error(apr_pool_t *p, const hab_ui_t *ui, const json_t *view)
{
    int status = (int)int_of(view, "status");
    const char *text = hab_j_str(view, "message");
    const char *title = error_title(status, ui->roles, &text);
    /* a server's fault: the reference finds its detail in the error log */
    const char *id = hab_j_str(view, "reference");
    const char *ref = status >= 500 && id
        ? hab_tpl(p, hab_tpl_home_error_reference, "id", id, NULL) : "";
    hab_page_t pg = {title, NULL,
                     hab_tpl(p, hab_tpl_home_error, "t", title, "m", text, "ref", ref,
                             "home", hab_ui_url(p, ui, ""), NULL),
                     0, 0, NULL};
    return hab_ui_page(p, ui, &pg);
}

const char *hab_page_error(hab_ctx_t *ctx, const hab_err_t *err)
{
    json_t *view = hab_json_own(ctx->p, json_object());
    json_object_set_new(view, "status", json_integer(err->status));
    /* as they are: the page escapes them, and they need not be UTF-8 */
    if (err->message) json_object_set_new(view, "message", json_string_nocheck(err->message));
    if (ctx->request_id)
        json_object_set_new(view, "reference", json_string_nocheck(ctx->request_id));
    hab_ui_t ui = hab_page_ui(ctx);
    return hab_render_error(ctx->p, &ui, view);
}

/* ---- tables of cases ---- */

static const char *case_link(apr_pool_t *p, const hab_ui_t *ui, apr_int64_t id)
{
    return hab_ui_link(p, ui, apr_psprintf(p, "cases/%" APR_INT64_T_FMT, id),
                       apr_psprintf(p, "Case %" APR_INT64_T_FMT, id));
}

static const char *cases_table(apr_pool_t *p, const hab_ui_t *ui, const char *caption,
                               const json_t *cases, int with_review)
{
    static const char *const head4[] = {"Case", "Customer", "Status", "Review due", NULL};
    static const char *const head3[] = {"Case", "Customer", "Status", NULL};
    apr_array_header_t *rows = new_rows(p);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char **cells = new_row(p, rows, 4);
        cells[0] = case_link(p, ui, int_of(c, "id"));
        cells[1] = E(name_of(c));
        cells[2] = hab_ui_tag(p, hab_j_str(c, "status"));
        cells[3] = E(hab_ui_date(p, hab_j_str(c, "review_due")));
    }
    return cases_or_none(p, caption, with_review ? head4 : head3, rows);
}

/* R15: the interim restrictions in force, each with its end. */
static const char *interim_table(apr_pool_t *p, const hab_ui_t *ui, const json_t *cases)
{
    static const char *const head[] = {"Case", "Customer", "Status", "Last day in force", NULL};
    apr_array_header_t *rows = new_rows(p);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char **cells = new_row(p, rows, 4);
        const char *until = hab_j_str(c, "interim_until");
        cells[0] = case_link(p, ui, int_of(c, "id"));
        cells[1] = E(name_of(c));
        cells[2] = hab_ui_tag(p, hab_j_str(c, "status"));
        cells[3] = until ? E(hab_ui_date(p, until)) : "Until the decision (reported)";
    }
    return cases_or_none(p, "Interim restrictions in force (violence)", head, rows);
}

/* R16: reviews due, the last day to decide, and the reminders sent. */
static const char *reminder_sent(apr_pool_t *p, const json_t *reminded)
{
    static const struct { const char *kind, *words; } kinds[] = {
        {"review-due-in-30-days", "30 days before"}, {"review-due-today", "On the due date"},
        {"review-grace-ending", "7 days before the grace ends"}};
    const char *kind = hab_j_str(reminded, "kind"), *sent = hab_j_str(reminded, "sent_at");
    if (!kind || !sent) return "Not yet";
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        if (!strcmp(kinds[k].kind, kind))
            return apr_pstrcat(p, kinds[k].words, ", sent ",
                               hab_ui_date(p, apr_pstrndup(p, sent, 10)), NULL);
    return "Not yet";
}

static const char *reviews_due_table(apr_pool_t *p, const hab_ui_t *ui, const json_t *cases)
{
    static const char *const head[] = {"Case", "Customer", "Review due", "Decide by (R16)",
                                       "Last reminder", NULL};
    apr_array_header_t *rows = new_rows(p);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char **cells = new_row(p, rows, 5);
        const char *decide_by = hab_j_str(c, "decide_by");
        cells[0] = case_link(p, ui, int_of(c, "id"));
        cells[1] = E(name_of(c));
        cells[2] = E(hab_ui_date(p, hab_j_str(c, "review_due")));
        cells[3] = decide_by ? E(hab_ui_date(p, decide_by)) : "Before the period ends";
        cells[4] = E(reminder_sent(p, json_object_get(c, "reminded")));
    }
    return cases_or_none(p, "Reviews due within 30 days or overdue", head, rows);
}

/* The post queue at a glance: how many wait, how many too long. */
static const char *post_summary(apr_pool_t *p, const hab_ui_t *ui, const json_t *d)
{
    long waiting = (long)int_of(d, "post_waiting");
    long over = (long)int_of(d, "post_over_limit");
    return hab_tpl(p, hab_tpl_home_post_summary,
                   "waiting", apr_psprintf(p, "%ld item%s waiting.", waiting,
                                           waiting == 1 ? "" : "s"),
                   "over", over ? red_tag(p, apr_psprintf(p, "%ld waiting too long", over)) : "",
                   "queue", hab_ui_url(p, ui, "triage"), NULL);
}

/* ---- home ---- */

static const char *home_case_officer(apr_pool_t *p, const hab_ui_t *ui, const json_t *d)
{
    hab_html_t *h = hab_html_new(p);
    if (ui->roles & HAB_ROLE_CEM) {
        hab_html_add(h, cases_table(p, ui, "New referrals", json_object_get(d, "new"), 0));
        hab_html_add(h, cases_table(p, ui, "Warned: awaiting your next step",
                                    json_object_get(d, "warned"), 0));
        hab_html_add(h, interim_table(p, ui, json_object_get(d, "interim")));
        hab_html_add(h, post_summary(p, ui, d));
        hab_html_add(h, cases_table(p, ui, "Appeals awaiting a chief officer",
                                    json_object_get(d, "appeals"), 0));
    }
    hab_html_add(h, cases_table(p, ui, "Reports awaiting a decision",
                                json_object_get(d, "awaiting_decision"), 0));
    hab_html_add(h, cases_table(p, ui, "Reviews awaiting a decision",
                                json_object_get(d, "review_decisions"), 1));
    hab_html_add(h, reviews_due_table(p, ui, json_object_get(d, "reviews_due")));
    return hab_html_str(h);
}

static const char *home_chief_officer(apr_pool_t *p, const hab_ui_t *ui, const json_t *appeals)
{
    return hab_tpl(p, hab_tpl_home_chief_officer,
                   "appeals", cases_table(p, ui, "Appeals for you to hear", appeals, 0),
                   "notifications", hab_ui_url(p, ui, "notifications"),
                   "notices", hab_ui_url(p, ui, "notices"), NULL);
}

static const char *home_auditor(apr_pool_t *p, const hab_ui_t *ui)
{
    return hab_tpl(p, hab_tpl_home_auditor, "log", hab_ui_url(p, ui, "audit"),
                   "verify", hab_ui_url(p, ui, "audit/verify"), NULL);
}

const char *hab_render_home(apr_pool_t *p, const hab_ui_t *ui, const json_t *view)
{
    unsigned roles = ui->roles;
    return hab_tpl(
        p, hab_tpl_home_page,
        "officer", roles & HAB_ROLES_CASE_OFFICERS
            ? home_case_officer(p, ui, json_object_get(view, "dashboard")) : "",
        "chief", roles & HAB_ROLE_CHIEF_OFFICER
            ? home_chief_officer(p, ui, json_object_get(view, "appeals_to_hear")) : "",
        "auditor", roles & HAB_ROLE_AUDITOR ? home_auditor(p, ui) : "",
        "concern", hab_ui_url(p, ui, "concerns/new"), "referrals", hab_ui_url(p, ui, "referrals"),
        "notices", hab_ui_url(p, ui, "notices"), NULL);
}

/* One of the home's reads, into the view under key. */
static hab_err_t *home_part(hab_ctx_t *ctx, json_t *view, const char *key,
                            hab_err_t *(*read)(hab_ctx_t *, json_t **))
{
    json_t *part;
    hab_err_t *e = read(ctx, &part);
    if (!e) json_object_set(view, key, part);
    return e;
}

hab_err_t *hab_page_home(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    json_t *view = hab_json_own(ctx->p, json_object());
    hab_err_t *e = NULL;
    if (ctx->roles & HAB_ROLES_CASE_OFFICERS)
        e = home_part(ctx, view, "dashboard", hab_read_dashboard);
    if (!e && (ctx->roles & HAB_ROLE_CHIEF_OFFICER))
        e = home_part(ctx, view, "appeals_to_hear", hab_read_appeals_to_hear);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    hab_page_t pg = {"Home", "home", hab_render_home(ctx->p, &ui, view), 0, 1,
                     hab_page_done_banner(in)};
    hab_page_answer(ctx, out, 200, &pg);
    return NULL;
}

/* ---- referrals and cases ---- */

const char *hab_render_referrals(apr_pool_t *p, const hab_ui_t *ui, const json_t *view)
{
    return hab_tpl(p, hab_tpl_home_referrals, "table",
                   cases_table(p, ui, "Your referrals", json_object_get(view, "cases"), 0), NULL);
}

hab_err_t *hab_page_referrals(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    unsigned roles = ctx->roles;
    json_t *body;
    ctx->roles = HAB_ROLE_STAFF; /* what this user raised, even when they are the CEM */
    hab_err_t *e = api_body(ctx, hab_read_cases, in, &body);
    ctx->roles = roles;
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    show(ctx, out, "Your referrals", "referrals", hab_render_referrals(ctx->p, &ui, body), 1);
    return NULL;
}

const char *hab_render_cases(apr_pool_t *p, const hab_ui_t *ui, const json_t *view)
{
    return hab_tpl(p, hab_tpl_home_cases, "table",
                   cases_table(p, ui, "All cases", json_object_get(view, "cases"), 1), NULL);
}

hab_err_t *hab_page_cases(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    if (!(ctx->roles & HAB_ROLES_CASE_OFFICERS))
        return hab_err_forbidden(ctx->p, "Only the customer experience manager, the monitoring "
                                         "officer and the chief executive see the list of cases.");
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_cases, in, &body);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    show(ctx, out, "Cases", "cases", hab_render_cases(ctx->p, &ui, body), 1);
    return NULL;
}

/* ---- notices ---- */

static const char *restrictions_list(apr_pool_t *p, const json_t *words)
{
    hab_html_t *items = hab_html_new(p);
    size_t i;
    json_t *r;
    json_array_foreach(words, i, r)
        hab_html_tpl(items, hab_tpl_home_notice_restriction, "r", json_string_value(r), NULL);
    return hab_tpl(p, hab_tpl_home_notice_restrictions, "items", hab_html_str(items), NULL);
}

/* The channels left open, in words: "Letter, Email". */
static const char *open_channels(apr_pool_t *p, const json_t *channels)
{
    const char *open = "";
    size_t i;
    json_t *c;
    json_array_foreach(channels, i, c)
        open = apr_pstrcat(p, open, *open ? ", " : "", hab_words(json_string_value(c)), NULL);
    return *open ? open : "None until the suspension ends";
}

static const char *notice_list(apr_pool_t *p, const json_t *n)
{
    apr_array_header_t *rows = apr_array_make(p, 8, sizeof(const char *));
    hab_ui_row(rows, "What the council will do",
               restrictions_list(p, json_object_get(n, "restrictions_in_words")));
    hab_ui_row(rows, "How they may still contact the council",
               E(open_channels(p, json_object_get(n, "open_channels"))));
    hab_ui_row(rows, "Case", E(apr_psprintf(p, "Case %" APR_INT64_T_FMT, int_of(n, "case_id"))));
    const char *until = hab_j_str(n, "until");
    hab_ui_row(rows, "Until",
               until ? E(hab_ui_date(p, until))
                     : "Until the chief executive decides (interim, after violence)");
    if (hab_j_str(n, "phone_statement"))
        hab_ui_row(rows, "To end a telephone call, say",
                   hab_ui_paragraphs(p, hab_j_str(n, "phone_statement")));
    return hab_ui_summary_list(p, rows);
}

/* An action on the notice's case: its link under the case, with whose. */
static const char *notice_action(apr_pool_t *p, const hab_ui_t *ui, const char *tpl,
                                 const json_t *n, const char *below)
{
    const char *path = apr_psprintf(p, "cases/%" APR_INT64_T_FMT "/%s", int_of(n, "case_id"),
                                    below);
    return hab_tpl(p, tpl, "href", hab_ui_url(p, ui, path), "name", name_of(n), NULL);
}

static const char *notice_card(apr_pool_t *p, const hab_ui_t *ui, const json_t *n)
{
    /* whoever holds the notice records the call they took; chief officers
     * and the CEM also pass notices on to officers who need them */
    /* the deciders see the whole file, not a notice: the chronology is not
     * theirs to add to (R5 would then bar them from deciding) */
    int deciders_only = (ui->roles & (HAB_ROLE_MONITORING_OFFICER | HAB_ROLE_CHIEF_EXECUTIVE)) &&
                        !(ui->roles & HAB_ROLE_CEM);
    int passes_on = (ui->roles & (HAB_ROLE_CHIEF_OFFICER | HAB_ROLE_CEM)) != 0;
    const json_t *person = json_object_get(n, "person");
    return hab_tpl(
        p, hab_tpl_home_notice_card,
        "name", hab_j_str(person, "name"), "ref", hab_j_str(person, "reference"),
        "interim", json_is_true(json_object_get(n, "interim")) ? " – interim" : "",
        "record", deciders_only
            ? "" : notice_action(p, ui, hab_tpl_home_notice_record, n, "contacts"),
        "pass", passes_on
            ? notice_action(p, ui, hab_tpl_home_notice_pass, n, "grants") : "",
        "list", notice_list(p, n), NULL);
}

const char *hab_render_notices(apr_pool_t *p, const hab_ui_t *ui, const json_t *view)
{
    const json_t *notices = json_object_get(view, "notices");
    hab_html_t *cards = hab_html_new(p);
    if (!json_array_size(notices)) hab_html_add(cards, hab_tpl_home_notices_none);
    size_t i;
    json_t *n;
    json_array_foreach(notices, i, n) hab_html_add(cards, notice_card(p, ui, n));
    return hab_tpl(p, hab_tpl_home_notices, "cards", hab_html_str(cards), NULL);
}

hab_err_t *hab_page_notices(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_notices, in, &body);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    hab_page_t pg = {"Notices", "notices", hab_render_notices(ctx->p, &ui, body), 0, 0,
                     hab_page_done_banner(in)};
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
    if (!strcmp(event, "interim-imposed"))
        return "Interim written-only restriction imposed after violence";
    if (!strcmp(event, "interim-lifted")) return "Interim restriction lifted";
    return event;
}

const char *hab_render_notifications(apr_pool_t *p, const hab_ui_t *ui, const json_t *view)
{
    static const char *const head[] = {"When", "Case", "Customer", "What happened", NULL};
    (void)ui; /* nothing here links anywhere */
    apr_array_header_t *rows = new_rows(p);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(view, "notifications"), i, n) {
        const char **cells = new_row(p, rows, 4);
        cells[0] = E(hab_ui_date(p, hab_j_str(n, "at")));
        cells[1] = E(apr_psprintf(p, "Case %" APR_INT64_T_FMT, int_of(n, "case_id")));
        cells[2] = E(name_of(n));
        cells[3] = E(event_words(hab_j_str(n, "event")));
    }
    return hab_tpl(p, hab_tpl_home_notifications, "table",
                   table_or(p, "Notifications", head, rows, hab_tpl_home_notifications_none), NULL);
}

hab_err_t *hab_page_notifications(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_notifications, in, &body);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    show(ctx, out, "Notifications", "notifications",
         hab_render_notifications(ctx->p, &ui, body), 1);
    return NULL;
}

/* ---- the post queue (the CEM's) ---- */

static void triage_row(apr_pool_t *p, const hab_ui_t *ui, apr_array_header_t *rows,
                       const json_t *x, int limit)
{
    apr_int64_t item = int_of(x, "item"), cid = int_of(x, "case_id");
    long waited = (long)int_of(x, "working_days_waited");
    const char **cells = new_row(p, rows, 6);
    cells[0] = apr_psprintf(p, "%" APR_INT64_T_FMT, item);
    cells[1] = hab_tpl(p, hab_tpl_home_triage_case, "case", case_link(p, ui, cid),
                       "name", name_of(x), NULL);
    cells[2] = hab_tpl(p, "{{d}} ({{c}})", "d", hab_ui_date(p, hab_j_str(x, "received")),
                       "c", hab_words(hab_j_str(x, "channel")), NULL);
    cells[3] = json_is_true(json_object_get(x, "over_limit"))
        ? red_tag(p, apr_psprintf(p, "%ld: over %d", waited, limit))
        : apr_psprintf(p, "%ld", waited);
    cells[4] = E(hab_j_str(x, "summary"));
    const char *decide = apr_psprintf(p, "cases/%" APR_INT64_T_FMT "/triage?item=%" APR_INT64_T_FMT,
                                      cid, item);
    cells[5] = hab_tpl(p, hab_tpl_home_triage_decide, "href", hab_ui_url(p, ui, decide),
                       "item", cells[0], NULL);
}

const char *hab_render_triage(apr_pool_t *p, const hab_ui_t *ui, const json_t *view)
{
    static const char *const head[] = {"Item", "Case", "Received", "Working days waited",
                                       "What it is about", "", NULL};
    int limit = (int)int_of(view, "limit_working_days");
    apr_array_header_t *rows = new_rows(p);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(view, "items"), i, x) triage_row(p, ui, rows, x, limit);
    return hab_tpl(p, hab_tpl_home_triage, "days", apr_psprintf(p, "%d", limit),
                   "table", table_or(p, "Items awaiting a decision", head, rows,
                                     hab_tpl_home_triage_none), NULL);
}

hab_err_t *hab_page_triage(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_ui_t ui = hab_page_ui(ctx);
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_triage, in, &body);
    if (e) return e;
    show(ctx, out, "Post awaiting triage", "triage", hab_render_triage(ctx->p, &ui, body), 1);
    return NULL;
}

/* ---- absences ---- */

static const hab_widget_t w_absence[] = {
    {"from", "First day of the absence", NULL, HAB_W_DATE, NULL,
     "Enter the first day of the absence"},
    {"to", "Last day of the absence", NULL, HAB_W_DATE, NULL, "Enter the last day of the absence"},
    {"note", "Note (optional)", NULL, HAB_W_TEXT, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL}};

const char *hab_render_absences(apr_pool_t *p, const hab_ui_t *ui, const json_t *view,
                                const hab_posted_t *posted, const apr_array_header_t *errors)
{
    static const char *const head[] = {"From", "To", "Note", "Covers today", NULL};
    apr_array_header_t *rows = new_rows(p);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(view, "absences"), i, a) {
        const char **cells = new_row(p, rows, 4);
        cells[0] = E(hab_ui_date(p, hab_j_str(a, "from")));
        cells[1] = E(hab_ui_date(p, hab_j_str(a, "to")));
        cells[2] = E(hab_j_str(a, "note") ? hab_j_str(a, "note") : "");
        cells[3] = json_is_true(json_object_get(a, "covers_today"))
            ? "Yes: the monitoring officer decides" : "No";
    }
    return hab_tpl(p, hab_tpl_home_absences, "errors", hab_ui_error_summary(p, errors),
                   "table", table_or(p, "Recorded absences", head, rows,
                                     hab_tpl_home_absences_none),
                   "form", hab_form_render(p, w_absence, posted, errors, ui->csrf_token,
                                           "Record absence", hab_ui_url(p, ui, "absences")),
                   NULL);
}

static hab_err_t *absences_page(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out,
                                const hab_posted_t *posted, const apr_array_header_t *errors,
                                int status)
{
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_absences, in, &body);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    hab_page_t pg = {"Absences", "absences", hab_render_absences(ctx->p, &ui, body, posted, errors),
                     errors != NULL, 0, NULL};
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
    hab_err_t *shown = absences_page(ctx, in, out, &posted,
                                     hab_form_errors(ctx->p, w_absence, e), e->status);
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
static const char *filter_query(apr_pool_t *p, const json_t *q, const char *extra)
{
    const char *out = extra ? extra : "";
    const char *keys[] = {"from", "to", "user", "case"};
    for (int i = 0; i < 4; i++) {
        const char *v = q ? hab_j_str(q, keys[i]) : NULL;
        if (!v || !*v) continue;
        out = apr_pstrcat(p, out, *out ? "&" : "", keys[i], "=", hab_url_escape(p, v), NULL);
    }
    return out;
}

static hab_posted_t posted_query(apr_pool_t *p, const json_t *q)
{
    hab_posted_t posted = {apr_array_make(p, 4, sizeof(hab_form_pair_t))};
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
static json_t *nonempty_query(apr_pool_t *p, const json_t *q)
{
    json_t *out = hab_json_own(p, json_object());
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)q, key, v)
        if (json_string_length(v)) json_object_set(out, key, v);
    return out;
}

/* A list or notices entry names the cases it showed (README, "The access
 * log"): "shown: 3, 7". */
static const char *shown_cases(apr_pool_t *p, const json_t *ids)
{
    const char *out = "";
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
        out = apr_psprintf(p, "%s%s%" APR_INT64_T_FMT, out, i ? ", " : "shown: ",
                           (apr_int64_t)json_integer_value(id));
    return out;
}

static void audit_row(apr_pool_t *p, apr_array_header_t *rows, const json_t *en)
{
    const char **cells = new_row(p, rows, 8);
    json_t *cid = json_object_get(en, "case_id");
    cells[0] = E(num(p, json_object_get(en, "seq")));
    cells[1] = E(hab_j_str(en, "at"));
    cells[2] = E(hab_j_str(en, "user"));
    cells[3] = E(hab_j_str(en, "action"));
    cells[4] = json_is_integer(cid) ? E(num(p, cid))
                                    : shown_cases(p, json_object_get(en, "case_ids"));
    cells[5] = E(hab_j_str(en, "outcome"));
    cells[6] = E(num(p, json_object_get(en, "status")));
    /* the safeguard that refused the request (schema 10), else nothing */
    cells[7] = hab_j_str(en, "refused_rule") ? E(hab_j_str(en, "refused_rule")) : "";
}

static const char *audit_filters(apr_pool_t *p, const json_t *query)
{
    hab_posted_t posted = posted_query(p, query);
    hab_html_t *filters = hab_html_new(p);
    for (const hab_widget_t *w = w_audit_filter; w->key; w++)
        hab_html_add(filters, hab_form_widget(p, w, &posted, NULL));
    return hab_html_str(filters);
}

/* The link to the entries after next, or nothing when there are none. */
static const char *audit_next(apr_pool_t *p, const hab_ui_t *ui, const json_t *filtered,
                              const json_t *next)
{
    if (!json_is_integer(next)) return "";
    const char *q = filter_query(p, filtered, NULL);
    const char *path = apr_psprintf(p, "audit?%s%safter=%" APR_INT64_T_FMT, q, *q ? "&" : "",
                                    (apr_int64_t)json_integer_value(next));
    return hab_tpl(p, hab_tpl_audit_next_page, "href", hab_ui_url(p, ui, path), NULL);
}

static const char *audit_export(apr_pool_t *p, const hab_ui_t *ui, const json_t *filtered,
                                const char *format)
{
    const char *q = filter_query(p, filtered, apr_pstrcat(p, "format=", format, NULL));
    return hab_ui_url(p, ui, apr_pstrcat(p, "audit/export?", q, NULL));
}

const char *hab_render_audit(apr_pool_t *p, const hab_ui_t *ui, const json_t *view,
                             const json_t *query)
{
    static const char *const head[] = {"Entry", "Time (UTC)", "User", "Action", "Case",
                                       "Outcome", "Status", "Rule", NULL};
    const json_t *filtered = nonempty_query(p, query);
    apr_array_header_t *rows = apr_array_make(p, 64, sizeof(const char *const *));
    size_t i;
    json_t *en;
    json_array_foreach(json_object_get(view, "entries"), i, en) audit_row(p, rows, en);
    return hab_tpl(p, hab_tpl_audit_search, "verify", hab_ui_url(p, ui, "audit/verify"),
                   "filters", audit_filters(p, query),
                   "table", table_or(p, "Entries", head, rows, hab_tpl_audit_search_none),
                   "next", audit_next(p, ui, filtered, json_object_get(view, "next_after")),
                   "csv", audit_export(p, ui, filtered, "csv"),
                   "json", audit_export(p, ui, filtered, "json"), NULL);
}

hab_err_t *hab_page_audit(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_request_in_t filtered = *in;
    filtered.query = nonempty_query(ctx->p, in->query);
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_audit, &filtered, &body);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    show(ctx, out, "Access log", "audit", hab_render_audit(ctx->p, &ui, body, in->query), 1);
    return NULL;
}

static const hab_widget_t w_checkpoint[] = {
    {"checkpoint", "Checkpoint line", "One line starting habitual-checkpoint v1, from the daily "
     "checkpoint mail or file", HAB_W_TEXTAREA, NULL, "Paste the checkpoint line"},
    {NULL, NULL, NULL, 0, NULL, NULL}};

/* The check's result (or nothing), then the form to check a checkpoint. */
static const char *audit_check(apr_pool_t *p, const hab_ui_t *ui, const char *result,
                               const hab_posted_t *posted, const apr_array_header_t *errors)
{
    return hab_tpl(p, hab_tpl_audit_check, "errors", hab_ui_error_summary(p, errors),
                   "result", result,
                   "form", hab_form_render(p, w_checkpoint, posted, errors, ui->csrf_token,
                                           "Check the checkpoint",
                                           hab_ui_url(p, ui, "audit/verify")), NULL);
}

static const char *audit_changed(apr_pool_t *p, const char *title, const json_t *view)
{
    return hab_tpl(p, hab_tpl_audit_changed, "title", title,
                   "warning", hab_ui_warning(p, "Tell the information governance manager and "
                                                "keep a copy of the database as it is now."),
                   "seq", num(p, json_object_get(view, "first_bad_seq")),
                   "problem", hab_j_str(view, "problem"), NULL);
}

const char *hab_render_audit_verify(apr_pool_t *p, const hab_ui_t *ui, const json_t *view)
{
    const char *result = json_is_true(json_object_get(view, "ok"))
        ? hab_tpl(p, hab_tpl_audit_intact, "entries", num(p, json_object_get(view, "entries")),
                  "head", hab_j_str(view, "head"), NULL)
        : audit_changed(p, "The access log has been changed", view);
    return audit_check(p, ui, result, NULL, NULL);
}

const char *hab_render_audit_checkpoint(apr_pool_t *p, const hab_ui_t *ui, const json_t *view,
                                        const hab_posted_t *posted,
                                        const apr_array_header_t *errors)
{
    const char *result;
    if (!view)
        result = hab_tpl_audit_check_heading;
    else if (json_is_true(json_object_get(view, "ok")))
        result = hab_tpl(p, hab_tpl_audit_checkpoint_held,
                         "held", num(p, json_object_get(json_object_get(view, "checkpoint"),
                                                        "entries")),
                         "entries", num(p, json_object_get(view, "entries")), NULL);
    else
        result = audit_changed(p, "The access log has been changed since the checkpoint", view);
    return audit_check(p, ui, result, posted, errors);
}

static void audit_check_answer(hab_ctx_t *ctx, hab_result_t *out, int status, const char *html,
                               int has_error)
{
    hab_page_t pg = {"Access log check", "audit", html, has_error, 0, NULL};
    hab_page_answer(ctx, out, status, &pg);
}

hab_err_t *hab_page_audit_verify(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    json_t *body;
    hab_err_t *e = api_body(ctx, hab_read_audit_verify, in, &body);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    audit_check_answer(ctx, out, 200, hab_render_audit_verify(ctx->p, &ui, body), 0);
    return NULL;
}

hab_err_t *hab_page_audit_checkpoint(hab_ctx_t *ctx, const hab_request_in_t *in,
                                     hab_result_t *out)
{
    hab_posted_t posted = {in->form};
    hab_request_in_t api = *in;
    json_t *body = NULL;
    hab_err_t *e = hab_form_to_json(ctx->p, w_checkpoint, &posted, &api.body);
    if (!e) e = api_body(ctx, hab_read_audit_checkpoint, &api, &body);
    if (e && e->status != 400 && e->status != 422) return e;
    /* a refusal is shown at the field; the entry records the page's status */
    const apr_array_header_t *errors = e ? hab_form_errors(ctx->p, w_checkpoint, e) : NULL;
    hab_ui_t ui = hab_page_ui(ctx);
    audit_check_answer(ctx, out, e ? e->status : 200,
                       hab_render_audit_checkpoint(ctx->p, &ui, e ? NULL : body, &posted, errors),
                       errors != NULL);
    return NULL;
}

#define EXPORT_MAX 100000

hab_err_t *hab_page_audit_export(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    if (!(ctx->roles & HAB_ROLE_AUDITOR))
        return hab_err_forbidden(ctx->p, "Only auditors may see this.");
    json_t *q = json_deep_copy(nonempty_query(ctx->p, in->query));
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
            e = hab_read_audit_export_entry(ctx, int_of(en, "seq"), csv, &text);
            if (e) return e;
            hab_html_add(doc, csv ? text : apr_pstrcat(ctx->p, written ? ",\n" : "\n", text, NULL));
            written++;
        }
        json_t *next = json_object_get(body, "next_after");
        if (!json_is_integer(next) || written >= EXPORT_MAX) break;
        json_object_set_new(q, "after", json_sprintf("%" APR_INT64_T_FMT,
                                                     (apr_int64_t)json_integer_value(next)));
    }
    if (!csv) hab_html_add(doc, "\n]}\n");
    out->status = 200;
    out->download = hab_html_str(doc);
    out->content_type = csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
    out->filename = csv ? "access-log.csv" : "access-log.json";
    return NULL;
}
