/* Loading a whole case from the store into hab_case_t. */
#include <stdio.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "habitual/domain/case_tables.h"
#include "habitual/domain/casefile.h"
#include "habitual/base/dates.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/rules.h"
#include "habitual/base/validate.h"

#define T(rows, r, c) hab_rows_text(rows, r, c)

/* ---- the case's parts, read through its definition (case_tables.c) ----
 * Each loader asks hab_case_rows for the columns it shows, named as the
 * views name them, so the load, the export and the purge read one
 * definition.  What is asked across rows (is violence recorded, what is in
 * force today, who else shares a reference) stays a query of its own. */

#define FIELDS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define S(o, k) hab_j_str(o, k)

/* Each name once (a case's contacts are read without DISTINCT, which
 * costs SQLite a temporary b-tree on every write's load). */
static void push_involved(apr_array_header_t *a, const char *user)
{
    if (!user) return;
    for (int i = 0; i < a->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(a, i, const char *), user)) return;
    APR_ARRAY_PUSH(a, const char *) = user;
}

/* The fields "from>to" of o moved into an object of their own: null when
 * the first is null and only_if_first is set. */
static json_t *take(json_t *o, const char *const *from_to, int only_if_first)
{
    json_t *sub = json_object();
    for (int k = 0; from_to[k]; k++) {
        const char *to = strchr(from_to[k], '>');
        char from[64];
        snprintf(from, sizeof(from), "%.*s", (int)(to - from_to[k]), from_to[k]);
        json_t *v = json_object_get(o, from);
        if (k == 0 && only_if_first && json_is_null(v)) {
            json_decref(sub);
            sub = NULL;
        }
        if (sub) json_object_set(sub, to + 1, v ? v : json_null());
        json_object_del(o, from);
    }
    return sub ? sub : json_null();
}

static json_t *last_of(const json_t *rows)
{
    size_t n = json_array_size(rows);
    return n ? json_array_get(rows, n - 1) : NULL;
}

static long long int_of(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* The person the case is about as it stands, and as the referrer typed
 * it.  Persons are not part of one case (case_tables.c says why). */
static hab_err_t *load_persons(hab_store_t *s, apr_pool_t *p, hab_case_t *c, int *found)
{
    hab_rows_t *r;
    /* two lookups, not "IN (?, ?)": SQLite builds a temporary b-tree for
     * an IN list; one person twice is matched twice, harmlessly */
    hab_err_t *e = hab_store_q(s, p, &r,
                               "SELECT id, name, reference, address, date_of_birth FROM persons "
                               "WHERE id = ? UNION ALL "
                               "SELECT id, name, reference, address, date_of_birth FROM persons "
                               "WHERE id = ?",
                               "ii", c->person_id, c->referred_person_id);
    if (e) return e;
    for (int i = 0; i < r->nrows; i++) {
        json_t *one = hab_json_own(
            p, json_pack("{s:o, s:o, s:o, s:o}", "name", hab_json_text(T(r, i, 1)), "reference",
                         hab_json_text(T(r, i, 2)), "address", hab_json_text(T(r, i, 3)),
                         "date_of_birth", hab_json_text(T(r, i, 4))));
        if (hab_rows_int(r, i, 0) == c->person_id) c->person = one;
        if (hab_rows_int(r, i, 0) == c->referred_person_id) c->referred_person = one;
    }
    *found = c->person && c->referred_person;
    return NULL;
}

static json_t *name_address(const char *name, const char *address)
{
    if (!name) return json_null();
    return json_pack("{s:o, s:o}", "name", hab_json_text(name), "address", hab_json_text(address));
}

/* The case's own row: read as stored rows (every request's gate loads it,
 * so no JSON is made of it but the parts the views show). */
enum {
    K_STATUS,
    K_END_REASON,
    K_REFERRED_BY,
    K_REFERRED_AT,
    K_DEPARTMENT,
    K_SUMMARY,
    K_MEASURES,
    K_COMPLAINTS,
    K_VULNERABLE,
    K_VULNERABILITY,
    K_REP_NAME,
    K_REP_ADDRESS,
    K_ADV_NAME,
    K_ADV_ADDRESS,
    K_WITHOUT_NOTICE,
    K_HOLD_REASON,
    K_HOLD_BY,
    K_HOLD_AT,
    K_UPDATED_AT,
    K_PERSON_ID,
    K_REFERRED_PERSON_ID,
    K_LINKED_BY,
    K_LINKED_AT
};

static hab_err_t *load_core(hab_store_t *s, apr_pool_t *p, hab_case_t *c, int with_persons,
                            int *found)
{
    hab_rows_t *r;
    hab_err_t *e = hab_case_select(
        s, p, c->id, "cases",
        FIELDS("status", "end_reason", "referred_by", "referred_at", "department", "summary",
               "measures_taken", "complaints_procedure", "vulnerable", "vulnerability",
               "representative_name", "representative_address", "advocate_name", "advocate_address",
               "action_without_notice", "legal_hold_reason", "legal_hold_by", "legal_hold_at",
               "updated_at", "person_id", "referred_person_id", "person_linked_by",
               "person_linked_at"),
        &r);
    if (e) return e;
    *found = r->nrows == 1;
    if (!*found) return NULL;
    c->stored_status = T(r, 0, K_STATUS);
    c->end_reason = T(r, 0, K_END_REASON);
    c->referred_by = T(r, 0, K_REFERRED_BY);
    c->referred_at = T(r, 0, K_REFERRED_AT);
    c->department = T(r, 0, K_DEPARTMENT);
    c->summary = T(r, 0, K_SUMMARY);
    c->measures_taken = T(r, 0, K_MEASURES);
    c->complaints_procedure = T(r, 0, K_COMPLAINTS);
    c->vulnerable = hab_rows_int(r, 0, K_VULNERABLE) != 0;
    c->vulnerability = T(r, 0, K_VULNERABILITY);
    c->representative = hab_json_own(p, name_address(T(r, 0, K_REP_NAME), T(r, 0, K_REP_ADDRESS)));
    c->advocate = hab_json_own(p, name_address(T(r, 0, K_ADV_NAME), T(r, 0, K_ADV_ADDRESS)));
    c->action_without_notice = hab_rows_int(r, 0, K_WITHOUT_NOTICE) != 0;
    c->legal_hold =
        hab_json_own(p, T(r, 0, K_HOLD_REASON) ? json_pack("{s:o, s:o, s:o}", "reason",
                                                           hab_json_text(T(r, 0, K_HOLD_REASON)),
                                                           "by", hab_json_text(T(r, 0, K_HOLD_BY)),
                                                           "at", hab_json_text(T(r, 0, K_HOLD_AT)))
                                               : json_null());
    c->updated_at = T(r, 0, K_UPDATED_AT);
    c->person_id = hab_rows_int(r, 0, K_PERSON_ID);
    c->referred_person_id =
        T(r, 0, K_REFERRED_PERSON_ID) ? hab_rows_int(r, 0, K_REFERRED_PERSON_ID) : c->person_id;
    c->person_link = hab_json_own(
        p, T(r, 0, K_LINKED_BY) ? json_pack("{s:o, s:o}", "by", hab_json_text(T(r, 0, K_LINKED_BY)),
                                            "at", hab_json_text(T(r, 0, K_LINKED_AT)))
                                : json_null());
    push_involved(c->involved, c->referred_by);
    push_involved(c->authors, c->referred_by);
    return with_persons ? load_persons(s, p, c, found) : NULL;
}

/* The copy list as it stands (letters use it) and the recipients removed,
 * with who removed them and why. */
static hab_err_t *load_copies(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    json_t *rows, *one;
    hab_err_t *e = hab_case_rows(s, p, c->id, "copy_recipients",
                                 FIELDS("id", "name", "role", "address", "added_by", "added_at",
                                        "removed_at", "removed_by", "removed_reason"),
                                 &rows);
    if (e) return e;
    c->copy_to = hab_json_own(p, json_array());
    c->copies_removed = hab_json_own(p, json_array());
    size_t i;
    json_array_foreach(rows, i, one) {
        json_t *removed =
            take(one, FIELDS("removed_at>at", "removed_by>by", "removed_reason>reason"), 1);
        if (json_is_null(removed)) {
            json_array_append(c->copy_to, one);
            continue;
        }
        json_object_set_new(one, "removed", removed);
        json_array_append(c->copies_removed, one);
    }
    return NULL;
}

/* The reasonable adjustments in force: the latest recorded. */
static hab_err_t *load_adjustments(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    json_t *rows;
    hab_err_t *e =
        hab_case_rows(s, p, c->id, "adjustments",
                      FIELDS("format", "easy_read", "named_contact", "third_party_name",
                             "third_party_address", "notes", "recorded_by", "recorded_at"),
                      &rows);
    if (e) return e;
    json_t *latest = last_of(rows);
    c->adjustments = latest ? latest : hab_json_own(p, json_null());
    if (latest)
        json_object_set_new(
            latest, "third_party",
            take(latest, FIELDS("third_party_name>name", "third_party_address>address"), 1));
    return NULL;
}

/* The post received under the post queue, oldest first, with each
 * decision once made. */
static hab_err_t *load_correspondence(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    json_t *one;
    hab_err_t *e = hab_case_rows(s, p, c->id, "correspondence",
                                 FIELDS("id>item", "received", "channel", "summary", "recorded_by",
                                        "decision", "reason", "routed_to", "routed_reference",
                                        "decided_by", "decided_at", "letter_number"),
                                 &c->correspondence);
    if (e) return e;
    size_t i;
    json_array_foreach(c->correspondence, i, one) {
        json_t *decision = take(one,
                                FIELDS("decision>decision", "reason>reason", "routed_to>routed_to",
                                       "routed_reference>reference", "decided_by>by",
                                       "decided_at>at", "letter_number>letter"),
                                1);
        if (json_is_null(decision)) continue;
        json_object_set_new(one, "decision", decision);
    }
    return NULL;
}

static hab_err_t *load_lists(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    json_t *rows, *one;
    hab_err_t *e =
        hab_case_rows(s, p, c->id, "case_criteria", FIELDS("criterion", "withdrawn_at"), &rows);
    if (e) return e;
    c->criteria = hab_json_own(p, json_array());
    size_t i;
    json_array_foreach(rows, i, one) {
        /* a criterion withdrawn in error no longer counts (R8): the
         * corrections show it */
        if (S(one, "withdrawn_at")) continue;
        json_array_append(c->criteria, json_object_get(one, "criterion"));
        if (!strcmp(S(one, "criterion"), "violence")) c->violence = 1;
    }
    if ((e = load_copies(s, p, c)) || (e = load_adjustments(s, p, c)) ||
        (e = load_correspondence(s, p, c)))
        return e;
    /* every correction, oldest first: the originals stay in the file */
    if ((e = hab_case_rows(s, p, c->id, "corrections",
                           FIELDS("target", "target_id>id", "item", "old_value", "new_value",
                                  "reason", "corrected_by>by", "corrected_at>at"),
                           &c->corrections)))
        return e;
    /* the files attached (their bytes stay in evidence_chunks) */
    if ((e = hab_case_rows(s, p, c->id, "evidence",
                           FIELDS("id", "contact_id", "description", "filename", "content_type",
                                  "size", "sha256", "uploaded_by", "uploaded_at"),
                           &c->evidence)))
        return e;
    return hab_case_rows(s, p, c->id, "statements",
                         FIELDS("received", "text", "recorded_by", "recorded_at"), &c->statements);
}

static hab_err_t *load_contacts(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    json_t *incidents, *one;
    hab_err_t *e = hab_case_rows(s, p, c->id, "contacts",
                                 FIELDS("id", "at", "channel", "direction", "department", "officer",
                                        "summary", "recorded_by", "recorded_at", "withdrawn_at"),
                                 &c->contacts);
    if (!e)
        e = hab_case_rows(s, p, c->id, "contact_incidents",
                          FIELDS("contact_id", "incident", "withdrawn_at"), &incidents);
    if (e) return e;
    /* each contact's incidents (in force, withdrawn) by its id: a long
     * chronology stays linear */
    apr_hash_t *by_contact = apr_hash_make(p);
    size_t i;
    json_array_foreach(c->contacts, i, one) {
        json_object_set_new(one, "incidents", json_array());
        json_object_set_new(one, "incidents_withdrawn", json_array());
        apr_hash_set(by_contact,
                     apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)int_of(one, "id")),
                     APR_HASH_KEY_STRING, one);
    }
    json_array_foreach(incidents, i, one) {
        json_t *contact = apr_hash_get(
            by_contact,
            apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)int_of(one, "contact_id")),
            APR_HASH_KEY_STRING);
        int withdrawn = S(one, "withdrawn_at") != NULL;
        if (!contact) continue;
        json_array_append(json_object_get(contact, withdrawn ? "incidents_withdrawn" : "incidents"),
                          json_object_get(one, "incident"));
        if (!withdrawn && !strcmp(S(one, "incident"), "violence")) c->violence = 1;
    }
    return NULL;
}

static hab_err_t *load_warning_report(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    json_t *rows, *one;
    hab_err_t *e = hab_case_rows(
        s, p, c->id, "warnings",
        FIELDS("warned_on>on", "method", "text", "warned_by>by", "recorded_at"), &rows);
    if (e) return e;
    c->warning = last_of(rows);
    if (!c->warning) c->warning = hab_json_own(p, json_null());
    e = hab_case_rows(s, p, c->id, "reports",
                      FIELDS("id", "behaviour", "restrictions", "period_months",
                             "alternatives_considered", "severe", "severe_reason",
                             "safeguarding_considered", "safeguarding_adjustments",
                             "police_reference", "asb_unit_consulted", "author", "created_at>at"),
                      &rows);
    if (e) return e;
    c->report = hab_json_own(p, json_null());
    size_t i;
    json_array_foreach(rows, i, one) {
        c->report_id = int_of(one, "id");
        c->report_author = S(one, "author");
        push_involved(c->involved, c->report_author);
        push_involved(c->authors, c->report_author);
        json_object_del(one, "id");
        json_object_set_new(one, "safeguarding",
                            take(one,
                                 FIELDS("safeguarding_considered>considered",
                                        "safeguarding_adjustments>adjustments"),
                                 0));
        c->report = one;
    }
    return NULL;
}

static hab_err_t *load_restrictions(hab_store_t *s, apr_pool_t *p, hab_case_t *c,
                                    const char *today);

/* The latest period: with the stored status, the state as it stands today. */
static hab_err_t *load_period(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    json_t *rows;
    hab_err_t *e = hab_case_rows(s, p, c->id, "periods",
                                 FIELDS("start", "months", "end_date", "review_due",
                                        "review_deadline"),
                                 &rows);
    if (e) return e;
    json_t *latest = last_of(rows);
    c->period = hab_json_own(p, json_null());
    if (latest) {
        c->period_start = S(latest, "start");
        c->period_months = (int)int_of(latest, "months");
        c->period_end = S(latest, "end_date");
        c->review_due = S(latest, "review_due");
        c->review_deadline = S(latest, "review_deadline");
        c->period = hab_json_own(p, json_pack("{s:s, s:s, s:i}", "start", c->period_start,
                                              "end", c->period_end, "months", c->period_months));
    }
    return NULL;
}

static hab_err_t *load_decision_period(hab_store_t *s, apr_pool_t *p, hab_case_t *c,
                                       const char *today)
{
    json_t *rows, *one;
    hab_err_t *e =
        hab_case_rows(s, p, c->id, "decisions",
                      FIELDS("outcome", "decided_by", "acting_as", "deputising", "justified",
                             "proportionate", "reasons", "start", "decided_at>at"),
                      &rows);
    if (e) return e;
    c->decision = hab_json_own(p, json_null());
    size_t i;
    json_array_foreach(rows, i, one) {
        push_involved(c->involved, S(one, "decided_by"));
        push_involved(c->deciders, S(one, "decided_by"));
        c->decision = one;
    }
    e = load_period(s, p, c);
    return e ? e : load_restrictions(s, p, c, today);
}

/* In force today, and decided ones waiting for their start (R9). */
static hab_err_t *load_restrictions(hab_store_t *s, apr_pool_t *p, hab_case_t *c, const char *today)
{
    hab_rows_t *r;
    hab_err_t *e =
        hab_store_q(s, p, &r,
                    "SELECT detail, interim, "
                    "CASE WHEN " HAB_SQL_IN_FORCE(
                        "") " THEN 1 ELSE 0 END, in_force_from "
                            "FROM restrictions WHERE case_id = ? AND lifted_at IS NULL ORDER BY id",
                    "tti", today, today, c->id);
    if (e) return e;
    c->restrictions = hab_json_own(p, json_array());
    c->scheduled = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++) {
        json_t *one = hab_json_stored(T(r, i, 0));
        if (hab_rows_int(r, i, 2)) {
            if (hab_rows_int(r, i, 1)) {
                json_object_set_new(one, "interim", json_true());
                c->interim = 1;
            }
            json_array_append_new(c->restrictions, one);
        } else if (T(r, i, 3) && strcmp(T(r, i, 3), today) > 0) {
            json_object_set_new(one, "from", json_string(T(r, i, 3)));
            json_array_append_new(c->scheduled, one);
        } else {
            json_decref(one); /* an interim one whose time is over */
        }
    }
    return NULL;
}

/* Each parent row (reviews, appeals) with its decision, or null. */
static void attach_decisions(json_t *parents, json_t *decisions, const char *link)
{
    size_t i, j;
    json_t *parent, *d;
    json_array_foreach(parents, i, parent) {
        json_object_set_new(parent, "decision", json_null());
        json_array_foreach(decisions, j, d) {
            if (int_of(d, link) != int_of(parent, "id")) continue;
            json_object_set(parent, "decision", d);
            break;
        }
    }
    json_array_foreach(decisions, j, d) json_object_del(d, link);
}

static hab_err_t *load_reviews_appeals(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    json_t *decisions, *one;
    hab_err_t *e = hab_case_rows(
        s, p, c->id, "reviews",
        FIELDS("id", "recommendation", "report", "monitoring_officer", "author", "created_at>at"),
        &c->reviews);
    if (!e)
        e = hab_case_rows(s, p, c->id, "review_decisions",
                          FIELDS("review_id", "outcome", "reasons", "period_months", "restrictions",
                                 "decided_by", "acting_as", "deputising", "decided_at>at",
                                 "justified", "proportionate"),
                          &decisions);
    if (e) return e;
    attach_decisions(c->reviews, decisions, "review_id");
    size_t i;
    json_array_foreach(c->reviews, i, one) {
        const char *decider = S(json_object_get(one, "decision"), "decided_by");
        push_involved(c->involved, S(one, "monitoring_officer"));
        push_involved(c->involved, S(one, "author"));
        push_involved(c->involved, decider);
        push_involved(c->deciders, decider);
        if (json_is_null(json_object_get(one, "decision"))) {
            c->pending_review_id = int_of(one, "id");
            c->pending_review_mo = S(one, "monitoring_officer");
            c->pending_review_author = S(one, "author");
        }
    }
    e = hab_case_rows(s, p, c->id, "appeals",
                      FIELDS("id", "received", "grounds", "recorded_by", "recorded_at>at"),
                      &c->appeals);
    if (!e)
        e = hab_case_rows(s, p, c->id, "appeal_decisions",
                          FIELDS("appeal_id", "outcome", "reasons", "restrictions", "decided_by",
                                 "decided_at>at", "justified", "proportionate"),
                          &decisions);
    if (e) return e;
    attach_decisions(c->appeals, decisions, "appeal_id");
    json_array_foreach(c->appeals, i, one) {
        push_involved(c->involved, S(json_object_get(one, "decision"), "decided_by"));
        if (json_is_null(json_object_get(one, "decision")))
            c->pending_appeal_id = int_of(one, "id");
    }
    return NULL;
}

static hab_err_t *load_letters_grants(hab_store_t *s, apr_pool_t *p, hab_case_t *c,
                                      const char *today, int letters)
{
    json_t *one;
    hab_err_t *e = NULL;
    if (letters &&
        (e = hab_case_rows(s, p, c->id, "letters",
                           FIELDS("number>id", "kind", "issued_at", "subject", "copied_to"),
                           &c->letters)))
        return e;
    e = hab_case_rows(s, p, c->id, "grants",
                      FIELDS("id", "grantee>user", "team", "reason", "expires", "granted_by",
                             "granted_at", "revoked_at", "revoked_by"),
                      &c->grants);
    if (e) return e;
    size_t i;
    json_array_foreach(c->grants, i, one) {
        const char *expires = S(one, "expires");
        if (S(one, "team")) json_object_set_new(one, "user", json_null());
        json_object_set_new(
            one, "active",
            json_boolean(!S(one, "revoked_at") && expires && strcmp(expires, today) >= 0));
    }
    return NULL;
}

/* ",a,b," holds team? */
static int in_teams(const char *teams, const char *team)
{
    size_t n = strlen(team);
    for (const char *t = teams ? strstr(teams, team) : NULL; t; t = strstr(t + 1, team))
        if (t > teams && t[-1] == ',' && t[n] == ',') return 1;
    return 0;
}

const json_t *hab_case_grant_of(const hab_case_t *c, const char *user, const char *teams)
{
    size_t i; /* "active" was worked out against today when loaded */
    json_t *g, *by_team = NULL;
    json_array_foreach(c->grants, i, g) {
        if (!json_is_true(json_object_get(g, "active"))) continue;
        const char *grantee = json_string_value(json_object_get(g, "user"));
        const char *team = json_string_value(json_object_get(g, "team"));
        if (grantee && !strcmp(grantee, user)) return g; /* the user's own grant first */
        if (team && !by_team && in_teams(teams, team)) by_team = g;
    }
    return by_team;
}

int hab_case_granted(const hab_case_t *c, const char *user, const char *teams)
{
    return hab_case_grant_of(c, user, teams) != NULL;
}

/* A step's load leaves out the chronology and the letters, which no gate or
 * rule reads: only whether violence was ever recorded (R8), asked here. */
static hab_err_t *load_violence_only(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    hab_rows_t *r;
    hab_err_t *e =
        hab_store_q(s, p, &r,
                    /* 1 or 0 on both engines (PostgreSQL's EXISTS is a boolean, "t") */
                    "SELECT CASE WHEN EXISTS (SELECT 1 FROM contact_incidents i JOIN contacts k "
                    "ON k.id = i.contact_id WHERE k.case_id = ? AND i.incident = 'violence' "
                    "AND i.withdrawn_at IS NULL) "
                    "THEN 1 ELSE 0 END",
                    "i", c->id);
    if (e) return e;
    if (hab_rows_int(r, 0, 0)) c->violence = 1;
    c->contacts = hab_json_own(p, json_array());
    c->letters = hab_json_own(p, json_array());
    return NULL;
}

/* An appeal cannot outlive its case (the appeal decision needs an active
 * case): once the case has ended, an appeal still pending reads as closed
 * with it.  A review's removal records this in the same transaction; a
 * lapse, derived from dates, is recorded by `habitual-admin notify`. */
static void withdraw_pending_appeal(hab_case_t *c)
{
    if (!c->pending_appeal_id) return;
    size_t i;
    json_t *a;
    json_array_foreach(c->appeals, i, a) {
        if (json_integer_value(json_object_get(a, "id")) != c->pending_appeal_id) continue;
        json_object_set_new(a, "decision", json_pack("{s:s, s:s, s:n, s:n, s:n}",
                                                     "outcome", "withdrawn-case-ended",
                                                     "reasons", HAB_APPEAL_WITHDRAWN_REASON,
                                                     "restrictions", "decided_by", "at"));
    }
    c->pending_appeal_id = 0;
}

/* Stored persons with the reference the case's person has (as referred, or
 * as linked), other than the one the case is about: what the CEM may link
 * it to.  Case officers only (access.c strips it for everyone else). */
static hab_err_t *load_person_matches(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    hab_rows_t *r;
    hab_err_t *e =
        hab_store_q(s, p, &r,
                    "SELECT p.id, p.name, p.reference, p.address, p.date_of_birth, "
                    "(SELECT count(*) FROM cases k WHERE k.person_id = p.id) FROM persons p "
                    "WHERE p.reference IN (?, ?) AND p.id <> ? AND EXISTS (SELECT 1 FROM cases k "
                    "WHERE k.person_id = p.id) "
                    "ORDER BY p.id LIMIT 20",
                    "tti", hab_j_str(c->referred_person, "reference"),
                    hab_j_str(c->person, "reference"), c->person_id);
    if (e) return e;
    c->person_matches = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(c->person_matches, json_pack(
            "{s:I, s:o, s:o, s:o, s:o, s:I}", "person_id", (json_int_t)hab_rows_int(r, i, 0),
            "name", hab_json_text(T(r, i, 1)), "reference", hab_json_text(T(r, i, 2)),
            "address", hab_json_text(T(r, i, 3)), "date_of_birth", hab_json_text(T(r, i, 4)),
            "cases", (json_int_t)hab_rows_int(r, i, 5)));
    return NULL;
}

/* Who recorded contacts and whom they name as the target: no one of them
 * decides the case (R5), so a step's load asks too. */
static hab_err_t *load_contact_people(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(
        s, p, &r, "SELECT recorded_by, officer FROM contacts WHERE case_id = ?", "i", c->id);
    if (e) return e;
    for (int i = 0; i < r->nrows; i++) {
        push_involved(c->contact_recorders, T(r, i, 0));
        push_involved(c->contact_officers, T(r, i, 1));
    }
    return NULL;
}

static const struct {
    const char *event;
    int day_after;           /* the date column is the last day before the event */
    const char *sql;         /* case id, date, name, reference; one parameter: today */
} derived_events[] = {
    {"lapsed", 1,
     "SELECT c.id, pe.end_date, p.name, p.reference FROM cases c "
     "JOIN persons p ON p.id = c.person_id "
     "JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "
     "WHERE c.status = 'active' AND pe.end_date < ? "
     "AND (pe.review_deadline IS NULL OR pe.review_deadline >= pe.end_date) AND NOT EXISTS (SELECT "
     "1 FROM "
     "notifications n WHERE n.case_id = c.id AND n.event = 'lapsed') ORDER BY pe.end_date, c.id"},
    /* R16: the review not decided by its deadline ends the designation */
    {"review-overdue", 1,
     "SELECT c.id, pe.review_deadline, p.name, p.reference FROM cases c "
     "JOIN persons p ON p.id = c.person_id "
     "JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "
     "WHERE c.status = 'active' AND pe.review_deadline < pe.end_date AND pe.review_deadline < ? "
     "AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.case_id = c.id AND n.event = "
     "'review-overdue' "
     "AND n.created_at > pe.created_at) ORDER BY pe.review_deadline, c.id"},
    {"suspension-ended", 0,
     "SELECT c.id, x.in_force_until, p.name, p.reference FROM cases c JOIN persons p ON p.id = "
     "c.person_id "
     "JOIN restrictions x ON x.case_id = c.id AND x.type = 'suspend-contact' AND x.lifted_at IS "
     "NULL "
     "AND x.in_force_until IS NOT NULL "
     "WHERE c.status = 'active' AND x.in_force_until <= ? AND NOT EXISTS (SELECT 1 FROM "
     "notifications n "
     "WHERE n.case_id = c.id AND n.event = 'suspension-ended' AND n.created_at >= x.created_at) "
     "ORDER BY x.in_force_until, c.id"},
};

hab_err_t *hab_derived_events(hab_store_t *s, apr_pool_t *p, const char *today,
                              apr_array_header_t **out)
{
    *out = apr_array_make(p, 8, sizeof(hab_derived_event_t));
    for (size_t k = 0; k < sizeof(derived_events) / sizeof(derived_events[0]); k++) {
        hab_rows_t *r;
        hab_err_t *e = hab_store_q(s, p, &r, derived_events[k].sql, "t", today);
        if (e) return e;
        for (int i = 0; i < r->nrows; i++) {
            hab_derived_event_t *d = &APR_ARRAY_PUSH(*out, hab_derived_event_t);
            const char *day =
                derived_events[k].day_after ? hab_date_add_days(p, T(r, i, 1), 1) : T(r, i, 1);
            d->case_id = hab_rows_int(r, i, 0);
            d->event = derived_events[k].event;
            d->at = apr_pstrcat(p, day, "T00:00:00Z", NULL);
            d->name = T(r, i, 2);
            d->reference = T(r, i, 3);
        }
    }
    return NULL;
}

hab_err_t *hab_appeal_withdraw_on_end(hab_store_t *s, apr_pool_t *p, long long case_id,
                                      const char *by, const char *at)
{
    return hab_store_q(
        s, p, NULL,
        "INSERT INTO appeal_decisions(appeal_id, outcome, reasons, decided_by, decided_at) "
        "SELECT a.id, 'withdrawn-case-ended', ?, ?, ? FROM appeals a WHERE a.case_id = ? "
        "AND NOT EXISTS (SELECT 1 FROM appeal_decisions d WHERE d.appeal_id = a.id)",
        "ttti", HAB_APPEAL_WITHDRAWN_REASON, by, at, case_id);
}

hab_err_t *hab_case_load(hab_store_t *s, apr_pool_t *p, long long id, const char *today,
                         hab_case_t **out)
{
    return hab_case_load_parts(s, p, id, today, HAB_CASE_WHOLE, out);
}

static void new_lists(apr_pool_t *p, hab_case_t *c)
{
    c->involved = apr_array_make(p, 8, sizeof(const char *));
    c->deciders = apr_array_make(p, 4, sizeof(const char *));
    c->authors = apr_array_make(p, 4, sizeof(const char *));
    c->contact_recorders = apr_array_make(p, 4, sizeof(const char *));
    c->contact_officers = apr_array_make(p, 4, sizeof(const char *));
}

/* Every part after the case's own row: each read asks by the case's id (and
 * today, and the person's reference), never by what another part held. */
static hab_err_t *load_rest(hab_store_t *s, apr_pool_t *p, hab_case_t *c, const char *today,
                            int whole)
{
    hab_err_t *e;
    if ((e = load_lists(s, p, c)) ||
        (e = whole ? load_contacts(s, p, c) : load_violence_only(s, p, c)) ||
        (e = load_warning_report(s, p, c)) || (e = load_decision_period(s, p, c, today)) ||
        (e = load_reviews_appeals(s, p, c)) || (e = load_letters_grants(s, p, c, today, whole)) ||
        (e = load_contact_people(s, p, c)))
        return e;
    c->person_matches = hab_json_own(p, json_array());
    return whole ? load_person_matches(s, p, c) : NULL;
}

/* Where reads cost a round trip (PostgreSQL), the parts' reads go in one:
 * load_rest runs once on a copy to write them down (it then reads nothing
 * and keeps nothing), and they are sent together (hab_store_prefetch_*). */
static hab_err_t *send_ahead(hab_store_t *s, apr_pool_t *p, const hab_case_t *c,
                             const char *today, int whole)
{
    apr_pool_t *scratch;
    if (!hab_store_prefetch_begin(s, p)) return NULL;
    if (apr_pool_create(&scratch, p) != APR_SUCCESS) return hab_err_unavailable(p, "out of memory");
    hab_case_t *copy = apr_pmemdup(scratch, c, sizeof(*c));
    new_lists(scratch, copy);
    (void)load_rest(s, scratch, copy, today, whole);
    apr_pool_destroy(scratch);
    return hab_store_prefetch_send(s, p);
}

hab_err_t *hab_case_load_parts(hab_store_t *s, apr_pool_t *p, long long id, const char *today,
                               hab_case_parts_t parts, hab_case_t **out)
{
    hab_case_t *c = apr_pcalloc(p, sizeof(*c));
    c->id = id;
    new_lists(p, c);
    int found = 0;
    *out = NULL;
    hab_err_t *e = load_core(s, p, c, parts != HAB_CASE_STATE, &found);
    if (e || !found) return e;
    int whole = parts == HAB_CASE_WHOLE;
    if (parts == HAB_CASE_STATE)
        e = load_period(s, p, c);
    else if (!(e = send_ahead(s, p, c, today, whole)))
        e = load_rest(s, p, c, today, whole);
    if (e) return e;
    int overdue;
    const char *last_day = hab_period_last_day(c->period_end, c->review_deadline, &overdue);
    c->status = hab_effective_status(c->stored_status, last_day, today, &c->lapsed);
    if (c->lapsed) {
        /* the period is over, or its review was not decided in time (R16):
         * its restrictions are no longer in force */
        c->end_reason = overdue ? "review-overdue" : "lapsed";
        c->restrictions = hab_json_own(p, json_array());
        c->scheduled = hab_json_own(p, json_array());
    }
    if (strcmp(c->status, "active") != 0) withdraw_pending_appeal(c);
    *out = c;
    return NULL;
}
