/* The governance page, its CSV and api/governance: the figures
 * of hab_governance_figures (the same as `habitual-admin report`), counts
 * only, each count from 1 to 4 shown as "fewer than 5" (README,
 * "Governance page").  The page and its CSV are rendered from the view
 * api/governance answers, its markup from templates/governance.html.
 * Charts are SVG written by svg.c, each with the same figures in a table;
 * the period is chosen with a GET form, so everything works without
 * JavaScript. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/csv.h"
#include "habitual/base/dates.h"
#include "habitual/domain/governance.h"
#include "habitual/base/html.h"
#include "habitual/base/json_io.h"
#include "habitual/web/pages.h"
#include "habitual/domain/roles.h"
#include "habitual/web/svg.h"
#include "habitual/base/validate.h"
#include "web/templates.h"

#define GOV_ROLES (HAB_ROLES_CASE_OFFICERS | HAB_ROLE_AUDITOR)
#define MAX_RANGE_DAYS 3660
#define FEWER "fewer than 5"

/* Everyone else: the page does not exist for them (as a case they may not
 * see does not). */
static hab_err_t *may_see(hab_ctx_t *ctx)
{
    if (ctx->roles & GOV_ROLES) return NULL;
    return hab_err_not_found(ctx->p); /* not a case: 404 as the list is */
}

/* Only the parameters named, each once (the query arrives as an object). */
static hab_err_t *only_params(hab_ctx_t *ctx, const json_t *q, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)q, key, v) {
        int ok = 0;
        for (int i = 0; allowed[i]; i++) ok |= !strcmp(key, allowed[i]);
        if (!ok)
            return hab_err_field(ctx->p, 400, "unknown-field", "query", "This address takes no %s.",
                                 key);
    }
    return NULL;
}

/* What api/governance answers and the page shows: the figures from..to,
 * suppressed, nested by their dotted names, with today and the threshold. */
static hab_err_t *governance_view(hab_ctx_t *ctx, const char *from, const char *to, json_t **view)
{
    hab_gov_t *g;
    hab_err_t *e = hab_governance_figures(ctx->store, ctx->p, from, to, ctx->today, 0, &g);
    if (e) return e;
    json_t *body = hab_gov_json(g, 1, 0);
    json_object_set_new(body, "today", json_string(ctx->today));
    json_object_set_new(body, "suppressed_below", json_integer(HAB_GOV_SUPPRESS_BELOW));
    *view = hab_json_own(ctx->p, body);
    return NULL;
}

static hab_err_t *bad_date(hab_ctx_t *ctx, const char *field, const char *message)
{
    return hab_err_field(ctx->p, 400, "invalid-field", field, "%s", message);
}

hab_err_t *hab_read_governance(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    static const char *const allowed[] = {"from", "to", NULL};
    hab_err_t *e = may_see(ctx);
    if (e || (in->query && (e = only_params(ctx, in->query, allowed)))) return e;
    const char *from = in->query ? hab_j_str(in->query, "from") : NULL;
    const char *to = in->query ? hab_j_str(in->query, "to") : NULL;
    if (!from && !to) {
        hab_gov_last_quarter(ctx->p, ctx->today, &from, &to);
    } else {
        if (!from || !hab_valid_date(from))
            return bad_date(ctx, "from", "from is a date (YYYY-MM-DD), with to.");
        if (!to || !hab_valid_date(to))
            return bad_date(ctx, "to", "to is a date (YYYY-MM-DD), with from.");
        if (strcmp(from, to) > 0 || hab_date_diff(from, to) > MAX_RANGE_DAYS)
            return bad_date(ctx, "to", "to is on or after from, and at most ten years after it.");
    }
    json_t *view;
    if ((e = governance_view(ctx, from, to, &view))) return e;
    out->status = 200;
    out->body = view;
    return NULL;
}

/* ---- the view's figures ---- */

typedef struct {
    apr_pool_t *p;
    const json_t *view;
    hab_html_t *csv;             /* the download's lines, or NULL: the page only */
} gp_t;

static const char *text_of(const json_t *view, const char *key)
{
    const char *s = hab_j_str(view, key);
    return s ? s : "";
}

/* The figure of a dotted name, or NULL.  What is left of the name is tried
 * as one key first: an action's name holds dots of its own. */
static const json_t *figure(gp_t *gp, const char *name)
{
    const json_t *at = gp->view;
    for (;;) {
        const json_t *whole = json_object_get(at, name);
        const char *dot = strchr(name, '.');
        if (whole || !dot) return whole;
        at = json_object_get(at, apr_pstrndup(gp->p, name, (apr_size_t)(dot - name)));
        name = dot + 1;
    }
}

/* Shown as "fewer than 5": the view holds {"count"|"value": null,
 * "suppressed": true} instead of the value. */
static int suppressed(const json_t *v)
{
    return json_is_true(json_object_get(v, "suppressed"));
}

/* "12", "4.5", or "" (null, suppressed or absent), as the report writes it. */
static const char *value_text(apr_pool_t *p, const json_t *v)
{
    hab_gov_fig_t f = {.value = (json_t *)v};
    return hab_gov_value_text(p, &f);
}

static const char *cell(apr_pool_t *p, const json_t *v)
{
    if (!v) return "";
    if (suppressed(v)) return FEWER;
    const char *t = value_text(p, v);
    return *t ? t : "none";
}

/* A chart's bar: every figure charted is a count. */
static long long bar_value(gp_t *gp, const char *name)
{
    const json_t *v = figure(gp, name);
    if (suppressed(v)) return HAB_SVG_SUPPRESSED;
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* The object's keys in the view's order (months, actions). */
static apr_array_header_t *keys_of(apr_pool_t *p, const json_t *obj)
{
    apr_array_header_t *keys = apr_array_make(p, 12, sizeof(const char *));
    json_t *o = (json_t *)obj;
    for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it))
        APR_ARRAY_PUSH(keys, const char *) = json_object_iter_key(it);
    return keys;
}

/* A figure's name from a column's pattern: '*' is the row's key. */
static const char *fill(apr_pool_t *p, const char *pattern, const char *key)
{
    const char *star = strchr(pattern, '*');
    if (!star) return pattern;
    return apr_pstrcat(p, apr_pstrndup(p, pattern, (apr_size_t)(star - pattern)), key, star + 1,
                       NULL);
}

static void csv_add(gp_t *gp, const char *const *fields)
{
    if (gp->csv) hab_html_add(gp->csv, hab_csv_line(gp->p, fields));
}

/* ---- tables and sections ---- */

/* A table's row: its label, and the key its columns' patterns take. */
typedef struct {
    const char *label;
    const char *key;
} grow_t;

/* A table of figures: rows labelled, one column per figure name pattern;
 * also its lines of the CSV (the value empty when suppressed). */
static const char *fig_table(gp_t *gp, const char *caption, const char *const *head,
                             const char *const *cols, const grow_t *rows, int nrows)
{
    apr_pool_t *p = gp->p;
    int ncols = 0;
    while (cols[ncols]) ncols++;
    apr_array_header_t *cells = apr_array_make(p, nrows, sizeof(const char *const *));
    for (int r = 0; r < nrows; r++) {
        const char **c = apr_pcalloc(p, sizeof(char *) * (size_t)(ncols + 1));
        c[0] = hab_html_escape(p, rows[r].label);
        for (int k = 0; k < ncols; k++) {
            const char *name = fill(p, cols[k], rows[r].key);
            const json_t *v = figure(gp, name);
            int sup = suppressed(v);
            c[k + 1] = hab_html_escape(p, cell(p, v));
            csv_add(gp, (const char *const[]){caption, rows[r].label, head[k + 1], name,
                                               sup ? "" : value_text(p, v), sup ? "yes" : "no",
                                               NULL});
        }
        APR_ARRAY_PUSH(cells, const char *const *) = c;
    }
    return hab_ui_table(p, caption, head, cells);
}

/* Rows from a NULL-terminated list of keys, labelled by labels (or by
 * the keys themselves). */
static grow_t *rows_of(apr_pool_t *p, const char *const *keys, const char *const *labels, int *n)
{
    for (*n = 0; keys[*n]; (*n)++) {}
    grow_t *rows = apr_pcalloc(p, sizeof(grow_t) * (size_t)(*n + 1));
    for (int i = 0; i < *n; i++) {
        rows[i].key = keys[i];
        rows[i].label = labels ? labels[i] : keys[i];
    }
    return rows;
}

/* "March 2026", or short "Mar 26", from "2026-03". */
static const char *month_words(apr_pool_t *p, const char *ym, int short_form)
{
    static const char *const names[] = {"January", "February", "March", "April", "May", "June",
                                        "July", "August", "September", "October", "November",
                                        "December"};
    int m = strlen(ym) == 7 ? atoi(ym + 5) : 0;
    if (m < 1 || m > 12) return ym;
    return short_form ? apr_psprintf(p, "%.3s %.2s", names[m - 1], ym + 2)
                      : apr_psprintf(p, "%s %.4s", names[m - 1], ym);
}

static const char *section(apr_pool_t *p, const char *heading, const char *intro)
{
    if (!intro) return hab_tpl(p, hab_tpl_gov_section, "heading", heading, NULL);
    return hab_tpl(p, hab_tpl_gov_section_intro, "heading", heading, "intro", intro, NULL);
}

/* A chart and, below it, its table of the same figures. */
static const char *figure_block(apr_pool_t *p, const char *chart, const char *table)
{
    return hab_tpl(p, hab_tpl_gov_figure, "chart", chart, "table", table, NULL);
}

static void now_sections(gp_t *gp, hab_html_t *h)
{
    apr_pool_t *p = gp->p;
    static const char *const states[] = {"referred", "warned", "reported", "active", "lapsed",
                                         "ended", "closed", NULL};
    static const char *const state_words[] = {"Referred", "Warned", "Reported",
                                              "Active (restrictions in force)",
                                              "Lapsed (period ended without a review)", "Ended",
                                              "Closed", NULL};
    static const char *const cases_head[] = {"State", "Cases", NULL};
    static const char *const cases_col[] = {"cases_now.*", NULL};
    int n;
    grow_t *rows = rows_of(p, states, state_words, &n);
    const char *today = hab_ui_date(p, text_of(gp->view, "today"));
    hab_html_add(h, section(p, apr_pstrcat(p, "Now (", today, ")", NULL),
                            "These figures are as of today, whatever period is chosen."));
    hab_html_add(h, fig_table(gp, "Cases by state now", cases_head, cases_col, rows, n));
    static const char *const r_head[] = {"Restriction", "In force", NULL};
    static const char *const r_col[] = {"in_force_now.*", NULL};
    rows = rows_of(p, hab_restriction_types, NULL, &n);
    hab_html_add(h, fig_table(gp, "Restrictions in force now, by type", r_head, r_col, rows, n));
    static const grow_t adj[] = {
        {"People with restrictions in force", "people_restricted"},
        {"Of them, with safeguarding considered or adjustments recorded",
         "with_adjustments_or_safeguarding"},
        {"Share (per cent)", "share_percent"}};
    static const char *const a_head[] = {"Figure", "Value", NULL};
    static const char *const a_col[] = {"adjustments.*", NULL};
    hab_html_add(h, fig_table(gp, "Reasonable adjustments and safeguarding", a_head, a_col, adj,
                              3));
}

static void flow_section(gp_t *gp, hab_html_t *h)
{
    apr_pool_t *p = gp->p;
    static const char *const series[] = {"referrals", "warnings", "reports", "approvals",
                                         "rejections", NULL};
    static const char *const series_words[] = {"Referrals", "Warnings", "Reports", "Approvals",
                                               "Rejections", NULL};
    const apr_array_header_t *months = keys_of(p, json_object_get(gp->view, "monthly"));
    int nm = months->nelts;
    const char **labels = apr_pcalloc(p, sizeof(char *) * (size_t)(nm + 1));
    long long *values = apr_pcalloc(p, sizeof(long long) * (size_t)(nm * 5 + 1));
    grow_t *rows = apr_pcalloc(p, sizeof(grow_t) * (size_t)(nm + 1));
    for (int m = 0; m < nm; m++) {
        const char *ym = APR_ARRAY_IDX(months, m, const char *);
        labels[m] = month_words(p, ym, 1);
        rows[m].label = month_words(p, ym, 0);
        rows[m].key = ym;
        for (int s = 0; s < 5; s++)
            values[m * 5 + s] = bar_value(gp, apr_pstrcat(p, "monthly.", ym, ".", series[s], NULL));
    }
    static const char *const head[] = {"Month", "Referrals", "Warnings", "Reports", "Approvals",
                                       "Rejections", NULL};
    static const char *const cols[] = {"monthly.*.referrals", "monthly.*.warnings",
                                       "monthly.*.reports", "monthly.*.approvals",
                                       "monthly.*.rejections", NULL};
    hab_html_add(h, section(p, "Referrals, warnings, reports and decisions by month", NULL));
    const char *chart = hab_svg_bars(p, "chart-monthly",
                                     "Referrals, warnings, reports, approvals and rejections by "
                                     "month",
                                     "A bar chart of each month's counts; the table below gives "
                                     "the same figures.",
                                     series_words, 5, labels, nm, values);
    hab_html_add(h, figure_block(p, chart, fig_table(gp, "By month", head, cols, rows, nm)));
}

static void days_section(gp_t *gp, hab_html_t *h)
{
    apr_pool_t *p = gp->p;
    static const char *const buckets[] = {"0-5", "6-10", "11-20", "21-40", "41+", NULL};
    static const char *const bucket_words[] = {"0 to 5", "6 to 10", "11 to 20", "21 to 40",
                                               "Over 40", NULL};
    static const char *const series_words[] = {"From referral", "From report", NULL};
    static const char *const prefix[] = {"working_days.referral_to_decision.buckets.",
                                         "working_days.report_to_decision.buckets."};
    long long values[10];
    for (int b = 0; b < 5; b++)
        for (int s = 0; s < 2; s++)
            values[b * 2 + s] = bar_value(gp, apr_pstrcat(p, prefix[s], buckets[b], NULL));
    static const grow_t stats[] = {{"Decisions made", "count"}, {"Median", "median"},
                                   {"90th percentile", "p90"}};
    static const char *const s_head[] = {"Working days", "From referral to decision",
                                         "From report to decision", NULL};
    static const char *const s_cols[] = {"working_days.referral_to_decision.*",
                                         "working_days.report_to_decision.*", NULL};
    static const char *const b_head[] = {"Working days to the decision", "From referral",
                                         "From report", NULL};
    static const char *const b_cols[] = {"working_days.referral_to_decision.buckets.*",
                                         "working_days.report_to_decision.buckets.*", NULL};
    int n;
    grow_t *rows = rows_of(p, buckets, bucket_words, &n);
    hab_html_add(h, section(p, "Time to a decision",
                            "Working days (Monday to Friday, not bank holidays in England and "
                            "Wales) from the referral, and from the report, to the decision, for "
                            "the decisions made in the period."));
    hab_html_add(h, fig_table(gp, "Working days to a decision", s_head, s_cols, stats, 3));
    const char *chart = hab_svg_bars(p, "chart-days", "Decisions by working days taken",
                                     "A bar chart of how many decisions took each number of "
                                     "working days, from the referral and from the report; the "
                                     "table below gives the same figures.",
                                     series_words, 2, bucket_words, 5, values);
    hab_html_add(h, figure_block(p, chart, fig_table(gp, "Decisions by working days taken",
                                                     b_head, b_cols, rows, n)));
}

static void refusals_section(gp_t *gp, hab_html_t *h);

static void period_sections(gp_t *gp, hab_html_t *h)
{
    apr_pool_t *p = gp->p;
    static const char *const fv_head[] = {"Figure", "Count", NULL};
    static const char *const fv_col[] = {"*", NULL};
    static const grow_t decisions[] = {
        {"Reports made", "reports.total"},
        {"Of them, action without notice (no warning first)", "reports.action_without_notice"},
        {"Reports approved", "decisions.approved"},
        {"Reports rejected", "decisions.rejected"},
        {"Decisions made by a deputy (the monitoring officer)", "decisions.deputised"},
        {"Review decisions made by a deputy", "review_decisions.deputised"}};
    hab_html_add(h, section(p, "Decisions", NULL));
    hab_html_add(h, fig_table(gp, "Reports and decisions", fv_head, fv_col, decisions, 6));
    static const grow_t designations_rows[] = {
        {"Ended: removed on review", "ended.removed"},
        {"Ended: quashed on appeal", "ended.quashed"},
        {"Ended: lapsed", "ended.lapsed"},
        {"Median length of those ended (days)", "duration_days.median"},
        {"Closed without action", "closures.without_action"},
        {"Closed on rejection", "closures.rejected"}};
    hab_html_add(h, fig_table(gp, "Designations ended and cases closed", fv_head, fv_col,
                              designations_rows, 6));
    int n;
    static const char *const t_head[] = {"Restriction", "Put in force by decisions in the period",
                                         NULL};
    static const char *const t_col[] = {"designations.*", NULL};
    grow_t *rows = rows_of(p, hab_restriction_types, NULL, &n);
    hab_html_add(h, fig_table(gp, "Restrictions decided, by type", t_head, t_col, rows, n));

    static const grow_t reviews[] = {
        {"Reviews due in the period", "reviews.due"},
        {"Done on time", "reviews.on_time"},
        {"Overdue (done late, or not done)", "reviews.overdue"},
        {"Not yet due", "reviews.not_yet_due"},
        {"Outcome: continue", "review_decisions.continue"},
        {"Outcome: vary", "review_decisions.vary"},
        {"Outcome: remove", "review_decisions.remove"}};
    hab_html_add(h, section(p, "Reviews", NULL));
    hab_html_add(h, fig_table(gp, "Reviews", fv_head, fv_col, reviews, 7));

    static const grow_t appeals[] = {
        {"Appeals received", "appeals.received"},
        {"Decided within 20 working days of receipt", "appeals.within_20_working_days"},
        {"Decided later", "appeals.after_20_working_days"},
        {"Outcome: upheld", "appeals.decided.uphold"},
        {"Outcome: varied", "appeals.decided.vary"},
        {"Outcome: quashed", "appeals.decided.quash"}};
    hab_html_add(h, section(p, "Appeals", NULL));
    hab_html_add(h, fig_table(gp, "Appeals", fv_head, fv_col, appeals, 6));

    static const grow_t interim[] = {
        {"Interim restrictions imposed (after violence, R8)", "interim.imposed"},
        {"Still in force", "interim.ended.in_force"},
        {"Ended by the decision", "interim.ended.decision"},
        {"Ended at the time limit without a report", "interim.ended.time_limit"},
        {"Lifted early by the customer experience manager", "interim.ended.lifted_by_cem"},
        {"Ended when the case was closed", "interim.ended.case_closed"},
        {"Ended otherwise", "interim.ended.other"}};
    hab_html_add(h, section(p, "Interim restrictions", NULL));
    hab_html_add(h, fig_table(gp, "Interim restrictions imposed in the period and how they ended",
                              fv_head, fv_col, interim, 7));

    refusals_section(gp, h);
}

/* The safeguards by name (README, "The rules"), for the refusals by rule. */
static const char *const rule_words[HAB_GOV_RULES] = {
    "R1 Exclusions", "R2 Last resort", "R3 Warning first", "R4 Who decides",
    "R5 No one judges their own case", "R6 Justified and proportionate", "R7 One door stays open",
    "R8 Violence", "R9 Period and review", "R10 Safeguarding", "R11 Complete letters",
    "R12 Chief officers told", "R13 State order", "R14 A suspension ends on its date",
    "R15 An interim restriction is limited", "R16 An overdue review bites",
    "R17 Keeping restrictions is justified", "R18 The review's monitoring officer is real",
    "R19 Action follows continued behaviour"};

/* Every refusal first, then the rows that follow it. */
static grow_t *after_all_refusals(apr_pool_t *p, int nrows)
{
    grow_t *rows = apr_pcalloc(p, sizeof(grow_t) * (size_t)(nrows + 1));
    rows[0].label = "All refusals";
    rows[0].key = "refusals.total";
    return rows;
}

static void refusals_section(gp_t *gp, hab_html_t *h)
{
    apr_pool_t *p = gp->p;
    static const char *const fv_col[] = {"*", NULL};
    const char **labels = apr_pcalloc(p, sizeof(char *) * (HAB_GOV_RULES + 1));
    long long values[HAB_GOV_RULES];
    grow_t *by_rule = after_all_refusals(p, HAB_GOV_RULES + 2);
    for (int k = 0; k < HAB_GOV_RULES; k++) {
        const char *name = apr_psprintf(p, "refusals.by_rule.R%d", k + 1);
        labels[k] = apr_psprintf(p, "R%d", k + 1);
        values[k] = bar_value(gp, name);
        by_rule[k + 1].label = rule_words[k];
        by_rule[k + 1].key = name;
    }
    by_rule[HAB_GOV_RULES + 1].label =
        "Refused for another reason (no role, nothing to see, a bad token or input)";
    by_rule[HAB_GOV_RULES + 1].key = "refusals.not_by_a_rule";
    static const char *const rule_series[] = {"Refusals", NULL};
    static const char *const rule_head[] = {"Rule", "Refusals", NULL};
    hab_html_add(h, section(p, "Refusals",
                            "Requests the system refused in the period, from the access log: how "
                            "often each safeguard (R1 to R19) stopped a step, then every refusal "
                            "by action. R9, R11, R12 and R16 act by dates or effects and never "
                            "refuse a step; refusals logged before the log recorded the rule "
                            "(schema version 10) count only in the total and by action."));
    const char *chart = hab_svg_bars(p, "chart-rules", "Refusals by safeguard, R1 to R19",
                                     "A bar chart of how many steps each rule refused in the "
                                     "period; the table below gives the same figures with each "
                                     "rule's name.",
                                     rule_series, 1, labels, HAB_GOV_RULES, values);
    hab_html_add(h, figure_block(p, chart, fig_table(gp, "Refusals by rule", rule_head, fv_col,
                                                     by_rule, HAB_GOV_RULES + 2)));
    const json_t *refusals = json_object_get(gp->view, "refusals");
    const apr_array_header_t *acts = keys_of(p, json_object_get(refusals, "by_action"));
    grow_t *refused = after_all_refusals(p, acts->nelts + 1);
    for (int i = 0; i < acts->nelts; i++) {
        refused[i + 1].label = APR_ARRAY_IDX(acts, i, const char *);
        refused[i + 1].key = apr_pstrcat(p, "refusals.by_action.", refused[i + 1].label, NULL);
    }
    static const char *const ref_head[] = {"Action", "Refusals", NULL};
    hab_html_add(h, fig_table(gp, "Refusals by action", ref_head, fv_col, refused,
                              acts->nelts + 1));
}

/* Every table, in the page's order (the CSV's too). */
static void figure_sections(gp_t *gp, hab_html_t *h)
{
    flow_section(gp, h);
    days_section(gp, h);
    period_sections(gp, h);
    now_sections(gp, h);
}

/* ---- the page ---- */

/* The period chosen: year and quarter (1-4, or "year"); default the last
 * full quarter. */
static hab_err_t *chosen_period(hab_ctx_t *ctx, const json_t *q, int *year, int *quarter,
                                const char **from, const char **to)
{
    const char *y = q ? hab_j_str(q, "year") : NULL, *qu = q ? hab_j_str(q, "quarter") : NULL;
    int this_year = atoi(ctx->today);
    if (!y && !qu) {
        hab_gov_last_quarter(ctx->p, ctx->today, from, to);
        *year = atoi(*from);
        *quarter = (atoi(*from + 5) - 1) / 3 + 1;
        return NULL;
    }
    char *end = NULL;
    long yv = y ? strtol(y, &end, 10) : this_year;
    if (y && (!*y || *end || yv < 2000 || yv > this_year))
        return hab_err_field(ctx->p, 400, "invalid-field", "year", "Choose a year from the list.");
    int qv = 0;
    if (qu && strcmp(qu, "year")) {
        if (strlen(qu) != 1 || qu[0] < '1' || qu[0] > '4')
            return hab_err_field(ctx->p, 400, "invalid-field", "quarter",
                                 "Choose a quarter from the list.");
        qv = qu[0] - '0';
    }
    *year = (int)yv;
    *quarter = qv;
    *from = apr_psprintf(ctx->p, "%04d-%02d-01", *year, qv ? (qv - 1) * 3 + 1 : 1);
    *to = qv == 0 || qv == 4
              ? apr_psprintf(ctx->p, "%04d-12-31", *year)
              : hab_date_add_days(ctx->p, apr_psprintf(ctx->p, "%04d-%02d-01", *year, qv * 3 + 1),
                                  -1);
    return NULL;
}

static void add_option(hab_html_t *h, const char *value, const char *text, int selected)
{
    hab_html_tpl(h, selected ? hab_tpl_gov_option_selected : hab_tpl_gov_option, "value", value,
                 "text", text, NULL);
}

/* Years from this one back to 2024 (or the year shown, if older), and the
 * whole year or a quarter. */
static const char *period_form(apr_pool_t *p, const hab_ui_t *ui, int this_year, int year,
                               int quarter)
{
    hab_html_t *years = hab_html_new(p), *quarters = hab_html_new(p);
    int oldest = year < 2024 ? year : 2024;
    for (int y = this_year; y >= oldest; y--) {
        const char *v = apr_itoa(p, y);
        add_option(years, v, v, y == year);
    }
    static const char *const qwords[] = {"The whole year", "January to March", "April to June",
                                         "July to September", "October to December"};
    for (int q = 0; q <= 4; q++)
        add_option(quarters, q ? apr_itoa(p, q) : "year", qwords[q], q == quarter);
    return hab_tpl(p, hab_tpl_gov_period_form, "action", hab_ui_url(p, ui, "governance"),
                   "years", hab_html_str(years), "quarters", hab_html_str(quarters), NULL);
}

const char *hab_render_governance(apr_pool_t *p, const hab_ui_t *ui, const json_t *view,
                                  int year, int quarter)
{
    gp_t gp = {p, view, NULL};
    hab_html_t *h = hab_html_new(p);
    const char *q = quarter ? apr_itoa(p, quarter) : "year";
    const char *csv = apr_psprintf(p, "governance?year=%d&quarter=%s&format=csv", year, q);
    hab_html_tpl(h, hab_tpl_gov_head, "from", hab_ui_date(p, text_of(view, "from")),
                 "to", hab_ui_date(p, text_of(view, "to")),
                 "form", period_form(p, ui, atoi(text_of(view, "today")), year, quarter),
                 "csv", hab_ui_url(p, ui, csv), NULL);
    figure_sections(&gp, h);
    return hab_html_str(h);
}

/* The download: the period, then every table's figures, one line each. */
static void csv_answer(apr_pool_t *p, const json_t *view, hab_result_t *out)
{
    const char *from = text_of(view, "from"), *to = text_of(view, "to");
    gp_t gp = {p, view, hab_html_new(p)};
    csv_add(&gp, (const char *const[]){"table", "row", "column", "figure", "value", "fewer_than_5",
                                       NULL});
    csv_add(&gp, (const char *const[]){"Period", "From", "Date", "from", from, "no", NULL});
    csv_add(&gp, (const char *const[]){"Period", "To", "Date", "to", to, "no", NULL});
    figure_sections(&gp, hab_html_new(p));   /* the tables' lines; their markup is not wanted */
    out->status = 200;
    out->download = hab_html_str(gp.csv);
    out->content_type = "text/csv; charset=utf-8";
    out->filename = apr_psprintf(p, "governance-%s-to-%s.csv", from, to);
}

hab_err_t *hab_page_governance(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    static const char *const allowed[] = {"year", "quarter", "format", NULL};
    hab_err_t *e = may_see(ctx);
    if (e || (in->query && (e = only_params(ctx, in->query, allowed)))) return e;
    const char *format = in->query ? hab_j_str(in->query, "format") : NULL;
    if (format && strcmp(format, "csv"))
        return hab_err_field(ctx->p, 400, "invalid-field", "format",
                             "format is csv, or leave it out.");
    int year = 0, quarter = 0;
    const char *from, *to;
    json_t *view;
    if ((e = chosen_period(ctx, in->query, &year, &quarter, &from, &to)) ||
        (e = governance_view(ctx, from, to, &view)))
        return e;
    if (format) {
        csv_answer(ctx->p, view, out);
        return NULL;
    }
    hab_ui_t ui = hab_page_ui(ctx);
    hab_page_t pg = {"Governance figures", "governance",
                     hab_render_governance(ctx->p, &ui, view, year, quarter), 0, 1, NULL};
    hab_page_answer(ctx, out, 200, &pg);
    return NULL;
}
