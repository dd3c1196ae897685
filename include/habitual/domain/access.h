/* Need to know (README "Need to know"): how much of a case a user may see, and the views
 * that show exactly that much.  Anything less than a user may see is
 * stripped here and nowhere else. */
#ifndef HABITUAL_ACCESS_H
#define HABITUAL_ACCESS_H

#include <apr_pools.h>
#include <jansson.h>

#include "habitual/domain/casefile.h"

typedef enum {
    HAB_SEE_NONE = 0,     /* 404, exactly as a case that does not exist */
    HAB_SEE_NOTICE,       /* restrictions in force: chief officers, granted officers */
    HAB_SEE_REFERRAL,     /* the referrer: what they raised, then its status only */
    HAB_SEE_APPEAL,       /* a chief officer who may hear the pending appeal: the file
                             without special-category data */
    HAB_SEE_FULL          /* cem, monitoring officer, chief executive */
} hab_sight_t;

/* teams: ",a,b," of the HabitualTeam groups user is in (NULL: none). */
hab_sight_t hab_access_sight(const hab_case_t *c, const char *user, const char *teams,
                             unsigned roles);

struct hab_ctx;
/* The one gate for "not found" (README "Need to know"): the case, with the
 * parts asked for, when this user's sight of it is at least min_sight; else
 * 404, exactly as for a case that does not exist (and after the same one
 * query).  A notice is not the file: reading it needs HAB_SEE_REFERRAL;
 * letters need HAB_SEE_FULL; a step asks HAB_SEE_NOTICE and its gate the
 * rest.  No other core function answers "not found" for a case (the lint
 * suite's one_gate check). */
hab_err_t *hab_access_load(struct hab_ctx *ctx, long long id, hab_case_parts_t parts,
                           hab_sight_t min_sight, hab_case_t **c, int *sight);

/* What one cheap query says about a case, before the whole file is loaded. */
typedef struct hab_case_peek {
    int exists;
    int lapsed;
    const char *status;            /* effective */
    const char *referred_by;
    int restrictions_in_force;
    int granted_to_user;           /* an active grant names this user */
    int appeal_pending;
} hab_case_peek_t;

hab_err_t *hab_case_peek(hab_store_t *s, apr_pool_t *p, long long id, const char *user,
                         const char *teams, const char *today, hab_case_peek_t *peek);
/* Could this user see anything of the case?  A necessary condition for
 * hab_access_sight, checked first so that a case the user may not see costs
 * the same one query as a case that does not exist (README "Need to know": nothing is
 * learnt from the answer, nor from its timing). */
int hab_access_may_see(const hab_case_peek_t *peek, const char *user, unsigned roles);

/* May this user hear the case's pending appeal (a chief officer not involved)? */
int hab_access_may_hear_appeal(const hab_case_t *c, const char *user, unsigned roles);

/* The person as this sight shows it: the referrer always sees the person
 * as they typed it; case officers the one the case is linked to. */
const json_t *hab_person_shown(const hab_case_t *c, hab_sight_t sight);

/* The views.  Each returns a new JSON object owned by p. */
json_t *hab_view_case(apr_pool_t *p, const hab_case_t *c, hab_sight_t sight);
json_t *hab_view_notice(apr_pool_t *p, const hab_case_t *c);
/* The statement staff may use to end a telephone call (from the notice). */
const char *hab_phone_statement(apr_pool_t *p, const json_t *open_channels);

#endif
