/* sar and purge: what is held about one person, and removing cases past
 * their retention period.  What each verb does, and why:
 *
 * sar PERSON-REFERENCE [--format json|html|csv|text]
 *   The person with exactly that council reference and every case about
 *   them, read in one snapshot by hab_case_export: every table the case
 *   definition names (core/domain/case_tables.c; README "What a case holds"), each
 *   under its key, children under their parents (a contact's incidents, a
 *   review's or an appeal's decision), restrictions with in_force as
 *   today.  Special-category data (the vulnerable flag, the vulnerability,
 *   each report's safeguarding consideration and adjustments, reasonable
 *   adjustments) is not repeated elsewhere: it sits under
 *   "special_category" in each case (JSON) or a section headed "Special
 *   category data" (HTML).  Staff user ids appear as they do in the file
 *   (they acted in their professional capacity); no other customer's data
 *   is read.  The access log is not part of the export (it is the council's
 *   record of its own staff's access; ask the auditor for it when the
 *   request covers who saw the file).  JSON (default) is indented, UTF-8, and
 *   holds each letter's body as stored; HTML is a printable page with every
 *   value escaped and a Content-Security-Policy that allows no script or
 *   image.  A letter's stored HTML is not trusted (a row written behind the
 *   module's back, or by a past bug, would run in whoever opens the file):
 *   HTML, CSV and text show its text (hab_html_to_text), escaped again for
 *   HTML.  CSV: "field","value" rows through the shared writer (csv.h), the
 *   field a path such as cases[1].chronology[2].summary; text: "field: value"
 *   lines, control characters replaced (text.h).  Before anything is printed one
 *   access-log entry per case is appended (action admin.sar; user
 *   admin:<login or SUDO_USER>), or one with no case when the person has no
 *   case left.  No match: "no person with that reference", exit 1.
 *
 * purge [--dry-run] [--closed-years N] [--ended-years N] [--violence-years N]
 *   A case becomes eligible N years (calendar years, 0-100) after the day it
 *   was closed or ended: closed without action or on rejection (status
 *   closed) --closed-years, default 1, from closed_at's date; ended (removed,
 *   quashed) --ended-years, default 3, from ended_at's date; lapsed (derived)
 *   the same, from the day after the period's last day; a case with a
 *   violence incident or the violence criterion keeps the longer of that and
 *   --violence-years, default 5.  A case on legal hold is never purged, nor
 *   an open one (referred, warned, reported, active).  Eligible on the date
 *   shown and purged from that day on.  --dry-run prints "would purge case N:
 *   WHY, eligible since DATE" lines and a summary, and changes nothing.  A
 *   purge deletes each case in its own write transaction, re-checking
 *   eligibility inside it (a hold placed meanwhile wins): its rows in every
 *   table that refers to it, the case, then the person unless another case
 *   refers to them, plus one access-log entry (admin.purge, the case id) in
 *   the same transaction.  The access log itself is never touched, so the
 *   chain still verifies.  SQLite: secure_delete is on for the purge, so the
 *   freed pages are zeroed; older backups still hold the data until rotated.
 *   Output names case ids only.  Cases named but not purged (--dry-run's
 *   list, those kept on legal hold, one that changed meanwhile) are logged
 *   first, one admin.purge-list entry each (a dry run naming none: one entry
 *   with no case), so the access log shows who looked at what is due to go.
 */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "admin.h"
#include "ops.h"
#include "habitual/domain/case_tables.h"
#include "habitual/domain/casefile.h"
#include "habitual/domain/rules.h"
#include "habitual/base/csv.h"
#include "habitual/base/dates.h"
#include "habitual/domain/evidence.h"
#include "habitual/base/html.h"
#include "habitual/base/json_io.h"
#include "habitual/base/text.h"
#include "habitual/store/schema.h"

#define T(rows, r, c) hab_rows_text(rows, r, c)

/* ---- sar: HTML ---- */

static const char *label(apr_pool_t *p, const char *key)
{
    static const char *const names[][2] = {
        {"special_category", "Special category data"},
        {"chronology", "Chronology of contacts"},
        {"copy_to", "Letters copied to"},
        {"legal_hold", "Legal hold"},
        {"criteria", "Criteria met"},
        {"warnings", "Warnings"},
        {"reports", "Reports to the chief executive"},
        {"decisions", "Decisions"},
        {"restrictions", "Restrictions"},
        {"asb_unit_consulted", "Anti-social behaviour unit consulted"},
        {"id", "Id"},
        {"periods", "Periods of designation"},
        {"reviews", "Reviews"},
        {"appeals", "Appeals"},
        {"letters", "Letters"},
        {"notifications", "Notifications to chief officers"},
        {"grants", "Notices given to named officers"},
        {"statements", "Your statements"},
        {"post_received", "Your letters and emails while correspondence was restricted"},
        {"person", "Person"},
        {"cases", "Cases"},
        {NULL, NULL}};
    for (int i = 0; names[i][0]; i++)
        if (!strcmp(names[i][0], key)) return names[i][1];
    char *s = apr_pstrdup(p, key);
    for (char *c = s; *c; c++)
        if (*c == '_') *c = ' ';
    if (*s >= 'a' && *s <= 'z') *s = (char)(*s - 'a' + 'A');
    return s;
}

static void html_value(apr_pool_t *p, FILE *out, const char *key, json_t *v, int depth);

static void html_object(apr_pool_t *p, FILE *out, json_t *o, int depth)
{
    const char *k;
    json_t *v;
    /* scalars first as a list, then structured parts as sections at case level */
    fprintf(out, "<dl>\n");
    json_object_foreach(o, k, v) {
        if (depth == 1 && (json_is_array(v) || json_is_object(v))) continue;
        fprintf(out, "<dt>%s</dt><dd>", hab_html_escape(p, label(p, k)));
        html_value(p, out, k, v, depth + 1);
        fprintf(out, "</dd>\n");
    }
    fprintf(out, "</dl>\n");
    if (depth != 1) return;
    json_object_foreach(o, k, v) {
        if (!json_is_array(v) && !json_is_object(v)) continue;
        int special = !strcmp(k, "special_category");
        fprintf(out, "<section%s>\n<h3>%s</h3>\n", special ? " class=\"special-category\"" : "",
                hab_html_escape(p, label(p, k)));
        if (special)
            fprintf(out, "<p>This is special category data (health, vulnerability and "
                         "safeguarding), UK GDPR article 9.</p>\n");
        html_value(p, out, k, v, depth + 1);
        fprintf(out, "</section>\n");
    }
}

static void html_value(apr_pool_t *p, FILE *out, const char *key, json_t *v, int depth)
{
    if (json_is_object(v)) {
        html_object(p, out, v, depth);
    } else if (json_is_array(v)) {
        if (!json_array_size(v)) {
            fprintf(out, "none");
            return;
        }
        size_t i;
        json_t *item;
        fprintf(out, "<ol>\n");
        json_array_foreach(v, i, item) {
            fprintf(out, "<li>");
            html_value(p, out, key, item, depth);
            fprintf(out, "</li>\n");
        }
        fprintf(out, "</ol>\n");
    } else if (json_is_string(v)) {
        if (key && !strcmp(key, "body")) /* a stored letter: its text, never its markup */
            fprintf(out, "<div class=\"letter\">%s</div>",
                    hab_html_escape(p, hab_html_to_text(p, json_string_value(v))));
        else
            fprintf(out, "%s", hab_html_escape(p, json_string_value(v)));
    } else if (json_is_boolean(v)) {
        fprintf(out, "%s", json_is_true(v) ? "yes" : "no");
    } else if (json_is_integer(v)) {
        fprintf(out, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(v));
    } else {
        fprintf(out, "&#8212;");
    }
}

static void sar_html(apr_pool_t *p, FILE *out, json_t *doc)
{
    json_t *person = json_object_get(doc, "person"), *cases = json_object_get(doc, "cases");
    json_t *meta = json_object_get(doc, "subject_access_request");
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'\">\n"
                 "<title>Subject access request</title>\n<style>\n"
                 "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}\n"
                 "dt{font-weight:bold}dd{margin:0 0 .5em 1.5em}\n"
                 ".special-category{border:3px solid #d4351c;padding:0 1em;margin:1em 0}\n"
                 ".letter{border:1px solid #999;padding:1em;margin:.5em 0;white-space:pre-line}\n"
                 "@media print{h2{page-break-before:always}}\n</style>\n</head>\n<body>\n");
    fprintf(out, "<h1>Information held about %s</h1>\n",
            hab_html_escape(p, json_string_value(json_object_get(person, "name"))));
    fprintf(out, "<p>Subject access request (UK GDPR article 15): everything the council's "
                 "habitual contact records hold about the person with reference %s, as of %s. "
                 "Special category data is marked as such.</p>\n",
            hab_html_escape(p, json_string_value(json_object_get(meta, "reference"))),
            hab_html_escape(p, json_string_value(json_object_get(meta, "generated_at"))));
    fprintf(out, "<h2>Person</h2>\n");
    html_object(p, out, person, 2);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        fprintf(out, "<h2>Case %" APR_INT64_T_FMT "</h2>\n",
                (apr_int64_t)json_integer_value(json_object_get(c, "id")));
        html_object(p, out, c, 1);
    }
    if (!json_array_size(cases)) fprintf(out, "<p>No case is held.</p>\n");
    fprintf(out, "</body>\n</html>\n");
}

/* ---- sar: CSV and text, one line per value ---- */

typedef struct {
    apr_pool_t *p;
    FILE *out;
    int csv;
} flat_t;

/* A value as text: a stored letter's body as its text (never its markup). */
static const char *flat_value(apr_pool_t *p, const char *key, json_t *v)
{
    if (json_is_string(v))
        return key && !strcmp(key, "body") ? hab_html_to_text(p, json_string_value(v))
                                           : json_string_value(v);
    if (json_is_boolean(v)) return json_is_true(v) ? "yes" : "no";
    if (json_is_integer(v))
        return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(v));
    return "";
}

/* Each scalar under v as "path","value" (CSV) or "path: value" (text). */
static void flat_walk(flat_t *f, const char *path, const char *key, json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *child;
        json_object_foreach(v, k, child)
            flat_walk(f, *path ? apr_pstrcat(f->p, path, ".", k, NULL) : k, k, child);
        return;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        if (!json_array_size(v)) flat_walk(f, path, key, json_null());
        json_array_foreach(v, i, item)
            flat_walk(f, apr_psprintf(f->p, "%s[%" APR_SIZE_T_FMT "]", path, i + 1), key, item);
        return;
    }
    const char *value = flat_value(f->p, key, v);
    if (f->csv) {
        fputs(hab_csv_line(f->p, (const char *const[]){path, value, NULL}), f->out);
        return;
    }
    /* text: one line per field, a value's own lines indented under it */
    fprintf(f->out, "%s:", hab_text_clean(f->p, path, 0));
    const char *line = hab_text_clean(f->p, value, 1);
    int first = 1;
    for (;;) {
        const char *nl = strchr(line, '\n');
        int n = nl ? (int)(nl - line) : (int)strlen(line);
        fprintf(f->out, "%s%.*s\n", first ? " " : "    ", n, line);
        first = 0;
        if (!nl) break;
        line = nl + 1;
    }
}

static void sar_flat(apr_pool_t *p, FILE *out, json_t *doc, int csv)
{
    flat_t f = {p, out, csv};
    if (csv) fputs(hab_csv_line(p, (const char *const[]){"field", "value", NULL}), out);
    flat_walk(&f, "", NULL, doc);
}

/* Each case's evidence, as the files they were, beside the bundle:
 * DIR/case-N-evidence-M-FILENAME, created 0600, never overwriting. */
static hab_err_t *write_evidence_files(admin_ctx_t *ctx, hab_store_t *store, json_t *cases,
                                       const char *dir)
{
    size_t i, k;
    json_t *c, *ev;
    apr_pool_t *scratch;
    if (apr_pool_create(&scratch, ctx->p) != APR_SUCCESS)
        return hab_err_internal(ctx->p, "no memory");
    json_array_foreach(cases, i, c) json_array_foreach(json_object_get(c, "evidence"), k, ev) {
        long long cid = json_integer_value(json_object_get(c, "id")),
                  eid = json_integer_value(json_object_get(ev, "id"));
        const char *path = apr_psprintf(
            ctx->p, "%s/case-%" APR_INT64_T_FMT "-evidence-%" APR_INT64_T_FMT "-%s", dir,
            (apr_int64_t)cid, (apr_int64_t)eid, json_string_value(json_object_get(ev, "filename")));
        apr_file_t *f;
        if (apr_file_open(&f, path,
                          APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_EXCL | APR_FOPEN_BINARY,
                          APR_FPROT_UREAD | APR_FPROT_UWRITE, ctx->p) != APR_SUCCESS)
            return hab_err_internal(ctx->p, apr_pstrcat(ctx->p, "cannot create ", path,
                                                        " (it may exist already)", NULL));
        int chunks = (int)json_integer_value(json_object_get(ev, "chunks"));
        for (int seq = 0; seq < chunks; seq++) {
            const void *data;
            apr_size_t len, wrote;
            hab_err_t *e = hab_evidence_chunk(store, scratch, eid, seq, &data, &len);
            if (e) return e;
            if (apr_file_write_full(f, data, len, &wrote) != APR_SUCCESS)
                return hab_err_internal(ctx->p, apr_pstrcat(ctx->p, "cannot write ", path, NULL));
            apr_pool_clear(scratch);
        }
        if (apr_file_close(f) != APR_SUCCESS)
            return hab_err_internal(ctx->p, apr_pstrcat(ctx->p, "cannot write ", path, NULL));
    }
    apr_pool_destroy(scratch);
    return NULL;
}

int verb_sar(admin_ctx_t *ctx)
{
    static const char *const opts[] = {"--format", "--evidence-dir", NULL};
    static const char *const formats[] = {"json", "html", "csv", "text", NULL};
    int rc = admin_check_options(ctx, opts, NULL, 1);
    if (rc) return rc;
    const char *format = ops_format(ctx, formats);
    if (!format) return ADMIN_USAGE;
    const char *reference = admin_positional(ctx, 0);
    const char *evidence_dir = admin_option(ctx, "--evidence-dir");
    apr_finfo_t dir_info;
    if (evidence_dir && (apr_stat(&dir_info, evidence_dir, APR_FINFO_TYPE, ctx->p) != APR_SUCCESS ||
                         dir_info.filetype != APR_DIR)) {
        fprintf(stderr, "habitual-admin: --evidence-dir %s is not a directory\n", evidence_dir);
        return ADMIN_USAGE;
    }
    hab_store_t *store;
    if ((rc = admin_open(ctx, 0, &store))) return rc;

    hab_err_t *e = store->ops->begin(store, ctx->p, 0); /* one snapshot */
    hab_rows_t *person, *cases = NULL;
    if (!e)
        e = hab_store_q(store, ctx->p, &person,
                        "SELECT id, name, reference, address, date_of_birth "
                        "FROM persons WHERE reference = ? ORDER BY id",
                        "t", reference);
    if (e) return admin_fail(e, ADMIN_DATABASE);
    if (person->nrows == 0) {
        store->ops->rollback(store);
        fprintf(stderr, "habitual-admin: no person with that reference\n");
        return ADMIN_FAILED;
    }
    e = hab_store_q(
        store, ctx->p, &cases,
        /* each referral keeps the person as typed: every case with the
         * reference, whether linked to it or referred with it */
        "SELECT c.id FROM cases c WHERE c.person_id IN (SELECT id FROM persons WHERE reference = "
        "?) "
        "OR c.referred_person_id IN (SELECT id FROM persons WHERE reference = ?) ORDER BY c.id",
        "tt", reference, reference);
    if (e) return admin_fail(e, ADMIN_DATABASE);

    json_t *doc = hab_json_own(ctx->p, json_object());
    json_object_set_new(doc, "subject_access_request",
                        json_pack("{s:s, s:s, s:i, s:s}", "reference", reference, "generated_at",
                                  ctx->now, "cases", cases->nrows, "note",
                                  "Everything held about this person in the habitual contact "
                                  "records. Data under \"special_category\" is special category "
                                  "data (UK GDPR article 9)."));
    json_object_set_new(doc, "person", json_pack("{s:o, s:o, s:o, s:o}",
                                                 "name", hab_json_text(T(person, 0, 1)),
                                                 "reference", hab_json_text(T(person, 0, 2)),
                                                 "address", hab_json_text(T(person, 0, 3)),
                                                 "date_of_birth", hab_json_text(T(person, 0, 4))));
    json_t *held = json_array();
    for (int i = 0; i < person->nrows; i++)
        json_array_append_new(held, json_pack("{s:o, s:o, s:o, s:o}", "name",
                                              hab_json_text(T(person, i, 1)), "reference",
                                              hab_json_text(T(person, i, 2)), "address",
                                              hab_json_text(T(person, i, 3)), "date_of_birth",
                                              hab_json_text(T(person, i, 4))));
    json_object_set_new(doc, "persons", held); /* each referral's details as typed */
    json_t *list_cases = json_array();
    json_object_set_new(doc, "cases", list_cases);
    /* what a case holds is defined once, in the core (case_tables.c) */
    for (int i = 0; i < cases->nrows && !e; i++) {
        json_t *one;
        if (!(e = hab_case_export(store, ctx->p, hab_rows_int(cases, i, 0), ctx->today, &one)))
            json_array_append(list_cases, one);
    }
    store->ops->rollback(store);
    if (e) return admin_fail(e, ADMIN_DATABASE);

    /* logged before anything is shown */
    for (int i = 0; i < cases->nrows; i++)
        if ((rc = admin_log_action(ctx, store, "admin.sar", hab_rows_int(cases, i, 0)))) return rc;
    if (!cases->nrows && (rc = admin_log_action(ctx, store, "admin.sar", 0))) return rc;
    if (evidence_dir && (e = write_evidence_files(ctx, store, list_cases, evidence_dir)))
        return admin_fail(e, ADMIN_FAILED);

    if (!strcmp(format, "html")) {
        sar_html(ctx->p, stdout, doc);
    } else if (!strcmp(format, "csv") || !strcmp(format, "text")) {
        sar_flat(ctx->p, stdout, doc, !strcmp(format, "csv"));
    } else {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    }
    fprintf(stderr,
            "habitual-admin: subject access export of %d case%s, recorded in the access log\n",
            cases->nrows, cases->nrows == 1 ? "" : "s");
    return ADMIN_OK;
}

/* ---- purge ---- */

typedef struct {
    long closed_years, ended_years, violence_years;
} retention_t;

typedef struct {
    int eligible;
    const char *why;        /* e.g. "closed without action on 2024-01-05, kept 1 year" */
    const char *since;      /* the date it became eligible */
    int held;
} verdict_t;

static const char *const purge_case_sql =
    "SELECT c.id, c.status, c.end_reason, c.closed_at, c.ended_at, c.legal_hold_reason, "
    "(SELECT " HAB_SQL_LAST_DAY(
        "pe") " FROM periods pe WHERE case_id = c.id ORDER BY id DESC LIMIT 1), "
              /* violence withdrawn as entered in error does not keep a case longer */
              "(SELECT count(*) FROM case_criteria WHERE case_id = c.id AND criterion = 'violence' "
              " AND withdrawn_at IS NULL) + "
              "(SELECT count(*) FROM contact_incidents i JOIN contacts k ON k.id = i.contact_id "
              " WHERE k.case_id = c.id AND i.incident = 'violence' AND i.withdrawn_at IS NULL) "
              "FROM cases c ";

static verdict_t retention_verdict(admin_ctx_t *ctx, const retention_t *keep, const hab_rows_t *r,
                                   int i)
{
    apr_pool_t *p = ctx->p;
    verdict_t v = {0, NULL, NULL, 0};
    const char *status = T(r, i, 1), *reason = T(r, i, 2);
    int lapsed;
    hab_effective_status(status, T(r, i, 6), ctx->today, &lapsed);
    const char *basis, *what;
    long years;
    if (!strcmp(status, "closed") && T(r, i, 3)) {
        basis = ops_date_of(p, T(r, i, 3));
        what =
            reason && !strcmp(reason, "rejected") ? "closed on rejection" : "closed without action";
        years = keep->closed_years;
    } else if (!strcmp(status, "ended") && T(r, i, 4)) {
        basis = ops_date_of(p, T(r, i, 4));
        what = apr_pstrcat(p, "ended (", reason ? reason : "ended", ")", NULL);
        years = keep->ended_years;
    } else if (lapsed) {
        basis = hab_date_add_days(p, T(r, i, 6), 1);
        what = "ended (lapsed)";
        years = keep->ended_years;
    } else {
        return v; /* open: never */
    }
    int violence = hab_rows_int(r, i, 7) > 0;
    if (violence && keep->violence_years > years) years = keep->violence_years;
    v.since = hab_date_add_months(p, basis, (int)(years * 12));
    v.why = apr_psprintf(p, "%s on %s, %skept %ld year%s", what, basis,
                         violence ? "violence recorded, " : "", years, years == 1 ? "" : "s");
    v.held = T(r, i, 5) != NULL;
    v.eligible = !v.held && strcmp(v.since, ctx->today) <= 0;
    return v;
}

static hab_err_t *purge_one(admin_ctx_t *ctx, hab_store_t *s, long long id)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(s, ctx->p, &r,
                               "SELECT person_id, coalesce(referred_person_id, person_id) "
                               "FROM cases WHERE id = ?",
                               "i", id);
    if (e) return e;
    long long persons[2] = {hab_rows_int(r, 0, 0), hab_rows_int(r, 0, 1)};
    /* every table the case definition names (case_tables.c), then the case */
    if ((e = hab_case_purge(s, ctx->p, id))) return e;
    /* the case's person and the person as referred, when no other case holds them */
    for (int i = 0; i < 2; i++)
        if ((e = hab_store_q(s, ctx->p, NULL,
                             "DELETE FROM persons WHERE id = ? AND NOT EXISTS "
                             "(SELECT 1 FROM cases WHERE person_id = ? OR referred_person_id = ?)",
                             "iii", persons[i], persons[i], persons[i])))
            return e;
    return admin_log_in_transaction(ctx, s, "admin.purge", id);
}

int verb_purge(admin_ctx_t *ctx)
{
    static const char *const opts[] = {"--closed-years", "--ended-years", "--violence-years", NULL};
    static const char *const flags[] = {"--dry-run", NULL};
    int rc = admin_check_options(ctx, opts, flags, 0);
    if (rc) return rc;
    retention_t keep;
    if ((rc = ops_int_option(ctx, "--closed-years", 1, 0, 100, &keep.closed_years)) ||
        (rc = ops_int_option(ctx, "--ended-years", 3, 0, 100, &keep.ended_years)) ||
        (rc = ops_int_option(ctx, "--violence-years", 5, 0, 100, &keep.violence_years)))
        return rc;
    int dry = admin_flag(ctx, "--dry-run");
    hab_store_t *store;
    if ((rc = admin_open(ctx, 0, &store))) return rc;

    hab_rows_t *r;
    hab_err_t *e = hab_store_q(store, ctx->p, &r,
                               apr_pstrcat(ctx->p, purge_case_sql, "ORDER BY c.id", NULL), "");
    if (e) return admin_fail(e, ADMIN_DATABASE);
    if (!dry && !strcmp(store->driver, "sqlite3") &&
        (e = hab_store_q(store, ctx->p, NULL, "PRAGMA secure_delete = ON", "")))
        return admin_fail(e, ADMIN_DATABASE);
    const char *one_case_sql = apr_pstrcat(ctx->p, purge_case_sql, "WHERE c.id = ?", NULL);
    /* Cases named but not purged (a dry run's list, those kept on hold) are
     * logged before anything is shown, as admin.purge-list; a dry run
     * always leaves an entry.  A purged case has its admin.purge entry. */
    apr_array_header_t *named = apr_array_make(ctx->p, r->nrows + 1, sizeof(long long));
    for (int i = 0; i < r->nrows; i++) {
        verdict_t v = retention_verdict(ctx, &keep, r, i);
        if ((v.held && v.since && strcmp(v.since, ctx->today) <= 0) || (dry && v.eligible))
            APR_ARRAY_PUSH(named, long long) = hab_rows_int(r, i, 0);
    }
    if ((dry || named->nelts) && (rc = admin_log_cases(ctx, store, "admin.purge-list", named)))
        return rc;
    int purged = 0, held = 0;
    for (int i = 0; i < r->nrows; i++) {
        verdict_t v = retention_verdict(ctx, &keep, r, i);
        long long id = hab_rows_int(r, i, 0);
        if (v.held && v.since && strcmp(v.since, ctx->today) <= 0) {
            held++;
            printf("kept case %lld: on legal hold (otherwise eligible since %s)\n", id, v.since);
        }
        if (!v.eligible) continue;
        if (dry) {
            printf("would purge case %lld: %s, eligible since %s\n", id,
                   hab_text_clean(ctx->p, v.why, 0), v.since);
            purged++;
            continue;
        }
        /* re-check inside the write transaction: a hold placed meanwhile wins */
        hab_rows_t *now;
        if ((e = store->ops->begin(store, ctx->p, 1)) ||
            (e = hab_store_q(store, ctx->p, &now, one_case_sql, "i", id))) {
            store->ops->rollback(store);
            return admin_fail(e, ADMIN_DATABASE);
        }
        if (now->nrows != 1 || !retention_verdict(ctx, &keep, now, 0).eligible) {
            store->ops->rollback(store);
            if ((rc = admin_log_action(ctx, store, "admin.purge-list", id))) return rc;
            printf("kept case %lld: it changed while the purge ran\n", id);
            continue;
        }
        if ((e = purge_one(ctx, store, id)) || (e = hab_changes_bump(store, ctx->p)) ||
            (e = store->ops->commit(store, ctx->p))) {
            store->ops->rollback(store);
            fprintf(stderr, "habitual-admin: case %lld not purged; %d purged before it\n", id,
                    purged);
            return admin_fail(e, ADMIN_DATABASE);
        }
        printf("purged case %lld: %s, eligible since %s\n", id, hab_text_clean(ctx->p, v.why, 0),
               v.since);
        purged++;
    }
    if (dry)
        printf("dry run: %d case%s would be purged, %d kept on legal hold; nothing was changed\n",
               purged, purged == 1 ? "" : "s", held);
    else
        printf("purged %d case%s, %d kept on legal hold\n", purged, purged == 1 ? "" : "s", held);
    return ADMIN_OK;
}
