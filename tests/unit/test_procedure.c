/* The procedure of README "The procedure" through the core service (hab_service_run),
 * without httpd: a hand-built hab_ctx_t per request, a fresh SQLite store,
 * and a clock set by the test so every date is known in advance. */
#include <stdarg.h>
#include <stdio.h>
#include <ctype.h>
#include <string.h>

#include <apr_strings.h>

#include "habitual/domain/access.h"
#include "habitual/store/audit.h"
#include "habitual/domain/casefile.h"
#include "habitual/base/dates.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/letters.h"
#include "habitual/domain/procedure.h"
#include "habitual/domain/roles.h"
#include "habitual/domain/router.h"
#include "habitual/domain/service.h"
#include "habitual/store/schema.h"
#include "habitual/store/view_cache.h"
#include "unit.h"

/* ---- the people of the demo ---- */

#define STAFF HAB_ROLE_STAFF
#define CEM (HAB_ROLE_STAFF | HAB_ROLE_CEM)
#define CE (HAB_ROLE_STAFF | HAB_ROLE_CHIEF_EXECUTIVE)
#define MO (HAB_ROLE_STAFF | HAB_ROLE_MONITORING_OFFICER)
#define CO (HAB_ROLE_STAFF | HAB_ROLE_CHIEF_OFFICER)

static const unsigned char secret_bytes[] = "0123456789abcdef0123456789abcdef";
static const hab_secret_t secret = {secret_bytes, 32};

/* The store and the clock the requests share. */
typedef struct world {
    hab_store_t *s;
    const char *today;
    const char *now;
    long long now_seconds;
    int requests;
    hab_view_cache_t *views;   /* answers kept, as a server process keeps them; NULL: none */
    /* the last request's context, for what the step filled in */
    hab_ctx_t *ctx;
} world_t;

static void set_day(world_t *w, const char *date)
{
    ck_assert_msg(hab_valid_date(date), "bad test date %s", date);
    w->today = date;
    w->now = apr_pstrcat(test_pool, date, "T10:00:00Z", NULL);
    w->now_seconds = (long long)hab_date_to_days(date) * 86400 + 36000;
}

static world_t *new_world(const char *date)
{
    world_t *w = apr_pcalloc(test_pool, sizeof(*w));
    w->s = unit_fresh_store(test_pool);
    set_day(w, date);
    return w;
}

/* JSON written with single quotes (a real one is \u0027); owned by the pool. */
static json_t *J(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = apr_pvsprintf(test_pool, fmt, ap);
    va_end(ap);
    for (char *c = s; *c; c++)
        if (*c == '\'') *c = '"';
    json_error_t jerr;
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(j != NULL, "test JSON does not parse: %s: %s", s, jerr.text);
    return hab_json_own(test_pool, j);
}

/* The staff directory the steps ask about users named in bodies: it
 * knows every lower-case name, and "nobody" not; its id is the name in
 * lower case (as the LDAP port answers the directory's own spelling). */
static hab_dir_answer_t directory_find(void *baton, apr_pool_t *p, const char *name,
                                       const char **id, unsigned *roles)
{
    (void)baton;
    if (!strcmp(name, "nobody")) return HAB_DIR_NO;
    /* the monitoring officers of these tests: molly and mo-* */
    *roles = HAB_ROLE_STAFF | (strncasecmp(name, "mo", 2) == 0 ? HAB_ROLE_MONITORING_OFFICER : 0);
    char *lower = apr_pstrdup(p, name);
    for (char *c = lower; *c; c++) *c = (char)tolower((unsigned char)*c);
    *id = lower;
    return HAB_DIR_YES;
}
static const hab_user_finder_t directory = {NULL, directory_find};

/* One request through the service, as the glue would make it. */
static hab_err_t *run(world_t *w, const char *user, unsigned roles, hab_route_id_t route,
                      long long case_id, const char *arg, json_t *body, json_t *query,
                      hab_result_t *out)
{
    hab_ctx_t *ctx = apr_pcalloc(test_pool, sizeof(*ctx));
    ctx->p = test_pool;
    ctx->store = w->s;
    ctx->user = user;
    ctx->roles = roles;
    ctx->secret = &secret;
    ctx->now_seconds = w->now_seconds;
    ctx->now = w->now;
    ctx->today = w->today;
    ctx->appeal_days = 20;
    ctx->council_name = "Testshire Council";
    ctx->request_id = apr_psprintf(test_pool, "req-%d", ++w->requests);
    ctx->client = "192.0.2.7";
    ctx->users = &directory;
    ctx->review_grace_days = HAB_REVIEW_GRACE_DAYS_DEFAULT;
    ctx->views = w->views;
    w->ctx = ctx;
    hab_request_in_t in;
    memset(&in, 0, sizeof(in));
    in.route = route;
    in.case_id = case_id;
    in.arg = arg;
    in.body = body;
    in.query = query;
    return hab_service_run(ctx, &in, out);
}

/* ---- the store as a whole ---- */

static long long count_of(world_t *w, const char *table)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(w->s, test_pool, &r,
                               apr_psprintf(test_pool, "SELECT count(*) FROM \"%s\"", table), "");
    ck_assert_msg(e == NULL, "count %s: %s", table, e ? e->message : "");
    return hab_rows_int(r, 0, 0);
}

/* Every table but the access log: row counts, and every cell. */
typedef struct snapshot {
    const char *counts;
    const char *cells;
    long long log_rows;
} snapshot_t;

static snapshot_t snapshot(world_t *w)
{
    snapshot_t snap = {"", "", 0};
    hab_rows_t *t;
    hab_err_t *e =
        hab_store_q(w->s, test_pool, &t,
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", "");
    ck_assert_msg(e == NULL, "tables: %s", e ? e->message : "");
    ck_assert_int_gt(t->nrows, 20);
    for (int i = 0; i < t->nrows; i++) {
        const char *name = hab_rows_text(t, i, 0);
        long long n = count_of(w, name);
        if (!strcmp(name, "access_log")) {
            snap.log_rows = n;
            continue;
        }
        snap.counts = apr_psprintf(test_pool, "%s%s=%" APR_INT64_T_FMT " ", snap.counts, name,
                                   (apr_int64_t)n);
        hab_rows_t *r;
        e = hab_store_q(w->s, test_pool, &r,
                        apr_psprintf(test_pool, "SELECT * FROM \"%s\" ORDER BY rowid", name), "");
        ck_assert_msg(e == NULL, "dump %s: %s", name, e ? e->message : "");
        const char *cells = name;
        for (int k = 0; k < r->nrows * r->ncols; k++) {
            const char *v = r->cells[k];
            cells = apr_pstrcat(test_pool, cells, "|", v ? v : "\x01NULL", NULL);
        }
        snap.cells = apr_pstrcat(test_pool, snap.cells, cells, "\n", NULL);
    }
    return snap;
}

/* The newest access-log entry. */
typedef struct log_entry {
    const char *user, *roles, *acting_as, *action, *outcome, *request_id, *client;
    long long case_id;
    int status;
} log_entry_t;

static log_entry_t last_log(world_t *w)
{
    hab_rows_t *r;
    hab_err_t *e =
        hab_store_q(w->s, test_pool, &r,
                    "SELECT user, roles, acting_as, action, outcome, request_id, client, "
                    "case_id, status FROM access_log ORDER BY seq DESC LIMIT 1",
                    "");
    ck_assert_msg(e == NULL, "log: %s", e ? e->message : "");
    ck_assert_int_eq(r->nrows, 1);
    log_entry_t l = {hab_rows_text(r, 0, 0), hab_rows_text(r, 0, 1), hab_rows_text(r, 0, 2),
                     hab_rows_text(r, 0, 3), hab_rows_text(r, 0, 4), hab_rows_text(r, 0, 5),
                     hab_rows_text(r, 0, 6), hab_rows_int(r, 0, 7), (int)hab_rows_int(r, 0, 8)};
    return l;
}

static int is_decision(hab_route_id_t route)
{
    return route == HAB_ROUTE_DECIDE || route == HAB_ROUTE_REVIEW_DECIDE;
}

/* A step that must succeed with want_status; checks its one access-log
 * entry (action, user, roles, status, outcome, case, request id, client and,
 * outside decisions, no acting_as). */
static hab_result_t step_ok(world_t *w, const char *label, const char *user, unsigned roles,
                            hab_route_id_t route, long long case_id, json_t *body, int want_status)
{
    long long before = count_of(w, "access_log");
    hab_result_t out;
    hab_err_t *e = run(w, user, roles, route, case_id, NULL, body, NULL, &out);
    ck_assert_msg(e == NULL, "%s: refused %d %s: %s (field %s)", label, e ? e->status : 0,
                  e ? e->code : "", e ? e->message : "", e && e->field ? e->field : "-");
    ck_assert_msg(out.status == want_status, "%s: status %d, expected %d", label, out.status,
                  want_status);
    ck_assert_msg(count_of(w, "access_log") == before + 1, "%s: not exactly one log entry", label);
    log_entry_t l = last_log(w);
    const hab_route_def_t *def = hab_route_def(route);
    ck_assert_msg(!strcmp(l.action, def->action), "%s: logged action %s, expected %s", label,
                  l.action, def->action);
    ck_assert_msg(!strcmp(l.user, user), "%s: logged user %s", label, l.user);
    ck_assert_msg(!strcmp(l.roles, hab_roles_join(test_pool, roles)), "%s: logged roles %s", label,
                  l.roles);
    ck_assert_msg(l.status == want_status, "%s: logged status %d", label, l.status);
    ck_assert_msg(!strcmp(l.outcome, "allowed"), "%s: logged outcome %s", label, l.outcome);
    ck_assert_msg(!strcmp(l.request_id, w->ctx->request_id), "%s: logged request id %s", label,
                  l.request_id);
    ck_assert_msg(!strcmp(l.client, "192.0.2.7"), "%s: logged client %s", label, l.client);
    long long want_case = case_id;
    if (route == HAB_ROUTE_CASE_CREATE)
        want_case = json_integer_value(json_object_get(out.body, "id"));
    ck_assert_msg(l.case_id == want_case, "%s: logged case %" APR_INT64_T_FMT ", expected %"
                  APR_INT64_T_FMT, label, (apr_int64_t)l.case_id, (apr_int64_t)want_case);
    if (!is_decision(route))
        ck_assert_msg(l.acting_as == NULL, "%s: logged acting_as %s", label, l.acting_as);
    return out;
}

/* A step that must be refused with status and code, leaving every table as
 * it was but for exactly one access-log entry that records the refusal. */
static hab_err_t *step_refused(world_t *w, const char *label, const char *user, unsigned roles,
                               hab_route_id_t route, long long case_id, json_t *body,
                               int want_status, const char *want_code)
{
    snapshot_t before = snapshot(w);
    hab_result_t out;
    hab_err_t *e = run(w, user, roles, route, case_id, NULL, body, NULL, &out);
    ck_assert_msg(e != NULL, "%s: allowed (%d), expected %d %s", label, out.status, want_status,
                  want_code);
    ck_assert_msg(e->status == want_status && !strcmp(e->code, want_code),
                  "%s: refused %d %s (%s), expected %d %s", label, e->status, e->code, e->message,
                  want_status, want_code);
    snapshot_t after = snapshot(w);
    ck_assert_msg(!strcmp(before.counts, after.counts),
                  "%s: row counts changed:\n before %s\n after  %s", label, before.counts,
                  after.counts);
    ck_assert_msg(!strcmp(before.cells, after.cells), "%s: a refused step changed stored data",
                  label);
    ck_assert_msg(after.log_rows == before.log_rows + 1, "%s: %" APR_INT64_T_FMT
                  " new log entries, expected 1", label,
                  (apr_int64_t)(after.log_rows - before.log_rows));
    log_entry_t l = last_log(w);
    ck_assert_msg(!strcmp(l.outcome, want_status >= 500 ? "error" : "refused"),
                  "%s: logged outcome %s", label, l.outcome);
    ck_assert_msg(l.status == want_status, "%s: logged status %d", label, l.status);
    ck_assert_msg(!strcmp(l.action, hab_route_def(route)->action), "%s: logged action %s", label,
                  l.action);
    ck_assert_msg(!strcmp(l.user, user), "%s: logged user %s", label, l.user);
    ck_assert_msg(l.case_id == case_id, "%s: logged case %" APR_INT64_T_FMT, label,
                  (apr_int64_t)l.case_id);
    return e;
}

static long long id_of(const hab_result_t *out)
{
    return json_integer_value(json_object_get(out->body, "id"));
}

static const char *str_of(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "(none)";
}

#define ASSERT_STATUS(out, want) ck_assert_str_eq(str_of((out).body, "status"), want)

static hab_case_t *load(world_t *w, long long id, const char *today)
{
    hab_case_t *c = NULL;
    hab_err_t *e = hab_case_load(w->s, test_pool, id, today, &c);
    ck_assert_msg(e == NULL, "load: %s", e ? e->message : "");
    ck_assert_ptr_nonnull(c);
    return c;
}

static hab_rows_t *rows(world_t *w, const char *sql, long long id)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(w->s, test_pool, &r, sql, "i", id);
    ck_assert_msg(e == NULL, "%s: %s", sql, e ? e->message : "");
    return r;
}

static int contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

/* ---- bodies ---- */

static json_t *concern(const char *reference, const char *criteria, const char *extra)
{
    return J(
        "{'person':{'name':'Pat Example','reference':'%s','address':'1 High Street'},"
        "'department':'Housing','summary':'Calls many times a day',"
        "'measures_taken':'Single point of contact offered','complaints_procedure':'exhausted',"
        "'criteria':[%s]%s}",
        reference, criteria, extra ? extra : "");
}

static json_t *warning_body(const char *on)
{
    return J("{'on':'%s','method':'letter','text':'Please limit calls to one a day.'}", on);
}

static json_t *report_body(const char *restrictions, int months, const char *extra)
{
    return J("{'behaviour':'Daily abusive calls to three departments','restrictions':%s,"
             "'period_months':%d,'alternatives_considered':'A behaviour agreement alone'%s}",
             restrictions, months, extra ? extra : "");
}

static json_t *approve_body(void)
{
    return J("{'outcome':'approve','justified':true,'proportionate':true,"
             "'reasons':'Repeated abusive calls despite a warning'}");
}

#define DECLINE_PHONE "[{'type':'decline-channels','channels':['phone']}," \
                      "{'type':'behaviour-agreement','terms':'One call a week'}]"

/* raise (alice) -> warn -> report (carol): a reported case. */
/* R19: the behaviour continued after the warning */
static void contact_since_warning(world_t *w, long long id)
{
    step_ok(
        w, "contact since the warning", "carol", CEM, HAB_ROUTE_CONTACT_ADD, id,
        J("{'at':'%s','channel':'phone','direction':'inbound','summary':'Called again'}", w->today),
        201);
}

static long long reported_case(world_t *w, const char *referrer, unsigned referrer_roles,
                               const char *reference)
{
    hab_result_t out = step_ok(w, "raise", referrer, referrer_roles, HAB_ROUTE_CASE_CREATE, 0,
                               concern(reference, "'excessive-contact'", NULL), 201);
    long long id = id_of(&out);
    step_ok(w, "warn", "carol", CEM, HAB_ROUTE_WARN, id, warning_body(w->today), 200);
    contact_since_warning(w, id);
    contact_since_warning(w, id);
    step_ok(w, "report", "carol", CEM, HAB_ROUTE_REPORT, id, report_body(DECLINE_PHONE, 6, NULL),
            200);
    return id;
}

/* ... and approved by the chief executive: an active case. */
static long long active_case(world_t *w, const char *referrer, unsigned referrer_roles,
                             const char *reference)
{
    long long id = reported_case(w, referrer, referrer_roles, reference);
    hab_result_t out = step_ok(w, "decide", "chris", CE, HAB_ROUTE_DECIDE, id, approve_body(), 200);
    ASSERT_STATUS(out, "active");
    return id;
}

static void audit_sound(world_t *w)
{
    hab_audit_verdict_t v;
    hab_err_t *e = hab_audit_verify(w->s, test_pool, &v);
    ck_assert_msg(e == NULL, "verify: %s", e ? e->message : "");
    ck_assert_msg(v.ok, "audit chain broken at %" APR_INT64_T_FMT ": %s",
                  (apr_int64_t)v.first_bad_seq, v.problem ? v.problem : "");
    ck_assert_int_eq(v.entries, count_of(w, "access_log"));
    ck_assert_int_eq(v.entries, w->requests);
}

/* ---- the whole walk ---- */

START_TEST(walk_raise_to_review_continue_then_lapse)
{
    world_t *w = new_world("2026-03-02"); /* a Monday */

    /* raise: any staff member; the copy list, representative and advocate */
    hab_result_t out = step_ok(
        w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
        concern("CUST-001", "'swearing','excessive-contact'",
                ",'exclusion':'none','representative':{'name':'Rita Rep','address':'2 Low Road'},"
                "'advocate':{'name':'Andy Advocate'},'copy_to':[{'name':'Mary MP','role':'MP'}]"),
        201);
    ASSERT_STATUS(out, "referred");
    long long id = id_of(&out);
    ck_assert_int_gt(id, 0);
    ck_assert_int_eq(w->ctx->created_case_id, id);
    hab_case_t *c = load(w, id, w->today);
    ck_assert_str_eq(c->status, "referred");
    ck_assert_str_eq(c->referred_by, "alice");
    ck_assert_str_eq(c->referred_at, "2026-03-02T10:00:00Z");
    ck_assert_str_eq(str_of(c->person, "name"), "Pat Example");
    ck_assert_str_eq(str_of(c->person, "reference"), "CUST-001");
    ck_assert_str_eq(hab_json_dump(test_pool, c->criteria), "[\"excessive-contact\",\"swearing\"]");
    ck_assert_str_eq(c->complaints_procedure, "exhausted");
    ck_assert_int_eq(json_array_size(c->restrictions), 0);
    ck_assert_int_eq(c->violence, 0);
    ck_assert_int_eq(count_of(w, "persons"), 1);

    /* the referrer adds to the chronology */
    set_day(w, "2026-03-03");
    out = step_ok(w, "contact", "alice", STAFF, HAB_ROUTE_CONTACT_ADD, id,
                  J("{'at':'2026-03-03T09:15:00Z','channel':'phone','direction':'inbound',"
                    "'summary':'Shouted at the officer','incidents':['swearing','abuse']}"), 201);
    ASSERT_STATUS(out, "referred");
    ck_assert_int_gt(json_integer_value(json_object_get(out.body, "contact_id")), 0);
    c = load(w, id, w->today);
    ck_assert_int_eq(json_array_size(c->contacts), 1);
    ck_assert_str_eq(
        hab_json_dump(test_pool, json_object_get(json_array_get(c->contacts, 0), "incidents")),
        "[\"abuse\",\"swearing\"]");
    ck_assert_int_eq(c->violence, 0);
    ck_assert_int_eq(json_array_size(c->restrictions), 0);

    /* warn: the CEM; a warning letter, copied */
    set_day(w, "2026-03-04");
    out = step_ok(w, "warn", "carol", CEM, HAB_ROUTE_WARN, id, warning_body("2026-03-04"), 200);
    contact_since_warning(w, id);
    ASSERT_STATUS(out, "warned");
    c = load(w, id, w->today);
    ck_assert_str_eq(c->status, "warned");
    ck_assert_str_eq(str_of(c->warning, "on"), "2026-03-04");
    ck_assert_str_eq(str_of(c->warning, "method"), "letter");
    hab_rows_t *r = rows(w,
                         "SELECT number, kind, issued_by, issued_at, copied_to, body FROM letters "
                         "WHERE case_id = ? ORDER BY number",
                         id);
    ck_assert_int_eq(r->nrows, 1);
    ck_assert_str_eq(hab_rows_text(r, 0, 0), "1");
    ck_assert_str_eq(hab_rows_text(r, 0, 1), "warning");
    ck_assert_str_eq(hab_rows_text(r, 0, 2), "carol");
    ck_assert_str_eq(hab_rows_text(r, 0, 3), "2026-03-04T10:00:00Z");
    ck_assert_str_eq(hab_rows_text(r, 0, 4), "[\"Mary MP (MP)\",\"Rita Rep "
                                             "(representative)\",\"Andy Advocate (advocate)\"]");
    ck_assert(contains(hab_rows_text(r, 0, 5), "Please limit calls to one a day."));

    /* report: the CEM proposes restrictions for six months */
    set_day(w, "2026-03-16");
    out = step_ok(w, "report", "carol", CEM, HAB_ROUTE_REPORT, id,
                  report_body(DECLINE_PHONE, 6, NULL), 200);
    ASSERT_STATUS(out, "reported");
    c = load(w, id, w->today);
    ck_assert_str_eq(c->status, "reported");
    ck_assert_str_eq(c->report_author, "carol");
    ck_assert_int_eq(c->action_without_notice, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(c->report, "period_months")), 6);
    ck_assert_int_eq(json_array_size(json_object_get(c->report, "restrictions")), 2);
    ck_assert_int_eq(json_array_size(c->restrictions), 0); /* proposed, not in force */
    ck_assert_int_eq(count_of(w, "notifications"), 0);

    /* decide: the chief executive approves on Friday 20 March 2026 */
    set_day(w, "2026-03-20");
    out = step_ok(w, "decide", "chris", CE, HAB_ROUTE_DECIDE, id, approve_body(), 200);
    ASSERT_STATUS(out, "active");
    ck_assert_str_eq(str_of(out.body, "acting_as"), "chief-executive");
    ck_assert(json_is_false(json_object_get(out.body, "deputising")));
    log_entry_t l = last_log(w);
    ck_assert_str_eq(l.acting_as, "chief-executive");
    c = load(w, id, w->today);
    ck_assert_str_eq(c->status, "active");
    ck_assert_str_eq(str_of(c->decision, "outcome"), "approve");
    ck_assert_str_eq(str_of(c->decision, "decided_by"), "chris");
    ck_assert_str_eq(str_of(c->decision, "acting_as"), "chief-executive");
    ck_assert(json_is_false(json_object_get(c->decision, "deputising")));
    ck_assert_str_eq(str_of(c->decision, "start"), "2026-03-20");
    /* R9: six months from 20 March ends 19 September; review then */
    ck_assert_str_eq(c->period_start, "2026-03-20");
    ck_assert_str_eq(c->period_end, "2026-09-19");
    ck_assert_int_eq(c->period_months, 6);
    ck_assert_str_eq(c->review_due, "2026-09-19");
    ck_assert_int_eq(json_array_size(c->restrictions), 2);
    ck_assert_int_eq(c->interim, 0);
    ck_assert_str_eq(str_of(json_array_get(c->restrictions, 0), "type"), "decline-channels");
    ck_assert_str_eq(str_of(json_array_get(c->restrictions, 1), "type"), "behaviour-agreement");
    /* R11: the decision letter, every part, the appeal deadline after Easter */
    r = rows(w, "SELECT number, kind, issued_by, body, copied_to FROM letters WHERE case_id = ? "
                "ORDER BY number", id);
    ck_assert_int_eq(r->nrows, 2);
    ck_assert_str_eq(hab_rows_text(r, 1, 0), "2");
    ck_assert_str_eq(hab_rows_text(r, 1, 1), "decision");
    ck_assert_str_eq(hab_rows_text(r, 1, 2), "chris");
    const char *body = hab_rows_text(r, 1, 3);
    for (const char *const *part = hab_letter_required_parts; *part; part++)
        ck_assert_msg(contains(body, *part), "decision letter lacks %s", *part);
    ck_assert_msg(contains(body, "Repeated abusive calls despite a warning"), "reasons: %s", body);
    ck_assert_msg(contains(body, "The council will not accept contact from you by telephone."),
                  "%s", body);
    ck_assert_msg(contains(body, "20 March 2026") && contains(body, "19 September 2026"), "%s",
                  body);
    ck_assert_msg(contains(body,
                           "You can still contact the council by: letter, email, in person, fax "
                           "and online forms."),
                  "open ways: %s", body);
    ck_assert_msg(contains(body, "20 working days, by 21 April 2026"), "appeal deadline: %s", body);
    ck_assert_msg(contains(body, "Local Government and Social Care Ombudsman"), "%s", body);
    ck_assert_msg(contains(body, "Chief Executive"), "%s", body);
    ck_assert_msg(contains(body, "Mary MP (MP)") && contains(body, "Rita Rep (representative)"),
                  "%s", body);
    ck_assert_str_eq(hab_rows_text(r, 1, 4), "[\"Mary MP (MP)\",\"Rita Rep "
                                             "(representative)\",\"Andy Advocate (advocate)\"]");
    /* R12: chief officers told */
    r = rows(
        w, "SELECT event, created_at, created_by FROM notifications WHERE case_id = ? ORDER BY id",
        id);
    ck_assert_int_eq(r->nrows, 1);
    ck_assert_str_eq(hab_rows_text(r, 0, 0), "approved");
    ck_assert_str_eq(hab_rows_text(r, 0, 1), "2026-03-20T10:00:00Z");
    ck_assert_str_eq(hab_rows_text(r, 0, 2), "chris");
    hab_result_t seen;
    ck_assert_ptr_null(run(w, "olive", CO, HAB_ROUTE_NOTIFICATIONS, 0, NULL, NULL, NULL, &seen));
    json_t *list = json_object_get(seen.body, "notifications");
    ck_assert_int_eq(json_array_size(list), 1);
    ck_assert_str_eq(str_of(json_array_get(list, 0), "event"), "approved");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(list, 0), "case_id")), id);

    /* the referrer now sees only the status */
    ck_assert_ptr_null(run(w, "alice", STAFF, HAB_ROUTE_CASE_READ, id, NULL, NULL, NULL, &seen));
    ck_assert_str_eq(str_of(seen.body, "status"), "active");
    ck_assert_ptr_null(json_object_get(seen.body, "summary"));

    /* review: the CEM with the monitoring officer, before the review date */
    set_day(w, "2026-09-01");
    out = step_ok(w, "review", "carol", CEM, HAB_ROUTE_REVIEW, id,
                  J("{'recommendation':'continue','report':'Calls reduced but abuse continues',"
                    "'monitoring_officer':'molly'}"), 200);
    ASSERT_STATUS(out, "active");
    c = load(w, id, w->today);
    ck_assert_int_gt(c->pending_review_id, 0);
    ck_assert_str_eq(c->pending_review_mo, "molly");
    step_refused(w, "second review while one is pending", "carol", CEM, HAB_ROUTE_REVIEW, id,
                 J("{'recommendation':'remove','report':'x','monitoring_officer':'molly'}"), 409,
                 "wrong-state");

    /* the chief executive is away: the CEM records the absence */
    set_day(w, "2026-09-07");
    out = step_ok(w, "absence", "carol", CEM, HAB_ROUTE_ABSENCE_ADD, 0,
                  J("{'from':'2026-09-07','to':'2026-09-11','note':'Annual leave'}"), 201);
    ck_assert_str_eq(str_of(out.body, "from"), "2026-09-07");

    /* review decision: the monitoring officer who joined the review may not
     * decide it (R5); another monitoring officer deputises (R4) */
    set_day(w, "2026-09-08");
    step_refused(
        w, "review decision by the MO who joined the review", "molly", MO, HAB_ROUTE_REVIEW_DECIDE,
        id,
        J("{'outcome':'continue','justified':true,'proportionate':true,'reasons':'Still needed'}"),
        422, "conflict-of-interest");
    out = step_ok(
        w, "review decision", "mona", MO, HAB_ROUTE_REVIEW_DECIDE, id,
        J("{'outcome':'continue','justified':true,'proportionate':true,'reasons':'Still needed'}"),
        200);
    ASSERT_STATUS(out, "active");
    ck_assert_str_eq(str_of(out.body, "acting_as"), "monitoring-officer");
    ck_assert(json_is_true(json_object_get(out.body, "deputising")));
    l = last_log(w);
    ck_assert_str_eq(l.acting_as, "monitoring-officer");
    c = load(w, id, w->today);
    ck_assert_str_eq(c->status, "active");
    ck_assert_int_eq(c->pending_review_id, 0);
    json_t *rd = json_object_get(json_array_get(c->reviews, 0), "decision");
    ck_assert_str_eq(str_of(rd, "outcome"), "continue");
    ck_assert_str_eq(str_of(rd, "decided_by"), "mona");
    ck_assert_str_eq(str_of(rd, "acting_as"), "monitoring-officer");
    ck_assert(json_is_true(json_object_get(rd, "deputising")));
    /* R9: a new period from the day decided, the previous period's length */
    ck_assert_str_eq(c->period_start, "2026-09-08");
    ck_assert_int_eq(c->period_months, 6);
    ck_assert_str_eq(c->period_end, "2027-03-07");
    ck_assert_str_eq(c->review_due, "2027-03-07");
    ck_assert_int_eq(json_array_size(c->restrictions), 2);
    ck_assert_int_eq(count_of(w, "periods"), 2);
    r = rows(w, "SELECT number, kind, body FROM letters WHERE case_id = ? ORDER BY number", id);
    ck_assert_int_eq(r->nrows, 3);
    ck_assert_str_eq(hab_rows_text(r, 2, 1), "review-outcome");
    body = hab_rows_text(r, 2, 2);
    for (const char *const *part = hab_letter_required_parts; *part; part++)
        ck_assert_msg(contains(body, *part), "review letter lacks %s", *part);
    ck_assert_msg(contains(body, "8 September 2026") && contains(body, "7 March 2027"), "%s", body);
    ck_assert_msg(
        contains(body, "Monitoring Officer, deciding in the absence of the Chief Executive"), "%s",
        body);
    r = rows(w, "SELECT event, created_at FROM notifications WHERE case_id = ? ORDER BY id", id);
    ck_assert_int_eq(r->nrows, 2);
    ck_assert_str_eq(hab_rows_text(r, 1, 0), "continued");
    ck_assert_str_eq(hab_rows_text(r, 1, 1), "2026-09-08T10:00:00Z");

    /* lapse: the period's last day is in force; the day after it is over */
    c = load(w, id, "2027-03-07");
    ck_assert_str_eq(c->status, "active");
    ck_assert_int_eq(c->lapsed, 0);
    ck_assert_int_eq(json_array_size(c->restrictions), 2);
    c = load(w, id, "2027-03-08");
    ck_assert_str_eq(c->status, "ended");
    ck_assert_str_eq(c->stored_status, "active");
    ck_assert_int_eq(c->lapsed, 1);
    ck_assert_str_eq(c->end_reason, "lapsed");
    ck_assert_int_eq(json_array_size(c->restrictions), 0);
    /* and it reads so everywhere */
    set_day(w, "2027-03-08");
    ck_assert_ptr_null(run(w, "carol", CEM, HAB_ROUTE_CASE_READ, id, NULL, NULL, NULL, &seen));
    ck_assert_str_eq(str_of(seen.body, "status"), "ended");
    ck_assert_str_eq(str_of(seen.body, "end_reason"), "lapsed");
    ck_assert(json_is_null(json_object_get(seen.body, "review_due")));
    ck_assert_int_eq(json_array_size(json_object_get(seen.body, "restrictions")), 0);
    ck_assert_ptr_null(run(w, "olive", CO, HAB_ROUTE_NOTIFICATIONS, 0, NULL, NULL, NULL, &seen));
    list = json_object_get(seen.body, "notifications");
    ck_assert_int_eq(json_array_size(list), 3);
    ck_assert_str_eq(str_of(json_array_get(list, 0), "event"), "lapsed");
    ck_assert_str_eq(str_of(json_array_get(list, 0), "at"), "2027-03-08T00:00:00Z");
    ck_assert_ptr_null(run(w, "olive", CO, HAB_ROUTE_NOTICES, 0, NULL, NULL, NULL, &seen));
    ck_assert_int_eq(json_array_size(json_object_get(seen.body, "notices")), 0);
    step_refused(w, "review of a lapsed case", "carol", CEM, HAB_ROUTE_REVIEW, id,
                 J("{'recommendation':'continue','report':'x','monitoring_officer':'molly'}"), 409,
                 "wrong-state");

    audit_sound(w);
}
END_TEST

/* ---- a deputised decision ---- */

START_TEST(deputised_decision_needs_a_recorded_absence)
{
    world_t *w = new_world("2026-03-02");
    long long id = reported_case(w, "alice", STAFF, "CUST-002");
    json_t *approve = approve_body();
    step_refused(w, "MO decides with no absence", "molly", MO, HAB_ROUTE_DECIDE, id, approve, 422,
                 "not-deputising");
    /* an absence that does not cover today */
    step_ok(w, "absence elsewhere", "chris", CE, HAB_ROUTE_ABSENCE_ADD, 0,
            J("{'from':'2026-04-01','to':'2026-04-03'}"), 201);
    step_refused(w, "MO decides outside the absence", "molly", MO, HAB_ROUTE_DECIDE, id, approve,
                 422, "not-deputising");
    /* the CEM and others may not decide at all */
    step_refused(w, "CEM decides", "carol", CEM, HAB_ROUTE_DECIDE, id, approve, 403, "forbidden");
    /* a chief officer cannot even see a case with nothing in force: 404 first */
    step_refused(w, "chief officer decides", "olive", CO, HAB_ROUTE_DECIDE, id, approve, 404,
                 "not-found");
    /* an absence covering today (its last day) */
    step_ok(w, "absence", "carol", CEM, HAB_ROUTE_ABSENCE_ADD, 0,
            J("{'from':'2026-02-27','to':'2026-03-02','note':'Conference'}"), 201);
    hab_result_t out =
        step_ok(w, "deputised decision", "molly", MO, HAB_ROUTE_DECIDE, id, approve, 200);
    ASSERT_STATUS(out, "active");
    ck_assert_str_eq(str_of(out.body, "acting_as"), "monitoring-officer");
    ck_assert(json_is_true(json_object_get(out.body, "deputising")));
    log_entry_t l = last_log(w);
    ck_assert_str_eq(l.acting_as, "monitoring-officer");
    hab_case_t *c = load(w, id, w->today);
    ck_assert_str_eq(str_of(c->decision, "decided_by"), "molly");
    ck_assert_str_eq(str_of(c->decision, "acting_as"), "monitoring-officer");
    ck_assert(json_is_true(json_object_get(c->decision, "deputising")));
    hab_rows_t *r = rows(w, "SELECT acting_as, deputising FROM decisions WHERE case_id = ?", id);
    ck_assert_str_eq(hab_rows_text(r, 0, 0), "monitoring-officer");
    ck_assert_str_eq(hab_rows_text(r, 0, 1), "1");
    r = rows(w, "SELECT body FROM letters WHERE case_id = ? AND kind = 'decision'", id);
    ck_assert_int_eq(r->nrows, 1);
    ck_assert(contains(hab_rows_text(r, 0, 0),
                       "Monitoring Officer, deciding in the absence of the Chief Executive"));
    audit_sound(w);
}
END_TEST

START_TEST(both_roles_decide_as_chief_executive_during_absence)
{
    world_t *w = new_world("2026-03-02");
    long long id = reported_case(w, "alice", STAFF, "CUST-003");
    step_ok(w, "absence", "carol", CEM, HAB_ROUTE_ABSENCE_ADD, 0,
            J("{'from':'2026-03-01','to':'2026-03-31'}"), 201);
    hab_result_t out =
        step_ok(w, "decide", "cmo", CE | MO, HAB_ROUTE_DECIDE, id, approve_body(), 200);
    ck_assert_str_eq(str_of(out.body, "acting_as"), "chief-executive");
    ck_assert(json_is_false(json_object_get(out.body, "deputising")));
    ck_assert_str_eq(last_log(w).acting_as, "chief-executive");
}
END_TEST

/* ---- an appeal quashed ---- */

START_TEST(appeal_quashed_by_an_uninvolved_chief_officer)
{
    world_t *w = new_world("2026-03-02");
    /* the referrer is a chief officer too: she may not hear the appeal */
    long long id =
        active_case(w, "dana", STAFF | HAB_ROLE_CHIEF_OFFICER | HAB_ROLE_AUDITOR, "CUST-004");
    step_refused(w, "appeal decision with no appeal", "olive", CO, HAB_ROUTE_APPEAL_DECIDE, id,
                 J("{'outcome':'quash','reasons':'x'}"), 409, "wrong-state");
    set_day(w, "2026-03-09");
    step_refused(w, "appeal received in the future", "carol", CEM, HAB_ROUTE_APPEAL, id,
                 J("{'received':'2026-03-10','grounds':'Unfair'}"), 400, "invalid-field");
    hab_result_t out =
        step_ok(w, "appeal", "carol", CEM, HAB_ROUTE_APPEAL, id,
                J("{'received':'2026-03-06','grounds':'The restrictions are unfair'}"), 200);
    ASSERT_STATUS(out, "active");
    step_refused(w, "second appeal", "carol", CEM, HAB_ROUTE_APPEAL, id,
                 J("{'received':'2026-03-09','grounds':'Again'}"), 409, "wrong-state");
    json_t *quash = J("{'outcome':'quash','reasons':'Not proportionate to the calls recorded'}");
    step_refused(w, "appeal decided by the CEM", "carol", CEM, HAB_ROUTE_APPEAL_DECIDE, id, quash,
                 403, "forbidden");
    step_refused(w, "appeal decided by the referrer", "dana",
                 STAFF | HAB_ROLE_CHIEF_OFFICER | HAB_ROLE_AUDITOR, HAB_ROUTE_APPEAL_DECIDE, id,
                 quash, 422, "conflict-of-interest");
    step_refused(w, "appeal decision body unknown field", "olive", CO, HAB_ROUTE_APPEAL_DECIDE, id,
                 J("{'outcome':'quash','reasons':'x','by':'me'}"), 400, "unknown-field");
    set_day(w, "2026-03-16");
    out = step_ok(w, "appeal decision", "olive", CO, HAB_ROUTE_APPEAL_DECIDE, id, quash, 200);
    ASSERT_STATUS(out, "ended");
    hab_case_t *c = load(w, id, w->today);
    ck_assert_str_eq(c->status, "ended");
    ck_assert_str_eq(c->end_reason, "quashed");
    ck_assert_int_eq(json_array_size(c->restrictions), 0);
    ck_assert_int_eq(c->pending_appeal_id, 0);
    json_t *ad = json_object_get(json_array_get(c->appeals, 0), "decision");
    ck_assert_str_eq(str_of(ad, "outcome"), "quash");
    ck_assert_str_eq(str_of(ad, "decided_by"), "olive");
    hab_rows_t *r =
        rows(w, "SELECT count(*) FROM restrictions WHERE case_id = ? AND lifted_at IS NULL", id);
    ck_assert_int_eq(hab_rows_int(r, 0, 0), 0);
    r = rows(w, "SELECT kind, body FROM letters WHERE case_id = ? ORDER BY number", id);
    ck_assert_int_eq(r->nrows, 3);
    ck_assert_str_eq(hab_rows_text(r, 2, 0), "appeal-outcome");
    ck_assert(contains(hab_rows_text(r, 2, 1), "Not proportionate to the calls recorded"));
    r = rows(w, "SELECT event FROM notifications WHERE case_id = ? ORDER BY id", id);
    ck_assert_int_eq(r->nrows, 2);
    ck_assert_str_eq(hab_rows_text(r, 0, 0), "approved");
    ck_assert_str_eq(hab_rows_text(r, 1, 0), "quashed");
    /* ended: it never lapses, and nothing more happens to it */
    c = load(w, id, "2027-06-01");
    ck_assert_str_eq(c->status, "ended");
    ck_assert_str_eq(c->end_reason, "quashed");
    step_refused(w, "appeal on an ended case", "carol", CEM, HAB_ROUTE_APPEAL, id,
                 J("{'received':'2026-03-16','grounds':'Again'}"), 409, "wrong-state");
    audit_sound(w);
}
END_TEST

/* ---- review: vary and remove; appeal: uphold ---- */

/* Approved by the deputising monitoring officer, so that the chief
 * executive (not involved) decides the review. */
static long long active_by_deputy(world_t *w, const char *reference)
{
    long long id = reported_case(w, "alice", STAFF, reference);
    step_ok(w, "absence", "carol", CEM, HAB_ROUTE_ABSENCE_ADD, 0,
            J("{'from':'%s','to':'%s'}", w->today, w->today), 201);
    step_ok(w, "deputised decision", "molly", MO, HAB_ROUTE_DECIDE, id, approve_body(), 200);
    return id;
}

START_TEST(review_vary_then_appeal_upheld)
{
    world_t *w = new_world("2026-03-02");
    long long id = active_by_deputy(w, "CUST-070");
    set_day(w, "2026-08-20");
    step_ok(w, "review", "carol", CEM, HAB_ROUTE_REVIEW, id,
            J("{'recommendation':'vary','report':'Phone abuse stopped; visits "
              "now','monitoring_officer':'mona'}"),
            200);
    /* within the first period, which ends 1 September 2026 */
    set_day(w, "2026-08-27");
    step_refused(w, "vary without restrictions", "chris", CE, HAB_ROUTE_REVIEW_DECIDE, id,
                 J("{'outcome':'vary','justified':true,'proportionate':true,'reasons':'r'}"), 422,
                 "missing-field");
    step_refused(w, "vary closing every door", "chris", CE, HAB_ROUTE_REVIEW_DECIDE, id,
                 J("{'outcome':'vary','justified':true,'proportionate':true,'reasons':'r','"
                   "restrictions':[{'type':'written-only'},"
                   "{'type':'decline-channels','channels':['letter','email','fax','online']}]}"),
                 422, "no-open-channel");
    step_refused(w, "vary with a bad restriction", "chris", CE, HAB_ROUTE_REVIEW_DECIDE, id,
                 J("{'outcome':'vary','justified':true,'proportionate':true,'reasons':'r','"
                   "restrictions':[{'type':'written-only','x':1}]}"),
                 400, "unknown-field");
    step_refused(w, "review decision period of 61 months", "chris", CE, HAB_ROUTE_REVIEW_DECIDE, id,
                 J("{'outcome':'continue','justified':true,'proportionate':true,'reasons':'r','"
                   "period_months':61}"),
                 400, "invalid-field");
    hab_result_t out = step_ok(w, "vary", "chris", CE, HAB_ROUTE_REVIEW_DECIDE, id,
                               J("{'outcome':'vary','justified':true,'proportionate':true,'reasons'"
                                 ":'Visits instead of calls',"
                                 "'period_months':12,'restrictions':[{'type':'building-ban',"
                                 "'buildings':['all']}]}"),
                               200);
    ASSERT_STATUS(out, "active");
    ck_assert_str_eq(str_of(out.body, "acting_as"), "chief-executive");
    ck_assert_str_eq(last_log(w).acting_as, "chief-executive");
    hab_case_t *c = load(w, id, w->today);
    ck_assert_int_eq(json_array_size(c->restrictions), 1);
    ck_assert_str_eq(str_of(json_array_get(c->restrictions, 0), "type"), "building-ban");
    ck_assert_str_eq(c->period_start, "2026-08-27");
    ck_assert_int_eq(c->period_months, 12);
    ck_assert_str_eq(c->period_end, "2027-08-26");
    ck_assert_str_eq(c->review_due, "2027-08-26");
    hab_rows_t *r = rows(w, "SELECT event FROM notifications WHERE case_id = ? ORDER BY id", id);
    ck_assert_int_eq(r->nrows, 2);
    ck_assert_str_eq(hab_rows_text(r, 1, 0), "varied");
    /* appeal: upheld by a chief officer not involved; a letter, no notification */
    step_ok(w, "appeal", "carol", CEM, HAB_ROUTE_APPEAL, id,
            J("{'received':'2026-08-27','grounds':'I need to visit the library'}"), 200);
    set_day(w, "2026-08-31");
    out = step_ok(w, "uphold", "oscar", CO, HAB_ROUTE_APPEAL_DECIDE, id,
                  J("{'outcome':'uphold','reasons':'Other buildings remain in reach by letter'}"),
                  200);
    ASSERT_STATUS(out, "active");
    c = load(w, id, w->today);
    ck_assert_str_eq(c->status, "active");
    ck_assert_int_eq(json_array_size(c->restrictions), 1);
    ck_assert_int_eq(count_of(w, "notifications"), 2);
    r = rows(w, "SELECT kind, body FROM letters WHERE case_id = ? ORDER BY number", id);
    ck_assert_int_eq(r->nrows, 4); /* warning, decision, review outcome, appeal outcome */
    ck_assert_str_eq(hab_rows_text(r, 2, 0), "review-outcome");
    ck_assert_str_eq(hab_rows_text(r, 3, 0), "appeal-outcome");
    ck_assert(contains(hab_rows_text(r, 3, 1), "Other buildings remain in reach by letter"));
    ck_assert(contains(hab_rows_text(r, 3, 1), "Local Government and Social Care Ombudsman"));
    audit_sound(w);
}
END_TEST

START_TEST(review_remove_ends_the_designation)
{
    world_t *w = new_world("2026-03-02");
    long long id = active_by_deputy(w, "CUST-071");
    set_day(w, "2026-08-03");
    step_ok(w, "review", "carol", CEM, HAB_ROUTE_REVIEW, id,
            J("{'recommendation':'remove','report':'No contact for "
              "months','monitoring_officer':'mona'}"),
            200);
    step_refused(w, "review decision by the CEM", "carol", CEM, HAB_ROUTE_REVIEW_DECIDE, id,
                 J("{'outcome':'remove','reasons':'r'}"), 403, "forbidden");
    step_refused(w, "review decision without reasons", "chris", CE, HAB_ROUTE_REVIEW_DECIDE, id,
                 J("{'outcome':'remove'}"), 422, "missing-field");
    hab_result_t out = step_ok(w, "remove", "chris", CE, HAB_ROUTE_REVIEW_DECIDE, id,
                               J("{'outcome':'remove','reasons':'Behaviour has changed'}"), 200);
    ASSERT_STATUS(out, "ended");
    hab_case_t *c = load(w, id, w->today);
    ck_assert_str_eq(c->status, "ended");
    ck_assert_str_eq(c->end_reason, "removed");
    ck_assert_int_eq(json_array_size(c->restrictions), 0);
    hab_rows_t *r = rows(w, "SELECT event FROM notifications WHERE case_id = ? ORDER BY id", id);
    ck_assert_int_eq(r->nrows, 2);
    ck_assert_str_eq(hab_rows_text(r, 1, 0), "removed");
    r = rows(w, "SELECT kind FROM letters WHERE case_id = ? ORDER BY number", id);
    ck_assert_int_eq(r->nrows, 3);
    ck_assert_str_eq(hab_rows_text(r, 2, 0), "review-outcome");
    step_refused(w, "review after removal", "carol", CEM, HAB_ROUTE_REVIEW, id,
                 J("{'recommendation':'continue','report':'x','monitoring_officer':'mona'}"), 409,
                 "wrong-state");
    audit_sound(w);
}
END_TEST

/* ---- refusals leave nothing behind but their log entry ---- */

START_TEST(raise_refusals)
{
    world_t *w = new_world("2026-03-02");
    /* someone with no staff role */
    step_refused(w, "auditor-only raises", "aud", HAB_ROLE_AUDITOR, HAB_ROUTE_CASE_CREATE, 0,
                 concern("CUST-010", "'vexatious'", NULL), 403, "forbidden");
    /* R1, asked first: even a body that is otherwise incomplete */
    hab_err_t *e = step_refused(w, "R1 foi-dpa", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                                J("{'exclusion':'foi-dpa'}"), 422, "excluded-foi-dpa");
    ck_assert(contains(e->message, "information governance manager"));
    step_refused(w, "R1 legal-action", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                 concern("CUST-010", "'vexatious'", ",'exclusion':'legal-action'"), 422,
                 "excluded-other-process");
    step_refused(w, "R1 housing-aggression", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                 concern("CUST-010", "'vexatious'", ",'exclusion':'housing-aggression'"), 422,
                 "excluded-other-process");
    /* R2 */
    e = step_refused(
        w, "R2 no measures", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
        J("{'person':{'name':'Pat','reference':'CUST-010'},'department':'Housing',"
          "'summary':'s','complaints_procedure':'in-progress','criteria':['vexatious']}"),
        422, "missing-field");
    ck_assert_str_eq(e->field, "measures_taken");
    e = step_refused(w, "R2 no complaints stage", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                     J("{'person':{'name':'Pat','reference':'CUST-010'},'department':'Housing',"
                       "'summary':'s','measures_taken':'m','criteria':['vexatious']}"),
                     422, "missing-field");
    ck_assert_str_eq(e->field, "complaints_procedure");
    /* strict bodies */
    step_refused(w, "no criteria", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                 concern("CUST-010", "", NULL), 422, "missing-field");
    step_refused(w, "unknown criterion", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                 concern("CUST-010", "'rude'", NULL), 400, "invalid-field");
    step_refused(w, "unknown field", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                 concern("CUST-010", "'vexatious'", ",'priority':'high'"), 400, "unknown-field");
    step_refused(w, "unknown complaints stage", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                 J("{'person':{'name':'Pat','reference':'CUST-010'},'department':'Housing',"
                   "'summary':'s','measures_taken':'m','complaints_procedure':'done',"
                   "'criteria':['vexatious']}"), 400, "invalid-field");
    step_refused(w, "bad date of birth", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                 J("{'person':{'name':'Pat','reference':'CUST-010','date_of_birth':'01/02/1970'},"
                   "'department':'Housing','summary':'s','measures_taken':'m',"
                   "'complaints_procedure':'exhausted','criteria':['vexatious']}"),
                 400, "invalid-field");
    ck_assert_int_eq(count_of(w, "cases"), 0);
    ck_assert_int_eq(count_of(w, "persons"), 0);
    /* a second concern about a known reference never reuses or reveals the
     * stored person: it is held as typed, and linking is the CEM's step */
    hab_result_t out = step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                               concern("CUST-010", "'vexatious'", NULL), 201);
    long long first = id_of(&out);
    out = step_ok(
        w, "raise again", "bob", STAFF, HAB_ROUTE_CASE_CREATE, 0,
        J("{'person':{'name':'Patricia Other','reference':'CUST-010','address':'9 New Road'},"
          "'department':'Planning','summary':'s','measures_taken':'m',"
          "'complaints_procedure':'not-applicable','criteria':['many-departments']}"),
        201);
    long long second = id_of(&out);
    ck_assert_int_ne(second, first);
    ck_assert_int_eq(count_of(w, "persons"), 2);
    hab_case_t *c = load(w, second, w->today);
    ck_assert_str_eq(str_of(c->person, "name"), "Patricia Other");
    ck_assert_str_eq(str_of(c->referred_person, "address"), "9 New Road");
    ck_assert_int_eq(json_array_size(c->person_matches), 1);
    /* the match is for case officers only */
    json_t *seen = hab_view_case(test_pool, c, HAB_SEE_REFERRAL);
    ck_assert_ptr_null(json_object_get(seen, "person_matches"));
    ck_assert_str_eq(str_of(json_object_get(seen, "person"), "name"), "Patricia Other");
    seen = hab_view_case(test_pool, c, HAB_SEE_APPEAL);
    ck_assert_ptr_null(json_object_get(seen, "person_matches"));
    /* the CEM links it to the stored person; the referrer still sees what they typed */
    long long stored =
        json_integer_value(json_object_get(json_array_get(c->person_matches, 0), "person_id"));
    step_refused(w, "link by staff", "bob", STAFF, HAB_ROUTE_PERSON_LINK, second,
                 J("{'person_id':%" APR_INT64_T_FMT "}", (apr_int64_t)stored), 403, "forbidden");
    step_refused(w, "link to nobody", "cara", CEM, HAB_ROUTE_PERSON_LINK, second,
                 J("{'person_id':999999}"), 422, "unknown-person");
    step_ok(w, "link", "cara", CEM, HAB_ROUTE_PERSON_LINK, second,
            J("{'person_id':%" APR_INT64_T_FMT "}", (apr_int64_t)stored), 200);
    c = load(w, second, w->today);
    ck_assert_str_eq(str_of(c->person, "name"), "Pat Example");
    ck_assert_str_eq(
        str_of(json_object_get(hab_view_case(test_pool, c, HAB_SEE_REFERRAL), "person"), "name"),
        "Patricia Other");
    ck_assert_str_eq(str_of(c->person_link, "by"), "cara");
    step_ok(w, "unlink", "cara", CEM, HAB_ROUTE_PERSON_UNLINK, second, J("{}"), 200);
    c = load(w, second, w->today);
    ck_assert_str_eq(str_of(c->person, "name"), "Patricia Other");
    ck_assert(json_is_null(c->person_link));
    audit_sound(w);
}
END_TEST

/* R5 wider: whoever recorded a contact, and whoever recorded the
 * absence that lets the monitoring officer decide, may not decide; the
 * refusal says which involvement, never who. */
START_TEST(r5_wider)
{
    world_t *w = new_world("2026-03-02");
    long long id = reported_case(w, "alice", STAFF, "CUST-R5W");
    /* a user who is both CEM and chief executive records a contact, then decides */
    step_ok(w, "contact by the CEM-and-CE", "cece", CEM | CE, HAB_ROUTE_CONTACT_ADD, id,
            J("{'at':'2026-03-02','channel':'phone','direction':'inbound','summary':'Shouted'}"),
            201);
    hab_err_t *e = step_refused(w, "decision by a contact recorder", "cece", CEM | CE,
                                HAB_ROUTE_DECIDE, id, approve_body(), 422, "conflict-of-interest");
    ck_assert(contains(e->message, "recorded a contact") && !contains(e->message, "cece"));
    /* a monitoring officer who is also CEM records the chief executive's absence, then deputises */
    step_ok(w, "absence by the MO-and-CEM", "moce", MO | CEM, HAB_ROUTE_ABSENCE_ADD, 0,
            J("{'from':'2026-03-02','to':'2026-03-06','note':'Leave'}"), 201);
    e = step_refused(w, "deputised decision by the absence's recorder", "moce", MO | CEM,
                     HAB_ROUTE_DECIDE, id, approve_body(), 422, "conflict-of-interest");
    ck_assert(contains(e->message, "absence") && !contains(e->message, "moce"));
    /* the allowed path: another monitoring officer, not involved, deputises */
    hab_result_t out =
        step_ok(w, "deputised decision", "mona", MO, HAB_ROUTE_DECIDE, id, approve_body(), 200);
    ASSERT_STATUS(out, "active");
}
END_TEST

/* R19: a report on a warned case needs a contact since the warning, unless severe. */
START_TEST(r19_contact_since_warning)
{
    world_t *w = new_world("2026-03-10");
    hab_result_t out = step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                               concern("CUST-R19", "'excessive-contact'", NULL), 201);
    long long id = id_of(&out);
    step_ok(w, "warn", "carol", CEM, HAB_ROUTE_WARN, id, warning_body("2026-03-09"), 200);
    step_refused(w, "report with no contact since the warning", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body(DECLINE_PHONE, 6, NULL), 422, "no-contact-since-warning");
    /* a contact recorded now but dated before the warning is not behaviour since it */
    step_ok(
        w, "contact before the warning", "carol", CEM, HAB_ROUTE_CONTACT_ADD, id,
        J("{'at':'2026-03-08','channel':'phone','direction':'inbound','summary':'Earlier call'}"),
        201);
    step_refused(w, "report with only an earlier contact", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body(DECLINE_PHONE, 6, NULL), 422, "no-contact-since-warning");
    /* the allowed paths: severe (R3's own reason), or a contact since */
    step_ok(
        w, "contact since the warning", "carol", CEM, HAB_ROUTE_CONTACT_ADD, id,
        J("{'at':'2026-03-10','channel':'letter','direction':'inbound','summary':'Letter again'}"),
        201);
    out = step_ok(w, "report", "carol", CEM, HAB_ROUTE_REPORT, id,
                  report_body(DECLINE_PHONE, 6, NULL), 200);
    ASSERT_STATUS(out, "reported");
}
END_TEST

START_TEST(step_order_refusals)
{
    world_t *w = new_world("2026-03-02");
    hab_result_t out = step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                               concern("CUST-020", "'excessive-contact'", NULL), 201);
    long long id = id_of(&out);
    json_t *contact =
        J("{'at':'2026-03-02','channel':'email','direction':'inbound','summary':'s'}");
    /* 404 first: someone who may not see it, or no such case */
    step_refused(w, "contact by another staff member", "bob", STAFF, HAB_ROUTE_CONTACT_ADD, id,
                 contact, 404, "not-found");
    step_refused(w, "contact on no case", "carol", CEM, HAB_ROUTE_CONTACT_ADD, id + 100, contact,
                 404, "not-found");
    step_refused(w, "warn by someone who cannot see it", "bob", STAFF, HAB_ROUTE_WARN, id,
                 warning_body("2026-03-02"), 404, "not-found");
    /* 403: sees it, wrong role */
    step_refused(w, "warn by the referrer", "alice", STAFF, HAB_ROUTE_WARN, id,
                 warning_body("2026-03-02"), 403, "forbidden");
    /* 403 comes before the state: the referrer cannot decide a referral */
    step_refused(w, "decide by the referrer", "alice", STAFF, HAB_ROUTE_DECIDE, id, approve_body(),
                 403, "forbidden");
    /* 409: right person, wrong state (R13) — before the body is looked at */
    step_refused(w, "decide a referral", "chris", CE, HAB_ROUTE_DECIDE, id, J("{'nonsense':1}"),
                 409, "wrong-state");
    step_refused(w, "review a referral", "carol", CEM, HAB_ROUTE_REVIEW, id,
                 J("{'recommendation':'continue','report':'x','monitoring_officer':'molly'}"), 409,
                 "wrong-state");
    step_refused(w, "review decision on a referral", "chris", CE, HAB_ROUTE_REVIEW_DECIDE, id,
                 J("{'outcome':'continue','justified':true,'proportionate':true,'reasons':'x'}"),
                 409, "wrong-state");
    step_refused(w, "appeal on a referral", "carol", CEM, HAB_ROUTE_APPEAL, id,
                 J("{'received':'2026-03-02','grounds':'x'}"), 409, "wrong-state");
    /* 400 and 422 on the body */
    step_refused(w, "warning in the future", "carol", CEM, HAB_ROUTE_WARN, id,
                 warning_body("2026-03-03"), 400, "invalid-field");
    step_refused(w, "warning by fax", "carol", CEM, HAB_ROUTE_WARN, id,
                 J("{'on':'2026-03-02','method':'fax','text':'t'}"), 400, "invalid-field");
    step_refused(w, "warning without text", "carol", CEM, HAB_ROUTE_WARN, id,
                 J("{'on':'2026-03-02','method':'phone'}"), 422, "missing-field");
    step_refused(
        w, "contact in the future", "alice", STAFF, HAB_ROUTE_CONTACT_ADD, id,
        J("{'at':'2026-03-02T10:00:01Z','channel':'email','direction':'inbound','summary':'s'}"),
        400, "invalid-field");
    step_refused(w, "contact of an unknown kind", "alice", STAFF, HAB_ROUTE_CONTACT_ADD, id,
                 J("{'at':'2026-03-02','channel':'pigeon','direction':'inbound','summary':'s'}"),
                 400, "invalid-field");
    /* the close: a reason is required */
    step_refused(w, "close without a reason", "carol", CEM, HAB_ROUTE_CLOSE, id, J("{}"), 422,
                 "missing-field");
    out = step_ok(w, "close", "carol", CEM, HAB_ROUTE_CLOSE, id,
                  J("{'reason':'Resolved by phone'}"), 200);
    ASSERT_STATUS(out, "closed");
    hab_case_t *c = load(w, id, w->today);
    ck_assert_str_eq(c->status, "closed");
    ck_assert_str_eq(c->end_reason, "Resolved by phone");
    step_refused(w, "contact on a closed case", "alice", STAFF, HAB_ROUTE_CONTACT_ADD, id, contact,
                 409, "wrong-state");
    step_refused(w, "warn a closed case", "carol", CEM, HAB_ROUTE_WARN, id,
                 warning_body("2026-03-02"), 409, "wrong-state");
    step_refused(w, "report on a closed case", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body(DECLINE_PHONE, 6, NULL), 409, "wrong-state");
    audit_sound(w);
}
END_TEST

START_TEST(report_refusals)
{
    world_t *w = new_world("2026-03-02");
    hab_result_t out = step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                               concern("CUST-030", "'excessive-contact'", NULL), 201);
    long long id = id_of(&out);
    /* R3: never warned */
    step_refused(w, "R3 not warned", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body(DECLINE_PHONE, 6, NULL), 422, "warning-required");
    step_refused(w, "R3 severe without reason", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body(DECLINE_PHONE, 6, ",'severe':true"), 422, "warning-required");
    step_refused(w, "R3 reason without severe", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body(DECLINE_PHONE, 6, ",'severe_reason':'Threats'"), 422,
                 "warning-required");
    /* R7 */
    step_refused(w, "R7 every channel declined", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body("[{'type':'decline-channels','channels':['phone','letter','email',"
                             "'in-person','fax','online']}]", 6,
                             ",'severe':true,'severe_reason':'Threats'"), 422, "no-open-channel");
    step_refused(w, "R7 suspension without legal advice", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body("[{'type':'suspend-contact','until':'2026-04-01'}]", 6,
                             ",'severe':true,'severe_reason':'Threats'"), 422, "no-open-channel");
    step_refused(
        w, "R7 suspension beyond the period", "carol", CEM, HAB_ROUTE_REPORT, id,
        report_body("[{'type':'suspend-contact','legal_advice':'Counsel','until':'2026-09-02'}]", 6,
                    ",'severe':true,'severe_reason':'Threats'"),
        422, "no-open-channel");
    /* the proposal itself */
    step_refused(w, "no restrictions", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body("[]", 6, ",'severe':true,'severe_reason':'Threats'"), 422,
                 "missing-field");
    step_refused(w, "unknown restriction", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body("[{'type':'ban'}]", 6, ",'severe':true,'severe_reason':'Threats'"),
                 400, "invalid-field");
    step_refused(w, "restriction with unknown field", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body("[{'type':'written-only','note':'x'}]", 6,
                             ",'severe':true,'severe_reason':'Threats'"), 400, "unknown-field");
    step_refused(w, "period of 61 months", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body(DECLINE_PHONE, 61, ",'severe':true,'severe_reason':'Threats'"), 400,
                 "invalid-field");
    step_refused(w, "period of 0 months", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body(DECLINE_PHONE, 0, ",'severe':true,'severe_reason':'Threats'"), 400,
                 "invalid-field");
    /* R14: a suspension is temporary, at most 3 months */
    step_refused(
        w, "R14 suspension of six months", "carol", CEM, HAB_ROUTE_REPORT, id,
        report_body("[{'type':'suspend-contact','legal_advice':'Counsel','until':'2026-09-01'}]", 6,
                    ",'severe':true,'severe_reason':'Threats'"),
        422, "suspension-too-long");
    /* a valid suspension and severe action without notice are accepted */
    out = step_ok(
        w, "report without notice", "carol", CEM, HAB_ROUTE_REPORT, id,
        report_body("[{'type':'suspend-contact','legal_advice':'Counsel','until':'2026-06-02'}]", 6,
                    ",'severe':true,'severe_reason':'Threatened staff'"),
        200);
    ASSERT_STATUS(out, "reported");
    hab_case_t *c = load(w, id, w->today);
    ck_assert_int_eq(c->action_without_notice, 1);
    ck_assert(json_is_true(json_object_get(c->report, "severe")));
    step_refused(w, "report twice", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body(DECLINE_PHONE, 6, NULL), 409, "wrong-state");
    audit_sound(w);
}
END_TEST

START_TEST(report_safeguarding_r10)
{
    world_t *w = new_world("2026-03-02");
    hab_result_t out = step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                               concern("CUST-040", "'excessive-contact'",
                                       ",'vulnerable':true,'vulnerability':'Hearing impairment'"),
                               201);
    long long id = id_of(&out);
    step_ok(w, "warn", "carol", CEM, HAB_ROUTE_WARN, id, warning_body("2026-03-02"), 200);
    contact_since_warning(w, id);
    step_refused(w, "R10 no safeguarding", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body(DECLINE_PHONE, 6, NULL), 422, "safeguarding-required");
    step_refused(w, "R10 considered, no adjustments", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body(DECLINE_PHONE, 6, ",'safeguarding':{'considered':true}"), 422,
                 "safeguarding-required");
    step_refused(
        w, "R10 adjustments, not considered", "carol", CEM, HAB_ROUTE_REPORT, id,
        report_body(DECLINE_PHONE, 6, ",'safeguarding':{'considered':false,'adjustments':'x'}"),
        422, "safeguarding-required");
    step_ok(
        w, "report", "carol", CEM, HAB_ROUTE_REPORT, id,
        report_body(DECLINE_PHONE, 6,
                    ",'safeguarding':{'considered':true,'adjustments':'Letters in large print'}"),
        200);
    /* special-category data: the referrer never sees it */
    hab_result_t seen;
    ck_assert_ptr_null(run(w, "alice", STAFF, HAB_ROUTE_CASE_READ, id, NULL, NULL, NULL, &seen));
    ck_assert_ptr_null(json_object_get(seen.body, "vulnerable"));
    ck_assert_ptr_null(json_object_get(seen.body, "vulnerability"));
    audit_sound(w);
}
END_TEST

START_TEST(violence_interim_and_report_r8)
{
    world_t *w = new_world("2026-03-02");
    /* the criterion violence: an interim written-only at once */
    hab_result_t out = step_ok(w, "raise with violence", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                               concern("CUST-050", "'violence'", NULL), 201);
    long long id = id_of(&out);
    hab_case_t *c = load(w, id, w->today);
    ck_assert_int_eq(c->violence, 1);
    ck_assert_int_eq(c->interim, 1);
    ck_assert_int_eq(json_array_size(c->restrictions), 1);
    json_t *interim = json_array_get(c->restrictions, 0);
    ck_assert_str_eq(str_of(interim, "type"), "written-only");
    ck_assert(json_is_true(json_object_get(interim, "interim")));
    hab_result_t seen;
    ck_assert_ptr_null(run(w, "olive", CO, HAB_ROUTE_NOTICES, 0, NULL, NULL, NULL, &seen));
    json_t *notice = json_array_get(json_object_get(seen.body, "notices"), 0);
    ck_assert_ptr_nonnull(notice);
    ck_assert(json_is_null(json_object_get(notice, "until")));
    ck_assert(json_is_true(json_object_get(notice, "interim")));

    /* a violence incident on another case does the same; once only */
    out = step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                  concern("CUST-051", "'excessive-contact'", NULL), 201);
    long long other = id_of(&out);
    json_t *violent = J("{'at':'2026-03-01','channel':'in-person','direction':'inbound',"
                        "'summary':'Pushed an officer','incidents':['violence']}");
    step_ok(w, "violent contact", "alice", STAFF, HAB_ROUTE_CONTACT_ADD, other, violent, 201);
    step_ok(w, "second violent contact", "carol", CEM, HAB_ROUTE_CONTACT_ADD, other, violent, 201);
    c = load(w, other, w->today);
    ck_assert_int_eq(c->violence, 1);
    ck_assert_int_eq(c->interim, 1);
    ck_assert_int_eq(json_array_size(c->restrictions), 1);

    step_ok(w, "warn", "carol", CEM, HAB_ROUTE_WARN, id, warning_body("2026-03-02"), 200);
    contact_since_warning(w, id);
    const char *police = ",'police_reference':'CAD 1234/26','asb_unit_consulted':true";
    step_refused(w, "R8 phone declined only", "carol", CEM, HAB_ROUTE_REPORT, id,
                 report_body("[{'type':'decline-channels','channels':['phone']}]", 6, police), 422,
                 "violence-requires-written-only");
    hab_err_t *e =
        step_refused(w, "R8 no police reference", "carol", CEM, HAB_ROUTE_REPORT, id,
                     report_body("[{'type':'written-only'}]", 6, ",'asb_unit_consulted':true"), 422,
                     "violence-requires-written-only");
    ck_assert_str_eq(e->field, "police_reference");
    e = step_refused(w, "R8 ASB unit not consulted", "carol", CEM, HAB_ROUTE_REPORT, id,
                     report_body("[{'type':'written-only'}]", 6,
                                 ",'police_reference':'CAD 1234/26','asb_unit_consulted':false"),
                     422, "violence-requires-written-only");
    ck_assert_str_eq(e->field, "asb_unit_consulted");
    step_ok(
        w, "report", "carol", CEM, HAB_ROUTE_REPORT, id,
        report_body("[{'type':'decline-channels','channels':['phone','in-person']}]", 6, police),
        200);
    /* the interim restriction stays until the decision, which replaces it */
    c = load(w, id, w->today);
    ck_assert_int_eq(c->interim, 1);
    step_ok(w, "decide", "chris", CE, HAB_ROUTE_DECIDE, id, approve_body(), 200);
    c = load(w, id, w->today);
    ck_assert_int_eq(c->interim, 0);
    ck_assert_int_eq(json_array_size(c->restrictions), 1);
    ck_assert_str_eq(str_of(json_array_get(c->restrictions, 0), "type"), "decline-channels");
    hab_rows_t *r = rows(w, "SELECT lifted_at, lifted_reason FROM restrictions WHERE case_id = ? "
                            "AND interim = 1", id);
    ck_assert_int_eq(r->nrows, 1);
    ck_assert_str_eq(hab_rows_text(r, 0, 0), "2026-03-02T10:00:00Z");

    /* closing a case lifts its interim restriction */
    step_ok(w, "close", "carol", CEM, HAB_ROUTE_CLOSE, other, J("{'reason':'Moved away'}"), 200);
    c = load(w, other, w->today);
    ck_assert_int_eq(json_array_size(c->restrictions), 0);
    audit_sound(w);
}
END_TEST

/* R15: the interim restriction's letter, notification, end and early lift. */
START_TEST(interim_limited_written_told_r15)
{
    world_t *w = new_world("2026-03-02");
    hab_result_t out = step_ok(w, "raise with violence", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                               concern("CUST-060", "'violence'", NULL), 201);
    long long quiet = id_of(&out);
    hab_rows_t *r = rows(w, "SELECT kind FROM letters WHERE case_id = ?", quiet);
    ck_assert_int_eq(r->nrows, 1);
    ck_assert_str_eq(hab_rows_text(r, 0, 0), "interim");
    r = rows(w, "SELECT event FROM notifications WHERE case_id = ?", quiet);
    ck_assert_int_eq(r->nrows, 1);
    ck_assert_str_eq(hab_rows_text(r, 0, 0), "interim-imposed");
    /* 28 days by default: in force on 30 March, gone on 31 March */
    r = rows(w, "SELECT in_force_until FROM restrictions WHERE case_id = ? AND interim = 1", quiet);
    ck_assert_str_eq(hab_rows_text(r, 0, 0), "2026-03-31");
    ck_assert_int_eq(load(w, quiet, "2026-03-30")->interim, 1);
    ck_assert_int_eq(load(w, quiet, "2026-03-31")->interim, 0);

    out = step_ok(w, "raise with violence", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                  concern("CUST-061", "'violence'", NULL), 201);
    long long kept = id_of(&out);
    out = step_ok(w, "raise with violence", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                  concern("CUST-062", "'violence'", NULL), 201);
    long long lifted = id_of(&out);
    /* lifting: the CEM only, with a reason */
    step_refused(w, "lift by the referrer", "alice", STAFF, HAB_ROUTE_INTERIM_LIFT, lifted,
                 J("{'reason':'x'}"), 403, "forbidden");
    step_refused(w, "lift by the chief executive", "chris", CE, HAB_ROUTE_INTERIM_LIFT, lifted,
                 J("{'reason':'x'}"), 403, "forbidden");
    step_refused(w, "lift without a reason", "carol", CEM, HAB_ROUTE_INTERIM_LIFT, lifted, J("{}"),
                 422, "missing-field");
    out = step_ok(w, "lift", "carol", CEM, HAB_ROUTE_INTERIM_LIFT, lifted,
                  J("{'reason':'The account was mistaken.'}"), 200);
    ASSERT_STATUS(out, "referred");
    ck_assert_int_eq(load(w, lifted, w->today)->interim, 0);
    r = rows(w, "SELECT kind FROM letters WHERE case_id = ? ORDER BY number", lifted);
    ck_assert_int_eq(r->nrows, 2);
    ck_assert_str_eq(hab_rows_text(r, 1, 0), "interim-lifted");
    r = rows(w, "SELECT event FROM notifications WHERE case_id = ? ORDER BY id", lifted);
    ck_assert_int_eq(r->nrows, 2);
    ck_assert_str_eq(hab_rows_text(r, 1, 0), "interim-lifted");
    step_refused(w, "lift with none in force", "carol", CEM, HAB_ROUTE_INTERIM_LIFT, lifted,
                 J("{'reason':'again'}"), 409, "wrong-state");

    /* a report on day 10 keeps it until the decision */
    set_day(w, "2026-03-12");
    const char *police = ",'police_reference':'CAD 1234/26','asb_unit_consulted':true";
    step_ok(w, "warn", "carol", CEM, HAB_ROUTE_WARN, kept, warning_body("2026-03-12"), 200);
    contact_since_warning(w, kept);
    step_ok(w, "report", "carol", CEM, HAB_ROUTE_REPORT, kept,
            report_body("[{'type':'written-only'}]", 6, police), 200);
    ck_assert_int_eq(load(w, kept, "2026-06-01")->interim, 1);
    /* one reported after it lapsed stays lapsed */
    set_day(w, "2026-04-10");
    step_ok(w, "warn late", "carol", CEM, HAB_ROUTE_WARN, quiet, warning_body("2026-04-10"), 200);
    contact_since_warning(w, quiet);
    step_ok(w, "report late", "carol", CEM, HAB_ROUTE_REPORT, quiet,
            report_body("[{'type':'written-only'}]", 6, police), 200);
    ck_assert_int_eq(load(w, quiet, w->today)->interim, 0);
    step_refused(w, "lift a lapsed one", "carol", CEM, HAB_ROUTE_INTERIM_LIFT, quiet,
                 J("{'reason':'x'}"), 409, "wrong-state");
    r = rows(w, "SELECT lifted_reason FROM restrictions WHERE case_id = ? AND interim = 1", quiet);
    ck_assert_str_eq(hab_rows_text(r, 0, 0), "lapsed");
    audit_sound(w);
}
END_TEST

START_TEST(decide_refusals)
{
    world_t *w = new_world("2026-03-02");
    long long id = reported_case(w, "alice", STAFF, "CUST-060");
    step_refused(w, "R6 not justified", "chris", CE, HAB_ROUTE_DECIDE, id,
                 J("{'outcome':'approve','justified':false,'proportionate':true,'reasons':'r'}"),
                 422, "not-justified");
    step_refused(w, "R6 not proportionate", "chris", CE, HAB_ROUTE_DECIDE, id,
                 J("{'outcome':'approve','justified':true,'reasons':'r'}"), 422, "not-justified");
    step_refused(w, "decision with an unknown outcome", "chris", CE, HAB_ROUTE_DECIDE, id,
                 J("{'outcome':'defer','reasons':'r'}"), 400, "invalid-field");
    step_refused(w, "reject without reasons", "chris", CE, HAB_ROUTE_DECIDE, id,
                 J("{'outcome':'reject'}"), 422, "missing-field");
    /* R5: the chief executive raised this one */
    long long own = reported_case(w, "chris", CE, "CUST-061");
    step_refused(w, "R5 the decider referred it", "chris", CE, HAB_ROUTE_DECIDE, own,
                 approve_body(), 422, "conflict-of-interest");
    /* R5: the report's author holds the chief executive's role as well */
    hab_result_t out = step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                               concern("CUST-062", "'excessive-contact'", NULL), 201);
    long long authored = id_of(&out);
    step_ok(w, "warn", "carol", CEM, HAB_ROUTE_WARN, authored, warning_body(w->today), 200);
    contact_since_warning(w, authored);
    step_ok(w, "report by a CEM who is also CE", "cece", CEM | CE, HAB_ROUTE_REPORT, authored,
            report_body(DECLINE_PHONE, 6, NULL), 200);
    step_refused(w, "R5 the decider wrote the report", "cece", CEM | CE, HAB_ROUTE_DECIDE, authored,
                 approve_body(), 422, "conflict-of-interest");
    /* reject: closed, rejected, nothing in force */
    out = step_ok(w, "reject", "chris", CE, HAB_ROUTE_DECIDE, id,
                               J("{'outcome':'reject','reasons':'Not enough evidence'}"), 200);
    ASSERT_STATUS(out, "closed");
    ck_assert_str_eq(last_log(w).acting_as, "chief-executive");
    hab_case_t *c = load(w, id, w->today);
    ck_assert_str_eq(c->status, "closed");
    ck_assert_str_eq(c->end_reason, "rejected");
    ck_assert_int_eq(json_array_size(c->restrictions), 0);
    ck_assert(json_is_null(c->period));
    ck_assert_int_eq(count_of(w, "notifications"), 0);
    step_refused(w, "decide twice", "chris", CE, HAB_ROUTE_DECIDE, id, approve_body(), 409,
                 "wrong-state");
    audit_sound(w);
}
END_TEST

/* ---- letters escape what they are given ---- */

#define HOSTILE "<script>alert(1)</script> \\u0022quoted\\u0022 O\\u0027Neil & co"
#define HOSTILE_ESCAPED \
    "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; O&#39;Neil &amp; co"

START_TEST(letters_escape_hostile_text)
{
    world_t *w = new_world("2026-03-02");
    hab_result_t out =
        step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                J("{'person':{'name':'Eve " HOSTILE "','reference':'REF " HOSTILE
                  "','address':'" HOSTILE "'},"
                  "'department':'Housing','summary':'" HOSTILE "','measures_taken':'" HOSTILE "',"
                  "'complaints_procedure':'exhausted','criteria':['vexatious'],"
                  "'representative':{'name':'Rep " HOSTILE "'},"
                  "'copy_to':[{'name':'MP " HOSTILE "','role':'" HOSTILE "'}]}"),
                201);
    long long id = id_of(&out);
    step_ok(w, "warn", "carol", CEM, HAB_ROUTE_WARN, id,
            J("{'on':'2026-03-02','method':'email','text':'Warning " HOSTILE "'}"), 200);
    contact_since_warning(w, id);
    step_ok(w, "report", "carol", CEM, HAB_ROUTE_REPORT, id,
            report_body("[{'type':'behaviour-agreement','terms':'Terms " HOSTILE "'},"
                        "{'type':'third-party-only','third_party':'Solicitor " HOSTILE "'},"
                        "{'type':'building-ban','buildings':['Hall " HOSTILE "']}]", 6, NULL), 200);
    step_ok(w, "decide", "chris", CE, HAB_ROUTE_DECIDE, id,
            J("{'outcome':'approve','justified':true,'proportionate':true,"
              "'reasons':'Reasons " HOSTILE "'}"), 200);
    hab_rows_t *r = rows(w, "SELECT kind, body FROM letters WHERE case_id = ? ORDER BY number", id);
    ck_assert_int_eq(r->nrows, 2);
    for (int i = 0; i < r->nrows; i++) {
        const char *body = hab_rows_text(r, i, 1);
        ck_assert_msg(!contains(body, "<script"), "%s letter carries raw markup: %s",
                      hab_rows_text(r, i, 0), body);
        ck_assert_msg(!contains(body, "\"quoted\""), "%s letter: raw quotes",
                      hab_rows_text(r, i, 0));
        ck_assert_msg(!contains(body, "O'Neil"), "%s letter: raw apostrophe",
                      hab_rows_text(r, i, 0));
        ck_assert_msg(contains(body, "Eve " HOSTILE_ESCAPED), "%s letter: name not escaped: %s",
                      hab_rows_text(r, i, 0), body);
        ck_assert_msg(contains(body, "MP " HOSTILE_ESCAPED), "%s letter: copy not escaped",
                      hab_rows_text(r, i, 0));
        ck_assert_msg(contains(body, "Rep " HOSTILE_ESCAPED),
                      "%s letter: representative not escaped", hab_rows_text(r, i, 0));
    }
    const char *warning = hab_rows_text(r, 0, 1), *decision = hab_rows_text(r, 1, 1);
    ck_assert_msg(contains(warning, "Warning " HOSTILE_ESCAPED), "%s", warning);
    ck_assert_msg(contains(decision, "Reasons " HOSTILE_ESCAPED), "%s", decision);
    ck_assert_msg(contains(decision, "Terms " HOSTILE_ESCAPED), "%s", decision);
    ck_assert_msg(contains(decision, "Solicitor " HOSTILE_ESCAPED), "%s", decision);
    ck_assert_msg(contains(decision, "Hall " HOSTILE_ESCAPED), "%s", decision);
    /* still complete: hostile text cannot forge or hide a part */
    for (const char *const *part = hab_letter_required_parts; *part; part++)
        ck_assert_msg(contains(decision, *part), "decision letter lacks %s", *part);
    /* the printable page escapes the subject and council too */
    hab_result_t page;
    ck_assert_ptr_null(run(w, "carol", CEM, HAB_ROUTE_LETTER_READ, id, "2", NULL, NULL, &page));
    ck_assert_ptr_nonnull(page.html);
    ck_assert(!contains(page.html, "<script"));
    audit_sound(w);
}
END_TEST

/* ---- behaviour that contradicts the README (see the report) ---- */

/* README, Review decision: "R5: not the referrer, the report's or the
 * review's author, nor the monitoring officer who joined the review."  The
 * chief executive who approved the designation is none of these, and is the
 * person who decides reviews. */
START_TEST(bug_review_decision_by_the_chief_executive_who_approved)
{
    world_t *w = new_world("2026-03-02");
    long long id = active_case(w, "alice", STAFF, "CUST-900");
    set_day(w, "2026-09-01");
    step_ok(w, "review", "carol", CEM, HAB_ROUTE_REVIEW, id,
            J("{'recommendation':'continue','report':'Still needed','monitoring_officer':'molly'}"),
            200);
    hab_result_t out = step_ok(
        w, "review decision by the approving chief executive", "chris", CE, HAB_ROUTE_REVIEW_DECIDE,
        id,
        J("{'outcome':'continue','justified':true,'proportionate':true,'reasons':'Still needed'}"),
        200);
    ASSERT_STATUS(out, "active");
}
END_TEST

/* README, Decide: "approve needs justified: true, proportionate: true and
 * reasons (R6, not-justified)" — a body fault answered with the rule's 422,
 * never a 500. */
START_TEST(bug_approve_without_reasons_is_not_justified)
{
    world_t *w = new_world("2026-03-02");
    long long id = reported_case(w, "alice", STAFF, "CUST-901");
    step_refused(w, "approve without reasons", "chris", CE, HAB_ROUTE_DECIDE, id,
                 J("{'outcome':'approve','justified':true,'proportionate':true}"), 422,
                 "not-justified");
}
END_TEST

/* Bodies: a required text that is only white space is missing (422
 * missing-field, validate.h: "trimmed non-empty when required").  The
 * rules' own required texts are not held to that: R2's measures_taken. */
START_TEST(bug_blank_measures_taken_is_missing_r2)
{
    world_t *w = new_world("2026-03-02");
    hab_err_t *e =
        step_refused(w, "R2 blank measures", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                     J("{'person':{'name':'Pat','reference':'CUST-902'},'department':'Housing',"
                       "'summary':'s','measures_taken':'   ','complaints_procedure':'exhausted',"
                       "'criteria':['vexatious']}"),
                     422, "missing-field");
    ck_assert_str_eq(e->field, "measures_taken");
}
END_TEST

/* ... and R6's written reasons. */
START_TEST(bug_blank_reasons_are_not_justified_r6)
{
    world_t *w = new_world("2026-03-02");
    long long id = reported_case(w, "alice", STAFF, "CUST-903");
    step_refused(w, "approve with blank reasons", "chris", CE, HAB_ROUTE_DECIDE, id,
                 J("{'outcome':'approve','justified':true,'proportionate':true,'reasons':'  '}"),
                 422, "not-justified");
}
END_TEST

/* ... and the other texts the rules require. */
START_TEST(bug_blank_severe_reason_is_warning_required_r3)
{
    world_t *w = new_world("2026-03-02");
    hab_result_t out = step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                               concern("CUST-904", "'excessive-contact'", NULL), 201);
    step_refused(w, "report unwarned with a blank severe reason", "carol", CEM, HAB_ROUTE_REPORT,
                 id_of(&out), report_body(DECLINE_PHONE, 6, ",'severe':true,'severe_reason':'   '"),
                 422, "warning-required");
}
END_TEST

START_TEST(bug_blank_legal_advice_is_no_open_channel_r7)
{
    world_t *w = new_world("2026-03-02");
    hab_result_t out = step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                               concern("CUST-905", "'excessive-contact'", NULL), 201);
    step_ok(w, "warn", "carol", CEM, HAB_ROUTE_WARN, id_of(&out), warning_body(w->today), 200);
    contact_since_warning(w, id_of(&out));
    step_refused(
        w, "suspension with blank legal advice", "carol", CEM, HAB_ROUTE_REPORT, id_of(&out),
        report_body("[{'type':'suspend-contact','legal_advice':'  ','until':'2026-04-01'}]", 6,
                    NULL),
        422, "no-open-channel");
}
END_TEST

START_TEST(bug_blank_police_reference_r8)
{
    world_t *w = new_world("2026-03-02");
    hab_result_t out = step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                               concern("CUST-906", "'violence'", NULL), 201);
    step_ok(w, "warn", "carol", CEM, HAB_ROUTE_WARN, id_of(&out), warning_body(w->today), 200);
    contact_since_warning(w, id_of(&out));
    step_refused(w, "violence report with a blank police reference", "carol", CEM, HAB_ROUTE_REPORT,
                 id_of(&out), report_body("[{'type':'written-only'}]", 6,
                                          ",'police_reference':'  ','asb_unit_consulted':true"),
                 422, "violence-requires-written-only");
}
END_TEST

START_TEST(bug_blank_adjustments_are_safeguarding_required_r10)
{
    world_t *w = new_world("2026-03-02");
    hab_result_t out =
        step_ok(w, "raise", "alice", STAFF, HAB_ROUTE_CASE_CREATE, 0,
                concern("CUST-907", "'excessive-contact'", ",'vulnerable':true"), 201);
    step_ok(w, "warn", "carol", CEM, HAB_ROUTE_WARN, id_of(&out), warning_body(w->today), 200);
    contact_since_warning(w, id_of(&out));
    step_refused(
        w, "vulnerable, blank adjustments", "carol", CEM, HAB_ROUTE_REPORT, id_of(&out),
        report_body(DECLINE_PHONE, 6, ",'safeguarding':{'considered':true,'adjustments':' '}"), 422,
        "safeguarding-required");
}
END_TEST

START_TEST(bug_reject_with_blank_reasons_is_missing_field)
{
    world_t *w = new_world("2026-03-02");
    long long id = reported_case(w, "alice", STAFF, "CUST-908");
    step_refused(w, "reject with blank reasons", "chris", CE, HAB_ROUTE_DECIDE, id,
                 J("{'outcome':'reject','reasons':'   '}"), 422, "missing-field");
}
END_TEST

/* ---- the notices a server process keeps ---- */

static const char *notices_text(world_t *w, const char *user, unsigned roles)
{
    hab_result_t out;
    hab_err_t *e = run(w, user, roles, HAB_ROUTE_NOTICES, 0, NULL, NULL, NULL, &out);
    ck_assert_msg(e == NULL, "notices: %s", e ? e->message : "");
    ck_assert_int_eq(out.status, 200);
    ck_assert_ptr_nonnull(out.json_text);
    return out.json_text;
}

static const char *last_entry_case_ids(world_t *w)
{
    hab_rows_t *r;
    ck_assert_ptr_null(hab_store_q(w->s, test_pool, &r,
                                   "SELECT case_ids FROM access_log ORDER BY seq DESC LIMIT 1",
                                   ""));
    return hab_rows_text(r, 0, 0);
}

START_TEST(kept_notices_stand_only_while_the_change_counter_does)
{
    world_t *w = new_world("2026-03-02");
    w->views = hab_view_cache_create(test_pool);
    long long id = active_case(w, "alice", STAFF, "REF-KEPT-1");
    const char *ids = apr_psprintf(test_pool, "%" APR_INT64_T_FMT, (apr_int64_t)id);
    ck_assert_ptr_nonnull(strstr(notices_text(w, "alice", STAFF), "REF-KEPT-1"));
    ck_assert_str_eq(last_entry_case_ids(w), ids);
    /* changed behind the counter's back (every step bumps it): the answer
     * kept is served, and its entry still names the case it shows */
    ck_assert_ptr_null(hab_store_q(w->s, test_pool, NULL,
                                   "UPDATE persons SET reference = 'REF-KEPT-2'", ""));
    ck_assert_ptr_nonnull(strstr(notices_text(w, "alice", STAFF), "REF-KEPT-1"));
    ck_assert_str_eq(last_entry_case_ids(w), ids);
    /* the counter moved: read afresh, and one entry for the request */
    ck_assert_ptr_null(hab_changes_bump(w->s, test_pool));
    const char *fresh = notices_text(w, "alice", STAFF);
    ck_assert_ptr_nonnull(strstr(fresh, "REF-KEPT-2"));
    ck_assert_ptr_null(strstr(fresh, "REF-KEPT-1"));
    ck_assert_str_eq(last_entry_case_ids(w), ids);
    /* another user's answer is not this one's */
    ck_assert_ptr_null(strstr(notices_text(w, "bob", STAFF), "REF-KEPT"));
    ck_assert_ptr_null(last_entry_case_ids(w));
    audit_sound(w);
}
END_TEST

Suite *suite_procedure(void)
{
    Suite *s = suite_create("procedure");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, walk_raise_to_review_continue_then_lapse);
    tcase_add_test(tc, kept_notices_stand_only_while_the_change_counter_does);
    tcase_add_test(tc, deputised_decision_needs_a_recorded_absence);
    tcase_add_test(tc, both_roles_decide_as_chief_executive_during_absence);
    tcase_add_test(tc, appeal_quashed_by_an_uninvolved_chief_officer);
    tcase_add_test(tc, review_vary_then_appeal_upheld);
    tcase_add_test(tc, r5_wider);
    tcase_add_test(tc, r19_contact_since_warning);
    tcase_add_test(tc, review_remove_ends_the_designation);
    tcase_add_test(tc, raise_refusals);
    tcase_add_test(tc, step_order_refusals);
    tcase_add_test(tc, report_refusals);
    tcase_add_test(tc, report_safeguarding_r10);
    tcase_add_test(tc, violence_interim_and_report_r8);
    tcase_add_test(tc, interim_limited_written_told_r15);
    tcase_add_test(tc, decide_refusals);
    tcase_add_test(tc, letters_escape_hostile_text);
    suite_add_tcase(s, tc);
    /* failing on purpose until the code matches the README */
    TCase *bugs = tcase_create("contradicts-readme");
    tcase_add_checked_fixture(bugs, unit_pool_setup, unit_pool_teardown);
    tcase_set_timeout(bugs, 60);
    tcase_add_test(bugs, bug_review_decision_by_the_chief_executive_who_approved);
    tcase_add_test(bugs, bug_approve_without_reasons_is_not_justified);
    tcase_add_test(bugs, bug_blank_measures_taken_is_missing_r2);
    tcase_add_test(bugs, bug_blank_reasons_are_not_justified_r6);
    tcase_add_test(bugs, bug_blank_severe_reason_is_warning_required_r3);
    tcase_add_test(bugs, bug_blank_legal_advice_is_no_open_channel_r7);
    tcase_add_test(bugs, bug_blank_police_reference_r8);
    tcase_add_test(bugs, bug_blank_adjustments_are_safeguarding_required_r10);
    tcase_add_test(bugs, bug_reject_with_blank_reasons_is_missing_field);
    suite_add_tcase(s, bugs);
    return s;
}
