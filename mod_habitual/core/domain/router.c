#include <string.h>

#include <apr_strings.h>

#include "habitual/base/form.h"
#include "habitual/domain/router.h"

#define AUD HAB_ROUTE_AUDITED
#define BODY HAB_ROUTE_BODY
#define READ HAB_ROUTE_READ
#define PAGE HAB_ROUTE_PAGE
#define FORM HAB_ROUTE_FORM

/* README "The JSON API", in its order. */
static const hab_route_def_t routes[] = {
    {HAB_ROUTE_ME, "GET", "api/me", "me", 0},
    {HAB_ROUTE_CASES_LIST, "GET", "api/cases", "cases.list", AUD | READ},
    {HAB_ROUTE_CASE_CREATE, "POST", "api/cases", "case.create", AUD | BODY},
    {HAB_ROUTE_CASE_READ, "GET", "api/cases/{id}", "case.read", AUD | READ},
    {HAB_ROUTE_CONTACT_ADD, "POST", "api/cases/{id}/contacts", "case.contact", AUD | BODY},
    {HAB_ROUTE_WARN, "POST", "api/cases/{id}/warning", "case.warn", AUD | BODY},
    {HAB_ROUTE_CLOSE, "POST", "api/cases/{id}/close", "case.close", AUD | BODY},
    {HAB_ROUTE_REPORT, "POST", "api/cases/{id}/report", "case.report", AUD | BODY},
    {HAB_ROUTE_DECIDE, "POST", "api/cases/{id}/decision", "case.decide", AUD | BODY},
    {HAB_ROUTE_REVIEW, "POST", "api/cases/{id}/review", "case.review", AUD | BODY},
    {HAB_ROUTE_REVIEW_DECIDE, "POST", "api/cases/{id}/review/decision", "case.review.decide",
     AUD | BODY},
    {HAB_ROUTE_APPEAL, "POST", "api/cases/{id}/appeal", "case.appeal", AUD | BODY},
    {HAB_ROUTE_APPEAL_DECIDE, "POST", "api/cases/{id}/appeal/decision", "case.appeal.decide",
     AUD | BODY},
    {HAB_ROUTE_GRANT_ADD, "POST", "api/cases/{id}/grants", "case.grant", AUD | BODY},
    {HAB_ROUTE_GRANT_REVOKE, "DELETE", "api/cases/{id}/grants/{arg}", "case.grant.revoke", AUD},
    {HAB_ROUTE_LETTERS_LIST, "GET", "api/cases/{id}/letters", "case.letters", AUD | READ},
    {HAB_ROUTE_LETTER_READ, "GET", "api/cases/{id}/letters/{n}", "case.letter.read", AUD | READ},
    {HAB_ROUTE_STATEMENT_ADD, "POST", "api/cases/{id}/statements", "case.statement", AUD | BODY},
    {HAB_ROUTE_HOLD, "POST", "api/cases/{id}/hold", "case.hold", AUD | BODY},
    {HAB_ROUTE_PERSON_LINK, "POST", "api/cases/{id}/link", "case.person.link", AUD | BODY},
    {HAB_ROUTE_PERSON_UNLINK, "POST", "api/cases/{id}/unlink", "case.person.unlink", AUD | BODY},
    {HAB_ROUTE_INTERIM_LIFT, "POST", "api/cases/{id}/interim/lift", "case.interim.lift",
     AUD | BODY},
    {HAB_ROUTE_PERSON_CORRECT, "POST", "api/cases/{id}/person", "case.person.correct", AUD | BODY},
    {HAB_ROUTE_CORRECTION_ADD, "POST", "api/cases/{id}/corrections", "case.correction", AUD | BODY},
    {HAB_ROUTE_COPIES, "POST", "api/cases/{id}/copies", "case.copies", AUD | BODY},
    {HAB_ROUTE_ADJUSTMENTS, "POST", "api/cases/{id}/adjustments", "case.adjustments", AUD | BODY},
    {HAB_ROUTE_CORRESPONDENCE_ADD, "POST", "api/cases/{id}/correspondence", "case.correspondence",
     AUD | BODY},
    {HAB_ROUTE_TRIAGE_DECIDE, "POST", "api/cases/{id}/correspondence/decision",
     "case.correspondence.decide", AUD | BODY},
    {HAB_ROUTE_TRIAGE, "GET", "api/triage", "triage.list", AUD | READ},
    {HAB_ROUTE_EVIDENCE_ADD, "POST", "api/cases/{id}/evidence", "case.evidence",
     AUD | HAB_ROUTE_UPLOAD},
    {HAB_ROUTE_EVIDENCE_READ, "GET", "api/cases/{id}/evidence/{n}", "case.evidence.read",
     AUD | READ},
    {HAB_ROUTE_NOTICES, "GET", "api/notices", "notices.list", AUD | READ},
    {HAB_ROUTE_NOTIFICATIONS, "GET", "api/notifications", "notifications.list", AUD | READ},
    {HAB_ROUTE_ABSENCES_LIST, "GET", "api/absences", "absences.list", AUD | READ},
    {HAB_ROUTE_ABSENCE_ADD, "POST", "api/absences", "absence.add", AUD | BODY},
    {HAB_ROUTE_AUDIT, "GET", "api/audit", "audit.list", AUD | READ},
    {HAB_ROUTE_AUDIT_VERIFY, "GET", "api/audit/verify", "audit.verify", AUD | READ},
    {HAB_ROUTE_AUDIT_CHECKPOINT, "POST", "api/audit/verify", "audit.verify.checkpoint",
     AUD | BODY | READ},
    {HAB_ROUTE_GOVERNANCE, "GET", "api/governance", "governance.read", AUD | READ},
    /* the pages: the same core calls, the same access log */
    {HAB_ROUTE_PAGE_HOME, "GET", "", "page.home", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_CONCERN_FORM, "GET", "concerns/new", "page.concern", PAGE},
    {HAB_ROUTE_PAGE_CONCERN, "POST", "concerns/new", "case.create", AUD | PAGE | FORM},
    {HAB_ROUTE_PAGE_REFERRALS, "GET", "referrals", "page.referrals", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_CASES, "GET", "cases", "page.cases", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_CASE, "GET", "cases/{id}", "page.case", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_STEP_FORM, "GET", "cases/{id}/{arg}", "page.case.form", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_STEP, "POST", "cases/{id}/{arg}", "page.case.step", AUD | PAGE | FORM},
    {HAB_ROUTE_PAGE_REVOKE, "POST", "cases/{id}/grants/{arg}/revoke", "case.grant.revoke",
     AUD | PAGE | FORM},
    {HAB_ROUTE_PAGE_LETTER, "GET", "cases/{id}/letters/{n}", "case.letter.read", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_NOTICES, "GET", "notices", "notices.list", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_NOTIFICATIONS, "GET", "notifications", "notifications.list", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_ABSENCES, "GET", "absences", "absences.list", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_ABSENCE_ADD, "POST", "absences", "absence.add", AUD | PAGE | FORM},
    {HAB_ROUTE_PAGE_AUDIT, "GET", "audit", "audit.list", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_AUDIT_VERIFY, "GET", "audit/verify", "audit.verify", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_AUDIT_CHECKPOINT, "POST", "audit/verify", "audit.verify.checkpoint",
     AUD | READ | PAGE | FORM},
    {HAB_ROUTE_PAGE_AUDIT_EXPORT, "GET", "audit/export", "audit.export", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_GOVERNANCE, "GET", "governance", "page.governance", AUD | READ | PAGE},
    {HAB_ROUTE_PAGE_TRIAGE, "GET", "triage", "triage.list", AUD | READ | PAGE},
};

#define ROUTE_COUNT (sizeof(routes) / sizeof(routes[0]))
#define MAX_DIGITS 15 /* ids stay well inside a JSON number's exact range */

const hab_route_def_t *hab_route_def(hab_route_id_t id)
{
    for (size_t i = 0; i < ROUTE_COUNT; i++)
        if (routes[i].id == id) return &routes[i];
    return NULL;
}

/* A positive decimal with no sign, no leading zero and at most 15 digits. */
static int parse_id(const char *s, size_t len, long long *out)
{
    if (len == 0 || len > MAX_DIGITS || s[0] == '0') return 0;
    long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* A user name or a step's name: UTF-8 with no control character. */
static int printable_utf8(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
    return hab_utf8_valid(s, len);
}

/* Match one pattern segment by segment; captures {id}, {n} and {arg}. */
static int match_pattern(apr_pool_t *p, const char *pattern, const char *path,
                         long long *case_id, const char **arg)
{
    const char *pp = pattern, *sp = path;
    *case_id = 0;
    *arg = NULL;
    for (;;) {
        const char *pe = strchr(pp, '/'), *se = strchr(sp, '/');
        size_t plen = pe ? (size_t)(pe - pp) : strlen(pp);
        size_t slen = se ? (size_t)(se - sp) : strlen(sp);
        if (plen == 4 && strncmp(pp, "{id}", 4) == 0) {
            if (!parse_id(sp, slen, case_id)) return 0;
        } else if (plen == 3 && strncmp(pp, "{n}", 3) == 0) {
            long long n;
            if (!parse_id(sp, slen, &n)) return 0;
            *arg = apr_pstrmemdup(p, sp, slen);
        } else if (plen == 5 && strncmp(pp, "{arg}", 5) == 0) {
            if (slen == 0 || slen > 256 || !printable_utf8(sp, slen)) return 0;
            *arg = apr_pstrmemdup(p, sp, slen);
        } else if (plen != slen || strncmp(pp, sp, plen) != 0) {
            return 0;
        }
        if (!pe && !se) return 1;
        if (!pe || !se) return 0;
        pp = pe + 1;
        sp = se + 1;
    }
}

void hab_route(apr_pool_t *p, const char *method, const char *path, hab_route_match_t *m)
{
    memset(m, 0, sizeof(*m));
    const char *allow = NULL;
    for (size_t i = 0; i < ROUTE_COUNT; i++) {
        long long id;
        const char *arg;
        if (!match_pattern(p, routes[i].pattern, path, &id, &arg)) continue;
        if (strcmp(routes[i].method, method) == 0) {
            m->route = &routes[i];
            m->case_id = id;
            m->arg = arg;
            m->allow = NULL;
            return;
        }
        allow = allow ? apr_pstrcat(p, allow, ", ", routes[i].method, NULL) : routes[i].method;
    }
    m->allow = allow;
}
