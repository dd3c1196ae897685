/* The path router: method and path below the <Location> to a route.  Pure,
 * so the fuzzer and the unit tests exercise exactly what the module runs. */
#ifndef HABITUAL_ROUTER_H
#define HABITUAL_ROUTER_H

#include <apr_pools.h>

typedef enum {
    HAB_ROUTE_NONE = 0,
    HAB_ROUTE_ME,
    HAB_ROUTE_CASES_LIST,
    HAB_ROUTE_CASE_CREATE,
    HAB_ROUTE_CASE_READ,
    HAB_ROUTE_CONTACT_ADD,
    HAB_ROUTE_WARN,
    HAB_ROUTE_CLOSE,
    HAB_ROUTE_REPORT,
    HAB_ROUTE_DECIDE,
    HAB_ROUTE_REVIEW,
    HAB_ROUTE_REVIEW_DECIDE,
    HAB_ROUTE_APPEAL,
    HAB_ROUTE_APPEAL_DECIDE,
    HAB_ROUTE_GRANT_ADD,
    HAB_ROUTE_GRANT_REVOKE,
    HAB_ROUTE_LETTERS_LIST,
    HAB_ROUTE_LETTER_READ,
    HAB_ROUTE_STATEMENT_ADD,
    HAB_ROUTE_HOLD,
    HAB_ROUTE_PERSON_LINK,
    HAB_ROUTE_PERSON_UNLINK,
    HAB_ROUTE_INTERIM_LIFT,
    HAB_ROUTE_PERSON_CORRECT,
    HAB_ROUTE_CORRECTION_ADD,
    HAB_ROUTE_COPIES,
    HAB_ROUTE_ADJUSTMENTS,
    HAB_ROUTE_CORRESPONDENCE_ADD,
    HAB_ROUTE_TRIAGE_DECIDE,
    HAB_ROUTE_TRIAGE,
    HAB_ROUTE_EVIDENCE_ADD,
    HAB_ROUTE_EVIDENCE_READ,
    HAB_ROUTE_NOTICES,
    HAB_ROUTE_NOTIFICATIONS,
    HAB_ROUTE_ABSENCES_LIST,
    HAB_ROUTE_ABSENCE_ADD,
    HAB_ROUTE_AUDIT,
    HAB_ROUTE_AUDIT_VERIFY,
    HAB_ROUTE_AUDIT_CHECKPOINT,
    HAB_ROUTE_GOVERNANCE,
    /* the pages */
    HAB_ROUTE_PAGE_HOME,
    HAB_ROUTE_PAGE_CONCERN_FORM,
    HAB_ROUTE_PAGE_CONCERN,
    HAB_ROUTE_PAGE_REFERRALS,
    HAB_ROUTE_PAGE_CASES,
    HAB_ROUTE_PAGE_CASE,
    HAB_ROUTE_PAGE_STEP_FORM,
    HAB_ROUTE_PAGE_STEP,
    HAB_ROUTE_PAGE_REVOKE,
    HAB_ROUTE_PAGE_LETTER,
    HAB_ROUTE_PAGE_NOTICES,
    HAB_ROUTE_PAGE_NOTIFICATIONS,
    HAB_ROUTE_PAGE_ABSENCES,
    HAB_ROUTE_PAGE_ABSENCE_ADD,
    HAB_ROUTE_PAGE_AUDIT,
    HAB_ROUTE_PAGE_AUDIT_VERIFY,
    HAB_ROUTE_PAGE_AUDIT_CHECKPOINT,
    HAB_ROUTE_PAGE_AUDIT_EXPORT,
    HAB_ROUTE_PAGE_GOVERNANCE,
    HAB_ROUTE_PAGE_TRIAGE,
    HAB_ROUTE__COUNT
} hab_route_id_t;

enum {
    HAB_ROUTE_AUDITED = 1,   /* touches case data or the log: one access-log entry */
    HAB_ROUTE_BODY = 2,      /* carries a JSON body */
    HAB_ROUTE_READ = 4,      /* changes nothing: read in a snapshot, then log */
    HAB_ROUTE_PAGE = 8,      /* an HTML page: errors are pages too */
    HAB_ROUTE_FORM = 16,     /* a page's form: urlencoded body with csrf_token */
    HAB_ROUTE_UPLOAD = 32    /* a file as the body, spooled to disk by the glue (hab_upload_t) */
};

typedef struct hab_route_def {
    hab_route_id_t id;
    const char *method;
    const char *pattern;     /* "api/cases/{id}/grants/{arg}" */
    const char *action;      /* the access log's name for it */
    unsigned flags;
} hab_route_def_t;

typedef struct hab_route_match {
    const hab_route_def_t *route; /* NULL: no route */
    long long case_id;            /* {id}, or 0 */
    const char *arg;              /* {arg}, or NULL */
    const char *allow;            /* when the path exists for other methods: "GET, POST" */
} hab_route_match_t;

/* path is below the mount point, without a leading '/': "api/cases/7". */
void hab_route(apr_pool_t *p, const char *method, const char *path, hab_route_match_t *m);

const hab_route_def_t *hab_route_def(hab_route_id_t id);

#endif
