/* The procedure (README "The procedure") as a state machine: one function
 * per step, each run by the service inside one transaction.  The reads
 * (case file, lists, notices, notifications, absences, the access log) sit
 * beside them (reads.h). */
#ifndef HABITUAL_PROCEDURE_H
#define HABITUAL_PROCEDURE_H

#include <apr_tables.h>

#include "habitual/domain/service.h"

/* steps (procedure.c) */
hab_err_t *hab_step_raise_concern(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_add_contact(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_warn(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_close(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_report(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_decide(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_review(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_review_decide(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_appeal(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_appeal_decide(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_grant(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_revoke_grant(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_add_statement(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_legal_hold(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_link_person(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
/* R15: the CEM lifts an interim restriction early, with a reason. */
hab_err_t *hab_step_lift_interim(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
/* corrections.c: the person's details, entries withdrawn, the copy list */
hab_err_t *hab_step_correct_person(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_withdraw_entry(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_copies(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
/* adjustments.c: reasonable adjustments, and the formats a letter is given in */
extern const char *const hab_letter_formats[];
hab_err_t *hab_step_adjustments(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
/* post_queue.c: restricted correspondence, recorded and triaged */
hab_err_t *hab_step_record_correspondence(hab_ctx_t *ctx, const hab_request_in_t *in,
                                          hab_result_t *out);
hab_err_t *hab_step_triage_decide(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_read_triage(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_add_evidence(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_read_evidence(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_unlink_person(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_step_add_absence(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);

/* Shared by steps and reads: load a case and how much of it the user may
 * see; a case the user may not see at all is 404, as one that does not exist. */
struct hab_case;
/* The steps (routes) this user may take on this case now, by the same
 * gate the steps themselves check: the pages offer exactly these. */
apr_array_header_t *hab_steps_open(hab_ctx_t *ctx, const struct hab_case *c, int sight);
/* Is the chief executive recorded as absent on ctx->today? (R4) */
hab_err_t *hab_chief_executive_absent(hab_ctx_t *ctx, int *absent);

#endif
