/* The procedure (README "The procedure"): one function per step.  Each checks, in this
 * order: the user may see the case (else 404), the user's role allows the
 * step (else 403), the state (R13, 409), the body (400/422), the rules
 * (422); then writes everything the step implies.  The service runs it in
 * one transaction, so a refusal leaves nothing behind. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/domain/access.h"
#include "habitual/domain/casefile.h"
#include "habitual/base/dates.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/letters.h"
#include "habitual/domain/procedure.h"
#include "habitual/domain/roles.h"
#include "habitual/domain/rules.h"
#include "habitual/base/validate.h"
#include "domain/steps.h"

#define MONTHS_MAX 60

static const char *const open_states[] = {"referred", "warned", "reported", "active", NULL};
static const char *const before_report[] = {"referred", "warned", NULL};
static const char *const only_referred[] = {"referred", NULL};
static const char *const only_reported[] = {"reported", NULL};
static const char *const only_active[] = {"active", NULL};
static const char *const any_state[] = {"referred", "warned", "reported", "active", "ended",
                                        "closed", NULL};

/* ---- shared helpers ---- */

static int has(const hab_ctx_t *ctx, unsigned roles)
{
    return (ctx->roles & roles) != 0;
}

static hab_err_t *forbidden_step(hab_ctx_t *ctx, const char *who)
{
    return hab_err_forbidden(ctx->p,
                             apr_pstrcat(ctx->p, "Only ", who, " may take this step.", NULL));
}

/* ---- who may take which step, in which state (README "The procedure", R13) ----
 * One table: the steps check it, and the pages ask it which actions to
 * offer, so both always agree. */

typedef int (*may_fn)(const hab_ctx_t *ctx, const hab_case_t *c, int sight);

static int may_cem(const hab_ctx_t *ctx, const hab_case_t *c, int sight)
{
    (void)c; (void)sight;
    return has(ctx, HAB_ROLE_CEM);
}

/* The chronology: the CEM, the referrer, and whoever holds the notice of a
 * case in force (a grant, or a chief officer), so the officer who took the
 * call records it (they still see nothing more of the file). */
/* Evidence: the referrer while the case is a referral, whoever holds the
 * notice (with the call they took), and the CEM. */
static int may_attach_evidence(const hab_ctx_t *ctx, const hab_case_t *c, int sight)
{
    return has(ctx, HAB_ROLE_CEM) || sight == HAB_SEE_NOTICE || sight == HAB_SEE_APPEAL ||
           (sight == HAB_SEE_REFERRAL && !strcmp(c->status, "referred"));
}

static int may_record_contact(const hab_ctx_t *ctx, const hab_case_t *c, int sight)
{
    (void)c;
    return has(ctx, HAB_ROLE_CEM) || sight == HAB_SEE_REFERRAL || sight == HAB_SEE_NOTICE ||
           sight == HAB_SEE_APPEAL;
}

static int may_decide(const hab_ctx_t *ctx, const hab_case_t *c, int sight)
{
    (void)c; (void)sight;
    return has(ctx, HAB_ROLE_CHIEF_EXECUTIVE | HAB_ROLE_MONITORING_OFFICER);
}

static int may_hear_appeal(const hab_ctx_t *ctx, const hab_case_t *c, int sight)
{
    (void)c; (void)sight;
    return has(ctx, HAB_ROLE_CHIEF_OFFICER);
}

/* Chief officers pass on notices they hold; the CEM any case's. */
static int may_grant(const hab_ctx_t *ctx, const hab_case_t *c, int sight)
{
    (void)sight;
    return has(ctx, HAB_ROLE_CEM) ||
           (has(ctx, HAB_ROLE_CHIEF_OFFICER) && json_array_size(c->restrictions) > 0);
}

static const char *no_review_pending(const hab_case_t *c)
{
    return c->pending_review_id ? "A review of this case awaits its decision." : NULL;
}

static const char *review_pending(const hab_case_t *c)
{
    return c->pending_review_id ? NULL : "There is no review awaiting a decision.";
}

static const char *no_appeal_pending(const hab_case_t *c)
{
    return c->pending_appeal_id ? "An appeal on this case awaits its decision." : NULL;
}

static const char *appeal_pending(const hab_case_t *c)
{
    return c->pending_appeal_id ? NULL : "There is no appeal awaiting a decision.";
}

/* R15: the CEM may lift an interim restriction only while one is in force. */
static const char *interim_in_force(const hab_case_t *c)
{
    return c->interim ? NULL : "There is no interim restriction in force on this case (R15).";
}

/* The post queue holds a customer's post only while their restrictions
 * close correspondence on a matter or make contact written-only. */
static const char *post_restricted(const hab_case_t *c)
{
    size_t i;
    json_t *r;
    json_array_foreach(c->restrictions, i, r) {
        const char *type = hab_j_str(r, "type");
        if (type && (!strcmp(type, "correspondence-closed") || !strcmp(type, "written-only")))
            return NULL;
    }
    return "This customer's correspondence is not restricted: answer it in the usual way.";
}

#define CEM_ONLY "the customer experience manager"
#define DECIDERS "the chief executive, or the monitoring officer in their absence,"
#define GRANTERS "a chief officer or the customer experience manager"

typedef struct step_gate {
    hab_route_id_t route;
    may_fn may;
    const char *who;                     /* for the 403 */
    const char *const *states;           /* R13 */
    const char *(*ready)(const hab_case_t *c); /* a further 409, or NULL */
    /* STATE_ALONE: for a case officer (who sees the whole file), the gate
     * and the step's work read only the case's state, so the case is
     * loaded as HAB_CASE_STATE; anyone else's sight needs the step load */
    int officer_reads;
} step_gate_t;

enum { STEP_LOAD, STATE_ALONE };

static const step_gate_t gates[] = {
    {HAB_ROUTE_EVIDENCE_ADD, may_attach_evidence,
     "the referrer while it is a referral, a holder of the notice or " CEM_ONLY, open_states, NULL,
     STEP_LOAD},
    /* the most frequent write: hab_step_add_contact reads the case's id and state */
    {HAB_ROUTE_CONTACT_ADD, may_record_contact, "the referrer, a holder of the notice or " CEM_ONLY,
     open_states, NULL, STATE_ALONE},
    {HAB_ROUTE_WARN, may_cem, CEM_ONLY, only_referred, NULL, STEP_LOAD},
    {HAB_ROUTE_CLOSE, may_cem, CEM_ONLY, before_report, NULL, STEP_LOAD},
    {HAB_ROUTE_REPORT, may_cem, CEM_ONLY, before_report, NULL, STEP_LOAD},
    {HAB_ROUTE_DECIDE, may_decide, DECIDERS, only_reported, NULL, STEP_LOAD},
    {HAB_ROUTE_REVIEW, may_cem, CEM_ONLY, only_active, no_review_pending, STEP_LOAD},
    {HAB_ROUTE_REVIEW_DECIDE, may_decide, DECIDERS, only_active, review_pending, STEP_LOAD},
    {HAB_ROUTE_APPEAL, may_cem, CEM_ONLY, only_active, no_appeal_pending, STEP_LOAD},
    {HAB_ROUTE_APPEAL_DECIDE, may_hear_appeal, "a chief officer not involved in the case",
     only_active, appeal_pending, STEP_LOAD},
    {HAB_ROUTE_GRANT_ADD, may_grant, GRANTERS, open_states, NULL, STEP_LOAD},
    {HAB_ROUTE_GRANT_REVOKE, may_grant, GRANTERS, any_state, NULL, STEP_LOAD},
    {HAB_ROUTE_STATEMENT_ADD, may_cem, CEM_ONLY, any_state, NULL, STEP_LOAD},
    {HAB_ROUTE_HOLD, may_cem, CEM_ONLY, any_state, NULL, STEP_LOAD},
    {HAB_ROUTE_PERSON_LINK, may_cem, CEM_ONLY, open_states, NULL, STEP_LOAD},
    {HAB_ROUTE_PERSON_UNLINK, may_cem, CEM_ONLY, open_states, NULL, STEP_LOAD},
    {HAB_ROUTE_INTERIM_LIFT, may_cem, CEM_ONLY, open_states, interim_in_force, STEP_LOAD},
    /* corrections: the record stays true whatever the state (UK GDPR art. 16) */
    {HAB_ROUTE_PERSON_CORRECT, may_cem, CEM_ONLY, any_state, NULL, STEP_LOAD},
    {HAB_ROUTE_CORRECTION_ADD, may_cem, CEM_ONLY, any_state, NULL, STEP_LOAD},
    {HAB_ROUTE_COPIES, may_cem, CEM_ONLY, any_state, NULL, STEP_LOAD},
    {HAB_ROUTE_ADJUSTMENTS, may_cem, CEM_ONLY, any_state, NULL, STEP_LOAD},
    /* the post queue: items from a customer whose post is restricted; the
     * CEM decides every one, whatever the case's state by then */
    {HAB_ROUTE_CORRESPONDENCE_ADD, may_record_contact, "a holder of the notice or " CEM_ONLY,
     open_states, post_restricted, STEP_LOAD},
    {HAB_ROUTE_TRIAGE_DECIDE, may_cem, CEM_ONLY, any_state, NULL, STEP_LOAD},
};
#define GATE_COUNT (sizeof(gates) / sizeof(gates[0]))

static const step_gate_t *gate_of(hab_route_id_t route)
{
    for (size_t i = 0; i < GATE_COUNT; i++)
        if (gates[i].route == route) return &gates[i];
    return NULL;
}

static hab_err_t *pass_gate(hab_ctx_t *ctx, const hab_case_t *c, int sight, const step_gate_t *g)
{
    if (!g->may(ctx, c, sight)) return forbidden_step(ctx, g->who);
    hab_err_t *e = hab_rule_r13_state(ctx->p, c->status, g->states);
    if (e) return e;
    const char *why = g->ready ? g->ready(c) : NULL;
    if (!why) return NULL;
    e = hab_err_make(ctx->p, 409, "wrong-state", "%s", why);
    /* a step out of order (R13); lifting an interim restriction with none in force, R15 */
    e->rule = g->ready == interim_in_force ? "R15" : "R13";
    return e;
}

/* Load the case for a step: 404 unless visible, then the step's gate. */
hab_err_t *hab_open_case_for(hab_ctx_t *ctx, hab_route_id_t route, long long id, hab_case_t **c)
{
    int sight;
    const step_gate_t *g = gate_of(route);
    hab_case_parts_t parts =
        g->officer_reads == STATE_ALONE && (ctx->roles & HAB_ROLES_CASE_OFFICERS)
            ? HAB_CASE_STATE
            : HAB_CASE_FOR_STEP;
    hab_err_t *e = hab_access_load(ctx, id, parts, HAB_SEE_NOTICE, c, &sight);
    return e ? e : pass_gate(ctx, *c, sight, g);
}

apr_array_header_t *hab_steps_open(hab_ctx_t *ctx, const hab_case_t *c, int sight)
{
    apr_array_header_t *open = apr_array_make(ctx->p, 8, sizeof(hab_route_id_t));
    apr_pool_t *scratch;
    apr_pool_create(&scratch, ctx->p);
    apr_pool_t *keep = ctx->p;
    ctx->p = scratch; /* refusals built while asking are thrown away */
    for (size_t i = 0; i < GATE_COUNT; i++)
        if (!pass_gate(ctx, c, sight, &gates[i]))
            APR_ARRAY_PUSH(open, hab_route_id_t) = gates[i].route;
    ctx->p = keep;
    apr_pool_destroy(scratch);
    return open;
}

void hab_step_answer(hab_ctx_t *ctx, hab_result_t *out, int status, long long id, const char *state)
{
    out->status = status;
    out->body =
        hab_json_own(ctx->p, json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", state));
}

static hab_err_t *not_in_future(hab_ctx_t *ctx, const char *field, const char *value)
{
    const char *limit = strlen(value) == 10 ? ctx->today : ctx->now;
    if (strcmp(value, limit) <= 0) return NULL;
    return hab_err_field(ctx->p, 400, "invalid-field", field, "%s cannot be in the future.", field);
}

static hab_err_t *set_status(hab_ctx_t *ctx, long long id, const char *status,
                             const char *end_reason)
{
    int ending = !strcmp(status, "ended");
    return hab_store_q(ctx->store, ctx->p, NULL,
                       "UPDATE cases SET status = ?, end_reason = coalesce(?, end_reason), "
                       "ended_at = CASE WHEN ? = 1 THEN ? ELSE ended_at END, "
                       "closed_at = CASE WHEN ? = 'closed' THEN ? ELSE closed_at END, "
                       "closed_by = CASE WHEN ? = 'closed' THEN ? ELSE closed_by END, "
                       "updated_at = ? WHERE id = ?",
                       "ttbtttttti", status, end_reason, ending, ctx->now, status, ctx->now,
                       status, ctx->user, ctx->now, id);
}

static hab_err_t *lift_restrictions(hab_ctx_t *ctx, long long id, int interim_only, const char *why)
{
    return hab_store_q(ctx->store, ctx->p, NULL,
                       "UPDATE restrictions SET lifted_at = ?, lifted_reason = ? "
                       "WHERE case_id = ? AND lifted_at IS NULL AND (? = 0 OR interim = 1)",
                       "ttib", ctx->now, why, id, interim_only);
}

/* from: the day they come into force when later than today (R9), else NULL. */
/* The interim restrictions (R8) end when the decided ones begin: today, or
 * on a later start, so that written-only has no gap. */
static hab_err_t *end_interim_on(hab_ctx_t *ctx, long long id, const char *start)
{
    if (strcmp(start, ctx->today) <= 0) return lift_restrictions(ctx, id, 1, "decision");
    return hab_store_q(ctx->store, ctx->p, NULL,
                       "UPDATE restrictions SET in_force_until = ? "
                       "WHERE case_id = ? AND lifted_at IS NULL AND interim = 1",
                       "ti", start, id);
}

static hab_err_t *impose_restrictions(hab_ctx_t *ctx, long long id, const json_t *list,
                                      const char *origin, int interim, const char *from)
{
    if (from && strcmp(from, ctx->today) <= 0) from = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r) {
        hab_err_t *e = hab_store_q(
            ctx->store, ctx->p, NULL,
            "INSERT INTO restrictions(case_id, type, detail, interim, origin, "
            "created_at, in_force_from, in_force_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            "ittbtttt", id, hab_j_str(r, "type"), hab_json_dump(ctx->p, r), interim, origin,
            ctx->now, from, hab_rule_r14_suspension_ends(ctx->p, r)); /* R14 */
        if (e) return e;
    }
    return NULL;
}

/* R9: a new period, its end and review date by the same rule every time. */
static hab_err_t *start_period(hab_ctx_t *ctx, long long id, const char *start, int months,
                               const char *origin, const char **end, const char **review_due)
{
    hab_rule_r9_period(ctx->p, start, months, end, review_due);
    /* R16: undecided past its due date and the grace, the review ends the designation */
    const char *deadline =
        hab_rule_r16_review_deadline(ctx->p, *review_due, ctx->review_grace_days);
    return hab_store_q(ctx->store, ctx->p, NULL,
                       "INSERT INTO periods(case_id, start, months, end_date, review_due, origin, "
                       "created_at, review_deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       "itittt"
                       "tt",
                       id, start, (long long)months, *end, *review_due, origin, ctx->now, deadline);
}

/* R12: every chief officer is told (they all read the same notifications). */
static hab_err_t *notify_chief_officers(hab_ctx_t *ctx, long long id, const char *event)
{
    return hab_store_q(ctx->store, ctx->p, NULL,
                       "INSERT INTO notifications(case_id, event, created_at, created_by) "
                       "VALUES (?, ?, ?, ?)", "itt" "t", id, event, ctx->now, ctx->user);
}

/* R11: issue a letter once; those that impose or keep restrictions are
 * checked for every part they must state (parts: NULL for none). */
hab_err_t *hab_issue_letter(hab_ctx_t *ctx, long long id, const hab_letter_t *l,
                               const char *const *parts)
{
    if (parts) {
        hab_err_t *e = hab_rule_r11_letter_complete(ctx->p, l->body, parts);
        if (e) return e;
    }
    return hab_store_q(
        ctx->store, ctx->p, NULL,
        "INSERT INTO letters(case_id, number, kind, issued_at, issued_by, subject, body, "
        "copied_to) VALUES (?, (SELECT coalesce(max(number), 0) + 1 FROM letters "
        "WHERE case_id = ?), ?, ?, ?, ?, ?, ?)",
        "iitttttt", id, id, l->kind, ctx->now, ctx->user, l->subject, l->body,
        hab_json_dump(ctx->p, l->copied_to));
}

hab_letter_facts_t hab_letter_facts(hab_ctx_t *ctx, const char *signed_as)
{
    hab_letter_facts_t f;
    memset(&f, 0, sizeof(f));
    f.council = ctx->council_name ? ctx->council_name : "The Council";
    f.date = ctx->today;
    f.signed_as = signed_as;
    f.appeal_days = ctx->appeal_days > 0 ? ctx->appeal_days : 20;
    return f;
}

/* ---- R15: an interim restriction is limited, written and told ---- */

static int interim_days(const hab_ctx_t *ctx)
{
    return ctx->interim_days > 0 ? ctx->interim_days : HAB_INTERIM_DAYS_DEFAULT;
}

/* The interim restriction just put in force (R8): its end as data (R15:
 * HabitualInterimDays from today unless a report has been made; none on a
 * reported case: it lasts until the decision), the interim letter (R11's
 * parts checked, copied as every letter) and every chief officer told. */
static hab_err_t *interim_limited(hab_ctx_t *ctx, long long id, const char *status,
                                  const json_t *list)
{
    const char *reported_on = !strcmp(status, "reported") ? ctx->today : NULL;
    const char *until =
        hab_rule_r15_interim_end(ctx->p, ctx->today, interim_days(ctx), reported_on);
    hab_err_t *e = NULL;
    if (until)
        e = hab_store_q(
            ctx->store, ctx->p, NULL,
            "UPDATE restrictions SET in_force_until = ? WHERE case_id = ? AND interim = 1 "
            "AND lifted_at IS NULL AND in_force_until IS NULL",
            "ti", until, id);
    hab_case_t *c = NULL;
    hab_contact_plan_t plan;
    if (!e) e = hab_case_load_parts(ctx->store, ctx->p, id, ctx->today, HAB_CASE_FOR_STEP, &c);
    if (!e && !c) e = hab_err_internal(ctx->p, "interim restriction on a case not found");
    if (!e) e = hab_restrictions_plan(ctx->p, list, &plan);
    if (e) return e;
    hab_letter_facts_t f = hab_letter_facts(ctx, "Customer Experience Manager");
    f.restrictions = list;
    f.plan = &plan;
    f.interim_until = until ? hab_date_add_days(ctx->p, until, -1) : NULL;
    e = hab_issue_letter(ctx, id, hab_letter_interim(ctx->p, c, &f),
                         hab_letter_required_parts_interim);
    return e ? e : notify_chief_officers(ctx, id, "interim-imposed");
}

/* R15: a report made while the interim restriction is in force keeps it
 * until the decision (its end cleared); one that has lapsed is not revived
 * by the report nor by the decision's end_interim_on: it is recorded as
 * lifted, reason "lapsed". */
static hab_err_t *interim_until_decision(hab_ctx_t *ctx, long long id)
{
    hab_err_t *e = hab_store_q(ctx->store, ctx->p, NULL,
                               "UPDATE restrictions SET in_force_until = NULL WHERE case_id = ? "
                               "AND interim = 1 AND " HAB_SQL_IN_FORCE(""),
                               "itt", id, ctx->today, ctx->today);
    if (e) return e;
    return hab_store_q(
        ctx->store, ctx->p, NULL,
        "UPDATE restrictions SET lifted_at = ?, lifted_reason = 'lapsed' WHERE case_id = ? "
        "AND interim = 1 AND lifted_at IS NULL AND in_force_until IS NOT NULL "
        "AND in_force_until <= ?",
        "tit", ctx->now, id, ctx->today);
}

/* R8: violence puts written-only in force at once, until the decision
 * (R15: or its end).  Another is imposed only when none is in force. */
static hab_err_t *impose_interim(hab_ctx_t *ctx, long long id, const char *status)
{
    if (!hab_in_list(before_report, status) && strcmp(status, "reported") != 0) return NULL;
    hab_rows_t *r;
    hab_err_t *e =
        hab_store_q(ctx->store, ctx->p, &r,
                    "SELECT count(*) FROM restrictions WHERE case_id = ? AND interim = 1 "
                    "AND " HAB_SQL_IN_FORCE(""),
                    "itt", id, ctx->today, ctx->today);
    if (e || hab_rows_int(r, 0, 0) > 0) return e;
    json_t *list = hab_json_own(ctx->p, json_pack("[{s:s}]", "type", "written-only"));
    e = impose_restrictions(ctx, id, list, "interim", 1, NULL);
    return e ? e : interim_limited(ctx, id, status, list);
}

hab_err_t *hab_chief_executive_absent(hab_ctx_t *ctx, int *absent)
{
    hab_rows_t *r;
    hab_err_t *e =
        hab_store_q(ctx->store, ctx->p, &r,
                    "SELECT count(*) FROM absences WHERE from_date <= ? AND to_date >= ?", "tt",
                    ctx->today, ctx->today);
    *absent = !e && hab_rows_int(r, 0, 0) > 0;
    return e;
}

/* Who decides, and in what capacity (R4); ctx->acting_as goes to the log. */
/* ---- R5: who took part, and how ---- */

static void involve(apr_array_header_t *list, const char *user, const char *how)
{
    if (!user) return;
    hab_involvement_t *inv = &APR_ARRAY_PUSH(list, hab_involvement_t);
    inv->user = user;
    inv->how = how;
}

static void involve_all(apr_array_header_t *list, const apr_array_header_t *users, const char *how)
{
    for (int i = 0; users && i < users->nelts; i++)
        involve(list, APR_ARRAY_IDX(users, i, const char *), how);
}

/* Everyone a decider must not be: the referrer and the reports' authors,
 * whoever recorded a contact or is named as the officer it was aimed at,
 * and, for a deputised decision, whoever recorded the chief executive's
 * absence that allows it (README, R5). */
static hab_err_t *decision_involvements(hab_ctx_t *ctx, const hab_case_t *c, int deputising,
                                        apr_array_header_t **out)
{
    apr_array_header_t *list = apr_array_make(ctx->p, 8, sizeof(hab_involvement_t));
    involve(list, c->referred_by, "you referred the case");
    involve_all(list, c->authors, "you referred or reported the case");
    involve_all(list, c->contact_recorders, "you recorded a contact in its chronology");
    involve_all(list, c->contact_officers,
                "a contact in its chronology names you as the officer it was aimed at");
    *out = list;
    if (!deputising) return NULL;
    hab_rows_t *r;
    hab_err_t *e =
        hab_store_q(ctx->store, ctx->p, &r,
                    "SELECT recorded_by FROM absences WHERE from_date <= ? AND to_date >= ?", "tt",
                    ctx->today, ctx->today);
    for (int i = 0; !e && i < r->nrows; i++)
        involve(
            list, hab_rows_text(r, i, 0),
            "you recorded the chief executive's absence that lets the monitoring officer decide");
    return e;
}

static hab_err_t *decider_capacity(hab_ctx_t *ctx, const char **acting_as, int *deputising)
{
    int absent = 0;
    hab_err_t *e = hab_chief_executive_absent(ctx, &absent);
    if (!e) e = hab_rule_r4_who_decides(ctx->p, ctx->roles, absent, acting_as, deputising);
    if (!e) ctx->acting_as = *acting_as;
    return e;
}

static const char *signature(const char *acting_as)
{
    return !strcmp(acting_as, "chief-executive")
               ? "Chief Executive"
               : "Monitoring Officer, deciding in the absence of the Chief Executive";
}

/* ---- raise a concern ---- */

static const hab_field_t f_person[] = {
    {"name", HAB_F_TEXT, 1, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"reference", HAB_F_TEXT, 1, 0, 64, NULL, NULL},
    {"address", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT * 3, NULL, NULL},
    {"date_of_birth", HAB_F_DATE, 0, 0, 0, NULL, NULL},
    {NULL}};
static const hab_field_t f_party[] = {
    {"name", HAB_F_TEXT, 1, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"address", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT * 3, NULL, NULL},
    {NULL}};
static const hab_field_t f_copy[] = {
    {"name", HAB_F_TEXT, 1, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"role", HAB_F_TEXT, 1, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"address", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT * 3, NULL, NULL},
    {NULL}};
static const hab_field_t f_concern[] = {
    {"person", HAB_F_OBJECT, 1, 0, 0, NULL, f_person},
    {"department", HAB_F_TEXT, 1, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"summary", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {"measures_taken", HAB_F_TEXT, 0, 0, HAB_LONG_TEXT, NULL, NULL},           /* R2 */
    {"complaints_procedure", HAB_F_ENUM, 0, 0, 0, hab_complaints_stages, NULL}, /* R2 */
    {"criteria", HAB_F_ENUM_LIST, 1, 1, 22, hab_criteria, NULL},
    {"exclusion", HAB_F_ENUM, 0, 0, 0, hab_exclusions, NULL},                  /* R1 */
    {"vulnerable", HAB_F_BOOL, 0, 0, 0, NULL, NULL},
    {"vulnerability", HAB_F_TEXT, 0, 0, HAB_LONG_TEXT, NULL, NULL},
    {"representative", HAB_F_OBJECT, 0, 0, 0, NULL, f_party},
    {"advocate", HAB_F_OBJECT, 0, 0, 0, NULL, f_party},
    {"copy_to", HAB_F_OBJECT_LIST, 0, 0, 20, NULL, f_copy},
    {NULL}};

/* The person exactly as the referrer typed it, in a row of its own: a
 * referral never reuses or reveals a stored person, whether or not the
 * reference is known (README "Need to know": nothing is learnt from the answer, nor from
 * its timing: the same one insert either way).  Linking the case to a
 * stored person is the CEM's step (hab_step_link_person). */
static hab_err_t *add_person(hab_ctx_t *ctx, const json_t *person, long long *person_id)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(ctx->store, ctx->p, &r,
                               "INSERT INTO persons(reference, name, address, date_of_birth) "
                               "VALUES (?, ?, ?, ?) RETURNING id", "tttt",
                               hab_j_str(person, "reference"), hab_j_str(person, "name"),
                               hab_j_str(person, "address"), hab_j_str(person, "date_of_birth"));
    if (e) return e;
    *person_id = hab_rows_int(r, 0, 0);
    return NULL;
}

static hab_err_t *insert_case(hab_ctx_t *ctx, const json_t *b, long long person_id, long long *id)
{
    const json_t *rep = json_object_get(b, "representative"), *adv = json_object_get(b, "advocate");
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(
        ctx->store, ctx->p, &r,
        "INSERT INTO cases(person_id, referred_person_id, status, referred_by, referred_at, "
        "department, summary, "
        "measures_taken, complaints_procedure, vulnerable, vulnerability, representative_name, "
        "representative_address, advocate_name, advocate_address, updated_at) "
        "VALUES (?, ?, 'referred', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        "iitttttt"
        "bttttt"
        "t",
        person_id, person_id, ctx->user, ctx->now, hab_j_str(b, "department"),
        hab_j_str(b, "summary"), hab_j_str(b, "measures_taken"),
        hab_j_str(b, "complaints_procedure"), hab_j_bool(b, "vulnerable"),
        hab_j_str(b, "vulnerability"), hab_j_str(rep, "name"), hab_j_str(rep, "address"),
        hab_j_str(adv, "name"), hab_j_str(adv, "address"), ctx->now);
    if (e) return e;
    *id = hab_rows_int(r, 0, 0);
    return NULL;
}

static hab_err_t *insert_case_lists(hab_ctx_t *ctx, const json_t *b, long long id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(b, "criteria"), i, v) {
        hab_err_t *e = hab_store_q(ctx->store, ctx->p, NULL,
                                   "INSERT INTO case_criteria(case_id, criterion) VALUES (?, ?)",
                                   "it", id, json_string_value(v));
        if (e) return e;
    }
    json_array_foreach(json_object_get(b, "copy_to"), i, v) {
        hab_err_t *e =
            hab_store_q(ctx->store, ctx->p, NULL,
                        "INSERT INTO copy_recipients(case_id, position, name, role, address) "
                        "VALUES (?, ?, ?, ?, ?)",
                        "iittt", id, (long long)i, hab_j_str(v, "name"), hab_j_str(v, "role"),
                        hab_j_str(v, "address"));
        if (e) return e;
    }
    return NULL;
}

hab_err_t *hab_step_raise_concern(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    const json_t *b = in->body;
    if (!has(ctx, HAB_ROLE_STAFF)) return forbidden_step(ctx, "council staff");
    /* R1 first: an excluded matter needs no more questions. */
    const json_t *excl = json_object_get(b, "exclusion");
    if (json_is_string(excl) && hab_in_list(hab_exclusions, json_string_value(excl))) {
        hab_err_t *e = hab_rule_r1_exclusions(ctx->p, json_string_value(excl));
        if (e) return e;
    }
    hab_err_t *e = hab_validate(ctx->p, b, f_concern, "");
    if (!e) e = hab_rule_r2_last_resort(ctx->p, hab_j_str(b, "measures_taken"),
                                        hab_j_str(b, "complaints_procedure"));
    if (e) return e;
    long long person_id, id;
    if ((e = add_person(ctx, json_object_get(b, "person"), &person_id)) ||
        (e = insert_case(ctx, b, person_id, &id)) || (e = insert_case_lists(ctx, b, id)))
        return e;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(b, "criteria"), i, v)
        if (!strcmp(json_string_value(v), "violence") && (e = impose_interim(ctx, id, "referred")))
            return e;
    ctx->created_case_id = id;
    hab_step_answer(ctx, out, 201, id, "referred");
    return NULL;
}

/* ---- the chronology ---- */

static const char *const directions[] = {"inbound", "outbound", NULL};
static const hab_field_t f_contact[] = {
    {"at", HAB_F_DATE_OR_TIME, 1, 0, 0, NULL, NULL},
    {"channel", HAB_F_ENUM, 1, 0, 0, hab_contact_kinds, NULL},
    {"direction", HAB_F_ENUM, 1, 0, 0, directions, NULL},
    {"department", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"officer", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"summary", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {"incidents", HAB_F_ENUM_LIST, 0, 0, 6, hab_incidents, NULL},
    {NULL}};

/* Reads no more of the case than its id and state: its gate loads a case
 * officer's case as HAB_CASE_STATE (STATE_ALONE in gates[]). */
hab_err_t *hab_step_add_contact(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_CONTACT_ADD, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_contact, "")) ||
        (e = not_in_future(ctx, "at", hab_j_str(b, "at"))))
        return e;
    hab_rows_t *r;
    e = hab_store_q(
        ctx->store, ctx->p, &r,
        "INSERT INTO contacts(case_id, at, channel, direction, department, officer, summary, "
        "recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        "ittttttt"
        "t",
        c->id, hab_j_str(b, "at"), hab_j_str(b, "channel"), hab_j_str(b, "direction"),
        hab_j_str(b, "department"), hab_j_str(b, "officer"), hab_j_str(b, "summary"), ctx->user,
        ctx->now);
    if (e) return e;
    long long contact_id = hab_rows_int(r, 0, 0);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(b, "incidents"), i, v) {
        e = hab_store_q(ctx->store, ctx->p, NULL,
                        "INSERT INTO contact_incidents(contact_id, incident) VALUES (?, ?)",
                        "it", contact_id, json_string_value(v));
        if (!e && !strcmp(json_string_value(v), "violence"))
            e = impose_interim(ctx, c->id, c->status);
        if (e) return e;
    }
    if ((e = hab_store_q(ctx->store, ctx->p, NULL, "UPDATE cases SET updated_at = ? WHERE id = ?",
                         "ti", ctx->now, c->id)))
        return e;
    hab_step_answer(ctx, out, 201, c->id, c->status);
    json_object_set_new(out->body, "contact_id", json_integer(contact_id));
    return NULL;
}

/* ---- warn, close ---- */

static const char *const warning_methods[] = {"phone", "letter", "email", NULL};
static const hab_field_t f_warning[] = {
    {"on", HAB_F_DATE, 1, 0, 0, NULL, NULL},
    {"method", HAB_F_ENUM, 1, 0, 0, warning_methods, NULL},
    {"text", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {NULL}};

hab_err_t *hab_step_warn(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_WARN, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_warning, "")) ||
        (e = not_in_future(ctx, "on", hab_j_str(b, "on"))))
        return e;
    e = hab_store_q(
        ctx->store, ctx->p, NULL,
        "INSERT INTO warnings(case_id, warned_on, method, text, warned_by, recorded_at, "
        /* R19: what the chronology held when the customer was warned */
        "last_contact_id) VALUES (?, ?, ?, ?, ?, ?, "
        "(SELECT coalesce(max(id), 0) FROM contacts WHERE case_id = ?))",
        "itttt"
        "ti",
        c->id, hab_j_str(b, "on"), hab_j_str(b, "method"), hab_j_str(b, "text"), ctx->user,
        ctx->now, c->id);
    hab_letter_facts_t f = hab_letter_facts(ctx, "Customer Experience Manager");
    f.warning_on = hab_j_str(b, "on");
    f.warning_method = hab_j_str(b, "method");
    f.warning_text = hab_j_str(b, "text");
    if (!e) e = hab_issue_letter(ctx, c->id, hab_letter_warning(ctx->p, c, &f), NULL);
    if (!e) e = set_status(ctx, c->id, "warned", NULL);
    if (e) return e;
    hab_step_answer(ctx, out, 200, c->id, "warned");
    return NULL;
}

static const hab_field_t f_reason[] = {{"reason", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
                                       {NULL}};

hab_err_t *hab_step_close(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_CLOSE, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, in->body, f_reason, "")) ||
        (e = lift_restrictions(ctx, c->id, 1, "closed without action")) ||
        (e = set_status(ctx, c->id, "closed", hab_j_str(in->body, "reason"))))
        return e;
    hab_step_answer(ctx, out, 200, c->id, "closed");
    return NULL;
}

/* ---- report ---- */

static const hab_field_t f_safeguarding[] = {
    {"considered", HAB_F_BOOL, 0, 0, 0, NULL, NULL},
    {"adjustments", HAB_F_TEXT, 0, 0, HAB_LONG_TEXT, NULL, NULL},
    {NULL}};
static const hab_field_t f_report[] = {
    {"behaviour", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {"restrictions", HAB_F_ANY_LIST, 1, 0, 0, NULL, NULL},
    {"period_months", HAB_F_INT, 1, 1, MONTHS_MAX, NULL, NULL},
    {"alternatives_considered", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {"severe", HAB_F_BOOL, 0, 0, 0, NULL, NULL},
    {"severe_reason", HAB_F_TEXT, 0, 0, HAB_LONG_TEXT, NULL, NULL},
    {"safeguarding", HAB_F_OBJECT, 0, 0, 0, NULL, f_safeguarding},
    {"police_reference", HAB_F_TEXT, 0, 0, HAB_LONG_TEXT, NULL, NULL},
    {"asb_unit_consulted", HAB_F_BOOL, 0, 0, 0, NULL, NULL},
    {NULL}};

/* The restrictions a report, review or appeal proposes: a non-empty list
 * that leaves a door open (R7) and, after violence, stops personal contact
 * (R8).  The period is start..end; start defaults to today. */
static hab_err_t *check_restrictions(hab_ctx_t *ctx, const hab_case_t *c, const json_t *list,
                                     const char *start, int months, hab_contact_plan_t *plan)
{
    if (!json_is_array(list) || json_array_size(list) == 0)
        return hab_err_field(ctx->p, 422, "missing-field", "restrictions",
                             "Say which restrictions are proposed.");
    const char *end, *review;
    hab_rule_r9_period(ctx->p, start, months, &end, &review);
    hab_err_t *e = hab_restrictions_plan(ctx->p, list, plan);
    if (!e) e = hab_rule_r7_open_channel(ctx->p, plan, start, end);
    if (!e) e = hab_rule_r14_suspension_length(ctx->p, plan, start);
    if (!e) e = hab_rule_r8_violence(ctx->p, c->violence, plan);
    return e;
}

static hab_err_t *insert_report(hab_ctx_t *ctx, const hab_case_t *c, const json_t *b)
{
    const json_t *sg = json_object_get(b, "safeguarding");
    return hab_store_q(
        ctx->store, ctx->p, NULL,
        "INSERT INTO reports(case_id, behaviour, restrictions, period_months, "
        "alternatives_considered, "
        "severe, severe_reason, safeguarding_considered, safeguarding_adjustments, "
        "police_reference, "
        "asb_unit_consulted, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "ittitbtbttbtt", c->id, hab_j_str(b, "behaviour"),
        hab_json_dump(ctx->p, json_object_get(b, "restrictions")),
        (long long)hab_j_int(b, "period_months", 0), hab_j_str(b, "alternatives_considered"),
        hab_j_bool(b, "severe"), hab_j_str(b, "severe_reason"), hab_j_bool(sg, "considered"),
        hab_j_str(sg, "adjustments"), hab_j_str(b, "police_reference"),
        hab_j_bool(b, "asb_unit_consulted"), ctx->user, ctx->now);
}

/* R19: contacts recorded after the latest warning and dated no earlier than
 * its day (a warning from before version 3 knows no contact: dated after
 * its day, or on it and recorded after it). */
static hab_err_t *contacts_since_warning(hab_ctx_t *ctx, long long id, long long *count)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(
        ctx->store, ctx->p, &r,
        "SELECT count(*) FROM contacts k JOIN warnings w ON w.id = (SELECT max(id) FROM warnings "
        "WHERE case_id = ?) WHERE k.case_id = ? AND k.withdrawn_at IS NULL AND substr(k.at, 1, 10) "
        ">= w.warned_on AND "
        "(k.id > w.last_contact_id OR (w.last_contact_id IS NULL AND (substr(k.at, 1, 10) > "
        "w.warned_on "
        "OR k.recorded_at > w.recorded_at)))",
        "ii", id, id);
    if (!e) *count = hab_rows_int(r, 0, 0);
    return e;
}

hab_err_t *hab_step_report(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_contact_plan_t plan;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_REPORT, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_report, "")))
        return e;
    int warned = !json_is_null(c->warning);
    const json_t *sg = json_object_get(b, "safeguarding");
    if ((e = hab_rule_r3_warning_first(ctx->p, warned, hab_j_bool(b, "severe"),
                                       hab_j_str(b, "severe_reason"))) ||
        (e = hab_rule_r10_safeguarding(ctx->p, c->vulnerable, hab_j_bool(sg, "considered"),
                                       hab_j_str(sg, "adjustments"))) ||
        (e = check_restrictions(ctx, c, json_object_get(b, "restrictions"), ctx->today,
                                (int)hab_j_int(b, "period_months", 0), &plan)) ||
        (e = hab_rule_r8_violence_report(ctx->p, c->violence, hab_j_str(b, "police_reference"),
                                         hab_j_bool(b, "asb_unit_consulted"))))
        return e;
    long long since = 0;
    if (warned && !hab_j_bool(b, "severe") && (e = contacts_since_warning(ctx, c->id, &since)))
        return e;
    if ((e = hab_rule_r19_contact_since_warning(ctx->p, warned, hab_j_bool(b, "severe"), since)))
        return e;
    if ((e = insert_report(ctx, c, b)) ||
        (e = hab_store_q(ctx->store, ctx->p, NULL, "UPDATE cases SET action_without_notice = ? "
                         "WHERE id = ?", "bi", !warned, c->id)) ||
        (e = set_status(ctx, c->id, "reported", NULL)) || (e = interim_until_decision(ctx, c->id)))
        return e;
    hab_step_answer(ctx, out, 200, c->id, "reported");
    return NULL;
}

/* ---- decide ---- */

static const char *const decision_outcomes[] = {"approve", "reject", NULL};
static const hab_field_t f_decision[] = {
    {"outcome", HAB_F_ENUM, 1, 0, 0, decision_outcomes, NULL},
    {"justified", HAB_F_BOOL, 0, 0, 0, NULL, NULL},
    {"proportionate", HAB_F_BOOL, 0, 0, 0, NULL, NULL},
    {"reasons", HAB_F_TEXT, 0, 0, HAB_LONG_TEXT, NULL, NULL},
    {"start", HAB_F_DATE, 0, 0, 0, NULL, NULL},
    {NULL}};

/* A decision's start: today, or up to START_AHEAD_MAX days ahead.  A far
 * start would put restrictions on the list years before they apply; a past
 * one could lapse the case at once. */
#define START_AHEAD_MAX 30
static hab_err_t *start_in_bounds(hab_ctx_t *ctx, const char *start)
{
    const char *latest = hab_date_add_days(ctx->p, ctx->today, START_AHEAD_MAX);
    if (strcmp(start, ctx->today) >= 0 && strcmp(start, latest) <= 0) return NULL;
    return hab_err_field(ctx->p, 422, "invalid-start", "start",
                         "The restrictions must start today or within %d days (from %s to %s).",
                         START_AHEAD_MAX, ctx->today, latest);
}

static hab_err_t *approve(hab_ctx_t *ctx, hab_case_t *c, const json_t *b, const char *acting_as)
{
    const char *start = hab_j_str(b, "start") ? hab_j_str(b, "start") : ctx->today;
    const json_t *proposed = json_object_get(c->report, "restrictions");
    int months = (int)hab_j_int(c->report, "period_months", 12);
    hab_contact_plan_t plan;
    const char *end, *review;
    hab_err_t *e = check_restrictions(ctx, c, proposed, start, months, &plan);
    if (!e) e = end_interim_on(ctx, c->id, start);
    if (!e) e = impose_restrictions(ctx, c->id, proposed, "decision", 0, start);
    if (!e) e = start_period(ctx, c->id, start, months, "decision", &end, &review);
    if (e) return e;
    hab_letter_facts_t f = hab_letter_facts(ctx, signature(acting_as));
    f.reasons = hab_j_str(b, "reasons");
    f.restrictions = proposed;
    f.plan = &plan;
    f.period_start = start;
    f.period_end = end;
    f.review_due = review;
    if ((e = hab_issue_letter(ctx, c->id, hab_letter_decision(ctx->p, c, &f),
                              hab_letter_required_parts)) ||
        (e = notify_chief_officers(ctx, c->id, "approved")))
        return e;
    return set_status(ctx, c->id, "active", NULL);
}

hab_err_t *hab_step_decide(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    const char *acting_as;
    int deputising;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_DECIDE, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_decision, "")) ||
        (e = decider_capacity(ctx, &acting_as, &deputising)))
        return e;
    apr_array_header_t *involved;
    if ((e = decision_involvements(ctx, c, deputising, &involved)) ||
        (e = hab_rule_r5_not_involved(ctx->p, ctx->user, involved, "decider")))
        return e;
    int approving = !strcmp(hab_j_str(b, "outcome"), "approve");
    if (approving &&
        (e = hab_rule_r6_justified(ctx->p, hab_j_bool(b, "justified"),
                                   hab_j_bool(b, "proportionate"), hab_j_str(b, "reasons"))))
        return e;
    if (approving && hab_j_str(b, "start") && (e = start_in_bounds(ctx, hab_j_str(b, "start"))))
        return e;
    if (!approving && hab_blank(hab_j_str(b, "reasons")))
        return hab_err_field(ctx->p, 422, "missing-field", "reasons",
                             "Give the reasons for the decision.");
    e = hab_store_q(
        ctx->store, ctx->p, NULL,
        "INSERT INTO decisions(case_id, report_id, outcome, justified, proportionate, reasons, "
        "start, decided_by, acting_as, deputising, decided_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "iitbbttttbt", c->id, c->report_id, hab_j_str(b, "outcome"), hab_j_bool(b, "justified"),
        hab_j_bool(b, "proportionate"), hab_j_str(b, "reasons"),
        approving ? (hab_j_str(b, "start") ? hab_j_str(b, "start") : ctx->today) : NULL, ctx->user,
        acting_as, deputising, ctx->now);
    if (!e) e = approving ? approve(ctx, c, b, acting_as)
                          : lift_restrictions(ctx, c->id, 1, "decision");
    if (!e && !approving) e = set_status(ctx, c->id, "closed", "rejected");
    if (e) return e;
    hab_step_answer(ctx, out, 200, c->id, approving ? "active" : "closed");
    json_object_set_new(out->body, "acting_as", json_string(acting_as));
    json_object_set_new(out->body, "deputising", json_boolean(deputising));
    return NULL;
}

/* ---- review ---- */

static const char *const recommendations[] = {"continue", "vary", "remove", NULL};
static const hab_field_t f_review[] = {
    {"recommendation", HAB_F_ENUM, 1, 0, 0, recommendations, NULL},
    {"report", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {"monitoring_officer", HAB_F_TEXT, 1, 0, HAB_SHORT_TEXT, NULL, NULL},
    {NULL}};

/* A user named in a body, as the directory's own id: R5 compares ids, so
 * "MOLLY" must be molly (422 unknown-user for a name it does not know). */
static hab_err_t *directory_id(hab_ctx_t *ctx, const char *field, const char *name, const char **id)
{
    hab_err_t *e = hab_ctx_find_user(ctx, name, id);
    if (e && e->status == 422) {
        e->field = field;
        /* the review's monitoring officer must be found in the directory (R18) */
        if (!strcmp(field, "monitoring_officer")) e->rule = "R18";
    }
    return e;
}

hab_err_t *hab_step_review(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_REVIEW, in->case_id, &c);
    const char *mo;
    if (e || (e = hab_validate(ctx->p, b, f_review, "")) ||
        (e = directory_id(ctx, "monitoring_officer", hab_j_str(b, "monitoring_officer"), &mo)) ||
        (e = hab_rule_r18_monitoring_officer(ctx->p, mo, hab_ctx_found_roles(ctx), ctx->user)) ||
        (e = hab_store_q(ctx->store, ctx->p, NULL,
                         "INSERT INTO reviews(case_id, recommendation, report, monitoring_officer, "
                         "author, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                         "ittttt", c->id, hab_j_str(b, "recommendation"), hab_j_str(b, "report"),
                         mo, ctx->user, ctx->now)))
        return e;
    hab_step_answer(ctx, out, 200, c->id, c->status);
    return NULL;
}

static const hab_field_t f_review_decision[] = {
    {"outcome", HAB_F_ENUM, 1, 0, 0, recommendations, NULL},
    {"justified", HAB_F_BOOL, 0, 0, 0, NULL, NULL},     /* R17 */
    {"proportionate", HAB_F_BOOL, 0, 0, 0, NULL, NULL},
    {"reasons", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {"period_months", HAB_F_INT, 0, 1, MONTHS_MAX, NULL, NULL},
    {"restrictions", HAB_F_ANY_LIST, 0, 0, 0, NULL, NULL},
    {NULL}};

/* A review or appeal decision carries restrictions only to vary them, and
 * what it carries is checked field by field before anything is stored
 * (a list stored unread once carried markup into a subject-access bundle). */
static hab_err_t *restrictions_only_to_vary(hab_ctx_t *ctx, const char *outcome, const json_t *list)
{
    int varying = !strcmp(outcome, "vary");
    if (varying && !list)
        return hab_err_field(ctx->p, 422, "missing-field", "restrictions",
                             "Say what the varied restrictions are.");
    if (!varying && list)
        return hab_err_field(ctx->p, 400, "unknown-field", "restrictions",
                             "restrictions is taken only when the outcome is vary.");
    hab_contact_plan_t plan;
    return list ? hab_restrictions_plan(ctx->p, list, &plan) : NULL;
}

/* End a designation: lift everything, tell the chief officers (R12). */
static hab_err_t *end_designation(hab_ctx_t *ctx, long long id, const char *reason)
{
    hab_err_t *e = hab_appeal_withdraw_on_end(ctx->store, ctx->p, id, ctx->user, ctx->now);
    if (!e) e = lift_restrictions(ctx, id, 0, reason);
    if (!e) e = notify_chief_officers(ctx, id, reason);
    if (!e) e = set_status(ctx, id, "ended", reason);
    return e;
}

/* Continue or vary: a new period from today (R9) and, for vary, new
 * restrictions; the letter and the notification follow. */
static hab_err_t *renew_designation(hab_ctx_t *ctx, hab_case_t *c, const char *outcome,
                                    const json_t *restrictions, int months,
                                    hab_letter_facts_t *f)
{
    hab_contact_plan_t plan;
    const char *end, *review;
    int varying = !strcmp(outcome, "vary");
    const json_t *now_in_force = varying ? restrictions : c->restrictions;
    hab_err_t *e = check_restrictions(ctx, c, now_in_force, ctx->today, months, &plan);
    if (!e && varying) e = lift_restrictions(ctx, c->id, 0, "varied on review");
    if (!e && varying) e = impose_restrictions(ctx, c->id, restrictions, "review", 0, NULL);
    if (!e) e = start_period(ctx, c->id, ctx->today, months, "review", &end, &review);
    if (e) return e;
    f->restrictions = now_in_force;
    f->plan = &plan;
    f->period_start = ctx->today;
    f->period_end = end;
    f->review_due = review;
    e = hab_issue_letter(ctx, c->id, hab_letter_review(ctx->p, c, f), hab_letter_required_parts);
    if (!e) e = notify_chief_officers(ctx, c->id, varying ? "varied" : "continued");
    return e;
}

hab_err_t *hab_step_review_decide(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    const char *acting_as;
    int deputising;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_REVIEW_DECIDE, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_review_decision, "")) ||
        (e = decider_capacity(ctx, &acting_as, &deputising)))
        return e;
    /* R5: not the referrer, a report's author, the review's author, nor the
     * monitoring officer who joined the review (deciding earlier is no bar). */
    apr_array_header_t *involved;
    if ((e = decision_involvements(ctx, c, deputising, &involved))) return e;
    involve(involved, c->pending_review_author, "you wrote the review");
    involve(involved, c->pending_review_mo, "you joined the review");
    if ((e = hab_rule_r5_not_involved(ctx->p, ctx->user, involved, "decider")))
        return e;
    const char *outcome = hab_j_str(b, "outcome");
    /* default: the previous period's length, within R17's year */
    int previous = c->period_months && c->period_months < HAB_R17_MONTHS_MAX ? c->period_months
                                                                             : HAB_R17_MONTHS_MAX;
    int months = (int)hab_j_int(b, "period_months", previous);

    const json_t *restrictions = json_object_get(b, "restrictions");
    /* R17: keeping or changing restrictions is justified, within a year */
    if ((e = restrictions_only_to_vary(ctx, outcome, restrictions)) ||
        (e = hab_rule_r17_keeping_justified(ctx->p, outcome, hab_j_bool(b, "justified"),
                                            hab_j_bool(b, "proportionate"),
                                            hab_j_str(b, "reasons"))) ||
        (strcmp(outcome, "remove") != 0 && (e = hab_rule_r17_period(ctx->p, months))))
        return e;
    e = hab_store_q(
        ctx->store, ctx->p, NULL,
        "INSERT INTO review_decisions(review_id, outcome, reasons, period_months, restrictions, "
        "decided_by, acting_as, deputising, decided_at, justified, proportionate) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "itt"
        "It"
        "ttbt"
        "bb",
        c->pending_review_id, outcome, hab_j_str(b, "reasons"),
        !strcmp(outcome, "remove") ? 0LL : (long long)months,
        restrictions ? hab_json_dump(ctx->p, restrictions) : NULL, ctx->user, acting_as, deputising,
        ctx->now, hab_j_bool(b, "justified"), hab_j_bool(b, "proportionate"));
    if (e) return e;
    hab_letter_facts_t f = hab_letter_facts(ctx, signature(acting_as));
    f.outcome = outcome;
    f.reasons = hab_j_str(b, "reasons");
    if (!strcmp(outcome, "remove")) {
        e = hab_issue_letter(ctx, c->id, hab_letter_review(ctx->p, c, &f), NULL);
        if (!e) e = end_designation(ctx, c->id, "removed");
    } else {
        e = renew_designation(ctx, c, outcome, restrictions, months, &f);
    }
    if (e) return e;
    hab_step_answer(ctx, out, 200, c->id, !strcmp(outcome, "remove") ? "ended" : "active");
    json_object_set_new(out->body, "acting_as", json_string(acting_as));
    json_object_set_new(out->body, "deputising", json_boolean(deputising));
    return NULL;
}

/* ---- appeal ---- */

static const hab_field_t f_appeal[] = {
    {"received", HAB_F_DATE, 1, 0, 0, NULL, NULL},
    {"grounds", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {NULL}};

hab_err_t *hab_step_appeal(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_APPEAL, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_appeal, "")) ||
        (e = not_in_future(ctx, "received", hab_j_str(b, "received"))) ||
        (e = hab_store_q(ctx->store, ctx->p, NULL,
                         "INSERT INTO appeals(case_id, received, grounds, recorded_by, "
                         "recorded_at) "
                         "VALUES (?, ?, ?, ?, ?)",
                         "itttt", c->id, hab_j_str(b, "received"), hab_j_str(b, "grounds"),
                         ctx->user, ctx->now)))
        return e;
    hab_step_answer(ctx, out, 200, c->id, c->status);
    return NULL;
}

static const char *const appeal_outcomes[] = {"uphold", "vary", "quash", NULL};
static const hab_field_t f_appeal_decision[] = {
    {"outcome", HAB_F_ENUM, 1, 0, 0, appeal_outcomes, NULL},
    {"justified", HAB_F_BOOL, 0, 0, 0, NULL, NULL},     /* R17, for vary */
    {"proportionate", HAB_F_BOOL, 0, 0, 0, NULL, NULL},
    {"reasons", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {"restrictions", HAB_F_ANY_LIST, 0, 0, 0, NULL, NULL},
    {NULL}};

static hab_err_t *vary_on_appeal(hab_ctx_t *ctx, hab_case_t *c, const json_t *restrictions,
                                 hab_letter_facts_t *f, hab_contact_plan_t *plan)
{
    hab_err_t *e =
        check_restrictions(ctx, c, restrictions, c->period_start, c->period_months, plan);
    if (!e) e = lift_restrictions(ctx, c->id, 0, "varied on appeal");
    if (!e) e = impose_restrictions(ctx, c->id, restrictions, "appeal", 0, c->period_start);
    if (!e) e = notify_chief_officers(ctx, c->id, "varied");
    f->restrictions = restrictions;
    return e;
}

hab_err_t *hab_step_appeal_decide(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_APPEAL_DECIDE, in->case_id, &c);
    if (e) return e;
    apr_array_header_t *involved = apr_array_make(ctx->p, 8, sizeof(hab_involvement_t));
    involve_all(involved, c->involved,
                "you took part in the case (its referral, report, decision or review)");
    involve_all(involved, c->contact_recorders, "you recorded a contact in its chronology");
    involve_all(involved, c->contact_officers,
                "a contact in its chronology names you as the officer it was aimed at");
    if ((e = hab_validate(ctx->p, b, f_appeal_decision, "")) ||
        (e = hab_rule_r5_not_involved(ctx->p, ctx->user, involved, "chief officer")))
        return e;
    const char *outcome = hab_j_str(b, "outcome");

    const json_t *restrictions = json_object_get(b, "restrictions");
    /* R17: an appeal's vary keeps restrictions, so it is justified too */
    if ((e = restrictions_only_to_vary(ctx, outcome, restrictions)) ||
        (!strcmp(outcome, "vary") &&
         (e = hab_rule_r17_keeping_justified(ctx->p, outcome, hab_j_bool(b, "justified"),
                                             hab_j_bool(b, "proportionate"),
                                             hab_j_str(b, "reasons")))))
        return e;
    e = hab_store_q(
        ctx->store, ctx->p, NULL,
        "INSERT INTO appeal_decisions(appeal_id, outcome, reasons, restrictions, decided_by, "
        "decided_at, justified, proportionate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        "itttt"
        "tbb",
        c->pending_appeal_id, outcome, hab_j_str(b, "reasons"),
        restrictions ? hab_json_dump(ctx->p, restrictions) : NULL, ctx->user, ctx->now,
        hab_j_bool(b, "justified"), hab_j_bool(b, "proportionate"));
    hab_letter_facts_t f = hab_letter_facts(ctx, "Chief Officer, deciding your appeal");
    f.outcome = outcome;
    f.reasons = hab_j_str(b, "reasons");
    hab_contact_plan_t plan;
    int quash = !strcmp(outcome, "quash");
    if (!e && !strcmp(outcome, "vary")) e = vary_on_appeal(ctx, c, restrictions, &f, &plan);
    if (!e && !strcmp(outcome, "uphold")) {
        f.restrictions = c->restrictions;
        e = hab_restrictions_plan(ctx->p, c->restrictions, &plan);
    }
    if (!e && !quash) {
        f.plan = &plan;
        f.period_start = c->period_start;
        f.period_end = c->period_end;
        f.review_due = c->review_due;
    }
    if (!e) e = hab_issue_letter(ctx, c->id, hab_letter_appeal(ctx->p, c, &f),
                                quash ? NULL : hab_letter_required_parts_final);
    if (!e && quash) e = end_designation(ctx, c->id, "quashed");
    if (e) return e;
    hab_step_answer(ctx, out, 200, c->id, quash ? "ended" : "active");
    return NULL;
}

/* ---- linking the case to a stored person (the CEM's step) ---- */

static const hab_field_t f_link[] = {{"person_id", HAB_F_INT, 1, 1, 999999999999999LL, NULL, NULL},
                                     {NULL}};
static const hab_field_t f_unlink[] = {{NULL}};

static hab_err_t *set_case_person(hab_ctx_t *ctx, long long id, long long person_id, int linked)
{
    return hab_store_q(
        ctx->store, ctx->p, NULL,
        "UPDATE cases SET person_id = ?, person_linked_by = ?, person_linked_at = ?, "
        "updated_at = ? WHERE id = ?",
        "ittti", person_id, linked ? ctx->user : NULL, linked ? ctx->now : NULL, ctx->now, id);
}

hab_err_t *hab_step_link_person(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    hab_rows_t *r;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_PERSON_LINK, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, in->body, f_link, "")))
        return e;
    long long person_id = hab_j_int(in->body, "person_id", 0);
    if ((e = hab_store_q(ctx->store, ctx->p, &r, "SELECT count(*) FROM persons WHERE id = ?", "i",
                         person_id)))
        return e;
    if (hab_rows_int(r, 0, 0) == 0)
        return hab_err_field(ctx->p, 422, "unknown-person", "person_id",
                             "There is no person with that id.");
    if ((e = set_case_person(ctx, c->id, person_id, person_id != c->referred_person_id)))
        return e;
    hab_step_answer(ctx, out, 200, c->id, c->status);
    return NULL;
}

hab_err_t *hab_step_unlink_person(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_PERSON_UNLINK, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, in->body, f_unlink, "")) ||
        (e = set_case_person(ctx, c->id, c->referred_person_id, 0)))
        return e;
    hab_step_answer(ctx, out, 200, c->id, c->status);
    return NULL;
}

/* ---- R15: the CEM lifts an interim restriction early ---- */

hab_err_t *hab_step_lift_interim(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_INTERIM_LIFT, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, in->body, f_reason, "")) ||
        (e = hab_interim_lift(ctx, c, hab_j_str(in->body, "reason"))))
        return e;
    hab_step_answer(ctx, out, 200, c->id, c->status);
    return NULL;
}

hab_err_t *hab_interim_lift(hab_ctx_t *ctx, const hab_case_t *c, const char *reason)
{
    hab_err_t *e = hab_store_q(
        ctx->store, ctx->p, NULL,
        "UPDATE restrictions SET lifted_at = ?, lifted_reason = ? WHERE case_id = ? "
        "AND interim = 1 AND " HAB_SQL_IN_FORCE(""),
        "ttitt", ctx->now,
        apr_pstrcat(ctx->p, "lifted by the customer experience manager: ", reason, NULL), c->id,
        ctx->today, ctx->today);
    hab_letter_facts_t f = hab_letter_facts(ctx, "Customer Experience Manager");
    f.lift_reason = reason;
    if (!e) e = hab_issue_letter(ctx, c->id, hab_letter_interim_lifted(ctx->p, c, &f),
                             hab_letter_required_parts_interim_lifted);
    if (!e) e = notify_chief_officers(ctx, c->id, "interim-lifted");
    if (!e)
        e = hab_store_q(ctx->store, ctx->p, NULL, "UPDATE cases SET updated_at = ? WHERE id = ?",
                        "ti", ctx->now, c->id);
    return e;
}

/* ---- grants ---- */

static const hab_field_t f_grant[] = {
    {"user", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"group", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"reason", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {"expires", HAB_F_DATE, 1, 0, 0, NULL, NULL},
    {NULL}};

/* The last day a grant may run to: the end of the case's current period,
 * or 12 months from today for a case not yet decided (README, "Grants"). */
static const char *grant_expiry_limit(hab_ctx_t *ctx, const hab_case_t *c)
{
    if (!strcmp(c->status, "active") && c->period_end) return c->period_end;
    return hab_date_add_months(ctx->p, ctx->today, 12);
}

/* The configured team of that name (ignoring case), spelt as configured. */
static const char *team_named(hab_ctx_t *ctx, const char *name)
{
    for (const char *t = ctx->team_names ? ctx->team_names + 1 : ""; *t;) {
        const char *end = strchr(t, ',');
        if (!end) break;
        if ((size_t)(end - t) == strlen(name) && !strncasecmp(t, name, (size_t)(end - t)))
            return apr_pstrndup(ctx->p, t, (apr_size_t)(end - t));
        t = end + 1;
    }
    return NULL;
}

hab_err_t *hab_step_grant(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_GRANT_ADD, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_grant, "")))
        return e;
    const char *expires = hab_j_str(b, "expires");
    if (strcmp(expires, ctx->today) < 0)
        return hab_err_field(ctx->p, 400, "invalid-field", "expires",
                             "expires cannot be in the past.");
    const char *limit = grant_expiry_limit(ctx, c);
    if (strcmp(expires, limit) > 0)
        return hab_err_field(
            ctx->p, 422, "invalid-expiry", "expires",
            "A notice can be passed on until %s at the latest: the end of the case's current "
            "period, or 12 months from today for a case not yet decided.",
            limit);
    /* to a named officer or to a whole team (HabitualTeam), never both */
    const char *user = hab_j_str(b, "user"), *team = hab_j_str(b, "group");
    if (!user == !team)
        return hab_err_field(
            ctx->p, 422, "missing-field", user ? "group" : "user",
            "Name the officer (user) or the team (group) the notice is passed to: one of them.");
    const char *grantee = "";
    if (team && !(team = team_named(ctx, team)))
        return hab_err_field(
            ctx->p, 422, "unknown-team", "group",
            "No team of that name: the teams are those the administrator named (HabitualTeam).");
    /* the directory's own id: "CHRIS" is stored as chris, a name it does not know is refused */
    if (user && (e = hab_ctx_find_user(ctx, user, &grantee))) return e;
    hab_rows_t *r;
    if ((e = hab_store_q(
             ctx->store, ctx->p, &r,
             "INSERT INTO grants(case_id, grantee, team, reason, expires, granted_by, granted_at) "
             "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
             "ittttt"
             "t",
             c->id, grantee, team, hab_j_str(b, "reason"), expires, ctx->user, ctx->now)))
        return e;
    hab_step_answer(ctx, out, 201, c->id, c->status);
    json_object_set_new(out->body, "grant_id", json_integer((json_int_t)hab_rows_int(r, 0, 0)));
    json_object_set_new(out->body, team ? "group" : "user", json_string(team ? team : grantee));
    json_object_set_new(out->body, "expires", json_string(expires));
    return NULL;
}

/* {arg} of DELETE api/cases/{id}/grants/{arg}: all digits is a grant id
 * (a user id with a '/' cannot travel in a path); anything else the user id
 * of the old form, revoking all of that user's active grants. */
static int grant_id_of(const char *arg, long long *id)
{
    size_t n = strlen(arg);
    if (n == 0 || strspn(arg, "0123456789") != n) return 0;
    long long v = 0;
    for (size_t i = 0; i < n && v >= 0; i++)
        v = i < 15 ? v * 10 + (arg[i] - '0') : -1; /* longer than any id: matches none */
    *id = v;
    return 1;
}

hab_err_t *hab_step_revoke_grant(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_GRANT_REVOKE, in->case_id, &c);
    if (e) return e;
    hab_rows_t *r;
    long long grant_id;
    if (in->arg && grant_id_of(in->arg, &grant_id))
        e = hab_store_q(
            ctx->store, ctx->p, &r,
            "UPDATE grants SET revoked_at = ?, revoked_by = ? WHERE case_id = ? AND id = ? "
            "AND revoked_at IS NULL AND expires >= ? RETURNING id",
            "ttiit", ctx->now, ctx->user, c->id, grant_id, ctx->today);
    else
        e = hab_store_q(
            ctx->store, ctx->p, &r,
            "UPDATE grants SET revoked_at = ?, revoked_by = ? WHERE case_id = ? AND grantee = ? "
            "AND revoked_at IS NULL AND expires >= ? RETURNING id",
            "ttitt", ctx->now, ctx->user, c->id, in->arg, ctx->today);
    if (e) return e;
    if (r->nrows == 0)
        return hab_err_not_found(ctx->p); /* not a case: no such grant of one the user may see */
    out->status = 204;
    return NULL;
}

/* ---- statements, legal hold, absences ---- */

static const hab_field_t f_statement[] = {
    {"received", HAB_F_DATE, 1, 0, 0, NULL, NULL},
    {"text", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {NULL}};

hab_err_t *hab_step_add_statement(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_STATEMENT_ADD, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_statement, "")) ||
        (e = not_in_future(ctx, "received", hab_j_str(b, "received"))) ||
        (e = hab_store_q(
             ctx->store, ctx->p, NULL,
             "INSERT INTO statements(case_id, received, text, recorded_by, recorded_at) "
             "VALUES (?, ?, ?, ?, ?)",
             "itttt", c->id, hab_j_str(b, "received"), hab_j_str(b, "text"), ctx->user, ctx->now)))
        return e;
    hab_step_answer(ctx, out, 201, c->id, c->status);
    return NULL;
}

hab_err_t *hab_step_legal_hold(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_HOLD, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, in->body, f_reason, "")) ||
        (e = hab_store_q(
             ctx->store, ctx->p, NULL,
             "UPDATE cases SET legal_hold_reason = ?, legal_hold_by = ?, legal_hold_at = ?, "
             "updated_at = ? WHERE id = ?",
             "tttti", hab_j_str(in->body, "reason"), ctx->user, ctx->now, ctx->now, c->id)))
        return e;
    hab_step_answer(ctx, out, 200, c->id, c->status);
    return NULL;
}

static const hab_field_t f_absence[] = {
    {"from", HAB_F_DATE, 1, 0, 0, NULL, NULL},
    {"to", HAB_F_DATE, 1, 0, 0, NULL, NULL},
    {"note", HAB_F_TEXT, 0, 0, HAB_LONG_TEXT, NULL, NULL},
    {NULL}};

hab_err_t *hab_step_add_absence(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    const json_t *b = in->body;
    if (!has(ctx, HAB_ROLE_CHIEF_EXECUTIVE | HAB_ROLE_CEM))
        return forbidden_step(ctx, "the chief executive or the customer experience manager");
    hab_err_t *e = hab_validate(ctx->p, b, f_absence, "");
    if (e) return e;
    if (strcmp(hab_j_str(b, "from"), hab_j_str(b, "to")) > 0)
        return hab_err_field(ctx->p, 400, "invalid-field", "to", "to cannot be before from.");
    hab_rows_t *r;
    e = hab_store_q(ctx->store, ctx->p, &r,
                    "INSERT INTO absences(from_date, to_date, note, recorded_by, recorded_at) "
                    "VALUES (?, ?, ?, ?, ?) RETURNING id", "ttttt", hab_j_str(b, "from"),
                    hab_j_str(b, "to"), hab_j_str(b, "note"), ctx->user, ctx->now);
    if (e) return e;
    out->status = 201;
    out->body = hab_json_own(ctx->p, json_pack("{s:I, s:s, s:s, s:o}", "id",
                                               (json_int_t)hab_rows_int(r, 0, 0), "from",
                                               hab_j_str(b, "from"), "to", hab_j_str(b, "to"),
                                               "note", hab_json_text(hab_j_str(b, "note"))));
    return NULL;
}
