/* The intranet pages (README "The intranet pages"): each a core step like the
 * API's, rendering HTML from the same views, so the pages obey the same
 * need-to-know rules and write the same access log. */
#ifndef HABITUAL_PAGES_H
#define HABITUAL_PAGES_H

#include "habitual/domain/casefile.h"
#include "habitual/domain/service.h"
#include "habitual/web/forms.h"
#include "habitual/web/ui.h"

hab_err_t *hab_page_home(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_concern_form(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_concern(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_referrals(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_cases(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_case(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_step_form(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_step(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_revoke(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_letter(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_notices(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_notifications(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_absences(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_absence_add(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_audit(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_audit_verify(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_audit_checkpoint(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_audit_export(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_page_triage(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
/* The routes: api/governance (JSON) and the governance page (with its CSV
 * download, ?format=csv); cem, monitoring officer, chief executive and
 * auditors only, 404 for everyone else. */
hab_err_t *hab_read_governance(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);

/* An error as a page in the same design (403, 404, 409, 503...): never
 * saying whether a case exists. */
const char *hab_page_error(hab_ctx_t *ctx, const hab_err_t *err);

/* The confirmation for ?done=<step> after a step's redirect, or NULL. */
const char *hab_page_done_banner(const hab_request_in_t *in);

/* Shared by the page files. */
hab_ui_t hab_page_ui(hab_ctx_t *ctx);
void hab_page_answer(hab_ctx_t *ctx, hab_result_t *out, int status, const hab_page_t *page);

/* ---- Rendering from a view (pages.c): pure, for unit tests ---- */

/* Each renders a page's main content (the shell aside) from the view its
 * read answered, for the user and roles in ui, which choose what shows. */

/* view: {"dashboard": hab_read_dashboard's, for case officers;
 *        "appeals_to_hear": hab_read_appeals_to_hear's, for chief officers} */
const char *hab_render_home(apr_pool_t *p, const hab_ui_t *ui, const json_t *view);
/* view: the API's {"cases": [...]} */
const char *hab_render_referrals(apr_pool_t *p, const hab_ui_t *ui, const json_t *view);
const char *hab_render_cases(apr_pool_t *p, const hab_ui_t *ui, const json_t *view);
/* view: the API's {"notices": [...]}, each a card */
const char *hab_render_notices(apr_pool_t *p, const hab_ui_t *ui, const json_t *view);
/* view: the API's {"notifications": [...]} */
const char *hab_render_notifications(apr_pool_t *p, const hab_ui_t *ui, const json_t *view);
/* view: the post queue's {"items": [...], "limit_working_days": n} */
const char *hab_render_triage(apr_pool_t *p, const hab_ui_t *ui, const json_t *view);
/* view: the API's {"absences": [...]}; posted and errors: the form sent
 * back with its refusal, or NULL */
const char *hab_render_absences(apr_pool_t *p, const hab_ui_t *ui, const json_t *view,
                                const hab_posted_t *posted,
                                const apr_array_header_t *errors);
/* view: the API's {"entries": [...], "next_after": n}; query: the filters
 * as the browser sent them (empty ones too), shown again in the form */
const char *hab_render_audit(apr_pool_t *p, const hab_ui_t *ui, const json_t *view,
                             const json_t *query);
/* view: the chain's check, {"ok", "entries", "head"} or {"ok", "first_bad_seq",
 * "problem"}; then the form to check a checkpoint */
const char *hab_render_audit_verify(apr_pool_t *p, const hab_ui_t *ui, const json_t *view);
/* view: the checkpoint's check (its "checkpoint" held or not), or NULL when
 * the form was refused: errors says why */
const char *hab_render_audit_checkpoint(apr_pool_t *p, const hab_ui_t *ui, const json_t *view,
                                        const hab_posted_t *posted,
                                        const apr_array_header_t *errors);
/* The whole error page. view: {"status": n, "message", "reference": the
 * request's id, shown for a server's fault} */
const char *hab_render_error(apr_pool_t *p, const hab_ui_t *ui, const json_t *view);

/* ---- Rendering from a view (pages_case.c) ---- */

/* The case's page body from its view (hab_view_case at this sight): the
 * whole file, or what the referrer may see (HAB_SEE_REFERRAL).  open: the
 * steps (hab_route_id_t) the gates let this user take now (hab_steps_open),
 * offered as links, and as the person records' buttons. */
const char *hab_render_case(apr_pool_t *p, const hab_ui_t *ui, const json_t *view, int sight,
                            const apr_array_header_t *open);

/* A step's form as its page shows it: slug names the step (cases/{id}/<slug>);
 * team_names (",a,b,") the teams the grant form offers; posted and errors
 * the refused form shown again, or NULL when it is first shown. */
typedef struct hab_step_form {
    const char *slug;
    const char *team_names;
    const hab_posted_t *posted;
    const apr_array_header_t *errors;
} hab_step_form_t;

/* The step's page body for case c at this sight (the person's name as that
 * sight shows it, the way back); NULL when no step has that slug. */
const char *hab_render_step(apr_pool_t *p, const hab_ui_t *ui, const hab_case_t *c, int sight,
                            const hab_step_form_t *form);

/* The concern form's page body, posted and errors as for a step. */
const char *hab_render_concern(apr_pool_t *p, const hab_ui_t *ui, const hab_posted_t *posted,
                               const apr_array_header_t *errors);

/* A letter's page body from {case_id, letter (its id in the URL), subject,
 * body (the letter's HTML as issued), issued_at, format}: format is the one
 * to show, standard, large-print or plain-text. */
const char *hab_render_letter(apr_pool_t *p, const hab_ui_t *ui, const json_t *view);

/* ---- Rendering from a view (pages_governance.c) ---- */

/* The governance page's content from api/governance's view (from, to,
 * today and the figures nested by name, suppressed ones as such), for the
 * period chosen: the year, and the quarter 1-4 or 0 for the whole year. */
const char *hab_render_governance(apr_pool_t *p, const hab_ui_t *ui, const json_t *view,
                                  int year, int quarter);

#endif
