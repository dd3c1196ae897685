/* multipart/form-data and evidence types: whatever arrives, in whatever
 * pieces, the reader either refuses it with 400 or hands on exactly the
 * bytes that lay between the boundaries, the same however it was cut; the
 * type check never reads past the bytes it is given. */
#include <apr_strings.h>

#include "fuzz_common.h"
#include "habitual/domain/evidence.h"
#include "habitual/web/multipart.h"

typedef struct {
    apr_pool_t *p;
    const char *log;
} seen_t;

static hab_err_t *on_begin(void *b, const char *name, const char *filename)
{
    seen_t *s = b;
    s->log = apr_pstrcat(s->p, s->log, "[", name, "|", filename ? filename : "-", "]", NULL);
    return NULL;
}

static hab_err_t *on_data(void *b, const char *bytes, apr_size_t len)
{
    seen_t *s = b;
    s->log = apr_pstrcat(s->p, s->log, apr_pstrndup(s->p, bytes, len), NULL);
    return NULL;
}

static hab_err_t *on_end(void *b)
{
    seen_t *s = b;
    s->log = apr_pstrcat(s->p, s->log, "$", NULL);
    return NULL;
}

static const char *read_all(apr_pool_t *p, const uint8_t *data, size_t size, size_t piece,
                            int *status)
{
    seen_t seen = {p, ""};
    hab_multipart_sink_t sink = {&seen, on_begin, on_data, on_end};
    hab_multipart_t *m;
    hab_err_t *e = hab_multipart_new(p, "multipart/form-data; boundary=b0", &sink, &m);
    for (size_t at = 0; !e && at < size; at += piece)
        e = hab_multipart_feed(m, (const char *)data + at, size - at < piece ? size - at : piece);
    if (!e) e = hab_multipart_finish(m);
    *status = e ? e->status : 0;
    return seen.log;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    int whole, bytewise;
    const char *a = read_all(p, data, size, size ? size : 1, &whole);
    const char *b = read_all(p, data, size, 1, &bytewise);
    FUZZ_CHECK(whole == 0 || whole == 400, "status %d", whole);
    FUZZ_CHECK(whole == bytewise, "whole %d, byte by byte %d", whole, bytewise);
    FUZZ_CHECK(whole || strcmp(a, b) == 0, "the pieces changed what was read");
    const char *type = hab_evidence_type(data, size);
    FUZZ_CHECK(!type || strstr("application/pdf image/png image/jpeg image/gif audio/mpeg "
                               "audio/wav audio/ogg "
                               "audio/mp4 message/rfc822 text/plain; charset=utf-8",
                               type),
               "type %s", type);
    return 0;
}
