/* The rules of README "The rules" (mod_habitual/core/domain/rules.c), without httpd: for each
 * of R1-R13 a refusal with its exact status and code, and an allowed case;
 * the restriction objects and the contact plan they leave (R7, R8). */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "habitual/domain/casefile.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/letters.h"
#include "habitual/domain/roles.h"
#include "habitual/domain/rules.h"
#include "habitual/base/validate.h"
#include "unit.h"

/* ---- helpers ---- */

/* JSON written with single quotes, so the tests stay readable; owned by
 * the test's pool. */
static json_t *J(const char *text)
{
    char *s = apr_pstrdup(test_pool, text);
    for (char *c = s; *c; c++)
        if (*c == '\'') *c = '"';
    json_error_t jerr;
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(j != NULL, "test JSON does not parse: %s: %s", s, jerr.text);
    return hab_json_own(test_pool, j);
}

#define ASSERT_REFUSED(expr, want_status, want_code)                                           \
    do {                                                                                       \
        hab_err_t *e_ = (expr);                                                                \
        ck_assert_msg(e_ != NULL, "%s: allowed, expected %d %s", #expr, want_status, want_code); \
        ck_assert_msg(e_->status == (want_status), "%s: status %d, expected %d (%s)", #expr,    \
                      e_->status, want_status, e_->message);                                   \
        ck_assert_msg(e_->code && !strcmp(e_->code, want_code), "%s: code %s, expected %s",    \
                      #expr, e_->code, want_code);                                             \
        ck_assert_msg(e_->message && *e_->message, "%s: no message", #expr);                  \
    } while (0)

#define ASSERT_ALLOWED(expr)                                                                   \
    do {                                                                                       \
        hab_err_t *e_ = (expr);                                                                \
        ck_assert_msg(e_ == NULL, "%s: refused %d %s: %s", #expr, e_ ? e_->status : 0,          \
                      e_ ? e_->code : "", e_ ? e_->message : "");                              \
    } while (0)

/* The plan of a restrictions list that must be valid. */
static hab_contact_plan_t plan_ok(const char *restrictions)
{
    hab_contact_plan_t plan;
    hab_err_t *e = hab_restrictions_plan(test_pool, J(restrictions), &plan);
    ck_assert_msg(e == NULL, "plan of %s refused: %s", restrictions, e ? e->message : "");
    return plan;
}

/* hab_open_channels as compact JSON text. */
static const char *open_of(const hab_contact_plan_t *plan)
{
    json_t *open = hab_json_own(test_pool, hab_open_channels(plan));
    ck_assert(json_is_array(open));
    return hab_json_dump(test_pool, open);
}

static const char *const ALL6 = "['phone','letter','email','in-person','fax','online']";

/* ---- R1 exclusions ---- */

START_TEST(r1_no_exclusion_allowed)
{
    ASSERT_ALLOWED(hab_rule_r1_exclusions(test_pool, NULL));
    ASSERT_ALLOWED(hab_rule_r1_exclusions(test_pool, "none"));
}
END_TEST

START_TEST(r1_foi_dpa_names_the_information_governance_manager)
{
    hab_err_t *e = hab_rule_r1_exclusions(test_pool, "foi-dpa");
    ASSERT_REFUSED(e, 422, "excluded-foi-dpa");
    ck_assert_msg(strstr(e->message, "information governance manager") != NULL,
                  "message does not name the information governance manager: %s", e->message);
}
END_TEST

START_TEST(r1_legal_action_excluded)
{
    ASSERT_REFUSED(hab_rule_r1_exclusions(test_pool, "legal-action"), 422,
                   "excluded-other-process");
}
END_TEST

START_TEST(r1_housing_aggression_excluded)
{
    ASSERT_REFUSED(hab_rule_r1_exclusions(test_pool, "housing-aggression"), 422,
                   "excluded-other-process");
}
END_TEST

START_TEST(r1_every_listed_value_is_decided)
{
    /* every value of the API's list: none allowed, the other three refused */
    int refused = 0;
    for (const char *const *x = hab_exclusions; *x; x++) {
        hab_err_t *e = hab_rule_r1_exclusions(test_pool, *x);
        if (!strcmp(*x, "none")) {
            ck_assert_ptr_null(e);
        } else {
            ck_assert_ptr_nonnull(e);
            ck_assert_int_eq(e->status, 422);
            refused++;
        }
    }
    ck_assert_int_eq(refused, 3);
}
END_TEST

/* ---- R2 last resort ---- */

START_TEST(r2_measures_missing)
{
    hab_err_t *e = hab_rule_r2_last_resort(test_pool, NULL, "exhausted");
    ASSERT_REFUSED(e, 422, "missing-field");
    ck_assert_str_eq(e->field, "measures_taken");
    e = hab_rule_r2_last_resort(test_pool, "", "exhausted");
    ASSERT_REFUSED(e, 422, "missing-field");
    ck_assert_str_eq(e->field, "measures_taken");
}
END_TEST

START_TEST(r2_complaints_stage_missing)
{
    hab_err_t *e = hab_rule_r2_last_resort(test_pool, "Single point of contact offered", NULL);
    ASSERT_REFUSED(e, 422, "missing-field");
    ck_assert_str_eq(e->field, "complaints_procedure");
}
END_TEST

START_TEST(r2_both_given_allowed)
{
    for (const char *const *stage = hab_complaints_stages; *stage; stage++)
        ASSERT_ALLOWED(
            hab_rule_r2_last_resort(test_pool, "Single point of contact offered", *stage));
}
END_TEST

/* ---- R3 warning first ---- */

START_TEST(r3_warned_allowed)
{
    ASSERT_ALLOWED(hab_rule_r3_warning_first(test_pool, 1, 0, NULL));
    ASSERT_ALLOWED(hab_rule_r3_warning_first(test_pool, 1, 1, "threats"));
}
END_TEST

START_TEST(r3_severe_with_reason_allowed)
{
    ASSERT_ALLOWED(
        hab_rule_r3_warning_first(test_pool, 0, 1, "Threatened an officer with a knife"));
}
END_TEST

START_TEST(r3_severe_without_reason_refused)
{
    ASSERT_REFUSED(hab_rule_r3_warning_first(test_pool, 0, 1, NULL), 422, "warning-required");
    ASSERT_REFUSED(hab_rule_r3_warning_first(test_pool, 0, 1, ""), 422, "warning-required");
}
END_TEST

START_TEST(r3_not_warned_not_severe_refused)
{
    ASSERT_REFUSED(hab_rule_r3_warning_first(test_pool, 0, 0, NULL), 422, "warning-required");
    /* a reason without "severe": true is not enough */
    ASSERT_REFUSED(hab_rule_r3_warning_first(test_pool, 0, 0, "very rude"), 422,
                   "warning-required");
}
END_TEST

/* ---- R4 who decides ---- */

START_TEST(r4_chief_executive_decides)
{
    const char *as = NULL;
    int dep = -1;
    ASSERT_ALLOWED(hab_rule_r4_who_decides(test_pool, HAB_ROLE_STAFF | HAB_ROLE_CHIEF_EXECUTIVE, 0,
                                           &as, &dep));
    ck_assert_str_eq(as, "chief-executive");
    ck_assert_int_eq(dep, 0);
    /* a recorded absence does not stop the chief executive deciding */
    as = NULL;
    dep = -1;
    ASSERT_ALLOWED(hab_rule_r4_who_decides(test_pool, HAB_ROLE_CHIEF_EXECUTIVE, 1, &as, &dep));
    ck_assert_str_eq(as, "chief-executive");
    ck_assert_int_eq(dep, 0);
}
END_TEST

START_TEST(r4_monitoring_officer_during_absence)
{
    const char *as = NULL;
    int dep = -1;
    ASSERT_ALLOWED(hab_rule_r4_who_decides(test_pool, HAB_ROLE_STAFF | HAB_ROLE_MONITORING_OFFICER,
                                           1, &as, &dep));
    ck_assert_str_eq(as, "monitoring-officer");
    ck_assert_int_eq(dep, 1);
}
END_TEST

START_TEST(r4_monitoring_officer_without_absence_not_deputising)
{
    const char *as = NULL;
    int dep = 0;
    ASSERT_REFUSED(hab_rule_r4_who_decides(test_pool, HAB_ROLE_STAFF | HAB_ROLE_MONITORING_OFFICER,
                                           0, &as, &dep), 422, "not-deputising");
}
END_TEST

START_TEST(r4_both_roles_decide_as_chief_executive)
{
    unsigned both = HAB_ROLE_STAFF | HAB_ROLE_CHIEF_EXECUTIVE | HAB_ROLE_MONITORING_OFFICER;
    for (int absent = 0; absent <= 1; absent++) {
        const char *as = NULL;
        int dep = -1;
        ASSERT_ALLOWED(hab_rule_r4_who_decides(test_pool, both, absent, &as, &dep));
        ck_assert_str_eq(as, "chief-executive");
        ck_assert_int_eq(dep, 0);
    }
}
END_TEST

START_TEST(r4_other_roles_forbidden)
{
    const unsigned others[] = {
        HAB_ROLE_STAFF | HAB_ROLE_CEM, HAB_ROLE_STAFF, HAB_ROLE_STAFF | HAB_ROLE_CHIEF_OFFICER,
        HAB_ROLE_STAFF | HAB_ROLE_AUDITOR,
        HAB_ROLE_STAFF | HAB_ROLE_CEM | HAB_ROLE_CHIEF_OFFICER | HAB_ROLE_AUDITOR, 0};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        for (int absent = 0; absent <= 1; absent++) {
            const char *as = NULL;
            int dep = 0;
            ASSERT_REFUSED(hab_rule_r4_who_decides(test_pool, others[i], absent, &as, &dep), 403,
                           "forbidden");
        }
}
END_TEST

/* ---- R5 not their own case ---- */

static apr_array_header_t *people(const char *a, const char *b, const char *c)
{
    apr_array_header_t *arr = apr_array_make(test_pool, 3, sizeof(const char *));
    APR_ARRAY_PUSH(arr, const char *) = a;
    APR_ARRAY_PUSH(arr, const char *) = b;
    APR_ARRAY_PUSH(arr, const char *) = c;
    return arr;
}

START_TEST(r5_involved_refused)
{
    apr_array_header_t *involved = people("alice", NULL, "carol");
    hab_err_t *e = hab_rule_r5_not_own_case(test_pool, "alice", involved, "decider");
    ASSERT_REFUSED(e, 422, "conflict-of-interest");
    ck_assert_msg(strstr(e->message, "decider") != NULL, "%s", e->message);
    ASSERT_REFUSED(hab_rule_r5_not_own_case(test_pool, "carol", involved, "chief officer"), 422,
                   "conflict-of-interest");
}
END_TEST

/* Each refusal names its rule, for the access log (refused_rule). */
START_TEST(refusals_name_their_rule)
{
    const char *acting;
    int deputising;
    hab_contact_plan_t plan;
    memset(&plan, 0, sizeof(plan));
    plan.suspended = 1;
    static const char *const active_only[] = {"active", NULL};
    struct { hab_err_t *e; const char *rule;
    } cases[] = {
        {hab_rule_r1_exclusions(test_pool, "foi-dpa"), "R1"},
        {hab_rule_r2_last_resort(test_pool, "", "exhausted"), "R2"},
        {hab_rule_r3_warning_first(test_pool, 0, 0, NULL), "R3"},
        {hab_rule_r4_who_decides(test_pool, HAB_ROLE_MONITORING_OFFICER, 0, &acting, &deputising),
         "R4"},
        {hab_rule_r5_not_own_case(test_pool, "alice", people("alice", NULL, NULL), "decider"),
         "R5"},
        {hab_rule_r6_justified(test_pool, 1, 0, "Because."), "R6"},
        {hab_rule_r7_open_channel(test_pool, &plan, NULL, NULL), "R7"},
        {hab_rule_r8_violence_report(test_pool, 1, NULL, 1), "R8"},
        {hab_rule_r10_safeguarding(test_pool, 1, 0, NULL), "R10"},
        {hab_rule_r13_state(test_pool, "closed", active_only), "R13"},
        {hab_rule_r17_period(test_pool, 13), "R17"},
        {hab_rule_r18_monitoring_officer(test_pool, "alice", 0, "carol"), "R18"},
        {hab_rule_r19_contact_since_warning(test_pool, 1, 0, 0), "R19"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_ptr_nonnull(cases[i].e);
        ck_assert_msg(cases[i].e->rule && !strcmp(cases[i].e->rule, cases[i].rule), "%s: %s",
                      cases[i].rule, cases[i].e->rule ? cases[i].e->rule : "(none)");
    }
    /* R11's incomplete letter is a bug (500), not a refusal */
    static const char *const parts[] = {"data-part=\"why\"", NULL};
    ck_assert_ptr_null(hab_rule_r11_letter_complete(test_pool, "<p>nothing</p>", parts)->rule);
}
END_TEST

START_TEST(r5_not_involved_allowed)
{
    apr_array_header_t *involved = people("alice", NULL, "carol");
    ASSERT_ALLOWED(hab_rule_r5_not_own_case(test_pool, "chris", involved, "decider"));
    /* exact names only: no prefix or case folding */
    ASSERT_ALLOWED(hab_rule_r5_not_own_case(test_pool, "alic", involved, "decider"));
    ASSERT_ALLOWED(hab_rule_r5_not_own_case(test_pool, "Alice", involved, "decider"));
    ASSERT_ALLOWED(hab_rule_r5_not_own_case(test_pool, "chris", NULL, "decider"));
    ASSERT_ALLOWED(hab_rule_r5_not_own_case(test_pool, "chris",
                                            apr_array_make(test_pool, 1, sizeof(const char *)),
                                            "decider"));
}
END_TEST

/* ---- R6 justified and proportionate ---- */

START_TEST(r6_all_given_allowed)
{
    ASSERT_ALLOWED(hab_rule_r6_justified(test_pool, 1, 1, "Months of abusive calls"));
}
END_TEST

START_TEST(r6_not_justified_refused)
{
    ASSERT_REFUSED(hab_rule_r6_justified(test_pool, 0, 1, "reasons"), 422, "not-justified");
}
END_TEST

START_TEST(r6_not_proportionate_refused)
{
    ASSERT_REFUSED(hab_rule_r6_justified(test_pool, 1, 0, "reasons"), 422, "not-justified");
}
END_TEST

START_TEST(r6_reasons_missing_refused)
{
    ASSERT_REFUSED(hab_rule_r6_justified(test_pool, 1, 1, NULL), 422, "not-justified");
    ASSERT_REFUSED(hab_rule_r6_justified(test_pool, 1, 1, ""), 422, "not-justified");
    ASSERT_REFUSED(hab_rule_r6_justified(test_pool, 0, 0, NULL), 422, "not-justified");
}
END_TEST

/* ---- R7 one door stays open ---- */

START_TEST(r7_no_restriction_leaves_everything_open)
{
    hab_contact_plan_t plan = plan_ok("[]");
    ck_assert_str_eq(open_of(&plan),
                     "[\"phone\",\"letter\",\"email\",\"in-person\",\"fax\",\"online\"]");
    ASSERT_ALLOWED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"));
}
END_TEST

START_TEST(r7_declining_all_six_refused)
{
    hab_contact_plan_t plan =
        plan_ok(apr_psprintf(test_pool, "[{'type':'decline-channels','channels':%s}]", ALL6));
    ck_assert_str_eq(open_of(&plan), "[]");
    ASSERT_REFUSED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"), 422,
                   "no-open-channel");
}
END_TEST

START_TEST(r7_declining_five_leaves_the_sixth)
{
    /* each channel in turn is the one left open */
    for (int keep = 0; hab_channels[keep]; keep++) {
        const char *list = "";
        for (int i = 0; hab_channels[i]; i++)
            if (i != keep)
                list =
                    apr_pstrcat(test_pool, list, *list ? "," : "", "'", hab_channels[i], "'", NULL);
        hab_contact_plan_t plan = plan_ok(
            apr_psprintf(test_pool, "[{'type':'decline-channels','channels':[%s]}]", list));
        ASSERT_ALLOWED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"));
        ck_assert_str_eq(open_of(&plan), apr_psprintf(test_pool, "[\"%s\"]", hab_channels[keep]));
    }
}
END_TEST

START_TEST(r7_third_party_only_is_the_open_way)
{
    hab_contact_plan_t plan =
        plan_ok("[{'type':'third-party-only','third_party':'Citizens Advice'}]");
    ck_assert_int_eq(plan.via_third_party, 1);
    for (int i = 0; i < 6; i++) ck_assert_int_eq(plan.open[i], 0);
    ck_assert_str_eq(open_of(&plan), "[\"third-party\"]");
    ASSERT_ALLOWED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"));
    /* declining every channel as well still leaves the third party */
    plan = plan_ok(apr_psprintf(test_pool, "[{'type':'third-party-only','third_party':'CAB'},"
                                           "{'type':'decline-channels','channels':%s}]", ALL6));
    ck_assert_str_eq(open_of(&plan), "[\"third-party\"]");
    ASSERT_ALLOWED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"));
}
END_TEST

START_TEST(r7_suspend_without_legal_advice_refused)
{
    hab_contact_plan_t plan = plan_ok("[{'type':'suspend-contact','until':'2026-03-01'}]");
    ck_assert_int_eq(plan.suspended, 1);
    ASSERT_REFUSED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"), 422,
                   "no-open-channel");
    plan = plan_ok("[{'type':'suspend-contact','legal_advice':'','until':'2026-03-01'}]");
    ASSERT_REFUSED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"), 422,
                   "no-open-channel");
}
END_TEST

START_TEST(r7_suspend_without_until_refused)
{
    hab_contact_plan_t plan =
        plan_ok("[{'type':'suspend-contact','legal_advice':'Counsel instructed on injunction'}]");
    ASSERT_REFUSED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"), 422,
                   "no-open-channel");
    /* without a period to measure against, still refused */
    ASSERT_REFUSED(hab_rule_r7_open_channel(test_pool, &plan, NULL, NULL), 422, "no-open-channel");
}
END_TEST

START_TEST(r7_suspend_until_after_period_end_refused)
{
    hab_contact_plan_t plan =
        plan_ok("[{'type':'suspend-contact','legal_advice':'Counsel','until':'2026-07-01'}]");
    ASSERT_REFUSED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"), 422,
                   "no-open-channel");
}
END_TEST

START_TEST(r7_suspend_until_before_start_refused)
{
    hab_contact_plan_t plan =
        plan_ok("[{'type':'suspend-contact','legal_advice':'Counsel','until':'2025-12-31'}]");
    ASSERT_REFUSED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"), 422,
                   "no-open-channel");
}
END_TEST

START_TEST(r7_suspend_valid_allowed)
{
    const char *untils[] = {"2026-01-01", "2026-03-15",
                            "2026-06-30"}; /* first day, middle, last day */
    for (int i = 0; i < 3; i++) {
        hab_contact_plan_t plan = plan_ok(apr_psprintf(
            test_pool, "[{'type':'suspend-contact','legal_advice':'Counsel','until':'%s'}]",
            untils[i]));
        ASSERT_ALLOWED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"));
        ck_assert_str_eq(plan.suspend_until, untils[i]);
        ck_assert_str_eq(plan.legal_advice, "Counsel");
        /* suspended: nothing open for now */
        ck_assert_str_eq(open_of(&plan), "[]");
    }
}
END_TEST

START_TEST(r7_building_ban_all_closes_in_person)
{
    hab_contact_plan_t plan =
        plan_ok("[{'type':'building-ban','buildings':['Town Hall','all'],'injunction':true}]");
    ck_assert_str_eq(open_of(&plan), "[\"phone\",\"letter\",\"email\",\"fax\",\"online\"]");
    ASSERT_ALLOWED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"));
    /* named buildings only: in person elsewhere stays open */
    plan = plan_ok("[{'type':'building-ban','buildings':['Town Hall','Depot']}]");
    ck_assert_str_eq(open_of(&plan),
                     "[\"phone\",\"letter\",\"email\",\"in-person\",\"fax\",\"online\"]");
}
END_TEST

START_TEST(r7_written_only_closes_phone_and_in_person)
{
    hab_contact_plan_t plan = plan_ok("[{'type':'written-only'}]");
    ck_assert_str_eq(open_of(&plan), "[\"letter\",\"email\",\"fax\",\"online\"]");
    ASSERT_ALLOWED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"));
    /* written-only plus declining every written channel closes the last door */
    plan = plan_ok("[{'type':'written-only'},"
                   "{'type':'decline-channels','channels':['letter','email','fax','online']}]");
    ck_assert_str_eq(open_of(&plan), "[]");
    ASSERT_REFUSED(hab_rule_r7_open_channel(test_pool, &plan, "2026-01-01", "2026-06-30"), 422,
                   "no-open-channel");
}
END_TEST

START_TEST(r7_other_types_close_nothing)
{
    hab_contact_plan_t plan = plan_ok(
        "[{'type':'behaviour-agreement','terms':'One call a week'},"
        "{'type':'correspondence-closed','matter':'the 2019 parking fine'},"
        "{'type':'referral-warning'}]");
    ck_assert_str_eq(open_of(&plan),
                     "[\"phone\",\"letter\",\"email\",\"in-person\",\"fax\",\"online\"]");
    ck_assert_int_eq(plan.via_third_party, 0);
    ck_assert_int_eq(plan.suspended, 0);
}
END_TEST

/* ---- restriction objects: 400 for anything malformed ---- */

static void plan_refused(const char *restrictions, int status, const char *code, const char *field)
{
    hab_contact_plan_t plan;
    hab_err_t *e = hab_restrictions_plan(test_pool, J(restrictions), &plan);
    ck_assert_msg(e != NULL, "%s: accepted", restrictions);
    ck_assert_msg(e->status == status, "%s: status %d, expected %d (%s)", restrictions, e->status,
                  status, e->message);
    ck_assert_msg(!strcmp(e->code, code), "%s: code %s, expected %s", restrictions, e->code, code);
    if (field)
        ck_assert_msg(e->field && !strcmp(e->field, field), "%s: field %s, expected %s",
                      restrictions, e->field ? e->field : "(none)", field);
}

START_TEST(restriction_unknown_type)
{
    plan_refused("[{'type':'ban-everything'}]", 400, "invalid-field", "restrictions[0]");
    plan_refused("[{'type':'written-only'},{'type':'Written-Only'}]", 400, "invalid-field",
                 "restrictions[1]");
    plan_refused("[{'terms':'no type'}]", 400, "invalid-field", "restrictions[0]");
    plan_refused("[{'type':5}]", 400, "invalid-field", "restrictions[0]");
}
END_TEST

START_TEST(restriction_unknown_field)
{
    plan_refused("[{'type':'written-only','until':'2026-01-01'}]", 400, "unknown-field", NULL);
    plan_refused("[{'type':'decline-channels','channels':['phone'],'reason':'x'}]", 400,
                 "unknown-field", NULL);
    plan_refused("[{'type':'referral-warning','police':true}]", 400, "unknown-field", NULL);
}
END_TEST

START_TEST(restriction_duplicate_type)
{
    plan_refused("[{'type':'decline-channels','channels':['phone']},"
                 "{'type':'decline-channels','channels':['fax']}]",
                 400, "invalid-field", "restrictions[1]");
}
END_TEST

START_TEST(restriction_channels_unknown_value)
{
    plan_refused("[{'type':'decline-channels','channels':['phone','pigeon']}]", 400,
                 "invalid-field", NULL);
    /* a contact kind that is not a restriction channel */
    plan_refused("[{'type':'decline-channels','channels':['visit']}]", 400, "invalid-field", NULL);
    plan_refused("[{'type':'decline-channels','channels':[1]}]", 400, "invalid-field", NULL);
    plan_refused("[{'type':'decline-channels','channels':'phone'}]", 400, "invalid-field", NULL);
}
END_TEST

START_TEST(restriction_channels_duplicate)
{
    plan_refused("[{'type':'decline-channels','channels':['phone','email','phone']}]", 400,
                 "invalid-field", NULL);
}
END_TEST

START_TEST(restriction_empty_lists)
{
    /* An empty required list inside a restriction is refused.  The README
     * answers "a required field missing" with 422 missing-field, as for
     * criteria: [] on a referral. */
    plan_refused("[{'type':'decline-channels','channels':[]}]", 422, "missing-field",
                 "restrictions[0].channels");
    plan_refused("[{'type':'building-ban','buildings':[]}]", 422, "missing-field",
                 "restrictions[0].buildings");
    /* the list of restrictions itself may be empty for the plan (nothing
     * closed); the procedure refuses an empty proposal (test_procedure.c) */
    hab_contact_plan_t plan = plan_ok("[]");
    ck_assert_int_eq(plan.suspended, 0);
}
END_TEST

START_TEST(restriction_non_object)
{
    plan_refused("['written-only']", 400, "invalid-field", "restrictions[0]");
    plan_refused("[null]", 400, "invalid-field", "restrictions[0]");
    plan_refused("[{'type':'written-only'},[]]", 400, "invalid-field", "restrictions[1]");
    /* the list itself must be a list */
    hab_contact_plan_t plan;
    hab_err_t *e = hab_restrictions_plan(test_pool, J("{'type':'written-only'}"), &plan);
    ASSERT_REFUSED(e, 400, "invalid-field");
    e = hab_restrictions_plan(test_pool, NULL, &plan);
    ASSERT_REFUSED(e, 400, "invalid-field");
}
END_TEST

START_TEST(restriction_fields_checked)
{
    /* required fields of a type: missing is 422, as every body */
    plan_refused("[{'type':'behaviour-agreement'}]", 422, "missing-field", "restrictions[0].terms");
    plan_refused("[{'type':'third-party-only'}]", 422, "missing-field",
                 "restrictions[0].third_party");
    plan_refused("[{'type':'correspondence-closed'}]", 422, "missing-field",
                 "restrictions[0].matter");
    /* wrong types and bad dates are 400 */
    plan_refused("[{'type':'building-ban','buildings':['all'],'injunction':'yes'}]", 400,
                 "invalid-field", "restrictions[0].injunction");
    plan_refused("[{'type':'suspend-contact','legal_advice':'x','until':'2026-02-30'}]", 400,
                 "invalid-field", "restrictions[0].until");
    plan_refused("[{'type':'suspend-contact','legal_advice':'x','until':'1 March 2026'}]", 400,
                 "invalid-field", "restrictions[0].until");
    plan_refused("[{'type':'behaviour-agreement','terms':7}]", 400, "invalid-field",
                 "restrictions[0].terms");
}
END_TEST

START_TEST(restriction_list_too_long)
{
    const char *list = "[";
    for (int i = 0; i < 21; i++)
        list = apr_pstrcat(test_pool, list, i ? "," : "", "{'type':'referral-warning'}", NULL);
    list = apr_pstrcat(test_pool, list, "]", NULL);
    plan_refused(list, 400, "invalid-field", NULL);
}
END_TEST

/* ---- R8 violence ---- */

START_TEST(r8_decline_phone_only_refused)
{
    hab_contact_plan_t plan = plan_ok("[{'type':'decline-channels','channels':['phone']}]");
    ASSERT_REFUSED(hab_rule_r8_violence(test_pool, 1, &plan), 422,
                   "violence-requires-written-only");
    /* in person alone closed is not enough either */
    plan = plan_ok("[{'type':'building-ban','buildings':['all']}]");
    ASSERT_REFUSED(hab_rule_r8_violence(test_pool, 1, &plan), 422,
                   "violence-requires-written-only");
    plan = plan_ok(
        "[{'type':'behaviour-agreement','terms':'no shouting'},{'type':'referral-warning'}]");
    ASSERT_REFUSED(hab_rule_r8_violence(test_pool, 1, &plan), 422,
                   "violence-requires-written-only");
}
END_TEST

START_TEST(r8_written_only_or_stricter_allowed)
{
    const char *stricter[] = {
        "[{'type':'written-only'}]",
        "[{'type':'third-party-only','third_party':'Solicitor'}]",
        "[{'type':'suspend-contact','legal_advice':'Counsel','until':'2026-03-01'}]",
        "[{'type':'decline-channels','channels':['phone','in-person']}]",
        "[{'type':'decline-channels','channels':['phone']},{'type':'building-ban','buildings':['"
        "all']}]",
    };
    for (size_t i = 0; i < sizeof(stricter) / sizeof(stricter[0]); i++) {
        hab_contact_plan_t plan = plan_ok(stricter[i]);
        hab_err_t *e = hab_rule_r8_violence(test_pool, 1, &plan);
        ck_assert_msg(e == NULL, "%s refused after violence: %s", stricter[i], e ? e->message : "");
    }
}
END_TEST

START_TEST(r8_no_violence_allowed)
{
    hab_contact_plan_t plan = plan_ok("[{'type':'decline-channels','channels':['phone']}]");
    ASSERT_ALLOWED(hab_rule_r8_violence(test_pool, 0, &plan));
    plan = plan_ok("[]");
    ASSERT_ALLOWED(hab_rule_r8_violence(test_pool, 0, &plan));
}
END_TEST

START_TEST(r8_report_needs_police_reference)
{
    hab_err_t *e = hab_rule_r8_violence_report(test_pool, 1, NULL, 1);
    ASSERT_REFUSED(e, 422, "violence-requires-written-only");
    ck_assert_str_eq(e->field, "police_reference");
    e = hab_rule_r8_violence_report(test_pool, 1, "", 1);
    ASSERT_REFUSED(e, 422, "violence-requires-written-only");
    ck_assert_str_eq(e->field, "police_reference");
}
END_TEST

START_TEST(r8_report_needs_asb_unit)
{
    hab_err_t *e = hab_rule_r8_violence_report(test_pool, 1, "CAD 1234/26", 0);
    ASSERT_REFUSED(e, 422, "violence-requires-written-only");
    ck_assert_str_eq(e->field, "asb_unit_consulted");
}
END_TEST

START_TEST(r8_report_complete_allowed)
{
    ASSERT_ALLOWED(hab_rule_r8_violence_report(test_pool, 1, "CAD 1234/26", 1));
    ASSERT_ALLOWED(hab_rule_r8_violence_report(test_pool, 1, "Not reported: officer declined", 1));
    ASSERT_ALLOWED(hab_rule_r8_violence_report(test_pool, 0, NULL, 0));
}
END_TEST

/* ---- R9 period and review ---- */

static void period_is(const char *start, int months, const char *want_end, const char *want_review)
{
    const char *end = NULL, *review = NULL;
    hab_rule_r9_period(test_pool, start, months, &end, &review);
    ck_assert_msg(end && !strcmp(end, want_end), "%s + %d months: end %s, expected %s", start,
                  months, end, want_end);
    ck_assert_msg(review && !strcmp(review, want_review), "%s + %d months: review %s, expected %s",
                  start, months, review, want_review);
}

START_TEST(r9_periods_from_the_first)
{
    /* README: 1 January + 6 months ends 30 June */
    period_is("2026-01-01", 6, "2026-06-30", "2026-06-30");
    period_is("2026-01-01", 12, "2026-12-31", "2026-12-31");
    /* longer than a year: review 12 months after the start */
    period_is("2026-01-01", 18, "2027-06-30", "2027-01-01");
    period_is("2026-01-01", 24, "2027-12-31", "2027-01-01");
    period_is("2026-03-20", 6, "2026-09-19", "2026-09-19");
    period_is("2026-01-01", 1, "2026-01-31", "2026-01-31");
    period_is("2026-01-01", 60, "2030-12-31", "2027-01-01");
}
END_TEST

START_TEST(r9_periods_from_a_month_end)
{
    period_is("2026-01-31", 6, "2026-07-30", "2026-07-30");
    period_is("2026-01-31", 12, "2027-01-30", "2027-01-30");
    period_is("2026-01-31", 18, "2027-07-30", "2027-01-31");
    period_is("2026-01-31", 24, "2028-01-30", "2027-01-31");
    /* no 31 February: the same date is clamped to the month's last day
     * (dates.h), and the period ends the day before */
    period_is("2026-01-31", 1, "2026-02-27", "2026-02-27");
    period_is("2028-01-31", 1, "2028-02-28", "2028-02-28");
    period_is("2026-08-31", 6, "2027-02-27", "2027-02-27");
    /* a leap day start */
    period_is("2028-02-29", 12, "2029-02-27", "2029-02-27");
    period_is("2028-02-29", 6, "2028-08-28", "2028-08-28");
    /* across a year end */
    period_is("2026-12-31", 6, "2027-06-29", "2027-06-29");
}
END_TEST

START_TEST(r9_lapsed_boundary)
{
    /* the period's last day is still in force */
    ck_assert_int_eq(hab_rule_r9_lapsed("active", "2026-06-30", "2026-06-30"), 0);
    ck_assert_int_eq(hab_rule_r9_lapsed("active", "2026-06-30", "2026-06-29"), 0);
    /* the day after, it has lapsed */
    ck_assert_int_eq(hab_rule_r9_lapsed("active", "2026-06-30", "2026-07-01"), 1);
    ck_assert_int_eq(hab_rule_r9_lapsed("active", "2026-06-30", "2027-01-01"), 1);
    /* no period, no lapse */
    ck_assert_int_eq(hab_rule_r9_lapsed("active", NULL, "2027-01-01"), 0);
}
END_TEST

START_TEST(r9_only_active_cases_lapse)
{
    const char *others[] = {"referred", "warned", "reported", "ended", "closed"};
    for (int i = 0; i < 5; i++)
        ck_assert_msg(hab_rule_r9_lapsed(others[i], "2026-06-30", "2027-01-01") == 0, "%s lapsed",
                      others[i]);
    ck_assert_int_eq(hab_rule_r9_lapsed(NULL, "2026-06-30", "2027-01-01"), 0);
    int lapsed = -1;
    ck_assert_str_eq(hab_effective_status("active", "2026-06-30", "2026-07-01", &lapsed), "ended");
    ck_assert_int_eq(lapsed, 1);
    ck_assert_str_eq(hab_effective_status("active", "2026-06-30", "2026-06-30", &lapsed), "active");
    ck_assert_int_eq(lapsed, 0);
    ck_assert_str_eq(hab_effective_status("closed", "2026-06-30", "2026-07-01", &lapsed), "closed");
    ck_assert_int_eq(lapsed, 0);
}
END_TEST

/* ---- R10 safeguarding ---- */

START_TEST(r10_vulnerable_without_consideration_refused)
{
    ASSERT_REFUSED(hab_rule_r10_safeguarding(test_pool, 1, 0, "Large print letters"), 422,
                   "safeguarding-required");
    ASSERT_REFUSED(hab_rule_r10_safeguarding(test_pool, 1, 1, NULL), 422, "safeguarding-required");
    ASSERT_REFUSED(hab_rule_r10_safeguarding(test_pool, 1, 1, ""), 422, "safeguarding-required");
    ASSERT_REFUSED(hab_rule_r10_safeguarding(test_pool, 1, 0, NULL), 422, "safeguarding-required");
}
END_TEST

START_TEST(r10_allowed)
{
    ASSERT_ALLOWED(
        hab_rule_r10_safeguarding(test_pool, 1, 1, "Large print letters; named contact"));
    ASSERT_ALLOWED(hab_rule_r10_safeguarding(test_pool, 0, 0, NULL));
}
END_TEST

/* ---- R11 complete letters ---- */

static const char *all_parts_body(const char *skip)
{
    const char *body = "<p>Dear Pat,</p>\n";
    for (const char *const *m = hab_letter_required_parts; *m; m++)
        if (!skip || strcmp(*m, skip) != 0)
            body = apr_pstrcat(test_pool, body, "<section ", *m, ">x</section>\n", NULL);
    return body;
}

START_TEST(r11_complete_letter_allowed)
{
    ASSERT_ALLOWED(hab_rule_r11_letter_complete(test_pool, all_parts_body(NULL),
                                                hab_letter_required_parts));
}
END_TEST

START_TEST(r11_letter_missing_one_part_is_500)
{
    int parts = 0;
    for (const char *const *m = hab_letter_required_parts; *m; m++, parts++) {
        hab_err_t *e = hab_rule_r11_letter_complete(test_pool, all_parts_body(*m),
                                                    hab_letter_required_parts);
        ck_assert_msg(e != NULL, "a letter without %s passed R11", *m);
        ck_assert_int_eq(e->status, 500);
    }
    /* why, restrictions, period, review, open ways, appeal, ombudsman */
    ck_assert_int_eq(parts, 7);
    ASSERT_REFUSED(hab_rule_r11_letter_complete(test_pool, "", hab_letter_required_parts), 500,
                   "internal");
}
END_TEST

START_TEST(r11_generated_decision_letter_is_complete)
{
    hab_case_t c;
    memset(&c, 0, sizeof(c));
    c.id = 7;
    c.person = J("{'name':'Pat Example','reference':'CUST-1','address':'1 High St'}");
    c.copy_to = J("[{'name':'Mary MP','role':'MP'}]");
    c.representative = json_null();
    c.advocate = json_null();
    json_t *restrictions = J("[{'type':'written-only'}]");
    hab_contact_plan_t plan = plan_ok("[{'type':'written-only'}]");
    hab_letter_facts_t f;
    memset(&f, 0, sizeof(f));
    f.council = "Testshire Council";
    f.date = "2026-03-20";
    f.signed_as = "Chief Executive";
    f.reasons = "Repeated abusive calls";
    f.restrictions = restrictions;
    f.plan = &plan;
    f.period_start = "2026-03-20";
    f.period_end = "2026-09-19";
    f.review_due = "2026-09-19";
    f.appeal_days = 20;
    /* l->copied_to is the letter's (see the report: letters.c does not yet
     * tie it to the pool, so it leaks) */
    hab_letter_t *l = hab_letter_decision(test_pool, &c, &f);
    ck_assert_int_eq(json_array_size(l->copied_to), 1);
    ASSERT_ALLOWED(hab_rule_r11_letter_complete(test_pool, l->body, hab_letter_required_parts));
    ck_assert_str_eq(l->kind, "decision");
    /* 20 working days from Friday 20 March 2026 skip Good Friday and Easter Monday */
    ck_assert_msg(strstr(l->body, "21 April 2026") != NULL, "appeal deadline: %s", l->body);
}
END_TEST

/* ---- R13 state order ---- */

START_TEST(r13_allowed_state)
{
    const char *const allowed[] = {"referred", "warned", NULL};
    ASSERT_ALLOWED(hab_rule_r13_state(test_pool, "referred", allowed));
    ASSERT_ALLOWED(hab_rule_r13_state(test_pool, "warned", allowed));
}
END_TEST

START_TEST(r13_wrong_state_409)
{
    const char *const reported[] = {"reported", NULL};
    hab_err_t *e = hab_rule_r13_state(test_pool, "active", reported);
    ASSERT_REFUSED(e, 409, "wrong-state");
    ck_assert_msg(strstr(e->message, "active") != NULL, "%s", e->message);
    const char *states[] = {"referred", "warned", "active", "ended", "closed"};
    for (int i = 0; i < 5; i++)
        ASSERT_REFUSED(hab_rule_r13_state(test_pool, states[i], reported), 409, "wrong-state");
    const char *const none[] = {NULL};
    ASSERT_REFUSED(hab_rule_r13_state(test_pool, "referred", none), 409, "wrong-state");
}
END_TEST

/* ---- R15 an interim restriction is limited ---- */

/* R16's reminders: each window, its edges, and the days between with none. */
static void reminder_is(const char *today, const char *deadline, const char *want)
{
    const char *got = hab_rule_r16_reminder(test_pool, today, "2027-06-30", deadline);
    if (!want) ck_assert_msg(!got, "%s: no reminder expected, got %s", today, got);
    else
        ck_assert_msg(got && !strcmp(got, want), "%s: want %s, got %s", today, want,
                      got ? got : "none");
}

START_TEST(r16_reminders_fall_in_their_windows)
{
    const char *deadline = "2027-07-28";                    /* due + 28 (the default grace) */
    reminder_is("2027-05-30", deadline, NULL);              /* 31 days before: none yet */
    reminder_is("2027-05-31", deadline, "review-due-in-30-days");
    reminder_is("2027-06-29", deadline, "review-due-in-30-days");
    reminder_is("2027-06-30", deadline, "review-due-today");
    reminder_is("2027-07-20", deadline,
                "review-due-today"); /* notify missed the due date: still told */
    reminder_is("2027-07-21", deadline, "review-grace-ending"); /* 7 days before the grace ends */
    reminder_is("2027-07-28", deadline, "review-grace-ending"); /* the grace's last day */
    reminder_is("2027-07-29", deadline, NULL);              /* ended (R16): nothing to remind */
}
END_TEST

START_TEST(r16_reminders_with_a_short_or_no_grace)
{
    reminder_is("2027-06-30", "2027-06-30",
                "review-due-today"); /* grace 0: the due date is the last */
    reminder_is("2027-07-01", "2027-06-30", NULL);
    reminder_is("2027-06-30", "2027-07-03", "review-due-today"); /* grace 3: the due date first */
    reminder_is("2027-07-01", "2027-07-03", "review-grace-ending");
    reminder_is("2027-08-30", NULL, "review-due-today");    /* a period from before R16 */
}
END_TEST

START_TEST(r15_without_a_report_it_lapses_after_the_days)
{
    /* imposed 1 March, 28 days: in force through 29 March, gone on the 30th */
    ck_assert_str_eq(hab_rule_r15_interim_end(test_pool, "2026-03-01", 28, NULL), "2026-03-30");
    ck_assert_str_eq(hab_rule_r15_interim_end(test_pool, "2026-12-20", 28, NULL), "2027-01-18");
    ck_assert_str_eq(hab_rule_r15_interim_end(test_pool, "2026-03-01", 1, NULL), "2026-03-03");
    ck_assert_str_eq(hab_rule_r15_interim_end(test_pool, "2026-03-01", 90, NULL), "2026-05-31");
    /* out of range: the nearest bound, never an unlimited restriction */
    ck_assert_str_eq(hab_rule_r15_interim_end(test_pool, "2026-03-01", 0, NULL), "2026-03-03");
    ck_assert_str_eq(hab_rule_r15_interim_end(test_pool, "2026-03-01", 5000, NULL), "2026-05-31");
}
END_TEST

START_TEST(r15_a_report_after_it_lapsed_does_not_revive_it)
{
    ck_assert_str_eq(hab_rule_r15_interim_end(test_pool, "2026-03-01", 28, "2026-03-30"),
                     "2026-03-30");
    ck_assert_str_eq(hab_rule_r15_interim_end(test_pool, "2026-03-01", 28, "2026-06-01"),
                     "2026-03-30");
}
END_TEST

START_TEST(r15_a_report_in_time_keeps_it_until_the_decision)
{
    ck_assert_ptr_null(hab_rule_r15_interim_end(test_pool, "2026-03-01", 28, "2026-03-01"));
    ck_assert_ptr_null(hab_rule_r15_interim_end(test_pool, "2026-03-01", 28, "2026-03-11"));
    ck_assert_ptr_null(
        hab_rule_r15_interim_end(test_pool, "2026-03-01", 28, "2026-03-29")); /* its last day */
    ck_assert_ptr_null(
        hab_rule_r15_interim_end(test_pool, "2026-03-01", 28, "2026-02-20")); /* reported before */
}
END_TEST

START_TEST(r15_interim_letter_is_complete)
{
    hab_case_t c;
    memset(&c, 0, sizeof(c));
    c.id = 9;
    c.person = J("{'name':'Pat <Example>','reference':'CUST-9','address':'1 High St'}");
    c.copy_to = J("[{'name':'Mary MP','role':'MP'}]");
    c.representative = J("{'name':'Rita Rep'}");
    c.advocate = json_null();
    json_t *restrictions = J("[{'type':'written-only'}]");
    hab_contact_plan_t plan = plan_ok("[{'type':'written-only'}]");
    hab_letter_facts_t f;
    memset(&f, 0, sizeof(f));
    f.council = "Testshire Council";
    f.date = "2026-03-01";
    f.signed_as = "Customer Experience Manager";
    f.restrictions = restrictions;
    f.plan = &plan;
    f.interim_until = "2026-03-29";
    hab_letter_t *l = hab_letter_interim(test_pool, &c, &f);
    ck_assert_str_eq(l->kind, "interim");
    ASSERT_ALLOWED(
        hab_rule_r11_letter_complete(test_pool, l->body, hab_letter_required_parts_interim));
    ck_assert_msg(strstr(l->body, "29 March 2026") != NULL, "until: %s", l->body);
    ck_assert_msg(strstr(l->body, "letter, email, fax and online") != NULL, "ways to write: %s",
                  l->body);
    ck_assert_msg(strstr(l->body, "Pat &lt;Example&gt;") != NULL, "escaped: %s", l->body);
    ck_assert_int_eq(json_array_size(l->copied_to), 2);
    /* the decision's parts are not an interim letter's: R11 refuses a letter missing one */
    ASSERT_REFUSED(hab_rule_r11_letter_complete(test_pool, l->body, hab_letter_required_parts), 500,
                   "internal");
    f.interim_until = NULL; /* a report made: until the decision */
    l = hab_letter_interim(test_pool, &c, &f);
    ASSERT_ALLOWED(
        hab_rule_r11_letter_complete(test_pool, l->body, hab_letter_required_parts_interim));
    ck_assert_msg(strstr(l->body, "until the chief executive decides") != NULL, "%s", l->body);
    f.lift_reason = "The officer's account was <mistaken>.";
    l = hab_letter_interim_lifted(test_pool, &c, &f);
    ck_assert_str_eq(l->kind, "interim-lifted");
    ASSERT_ALLOWED(
        hab_rule_r11_letter_complete(test_pool, l->body, hab_letter_required_parts_interim_lifted));
    ck_assert_msg(strstr(l->body, "&lt;mistaken&gt;") != NULL, "%s", l->body);
}
END_TEST

Suite *suite_rules(void)
{
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    /* R1 */
    tcase_add_test(tc, r1_no_exclusion_allowed);
    tcase_add_test(tc, r1_foi_dpa_names_the_information_governance_manager);
    tcase_add_test(tc, r1_legal_action_excluded);
    tcase_add_test(tc, r1_housing_aggression_excluded);
    tcase_add_test(tc, r1_every_listed_value_is_decided);
    /* R2 */
    tcase_add_test(tc, r2_measures_missing);
    tcase_add_test(tc, r2_complaints_stage_missing);
    tcase_add_test(tc, r2_both_given_allowed);
    /* R3 */
    tcase_add_test(tc, r3_warned_allowed);
    tcase_add_test(tc, r3_severe_with_reason_allowed);
    tcase_add_test(tc, r3_severe_without_reason_refused);
    tcase_add_test(tc, r3_not_warned_not_severe_refused);
    /* R4 */
    tcase_add_test(tc, r4_chief_executive_decides);
    tcase_add_test(tc, r4_monitoring_officer_during_absence);
    tcase_add_test(tc, r4_monitoring_officer_without_absence_not_deputising);
    tcase_add_test(tc, r4_both_roles_decide_as_chief_executive);
    tcase_add_test(tc, r4_other_roles_forbidden);
    /* R5 */
    tcase_add_test(tc, r5_involved_refused);
    tcase_add_test(tc, r5_not_involved_allowed);
    /* R6 */
    tcase_add_test(tc, r6_all_given_allowed);
    tcase_add_test(tc, r6_not_justified_refused);
    tcase_add_test(tc, r6_not_proportionate_refused);
    tcase_add_test(tc, r6_reasons_missing_refused);
    /* R7 */
    tcase_add_test(tc, r7_no_restriction_leaves_everything_open);
    tcase_add_test(tc, r7_declining_all_six_refused);
    tcase_add_test(tc, r7_declining_five_leaves_the_sixth);
    tcase_add_test(tc, r7_third_party_only_is_the_open_way);
    tcase_add_test(tc, r7_suspend_without_legal_advice_refused);
    tcase_add_test(tc, r7_suspend_without_until_refused);
    tcase_add_test(tc, r7_suspend_until_after_period_end_refused);
    tcase_add_test(tc, r7_suspend_until_before_start_refused);
    tcase_add_test(tc, r7_suspend_valid_allowed);
    tcase_add_test(tc, r7_building_ban_all_closes_in_person);
    tcase_add_test(tc, r7_written_only_closes_phone_and_in_person);
    tcase_add_test(tc, r7_other_types_close_nothing);
    /* restriction objects */
    tcase_add_test(tc, restriction_unknown_type);
    tcase_add_test(tc, restriction_unknown_field);
    tcase_add_test(tc, restriction_duplicate_type);
    tcase_add_test(tc, restriction_channels_unknown_value);
    tcase_add_test(tc, restriction_channels_duplicate);
    tcase_add_test(tc, restriction_empty_lists);
    tcase_add_test(tc, restriction_non_object);
    tcase_add_test(tc, restriction_fields_checked);
    tcase_add_test(tc, restriction_list_too_long);
    /* R8 */
    tcase_add_test(tc, r8_decline_phone_only_refused);
    tcase_add_test(tc, r8_written_only_or_stricter_allowed);
    tcase_add_test(tc, r8_no_violence_allowed);
    tcase_add_test(tc, r8_report_needs_police_reference);
    tcase_add_test(tc, r8_report_needs_asb_unit);
    tcase_add_test(tc, r8_report_complete_allowed);
    /* R9 */
    tcase_add_test(tc, r9_periods_from_the_first);
    tcase_add_test(tc, r9_periods_from_a_month_end);
    tcase_add_test(tc, r9_lapsed_boundary);
    tcase_add_test(tc, r9_only_active_cases_lapse);
    /* R10 */
    tcase_add_test(tc, r10_vulnerable_without_consideration_refused);
    tcase_add_test(tc, r10_allowed);
    /* R15 */
    tcase_add_test(tc, r16_reminders_fall_in_their_windows);
    tcase_add_test(tc, r16_reminders_with_a_short_or_no_grace);
    tcase_add_test(tc, r15_without_a_report_it_lapses_after_the_days);
    tcase_add_test(tc, r15_a_report_after_it_lapsed_does_not_revive_it);
    tcase_add_test(tc, r15_a_report_in_time_keeps_it_until_the_decision);
    tcase_add_test(tc, r15_interim_letter_is_complete);
    /* R11 */
    tcase_add_test(tc, r11_complete_letter_allowed);
    tcase_add_test(tc, r11_letter_missing_one_part_is_500);
    tcase_add_test(tc, r11_generated_decision_letter_is_complete);
    /* R13 */
    tcase_add_test(tc, r13_allowed_state);
    tcase_add_test(tc, r13_wrong_state_409);
    tcase_add_test(tc, refusals_name_their_rule);
    suite_add_tcase(s, tc);
    return s;
}
