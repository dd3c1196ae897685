/* Which of the procedure's functions answers which route of the API. */
#include "habitual/domain/procedure.h"
#include "habitual/domain/reads.h"
#include "habitual/store/audit.h"
#include "domain/steps.h"

hab_step_fn hab_step_for(hab_route_id_t route)
{
    switch (route) {
    case HAB_ROUTE_ME: return hab_read_me;
    case HAB_ROUTE_CASES_LIST: return hab_read_cases;
    case HAB_ROUTE_CASE_CREATE: return hab_step_raise_concern;
    case HAB_ROUTE_CASE_READ: return hab_read_case;
    case HAB_ROUTE_CONTACT_ADD: return hab_step_add_contact;
    case HAB_ROUTE_WARN: return hab_step_warn;
    case HAB_ROUTE_CLOSE: return hab_step_close;
    case HAB_ROUTE_REPORT: return hab_step_report;
    case HAB_ROUTE_DECIDE: return hab_step_decide;
    case HAB_ROUTE_REVIEW: return hab_step_review;
    case HAB_ROUTE_REVIEW_DECIDE: return hab_step_review_decide;
    case HAB_ROUTE_APPEAL: return hab_step_appeal;
    case HAB_ROUTE_APPEAL_DECIDE: return hab_step_appeal_decide;
    case HAB_ROUTE_GRANT_ADD: return hab_step_grant;
    case HAB_ROUTE_GRANT_REVOKE: return hab_step_revoke_grant;
    case HAB_ROUTE_LETTERS_LIST: return hab_read_letters;
    case HAB_ROUTE_LETTER_READ: return hab_read_letter;
    case HAB_ROUTE_STATEMENT_ADD: return hab_step_add_statement;
    case HAB_ROUTE_HOLD: return hab_step_legal_hold;
    case HAB_ROUTE_PERSON_LINK: return hab_step_link_person;
    case HAB_ROUTE_PERSON_UNLINK: return hab_step_unlink_person;
    case HAB_ROUTE_INTERIM_LIFT: return hab_step_lift_interim;
    case HAB_ROUTE_PERSON_CORRECT: return hab_step_correct_person;
    case HAB_ROUTE_CORRECTION_ADD: return hab_step_withdraw_entry;
    case HAB_ROUTE_COPIES: return hab_step_copies;
    case HAB_ROUTE_ADJUSTMENTS: return hab_step_adjustments;
    case HAB_ROUTE_CORRESPONDENCE_ADD: return hab_step_record_correspondence;
    case HAB_ROUTE_TRIAGE_DECIDE: return hab_step_triage_decide;
    case HAB_ROUTE_TRIAGE: return hab_read_triage;
    case HAB_ROUTE_EVIDENCE_ADD: return hab_step_add_evidence;
    case HAB_ROUTE_EVIDENCE_READ: return hab_read_evidence;
    case HAB_ROUTE_NOTICES: return hab_read_notices_kept;
    case HAB_ROUTE_NOTIFICATIONS: return hab_read_notifications;
    case HAB_ROUTE_ABSENCES_LIST: return hab_read_absences;
    case HAB_ROUTE_ABSENCE_ADD: return hab_step_add_absence;
    case HAB_ROUTE_AUDIT: return hab_read_audit;
    case HAB_ROUTE_AUDIT_VERIFY: return hab_read_audit_verify;
    case HAB_ROUTE_AUDIT_CHECKPOINT: return hab_read_audit_checkpoint;
    default: return NULL;
    }
}

hab_err_t *hab_step_run_alone(hab_ctx_t *ctx, hab_route_id_t route, const hab_request_in_t *in,
                              hab_result_t *out)
{
    hab_err_t *e = ctx->store->ops->exec_script(ctx->store, ctx->p, "SAVEPOINT page_step");
    if (e) return e;
    e = hab_step_for(route)(ctx, in, out);
    if (e) hab_audit_forget_head(ctx->store);
    hab_err_t *undo = ctx->store->ops->exec_script(
        ctx->store, ctx->p,
        e ? "ROLLBACK TO SAVEPOINT page_step; RELEASE SAVEPOINT page_step"
          : "RELEASE SAVEPOINT page_step");
    return e ? e : undo;
}
