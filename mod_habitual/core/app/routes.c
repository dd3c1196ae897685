/* Which core function answers which route (app/routes.h). */
#include "habitual/domain/governance.h"
#include "habitual/web/pages.h"
#include "app/routes.h"

hab_step_fn hab_route_fn(hab_route_id_t route)
{
    switch (route) {
    case HAB_ROUTE_PAGE_TRIAGE: return hab_page_triage;
    case HAB_ROUTE_GOVERNANCE: return hab_read_governance;
    case HAB_ROUTE_PAGE_HOME: return hab_page_home;
    case HAB_ROUTE_PAGE_CONCERN_FORM: return hab_page_concern_form;
    case HAB_ROUTE_PAGE_CONCERN: return hab_page_concern;
    case HAB_ROUTE_PAGE_REFERRALS: return hab_page_referrals;
    case HAB_ROUTE_PAGE_CASES: return hab_page_cases;
    case HAB_ROUTE_PAGE_CASE: return hab_page_case;
    case HAB_ROUTE_PAGE_STEP_FORM: return hab_page_step_form;
    case HAB_ROUTE_PAGE_STEP: return hab_page_step;
    case HAB_ROUTE_PAGE_REVOKE: return hab_page_revoke;
    case HAB_ROUTE_PAGE_LETTER: return hab_page_letter;
    case HAB_ROUTE_PAGE_NOTICES: return hab_page_notices;
    case HAB_ROUTE_PAGE_NOTIFICATIONS: return hab_page_notifications;
    case HAB_ROUTE_PAGE_ABSENCES: return hab_page_absences;
    case HAB_ROUTE_PAGE_ABSENCE_ADD: return hab_page_absence_add;
    case HAB_ROUTE_PAGE_AUDIT: return hab_page_audit;
    case HAB_ROUTE_PAGE_AUDIT_VERIFY: return hab_page_audit_verify;
    case HAB_ROUTE_PAGE_AUDIT_CHECKPOINT: return hab_page_audit_checkpoint;
    case HAB_ROUTE_PAGE_AUDIT_EXPORT: return hab_page_audit_export;
    case HAB_ROUTE_PAGE_GOVERNANCE: return hab_page_governance;
    default: return hab_step_for(route);
    }
}
