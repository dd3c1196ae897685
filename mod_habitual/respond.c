#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>

#include <http_log.h>

#include "habitual/base/crypto.h"
#include "habitual/domain/evidence.h"
#include "habitual/base/form.h"
#include "habitual/web/multipart.h"
#include "habitual/base/json_io.h"
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
    /* it ties a request's log lines and answer together and guards nothing,
     * so httpd's cheap generator serves (OpenSSL's cost some 34,000
     * instructions a request, callgrind) */
    unsigned char bytes[8];
    char *hex = apr_palloc(r->pool, 2 * sizeof(bytes) + 1);
    ap_random_insecure_bytes(bytes, sizeof(bytes));
    ap_bin2hex(bytes, sizeof(bytes), hex);
    id = hex;
    apr_table_setn(r->notes, "habitual-request-id", id);
    apr_table_setn(r->err_headers_out, "X-Request-Id", id);
    return id;
}

static hab_err_t *too_large(request_rec *r, apr_size_t max)
{
    return hab_err_make(r->pool, 413, "too-large",
                        "The request body is larger than %" APR_SIZE_T_FMT " bytes.", max);
}

/* A file spooled to disk as it arrives: its size, SHA-256 and first bytes. */
typedef struct {
    request_rec *r;
    apr_off_t max;
    hab_upload_t *up;
    hab_sha256_t *sha;
    unsigned char *head;
} spool_t;

static hab_err_t *spool_open(request_rec *r, apr_off_t max, spool_t *s)
{
    const char *tmp;
    s->r = r;
    s->max = max;
    if (apr_temp_dir_get(&tmp, r->pool) != APR_SUCCESS)
        return hab_err_internal(r->pool, "no temporary directory");
    s->up = apr_pcalloc(r->pool, sizeof(*s->up));
    char *name = apr_pstrcat(r->pool, tmp, "/habitual-upload-XXXXXX", NULL);
    /* deleted when closed, and closed with the request's pool */
    if (apr_file_mktemp(&s->up->file, name,
                        APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_EXCL |
                            APR_FOPEN_DELONCLOSE | APR_FOPEN_BUFFERED,
                        r->pool) != APR_SUCCESS)
        return hab_err_internal(r->pool, "cannot make a temporary file for the upload");
    s->head = apr_palloc(r->pool, HAB_UPLOAD_HEAD_BYTES);
    s->up->head = s->head;
    if (!(s->sha = hab_sha256_begin(r->pool)))
        return hab_err_internal(r->pool, "SHA-256 is not available");
    return NULL;
}

static hab_err_t *spool_add(spool_t *s, const char *buf, apr_size_t n)
{
    hab_upload_t *up = s->up;
    if (up->size + (apr_off_t)n > s->max) return too_large(s->r, (apr_size_t)s->max);
    if (up->head_len < HAB_UPLOAD_HEAD_BYTES) {
        apr_size_t k = HAB_UPLOAD_HEAD_BYTES - up->head_len;
        if (k > n) k = n;
        memcpy(s->head + up->head_len, buf, k);
        up->head_len += k;
    }
    apr_size_t wrote;
    if (!hab_sha256_add(s->sha, buf, n) ||
        apr_file_write_full(up->file, buf, n, &wrote) != APR_SUCCESS)
        return hab_err_internal(s->r->pool, "cannot spool the upload to disk");
    up->size += (apr_off_t)n;
    return NULL;
}

static hab_err_t *spool_close(spool_t *s)
{
    if (apr_file_flush(s->up->file) != APR_SUCCESS)
        return hab_err_internal(s->r->pool, "cannot spool the upload");
    s->up->sha256 = hab_sha256_end(s->r->pool, s->sha);
    return NULL;
}

/* Content-Length over max: 413 before a byte is read. */
static hab_err_t *declared_length(request_rec *r, apr_off_t max)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_off_t declared;
    if (!cl) return NULL;
    if (apr_strtoff(&declared, cl, NULL, 10) != APR_SUCCESS || declared < 0)
        return hab_err_bad_request(r->pool, NULL, "The Content-Length header is malformed.");
    return declared > max ? too_large(r, (apr_size_t)max) : NULL;
}

/* Each piece of the body as it arrives, to feed(baton, piece). */
static hab_err_t *read_pieces(request_rec *r,
                              hab_err_t *(*feed)(void *baton, const char *buf, apr_size_t n),
                              void *baton)
{
    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK)
        return hab_err_bad_request(r->pool, NULL, "The request body cannot be read.");
    char buf[64 * 1024];
    long n = 0;
    /* asked once: after the first read it says no more */
    int has_body = ap_should_client_block(r);
    while (has_body && (n = ap_get_client_block(r, buf, sizeof(buf))) > 0) {
        hab_err_t *e = feed(baton, buf, (apr_size_t)n);
        if (e) return e;
    }
    return n < 0 ? hab_err_bad_request(r->pool, NULL, "The request body was cut short.") : NULL;
}

/* A JSON or form body, whole in memory (max is small: HAB_BODY_MAX). */
typedef struct {
    request_rec *r;
    char *buf;
    apr_size_t got, max;
} memory_body_t;

static hab_err_t *memory_feed(void *baton, const char *piece, apr_size_t n)
{
    memory_body_t *m = baton;
    if (n > m->max - m->got) return too_large(m->r, m->max);
    memcpy(m->buf + m->got, piece, n);
    m->got += n;
    return NULL;
}

hab_err_t *hab_read_body(request_rec *r, apr_size_t max, const char **body, apr_size_t *len)
{
    memory_body_t m = {r, apr_palloc(r->pool, max + 1), 0, max};
    hab_err_t *e = declared_length(r, (apr_off_t)max);
    if (!e) e = read_pieces(r, memory_feed, &m);
    if (e) return e;
    m.buf[m.got] = '\0';
    *body = m.buf;
    *len = m.got;
    return NULL;
}

static hab_err_t *spool_feed(void *baton, const char *buf, apr_size_t n)
{
    return spool_add(baton, buf, n);
}

hab_err_t *hab_spool_body(request_rec *r, apr_off_t max, hab_upload_t **upload)
{
    spool_t s;
    hab_err_t *e = declared_length(r, max);
    if (!e) e = spool_open(r, max, &s);
    if (!e) e = read_pieces(r, spool_feed, &s);
    if (!e) e = spool_close(&s);
    if (!e) *upload = s.up;
    return e;
}

/* ---- a page's form with a file (multipart/form-data) ---- */

typedef struct {
    request_rec *r;
    apr_array_header_t *pairs;
    apr_size_t fields_max, fields_used;
    const char *name;
    char *value;
    apr_size_t value_len;
    int in_file, in_skip;
    spool_t spool;
    apr_off_t file_max;
    hab_upload_t *upload;
} form_read_t;

static hab_err_t *part_begin(void *baton, const char *name, const char *filename)
{
    form_read_t *f = baton;
    f->name = name;
    f->value = NULL;
    f->value_len = 0;
    f->in_file = f->in_skip = 0;
    if (!filename) return NULL;
    /* one file, named "file"; a file input left empty sends an empty name */
    if (strcmp(name, "file") != 0 || !*filename || f->upload) {
        f->in_skip = 1;
        return NULL;
    }
    f->in_file = 1;
    hab_err_t *e = spool_open(f->r, f->file_max, &f->spool);
    if (!e) f->spool.up->filename = filename;
    return e;
}

static hab_err_t *part_data(void *baton, const char *bytes, apr_size_t len)
{
    form_read_t *f = baton;
    if (f->in_skip) return NULL;
    if (f->in_file) return spool_add(&f->spool, bytes, len);
    if (f->fields_used + len > f->fields_max) return too_large(f->r, f->fields_max);
    f->fields_used += len;
    char *grown = apr_palloc(f->r->pool, f->value_len + len + 1);
    if (f->value_len) memcpy(grown, f->value, f->value_len);
    memcpy(grown + f->value_len, bytes, len);
    f->value_len += len;
    grown[f->value_len] = '\0';
    f->value = grown;
    return NULL;
}

static hab_err_t *part_end(void *baton)
{
    form_read_t *f = baton;
    if (f->in_skip) return NULL;
    if (f->in_file) {
        hab_err_t *e = spool_close(&f->spool);
        if (!e) f->upload = f->spool.up;
        return e;
    }
    const char *value = f->value ? f->value : "";
    if (!hab_utf8_valid(value, f->value_len) || !hab_utf8_valid(f->name, strlen(f->name)))
        return hab_err_bad_request(f->r->pool, NULL, "The form holds text that is not UTF-8.");
    hab_form_pair_t *pair = apr_array_push(f->pairs);
    pair->name = f->name;
    pair->value = value;
    return NULL;
}

/* The whole body, boundaries and part headers too, is bounded: a chunked
 * body of endless empty parts is refused like a long one. */
typedef struct {
    request_rec *r;
    hab_multipart_t *m;
    apr_off_t seen, max;
} multipart_read_t;

static hab_err_t *multipart_feed(void *baton, const char *buf, apr_size_t n)
{
    multipart_read_t *mr = baton;
    mr->seen += (apr_off_t)n;
    if (mr->seen > mr->max) return too_large(mr->r, (apr_size_t)mr->max);
    return hab_multipart_feed(mr->m, buf, n);
}

hab_err_t *hab_read_multipart_form(request_rec *r, apr_off_t file_max, apr_size_t fields_max,
                                   apr_array_header_t **pairs, hab_upload_t **upload)
{
    form_read_t f = {r,          apr_array_make(r->pool, 8, sizeof(hab_form_pair_t)),
                     fields_max, 0,
                     NULL,       NULL,
                     0,          0,
                     0,          {0},
                     file_max,   NULL};
    hab_multipart_sink_t sink = {&f, part_begin, part_data, part_end};
    multipart_read_t mr = {r, NULL, 0, file_max + (apr_off_t)fields_max + 64 * 1024};
    hab_err_t *e = declared_length(r, mr.max);
    if (!e)
        e = hab_multipart_new(r->pool, apr_table_get(r->headers_in, "Content-Type"), &sink, &mr.m);
    if (!e) e = read_pieces(r, multipart_feed, &mr);
    if (!e) e = hab_multipart_finish(mr.m);
    if (e) return e;
    *pairs = f.pairs;
    *upload = f.upload;
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
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          HABLOGNO(10303) "evidence download cut short: %s", e->message);
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
    return hab_respond_json_text(r, status,
                                 apr_pstrcat(r->pool, hab_json_dump(r->pool, body), "\n", NULL));
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

int hab_respond_download(request_rec *r, const char *content_type, const char *filename,
                         const char *content)
{
    hab_set_security_headers(r, 0);
    apr_table_setn(r->headers_out, "Content-Disposition",
                   apr_psprintf(r->pool, "attachment; filename=\"%s\"", filename));
    return write_body(r, 200, content_type, content);
}

void hab_log_server_error(request_rec *r, const hab_err_t *err, int page)
{
    if (err->status == 503)
        apr_table_setn(r->err_headers_out, "Retry-After", HAB_RETRY_AFTER_SECONDS);
    if (err->status < 500) return;
    /* the request id ties the client's answer to this line; a cause already
     * logged (LDAP, the writer's connection) is not written twice */
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "HAB%d: answering %d to request %s: %s%s",
                  page ? 10302 : 10301, err->status, hab_request_id(r),
                  err->logged ? "(cause logged above)" : err->message,
                  hab_err_cause_note(r->pool, err));
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
