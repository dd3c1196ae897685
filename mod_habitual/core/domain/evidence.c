/* Evidence attached to a case (README "Evidence"): the upload arrives as a
 * file the glue spooled to disk; here it is checked (its type by its
 * content), stored in chunks inside the step's transaction, and read back
 * in chunks for case officers.  Memory: one chunk at a time. */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "habitual/domain/access.h"
#include "habitual/base/crypto.h"
#include "habitual/domain/evidence.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/procedure.h"
#include "habitual/base/validate.h"
#include "domain/steps.h"

/* ---- storing ---- */

/* A name safe in a Content-Disposition header and on any disk: letters,
 * digits, dot, dash, underscore and space; at most 100 characters. */
static const char *safe_filename(apr_pool_t *p, const char *name)
{
    if (!name) return NULL;
    char *s = apr_pstrndup(p, name, 100);
    for (char *c = s; *c; c++)
        if (!apr_isalnum(*c) && !strchr("._- ", *c)) *c = '_';
    while (*s == '.' || *s == ' ') s++;
    return *s ? s : NULL;
}

/* From the query (the API) or the posted form (the page). */
static const char *param(apr_pool_t *p, const hab_request_in_t *in, const char *key)
{
    const char *v = in->query ? hab_j_str(in->query, key) : NULL;
    const json_t *posted = in->body ? json_object_get(in->body, key) : NULL;
    if (!v && json_is_string(posted)) v = json_string_value(posted);
    if (!v && json_is_integer(posted))
        v = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(posted));
    return v && !hab_blank(v) ? v : NULL;
}

static hab_err_t *contact_of_case(hab_ctx_t *ctx, long long case_id, const char *text,
                                  long long *contact)
{
    *contact = 0;
    if (!text) return NULL;
    char *end;
    long long id = apr_strtoi64(text, &end, 10);
    hab_rows_t *r;
    hab_err_t *e = NULL;
    if (*end || id <= 0 ||
        (!(e = hab_store_q(ctx->store, ctx->p, &r,
                           "SELECT 1 FROM contacts WHERE id = ? AND case_id = ? "
                           "AND withdrawn_at IS NULL",
                           "ii", id, case_id)) &&
         !r->nrows))
        return hab_err_field(ctx->p, 422, "unknown-entry", "contact",
                             "No contact of this case's chronology has that number.");
    *contact = id;
    return e;
}

/* The file, one chunk a row; one chunk's memory at a time. */
static hab_err_t *store_chunks(hab_ctx_t *ctx, const hab_upload_t *up, long long evidence_id,
                               int chunks)
{
    apr_off_t at = 0;
    if (apr_file_seek(up->file, APR_SET, &at) != APR_SUCCESS)
        return hab_err_internal(ctx->p, "the uploaded file cannot be read again");
    apr_pool_t *scratch;
    if (apr_pool_create(&scratch, ctx->p) != APR_SUCCESS)
        return hab_err_internal(ctx->p, "no memory");
    unsigned char *buf = apr_palloc(ctx->p, HAB_EVIDENCE_CHUNK_BYTES);
    hab_err_t *e = NULL;
    for (int seq = 0; !e && seq < chunks; seq++) {
        apr_size_t n = HAB_EVIDENCE_CHUNK_BYTES;
        if (apr_file_read_full(up->file, buf, n, &n) != APR_SUCCESS && n == 0) {
            e = hab_err_internal(ctx->p, "the uploaded file ended early");
            break;
        }
        e = hab_store_q(ctx->store, scratch, NULL,
                        "INSERT INTO evidence_chunks(evidence_id, seq, data) "
                        "VALUES (?, ?, ?)",
                        "iit", evidence_id, (long long)seq, hab_base64(scratch, buf, n));
        apr_pool_clear(scratch);
    }
    apr_pool_destroy(scratch);
    return e;
}

hab_err_t *hab_step_add_evidence(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const hab_upload_t *up = in->upload;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_EVIDENCE_ADD, in->case_id, &c);
    if (e) return e;
    const char *description = param(ctx->p, in, "description");
    const char *filename =
        safe_filename(ctx->p, param(ctx->p, in, "filename") ? param(ctx->p, in, "filename")
                              : up                          ? up->filename
                                                            : NULL);
    long long contact;
    if (!description)
        return hab_err_field(ctx->p, 422, "missing-field", "description",
                             "Say what the file is (description).");
    if (strlen(description) > HAB_LONG_TEXT)
        return hab_err_field(ctx->p, 400, "invalid-field", "description",
                             "The description is too long.");
    if (!filename && up)
        return hab_err_field(ctx->p, 422, "missing-field", "filename",
                             "Give the file's name (filename).");
    if ((e = contact_of_case(ctx, c->id, param(ctx->p, in, "contact"), &contact))) return e;
    if (!up)
        return hab_err_field(ctx->p, 422, "missing-field", "file", "Choose the file to attach.");
    if (up->size == 0)
        return hab_err_field(ctx->p, 400, "invalid-field", "file", "The file is empty.");
    const char *type = hab_evidence_type(up->head, up->head_len);
    if (!type)
        return hab_err_make(
            ctx->p, 415, "unsupported-type",
            "Attach a PDF, an image (PNG, JPEG, GIF), a recording (MP3, WAV, Ogg, M4A), an email "
            "(.eml) or plain text; this file's content is none of these.");
    int chunks = (int)((up->size + HAB_EVIDENCE_CHUNK_BYTES - 1) / HAB_EVIDENCE_CHUNK_BYTES);
    hab_rows_t *r;
    if ((e = hab_store_q(ctx->store, ctx->p, &r,
                         "INSERT INTO evidence(case_id, contact_id, description, filename, "
                         "content_type, size, "
                         "sha256, chunks, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                         "?, ?, ?) RETURNING id",
                         "iIttti"
                         "titt",
                         c->id, contact, description, filename, type, (long long)up->size,
                         up->sha256, (long long)chunks, ctx->user, ctx->now)) ||
        (e = store_chunks(ctx, up, hab_rows_int(r, 0, 0), chunks)))
        return e;
    /* the file's fingerprint in the tamper-evident log entry */
    ctx->action = apr_pstrcat(ctx->p, "case.evidence sha256=", up->sha256, NULL);
    hab_step_answer(ctx, out, 201, c->id, c->status);
    json_object_set_new(out->body, "evidence",
                        json_pack("{s:I, s:s, s:I, s:s}", "id", (json_int_t)hab_rows_int(r, 0, 0),
                                  "sha256", up->sha256, "size", (json_int_t)up->size,
                                  "content_type", type));
    return NULL;
}

/* ---- reading ---- */

hab_err_t *hab_read_evidence(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    int sight;
    /* case officers only: 404 for everyone else, as the file */
    hab_err_t *e = hab_access_load(ctx, in->case_id, HAB_CASE_FOR_STEP, HAB_SEE_FULL, &c, &sight);
    if (e) return e;
    hab_rows_t *r;
    if ((e = hab_store_q(ctx->store, ctx->p, &r,
                         "SELECT id, filename, content_type, size, chunks FROM evidence "
                         "WHERE case_id = ? AND id = ?",
                         "ii", c->id, (long long)apr_atoi64(in->arg))))
        return e;
    if (!r->nrows)
        return hab_err_not_found(ctx->p); /* not a case: no such file of one the user may read */
    hab_stream_t *st = apr_pcalloc(ctx->p, sizeof(*st));
    st->evidence_id = hab_rows_int(r, 0, 0);
    st->filename = hab_rows_text(r, 0, 1);
    st->content_type = hab_rows_text(r, 0, 2);
    st->size = (apr_off_t)hab_rows_int(r, 0, 3);
    st->chunks = (int)hab_rows_int(r, 0, 4);
    out->status = 200;
    out->stream = st;
    return NULL;
}

hab_err_t *hab_evidence_chunk(hab_store_t *s, apr_pool_t *p, long long evidence_id, int seq,
                              const void **data, apr_size_t *len)
{
    hab_rows_t *r;
    hab_err_t *e =
        hab_store_q(s, p, &r, "SELECT data FROM evidence_chunks WHERE evidence_id = ? AND seq = ?",
                    "ii", evidence_id, (long long)seq);
    if (e) return e;
    if (!r->nrows || !(*data = hab_unbase64(p, hab_rows_text(r, 0, 0), len)))
        return hab_err_internal(
            p, apr_psprintf(p, "evidence %" APR_INT64_T_FMT " is missing its chunk %d",
                            (apr_int64_t)evidence_id, seq));
    return NULL;
}
