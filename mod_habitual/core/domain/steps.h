/* The procedure's steps and reads, one function per route of the API, and
 * what the steps' files share (private to core/; the pages' routes are
 * added by app/routes.c). */
#ifndef HABITUAL_STEPS_H
#define HABITUAL_STEPS_H

#include "habitual/domain/casefile.h"
#include "habitual/domain/letters.h"
#include "habitual/domain/service.h"

typedef hab_err_t *(*hab_step_fn)(hab_ctx_t *ctx, const hab_request_in_t *in,
                                  hab_result_t *out);

/* NULL for a route the procedure does not answer (a page). */
hab_step_fn hab_step_for(hab_route_id_t route);
/* Route's step inside a savepoint of the request's transaction: refused,
 * it leaves nothing (a page re-shows its form); done, it stays. */
hab_err_t *hab_step_run_alone(hab_ctx_t *ctx, hab_route_id_t route, const hab_request_in_t *in,
                              hab_result_t *out);

/* Shared by the steps' files (procedure.c, corrections.c). */
/* The case as the route's gate sees it: 404 unless visible (the one gate),
 * then the route's role, state (R13) and readiness checks. */
hab_err_t *hab_open_case_for(hab_ctx_t *ctx, hab_route_id_t route, long long id, hab_case_t **c);
/* {"id", "status"} with the HTTP status. */
void hab_step_answer(hab_ctx_t *ctx, hab_result_t *out, int status, long long id,
                     const char *state);
/* Issue a letter after R11's check of its parts (parts NULL: none). */
hab_err_t *hab_issue_letter(hab_ctx_t *ctx, long long id, const hab_letter_t *l,
                            const char *const *parts);
/* The facts every letter starts from: the council, today, who signs. */
hab_letter_facts_t hab_letter_facts(hab_ctx_t *ctx, const char *signed_as);
/* R15: lift the interim restrictions in force, with the letter and the
 * chief officers' notification. */
hab_err_t *hab_interim_lift(hab_ctx_t *ctx, const hab_case_t *c, const char *reason);

#endif
