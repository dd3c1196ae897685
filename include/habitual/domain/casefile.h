/* A case as the procedure and the views need it, loaded from the store in
 * one go.  The status here is the effective one: an active case past its
 * period's end reads as ended/lapsed (R9), with no background job. */
#ifndef HABITUAL_CASEFILE_H
#define HABITUAL_CASEFILE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "habitual/base/error.h"
#include "habitual/store/store.h"

typedef struct hab_case {
    long long id;
    const char *status;            /* effective */
    const char *stored_status;
    const char *end_reason;        /* lapsed, removed, quashed, rejected, or the close reason */
    int lapsed;
    const char *referred_by;
    const char *referred_at;
    const char *department;
    const char *summary;
    const char *measures_taken;
    const char *complaints_procedure;
    int vulnerable;
    const char *vulnerability;
    int action_without_notice;
    const char *updated_at;
    json_t *person;                /* {name, reference, address, date_of_birth}: the person the
                                      case is about (the CEM may link it to a stored one) */
    json_t *referred_person;       /* the person exactly as the referrer typed it */
    long long person_id, referred_person_id;
    json_t *person_link;           /* {by, at} when the CEM linked the case, else null */
    json_t *person_matches;        /* other stored persons with the same reference (whole load) */
    json_t *representative;        /* {name, address} or null */
    json_t *advocate;
    json_t *copy_to;        /* the copy list now: [{id, name, role, address, added_by, added_at}] */
    json_t *copies_removed; /* recipients removed: the same, each with removed {at, by, reason} */
    json_t *corrections;           /* [{target, id, item, old_value, new_value, reason, by, at}] */
    json_t *adjustments;    /* in force: {format, easy_read, named_contact, third_party, notes,
                               recorded_by, recorded_at}, or null (special category, R10) */
    json_t *correspondence; /* the post queue's items, oldest first: [{item, received, channel,
                               summary, recorded_by, decision?, reason?, routed_to?, ...}] */
    json_t *evidence; /* files attached: [{id, contact_id, description, filename, content_type,
                         size, sha256, uploaded_by, uploaded_at}] */
    json_t *criteria;              /* ["slug", ...] */
    json_t *contacts;              /* the chronology, oldest first */
    int violence;                  /* R8: a violence incident or criterion */
    json_t *warning;               /* the warning, or null */
    json_t *report;                /* the latest report, or null */
    long long report_id;
    const char *report_author;
    json_t *decision;              /* the decision, or null */
    json_t *restrictions;          /* in force today (interim ones marked) */
    json_t *scheduled;             /* decided, in force from a later start: [{..., from}] */
    int interim;                   /* an interim restriction is in force (R8) */
    json_t *period;                /* {start, end, months} or null */
    const char *period_start;
    const char *period_end;
    int period_months;
    const char *review_due;
    const char *review_deadline; /* R16: in force no later than this unless the review is decided */
    json_t *reviews;               /* each with its decision or null */
    long long pending_review_id;
    const char *pending_review_mo;
    const char *pending_review_author;
    json_t *appeals;               /* each with its decision or null */
    long long pending_appeal_id;
    json_t *letters;               /* [{id, kind, issued_at, subject, copied_to}] */
    json_t *grants; /* [{id, user, reason, expires, granted_by, granted_at, revoked_at, active}] */
    json_t *statements;
    json_t *legal_hold;            /* {reason, by, at} or null */
    apr_array_header_t *involved;  /* everyone who took part, deciders too: R5 for appeals */
    apr_array_header_t *authors;   /* the referrer and the reports' authors */
    apr_array_header_t *deciders;  /* who decided: R5 for appeals */
    apr_array_header_t *contact_recorders; /* who recorded a contact (R5) */
    apr_array_header_t *contact_officers;  /* officers contacts name as the target (R5), as typed */
} hab_case_t;

/* A restriction row (alias prefix x, e.g. "x." or "") in force on a day:
 * not lifted, its start come, its end (an interim one's) not yet come.
 * Takes two parameters, both today's date ("tt").  Every query that asks
 * what is in force uses this, so the rule lives once. */
#define HAB_SQL_IN_FORCE(x) "(" x "lifted_at IS NULL AND coalesce(" x "in_force_from, '0') <= ? " \
                            "AND coalesce(" x "in_force_until, '9') > ?)"

/* The reason recorded when an appeal is closed because its case ended. */
#define HAB_APPEAL_WITHDRAWN_REASON \
    "The case ended before the appeal was decided, so the appeal was closed with it."

/* Close case id's pending appeal, if any, because the case has ended
 * (outcome withdrawn-case-ended, recorded as by `by` at `at`). */
hab_err_t *hab_appeal_withdraw_on_end(hab_store_t *s, apr_pool_t *p, long long case_id,
                                      const char *by, const char *at);

/* An event that follows from dates alone, with no request to record it:
 * a lapse (R9, the day after the period's end) and a suspension's end
 * (R14, the day after its `until`).  Chief officers see them at once;
 * `habitual-admin notify` records each once, so it is emailed once. */
typedef struct hab_derived_event {
    long long case_id;
    const char *event;       /* lapsed, suspension-ended */
    const char *at;          /* the event's first day, 00:00:00Z */
    const char *name, *reference;
} hab_derived_event_t;

/* Every such event up to today not yet recorded as a notification. */
hab_err_t *hab_derived_events(hab_store_t *s, apr_pool_t *p, const char *today,
                              apr_array_header_t **out);

/* Load case id; *out is NULL (and no error) when there is no such case. */
hab_err_t *hab_case_load(hab_store_t *s, apr_pool_t *p, long long id, const char *today,
                         hab_case_t **out);

typedef enum {
    HAB_CASE_WHOLE,        /* everything: the file as shown */
    HAB_CASE_FOR_STEP,     /* what gates and rules read: contacts and letters left empty,
                              violence still known (R8) */
    HAB_CASE_STATE         /* its own row and latest period: the state as it stands
                              today, every other part (persons too) left NULL (a step
                              whose gate and work read no more: procedure.c's gates say
                              which) */
} hab_case_parts_t;

hab_err_t *hab_case_load_parts(hab_store_t *s, apr_pool_t *p, long long id, const char *today,
                               hab_case_parts_t parts, hab_case_t **out);

/* Does an active grant (not revoked, not expired when loaded) name user? */
/* Does an active grant let user (or one of the teams ",a,b," they are in)
 * hold the notice?  The grant that does: the user's own before a team's. */
int hab_case_granted(const hab_case_t *c, const char *user, const char *teams);
const json_t *hab_case_grant_of(const hab_case_t *c, const char *user, const char *teams);

/* A grant to a team the user is in: binds one parameter, the user's teams
 * as ",a,b," (team names hold no ',' '%' or '_'). */
#define HAB_SQL_TEAM_GRANT(g) "(" g "team IS NOT NULL AND ? LIKE '%,' || " g "team || ',%')"

#endif
