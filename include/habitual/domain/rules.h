/* The rules (README "The rules"), one function each, named for the rule.  Each
 * returns NULL when the rule allows the step, or the refusal with the
 * API's status and code.  The procedure (procedure.c) calls them; nothing
 * else decides these questions. */
#ifndef HABITUAL_RULES_H
#define HABITUAL_RULES_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "habitual/base/error.h"

/* R16: HabitualReviewGraceDays, the days after a review's due date within
 * which it must be decided, or the designation ends ("review-overdue"). */
#define HAB_REVIEW_GRACE_DAYS_DEFAULT 28
#define HAB_REVIEW_GRACE_DAYS_MIN 0
#define HAB_REVIEW_GRACE_DAYS_MAX 90

/* R15: HabitualInterimDays, the days an interim restriction lasts without a report. */
#define HAB_INTERIM_DAYS_DEFAULT 28
/* The post queue: working days an item may wait for the CEM's decision
 * before the dashboard and notify flag it (HabitualTriageDays). */
#define HAB_TRIAGE_DAYS_DEFAULT 5
#define HAB_TRIAGE_DAYS_MIN 1
#define HAB_TRIAGE_DAYS_MAX 60
#define HAB_INTERIM_DAYS_MIN 1
#define HAB_INTERIM_DAYS_MAX 90

/* What a set of restrictions leaves open (R7, R8), worked out from the
 * API's restriction objects. */
typedef struct hab_contact_plan {
    int open[6]; /* indexed like hab_channels: phone, letter, email, in-person, fax, online */
    int via_third_party;       /* third-party-only: the open way is the third party */
    int suspended;             /* suspend-contact: everything closed for now */
    const char *suspend_until;
    const char *legal_advice;
} hab_contact_plan_t;

/* Check each restriction object (its type, its fields, nothing unknown: 400)
 * and work out the plan.  restrictions must be a JSON array. */
hab_err_t *hab_restrictions_plan(apr_pool_t *p, const json_t *restrictions,
                                 hab_contact_plan_t *plan);
/* ["letter","email",...] plus "third-party" when that is the open way. */
json_t *hab_open_channels(const hab_contact_plan_t *plan);

/* R1 Exclusions: FOI/DPA and matters with their own process. */
hab_err_t *hab_rule_r1_exclusions(apr_pool_t *p, const char *exclusion);
/* R2 Last resort: measures already taken and the complaints stage. */
hab_err_t *hab_rule_r2_last_resort(apr_pool_t *p, const char *measures_taken,
                                   const char *complaints_stage);
/* R3 Warning first: unwarned only when severe, with a reason. */
hab_err_t *hab_rule_r3_warning_first(apr_pool_t *p, int warned, int severe,
                                     const char *severe_reason);
/* R4 Who decides: the chief executive, or the monitoring officer while a
 * recorded absence of the chief executive covers today. */
hab_err_t *hab_rule_r4_who_decides(apr_pool_t *p, unsigned roles, int chief_executive_absent,
                                   const char **acting_as, int *deputising);
/* R5 No one judges their own case: user must not be among involved. */
hab_err_t *hab_rule_r5_not_own_case(apr_pool_t *p, const char *user,
                                    const apr_array_header_t *involved, const char *role_word);
/* R6 Justified and proportionate, with written reasons. */
/* One way a user took part in a case, for R5's refusal: `how` says which
 * ("you recorded a contact in its chronology"), never who. */
typedef struct hab_involvement {
    const char *user;
    const char *how;
} hab_involvement_t;

/* R5, with the involvement named: user (compared without regard to case,
 * as directory ids are) must be none of involvements' users. */
hab_err_t *hab_rule_r5_not_involved(apr_pool_t *p, const char *user,
                                    const apr_array_header_t *involvements, const char *role_word);

/* R17: a review's continue or vary and an appeal's vary keep or change
 * restrictions, so they are justified as an approval is (R6); a
 * continuation's period is at most 12 months (422 period-too-long). */
hab_err_t *hab_rule_r17_keeping_justified(apr_pool_t *p, const char *outcome, int justified,
                                          int proportionate, const char *reasons);
hab_err_t *hab_rule_r17_period(apr_pool_t *p, int months);
#define HAB_R17_MONTHS_MAX 12

/* R14 A suspension ends on its date: "temporarily, while legal advice is
 * sought", so `until` is at most 3 months after the suspension starts
 * (422 suspension-too-long); from the day after `until` it is no longer in
 * force anywhere.  _ends gives that first day out of force (NULL for a
 * restriction that is not a suspension). */
#define HAB_R14_MONTHS_MAX 3
hab_err_t *hab_rule_r14_suspension_length(apr_pool_t *p, const hab_contact_plan_t *plan,
                                          const char *start);
const char *hab_rule_r14_suspension_ends(apr_pool_t *p, const json_t *restriction);

/* R16 An overdue review bites: the last day a period's designation stays in
 * force when its review is not decided is review_due + grace days. */
const char *hab_rule_r16_review_deadline(apr_pool_t *p, const char *review_due, int grace_days);

/* R16's reminders to the CEM, the monitoring officer and the chief
 * executive: the one whose window holds today, or NULL.  Windows, in
 * calendar days: "review-due-in-30-days" from due - 30 to the day before
 * due; "review-due-today" from due to deadline - 8 (at least the due date
 * itself); "review-grace-ending" from deadline - 7 (not before due + 1) to
 * the deadline.  A window notify did not run in is passed over, not sent
 * late beside the next.  deadline NULL (a period from before R16): no
 * grace-ending reminder. */
#define HAB_R16_REMIND_BEFORE_DAYS 30
#define HAB_R16_REMIND_GRACE_DAYS 7
const char *hab_rule_r16_reminder(apr_pool_t *p, const char *today, const char *review_due,
                                  const char *deadline);

/* R19 Action follows continued behaviour: a report on a warned case needs a
 * contact since the warning (recorded after it, dated no earlier than its
 * day), unless it is severe (R3's own reason). */
hab_err_t *hab_rule_r19_contact_since_warning(apr_pool_t *p, int warned, int severe,
                                              long long contacts_since);

/* R18: the monitoring officer who joined a review holds that role in the
 * directory now, and is not the review's author. */
hab_err_t *hab_rule_r18_monitoring_officer(apr_pool_t *p, const char *named_id,
                                           unsigned named_roles, const char *author);

hab_err_t *hab_rule_r6_justified(apr_pool_t *p, int justified, int proportionate,
                                 const char *reasons);
/* R7 One door stays open (suspend-contact: legal advice and an end date in the period). */
hab_err_t *hab_rule_r7_open_channel(apr_pool_t *p, const hab_contact_plan_t *plan,
                                    const char *period_start, const char *period_end);
/* R8 Violence: written-only or stricter; police and ASB unit on the report. */
hab_err_t *hab_rule_r8_violence(apr_pool_t *p, int violence, const hab_contact_plan_t *plan);
hab_err_t *hab_rule_r8_violence_report(apr_pool_t *p, int violence, const char *police_reference,
                                       int asb_unit_consulted);
/* R9 Period and review: end and review date of a period. */
void hab_rule_r9_period(apr_pool_t *p, const char *start, int months, const char **end,
                        const char **review_due);
/* R9: an active case past its period's end has lapsed. */
int hab_rule_r9_lapsed(const char *status, const char *period_end, const char *today);
/* The last day a period keeps the designation in force: its end (R9), or
 * earlier its review deadline when the review is not decided by then (R16,
 * *review_overdue set).  NULL end: NULL. */
const char *hab_period_last_day(const char *end_date, const char *review_deadline,
                                int *review_overdue);
/* The same in SQL, for a periods row aliased pe (text dates compare as dates). */
#define HAB_SQL_LAST_DAY(pe)                                                           \
    "(CASE WHEN " pe ".review_deadline < " pe ".end_date THEN " pe ".review_deadline " \
    "ELSE " pe ".end_date END)"
/* Effective status from the stored one and the period (R9); pass the
 * period's last day from hab_period_last_day. */
const char *hab_effective_status(const char *stored, const char *period_end, const char *today,
                                 int *lapsed);
/* R10 Safeguarding: a vulnerable customer's report needs both. */
hab_err_t *hab_rule_r10_safeguarding(apr_pool_t *p, int vulnerable, int considered,
                                     const char *adjustments);
/* R11 Complete letters: every element a decision letter must state is in it. */
hab_err_t *hab_rule_r11_letter_complete(apr_pool_t *p, const char *body,
                                        const char *const *required_markers);
/* R15 An interim restriction is limited: one imposed (R8) on imposed_on
 * lasts `days` days, its last day imposed_on + days, unless a report is
 * made by then (reported_on not after that last day: it then lasts until
 * the decision).  Returns the first day it is no longer in force (the
 * restriction's in_force_until), or NULL when it lasts until the decision.
 * A report made after it lapsed does not revive it; days outside 1-90 are
 * taken as the nearest bound. */
const char *hab_rule_r15_interim_end(apr_pool_t *p, const char *imposed_on, int days,
                                     const char *reported_on);
/* R13 State order: status must be one of allowed (NULL-terminated). */
hab_err_t *hab_rule_r13_state(apr_pool_t *p, const char *status, const char *const *allowed);

#endif
