/* Reads of README "Need to know" and "The JSON API": the case file, the lists, notices,
 * notifications, absences and the access log.  Each shows only what access.c allows. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "habitual/domain/access.h"
#include "habitual/store/audit.h"
#include "habitual/domain/casefile.h"
#include "habitual/domain/rules.h"
#include "habitual/base/dates.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/letters.h"
#include "habitual/domain/procedure.h"
#include "habitual/domain/roles.h"
#include "habitual/base/validate.h"
#include "habitual/store/view_cache.h"
#include "habitual/store/schema.h"
#include "habitual/domain/reads.h"

#define T(rows, r, c) hab_rows_text(rows, r, c)
#define AUDIT_PAGE_DEFAULT 100
#define AUDIT_PAGE_MAX 1000

static hab_err_t *need_role(hab_ctx_t *ctx, unsigned roles, const char *who)
{
    if (ctx->roles & roles) return NULL;
    return hab_err_forbidden(ctx->p, apr_pstrcat(ctx->p, "Only ", who, " may see this.", NULL));
}

static void reply(hab_ctx_t *ctx, hab_result_t *out, json_t *body)
{
    out->status = 200;
    out->body = hab_json_own(ctx->p, body);
}

hab_err_t *hab_read_me(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    (void)in;
    json_t *roles = json_array();
    for (unsigned i = 0; i < HAB_ROLE_COUNT; i++)
        if (ctx->roles & hab_role_bit(i))
            json_array_append_new(roles, json_string(hab_role_name(i)));
    const char *token = hab_csrf_token(ctx->p, ctx->secret, ctx->user, ctx->now_seconds);
    reply(ctx, out, json_pack("{s:s, s:o, s:s}", "user", ctx->user, "roles", roles,
                              "csrf_token", token));
    return NULL;
}

hab_err_t *hab_read_case(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    int sight;
    /* a notice is not the case file: that stays 404 */
    hab_err_t *e = hab_access_load(ctx, in->case_id, HAB_CASE_WHOLE, HAB_SEE_REFERRAL, &c, &sight);
    if (e) return e;
    out->status = 200;
    out->body = hab_view_case(ctx->p, c, (hab_sight_t)sight);
    return NULL;
}

/* ---- the list of cases ---- */

hab_err_t *hab_read_cases(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    int all = (ctx->roles & HAB_ROLES_CASE_OFFICERS) != 0;
    const char *want = in->query ? hab_j_str(in->query, "status") : NULL;
    hab_rows_t *r;
    /* everyone else sees only the referrals they raised, by status */
    hab_err_t *e = hab_store_q(
        ctx->store, ctx->p, &r,
        "SELECT c.id, c.status, p.name, " HAB_SQL_LAST_DAY("pe") ", pe.review_due FROM cases c "
        /* a referrer sees the person as they typed it, never a stored one */
        "JOIN persons p ON p.id = CASE WHEN ? = 1 THEN c.person_id "
        "ELSE coalesce(c.referred_person_id, c.person_id) END "
        "LEFT JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "
        "WHERE (? = 1 OR c.referred_by = ?) ORDER BY c.id", "bbt", all, all, ctx->user);
    if (e) return e;
    json_t *cases = json_array();
    for (int i = 0; i < r->nrows; i++) {
        int lapsed;
        const char *status = hab_effective_status(T(r, i, 1), T(r, i, 3), ctx->today, &lapsed);
        if (want && strcmp(want, status) != 0) continue;
        const char *due = all && !lapsed && !strcmp(status, "active") ? T(r, i, 4) : NULL;
        hab_ctx_shown(ctx, hab_rows_int(r, i, 0));
        json_array_append_new(cases, json_pack("{s:I, s:s, s:{s:o}, s:o}", "id",
                                               (json_int_t)hab_rows_int(r, i, 0), "status", status,
                                               "person", "name", hab_json_text(T(r, i, 2)),
                                               "review_due", hab_json_text(due)));
    }
    reply(ctx, out, json_pack("{s:o}", "cases", cases));
    return NULL;
}

/* ---- letters ---- */

static hab_err_t *load_for_letters(hab_ctx_t *ctx, long long id, hab_case_t **c)
{
    int sight;
    return hab_access_load(ctx, id, HAB_CASE_WHOLE, HAB_SEE_FULL, c, &sight);
}

hab_err_t *hab_read_letters(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    hab_err_t *e = load_for_letters(ctx, in->case_id, &c);
    if (e) return e;
    json_t *letters = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(c->letters, i, l) json_array_append_new(
        letters, json_pack("{s:O, s:O, s:O, s:O}", "id", json_object_get(l, "id"), "kind",
                           json_object_get(l, "kind"), "issued_at", json_object_get(l, "issued_at"),
                           "copied_to", json_object_get(l, "copied_to")));
    reply(ctx, out, json_pack("{s:o}", "letters", letters));
    return NULL;
}

hab_err_t *hab_letter_fetch(hab_ctx_t *ctx, const hab_request_in_t *in, hab_letter_record_t *letter)
{
    hab_case_t *c;
    hab_err_t *e = load_for_letters(ctx, in->case_id, &c);
    if (e) return e;
    hab_rows_t *r;
    e = hab_store_q(ctx->store, ctx->p, &r,
                    "SELECT subject, body, issued_at FROM letters WHERE case_id = ? "
                    "AND number = ?",
                    "ii", c->id, (long long)atoll(in->arg));
    if (e) return e;
    if (r->nrows == 0)
        return hab_err_not_found(ctx->p); /* not a case: no such letter of one the user may read */
    letter->subject = T(r, 0, 0);
    letter->body = T(r, 0, 1);
    letter->issued_at = T(r, 0, 2);
    letter->format = hab_j_str(c->adjustments, "format");
    if (!letter->format) letter->format = "standard";
    return NULL;
}

hab_err_t *hab_read_letter(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_letter_record_t l;
    hab_err_t *e = hab_letter_fetch(ctx, in, &l);
    if (e) return e;
    out->status = 200;
    out->html = hab_letter_page(
        ctx->p, ctx->council_name ? ctx->council_name : "The Council", l.subject, l.body,
        apr_pstrcat(ctx->p, ctx->mount ? ctx->mount : "", "/assets/habitual.css", NULL));
    return NULL;
}

/* ---- notices ---- */

/* Just what a notice needs (README "Need to know"), without loading the whole file. */
static hab_err_t *load_notice(hab_ctx_t *ctx, long long id, json_t *notices)
{
    hab_rows_t *r, *rr;
    hab_err_t *e = hab_store_q(
        ctx->store, ctx->p, &r,
        "SELECT c.status, p.name, p.reference, pe.end_date, pe.start, " HAB_SQL_LAST_DAY(
            "pe") " FROM cases c "
                  /* the referrer's own notice shows the person as they typed it */
                  "JOIN persons p ON p.id = CASE WHEN ? = 0 AND c.referred_by = ? "
                  "THEN coalesce(c.referred_person_id, c.person_id) ELSE c.person_id END "
                  "LEFT JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = "
                  "c.id) "
                  "WHERE c.id = ?",
        "bti", (ctx->roles & (HAB_ROLES_CASE_OFFICERS | HAB_ROLE_CHIEF_OFFICER)) != 0, ctx->user,
        id);
    if (!e) e = hab_store_q(ctx->store, ctx->p, &rr, "SELECT detail, interim FROM restrictions "
                            "WHERE case_id = ? AND " HAB_SQL_IN_FORCE("") " ORDER BY id", "itt", id,
                            ctx->today, ctx->today);
    if (e || r->nrows == 0) return e;
    hab_case_t c;
    memset(&c, 0, sizeof(c));
    c.id = id;
    c.status = hab_effective_status(T(r, 0, 0), T(r, 0, 5), ctx->today, &c.lapsed);
    if (c.lapsed || (strcmp(c.status, "ended") == 0) || strcmp(c.status, "closed") == 0)
        return NULL;
    c.period_end = T(r, 0, 3);
    c.period_start = T(r, 0, 4);
    c.person = hab_json_own(ctx->p, json_pack("{s:o, s:o}", "name", hab_json_text(T(r, 0, 1)),
                                              "reference", hab_json_text(T(r, 0, 2))));
    c.restrictions = hab_json_own(ctx->p, json_array());
    for (int i = 0; i < rr->nrows; i++) {
        json_t *one = hab_json_stored(T(rr, i, 0));
        if (hab_rows_int(rr, i, 1)) {
            json_object_set_new(one, "interim", json_true());
            c.interim = 1;
        }
        json_array_append_new(c.restrictions, one);
    }
    json_array_append(notices, hab_view_notice(ctx->p, &c));
    hab_ctx_shown(ctx, id);
    return NULL;
}

/* The cases whose notice this user may hold: every case with restrictions
 * in force for case officers and chief officers; for anyone else, from
 * their own grants and referrals (indexed), never a scan of every case. */
static hab_err_t *notice_case_ids(hab_ctx_t *ctx, hab_rows_t **r)
{
    if (ctx->roles & (HAB_ROLES_CASE_OFFICERS | HAB_ROLE_CHIEF_OFFICER))
        return hab_store_q(
            ctx->store, ctx->p, r,
            "SELECT c.id FROM cases c WHERE c.status IN ('referred','warned','reported','active') "
            "AND EXISTS (SELECT 1 FROM restrictions x WHERE x.case_id = c.id AND " HAB_SQL_IN_FORCE(
                "x.") ") ORDER BY c.id",
            "tt", ctx->today, ctx->today);
    return hab_store_q(ctx->store, ctx->p, r,
                       "SELECT c.id FROM cases c WHERE c.id IN ("
                       "SELECT g.case_id FROM grants g WHERE (g.grantee = ? OR " HAB_SQL_TEAM_GRANT(
                           "g.") ") "
                                 "AND g.revoked_at IS NULL AND g.expires >= ? "
                                 "UNION SELECT k.id FROM cases k WHERE k.referred_by = ?) "
                                 "AND c.status IN ('referred','warned','reported','active') "
                                 "AND EXISTS (SELECT 1 FROM restrictions x WHERE x.case_id = c.id "
                                 "AND " HAB_SQL_IN_FORCE("x.") ") ORDER BY c.id",
                       "tttttt", ctx->user, ctx->teams ? ctx->teams : ",", ctx->today, ctx->user,
                       ctx->today, ctx->today);
}

/* The team grants that let this user see notices shown (and no grant of
 * their own did): named in the access log's entry, team-grant:ID:TEAM,... */
static hab_err_t *note_team_grants(hab_ctx_t *ctx)
{
    if (!ctx->teams || strlen(ctx->teams) < 3 ||
        (ctx->roles & (HAB_ROLES_CASE_OFFICERS | HAB_ROLE_CHIEF_OFFICER)) || !ctx->shown ||
        !ctx->shown->nelts)
        return NULL;
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(
        ctx->store, ctx->p, &r,
        "SELECT g.id, g.team, g.case_id FROM grants g WHERE " HAB_SQL_TEAM_GRANT(
            "g.") " AND g.revoked_at IS NULL AND g.expires >= ? AND NOT EXISTS (SELECT 1 FROM "
                  "grants o "
                  "WHERE o.case_id = g.case_id AND o.grantee = ? AND o.revoked_at IS NULL AND "
                  "o.expires >= ?) AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.id = g.case_id "
                  "AND "
                  "k.referred_by = ?) ORDER BY g.id",
        "ttttt", ctx->teams, ctx->today, ctx->user, ctx->today, ctx->user);
    if (e) return e;
    const char *used = NULL;
    for (int i = 0; i < r->nrows; i++)
        for (int k = 0; k < ctx->shown->nelts; k++)
            if (APR_ARRAY_IDX(ctx->shown, k, long long) == hab_rows_int(r, i, 2)) {
                const char *one = apr_pstrcat(ctx->p, T(r, i, 0), ":", T(r, i, 1), NULL);
                used = used ? apr_pstrcat(ctx->p, used, ",", one, NULL) : one;
                break;
            }
    if (used) ctx->acting_as = apr_pstrcat(ctx->p, "team-grant:", used, NULL);
    return NULL;
}

hab_err_t *hab_read_notices(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    (void)in;
    hab_rows_t *r;
    hab_err_t *e = notice_case_ids(ctx, &r);
    if (e) return e;
    json_t *notices = hab_json_own(ctx->p, json_array());
    for (int i = 0; i < r->nrows; i++)
        if ((e = load_notice(ctx, hab_rows_int(r, i, 0), notices))) return e;
    reply(ctx, out, json_pack("{s:O}", "notices", notices));
    return note_team_grants(ctx);
}

/* ---- the API's notices, kept ----
 * The same answer, kept per process while nothing has changed (the change
 * counter), for this user with these roles and teams, today.  Kept as
 * "<case ids>\n<team grants used>\n<answer>": the access log's entry names
 * the cases and the grants either way. */

static const char *notices_key(const hab_ctx_t *ctx)
{
    return apr_psprintf(ctx->p, "notices\n%s\n%u\n%s\n%s", ctx->user, ctx->roles, ctx->today,
                        ctx->teams ? ctx->teams : ",");
}

static int answer_from_kept(hab_ctx_t *ctx, const char *kept, hab_result_t *out)
{
    const char *ids_end = kept ? strchr(kept, '\n') : NULL;
    const char *grants_end = ids_end ? strchr(ids_end + 1, '\n') : NULL;
    if (!grants_end) return 0;
    for (const char *c = kept; c < ids_end;) {
        char *end;
        long long id = strtoll(c, &end, 10);
        if (end == c) break;
        hab_ctx_shown(ctx, id);
        c = *end == ',' ? end + 1 : end;
    }
    if (grants_end > ids_end + 1)
        ctx->acting_as = apr_pstrndup(ctx->p, ids_end + 1, (apr_size_t)(grants_end - ids_end - 1));
    out->status = 200;
    out->json_text = grants_end + 1;
    return 1;
}

hab_err_t *hab_read_notices_kept(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    if (!ctx->views) return hab_read_notices(ctx, in, out);
    long long gen = -1;
    hab_err_t *e = hab_changes_read(ctx->store, ctx->p, &gen);
    if (e) return e;
    const char *key = notices_key(ctx);
    if (answer_from_kept(ctx, hab_view_cache_get(ctx->views, ctx->p, key, gen), out)) return NULL;
    if ((e = hab_read_notices(ctx, in, out))) return e;
    out->json_text = apr_pstrcat(ctx->p, hab_json_dump(ctx->p, out->body), "\n", NULL);
    out->body = NULL;
    const char *ids = hab_audit_ids_text(ctx->p, ctx->shown);
    hab_view_cache_put(ctx->views, key, gen,
                       apr_pstrcat(ctx->p, ids ? ids : "", "\n",
                                   ctx->acting_as ? ctx->acting_as : "", "\n", out->json_text,
                                   NULL));
    return NULL;
}

int hab_read_kept(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out, long long *gen)
{
    *gen = -1;
    if (in->route != HAB_ROUTE_NOTICES || !ctx->views) return 0;
    return answer_from_kept(ctx, hab_view_cache_peek(ctx->views, ctx->p, notices_key(ctx), gen),
                            out);
}

/* ---- notifications (R12) ---- */

static int newest_first(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(json_string_value(json_object_get(y, "at")),
                   json_string_value(json_object_get(x, "at")));
    if (c) return c;
    /* the same second: the later record first (derived lapses have id 0) */
    json_int_t xi = json_integer_value(json_object_get(x, "id")),
               yi = json_integer_value(json_object_get(y, "id"));
    return xi < yi ? 1 : xi > yi ? -1 : 0;
}

static json_t *notification(long long id, long long case_id, const char *event, const char *at,
                            const char *name, const char *reference)
{
    return json_pack("{s:I, s:I, s:s, s:o, s:{s:o, s:o}}", "id", (json_int_t)id, "case_id",
                     (json_int_t)case_id, "event", event, "at", hab_json_text(at), "person", "name",
                     hab_json_text(name), "reference", hab_json_text(reference));
}

hab_err_t *hab_read_notifications(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    (void)in;
    hab_err_t *e = need_role(ctx, HAB_ROLE_CHIEF_OFFICER, "chief officers");
    hab_rows_t *r;
    apr_array_header_t *derived = NULL;
    if (!e)
        e = hab_store_q(ctx->store, ctx->p, &r,
                        "SELECT n.case_id, n.event, n.created_at, p.name, p.reference, n.id FROM "
                        "notifications n "
                        "JOIN cases c ON c.id = n.case_id JOIN persons p ON p.id = c.person_id",
                        "");
    /* events derived from dates (a lapse, a suspension's end), not yet recorded */
    if (!e) e = hab_derived_events(ctx->store, ctx->p, ctx->today, &derived);
    if (e) return e;
    int n = r->nrows + derived->nelts;
    json_t **items = apr_palloc(ctx->p, sizeof(json_t *) * (size_t)(n ? n : 1));
    for (int i = 0; i < r->nrows; i++)
        items[i] = notification(hab_rows_int(r, i, 5), hab_rows_int(r, i, 0), T(r, i, 1),
                                T(r, i, 2), T(r, i, 3), T(r, i, 4));
    for (int i = 0; i < derived->nelts; i++) {
        const hab_derived_event_t *d = &APR_ARRAY_IDX(derived, i, hab_derived_event_t);
        items[r->nrows + i] = notification(0, d->case_id, d->event, d->at, d->name, d->reference);
    }
    qsort(items, (size_t)n, sizeof(json_t *), newest_first);
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        hab_ctx_shown(ctx, (long long)json_integer_value(json_object_get(items[i], "case_id")));
        json_array_append_new(list, items[i]);
    }
    reply(ctx, out, json_pack("{s:o}", "notifications", list));
    return NULL;
}

/* ---- absences (R4) ---- */

hab_err_t *hab_read_absences(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    (void)in;
    hab_err_t *e = need_role(ctx, HAB_ROLE_CHIEF_EXECUTIVE | HAB_ROLE_CEM,
                             "the chief executive or the customer experience manager");
    hab_rows_t *r;
    if (!e)
        e = hab_store_q(ctx->store, ctx->p, &r,
                        "SELECT id, from_date, to_date, note, recorded_by "
                        "FROM absences ORDER BY from_date DESC, id DESC",
                        "");
    if (e) return e;
    json_t *list = json_array();
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(
            list,
            json_pack("{s:I, s:o, s:o, s:o, s:o, s:b}", "id", (json_int_t)hab_rows_int(r, i, 0),
                      "from", hab_json_text(T(r, i, 1)), "to", hab_json_text(T(r, i, 2)), "note",
                      hab_json_text(T(r, i, 3)), "recorded_by", hab_json_text(T(r, i, 4)),
                      "covers_today",
                      strcmp(T(r, i, 1), ctx->today) <= 0 && strcmp(T(r, i, 2), ctx->today) >= 0));
    reply(ctx, out, json_pack("{s:o}", "absences", list));
    return NULL;
}

/* ---- the access log ---- */

static hab_err_t *query_number(hab_ctx_t *ctx, const json_t *q, const char *name, long long lo,
                               long long hi, long long dflt, long long *out)
{
    const char *v = q ? hab_j_str(q, name) : NULL;
    *out = dflt;
    if (!v) return NULL;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < lo || n > hi)
        return hab_err_field(ctx->p, 400, "invalid-field", name, "%s must be a whole number from "
                             "%" APR_INT64_T_FMT " to %" APR_INT64_T_FMT ".", name,
                             (apr_int64_t)lo, (apr_int64_t)hi);
    *out = n;
    return NULL;
}

static hab_err_t *audit_filter(hab_ctx_t *ctx, const json_t *q, hab_audit_filter_t *f)
{
    static const char *const known[] = {"from", "to", "user", "case", "after", "limit", NULL};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)q, key, v)
        if (!hab_in_list(known, key))
            return hab_err_field(ctx->p, 400, "unknown-field", "query",
                                 "The access log takes from, to, user, case, after and limit.");
    memset(f, 0, sizeof(*f));
    f->from = q ? hab_j_str(q, "from") : NULL;
    f->to = q ? hab_j_str(q, "to") : NULL;
    f->user = q ? hab_j_str(q, "user") : NULL;
    const char *bounds[] = {f->from, f->to};
    for (int i = 0; i < 2; i++)
        if (bounds[i] && !hab_valid_date(bounds[i]) && !hab_valid_time(bounds[i]))
            return hab_err_field(ctx->p, 400, "invalid-field", i ? "to" : "from",
                                 "from and to are dates (YYYY-MM-DD) or UTC times.");
    long long limit;
    hab_err_t *e = query_number(ctx, q, "case", 1, 999999999999999LL, 0, &f->case_id);
    if (!e) e = query_number(ctx, q, "after", 0, 999999999999999LL, 0, &f->after);
    if (!e) e = query_number(ctx, q, "limit", 1, AUDIT_PAGE_MAX, AUDIT_PAGE_DEFAULT, &limit);
    f->limit = (int)limit;
    return e;
}

hab_err_t *hab_read_audit(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_audit_filter_t f;
    hab_err_t *e = need_role(ctx, HAB_ROLE_AUDITOR, "auditors");
    if (!e) e = audit_filter(ctx, in->query, &f);
    json_t *entries = hab_json_own(ctx->p, json_array());
    long long last = 0;
    if (!e) e = hab_audit_query(ctx->store, ctx->p, &f, entries, &last);
    if (e) return e;
    int full_page = (int)json_array_size(entries) == f.limit;
    reply(ctx, out, json_pack("{s:O, s:o}", "entries", entries,
                              "next_after", full_page ? json_integer(last) : json_null()));
    return NULL;
}

hab_err_t *hab_read_audit_verify(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    (void)in;
    hab_audit_verdict_t v;
    hab_err_t *e = need_role(ctx, HAB_ROLE_AUDITOR, "auditors");
    if (!e) e = hab_audit_verify(ctx->store, ctx->p, &v);
    if (e) return e;
    reply(ctx, out, v.ok ? json_pack("{s:b, s:I, s:s}", "ok", 1, "entries", (json_int_t)v.entries,
                                     "head", v.head)
                         : json_pack("{s:b, s:I, s:s}", "ok", 0, "first_bad_seq",
                                     (json_int_t)v.first_bad_seq, "problem", v.problem));
    return NULL;
}

#define CHECKPOINT_LINE_MAX 512

/* A checkpoint an auditor kept off the server: is it still in the log?
 * The whole chain is verified too (a checkpoint that holds on a chain that
 * is broken after it is no comfort). */
hab_err_t *hab_read_audit_checkpoint(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_err_t *e = need_role(ctx, HAB_ROLE_AUDITOR, "auditors");
    if (e) return e;
    const char *key;
    json_t *v;
    json_object_foreach(in->body, key, v) if (strcmp(key, "checkpoint") != 0) return hab_err_field(
        ctx->p, 400, "unknown-field", key, "Send only the checkpoint line.");
    const char *line = in->body ? hab_j_str(in->body, "checkpoint") : NULL;
    while (line && (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\n')) line++;
    if (!line || !*line)
        return hab_err_field(ctx->p, 400, "missing-field", "checkpoint",
                             "Paste the checkpoint line, as habitual-admin checkpoint wrote it.");
    if (strlen(line) > CHECKPOINT_LINE_MAX)
        return hab_err_field(ctx->p, 400, "invalid-checkpoint", "checkpoint",
                             "The checkpoint line is too long: paste one line only.");
    if (!ctx->checkpoint_key)
        return hab_err_field(
            ctx->p, 422, "no-checkpoint-key", "checkpoint",
            "This server has no HabitualCheckpointKeyFile, so it cannot check a checkpoint's "
            "signature: use habitual-admin verify-audit --checkpoint instead.");
    long long entries;
    const char *head;
    hab_err_t *line_err;
    hab_audit_verdict_t chain;
    hab_checkpoint_verdict_t cv;
    e = hab_checkpoint_check(ctx->store, ctx->p, ctx->checkpoint_key, line, &line_err, &chain,
                             &entries, &head, &cv);
    if (e) return e;
    if (line_err) return line_err;
    json_t *cp = json_pack("{s:I, s:s}", "entries", (json_int_t)entries, "head", head);
    if (cv.state == HAB_CHECKPOINT_HOLDS)
        reply(ctx, out,
              json_pack("{s:b, s:I, s:s, s:o}", "ok", 1, "entries", (json_int_t)chain.entries,
                        "head", chain.head, "checkpoint", cp));
    else
        reply(ctx, out,
              json_pack("{s:b, s:I, s:s, s:s, s:I, s:o}", "ok", 0, "first_bad_seq",
                        (json_int_t)cv.first_bad_seq, "reason", cv.reason, "problem", cv.problem,
                        "entries", (json_int_t)chain.entries, "checkpoint", cp));
    return NULL;
}

/* ---- the CEM's dashboard and the deciders' queue ---- */

static json_t *summary(hab_ctx_t *ctx, const hab_rows_t *r, int i, const char *status)
{
    hab_ctx_shown(ctx, hab_rows_int(r, i, 0));
    return json_pack("{s:I, s:s, s:{s:o, s:o}, s:o, s:o}", "id", (json_int_t)hab_rows_int(r, i, 0),
                     "status", status, "person", "name", hab_json_text(T(r, i, 2)), "reference",
                     hab_json_text(T(r, i, 3)), "review_due", hab_json_text(T(r, i, 5)),
                     "referred_at", hab_json_text(T(r, i, 6)));
}

/* R15: each interim entry's end: "interim_until", the last day it is in
 * force, or null while it lasts until the decision (a report was made). */
static hab_err_t *interim_ends(hab_ctx_t *ctx, json_t *list)
{
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry) {
        hab_rows_t *r;
        hab_err_t *e =
            hab_store_q(ctx->store, ctx->p, &r,
                        "SELECT in_force_until FROM restrictions WHERE case_id = ? AND interim = 1 "
                        "AND " HAB_SQL_IN_FORCE("") " ORDER BY id DESC LIMIT 1",
                        "itt", (long long)json_integer_value(json_object_get(entry, "id")),
                        ctx->today, ctx->today);
        if (e) return e;
        const char *until = r->nrows ? T(r, 0, 0) : NULL;
        json_object_set_new(entry, "interim_until",
                            until ? json_string(hab_date_add_days(ctx->p, until, -1))
                                  : json_null());
    }
    return NULL;
}

/* R16: each review due's last day to decide ("decide_by", null for a
 * period from before R16) and the latest reminder notify has sent for its
 * period ("reminded": {kind, sent_at}, or null). */
static hab_err_t *review_reminders_sent(hab_ctx_t *ctx, json_t *list)
{
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry) {
        hab_rows_t *r;
        hab_err_t *e = hab_store_q(
            ctx->store, ctx->p, &r,
            "SELECT pe.review_deadline, m.kind, m.email_sent_at FROM periods pe "
            "LEFT JOIN review_reminders m ON m.period_id = pe.id AND m.email_sent_at IS NOT NULL "
            "WHERE pe.id = (SELECT max(id) FROM periods WHERE case_id = ?) "
            "ORDER BY m.email_sent_at DESC, m.id DESC LIMIT 1",
            "i", (long long)json_integer_value(json_object_get(entry, "id")));
        if (e) return e;
        json_object_set_new(entry, "decide_by", hab_json_text(r->nrows ? T(r, 0, 0) : NULL));
        json_object_set_new(entry, "reminded",
                            r->nrows && T(r, 0, 1)
                                ? json_pack("{s:s, s:s}", "kind", T(r, 0, 1), "sent_at", T(r, 0, 2))
                                : json_null());
    }
    return NULL;
}

/* The post queue's size and how many have waited past HabitualTriageDays. */
static hab_err_t *post_waiting(hab_ctx_t *ctx, json_t *dashboard)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(ctx->store, ctx->p, &r, "SELECT received FROM correspondence "
                               "WHERE decided_at IS NULL", "");
    if (e) return e;
    int limit = ctx->triage_days > 0 ? ctx->triage_days : HAB_TRIAGE_DAYS_DEFAULT;
    long over = 0;
    for (int i = 0; i < r->nrows; i++)
        if (hab_date_working_days_between(T(r, i, 0), ctx->today) > limit) over++;
    json_object_set_new(dashboard, "post_waiting", json_integer(r->nrows));
    json_object_set_new(dashboard, "post_over_limit", json_integer(over));
    return NULL;
}

hab_err_t *hab_read_dashboard(hab_ctx_t *ctx, json_t **out)
{
    *out = hab_json_own(ctx->p, json_pack("{s:[], s:[], s:[], s:[], s:[], s:[], s:[]}", "new",
                                          "warned", "awaiting_decision", "reviews_due", "interim",
                                          "appeals", "review_decisions"));
    if (!(ctx->roles & HAB_ROLES_CASE_OFFICERS)) return NULL;
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(
        ctx->store, ctx->p, &r,
        "SELECT c.id, c.status, p.name, p.reference, pe.end_date, pe.review_due, c.referred_at, "
        "(SELECT count(*) FROM restrictions x WHERE x.case_id = c.id AND x.interim = 1 "
        "AND " HAB_SQL_IN_FORCE(
            "x.") "), "
                  "(SELECT count(*) FROM reviews v WHERE v.case_id = c.id AND NOT EXISTS "
                  "  (SELECT 1 FROM review_decisions d WHERE d.review_id = v.id)), "
                  "(SELECT count(*) FROM appeals a WHERE a.case_id = c.id AND NOT EXISTS "
                  "  (SELECT 1 FROM appeal_decisions d WHERE d.appeal_id = "
                  "a.id)), " HAB_SQL_LAST_DAY(
                      "pe") " "
                            "FROM cases c JOIN persons p ON p.id = c.person_id "
                            "LEFT JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE "
                            "case_id = c.id) "
                            "WHERE c.status IN ('referred','warned','reported','active') ORDER BY "
                            "c.id",
        "tt", ctx->today, ctx->today);
    if (e) return e;
    const char *soon = hab_date_add_days(ctx->p, ctx->today, 30);
    for (int i = 0; i < r->nrows; i++) {
        int lapsed;
        const char *status = hab_effective_status(T(r, i, 1), T(r, i, 10), ctx->today, &lapsed);
        const char *list = NULL;
        if (!strcmp(status, "referred")) list = "new";
        else if (!strcmp(status, "warned")) list = "warned";
        else if (!strcmp(status, "reported")) list = "awaiting_decision";
        if (list) json_array_append_new(json_object_get(*out, list), summary(ctx, r, i, status));
        if (!strcmp(status, "active") && T(r, i, 5) && strcmp(T(r, i, 5), soon) <= 0)
            json_array_append_new(json_object_get(*out, "reviews_due"), summary(ctx, r, i, status));
        if (hab_rows_int(r, i, 7))
            json_array_append_new(json_object_get(*out, "interim"), summary(ctx, r, i, status));
        if (!strcmp(status, "active") && hab_rows_int(r, i, 8))
            json_array_append_new(json_object_get(*out, "review_decisions"),
                                  summary(ctx, r, i, status));
        if (!strcmp(status, "active") && hab_rows_int(r, i, 9))
            json_array_append_new(json_object_get(*out, "appeals"), summary(ctx, r, i, status));
    }
    if (ctx->roles & HAB_ROLE_CEM) e = post_waiting(ctx, *out);
    if (!e) e = interim_ends(ctx, json_object_get(*out, "interim"));
    return e ? e : review_reminders_sent(ctx, json_object_get(*out, "reviews_due"));
}

/* Appeals a chief officer may hear: pending, and they were not involved. */
hab_err_t *hab_read_appeals_to_hear(hab_ctx_t *ctx, json_t **out)
{
    *out = hab_json_own(ctx->p, json_array());
    if (!(ctx->roles & HAB_ROLE_CHIEF_OFFICER)) return NULL;
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(
        ctx->store, ctx->p, &r,
        "SELECT DISTINCT a.case_id FROM appeals a WHERE NOT EXISTS "
        "(SELECT 1 FROM appeal_decisions d WHERE d.appeal_id = a.id) ORDER BY a.case_id",
        "");
    for (int i = 0; !e && i < r->nrows; i++) {
        hab_case_t *c;
        e = hab_case_load(ctx->store, ctx->p, hab_rows_int(r, i, 0), ctx->today, &c);
        if (!e && c && !strcmp(c->status, "active") &&
            hab_access_may_hear_appeal(c, ctx->user, ctx->roles)) {
            hab_ctx_shown(ctx, c->id);
            json_array_append_new(*out, json_pack("{s:I, s:s, s:{s:O}, s:o}", "id",
                                                  (json_int_t)c->id, "status", c->status, "person",
                                                  "name", json_object_get(c->person, "name"),
                                                  "review_due", json_null()));
        }
    }
    return e;
}

const char *hab_read_audit_csv_header(apr_pool_t *p)
{
    return hab_audit_csv_header(p);
}

hab_err_t *hab_read_audit_export_entry(hab_ctx_t *ctx, long long seq, int csv, const char **text)
{
    hab_audit_entry_t entry;
    hab_err_t *e = hab_audit_entry_by_seq(ctx->store, ctx->p, (apr_int64_t)seq, &entry);
    if (e) return e;
    *text = csv ? hab_audit_csv_line(ctx->p, &entry)
                : hab_json_dump(ctx->p, hab_json_own(ctx->p, hab_audit_entry_json(&entry, 1)));
    return NULL;
}
