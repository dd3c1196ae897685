/* The governance figures: one computation for the governance
 * page, its JSON (api/governance) and `habitual-admin report`, so the three
 * can never disagree.  Counts only: no name, reference or case id leaves
 * here.  Pure core: no httpd header.
 *
 * Each figure has a dotted name ("decisions.approved"), a value (a JSON
 * integer, real or null) and a base: the number of cases or events it is
 * computed from.  Shown to people (page, API, CSV), a figure whose base is
 * from 1 to 4 is suppressed ("fewer than 5"): hab_gov_suppressed().  The
 * admin report prints every figure as it is (the report is the council's
 * own working paper, run on the server). */
#ifndef HABITUAL_GOVERNANCE_H
#define HABITUAL_GOVERNANCE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "habitual/base/error.h"
#include "habitual/domain/service.h"
#include "habitual/store/store.h"

#define HAB_GOV_SUPPRESS_BELOW 5
/* The safeguards of the README ("The rules"), R1 to R19: refusals.by_rule.Rn */
#define HAB_GOV_RULES 19

typedef struct hab_gov_fig {
    const char *name;   /* dotted */
    json_t *value;      /* integer, real or null; owned by the pool */
    long long base;     /* what it counts or is computed from */
    int report;         /* one of `habitual-admin report`'s figures */
    int count;          /* a count (else a number of days, a share) */
} hab_gov_fig_t;

typedef struct hab_gov {
    const char *from, *to, *today;
    apr_array_header_t *figs;    /* hab_gov_fig_t, in order */
    apr_array_header_t *months;  /* const char * "YYYY-MM", the months the range touches */
    apr_array_header_t *refused_actions; /* const char *, the access log's actions refused */
} hab_gov_t;

/* Every figure for from..to (dates, both inclusive) as of today, read in
 * one snapshot when the caller has none open (own_snapshot: begin and roll
 * back a read transaction here). */
hab_err_t *hab_governance_figures(hab_store_t *store, apr_pool_t *p, const char *from,
                                  const char *to, const char *today, int own_snapshot,
                                  hab_gov_t **out);

/* The figure of that name, or NULL. */
const hab_gov_fig_t *hab_gov_get(const hab_gov_t *g, const char *name);
/* Shown as "fewer than 5"? */
int hab_gov_suppressed(const hab_gov_fig_t *f);
/* The value as text: "12", "4.5", "" (null); not suppressed here. */
const char *hab_gov_value_text(apr_pool_t *p, const hab_gov_fig_t *f);

/* The figures as one JSON object nested by their dotted names, from and to
 * first.  suppress: a suppressed count is {"count": null, "suppressed":
 * true}, another suppressed value {"value": null, "suppressed": true}.
 * report_only: only the report's figures. */
json_t *hab_gov_json(const hab_gov_t *g, int suppress, int report_only);

/* The default period: the last full calendar quarter before today. */
void hab_gov_last_quarter(apr_pool_t *p, const char *today, const char **from, const char **to);

/* Working days after a and up to b (0 when b <= a): UK bank holidays as
 * dates.h knows them. */
long hab_working_days_between(const char *a, const char *b);

hab_err_t *hab_page_governance(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);

#endif
