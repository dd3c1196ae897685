/* The access log's hash chain: encoding, append, verification, queries and
 * signed checkpoints.  See audit.h for the canonical encoding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "habitual/store/audit.h"
#include "habitual/base/csv.h"

#define VERIFY_BATCH 20000
#define COLUMNS "seq, at, \"user\", roles, acting_as, action, case_id, outcome, status, " \
                "request_id, client, prev_hash, hash, case_ids, refused_rule"

/* The encoding is built in one buffer: verifying a million entries spends
 * its time hashing, not formatting. */
typedef struct {
    char *buf;
    apr_size_t len, cap;
    apr_pool_t *p;
} encoder_t;

static void put_bytes(encoder_t *en, const char *s, apr_size_t n)
{
    if (en->len + n + 1 > en->cap) {
        apr_size_t cap = (en->cap + n) * 2;
        char *bigger = apr_palloc(en->p, cap);
        memcpy(bigger, en->buf, en->len);
        en->buf = bigger;
        en->cap = cap;
    }
    memcpy(en->buf + en->len, s, n);
    en->len += n;
}

static void put_decimal(encoder_t *en, unsigned long long v)
{
    char digits[24];
    int i = (int)sizeof(digits);
    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_bytes(en, digits + i, sizeof(digits) - (size_t)i);
}

/* "<length>:<bytes>\n", or "-\n" for none. */
static void put_field(encoder_t *en, const char *v)
{
    if (!v) {
        put_bytes(en, "-\n", 2);
        return;
    }
    apr_size_t n = strlen(v);
    put_decimal(en, n);
    put_bytes(en, ":", 1);
    put_bytes(en, v, n);
    put_bytes(en, "\n", 1);
}

/* An integer field: its decimal digits as the field's bytes. */
static void put_number(encoder_t *en, long long v, int zero_is_none)
{
    if (zero_is_none && v == 0) {
        put_bytes(en, "-\n", 2);
        return;
    }
    char text[24];
    encoder_t tmp = {text, 0, sizeof(text), NULL};
    if (v < 0) put_bytes(&tmp, "-", 1);
    put_decimal(&tmp, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
    text[tmp.len] = '\0';
    put_field(en, text);
}

const char *hab_audit_encode(apr_pool_t *p, const hab_audit_entry_t *e, apr_size_t *len)
{
    encoder_t en = {apr_palloc(p, 512), 0, 512, p};
    /* v2 only for an entry with case_ids, v3 only for a refusal naming its
     * rule: older entries keep their hashes */
    put_bytes(&en,
              e->refused_rule ? "habitual-audit-v3\n"
              : e->case_ids   ? "habitual-audit-v2\n"
                              : "habitual-audit-v1\n",
              18);
    put_number(&en, e->seq, 0);
    put_field(&en, e->at);
    put_field(&en, e->user);
    put_field(&en, e->roles);
    put_field(&en, e->acting_as);
    put_field(&en, e->action);
    put_number(&en, e->case_id, 1);
    put_field(&en, e->outcome);
    put_number(&en, e->status, 0);
    put_field(&en, e->request_id);
    put_field(&en, e->client);
    put_field(&en, e->prev_hash);
    if (e->case_ids || e->refused_rule) put_field(&en, e->case_ids);
    if (e->refused_rule) put_field(&en, e->refused_rule);
    en.buf[en.len] = '\0';
    if (len) *len = en.len;
    return en.buf;
}

const char *hab_audit_compute_hash(apr_pool_t *p, const hab_audit_entry_t *e)
{
    apr_size_t len;
    const char *enc = hab_audit_encode(p, e, &len);
    return hab_sha256_hex(p, enc, len);
}

static int by_value(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

const char *hab_audit_ids_text(apr_pool_t *p, const apr_array_header_t *ids)
{
    if (!ids || ids->nelts == 0) return NULL;
    long long *sorted = apr_palloc(p, sizeof(long long) * (size_t)ids->nelts);
    memcpy(sorted, ids->elts, sizeof(long long) * (size_t)ids->nelts);
    qsort(sorted, (size_t)ids->nelts, sizeof(long long), by_value);
    encoder_t en = {apr_palloc(p, 64), 0, 64, p};
    for (int i = 0; i < ids->nelts; i++) {
        if (sorted[i] <= 0 || (i && sorted[i] == sorted[i - 1])) continue;
        if (en.len) put_bytes(&en, ",", 1);
        put_decimal(&en, (unsigned long long)sorted[i]);
    }
    if (!en.len) return NULL;
    en.buf[en.len] = '\0';
    return en.buf;
}

int hab_audit_ids_valid(const char *text)
{
    if (!text || !*text) return 0;
    unsigned long long prev = 0;
    const char *c = text;
    for (;;) {
        if (*c < '1' || *c > '9') return 0; /* no sign, no leading zero, not empty */
        unsigned long long v = 0;
        int digits = 0;
        while (*c >= '0' && *c <= '9') {
            if (++digits > 18) return 0;
            v = v * 10 + (unsigned long long)(*c++ - '0');
        }
        if (v <= prev) return 0;       /* ascending, no repeats */
        prev = v;
        if (*c == '\0') return 1;
        if (*c++ != ',') return 0;
    }
}

int hab_audit_rule_valid(const char *text)
{
    if (!text || text[0] != 'R') return 0;
    if (text[1] >= '1' && text[1] <= '9' && text[2] == '\0') return 1;
    return text[1] == '1' && text[2] >= '0' && text[2] <= '9' && text[3] == '\0';
}

/* The last entry the index has covered (audit.h): the last block's mark,
 * or before the first block, the mark of access_log_cases (schema 012). */
#define INDEXED_UPTO                                                                             \
    "coalesce((SELECT max(last_seq) FROM access_log_case_blocks WHERE case_id = 0), "            \
    "(SELECT max(seq) FROM access_log_cases WHERE case_id = 0), 0)"

/* The block of entries after the mark up to seq: each case their case_ids
 * name, once, then the block's mark (audit.h, HAB_AUDIT_INDEX_EVERY).  On
 * PostgreSQL one statement (its parts all see the mark as it was). */
static hab_err_t *index_shown_cases(hab_store_t *s, apr_pool_t *p, long long seq)
{
    if (strcmp(s->driver, "pgsql") == 0)
        return hab_store_q_later(
            s, p,
            "WITH block AS (SELECT " INDEXED_UPTO " AS upto), "
            "mark AS (INSERT INTO access_log_case_blocks(case_id, first_seq, last_seq) "
            "SELECT 0, upto + 1, CAST(? AS BIGINT) FROM block) "
            "INSERT INTO access_log_case_blocks(case_id, first_seq, last_seq) "
            "SELECT DISTINCT CAST(v AS BIGINT), b.upto + 1, CAST(? AS BIGINT) "
            "FROM block b, access_log l, unnest(string_to_array(l.case_ids, ',')) AS v "
            "WHERE l.seq > b.upto AND l.seq <= ? AND l.case_ids IS NOT NULL",
            "iii", seq, seq, seq);
    hab_err_t *err = hab_store_q(
        s, p, NULL,
        "INSERT INTO access_log_case_blocks(case_id, first_seq, last_seq) "
        "SELECT DISTINCT CAST(j.value AS INTEGER), b.upto + 1, ? "
        "FROM (SELECT " INDEXED_UPTO " AS upto) b, access_log l, "
        "json_each('[' || l.case_ids || ']') AS j "
        "WHERE l.seq > b.upto AND l.seq <= ? AND l.case_ids IS NOT NULL",
        "ii", seq, seq);
    if (err) return err;
    return hab_store_q(s, p, NULL,
                       "INSERT INTO access_log_case_blocks(case_id, first_seq, last_seq) "
                       "SELECT 0, " INDEXED_UPTO " + 1, ?",
                       "i", seq);
}

/* as a SELECT, PostgreSQL takes an untyped parameter for text */
#define ENTRY_SELECT                                                                             \
    "SELECT CAST(? AS BIGINT),?,?,?,?,?,CAST(? AS BIGINT),?,CAST(? AS INTEGER),?,?,?,?,?,?"
/* gen < 0 appends whatever the change counter says */
#define ENTRY_INSERT                                                                             \
    "INSERT INTO access_log(" COLUMNS ") " ENTRY_SELECT " WHERE CAST(? AS BIGINT) < 0 OR "      \
    "(SELECT n FROM change_counter WHERE id = 1) = ? RETURNING seq"
#define ENTRY_TYPES "itttttItittttttii"
#define ENTRY_ARGS(e, gen)                                                                       \
    (e)->seq, (e)->at, (e)->user, (e)->roles, (e)->acting_as, (e)->action, (e)->case_id,         \
        (e)->outcome, (long long)(e)->status, (e)->request_id, (e)->client, (e)->prev_hash,     \
        (e)->hash, (e)->case_ids, (e)->refused_rule, (gen), (gen)

/* The entry, while the change counter is gen (gen < 0: whatever it is);
 * every HAB_AUDIT_INDEX_EVERY entries, the index of the cases shown since
 * the last time, in the same transaction.  When the counter is known (read
 * with the head under the write lock, unmoved since) the answer is known
 * too: the entry goes unconditionally and may wait to travel with the next
 * statement (hab_store_q_later); otherwise the statement itself says. */
static hab_err_t *insert_entry(hab_store_t *s, apr_pool_t *p, const hab_audit_entry_t *e,
                               long long gen, int *appended)
{
    hab_err_t *err;
    if (gen >= 0 && s->changes.known && s->changes.n != gen) {
        *appended = 0;
        return NULL;
    }
    if (gen < 0 || s->changes.known) {
        err = hab_store_q_later(s, p, ENTRY_INSERT, ENTRY_TYPES, ENTRY_ARGS(e, -1LL));
        *appended = !err;
    } else {
        hab_rows_t *r;
        err = hab_store_q(s, p, &r, ENTRY_INSERT, ENTRY_TYPES, ENTRY_ARGS(e, gen));
        *appended = !err && r->nrows == 1;
    }
    if (*appended && e->seq % HAB_AUDIT_INDEX_EVERY == 0) err = index_shown_cases(s, p, e->seq);
    return err;
}

hab_err_t *hab_audit_read_head(hab_store_t *s, apr_pool_t *p)
{
    hab_rows_t *head;
    hab_err_t *err = hab_store_q(
        s, p, &head,
        "SELECT seq, hash, (SELECT n FROM change_counter WHERE id = 1) FROM access_log "
        "ORDER BY seq DESC LIMIT 1",
        "");
    if (err) return err;
    const char *hash = head->nrows ? hab_rows_text(head, 0, 1) : HAB_AUDIT_GENESIS;
    s->log_head.seq = head->nrows ? hab_rows_int(head, 0, 0) : 0;
    s->changes.known = hab_rows_text(head, 0, 2) != NULL;
    s->changes.n = hab_rows_int(head, 0, 2);
    s->log_head.known = hash && strlen(hash) < sizeof(s->log_head.hash);
    if (s->log_head.known) strcpy(s->log_head.hash, hash);
    return s->log_head.known ? NULL : hab_err_internal(p, "the access log's head is malformed");
}

/* The entry's place after the log's head: the one this transaction last
 * appended, or read back.  The caller holds the write lock (BEGIN
 * IMMEDIATE, the advisory lock), so no other append can come between. */
static hab_err_t *head_of_log(hab_store_t *s, apr_pool_t *p, hab_audit_entry_t *e)
{
    if (!s->log_head.known) {
        hab_err_t *err = hab_audit_read_head(s, p);
        if (err) return err;
    }
    e->seq = s->log_head.seq + 1;
    e->prev_hash = apr_pstrdup(p, s->log_head.hash);
    return NULL;
}

/* gen < 0: whatever the change counter says. */
static hab_err_t *append(hab_store_t *s, apr_pool_t *p, hab_audit_entry_t *e, long long gen,
                         int *appended)
{
    *appended = 0;
    hab_err_t *err = head_of_log(s, p, e);
    if (err) return err;
    if (e->case_ids && !hab_audit_ids_valid(e->case_ids))
        return hab_err_internal(p, "an access-log entry's case ids are not in canonical form");
    if (e->refused_rule && !hab_audit_rule_valid(e->refused_rule))
        return hab_err_internal(p, "an access-log entry's rule is not one of R1 to R19");
    e->hash = hab_audit_compute_hash(p, e);
    err = insert_entry(s, p, e, gen, appended);
    if (!err && !*appended) return NULL; /* the head stays where it was */
    s->log_head.known = !err && strlen(e->hash) < sizeof(s->log_head.hash);
    if (s->log_head.known) {
        s->log_head.seq = e->seq;
        strcpy(s->log_head.hash, e->hash);
    }
    return err;
}

hab_err_t *hab_audit_append(hab_store_t *s, apr_pool_t *p, hab_audit_entry_t *e)
{
    int appended;
    return append(s, p, e, -1, &appended);
}

hab_err_t *hab_audit_append_unchanged(hab_store_t *s, apr_pool_t *p, hab_audit_entry_t *e,
                                      long long gen, int *appended)
{
    *appended = 0;
    if (gen < 0) return NULL; /* no counter ever says so */
    return append(s, p, e, gen, appended);
}

void hab_audit_forget_head(hab_store_t *s)
{
    s->log_head.known = 0;
    s->changes.known = 0;
}

/* ---- reading ---- */

static void entry_from_row(apr_pool_t *p, const hab_rows_t *rows, int r, hab_audit_entry_t *e)
{
    (void)p;
    e->seq = hab_rows_int(rows, r, 0);
    e->at = hab_rows_text(rows, r, 1);
    e->user = hab_rows_text(rows, r, 2);
    e->roles = hab_rows_text(rows, r, 3);
    e->acting_as = hab_rows_text(rows, r, 4);
    e->action = hab_rows_text(rows, r, 5);
    e->case_id = hab_rows_int(rows, r, 6);
    e->outcome = hab_rows_text(rows, r, 7);
    e->status = (int)hab_rows_int(rows, r, 8);
    e->request_id = hab_rows_text(rows, r, 9);
    e->client = hab_rows_text(rows, r, 10);
    e->prev_hash = hab_rows_text(rows, r, 11);
    e->hash = hab_rows_text(rows, r, 12);
    e->case_ids = hab_rows_text(rows, r, 13);
    e->refused_rule = hab_rows_text(rows, r, 14);
}

/* A date "YYYY-MM-DD" as a bound on times: from its first or last second. */
static const char *time_bound(apr_pool_t *p, const char *v, int upper)
{
    if (!v || !*v) return upper ? "9999-12-31T23:59:59Z" : "";
    if (strlen(v) == 10) return apr_pstrcat(p, v, upper ? "T23:59:59Z" : "T00:00:00Z", NULL);
    return v;
}

hab_err_t *hab_audit_read(hab_store_t *s, apr_pool_t *p, long long after, int limit,
                          const char *from, const char *to, apr_array_header_t *out)
{
    hab_rows_t *rows;
    hab_err_t *err;
    /* The whole log (verify-audit) has a statement of its own: a prepared
     * statement's generic plan on PostgreSQL would otherwise walk the time
     * index and sort the log for every batch, whatever the bounds. */
    if (!from && !to)
        err = hab_store_q(s, p, &rows,
                          "SELECT " COLUMNS " FROM access_log WHERE seq > ? ORDER BY seq LIMIT ?",
                          "ii", after, (long long)limit);
    else
        err = hab_store_q(
            s, p, &rows,
            "SELECT " COLUMNS " FROM access_log WHERE seq > ? AND at >= ? AND at <= ? "
            "ORDER BY seq LIMIT ?",
            "itti", after, time_bound(p, from, 0), time_bound(p, to, 1), (long long)limit);
    if (err) return err;
    for (int r = 0; r < rows->nrows; r++)
        entry_from_row(p, rows, r, &APR_ARRAY_PUSH(out, hab_audit_entry_t));
    return NULL;
}

hab_err_t *hab_audit_entry_by_seq(hab_store_t *s, apr_pool_t *p, long long seq,
                                  hab_audit_entry_t *e)
{
    hab_rows_t *rows;
    hab_err_t *err =
        hab_store_q(s, p, &rows, "SELECT " COLUMNS " FROM access_log WHERE seq = ?", "i", seq);
    if (err) return err;
    if (rows->nrows != 1) return hab_err_not_found(p); /* not a case: no such log entry */
    entry_from_row(p, rows, 0, e);
    return NULL;
}

const char *hab_audit_csv_header(apr_pool_t *p)
{
    static const char *const names[] = {"seq",       "at",         "user",         "roles",
                                        "acting_as", "action",     "case_id",      "outcome",
                                        "status",    "request_id", "client",       "prev_hash",
                                        "hash",      "case_ids",   "refused_rule", NULL};
    return hab_csv_line(p, names);
}

/* Through the shared writer (csv.h): the numbers bare, every text neutralised. */
const char *hab_audit_csv_line(apr_pool_t *p, const hab_audit_entry_t *e)
{
    hab_csv_row_t *r = hab_csv_row(p);
    hab_csv_add_int(r, e->seq);
    hab_csv_add_text(r, e->at);
    hab_csv_add_text(r, e->user);
    hab_csv_add_text(r, e->roles);
    hab_csv_add_text(r, e->acting_as);
    hab_csv_add_text(r, e->action);
    if (e->case_id) hab_csv_add_int(r, e->case_id);
    else hab_csv_add_text(r, NULL);
    hab_csv_add_text(r, e->outcome);
    hab_csv_add_int(r, e->status);
    hab_csv_add_text(r, e->request_id);
    hab_csv_add_text(r, e->client);
    hab_csv_add_text(r, e->prev_hash);
    hab_csv_add_text(r, e->hash);
    hab_csv_add_text(r, e->case_ids);
    hab_csv_add_text(r, e->refused_rule);
    return hab_csv_row_end(r);
}

json_t *hab_audit_entry_json(const hab_audit_entry_t *e, int full)
{
    json_t *j = json_object();
    json_object_set_new(j, "seq", json_integer(e->seq));
    json_object_set_new(j, "at", json_string(e->at));
    json_object_set_new(j, "user", json_string(e->user));
    json_t *roles = json_array();
    if (e->roles && *e->roles) {
        const char *start = e->roles;
        for (const char *c = e->roles;; c++) {
            if (*c == ',' || *c == '\0') {
                json_array_append_new(roles, json_stringn(start, (size_t)(c - start)));
                if (*c == '\0') break;
                start = c + 1;
            }
        }
    }
    json_object_set_new(j, "roles", roles);
    json_object_set_new(j, "acting_as", e->acting_as ? json_string(e->acting_as) : json_null());
    json_object_set_new(j, "action", json_string(e->action));
    json_object_set_new(j, "case_id", e->case_id ? json_integer(e->case_id) : json_null());
    json_object_set_new(j, "outcome", json_string(e->outcome));
    json_object_set_new(j, "status", json_integer(e->status));
    /* the cases a list or notices showed (empty for any other entry) */
    json_t *shown = json_array();
    for (const char *c = e->case_ids; c && *c;) {
        char *end;
        long long v = strtoll(c, &end, 10);
        if (end == c) break;
        json_array_append_new(shown, json_integer((json_int_t)v));
        c = *end == ',' ? end + 1 : end;
    }
    json_object_set_new(j, "case_ids", shown);
    /* the safeguard that refused the request, or null */
    json_object_set_new(j, "refused_rule",
                        e->refused_rule ? json_string(e->refused_rule) : json_null());
    if (full) {
        json_object_set_new(j, "request_id",
                            e->request_id ? json_string(e->request_id) : json_null());
        json_object_set_new(j, "client", e->client ? json_string(e->client) : json_null());
        json_object_set_new(j, "prev_hash", json_string(e->prev_hash));
        json_object_set_new(j, "hash", json_string(e->hash));
    }
    return j;
}

hab_err_t *hab_audit_query(hab_store_t *s, apr_pool_t *p, const hab_audit_filter_t *f,
                           json_t *entries, long long *last_seq)
{
    hab_rows_t *rows;
    hab_err_t *err = hab_store_q(
        s, p, &rows,
        "SELECT " COLUMNS " FROM access_log WHERE seq > ? AND at >= ? AND at <= ? "
        "AND (CAST(? AS TEXT) IS NULL OR \"user\" = ?) AND (CAST(? AS BIGINT) = 0 OR case_id = ? "
        "OR seq IN (SELECT seq FROM access_log_cases WHERE case_id = ?) "
        /* in a block the index names the case for, or after the index's
         * mark: by the entry's own case_ids (audit.h) */
        "OR (',' || case_ids || ',' LIKE '%,' || CAST(CAST(? AS BIGINT) AS TEXT) || ',%' "
        "AND (seq > " INDEXED_UPTO " OR EXISTS (SELECT 1 FROM access_log_case_blocks b "
        "WHERE b.case_id = ? AND b.last_seq >= access_log.seq "
        "AND b.first_seq <= access_log.seq)))) "
        "ORDER BY seq LIMIT ?",
        "ittttiiiiii", f->after, time_bound(p, f->from, 0), time_bound(p, f->to, 1),
        f->user, f->user, f->case_id, f->case_id, f->case_id, f->case_id, f->case_id,
        (long long)f->limit);
    if (err) return err;
    *last_seq = 0;
    for (int r = 0; r < rows->nrows; r++) {
        hab_audit_entry_t e;
        entry_from_row(p, rows, r, &e);
        json_array_append_new(entries, hab_audit_entry_json(&e, 0));
        *last_seq = e.seq;
    }
    return NULL;
}

/* ---- verification ---- */

struct hab_audit_walk {
    apr_pool_t *p;
    apr_pool_t *scratch;
    long long entries;
    long long last_seq;
    char head[HAB_SHA256_HEX_LEN + 1];
    int ok;
    long long first_bad_seq;
    const char *problem;
};

hab_audit_walk_t *hab_audit_walk_start(apr_pool_t *p)
{
    hab_audit_walk_t *w = apr_pcalloc(p, sizeof(*w));
    w->p = p;
    apr_pool_create(&w->scratch, p);
    w->ok = 1;
    strcpy(w->head, HAB_AUDIT_GENESIS);
    return w;
}

static int walk_fail(hab_audit_walk_t *w, long long seq, const char *problem)
{
    w->ok = 0;
    w->first_bad_seq = seq;
    w->problem = problem;
    return 0;
}

int hab_audit_walk_step(hab_audit_walk_t *w, const hab_audit_entry_t *e)
{
    if (!w->ok) return 0;
    long long expected = w->last_seq + 1;
    if (e->seq != expected)
        return walk_fail(w, expected,
                         apr_psprintf(w->p,
                                      "entry %" APR_INT64_T_FMT
                                      " is missing (next is %" APR_INT64_T_FMT ")",
                                      (apr_int64_t)expected, (apr_int64_t)e->seq));
    if (!e->prev_hash || strcmp(e->prev_hash, w->head) != 0)
        return walk_fail(w, e->seq, "its prev_hash is not the previous entry's hash");
    if (!e->hash || strlen(e->hash) != HAB_SHA256_HEX_LEN)
        return walk_fail(w, e->seq, "its hash is malformed");
    const char *h = hab_audit_compute_hash(w->scratch, e);
    int same = h && strcmp(h, e->hash) == 0;
    apr_pool_clear(w->scratch);
    if (!same) return walk_fail(w, e->seq, "its content does not match its hash");
    w->last_seq = e->seq;
    w->entries++;
    memcpy(w->head, e->hash, HAB_SHA256_HEX_LEN + 1);
    return 1;
}

void hab_audit_walk_finish(hab_audit_walk_t *w, hab_audit_verdict_t *v)
{
    v->ok = w->ok;
    v->entries = w->entries;
    v->head = apr_pstrdup(w->p, w->head);
    v->first_bad_seq = w->ok ? 0 : w->first_bad_seq;
    v->problem = w->problem;
}

/* One batch of the log read for the walk, into a pool of its own. */
typedef struct {
    hab_store_t *store;
    apr_pool_t *pool;
    long long after;
    int limit;
    apr_array_header_t *entries;
    hab_err_t *err;
} verify_batch_t;

static void read_verify_batch(verify_batch_t *b)
{
    apr_pool_clear(b->pool);
    b->entries = apr_array_make(b->pool, b->limit, sizeof(hab_audit_entry_t));
    b->err = hab_audit_read(b->store, b->pool, b->after, b->limit, NULL, NULL, b->entries);
}

#if APR_HAS_THREADS
static void *APR_THREAD_FUNC read_verify_batch_thread(apr_thread_t *t, void *arg)
{
    (void)t;
    read_verify_batch(arg);
    return NULL;
}
#endif

/* Start reading the next batch: on a thread of its own where there are
 * threads, so the database read and the hashing of the batch before it use
 * two cores.  The store is only ever used by one thread at a time: this
 * reader, joined before the next one starts. */
static void *start_batch(verify_batch_t *b, apr_pool_t *p)
{
#if APR_HAS_THREADS
    apr_thread_t *t;
    if (apr_thread_create(&t, NULL, read_verify_batch_thread, b, p) == APR_SUCCESS) return t;
#else
    (void)p;
#endif
    read_verify_batch(b);
    return NULL;
}

static void finish_batch(void *thread)
{
#if APR_HAS_THREADS
    apr_status_t rv;
    if (thread) apr_thread_join(&rv, thread);
#else
    (void)thread;
#endif
}

hab_err_t *hab_audit_verify(hab_store_t *s, apr_pool_t *p, hab_audit_verdict_t *v)
{
    return hab_audit_verify_in_batches(s, p, VERIFY_BATCH, v);
}

hab_err_t *hab_audit_verify_in_batches(hab_store_t *s, apr_pool_t *p, int batch_size,
                                       hab_audit_verdict_t *v)
{
    hab_audit_walk_t *w = hab_audit_walk_start(p);
    verify_batch_t batch[2];
    memset(batch, 0, sizeof(batch));
    for (int i = 0; i < 2; i++) {
        /* an allocator of its own: the reader thread must not share p's
         * (httpd's request allocators have no mutex) */
        apr_allocator_t *allocator = NULL;
        if (apr_allocator_create(&allocator) != APR_SUCCESS ||
            apr_pool_create_ex(&batch[i].pool, p, NULL, allocator) != APR_SUCCESS) {
            if (allocator) apr_allocator_destroy(allocator);
            while (i--) apr_pool_destroy(batch[i].pool);
            return hab_err_unavailable(p, "out of memory");
        }
        apr_allocator_owner_set(allocator, batch[i].pool);
        batch[i].store = s;
        batch[i].limit = batch_size;
    }
    hab_err_t *err = NULL;
    verify_batch_t *cur = &batch[0], *next = &batch[1];
    read_verify_batch(cur);
    for (;;) {
        if (cur->err) {
            err = hab_err_make(p, cur->err->status, cur->err->code, "%s", cur->err->message);
            break;
        }
        int more = cur->entries->nelts == batch_size;
        void *reader = NULL;
        if (more) {
            next->after =
                APR_ARRAY_IDX(cur->entries, cur->entries->nelts - 1, hab_audit_entry_t).seq;
            reader = start_batch(next, p);
        }
        for (int i = 0; i < cur->entries->nelts && w->ok; i++)
            hab_audit_walk_step(w, &APR_ARRAY_IDX(cur->entries, i, hab_audit_entry_t));
        finish_batch(reader);
        if (!w->ok || !more) break;
        verify_batch_t *done = cur;
        cur = next;
        next = done;
    }
    for (int i = 0; i < 2; i++) apr_pool_destroy(batch[i].pool);
    hab_audit_walk_finish(w, v);
    return err;
}

/* ---- checkpoints ---- */

static const char *checkpoint_mac(apr_pool_t *p, const hab_secret_t *key, long long entries,
                                  const char *head, const char *at)
{
    const char *msg = apr_psprintf(p, "habitual-checkpoint-v1\n%" APR_INT64_T_FMT "\n%s\n%s",
                                   (apr_int64_t)entries, head, at);
    return hab_hmac_sha256_hex(p, key, msg, strlen(msg));
}

const char *hab_checkpoint_make(apr_pool_t *p, const hab_secret_t *key, long long entries,
                                const char *head, const char *at)
{
    return apr_psprintf(p,
                        "habitual-checkpoint v1 entries=%" APR_INT64_T_FMT " head=%s at=%s hmac=%s",
                        (apr_int64_t)entries, head, at, checkpoint_mac(p, key, entries, head, at));
}

static hab_err_t *bad_checkpoint(apr_pool_t *p, const char *message)
{
    return hab_err_field(p, 400, "invalid-checkpoint", "checkpoint", "%s", message);
}

hab_err_t *hab_checkpoint_parse(apr_pool_t *p, const hab_secret_t *key, const char *line,
                                long long *entries, const char **head)
{
    char headbuf[HAB_SHA256_HEX_LEN + 1], at[32], mac[HAB_SHA256_HEX_LEN + 1];
    long long n = -1;
    int used = 0;
    if (sscanf(line,
               "habitual-checkpoint v1 entries=%lld head=%64[0-9a-f] at=%31s hmac=%64[0-9a-f]%n",
               &n, headbuf, at, mac, &used) != 4 ||
        n < 0 || strlen(headbuf) != HAB_SHA256_HEX_LEN)
        return bad_checkpoint(p,
                              "the checkpoint line is not in the form habitual-checkpoint writes");
    while (line[used] == '\n' || line[used] == '\r' || line[used] == ' ') used++;
    if (line[used] != '\0') return bad_checkpoint(p, "the checkpoint line has trailing text");
    if (!hab_equal_ct(checkpoint_mac(p, key, n, headbuf, at), mac))
        return hab_err_field(p, 422, "checkpoint-signature", "checkpoint",
                             "the checkpoint's signature does not match this key (it was made "
                             "with another key, or edited)");
    *entries = n;
    *head = apr_pstrdup(p, headbuf);
    return NULL;
}

void hab_checkpoint_judge(apr_pool_t *p, const hab_audit_verdict_t *chain, long long cp_entries,
                          const char *cp_head, const char *hash_at_count,
                          hab_checkpoint_verdict_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!chain->ok) {
        out->state = HAB_CHECKPOINT_CHAIN_BROKEN;
        out->first_bad_seq = chain->first_bad_seq;
        out->reason = "chain-broken";
        out->problem =
            apr_psprintf(p, "the chain itself is broken at entry %" APR_INT64_T_FMT ": %s",
                         (apr_int64_t)chain->first_bad_seq, chain->problem ? chain->problem : "");
        return;
    }
    if (chain->entries < cp_entries) {
        out->state = HAB_CHECKPOINT_TRUNCATED;
        out->first_bad_seq = chain->entries + 1;
        out->reason = "truncated";
        out->problem = apr_psprintf(p,
                                    "the log ends at %" APR_INT64_T_FMT
                                    " entries but the checkpoint holds %" APR_INT64_T_FMT
                                    ": entries from %" APR_INT64_T_FMT " on were removed",
                                    (apr_int64_t)chain->entries, (apr_int64_t)cp_entries,
                                    (apr_int64_t)(chain->entries + 1));
        return;
    }
    const char *expected = cp_entries ? cp_head : HAB_AUDIT_GENESIS;
    const char *found = cp_entries ? hash_at_count : HAB_AUDIT_GENESIS;
    if (!found || strcmp(found, expected) != 0) {
        out->state = HAB_CHECKPOINT_REWRITTEN;
        out->first_bad_seq = cp_entries;
        out->reason = "rewritten";
        out->problem = apr_psprintf(
            p,
            "entry %" APR_INT64_T_FMT " no longer has the checkpoint's hash although "
            "the chain links up: entries up to %" APR_INT64_T_FMT " were changed and the "
            "chain recomputed (re-chained); the change is at entry %" APR_INT64_T_FMT
            " or earlier (an earlier checkpoint that still holds narrows it down)",
            (apr_int64_t)cp_entries, (apr_int64_t)cp_entries, (apr_int64_t)cp_entries);
        return;
    }
    out->state = HAB_CHECKPOINT_HOLDS;
    out->reason = "holds";
}

hab_err_t *hab_checkpoint_check(hab_store_t *s, apr_pool_t *p, const hab_secret_t *key,
                                const char *line, hab_err_t **line_err, hab_audit_verdict_t *chain,
                                long long *cp_entries, const char **cp_head,
                                hab_checkpoint_verdict_t *out)
{
    *line_err = hab_checkpoint_parse(p, key, line, cp_entries, cp_head);
    if (*line_err) return NULL;
    hab_err_t *err = hab_audit_verify(s, p, chain);
    if (err) return err;
    const char *at_count = NULL;
    if (chain->ok && *cp_entries > 0 && chain->entries >= *cp_entries) {
        hab_rows_t *rows;
        err =
            hab_store_q(s, p, &rows, "SELECT hash FROM access_log WHERE seq = ?", "i", *cp_entries);
        if (err) return err;
        at_count = rows->nrows ? hab_rows_text(rows, 0, 0) : NULL;
    }
    hab_checkpoint_judge(p, chain, *cp_entries, *cp_head, at_count, out);
    return NULL;
}
