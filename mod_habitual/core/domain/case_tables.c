/* What a case holds, defined once (include/habitual/case_tables.h): the
 * subject access export and the purge are both read off hab_case_tables. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "habitual/domain/case_tables.h"
#include "habitual/domain/rules.h"
#include "habitual/base/json_io.h"

#define COLS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define OF_CASE "case_id = ?"

const hab_case_table_t hab_case_tables[] = {
    {"", "cases",
     COLS("i:id", "i:person_id", "i:referred_person_id", "t:person_linked_by", "t:person_linked_at",
          "t:status", "t:end_reason", "t:referred_by", "t:referred_at", "t:department", "t:summary",
          "t:measures_taken", "t:complaints_procedure", "t:representative_name",
          "t:representative_address", "t:advocate_name", "t:advocate_address",
          "b:action_without_notice", "t:closed_at", "t:closed_by", "t:ended_at",
          "t:legal_hold_reason", "t:legal_hold_by", "t:legal_hold_at", "t:updated_at"),
     "id = ?", "id", NULL, NULL, 0, 0},
    {"", "cases", COLS("b:vulnerable", "t:vulnerability"), "id = ?", "id", NULL, NULL, 0, 1},
    {"criteria", "case_criteria", COLS("t:criterion", "t:withdrawn_at"), OF_CASE, "criterion", NULL,
     NULL, 0, 0},
    {"copy_to", "copy_recipients",
     COLS("i:id", "i:position", "t:name", "t:role", "t:address", "t:added_by", "t:added_at",
          "t:removed_at", "t:removed_by", "t:removed_reason"),
     OF_CASE, "position, id", NULL, NULL, 0, 0},
    {"chronology", "contacts",
     COLS("i:id", "t:at", "t:channel", "t:direction", "t:department", "t:officer", "t:summary",
          "t:recorded_by", "t:recorded_at", "t:withdrawn_at"),
     OF_CASE, "at, id", NULL, NULL, 0, 0},
    {"incidents", "contact_incidents", COLS("t:incident", "t:withdrawn_at"),
     "contact_id IN (SELECT id FROM contacts WHERE case_id = ?)", "contact_id, incident",
     "chronology", "contact_id", 0, 0},
    {"warnings", "warnings",
     COLS("i:id", "t:warned_on", "t:method", "t:text", "t:warned_by", "t:recorded_at",
          "i:last_contact_id"),
     OF_CASE, "id", NULL, NULL, 0, 0},
    {"reports", "reports",
     COLS("i:id", "t:behaviour", "j:restrictions", "i:period_months", "t:alternatives_considered",
          "b:severe", "t:severe_reason", "t:police_reference", "b:asb_unit_consulted", "t:author",
          "t:created_at"),
     OF_CASE, "id", NULL, NULL, 0, 0},
    /* each report's safeguarding consideration (R10): special category */
    {"safeguarding", "reports",
     COLS("i:id>report_id", "b:safeguarding_considered>considered",
          "t:safeguarding_adjustments>adjustments"),
     "case_id = ? AND (safeguarding_considered IS NOT NULL OR safeguarding_adjustments IS NOT "
     "NULL)",
     "id", NULL, NULL, 0, 1},
    {"decisions", "decisions",
     COLS("i:id", "i:report_id", "t:outcome", "b:justified", "b:proportionate", "t:reasons",
          "t:start", "t:decided_by", "t:acting_as", "b:deputising", "t:decided_at"),
     OF_CASE, "id", NULL, NULL, 0, 0},
    {"periods", "periods",
     COLS("i:id", "t:start", "i:months", "t:end_date", "t:review_due", "t:review_deadline",
          "t:origin", "t:created_at"),
     OF_CASE, "id", NULL, NULL, 0, 0},
    {"restrictions", "restrictions",
     COLS("i:id", "t:type", "j:detail", "b:interim", "t:origin", "t:created_at", "t:lifted_at",
          "t:lifted_reason", "t:in_force_from", "t:in_force_until"),
     OF_CASE, "id", NULL, NULL, 0, 0},
    {"reviews", "reviews",
     COLS("i:id", "t:recommendation", "t:report", "t:monitoring_officer", "t:author",
          "t:created_at"),
     OF_CASE, "id", NULL, NULL, 0, 0},
    {"decision", "review_decisions",
     COLS("i:id", "t:outcome", "t:reasons", "i:period_months", "j:restrictions", "b:justified",
          "b:proportionate", "t:decided_by", "t:acting_as", "b:deputising", "t:decided_at"),
     "review_id IN (SELECT id FROM reviews WHERE case_id = ?)", "id", "reviews", "review_id", 1, 0},
    {"appeals", "appeals",
     COLS("i:id", "t:received", "t:grounds", "t:recorded_by", "t:recorded_at"), OF_CASE, "id", NULL,
     NULL, 0, 0},
    {"decision", "appeal_decisions",
     COLS("i:id", "t:outcome", "t:reasons", "j:restrictions", "b:justified", "b:proportionate",
          "t:decided_by", "t:decided_at"),
     "appeal_id IN (SELECT id FROM appeals WHERE case_id = ?)", "id", "appeals", "appeal_id", 1, 0},
    {"letters", "letters",
     COLS("i:id", "i:number", "t:kind", "t:issued_at", "t:issued_by", "t:subject", "j:copied_to",
          "t:body"),
     OF_CASE, "number", NULL, NULL, 0, 0},
    {"notifications", "notifications",
     COLS("i:id", "t:event", "t:created_at", "t:created_by", "t:email_sent_at", "i:email_attempts",
          "t:email_error"),
     OF_CASE, "id", NULL, NULL, 0, 0},
    {"grants", "grants",
     COLS("i:id", "t:grantee>user", "t:team", "t:reason", "t:expires", "t:granted_by",
          "t:granted_at", "t:revoked_at", "t:revoked_by"),
     OF_CASE, "id", NULL, NULL, 0, 0},
    {"statements", "statements",
     COLS("i:id", "t:received", "t:text", "t:recorded_by", "t:recorded_at"), OF_CASE, "id", NULL,
     NULL, 0, 0},
    {"review_reminders", "review_reminders",
     COLS("i:id", "i:period_id", "t:kind", "t:review_due", "t:decide_by", "t:created_at",
          "t:email_sent_at", "i:email_attempts", "t:email_error"),
     OF_CASE, "id", NULL, NULL, 0, 0},
    {"corrections", "corrections",
     COLS("i:id", "t:target", "i:target_id", "t:item", "t:old_value", "t:new_value", "t:reason",
          "t:corrected_by", "t:corrected_at"),
     OF_CASE, "id", NULL, NULL, 0, 0},
    /* reasonable adjustments may tell of a disability: special category */
    {"adjustments", "adjustments",
     COLS("i:id", "t:format", "b:easy_read", "t:named_contact", "t:third_party_name",
          "t:third_party_address", "t:notes", "t:recorded_by", "t:recorded_at"),
     OF_CASE, "id", NULL, NULL, 0, 1},
    {"post_received", "correspondence",
     COLS("i:id", "t:received", "t:channel", "t:summary", "t:recorded_by", "t:recorded_at",
          "t:decision", "t:reason", "t:routed_to", "t:routed_reference", "t:decided_by",
          "t:decided_at", "i:letter_number", "t:flagged_at"),
     OF_CASE, "received, id", NULL, NULL, 0, 0},
    {"evidence", "evidence",
     COLS("i:id", "i:contact_id", "t:description", "t:filename", "t:content_type", "i:size",
          "t:sha256", "i:chunks", "t:uploaded_by", "t:uploaded_at"),
     OF_CASE, "id", NULL, NULL, 0, 0},
    /* the files' bytes: written beside the export (sar --evidence-dir), not in it */
    {"-", "evidence_chunks", COLS("i:seq", "t:data"),
     "evidence_id IN (SELECT id FROM evidence WHERE case_id = ?)", "evidence_id, seq", "evidence",
     "evidence_id", 0, 0},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0}};

const char *const hab_case_not_tables[][2] = {
    {"access_log",
     "the council's record of its staff's access: append-only, never purged; not exported "
     "(the auditor answers for who saw the file)"},
    {"access_log_cases", "the case ids of list reads in the access log: as the access log"},
    {"access_log_case_blocks", "the same by block of entries (schema 13): as the access log"},
    {"persons", "the person: exported as the subject, purged when no case holds them"},
    {NULL, NULL}};

/* ---- a column spec ---- */

typedef struct {
    char type;
    const char *column; /* in SQL */
    const char *name;   /* in the export */
} column_t;

/* A spec's SQL column ("t:col" or "t:col>name"): where it starts, its length. */
static size_t spec_column(const char *spec, const char **column)
{
    *column = spec + 2;
    const char *rename = strchr(*column, '>');
    return rename ? (size_t)(rename - *column) : strlen(*column);
}

static column_t column_of(apr_pool_t *p, const char *spec)
{
    const char *column;
    size_t len = spec_column(spec, &column);
    column_t c = {spec[0], column, column};
    if (column[len]) {
        c.column = apr_pstrndup(p, column, len);
        c.name = column + len + 1;
    }
    return c;
}

static json_t *cell(const hab_rows_t *r, int row, int col, char type)
{
    const char *v = hab_rows_text(r, row, col);
    if (!v) return json_null();
    switch (type) {
    case 'b': return hab_json_flag(v);
    case 'i': return json_integer(hab_rows_int(r, row, col));
    case 'j': return hab_json_stored(v);
    default: return hab_json_text(v);
    }
}

/* ---- the export ---- */

static int part_index(const char *key)
{
    for (int i = 0; hab_case_tables[i].table; i++)
        if (!hab_case_tables[i].parent && !strcmp(hab_case_tables[i].key, key)) return i;
    return -1;
}

/* How a part's rows are read: its FROM, WHERE and ORDER BY, and the prefix
 * of its columns.  A part under a parent (a review's decision) is read
 * joined to the parent, whose own rows are the case's ("case_id = ?"),
 * rather than by its "IN (SELECT …)" condition, which the purge keeps:
 * SQLite builds a temporary b-tree for each IN list and each sort, and the
 * join walks the indexes both tables have, in the parent's order. */
typedef struct {
    const char *source;
    const char *prefix;
} part_read_t;

static part_read_t part_read(apr_pool_t *p, const hab_case_table_t *part)
{
    if (!part->parent)
        return (part_read_t){apr_pstrcat(p, " FROM ", part->table, " WHERE ", part->belongs,
                                         " ORDER BY ", part->order, NULL),
                             ""};
    const hab_case_table_t *up = &hab_case_tables[part_index(part->parent)];
    const char *order = "u.id";
    char *state, *items = apr_pstrdup(p, part->order);
    for (char *item = apr_strtok(items, ", ", &state); item; item = apr_strtok(NULL, ", ", &state))
        if (strcmp(item, part->parent_column)) order = apr_pstrcat(p, order, ", t.", item, NULL);
    return (part_read_t){apr_pstrcat(p, " FROM ", part->table, " t JOIN ", up->table,
                                     " u ON u.id = t.", part->parent_column,
                                     " WHERE u.case_id = ? ORDER BY ", order, NULL),
                         "t."};
}

static hab_err_t *part_rows(hab_store_t *s, apr_pool_t *p, const hab_case_table_t *part,
                            long long case_id, hab_rows_t **rows)
{
    part_read_t read = part_read(p, part);
    const char *cols = "";
    for (int k = 0; part->columns[k]; k++)
        cols = apr_pstrcat(p, cols, k ? ", " : "", read.prefix,
                           column_of(p, part->columns[k]).column, NULL);
    if (part->parent_column)
        cols = apr_pstrcat(p, cols, ", ", read.prefix, part->parent_column, NULL);
    /* every name is from the definition above, never from input */
    return hab_store_q(s, p, rows, apr_pstrcat(p, "SELECT ", cols, read.source, NULL), "i",
                       case_id);
}

static void set_columns(apr_pool_t *p, json_t *o, const hab_case_table_t *part, const hab_rows_t *r,
                        int row)
{
    for (int k = 0; part->columns[k]; k++) {
        column_t c = column_of(p, part->columns[k]);
        json_object_set_new(o, c.name, cell(r, row, k, c.type));
    }
}

/* Each parent row gets its children (matched on the parent's "id"). */
static void nest(apr_pool_t *p, const hab_case_table_t *part, const hab_rows_t *r, json_t *parents)
{
    int link = 0;
    while (part->columns[link]) link++;
    size_t i;
    json_t *parent;
    json_array_foreach(parents, i, parent) {
        json_int_t id = json_integer_value(json_object_get(parent, "id"));
        json_t *children = json_array();
        for (int row = 0; row < r->nrows; row++) {
            if (hab_rows_int(r, row, link) != id) continue;
            json_t *o = json_object();
            set_columns(p, o, part, r, row);
            json_array_append_new(children, o);
        }
        if (part->single) {
            json_object_set(parent, part->key,
                            json_array_size(children) ? json_array_get(children, 0) : json_null());
            json_decref(children);
        } else {
            json_object_set_new(parent, part->key, children);
        }
    }
}

/* The status as it stands today: a lapse is derived from the dates. */
static hab_err_t *status_today(hab_store_t *s, apr_pool_t *p, long long case_id, const char *today,
                               json_t *c)
{
    hab_rows_t *r;
    hab_err_t *e =
        hab_store_q(s, p, &r,
                    "SELECT " HAB_SQL_LAST_DAY("pe") " FROM periods pe WHERE case_id = ? "
                                                     "ORDER BY id DESC LIMIT 1",
                    "i", case_id);
    if (e) return e;
    int lapsed;
    const char *status =
        hab_effective_status(json_string_value(json_object_get(c, "status")),
                             r->nrows ? hab_rows_text(r, 0, 0) : NULL, today, &lapsed);
    json_object_set_new(c, "status", json_string(status));
    if (lapsed) json_object_set_new(c, "end_reason", json_string("lapsed"));
    size_t i;
    json_t *one;
    json_array_foreach(json_object_get(c, "restrictions"), i, one) json_object_set_new(
        one, "in_force", json_boolean(!lapsed && json_is_null(json_object_get(one, "lifted_at"))));
    return NULL;
}

hab_err_t *hab_case_export(hab_store_t *s, apr_pool_t *p, long long case_id, const char *today,
                           json_t **out)
{
    json_t *c = hab_json_own(p, json_object()), *special = json_object();
    for (int i = 0; hab_case_tables[i].table; i++) {
        const hab_case_table_t *part = &hab_case_tables[i];
        json_t *into = part->special ? special : c;
        if (!strcmp(part->key, "-")) continue;
        hab_rows_t *r;
        hab_err_t *e = part_rows(s, p, part, case_id, &r);
        if (e) return e;
        if (!*part->key) {
            if (r->nrows) set_columns(p, into, part, r, 0);
            continue;
        }
        if (part->parent) {
            const hab_case_table_t *up = &hab_case_tables[part_index(part->parent)];
            nest(p, part, r, json_object_get(up->special ? special : c, up->key));
            continue;
        }
        json_t *list = json_array();
        for (int row = 0; row < r->nrows; row++) {
            json_t *o = json_object();
            set_columns(p, o, part, r, row);
            json_array_append_new(list, o);
        }
        json_object_set_new(into, part->key, list);
    }
    /* after the case's own records, as people read it */
    json_object_set_new(c, "special_category", special);
    hab_err_t *e = status_today(s, p, case_id, today, c);
    *out = c;
    return e;
}

/* ---- the case load's reads ---- */

#define MAX_PARTS_OF_A_TABLE 4

/* The definition's parts of table (most tables are one part; cases and
 * reports are two); their count. */
static int parts_of(const char *table, const hab_case_table_t **parts)
{
    int n = 0;
    for (int i = 0; hab_case_tables[i].table && n < MAX_PARTS_OF_A_TABLE; i++)
        if (!strcmp(hab_case_tables[i].table, table)) parts[n++] = &hab_case_tables[i];
    return n;
}

/* The type the definition gives column (len bytes at column) in one of
 * the parts, or 0 when it holds no such column (its parent link: 'i'). */
static char defined_type(const hab_case_table_t *const *parts, int n, const char *column,
                         size_t len)
{
    for (int k = 0; k < n; k++) {
        for (int c = 0; parts[k]->columns[c]; c++) {
            /* "t:col" or "t:col>name": compared in place (every case load
             * asks this for each field it reads, inside the write lock) */
            const char *spec = parts[k]->columns[c];
            if (!strncmp(spec + 2, column, len) && (spec[2 + len] == '\0' || spec[2 + len] == '>'))
                return spec[0];
        }
        const char *link = parts[k]->parent_column;
        if (link && strlen(link) == len && !memcmp(link, column, len)) return 'i';
    }
    return 0;
}

static hab_err_t *select_part(hab_store_t *s, apr_pool_t *p, long long case_id, const char *table,
                              const char *const *fields, hab_rows_t **rows, const char **types)
{
    const hab_case_table_t *parts[MAX_PARTS_OF_A_TABLE];
    int nparts = parts_of(table, parts);
    if (!nparts)
        return hab_err_internal(p,
                                "A case load asked for a table the case definition does not hold.");
    int nfields = 0;
    while (fields[nfields]) nfields++;
    char *type = apr_palloc(p, (size_t)nfields + 1);
    part_read_t read = part_read(p, parts[0]);
    struct iovec *sql = apr_palloc(p, sizeof(*sql) * (size_t)(3 * nfields + 6));
    int nsql = 0;
    sql[nsql++] = (struct iovec){"SELECT ", 7};
    for (int k = 0; k < nfields; k++) {
        const char *rename = strchr(fields[k], '>');
        size_t len = rename ? (size_t)(rename - fields[k]) : strlen(fields[k]);
        type[k] = defined_type(parts, nparts, fields[k], len);
        if (!type[k])
            return hab_err_internal(
                p, "A case load asked for a column the case definition does not hold.");
        if (k) sql[nsql++] = (struct iovec){", ", 2};
        if (*read.prefix) sql[nsql++] = (struct iovec){(void *)read.prefix, strlen(read.prefix)};
        sql[nsql++] = (struct iovec){(void *)fields[k], len};
    }
    type[nfields] = '\0';
    if (types) *types = type;
    /* every name is from the definition, never from input */
    sql[nsql++] = (struct iovec){(void *)read.source, strlen(read.source)};
    return hab_store_q(s, p, rows, apr_pstrcatv(p, sql, (apr_size_t)nsql, NULL), "i", case_id);
}

hab_err_t *hab_case_select(hab_store_t *s, apr_pool_t *p, long long case_id, const char *table,
                           const char *const *fields, hab_rows_t **rows)
{
    return select_part(s, p, case_id, table, fields, rows, NULL);
}

hab_err_t *hab_case_rows(hab_store_t *s, apr_pool_t *p, long long case_id, const char *table,
                         const char *const *fields, json_t **rows)
{
    hab_rows_t *r;
    const char *type;
    hab_err_t *e = select_part(s, p, case_id, table, fields, &r, &type);
    if (e) return e;
    *rows = hab_json_own(p, json_array());
    for (int row = 0; row < r->nrows; row++) {
        json_t *o = json_object();
        for (int k = 0; fields[k]; k++) {
            const char *rename = strchr(fields[k], '>');
            json_object_set_new(o, rename ? rename + 1 : fields[k], cell(r, row, k, type[k]));
        }
        json_array_append_new(*rows, o);
    }
    return NULL;
}

/* ---- the purge ---- */

static int table_seen_before(int i)
{
    for (int j = 0; j < i; j++)
        if (!strcmp(hab_case_tables[j].table, hab_case_tables[i].table)) return j;
    return -1;
}

hab_err_t *hab_case_purge(hab_store_t *s, apr_pool_t *p, long long case_id)
{
    int n = 0;
    while (hab_case_tables[n].table) n++;
    /* children before their parents: the definition lists parents first */
    for (int i = n - 1; i >= 0; i--) {
        const hab_case_table_t *part = &hab_case_tables[i];
        if (!strcmp(part->table, "cases") || table_seen_before(i) >= 0) continue;
        hab_err_t *e = hab_store_q(
            s, p, NULL, apr_pstrcat(p, "DELETE FROM ", part->table, " WHERE ", part->belongs, NULL),
            "i", case_id);
        if (e) return e;
    }
    return hab_store_q(s, p, NULL, "DELETE FROM cases WHERE id = ?", "i", case_id);
}

/* ---- the definition against a schema ---- */

static int is_part_table(const char *table)
{
    const hab_case_table_t *parts[MAX_PARTS_OF_A_TABLE];
    return parts_of(table, parts) > 0;
}

static int is_not_part(const char *table)
{
    for (int i = 0; hab_case_not_tables[i][0]; i++)
        if (!strcmp(hab_case_not_tables[i][0], table)) return 1;
    return 0;
}

/* The case load's own lookup (defined_type): what it may read is what the
 * schema check counts as covered. */
static int column_covered(const char *table, const char *column)
{
    const hab_case_table_t *parts[MAX_PARTS_OF_A_TABLE];
    return !strcmp(column, "case_id") ||
           defined_type(parts, parts_of(table, parts), column, strlen(column));
}

/* A case_id or person_id column, or X_id for a part table Xs. */
static int names_a_case(apr_pool_t *p, const apr_array_header_t *columns)
{
    for (int k = 0; k < columns->nelts; k++) {
        const char *c = APR_ARRAY_IDX(columns, k, const char *);
        size_t n = strlen(c);
        if (!strcmp(c, "case_id") || !strcmp(c, "person_id")) return 1;
        if (n > 3 && !strcmp(c + n - 3, "_id") &&
            is_part_table(apr_pstrcat(p, apr_pstrndup(p, c, n - 3), "s", NULL)))
            return 1;
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *hab_case_tables_uncovered(apr_pool_t *p, apr_hash_t *tables)
{
    apr_array_header_t *missing = apr_array_make(p, 4, sizeof(const char *));
    for (apr_hash_index_t *hi = apr_hash_first(p, tables); hi; hi = apr_hash_next(hi)) {
        const void *k;
        void *v;
        apr_hash_this(hi, &k, NULL, &v);
        const char *table = k;
        const apr_array_header_t *columns = v;
        if (is_part_table(table)) {
            for (int c = 0; c < columns->nelts; c++)
                if (!column_covered(table, APR_ARRAY_IDX(columns, c, const char *)))
                    APR_ARRAY_PUSH(missing, const char *) =
                        apr_pstrcat(p, table, ".", APR_ARRAY_IDX(columns, c, const char *), NULL);
        } else if (!is_not_part(table) && names_a_case(p, columns)) {
            APR_ARRAY_PUSH(missing, const char *) = table;
        }
    }
    if (!missing->nelts) return NULL;
    qsort(missing->elts, (size_t)missing->nelts, sizeof(const char *), by_name);
    return apr_array_pstrcat(p, missing, '\n');
}

/* ---- reading DDL ---- */

/* An identifier at s (quotes dropped); *end after it. */
static const char *identifier(apr_pool_t *p, const char *s, const char **end)
{
    s = hab_sql_skip_space(s);
    if (*s == '"') {
        const char *q = strchr(s + 1, '"');
        if (!q) q = s + strlen(s);
        *end = *q ? q + 1 : q;
        return apr_pstrndup(p, s + 1, (apr_size_t)(q - s - 1));
    }
    const char *e = s;
    while (isalnum((unsigned char)*e) || *e == '_') e++;
    *end = e;
    return apr_pstrndup(p, s, (apr_size_t)(e - s));
}

static apr_array_header_t *columns_of(apr_pool_t *p, apr_hash_t *tables, const char *table)
{
    apr_array_header_t *cols = apr_hash_get(tables, table, APR_HASH_KEY_STRING);
    if (!cols) {
        cols = apr_array_make(p, 8, sizeof(const char *));
        apr_hash_set(tables, table, APR_HASH_KEY_STRING, cols);
    }
    return cols;
}

static void create_table(apr_pool_t *p, apr_hash_t *tables, const char *s)
{
    const char *after;
    s = hab_sql_skip_space(s);
    if (hab_sql_starts_word(s, "IF")) s = strstr(s, "EXISTS") ? strstr(s, "EXISTS") + 6 : s;
    const char *table = identifier(p, s, &after);
    const char *open = strchr(after, '(');
    if (!*table || !open) return;
    apr_array_header_t *cols = columns_of(p, tables, table);
    int depth = 0;
    const char *item = open + 1;
    for (const char *c = open + 1; *c; c++) {
        if (*c == '(') depth++;
        if (*c == ')' && depth-- == 0) depth = -1;
        if ((*c == ',' && depth == 0) || depth < 0) {
            const char *w = hab_sql_skip_space(item);
            static const char *const constraints[] = {"PRIMARY",    "UNIQUE",  "CHECK", "FOREIGN",
                                                      "CONSTRAINT", "EXCLUDE", NULL};
            int is_constraint = 0;
            for (int k = 0; constraints[k]; k++)
                is_constraint |= hab_sql_starts_word(w, constraints[k]);
            const char *name = identifier(p, w, &after);
            if (!is_constraint && *name) APR_ARRAY_PUSH(cols, const char *) = name;
            item = c + 1;
            if (depth < 0) break;
        }
    }
}

static void alter_table(apr_pool_t *p, apr_hash_t *tables, const char *s)
{
    const char *after;
    const char *table = identifier(p, s, &after);
    s = hab_sql_skip_space(after);
    if (!hab_sql_starts_word(s, "ADD")) return;
    s = hab_sql_skip_space(s + 3);
    if (hab_sql_starts_word(s, "CONSTRAINT")) return;
    if (hab_sql_starts_word(s, "COLUMN")) s += 6;
    const char *name = identifier(p, s, &after);
    if (*table && *name) APR_ARRAY_PUSH(columns_of(p, tables, table), const char *) = name;
}

apr_hash_t *hab_schema_columns_from_ddl(apr_pool_t *p, const char *ddl)
{
    apr_hash_t *tables = apr_hash_make(p);
    /* comments out, then statement by statement */
    char *text = apr_pstrdup(p, ddl);
    for (char *c = text; (c = strstr(c, "--"));) {
        char *nl = strchr(c, '\n');
        memset(c, ' ', nl ? (size_t)(nl - c) : strlen(c));
    }
    char *state;
    for (char *st = apr_strtok(text, ";", &state); st; st = apr_strtok(NULL, ";", &state)) {
        const char *s = hab_sql_skip_space(st);
        if (hab_sql_starts_word(s, "CREATE")) {
            s = hab_sql_skip_space(s + 6);
            if (hab_sql_starts_word(s, "TABLE")) create_table(p, tables, s + 5);
        } else if (hab_sql_starts_word(s, "ALTER")) {
            s = hab_sql_skip_space(s + 5);
            if (hab_sql_starts_word(s, "TABLE")) alter_table(p, tables, hab_sql_skip_space(s + 5));
        }
    }
    return tables;
}
