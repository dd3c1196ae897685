/* Evidence attached to a case (README "Evidence"): a file uploaded with a
 * description, stored in the database in chunks so that no process ever
 * holds a whole file in memory, downloaded only by case officers. */
#ifndef HABITUAL_EVIDENCE_H
#define HABITUAL_EVIDENCE_H

#include <apr_file_io.h>
#include <apr_pools.h>

#include "habitual/base/error.h"
#include "habitual/store/store.h"

/* Raw bytes per stored chunk: 192 KiB, 256 KiB of base64 text per row. */
#define HAB_EVIDENCE_CHUNK_BYTES (192 * 1024)
/* HabitualEvidenceMaxBytes: default 10 MiB, at most 1 GiB. */
#define HAB_EVIDENCE_MAX_DEFAULT (10 * 1024 * 1024)
#define HAB_EVIDENCE_MAX_MIN 1024
#define HAB_EVIDENCE_MAX_MAX (1024L * 1024 * 1024)
/* The first bytes kept for telling the file's type by its content. */
#define HAB_UPLOAD_HEAD_BYTES 1024

/* A file as the glue spooled it while it arrived: on disk, never whole in
 * memory, with its size, SHA-256 and first bytes. */
typedef struct hab_upload {
    apr_file_t *file;          /* open for reading; deleted when closed */
    apr_off_t size;
    const char *sha256;        /* lower-case hex */
    const unsigned char *head;
    apr_size_t head_len;
    const char *filename;      /* as a page's form named it, or NULL */
} hab_upload_t;

/* A stored file to send in pieces (hab_evidence_chunk), once the access
 * log holds the read. */
typedef struct hab_stream {
    long long evidence_id;
    int chunks;
    apr_off_t size;
    const char *content_type;  /* as told by its content when it came */
    const char *filename;      /* safe for a Content-Disposition */
} hab_stream_t;

/* The file's type as its first bytes show it, of those accepted: PDF,
 * PNG, JPEG, GIF, MP3, WAV, Ogg, M4A, an email (.eml) or plain UTF-8 text;
 * NULL for anything else, HTML and SVG included. */
const char *hab_evidence_type(const unsigned char *head, apr_size_t len);

/* Chunk seq (from 0) of a stored file, decoded, from p. */
hab_err_t *hab_evidence_chunk(hab_store_t *s, apr_pool_t *p, long long evidence_id, int seq,
                              const void **data, apr_size_t *len);

#endif
