/* multipart/form-data (RFC 7578), read as it arrives: a page's form with a
 * file (the evidence upload).  Each part is handed to a sink piece by
 * piece, so a file never has to be whole in memory. */
#ifndef HABITUAL_MULTIPART_H
#define HABITUAL_MULTIPART_H

#include <apr_pools.h>

#include "habitual/base/error.h"

typedef struct hab_multipart_sink {
    void *baton;
    /* a part begins: its field name, its filename (NULL for a plain field) */
    hab_err_t *(*begin)(void *baton, const char *name, const char *filename);
    hab_err_t *(*data)(void *baton, const char *bytes, apr_size_t len);
    hab_err_t *(*end)(void *baton);
} hab_multipart_sink_t;

typedef struct hab_multipart hab_multipart_t;

/* A reader for a body of this Content-Type; 400 when it is not
 * multipart/form-data with a usable boundary. */
hab_err_t *hab_multipart_new(apr_pool_t *p, const char *content_type,
                             const hab_multipart_sink_t *sink, hab_multipart_t **out);
/* The next bytes of the body, in any pieces. */
hab_err_t *hab_multipart_feed(hab_multipart_t *m, const char *bytes, apr_size_t len);
/* The body ended: 400 unless it ended with the closing boundary. */
hab_err_t *hab_multipart_finish(hab_multipart_t *m);

#endif
