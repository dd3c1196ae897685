#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>

#include <http_log.h>

#include "habitual/crypto.h"
#include "habitual/evidence.h"
#include "habitual/json_io.h"
#include "mod_habitual.h"
#include "respond.h"

APLOG_USE_MODULE(habitual);

#define CSP_JSON "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
#define CSP_HTML "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " \
                 "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

void hab_set_security_headers(request_rec *r, int html)
{
    apr_table_t *h = r->err_headers_out;
    apr_table_setn(h, "Cache-Control", "no-store");
    apr_table_setn(h, "Pragma", "no-cache");
    apr_table_setn(h, "X-Content-Type-Options", "nosniff");
    apr_table_setn(h, "Referrer-Policy", "no-referrer");
    apr_table_setn(h, "X-Frame-Options", "DENY");
    apr_table_setn(h, "Content-Security-Policy", html ? CSP_HTML : CSP_JSON);
}

const char *hab_request_id(request_rec *r)
{
    const char *id = apr_table_get(r->notes, "habitual-request-id");
    if (id) return id;
    id = hab_random_hex(r->pool, 8);
    if (!id) id = apr_psprintf(r->pool, "%" APR_TIME_T_FMT, r->request_time);
    apr_table_setn(r->notes, "habitual-request-id", id);
    apr_table_setn(r->err_headers_out, "X-Request-Id", id);
    return id;
}

static hab_err_t *too_large(request_rec *r, apr_size_t max)
{
    return hab_err_make(r->pool, 413, "too-large",
                        "The request body is larger than %" APR_SIZE_T_FMT " bytes.", max);
}

hab_err_t *hab_read_body(request_rec *r, apr_size_t max, const char **body, apr_size_t *len)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    if (cl) {
        apr_off_t declared;
        if (apr_strtoff(&declared, cl, NULL, 10) != APR_SUCCESS || declared < 0)
            return hab_err_bad_request(r->pool, NULL, "The Content-Length header is malformed.");
        if ((apr_size_t)declared > max) return too_large(r, max);
    }
    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK)
        return hab_err_bad_request(r->pool, NULL, "The request body cannot be read.");
    char *buf = apr_palloc(r->pool, max + 1);
    apr_size_t got = 0;
    if (ap_should_client_block(r)) {
        long n;
        while ((n = ap_get_client_block(r, buf + got, max + 1 - got)) > 0) {
            got += (apr_size_t)n;
            if (got > max) return too_large(r, max);
        }
        if (n < 0) return hab_err_bad_request(r->pool, NULL, "The request body was cut short.");
    }
    buf[got] = '\0';
    *body = buf;
    *len = got;
    return NULL;
}

hab_err_t *hab_spool_body(request_rec *r, apr_off_t max, hab_upload_t **upload)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    if (cl) {
        apr_off_t declared;
        if (apr_strtoff(&declared, cl, NULL, 10) != APR_SUCCESS || declared < 0)
            return hab_err_bad_request(r->pool, NULL, "The Content-Length header is malformed.");
        if (declared > max) return too_large(r, (apr_size_t)max); /* before a byte is read */
    }
    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK)
        return hab_err_bad_request(r->pool, NULL, "The request body cannot be read.");
    const char *tmp;
    if (apr_temp_dir_get(&tmp, r->pool) != APR_SUCCESS) return hab_err_internal(r->pool, "no temporary directory");
    hab_upload_t *up = apr_pcalloc(r->pool, sizeof(*up));
    char *name = apr_pstrcat(r->pool, tmp, "/habitual-upload-XXXXXX", NULL);
    /* deleted when closed, and closed with the request's pool */
    if (apr_file_mktemp(&up->file, name, APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_EXCL |
                        APR_FOPEN_DELONCLOSE | APR_FOPEN_BUFFERED, r->pool) != APR_SUCCESS)
        return hab_err_internal(r->pool, "cannot make a temporary file for the upload");
    hab_sha256_t *sha = hab_sha256_begin(r->pool);
    unsigned char *head = apr_palloc(r->pool, HAB_UPLOAD_HEAD_BYTES);
    char buf[64 * 1024];
    long n = 0;
    if (!sha) return hab_err_internal(r->pool, "SHA-256 is not available");
    /* asked once: after the first read it says no more */
    int has_body = ap_should_client_block(r);
    while (has_body && (n = ap_get_client_block(r, buf, sizeof(buf))) > 0) {
        if (up->size + n > max) return too_large(r, (apr_size_t)max);
        if (up->head_len < HAB_UPLOAD_HEAD_BYTES) {
            apr_size_t k = HAB_UPLOAD_HEAD_BYTES - up->head_len;
            if (k > (apr_size_t)n) k = (apr_size_t)n;
            memcpy(head + up->head_len, buf, k);
            up->head_len += k;
        }
        apr_size_t wrote;
        if (!hab_sha256_add(sha, buf, (apr_size_t)n) ||
            apr_file_write_full(up->file, buf, (apr_size_t)n, &wrote) != APR_SUCCESS)
            return hab_err_internal(r->pool, "cannot spool the upload to disk");
        up->size += n;
    }
    if (n < 0) return hab_err_bad_request(r->pool, NULL, "The request body was cut short.");
    if (apr_file_flush(up->file) != APR_SUCCESS) return hab_err_internal(r->pool, "cannot spool the upload");
    up->head = head;
    up->sha256 = hab_sha256_end(r->pool, sha);
    *upload = up;
    return NULL;
}

int hab_respond_stream(request_rec *r, hab_store_t *store, const hab_stream_t *st)
{
    hab_set_security_headers(r, 0);
    /* never shown in the browser: saved, as what its content said it is */
    apr_table_setn(r->headers_out, "Content-Disposition",
                   apr_psprintf(r->pool, "attachment; filename=\"%s\"", st->filename));
    apr_table_setn(r->err_headers_out, "Content-Security-Policy",
                   "sandbox; default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
    ap_set_content_type(r, st->content_type);
    ap_set_content_length(r, st->size);
    r->status = 200;
    if (r->header_only) return OK;
    apr_pool_t *scratch;
    if (apr_pool_create(&scratch, r->pool) != APR_SUCCESS) return HTTP_INTERNAL_SERVER_ERROR;
    for (int seq = 0; seq < st->chunks; seq++) {
        const void *data;
        apr_size_t len;
        hab_err_t *e = hab_evidence_chunk(store, scratch, st->evidence_id, seq, &data, &len);
        if (e) {
            /* headers are gone: end the connection rather than send a short file as whole */
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, HABLOGNO(10303) "evidence download cut short: %s",
                          e->message);
            r->connection->keepalive = AP_CONN_CLOSE;
            return DONE;
        }
        if (ap_rwrite(data, (int)len, r) < 0) break;
        apr_pool_clear(scratch);
    }
    apr_pool_destroy(scratch);
    return OK;
}

static int write_body(request_rec *r, int status, const char *type, const char *body)
{
    r->status = status;
    ap_set_content_type(r, type);
    if (!body) return OK;
    apr_size_t len = strlen(body);
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) ap_rwrite(body, (int)len, r);
    return OK;
}

int hab_respond_json(request_rec *r, int status, const json_t *body)
{
    hab_set_security_headers(r, 0);
    if (status == 204 || !body) {
        r->status = status;
        return OK;
    }
    return hab_respond_json_text(r, status, apr_pstrcat(r->pool, hab_json_dump(r->pool, body), "\n", NULL));
}

int hab_respond_json_text(request_rec *r, int status, const char *text)
{
    hab_set_security_headers(r, 0);
    return write_body(r, status, "application/json; charset=utf-8", text);
}

int hab_respond_html(request_rec *r, int status, const char *html)
{
    hab_set_security_headers(r, 1);
    return write_body(r, status, "text/html; charset=utf-8", html);
}

int hab_respond_download(request_rec *r, const char *content_type, const char *filename, const char *content)
{
    hab_set_security_headers(r, 0);
    apr_table_setn(r->headers_out, "Content-Disposition",
                   apr_psprintf(r->pool, "attachment; filename=\"%s\"", filename));
    return write_body(r, 200, content_type, content);
}

void hab_log_server_error(request_rec *r, const hab_err_t *err, int page)
{
    if (err->status == 503) apr_table_setn(r->err_headers_out, "Retry-After", HAB_RETRY_AFTER_SECONDS);
    if (err->status < 500) return;
    /* the request id ties the client's answer to this line; a cause already
     * logged (LDAP, the writer's connection) is not written twice */
    if (page)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, HABLOGNO(10302) "answering %d to request %s: %s",
                      err->status, hab_request_id(r), err->logged ? "(cause logged above)" : err->message);
    else
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, HABLOGNO(10301) "answering %d to request %s: %s",
                      err->status, hab_request_id(r), err->logged ? "(cause logged above)" : err->message);
}

/* A 5xx's message may quote the database (a file path, a host name, the
 * engine's own words): the client gets a fixed text and the request id,
 * the error log the detail. */
int hab_respond_error(request_rec *r, const hab_err_t *err)
{
    hab_log_server_error(r, err, 0);
    json_t *j = hab_json_error(err);
    if (err->status >= 500) {
        json_t *inner = json_object_get(j, "error");
        json_object_set_new(inner, "message", json_string(
            err->status == 503 ? "The service is unavailable just now; try again in a few seconds."
                               : "Something went wrong on the server; it has been logged."));
        json_object_set_new(inner, "request_id", json_string(hab_request_id(r)));
    }
    int rv = hab_respond_json(r, err->status, j);
    json_decref(j);
    return rv;
}
