/* The governance figures: the one computation behind the
 * governance page, api/governance and `habitual-admin report` (moved here
 * from admin/verbs_ops.c; the report's figures, names and order unchanged).
 * How each figure is counted: README, "Governance page". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "habitual/domain/casefile.h"
#include "habitual/domain/rules.h"
#include "habitual/base/dates.h"
#include "habitual/domain/governance.h"
#include "habitual/base/json_io.h"
#include "habitual/base/validate.h"

#define T(rows, r, c) hab_rows_text(rows, r, c)
#define MAX_MONTHS 120
#define REFUSALS_PREFIX "refusals.by_action."
#define MAX_SPAN_DAYS 3700 /* working days are counted day by day: bounded */

static const char *const case_states[] = {"referred", "warned", "reported", "active", "lapsed",
                                          "ended", "closed", NULL};
static const char *const bucket_names[] = {"0-5", "6-10", "11-20", "21-40", "41+", NULL};
static const long bucket_top[] = {5, 10, 20, 40, -1};

typedef struct {
    hab_store_t *s;
    apr_pool_t *p;
    const char *from, *to;       /* dates, inclusive */
    const char *after_to;        /* to + 1 day: times are < after_to */
    const char *today;
    hab_gov_t *g;
    int report;                  /* figures added now are the report's */
} gov_t;

static const char *date_of(apr_pool_t *p, const char *t)
{
    return t ? apr_pstrndup(p, t, 10) : NULL;
}

static hab_gov_fig_t *fig(gov_t *r, const char *name, json_t *value, long long base, int count)
{
    hab_gov_fig_t *f = &APR_ARRAY_PUSH(r->g->figs, hab_gov_fig_t);
    f->name = name;
    f->value = hab_json_own(r->p, value);
    f->base = base;
    f->report = r->report;
    f->count = count;
    return f;
}

static void fig_n(gov_t *r, const char *name, long long n)
{
    fig(r, name, json_integer(n), n, 1);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

/* The middle value, or the mean of the two middle ones; null for none. */
static json_t *median_of(long *v, int n)
{
    if (!n) return json_null();
    if (n % 2) return json_integer(v[n / 2]);
    long sum = v[n / 2 - 1] + v[n / 2];
    return sum % 2 ? json_real(sum / 2.0) : json_integer(sum / 2);
}

/* The 90th percentile by the nearest rank: the ceil(0.9 n)-th smallest. */
static json_t *p90_of(const long *v, int n)
{
    if (!n) return json_null();
    int rank = (9 * n + 9) / 10;
    return json_integer(v[rank - 1]);
}

static int in_range(const gov_t *r, const char *date)
{
    return date && strcmp(date, r->from) >= 0 && strcmp(date, r->to) <= 0;
}

static hab_err_t *count1(gov_t *r, long long *n, const char *sql)
{
    hab_rows_t *rows;
    hab_err_t *e = hab_store_q(r->s, r->p, &rows, sql, "tt", r->from, r->after_to);
    *n = e ? 0 : hab_rows_int(rows, 0, 0);
    return e;
}

/* "SELECT key, count" rows into prefix.label for each key listed (zeros
 * kept); labels NULL: the keys themselves. */
static hab_err_t *count_by(gov_t *r, const char *prefix, const char *const *keys,
                           const char *const *labels, const char *sql)
{
    hab_rows_t *rows;
    hab_err_t *e = hab_store_q(r->s, r->p, &rows, sql, "tt", r->from, r->after_to);
    if (e) return e;
    for (int k = 0; keys[k]; k++) {
        long long n = 0;
        for (int i = 0; i < rows->nrows; i++)
            if (T(rows, i, 0) && !strcmp(T(rows, i, 0), keys[k])) n += hab_rows_int(rows, i, 1);
        fig_n(r, apr_pstrcat(r->p, prefix, ".", labels ? labels[k] : keys[k], NULL), n);
    }
    return NULL;
}

/* ---- the report's figures (habitual-admin report), in its order ---- */

static hab_err_t *report_steps(gov_t *r)
{
    static const char *const approve_reject[] = {"approve", "reject", NULL};
    static const char *const approved_rejected[] = {"approved", "rejected", NULL};
    static const char *const review_outcomes[] = {"continue", "vary", "remove", NULL};
    long long n, m;
    hab_err_t *e;
    if ((e = count1(r, &n,
                    "SELECT count(*) FROM cases WHERE referred_at >= ? AND referred_at < ?")))
        return e;
    fig_n(r, "referrals", n);
    hab_rows_t *rows;
    if ((e = hab_store_q(r->s, r->p, &rows, "SELECT count(*) FROM warnings "
                         "WHERE warned_on >= ? AND warned_on <= ?", "tt", r->from, r->to)))
        return e;
    fig_n(r, "warnings", hab_rows_int(rows, 0, 0));
    if ((e = count1(r, &n,
                    "SELECT count(*) FROM reports WHERE created_at >= ? AND created_at < ?")) ||
        (e = count1(r, &m,
                    "SELECT count(*) FROM reports rp JOIN cases c ON c.id = rp.case_id "
                    "WHERE c.action_without_notice = 1 AND rp.created_at >= ? AND rp.created_at < "
                    "?")))
        return e;
    fig_n(r, "reports.total", n);
    fig_n(r, "reports.action_without_notice", m);
    if ((e = count_by(r, "decisions", approve_reject, approved_rejected,
                      "SELECT outcome, count(*) FROM decisions WHERE decided_at >= ? AND "
                      "decided_at < ? GROUP BY outcome")) ||
        (e = count1(r, &n, "SELECT count(*) FROM decisions WHERE deputising = 1 AND "
                    "decided_at >= ? AND decided_at < ?")))
        return e;
    fig_n(r, "decisions.deputised", n);
    if ((e = count_by(r, "review_decisions", review_outcomes, NULL,
                      "SELECT outcome, count(*) FROM review_decisions WHERE decided_at >= ? AND "
                      "decided_at < ? GROUP BY outcome")) ||
        (e = count1(r, &n, "SELECT count(*) FROM review_decisions WHERE deputising = 1 AND "
                    "decided_at >= ? AND decided_at < ?")))
        return e;
    fig_n(r, "review_decisions.deputised", n);
    return count_by(r, "designations", hab_restriction_types, NULL,
                    "SELECT rs.type, count(*) FROM restrictions rs JOIN decisions d "
                    "ON d.case_id = rs.case_id AND d.outcome = 'approve' "
                    "WHERE rs.origin = 'decision' AND d.decided_at >= ? AND d.decided_at < ? "
                    "GROUP BY rs.type");
}

/* Designations that ended in the range, their median length; lapses. */
static hab_err_t *report_endings(gov_t *r)
{
    hab_rows_t *rows;
    hab_err_t *e = hab_store_q(
        r->s, r->p, &rows,
        "SELECT c.status, c.end_reason, c.ended_at, pe.end_date, d.start FROM cases c "
        "JOIN decisions d ON d.id = (SELECT max(id) FROM decisions WHERE case_id = c.id "
        " AND outcome = 'approve') "
        "JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "
        "WHERE c.status IN ('active', 'ended')", "");
    if (e) return e;
    long *days = apr_palloc(r->p, sizeof(long) * (size_t)(rows->nrows + 1));
    int n = 0;
    long long removed = 0, quashed = 0, lapsed_n = 0;
    for (int i = 0; i < rows->nrows; i++) {
        const char *status = T(rows, i, 0), *reason = T(rows, i, 1), *end = T(rows, i, 3);
        const char *start = T(rows, i, 4);
        int lapsed;
        hab_effective_status(status, end, r->today, &lapsed);
        const char *ended_on;
        long length;
        if (lapsed) {
            ended_on = hab_date_add_days(r->p, end, 1);
            length = hab_date_diff(start, end);
        } else if (!strcmp(status, "ended") && T(rows, i, 2)) {
            ended_on = date_of(r->p, T(rows, i, 2));
            length = hab_date_diff(start, ended_on);
        } else {
            continue;
        }
        if (!in_range(r, ended_on)) continue;
        if (lapsed) lapsed_n++;
        else if (reason && !strcmp(reason, "removed")) removed++;
        else if (reason && !strcmp(reason, "quashed")) quashed++;
        days[n++] = length;
    }
    fig_n(r, "ended.removed", removed);
    fig_n(r, "ended.quashed", quashed);
    fig_n(r, "ended.lapsed", lapsed_n);
    fig_n(r, "duration_days.count", n);
    qsort(days, (size_t)n, sizeof(long), cmp_long);
    fig(r, "duration_days.median", median_of(days, n), n, 0);
    return NULL;
}

/* Reviews falling due in the range: on time, overdue, not yet due.  A
 * case's n-th review decision (by id) is the review of its n-th period: each
 * continue or vary starts the next period, remove ends the designation. */
static hab_err_t *report_reviews(gov_t *r)
{
    hab_rows_t *rows, *rd;
    hab_err_t *e = hab_store_q(
        r->s, r->p, &rows,
        "SELECT pe.case_id, pe.review_due, c.status, c.ended_at, "
        "(SELECT count(*) FROM periods p2 WHERE p2.case_id = pe.case_id AND p2.id < pe.id) "
        "FROM periods pe JOIN cases c ON c.id = pe.case_id "
        "WHERE pe.review_due >= ? AND pe.review_due <= ?", "tt", r->from, r->to);
    if (!e)
        e = hab_store_q(r->s, r->p, &rd,
                        "SELECT rv.case_id, d.decided_at FROM review_decisions d "
                        "JOIN reviews rv ON rv.id = d.review_id ORDER BY rv.case_id, d.id", "");
    if (e) return e;
    long long due = 0, on_time = 0, overdue = 0, not_yet = 0;
    for (int i = 0; i < rows->nrows; i++) {
        const char *case_id = T(rows, i, 0), *review_due = T(rows, i, 1), *decided = NULL;
        long long nth = hab_rows_int(rows, i, 4), seen = 0;
        for (int k = 0; k < rd->nrows && !decided; k++)
            if (!strcmp(T(rd, k, 0), case_id) && seen++ == nth) decided = T(rd, k, 1);
        if (decided) {
            due++;
            if (strcmp(date_of(r->p, decided), review_due) <= 0) on_time++;
            else overdue++;
            continue;
        }
        /* ended (quashed) before the review fell due: no review was needed */
        if (!strcmp(T(rows, i, 2), "ended") && T(rows, i, 3) &&
            strcmp(date_of(r->p, T(rows, i, 3)), review_due) <= 0)
            continue;
        due++;
        if (strcmp(review_due, r->today) < 0) overdue++;
        else not_yet++;
    }
    fig_n(r, "reviews.due", due);
    fig_n(r, "reviews.on_time", on_time);
    fig_n(r, "reviews.overdue", overdue);
    fig_n(r, "reviews.not_yet_due", not_yet);
    return NULL;
}

static hab_err_t *report_appeals_closures(gov_t *r)
{
    static const char *const appeal_outcomes[] = {"uphold", "vary", "quash", NULL};
    hab_rows_t *rows;
    hab_err_t *e = hab_store_q(r->s, r->p, &rows, "SELECT count(*) FROM appeals "
                               "WHERE received >= ? AND received <= ?", "tt", r->from, r->to);
    if (e) return e;
    fig_n(r, "appeals.received", hab_rows_int(rows, 0, 0));
    if ((e = count_by(r, "appeals.decided", appeal_outcomes, NULL,
                      "SELECT outcome, count(*) FROM appeal_decisions WHERE decided_at >= ? AND "
                      "decided_at < ? GROUP BY outcome")))
        return e;
    long long n, m;
    if ((e = count1(r, &n,
                    "SELECT count(*) FROM cases WHERE status = 'closed' AND "
                    "(end_reason IS NULL OR end_reason <> 'rejected') AND closed_at >= ? AND "
                    "closed_at < ?")) ||
        (e = count1(r, &m,
                    "SELECT count(*) FROM cases WHERE status = 'closed' AND "
                    "end_reason = 'rejected' AND closed_at >= ? AND closed_at < ?")))
        return e;
    fig_n(r, "closures.without_action", n);
    fig_n(r, "closures.rejected", m);
    return NULL;
}

/* ---- the page's further figures ---- */

/* Restrictions in force today on an open case whose period has not lapsed. */
#define IN_FORCE_NOW                                                                          \
    "FROM restrictions x JOIN cases c ON c.id = x.case_id "                                   \
    "LEFT JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "     \
    "WHERE " HAB_SQL_IN_FORCE("x.") " AND c.status IN ('referred','warned','reported','active') " \
    "AND (c.status <> 'active' OR pe.end_date IS NULL OR pe.end_date >= ?)"

static hab_err_t *now_figures(gov_t *r)
{
    hab_rows_t *rows;
    hab_err_t *e =
        hab_store_q(r->s, r->p, &rows,
                    "SELECT c.status, pe.end_date FROM cases c LEFT JOIN periods pe ON pe.id = "
                    "(SELECT max(id) FROM periods WHERE case_id = c.id)",
                    "");
    if (e) return e;
    long long n[8] = {0};
    for (int i = 0; i < rows->nrows; i++) {
        int lapsed;
        const char *st = hab_effective_status(T(rows, i, 0), T(rows, i, 1), r->today, &lapsed);
        if (lapsed) st = "lapsed";
        for (int k = 0; case_states[k]; k++)
            if (st && !strcmp(st, case_states[k])) n[k]++;
    }
    for (int k = 0; case_states[k]; k++)
        fig_n(r, apr_pstrcat(r->p, "cases_now.", case_states[k], NULL), n[k]);

    if ((e = hab_store_q(r->s, r->p, &rows,
                         "SELECT x.type, count(*) " IN_FORCE_NOW " GROUP BY x.type", "ttt",
                         r->today, r->today, r->today)))
        return e;
    for (int k = 0; hab_restriction_types[k]; k++) {
        long long c = 0;
        for (int i = 0; i < rows->nrows; i++)
            if (!strcmp(T(rows, i, 0), hab_restriction_types[k])) c = hab_rows_int(rows, i, 1);
        fig_n(r, apr_pstrcat(r->p, "in_force_now.", hab_restriction_types[k], NULL), c);
    }

    /* people restricted now; of them, those whose report records
     * safeguarding considered or adjustments made */
    hab_rows_t *with;
    if ((e = hab_store_q(r->s, r->p, &rows, "SELECT DISTINCT c.person_id " IN_FORCE_NOW, "ttt",
                         r->today, r->today, r->today)) ||
        (e = hab_store_q(r->s, r->p, &with,
                         "SELECT DISTINCT c.person_id " IN_FORCE_NOW
                         " AND EXISTS (SELECT 1 FROM reports rp "
                         "WHERE rp.case_id = c.id AND (rp.safeguarding_considered = 1 OR "
                         "coalesce(rp.safeguarding_adjustments, '') <> ''))",
                         "ttt", r->today, r->today, r->today)))
        return e;
    long long people = rows->nrows, adjusted = with->nrows;
    fig_n(r, "adjustments.people_restricted", people);
    fig_n(r, "adjustments.with_adjustments_or_safeguarding", adjusted);
    long long base = adjusted && adjusted < people ? adjusted : people;
    fig(r, "adjustments.share_percent",
        people ? json_integer((adjusted * 100 + people / 2) / people) : json_null(), base, 0);
    return NULL;
}

/* The months from..to touches, "YYYY-MM". */
static void months_of(gov_t *r)
{
    int y = atoi(r->from), m = atoi(r->from + 5);
    int ty = atoi(r->to), tm = atoi(r->to + 5);
    while ((y < ty || (y == ty && m <= tm)) && r->g->months->nelts < MAX_MONTHS) {
        APR_ARRAY_PUSH(r->g->months, const char *) = apr_psprintf(r->p, "%04d-%02d", y, m);
        if (++m > 12) m = 1, y++;
    }
}

static int month_index(const gov_t *r, const char *date)
{
    if (!date || !in_range(r, apr_pstrndup(r->p, date, 10))) return -1;
    for (int i = 0; i < r->g->months->nelts; i++)
        if (!strncmp(APR_ARRAY_IDX(r->g->months, i, const char *), date, 7)) return i;
    return -1;
}

/* Days since 1970-01-01 to "YYYY-MM-DD" in buf (civil from days). */
static void date_into(char buf[64], long z)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    snprintf(buf, 64, "%04ld-%02ld-%02ld", y, m, d);
}

long hab_working_days_between(const char *a, const char *b)
{
    if (!hab_valid_date(a) || !hab_valid_date(b)) return 0;
    long span = hab_date_diff(a, b), n = 0;
    if (span <= 0) return 0;
    if (span > MAX_SPAN_DAYS) span = MAX_SPAN_DAYS;
    long start = hab_date_to_days(a);
    char day[64];
    for (long d = 1; d <= span; d++) {
        date_into(day, start + d);
        if (hab_date_is_working_day(day)) n++;
    }
    return n;
}

static void days_figures(gov_t *r, const char *name, long *v, int n)
{
    qsort(v, (size_t)n, sizeof(long), cmp_long);
    fig_n(r, apr_pstrcat(r->p, name, ".count", NULL), n);
    fig(r, apr_pstrcat(r->p, name, ".median", NULL), median_of(v, n), n, 0);
    fig(r, apr_pstrcat(r->p, name, ".p90", NULL), p90_of(v, n), n, 0);
    long long c[5] = {0};
    for (int i = 0; i < n; i++) {
        int b = 0;
        while (bucket_top[b] >= 0 && v[i] > bucket_top[b]) b++;
        c[b]++;
    }
    for (int b = 0; bucket_names[b]; b++)
        fig_n(r, apr_pstrcat(r->p, name, ".buckets.", bucket_names[b], NULL), c[b]);
}

/* Per month: referrals, warnings, reports, approvals, rejections; working
 * days to the decisions made in the range. */
static hab_err_t *flow_figures(gov_t *r)
{
    static const char *const series[] = {"referrals", "warnings",   "reports",
                                         "approvals", "rejections", NULL};
    int nm = r->g->months->nelts;
    long long *count = apr_pcalloc(r->p, sizeof(long long) * 5 * (size_t)(nm + 1));
    hab_rows_t *rows;
    hab_err_t *e;
    static const char *const sql[] = {
        "SELECT referred_at FROM cases WHERE referred_at >= ? AND referred_at < ?",
        "SELECT warned_on FROM warnings WHERE warned_on >= ? AND warned_on < ?",
        "SELECT created_at FROM reports WHERE created_at >= ? AND created_at < ?"};
    for (int s = 0; s < 3; s++) {
        if ((e = hab_store_q(r->s, r->p, &rows, sql[s], "tt", r->from, r->after_to))) return e;
        for (int i = 0; i < rows->nrows; i++) {
            int m = month_index(r, T(rows, i, 0));
            if (m >= 0) count[m * 5 + s]++;
        }
    }
    if ((e = hab_store_q(r->s, r->p, &rows,
                         "SELECT d.outcome, d.decided_at, c.referred_at, rp.created_at FROM "
                         "decisions d "
                         "JOIN cases c ON c.id = d.case_id JOIN reports rp ON rp.id = d.report_id "
                         "WHERE d.decided_at >= ? AND d.decided_at < ?",
                         "tt", r->from, r->after_to)))
        return e;
    long *ref = apr_palloc(r->p, sizeof(long) * (size_t)(rows->nrows + 1));
    long *rep = apr_palloc(r->p, sizeof(long) * (size_t)(rows->nrows + 1));
    for (int i = 0; i < rows->nrows; i++) {
        int m = month_index(r, T(rows, i, 1));
        if (m >= 0) count[m * 5 + (strcmp(T(rows, i, 0), "approve") ? 4 : 3)]++;
        const char *decided = date_of(r->p, T(rows, i, 1));
        ref[i] = hab_working_days_between(date_of(r->p, T(rows, i, 2)), decided);
        rep[i] = hab_working_days_between(date_of(r->p, T(rows, i, 3)), decided);
    }
    for (int m = 0; m < nm; m++)
        for (int s = 0; series[s]; s++)
            fig_n(r,
                  apr_pstrcat(r->p, "monthly.", APR_ARRAY_IDX(r->g->months, m, const char *), ".",
                              series[s], NULL),
                  count[m * 5 + s]);
    days_figures(r, "working_days.referral_to_decision", ref, rows->nrows);
    days_figures(r, "working_days.report_to_decision", rep, rows->nrows);
    return NULL;
}

/* Appeals decided in the range within 20 working days of receipt; interim
 * restrictions imposed in the range and how they ended. */
static hab_err_t *more_figures(gov_t *r)
{
    hab_rows_t *rows;
    hab_err_t *e = hab_store_q(
        r->s, r->p, &rows,
        "SELECT a.received, d.decided_at FROM appeal_decisions d "
        "JOIN appeals a ON a.id = d.appeal_id WHERE d.outcome <> 'withdrawn-case-ended' "
        "AND d.decided_at >= ? AND d.decided_at < ?",
        "tt", r->from, r->after_to);
    if (e) return e;
    long long within = 0;
    for (int i = 0; i < rows->nrows; i++) {
        const char *limit = hab_date_add_working_days(r->p, T(rows, i, 0), 20);
        if (strcmp(date_of(r->p, T(rows, i, 1)), limit) <= 0) within++;
    }
    fig_n(r, "appeals.within_20_working_days", within);
    fig_n(r, "appeals.after_20_working_days", rows->nrows - within);

    if ((e = hab_store_q(r->s, r->p, &rows,
                         "SELECT x.lifted_at, x.lifted_reason, x.in_force_from, x.in_force_until, "
                         "(SELECT count(*) FROM decisions d WHERE d.case_id = x.case_id) "
                         "FROM restrictions x WHERE x.interim = 1 AND x.created_at >= ? AND "
                         "x.created_at < ?",
                         "tt", r->from, r->after_to)))
        return e;
    enum { IN_FORCE, DECISION, TIME_LIMIT, LIFTED, CLOSED, OTHER, NK };
    static const char *const ends[] = {"in_force", "decision", "time_limit", "lifted_by_cem",
                                       "case_closed", "other"};
    long long k[NK] = {0};
    for (int i = 0; i < rows->nrows; i++) {
        const char *lifted = T(rows, i, 0), *why = T(rows, i, 1), *from = T(rows, i, 2),
                   *until = T(rows, i, 3);
        int decided = hab_rows_int(rows, i, 4) > 0;
        if (!lifted && (!from || strcmp(from, r->today) <= 0) &&
            (!until || strcmp(until, r->today) > 0))
            k[IN_FORCE]++;
        else if (!lifted) k[decided ? DECISION : TIME_LIMIT]++;
        else if (why && !strcmp(why, "decision")) k[DECISION]++;
        else if (why && !strcmp(why, "lapsed")) k[TIME_LIMIT]++;
        else if (why && !strncmp(why, "lifted by the customer experience manager", 41)) k[LIFTED]++;
        else if (why && !strcmp(why, "closed without action")) k[CLOSED]++;
        else k[OTHER]++;
    }
    fig_n(r, "interim.imposed", rows->nrows);
    for (int i = 0; i < NK; i++) fig_n(r, apr_pstrcat(r->p, "interim.ended.", ends[i], NULL), k[i]);

    return NULL;
}

/* Refusals in the range (access-log entries with outcome 'refused'): the
 * total and by rule (refused_rule, schema 10) are the report's too; by
 * action the page's and the API's.  Entries written before schema 10 name
 * no rule: they count in the total and by action only. */
static hab_err_t *refusal_figures(gov_t *r)
{
    hab_rows_t *rows;
    hab_err_t *e =
        hab_store_q(r->s, r->p, &rows,
                    "SELECT refused_rule, count(*) FROM access_log WHERE outcome = 'refused' "
                    "AND at >= ? AND at < ? GROUP BY refused_rule",
                    "tt", r->from, r->after_to);
    if (e) return e;
    long long total = 0, by_rule = 0, n[HAB_GOV_RULES + 1] = {0};
    for (int i = 0; i < rows->nrows; i++) {
        const char *rule = T(rows, i, 0);
        long long c = hab_rows_int(rows, i, 1);
        total += c;
        int k = rule && rule[0] == 'R' ? atoi(rule + 1) : 0;
        if (k >= 1 && k <= HAB_GOV_RULES) n[k] += c, by_rule += c;
    }
    fig_n(r, "refusals.total", total);
    for (int k = 1; k <= HAB_GOV_RULES; k++)
        fig_n(r, apr_psprintf(r->p, "refusals.by_rule.R%d", k), n[k]);
    /* no rule named: no role, nothing to see (404), a bad token or input */
    fig_n(r, "refusals.not_by_a_rule", total - by_rule);
    r->report = 0;
    if ((e = hab_store_q(r->s, r->p, &rows,
                         "SELECT action, count(*) FROM access_log WHERE outcome = 'refused' "
                         "AND at >= ? AND at < ? GROUP BY action ORDER BY action",
                         "tt", r->from, r->after_to)))
        return e;
    for (int i = 0; i < rows->nrows; i++) {
        APR_ARRAY_PUSH(r->g->refused_actions, const char *) = apr_pstrdup(r->p, T(rows, i, 0));
        fig_n(r, apr_pstrcat(r->p, REFUSALS_PREFIX, T(rows, i, 0), NULL), hab_rows_int(rows, i, 1));
    }
    return NULL;
}

hab_err_t *hab_governance_figures(hab_store_t *store, apr_pool_t *p, const char *from,
                                  const char *to, const char *today, int own_snapshot,
                                  hab_gov_t **out)
{
    hab_gov_t *g = apr_pcalloc(p, sizeof(*g));
    g->from = from;
    g->to = to;
    g->today = today;
    g->figs = apr_array_make(p, 128, sizeof(hab_gov_fig_t));
    g->months = apr_array_make(p, 12, sizeof(const char *));
    g->refused_actions = apr_array_make(p, 8, sizeof(const char *));
    gov_t r = {store, p, from, to, hab_date_add_days(p, to, 1), today, g, 1};
    months_of(&r);
    hab_err_t *e = own_snapshot ? store->ops->begin(store, p, 0) : NULL; /* one snapshot */
    if (!e) e = report_steps(&r);
    if (!e) e = report_endings(&r);
    if (!e) e = report_reviews(&r);
    if (!e) e = report_appeals_closures(&r);
    r.report = 0;
    if (!e) e = now_figures(&r);
    if (!e) e = flow_figures(&r);
    if (!e) e = more_figures(&r);
    r.report = 1;
    if (!e) e = refusal_figures(&r);
    if (own_snapshot) store->ops->rollback(store);
    *out = e ? NULL : g;
    return e;
}

const hab_gov_fig_t *hab_gov_get(const hab_gov_t *g, const char *name)
{
    for (int i = 0; i < g->figs->nelts; i++) {
        const hab_gov_fig_t *f = &APR_ARRAY_IDX(g->figs, i, hab_gov_fig_t);
        if (!strcmp(f->name, name)) return f;
    }
    return NULL;
}

int hab_gov_suppressed(const hab_gov_fig_t *f)
{
    return f && f->base >= 1 && f->base < HAB_GOV_SUPPRESS_BELOW;
}

const char *hab_gov_value_text(apr_pool_t *p, const hab_gov_fig_t *f)
{
    json_t *v = f ? f->value : NULL;
    if (json_is_integer(v))
        return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(v));
    if (json_is_real(v)) return apr_psprintf(p, "%.1f", json_real_value(v));
    return "";
}

json_t *hab_gov_json(const hab_gov_t *g, int suppress, int report_only)
{
    json_t *root = json_pack("{s:s, s:s}", "from", g->from, "to", g->to);
    for (int i = 0; i < g->figs->nelts; i++) {
        const hab_gov_fig_t *f = &APR_ARRAY_IDX(g->figs, i, hab_gov_fig_t);
        if (report_only && !f->report) continue;
        char *name = strdup(f->name);
        if (!name) continue;
        json_t *at = root;
        char *part = name, *dot;
        /* an action's name has dots of its own: it stays one key */
        char *flat = !strncmp(name, REFUSALS_PREFIX, strlen(REFUSALS_PREFIX))
                         ? name + strlen(REFUSALS_PREFIX) : NULL;
        while ((dot = strchr(part, '.')) && (!flat || dot < flat)) {
            *dot = '\0';
            json_t *next = json_object_get(at, part);
            if (!next) {
                next = json_object();
                json_object_set_new(at, part, next);
            }
            at = next;
            part = dot + 1;
        }
        if (suppress && hab_gov_suppressed(f))
            json_object_set_new(
                at, part, json_pack("{s:n, s:b}", f->count ? "count" : "value", "suppressed", 1));
        else
            json_object_set(at, part, f->value);
        free(name);
    }
    return root;
}

void hab_gov_last_quarter(apr_pool_t *p, const char *today, const char **from, const char **to)
{
    int y = atoi(today), m = atoi(today + 5);
    int q = (m - 1) / 3;          /* this quarter, 0-3 */
    if (q == 0) q = 4, y--;       /* the last full one */
    *from = apr_psprintf(p, "%04d-%02d-01", y, (q - 1) * 3 + 1);
    *to = hab_date_add_days(
        p, apr_psprintf(p, "%04d-%02d-01", q == 4 ? y + 1 : y, q == 4 ? 1 : q * 3 + 1), -1);
}
