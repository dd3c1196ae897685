/* The access log: append-only, hash-chained (README "Need to know").
 *
 * Canonical encoding of an entry, hashed with SHA-256 (lower-case hex):
 *   "habitual-audit-v1\n", then for each field in this order
 *   seq, at, user, roles, acting_as, action, case_id, outcome, status,
 *   request_id, client, prev_hash:
 *     <decimal length in bytes> ":" <bytes> "\n"    or  "-\n" for none.
 * Integers are written in decimal.  The first entry's prev_hash is 64 '0's.
 * An entry that records the cases a list or notices showed (case_ids, see
 * below) starts "habitual-audit-v2\n" instead, and has one more field after
 * prev_hash: case_ids, the ids in ascending order without repeats, joined
 * with "," ("3,7,12").  An entry without case_ids is encoded as v1, so
 * entries written before case_ids existed verify as they always did.
 * A refusal by one of the safeguards (refused_rule, "R1".."R19", schema 10)
 * starts "habitual-audit-v3\n" and has two fields after prev_hash: case_ids
 * (as above, or "-\n") and refused_rule.  An entry without refused_rule is
 * encoded as v1 or v2, so entries written before schema 10 keep their hashes.
 * An entry is sound when its seq is one more than the previous one's, its
 * prev_hash is the previous entry's hash, and its hash is the hash of its
 * encoding. */
#ifndef HABITUAL_AUDIT_H
#define HABITUAL_AUDIT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "habitual/base/crypto.h"
#include "habitual/base/error.h"
#include "habitual/store/store.h"

#define HAB_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* The index api/audit?case=N searches is written in arrears and by block
 * (access_log_case_blocks, schema 013): the append of every entry whose seq
 * is a multiple of this indexes the entries since the last time as one
 * block, a row for each case their case_ids name, once, with the block's
 * first and last seq, and marks the block indexed with a row for case 0 (no
 * case has that id).  A search reads, by their own case_ids, the entries of
 * the blocks that name the case and those after the last mark (fewer than
 * this many); before the first block, access_log_cases (one row per case
 * and entry, no longer written) up to its own mark.  Why: an entry naming
 * 15 cases otherwise writes 15 rows, each into its own part of the index,
 * with every commit, and the same notices read again writes them again. */
#define HAB_AUDIT_INDEX_EVERY 128

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
    const char *case_ids;    /* NULL, or the cases a list showed: "3,7,12" (see above) */
    const char
        *refused_rule; /* NULL, or the safeguard that refused the request: "R5" (see above) */
} hab_audit_entry_t;

const char *hab_audit_encode(apr_pool_t *p, const hab_audit_entry_t *e, apr_size_t *len);
const char *hab_audit_compute_hash(apr_pool_t *p, const hab_audit_entry_t *e);

/* case_ids' canonical text for ids (long long, any order, repeats allowed):
 * ascending, without repeats, comma-joined; NULL when there are none. */
const char *hab_audit_ids_text(apr_pool_t *p, const apr_array_header_t *ids);
/* Is text in that canonical form (what the store should hold)? */
int hab_audit_ids_valid(const char *text);
/* Is text a rule's name, "R1" to "R19"? */
int hab_audit_rule_valid(const char *text);

/* Append inside the caller's write transaction: sets seq, prev_hash, hash. */
hab_err_t *hab_audit_append(hab_store_t *s, apr_pool_t *p, hab_audit_entry_t *e);
/* The same, in the same statement, only while the change counter
 * (schema.h) is gen: *appended 0, and nothing written, once it has moved. */
hab_err_t *hab_audit_append_unchanged(hab_store_t *s, apr_pool_t *p, hab_audit_entry_t *e,
                                      long long gen, int *appended);
/* Inside the caller's write transaction: the log's head read now, for the
 * next append (the writer asks at once, so that on PostgreSQL the BEGIN
 * and the write lock travel with it, and a lock held elsewhere is met
 * before any work). */
hab_err_t *hab_audit_read_head(hab_store_t *s, apr_pool_t *p);
/* After a rollback to a savepoint: the head this transaction appended may
 * be undone, so the next append reads it back. */
void hab_audit_forget_head(hab_store_t *s);

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
hab_err_t *hab_audit_verify_in_batches(hab_store_t *s, apr_pool_t *p, int batch_size,
                                       hab_audit_verdict_t *v);

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

/* Entries matching f in seq order, as the API's JSON objects. */
hab_err_t *hab_audit_query(hab_store_t *s, apr_pool_t *p, const hab_audit_filter_t *f,
                           json_t *entries, long long *last_seq);
/* Every field of an entry, for exports. */
json_t *hab_audit_entry_json(const hab_audit_entry_t *e, int full);
/* Read entries with seq > after (at most limit) into out (hab_audit_entry_t). */
hab_err_t *hab_audit_read(hab_store_t *s, apr_pool_t *p, long long after, int limit,
                          const char *from, const char *to, apr_array_header_t *out);

/* One entry by its sequence number (every field). */
hab_err_t *hab_audit_entry_by_seq(hab_store_t *s, apr_pool_t *p, long long seq,
                                  hab_audit_entry_t *e);

/* CSV exports through the shared writer (csv.h): the header and a line.
 * Numbers bare, text quoted; a text beginning with = + - @ TAB CR or ' has a
 * ' put before it (drop it to re-verify). */
const char *hab_audit_csv_header(apr_pool_t *p);
const char *hab_audit_csv_line(apr_pool_t *p, const hab_audit_entry_t *e);

/* Checkpoints: "habitual-checkpoint v1 entries=N head=HEX at=TIME hmac=HEX".
 * The HMAC-SHA256 is over "habitual-checkpoint-v1\nN\nHEAD\nAT" with the
 * checkpoint key (habitual-admin --key, HabitualCheckpointKeyFile). */
const char *hab_checkpoint_make(apr_pool_t *p, const hab_secret_t *key, long long entries,
                                const char *head, const char *at);
/* NULL when line is sound and signed by key, filling entries and head;
 * else 400 invalid-checkpoint (not a checkpoint line) or 422
 * checkpoint-signature (not signed by key), naming the field "checkpoint". */
hab_err_t *hab_checkpoint_parse(apr_pool_t *p, const hab_secret_t *key, const char *line,
                                long long *entries, const char **head);

/* Does the log still hold a checkpoint?  Pure: from the verdict of the
 * whole chain and the hash the log now has at the checkpoint's count
 * (NULL when there is no such entry). */
typedef enum {
    HAB_CHECKPOINT_HOLDS = 0,
    HAB_CHECKPOINT_CHAIN_BROKEN,  /* the chain itself is bad (the verdict says where) */
    HAB_CHECKPOINT_TRUNCATED,     /* the log has fewer entries than the checkpoint */
    HAB_CHECKPOINT_REWRITTEN      /* the entry at the count has another hash: re-chained */
} hab_checkpoint_state_t;

typedef struct hab_checkpoint_verdict {
    hab_checkpoint_state_t state;
    long long first_bad_seq;      /* 0 when it holds */
    const char *reason;           /* a short code: holds, chain-broken, truncated, rewritten */
    const char *problem;          /* a sentence for people; NULL when it holds */
} hab_checkpoint_verdict_t;

void hab_checkpoint_judge(apr_pool_t *p, const hab_audit_verdict_t *chain, long long cp_entries,
                          const char *cp_head, const char *hash_at_count,
                          hab_checkpoint_verdict_t *out);

/* Parse line with key, verify the whole chain (in the caller's snapshot)
 * and judge.  The result is the store's failure; a line that is malformed or
 * not signed by key is *line_err (as hab_checkpoint_parse), and then nothing
 * else is filled. */
hab_err_t *hab_checkpoint_check(hab_store_t *s, apr_pool_t *p, const hab_secret_t *key,
                                const char *line, hab_err_t **line_err, hab_audit_verdict_t *chain,
                                long long *cp_entries, const char **cp_head,
                                hab_checkpoint_verdict_t *out);

#endif
