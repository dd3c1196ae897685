/* The reads (reads.c): the case file, the lists, notices, notifications,
 * absences and the access log, each through the one gate (access.c) and
 * each writing its access-log entry as the steps do. */
#ifndef HABITUAL_READS_H
#define HABITUAL_READS_H

#include <jansson.h>

#include "habitual/domain/service.h"

hab_err_t *hab_read_me(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_read_case(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_read_cases(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_read_letters(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_read_letter(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_read_notices(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_read_notices_kept(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
/* The answer this process kept for the route, if it kept one (1), without
 * asking the store: *gen is the change counter it was kept at, and it
 * stands only if the counter still says so (hab_service checks, in the
 * transaction that logs the answer).  0: nothing kept; out untouched. */
int hab_read_kept(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out, long long *gen);
hab_err_t *hab_read_notifications(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_read_absences(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_read_audit(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
hab_err_t *hab_read_audit_verify(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);
/* POST api/audit/verify {"checkpoint": LINE}: does the log still hold it? */
/* The access log's export (the auditors' page streams it): the CSV header
 * line, and one entry by its seq as a CSV line or as its JSON object. */
const char *hab_read_audit_csv_header(apr_pool_t *p);
hab_err_t *hab_read_audit_export_entry(hab_ctx_t *ctx, long long seq, int csv, const char **text);
hab_err_t *hab_read_audit_checkpoint(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);

/* A stored letter, for those who may see the case's file (cem, mo, ce),
 * with the format the customer's adjustments ask letters to open in. */
typedef struct {
    const char *subject, *body, *issued_at;
    const char *format;        /* standard, large-print or plain-text */
} hab_letter_record_t;
hab_err_t *hab_letter_fetch(hab_ctx_t *ctx, const hab_request_in_t *in,
                            hab_letter_record_t *letter);
/* For the pages: the CEM's and deciders' lists, and a chief officer's
 * appeals to hear (JSON owned by ctx->p). */
hab_err_t *hab_read_dashboard(hab_ctx_t *ctx, json_t **out);
hab_err_t *hab_read_appeals_to_hear(hab_ctx_t *ctx, json_t **out);

#endif
