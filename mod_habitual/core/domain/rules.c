/* README "The rules", one function per rule.  R12 (chief officers told) is an effect
 * rather than a refusal: see notify_chief_officers() in procedure.c. */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "habitual/base/dates.h"
#include "habitual/domain/roles.h"
#include "habitual/domain/rules.h"
#include "habitual/base/validate.h"

#define CHANNELS 6
enum { CH_PHONE, CH_LETTER, CH_EMAIL, CH_IN_PERSON, CH_FAX, CH_ONLINE };

/* ---- restriction objects (README "The JSON API") ---- */

static const hab_field_t f_none[] = {{"type", HAB_F_TEXT, 1, 0, 64, NULL, NULL}, {NULL}};
static const hab_field_t f_behaviour[] = {
    {"type", HAB_F_TEXT, 1, 0, 64, NULL, NULL},
    {"terms", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL}, {NULL}};
static const hab_field_t f_decline[] = {
    {"type", HAB_F_TEXT, 1, 0, 64, NULL, NULL},
    {"channels", HAB_F_ENUM_LIST, 1, 1, 6, hab_channels, NULL}, {NULL}};
static const hab_field_t f_third_party[] = {
    {"type", HAB_F_TEXT, 1, 0, 64, NULL, NULL},
    {"third_party", HAB_F_TEXT, 1, 0, HAB_SHORT_TEXT * 5, NULL, NULL}, {NULL}};
static const hab_field_t f_correspondence[] = {
    {"type", HAB_F_TEXT, 1, 0, 64, NULL, NULL},
    {"matter", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL}, {NULL}};
/* legal_advice and until are R7's conditions, checked there with its code. */
static const hab_field_t f_suspend[] = {
    {"type", HAB_F_TEXT, 1, 0, 64, NULL, NULL},
    {"legal_advice", HAB_F_TEXT, 0, 0, HAB_LONG_TEXT, NULL, NULL},
    {"until", HAB_F_DATE, 0, 0, 0, NULL, NULL}, {NULL}};
static const hab_field_t f_building[] = {
    {"type", HAB_F_TEXT, 1, 0, 64, NULL, NULL},
    {"buildings", HAB_F_TEXT_LIST, 1, 1, 50, NULL, NULL},
    {"injunction", HAB_F_BOOL, 0, 0, 0, NULL, NULL}, {NULL}};

static const hab_field_t *restriction_fields(const char *type)
{
    if (!strcmp(type, "behaviour-agreement")) return f_behaviour;
    if (!strcmp(type, "decline-channels")) return f_decline;
    if (!strcmp(type, "third-party-only")) return f_third_party;
    if (!strcmp(type, "correspondence-closed")) return f_correspondence;
    if (!strcmp(type, "suspend-contact")) return f_suspend;
    if (!strcmp(type, "building-ban")) return f_building;
    return f_none; /* referral-warning, written-only */
}

static void close_channel(hab_contact_plan_t *plan, const char *name)
{
    for (int i = 0; i < CHANNELS; i++)
        if (strcmp(hab_channels[i], name) == 0) plan->open[i] = 0;
}

static void apply_restriction(const json_t *r, hab_contact_plan_t *plan)
{
    const char *type = hab_j_str(r, "type");
    if (!strcmp(type, "decline-channels")) {
        size_t i;
        json_t *ch;
        json_array_foreach(json_object_get(r, "channels"), i, ch)
            close_channel(plan, json_string_value(ch));
    } else if (!strcmp(type, "written-only")) {
        /* the procedure: personal contact discontinued, written communication only */
        plan->open[CH_PHONE] = plan->open[CH_IN_PERSON] = 0;
    } else if (!strcmp(type, "third-party-only")) {
        memset(plan->open, 0, sizeof(plan->open));
        plan->via_third_party = 1;
    } else if (!strcmp(type, "suspend-contact")) {
        plan->suspended = 1;
        plan->suspend_until = hab_j_str(r, "until");
        plan->legal_advice = hab_j_str(r, "legal_advice");
    } else if (!strcmp(type, "building-ban")) {
        size_t i;
        json_t *b;
        json_array_foreach(json_object_get(r, "buildings"), i, b)
            if (!strcasecmp(json_string_value(b), "all")) plan->open[CH_IN_PERSON] = 0;
    }
}

hab_err_t *hab_restrictions_plan(apr_pool_t *p, const json_t *restrictions,
                                 hab_contact_plan_t *plan)
{
    memset(plan, 0, sizeof(*plan));
    for (int i = 0; i < CHANNELS; i++) plan->open[i] = 1;
    if (!json_is_array(restrictions))
        return hab_err_field(p, 400, "invalid-field", "restrictions",
                             "restrictions must be a list.");
    if (json_array_size(restrictions) > 20)
        return hab_err_field(p, 400, "invalid-field", "restrictions",
                             "restrictions has more than 20 entries.");
    size_t i;
    json_t *r;
    json_array_foreach(restrictions, i, r) {
        const char *where = apr_psprintf(p, "restrictions[%" APR_SIZE_T_FMT "]", i);
        if (!json_is_object(r))
            return hab_err_field(p, 400, "invalid-field", where, "%s must be an object.", where);
        const char *type = hab_j_str(r, "type");
        if (!hab_in_list(hab_restriction_types, type))
            return hab_err_field(p, 400, "invalid-field", where, "%s.type is not a restriction "
                                 "type this service knows.", where);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(type, hab_j_str(json_array_get(restrictions, k), "type")))
                return hab_err_field(p, 400, "invalid-field", where, "%s repeats a restriction "
                                     "type: combine them into one.", where);
        hab_err_t *e =
            hab_validate(p, r, restriction_fields(type), apr_pstrcat(p, where, ".", NULL));
        if (e) return e;
        apply_restriction(r, plan);
    }
    return NULL;
}

json_t *hab_open_channels(const hab_contact_plan_t *plan)
{
    json_t *out = json_array();
    if (plan->suspended) return out;
    for (int i = 0; i < CHANNELS; i++)
        if (plan->open[i]) json_array_append_new(out, json_string(hab_channels[i]));
    if (plan->via_third_party) json_array_append_new(out, json_string("third-party"));
    return out;
}

static int any_channel_open(const hab_contact_plan_t *plan)
{
    for (int i = 0; i < CHANNELS; i++)
        if (plan->open[i]) return 1;
    return 0;
}

/* ---- R1 – R13 ---- */

/* A refusal names the rule that made it: the access log records it
 * (refused_rule) and the governance figures count refusals by rule. */
static hab_err_t *by_rule(const char *rule, hab_err_t *e)
{
    e->rule = rule;
    return e;
}

hab_err_t *hab_rule_r1_exclusions(apr_pool_t *p, const char *exclusion)
{
    if (!exclusion || !strcmp(exclusion, "none")) return NULL;
    if (!strcmp(exclusion, "foi-dpa"))
        return by_rule(
            "R1", hab_err_make(p, 422, "excluded-foi-dpa",
                               "This procedure does not cover vexatious Freedom of Information or "
                               "Data Protection requests: consult the council's information "
                               "governance manager instead."));
    return by_rule(
        "R1", hab_err_make(p, 422, "excluded-other-process",
                           "This procedure does not cover matters with a process of their own "
                           "(legal action, or the housing aggressive-behaviour process): use that "
                           "process instead."));
}

hab_err_t *hab_rule_r2_last_resort(apr_pool_t *p, const char *measures_taken,
                                   const char *complaints_stage)
{
    if (hab_blank(measures_taken))
        return by_rule(
            "R2", hab_err_field(p, 422, "missing-field", "measures_taken",
                                "This procedure is a last resort: say what reasonable measures "
                                "have already been taken to resolve the complaints and contact."));
    if (!complaints_stage)
        return by_rule(
            "R2", hab_err_field(p, 422, "missing-field", "complaints_procedure",
                                "Say where the complaints procedure stands: exhausted, in-progress "
                                "or not-applicable."));
    return NULL;
}

hab_err_t *hab_rule_r3_warning_first(apr_pool_t *p, int warned, int severe,
                                     const char *severe_reason)
{
    if (warned) return NULL;
    if (severe && !hab_blank(severe_reason)) return NULL;
    return by_rule(
        "R3",
        hab_err_make(p, 422, "warning-required",
                     "The customer has not been warned. To report without a warning, say that "
                     "the behaviour is severe enough to act without notice, and why."));
}

hab_err_t *hab_rule_r4_who_decides(apr_pool_t *p, unsigned roles, int chief_executive_absent,
                                   const char **acting_as, int *deputising)
{
    if (roles & HAB_ROLE_CHIEF_EXECUTIVE) {
        *acting_as = "chief-executive";
        *deputising = 0;
        return NULL;
    }
    if ((roles & HAB_ROLE_MONITORING_OFFICER) && chief_executive_absent) {
        *acting_as = "monitoring-officer";
        *deputising = 1;
        return NULL;
    }
    if (roles & HAB_ROLE_MONITORING_OFFICER)
        return by_rule(
            "R4", hab_err_make(p, 422, "not-deputising",
                               "The monitoring officer decides only while a recorded absence of "
                               "the chief executive covers today."));
    return by_rule(
        "R4", hab_err_forbidden(p, "Only the chief executive, or the monitoring officer in their "
                                   "absence, decides."));
}

static int involved_in(const char *user, const apr_array_header_t *involved)
{
    for (int i = 0; involved && i < involved->nelts; i++) {
        const char *u = APR_ARRAY_IDX(involved, i, const char *);
        if (u && !strcmp(u, user)) return 1;
    }
    return 0;
}

hab_err_t *hab_rule_r5_not_own_case(apr_pool_t *p, const char *user,
                                    const apr_array_header_t *involved, const char *role_word)
{
    if (!involved_in(user, involved)) return NULL;
    return by_rule("R5",
                   hab_err_make(p, 422, "conflict-of-interest",
                                "No one judges their own case: you were involved in this case, so "
                                "another %s must take this step.",
                                role_word));
}

hab_err_t *hab_rule_r5_not_involved(apr_pool_t *p, const char *user,
                                    const apr_array_header_t *involvements, const char *role_word)
{
    for (int i = 0; involvements && i < involvements->nelts; i++) {
        const hab_involvement_t *inv = &APR_ARRAY_IDX(involvements, i, hab_involvement_t);
        if (!inv->user || strcasecmp(inv->user, user) != 0) continue;
        return by_rule("R5", hab_err_make(p, 422, "conflict-of-interest",
                                          "No one judges their own case: %s, so another %s must "
                                          "take this step.",
                                          inv->how, role_word));
    }
    return NULL;
}

hab_err_t *hab_rule_r14_suspension_length(apr_pool_t *p, const hab_contact_plan_t *plan,
                                          const char *start)
{
    if (!plan->suspended || !plan->suspend_until) return NULL;
    const char *latest = hab_date_add_months(p, start, HAB_R14_MONTHS_MAX);
    if (strcmp(plan->suspend_until, latest) <= 0) return NULL;
    return by_rule(
        "R14",
        hab_err_make(p, 422, "suspension-too-long",
                     "Contact is suspended only temporarily, while legal advice is sought: the "
                     "suspension must end within %d months of its start, by %s (R14).",
                     HAB_R14_MONTHS_MAX, latest));
}

const char *hab_rule_r14_suspension_ends(apr_pool_t *p, const json_t *restriction)
{
    const char *type = hab_j_str(restriction, "type"), *until = hab_j_str(restriction, "until");
    if (!type || strcmp(type, "suspend-contact") != 0 || !until) return NULL;
    return hab_date_add_days(p, until, 1);
}

const char *hab_rule_r16_review_deadline(apr_pool_t *p, const char *review_due, int grace_days)
{
    return hab_date_add_days(p, review_due, grace_days);
}

static int within(const char *day, const char *first, const char *last)
{
    return strcmp(first, day) <= 0 && (!last || strcmp(day, last) <= 0);
}

const char *hab_rule_r16_reminder(apr_pool_t *p, const char *today, const char *review_due,
                                  const char *deadline)
{
    const char *before = hab_date_add_days(p, review_due, -HAB_R16_REMIND_BEFORE_DAYS);
    if (within(today, before, hab_date_add_days(p, review_due, -1))) return "review-due-in-30-days";
    if (!deadline) return within(today, review_due, NULL) ? "review-due-today" : NULL;
    const char *grace_from = hab_date_add_days(p, deadline, -HAB_R16_REMIND_GRACE_DAYS);
    const char *day_after_due = hab_date_add_days(p, review_due, 1);
    if (strcmp(grace_from, day_after_due) < 0) grace_from = day_after_due;
    if (within(today, review_due, hab_date_add_days(p, grace_from, -1)) ||
        !strcmp(today, review_due))
        return "review-due-today";
    return within(today, grace_from, deadline) ? "review-grace-ending" : NULL;
}

hab_err_t *hab_rule_r19_contact_since_warning(apr_pool_t *p, int warned, int severe,
                                              long long contacts_since)
{
    if (!warned || severe || contacts_since > 0) return NULL;
    return by_rule(
        "R19",
        hab_err_make(p, 422, "no-contact-since-warning",
                     "The procedure acts if the behaviour continues after the warning: record a "
                     "contact since the warning in the chronology first, or report it as severe "
                     "(R19)."));
}

hab_err_t *hab_rule_r17_keeping_justified(apr_pool_t *p, const char *outcome, int justified,
                                          int proportionate, const char *reasons)
{
    int keeps = !strcmp(outcome, "continue") || !strcmp(outcome, "vary");
    if (!keeps || (justified && proportionate && !hab_blank(reasons))) return NULL;
    return by_rule("R17", hab_err_make(p, 422, "not-justified",
                                       "Restrictions can be continued or varied only when they are "
                                       "still justified "
                                       "and proportionate, with the reasons written down (R17)."));
}

hab_err_t *hab_rule_r17_period(apr_pool_t *p, int months)
{
    if (months <= HAB_R17_MONTHS_MAX) return NULL;
    return by_rule("R17", hab_err_field(p, 422, "period-too-long", "period_months",
                                        "A continued designation is reviewed within a year: at "
                                        "most %d months (R17).",
                                        HAB_R17_MONTHS_MAX));
}

hab_err_t *hab_rule_r18_monitoring_officer(apr_pool_t *p, const char *named_id,
                                           unsigned named_roles, const char *author)
{
    if ((named_roles & HAB_ROLE_MONITORING_OFFICER) && strcasecmp(named_id, author) != 0)
        return NULL;
    return by_rule("R18", hab_err_field(p, 422, "not-monitoring-officer", "monitoring_officer",
                                        "Name the monitoring officer who joined the review: a "
                                        "member of the monitoring "
                                        "officer group, and not the review's author (R18)."));
}

hab_err_t *hab_rule_r6_justified(apr_pool_t *p, int justified, int proportionate,
                                 const char *reasons)
{
    if (justified && proportionate && !hab_blank(reasons)) return NULL;
    return by_rule("R6",
                   hab_err_make(p, 422, "not-justified",
                                "Restrictions can be approved only when they are justified and "
                                "proportionate, with the reasons written down."));
}

hab_err_t *hab_rule_r7_open_channel(apr_pool_t *p, const hab_contact_plan_t *plan,
                                    const char *period_start, const char *period_end)
{
    if (plan->suspended) {
        if (hab_blank(plan->legal_advice) || !plan->suspend_until)
            return by_rule(
                "R7",
                hab_err_make(p, 422, "no-open-channel",
                             "Suspending all contact is allowed only while legal advice is "
                             "sought: record the legal advice and the date the suspension ends."));
        if ((period_start && strcmp(plan->suspend_until, period_start) < 0) ||
            (period_end && strcmp(plan->suspend_until, period_end) > 0))
            return by_rule("R7", hab_err_make(p, 422, "no-open-channel",
                                              "The suspension of all contact must end within the "
                                              "period of the "
                                              "restrictions."));
        return NULL;
    }
    if (any_channel_open(plan) || plan->via_third_party) return NULL;
    return by_rule(
        "R7", hab_err_make(p, 422, "no-open-channel",
                           "The restrictions together must leave the customer at least one way "
                           "to contact the council."));
}

hab_err_t *hab_rule_r8_violence(apr_pool_t *p, int violence, const hab_contact_plan_t *plan)
{
    if (!violence) return NULL;
    int personal_closed = !plan->open[CH_PHONE] && !plan->open[CH_IN_PERSON];
    if (plan->suspended || plan->via_third_party || personal_closed) return NULL;
    return by_rule(
        "R8", hab_err_make(p, 422, "violence-requires-written-only",
                           "Violence or threats of violence have been recorded: personal contact "
                           "must stop, so the restrictions must include written-only contact or "
                           "something stricter."));
}

hab_err_t *hab_rule_r8_violence_report(apr_pool_t *p, int violence, const char *police_reference,
                                       int asb_unit_consulted)
{
    if (!violence) return NULL;
    if (hab_blank(police_reference))
        return by_rule(
            "R8", hab_err_field(p, 422, "violence-requires-written-only", "police_reference",
                                "Violence has been recorded: give the police reference, or say "
                                "why it was not reported to the police."));
    if (!asb_unit_consulted)
        return by_rule(
            "R8", hab_err_field(p, 422, "violence-requires-written-only", "asb_unit_consulted",
                                "Violence has been recorded: the anti-social behaviour unit must "
                                "be consulted before the report."));
    return NULL;
}

void hab_rule_r9_period(apr_pool_t *p, const char *start, int months, const char **end,
                        const char **review_due)
{
    *end = hab_period_end(p, start, months);
    *review_due = hab_review_due(p, start, months);
}

const char *hab_period_last_day(const char *end_date, const char *review_deadline,
                                int *review_overdue)
{
    int overdue = end_date && review_deadline && strcmp(review_deadline, end_date) < 0;
    if (review_overdue) *review_overdue = overdue;
    return overdue ? review_deadline : end_date;
}

const char *hab_effective_status(const char *stored, const char *period_end, const char *today,
                                 int *lapsed)
{
    *lapsed = hab_rule_r9_lapsed(stored, period_end, today);
    return *lapsed ? "ended" : stored;
}

int hab_rule_r9_lapsed(const char *status, const char *period_end, const char *today)
{
    return status && !strcmp(status, "active") && period_end && strcmp(period_end, today) < 0;
}

hab_err_t *hab_rule_r10_safeguarding(apr_pool_t *p, int vulnerable, int considered,
                                     const char *adjustments)
{
    if (!vulnerable || (considered && !hab_blank(adjustments))) return NULL;
    return by_rule("R10",
                   hab_err_make(p, 422, "safeguarding-required",
                                "The customer is recorded as vulnerable: record the safeguarding "
                                "consideration and the reasonable adjustments before reporting."));
}

hab_err_t *hab_rule_r11_letter_complete(apr_pool_t *p, const char *body,
                                        const char *const *required_markers)
{
    for (; *required_markers; required_markers++)
        if (!strstr(body, *required_markers))
            return hab_err_internal(p, apr_psprintf(p, "letter incomplete: no %s",
                                                    *required_markers));
    return NULL;
}

const char *hab_rule_r15_interim_end(apr_pool_t *p, const char *imposed_on, int days,
                                     const char *reported_on)
{
    if (days < HAB_INTERIM_DAYS_MIN) days = HAB_INTERIM_DAYS_MIN;
    if (days > HAB_INTERIM_DAYS_MAX) days = HAB_INTERIM_DAYS_MAX;
    const char *last_day = hab_date_add_days(p, imposed_on, days);
    if (reported_on && strcmp(reported_on, last_day) <= 0) return NULL; /* until the decision */
    return hab_date_add_days(p, last_day, 1);
}

hab_err_t *hab_rule_r13_state(apr_pool_t *p, const char *status, const char *const *allowed)
{
    if (hab_in_list(allowed, status)) return NULL;
    return by_rule("R13", hab_err_wrong_state(p, status));
}
