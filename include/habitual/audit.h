/* The access log: append-only, hash-chained (SPEC §5).
 *
 * Canonical encoding of an entry, hashed with SHA-256 (lower-case hex):
 *   "habitual-audit-v1\n", then for each field in this order
 *   seq, at, user, roles, acting_as, action, case_id, outcome, status,
 *   request_id, client, prev_hash:
 *     <decimal length in bytes> ":" <bytes> "\n"    or  "-\n" for none.
 * Integers are written in decimal.  The first entry's prev_hash is 64 '0's.
 * An entry is sound when its seq is one more than the previous one's, its
 * prev_hash is the previous entry's hash, and its hash is the hash of its
 * encoding. */
#ifndef HABITUAL_AUDIT_H
#define HABITUAL_AUDIT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "habitual/crypto.h"
#include "habitual/error.h"
#include "habitual/store.h"

#define HAB_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct hab_audit_entry {
    long long seq;
    const char *at;
    const char *user;
    const char *roles;
    const char *acting_as;   /* NULL unless someone acted in another capacity */
    const char *action;
    long long case_id;       /* 0: none */
    const char *outcome;     /* allowed, refused, error */
    int status;
    const char *request_id;
    const char *client;
    const char *prev_hash;
    const char *hash;
} hab_audit_entry_t;

const char *hab_audit_encode(apr_pool_t *p, const hab_audit_entry_t *e, apr_size_t *len);
const char *hab_audit_compute_hash(apr_pool_t *p, const hab_audit_entry_t *e);

/* Append inside the caller's write transaction: sets seq, prev_hash, hash. */
hab_err_t *hab_audit_append(hab_store_t *s, apr_pool_t *p, hab_audit_entry_t *e);

typedef struct hab_audit_verdict {
    int ok;
    long long entries;
    const char *head;          /* hash of the last entry (genesis when empty) */
    long long first_bad_seq;   /* when !ok */
    const char *problem;       /* when !ok: what is wrong there */
} hab_audit_verdict_t;

/* Walk the whole chain in a read transaction. */
hab_err_t *hab_audit_verify(hab_store_t *s, apr_pool_t *p, hab_audit_verdict_t *v);
/* The same, reading batch_size entries at a time (the next batch is read on
 * a second thread while this one is hashed); hab_audit_verify uses 20,000. */
hab_err_t *hab_audit_verify_in_batches(hab_store_t *s, apr_pool_t *p, int batch_size, hab_audit_verdict_t *v);

/* Verify entries given in order (from an export, say); same verdict. */
typedef struct hab_audit_walk hab_audit_walk_t;
hab_audit_walk_t *hab_audit_walk_start(apr_pool_t *p);
/* Returns 0 once an entry is bad (the verdict says where). */
int hab_audit_walk_step(hab_audit_walk_t *w, const hab_audit_entry_t *e);
void hab_audit_walk_finish(hab_audit_walk_t *w, hab_audit_verdict_t *v);

typedef struct hab_audit_filter {
    const char *from;          /* date or time, inclusive */
    const char *to;            /* date (whole day) or time, inclusive */
    const char *user;
    long long case_id;         /* 0: any */
    long long after;           /* seq; paging */
    int limit;
} hab_audit_filter_t;

/* Entries matching f in seq order, as the SPEC's JSON objects. */
hab_err_t *hab_audit_query(hab_store_t *s, apr_pool_t *p, const hab_audit_filter_t *f,
                           json_t *entries, long long *last_seq);
/* Every field of an entry, for exports. */
json_t *hab_audit_entry_json(const hab_audit_entry_t *e, int full);
/* Read entries with seq > after (at most limit) into out (hab_audit_entry_t). */
hab_err_t *hab_audit_read(hab_store_t *s, apr_pool_t *p, long long after, int limit,
                          const char *from, const char *to, apr_array_header_t *out);

/* One entry by its sequence number (every field). */
hab_err_t *hab_audit_entry_by_seq(hab_store_t *s, apr_pool_t *p, long long seq, hab_audit_entry_t *e);

/* CSV exports through the shared writer (csv.h): the header and a line.
 * Numbers bare, text quoted; a text beginning with = + - @ TAB CR or ' has a
 * ' put before it (drop it to re-verify). */
const char *hab_audit_csv_header(apr_pool_t *p);
const char *hab_audit_csv_line(apr_pool_t *p, const hab_audit_entry_t *e);

/* Checkpoints: "habitual-checkpoint v1 entries=N head=HEX at=TIME hmac=HEX". */
const char *hab_checkpoint_make(apr_pool_t *p, const hab_secret_t *key, long long entries,
                                const char *head, const char *at);
/* NULL when line is sound and signed by key; fills entries and head. */
const char *hab_checkpoint_parse(apr_pool_t *p, const hab_secret_t *key, const char *line,
                                 long long *entries, const char **head);

#endif
