/* Writing answers and reading bodies: the httpd side of the envelope. */
#ifndef MOD_HABITUAL_RESPOND_H
#define MOD_HABITUAL_RESPOND_H

#include <httpd.h>
#include <jansson.h>

#include "habitual/base/error.h"

/* The security headers (README "Security guarantees"), on every answer (errors included). */
void hab_set_security_headers(request_rec *r, int html);
/* A short id for this request, also sent as X-Request-Id. */
const char *hab_request_id(request_rec *r);
/* Read at most max bytes of body; 413 when there is more. */
hab_err_t *hab_read_body(request_rec *r, apr_size_t max, const char **body, apr_size_t *len);

struct hab_upload;
struct hab_stream;
struct hab_store;
/* The body, a file of at most max bytes, spooled to a temporary file as it
 * arrives (deleted when r->pool goes): its size, SHA-256 and first bytes;
 * 413 when there is more, and then nothing is kept. */
hab_err_t *hab_spool_body(request_rec *r, apr_off_t max, struct hab_upload **upload);
/* A page's form sent as multipart/form-data: its fields (at most
 * fields_max bytes in all) as pairs, and its one file input "file", if a
 * file was chosen, spooled as hab_spool_body does (at most file_max). */
hab_err_t *hab_read_multipart_form(request_rec *r, apr_off_t file_max, apr_size_t fields_max,
                                   apr_array_header_t **pairs, struct hab_upload **upload);
/* A stored file, chunk by chunk from the store, as an attachment. */
int hab_respond_stream(request_rec *r, struct hab_store *store, const struct hab_stream *st);

int hab_respond_json(request_rec *r, int status, const json_t *body);
/* JSON already written out (a kept answer). */
int hab_respond_json_text(request_rec *r, int status, const char *text);
int hab_respond_html(request_rec *r, int status, const char *html);
/* A file to save (the access log's export). */
int hab_respond_download(request_rec *r, const char *content_type, const char *filename,
                         const char *content);
/* {"error":{...}}; 503 carries Retry-After.  A 5xx says only a fixed text
 * and the request id: its detail goes to the error log. */
int hab_respond_error(request_rec *r, const hab_err_t *err);
/* For every error answer, JSON or page: Retry-After on a 503, and one
 * error-log line for a 5xx with the request id and the detail. */
void hab_log_server_error(request_rec *r, const hab_err_t *err, int page);

#endif
