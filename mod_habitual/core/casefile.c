/* Loading a whole case from the store into hab_case_t. */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "habitual/casefile.h"
#include "habitual/dates.h"
#include "habitual/json_io.h"
#include "habitual/rules.h"
#include "habitual/validate.h"

#define T(rows, r, c) hab_rows_text(rows, r, c)

const char *hab_period_last_day(const char *end_date, const char *review_deadline, int *review_overdue)
{
    int overdue = end_date && review_deadline && strcmp(review_deadline, end_date) < 0;
    if (review_overdue) *review_overdue = overdue;
    return overdue ? review_deadline : end_date;
}

const char *hab_effective_status(const char *stored, const char *period_end, const char *today,
                                 int *lapsed)
{
    *lapsed = hab_rule_r9_lapsed(stored, period_end, today);
    return *lapsed ? "ended" : stored;
}

static json_t *name_address(const char *name, const char *address)
{
    if (!name) return json_null();
    return json_pack("{s:o, s:o}", "name", hab_json_text(name), "address", hab_json_text(address));
}

static json_t *person_at(apr_pool_t *p, const hab_rows_t *r, int col)
{
    return hab_json_own(p, json_pack("{s:o, s:o, s:o, s:o}", "name", hab_json_text(T(r, 0, col)),
                                     "reference", hab_json_text(T(r, 0, col + 1)),
                                     "address", hab_json_text(T(r, 0, col + 2)),
                                     "date_of_birth", hab_json_text(T(r, 0, col + 3))));
}

static void push_involved(apr_array_header_t *a, const char *user)
{
    if (user) APR_ARRAY_PUSH(a, const char *) = user;
}

static hab_err_t *load_core(hab_store_t *s, apr_pool_t *p, hab_case_t *c, int *found)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(
        s, p, &r,
        "SELECT c.status, c.end_reason, c.referred_by, c.referred_at, c.department, c.summary, "
        "c.measures_taken, c.complaints_procedure, c.vulnerable, c.vulnerability, "
        "c.representative_name, c.representative_address, c.advocate_name, c.advocate_address, "
        "c.action_without_notice, c.legal_hold_reason, c.legal_hold_by, c.legal_hold_at, "
        "c.updated_at, p.name, p.reference, p.address, p.date_of_birth, "
        "q.name, q.reference, q.address, q.date_of_birth, c.person_id, c.referred_person_id, "
        "c.person_linked_by, c.person_linked_at "
        "FROM cases c JOIN persons p ON p.id = c.person_id "
        "LEFT JOIN persons q ON q.id = coalesce(c.referred_person_id, c.person_id) WHERE c.id = ?",
        "i", c->id);
    if (e) return e;
    *found = r->nrows == 1;
    if (!*found) return NULL;
    c->stored_status = T(r, 0, 0);
    c->end_reason = T(r, 0, 1);
    c->referred_by = T(r, 0, 2);
    c->referred_at = T(r, 0, 3);
    c->department = T(r, 0, 4);
    c->summary = T(r, 0, 5);
    c->measures_taken = T(r, 0, 6);
    c->complaints_procedure = T(r, 0, 7);
    c->vulnerable = hab_rows_int(r, 0, 8) != 0;
    c->vulnerability = T(r, 0, 9);
    c->representative = hab_json_own(p, name_address(T(r, 0, 10), T(r, 0, 11)));
    c->advocate = hab_json_own(p, name_address(T(r, 0, 12), T(r, 0, 13)));
    c->action_without_notice = hab_rows_int(r, 0, 14) != 0;
    c->legal_hold = hab_json_own(p, T(r, 0, 15)
        ? json_pack("{s:o, s:o, s:o}", "reason", hab_json_text(T(r, 0, 15)),
                    "by", hab_json_text(T(r, 0, 16)), "at", hab_json_text(T(r, 0, 17)))
        : json_null());
    c->updated_at = T(r, 0, 18);
    c->person = person_at(p, r, 19);
    c->referred_person = person_at(p, r, 23);
    c->person_id = hab_rows_int(r, 0, 27);
    c->referred_person_id = T(r, 0, 28) ? hab_rows_int(r, 0, 28) : c->person_id;
    c->person_link = hab_json_own(p, T(r, 0, 29)
        ? json_pack("{s:o, s:o}", "by", hab_json_text(T(r, 0, 29)), "at", hab_json_text(T(r, 0, 30)))
        : json_null());
    push_involved(c->involved, c->referred_by);
    push_involved(c->authors, c->referred_by);
    return NULL;
}

/* The copy list as it stands (letters use it) and the recipients removed,
 * with who removed them and why. */
static hab_err_t *load_copies(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(s, p, &r, "SELECT id, name, role, address, added_by, added_at, removed_at, "
                               "removed_by, removed_reason FROM copy_recipients WHERE case_id = ? "
                               "ORDER BY position, id", "i", c->id);
    if (e) return e;
    c->copy_to = hab_json_own(p, json_array());
    c->copies_removed = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++) {
        json_t *one = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)hab_rows_int(r, i, 0),
                                "name", hab_json_text(T(r, i, 1)), "role", hab_json_text(T(r, i, 2)),
                                "address", hab_json_text(T(r, i, 3)), "added_by", hab_json_text(T(r, i, 4)),
                                "added_at", hab_json_text(T(r, i, 5)));
        if (T(r, i, 6)) {
            json_object_set_new(one, "removed", json_pack("{s:s, s:o, s:o}", "at", T(r, i, 6),
                                                          "by", hab_json_text(T(r, i, 7)),
                                                          "reason", hab_json_text(T(r, i, 8))));
            json_array_append_new(c->copies_removed, one);
        } else {
            json_array_append_new(c->copy_to, one);
        }
    }
    return NULL;
}

/* Every correction, oldest first: what was changed or withdrawn, by whom,
 * when and why (the originals stay in the file). */
static hab_err_t *load_corrections(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(s, p, &r, "SELECT target, target_id, item, old_value, new_value, reason, "
                               "corrected_by, corrected_at FROM corrections WHERE case_id = ? ORDER BY id",
                               "i", c->id);
    if (e) return e;
    c->corrections = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(c->corrections, json_pack(
            "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "target", hab_json_text(T(r, i, 0)),
            "id", T(r, i, 1) ? json_integer(hab_rows_int(r, i, 1)) : json_null(),
            "item", hab_json_text(T(r, i, 2)), "old_value", hab_json_text(T(r, i, 3)),
            "new_value", hab_json_text(T(r, i, 4)), "reason", hab_json_text(T(r, i, 5)),
            "by", hab_json_text(T(r, i, 6)), "at", hab_json_text(T(r, i, 7))));
    return NULL;
}

/* The reasonable adjustments in force: the latest recorded. */
static hab_err_t *load_adjustments(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(s, p, &r, "SELECT format, easy_read, named_contact, third_party_name, "
                               "third_party_address, notes, recorded_by, recorded_at FROM adjustments "
                               "WHERE case_id = ? ORDER BY id DESC LIMIT 1", "i", c->id);
    if (e) return e;
    c->adjustments = hab_json_own(p, r->nrows
        ? json_pack("{s:o, s:b, s:o, s:o, s:o, s:o, s:o}", "format", hab_json_text(T(r, 0, 0)),
                    "easy_read", (int)hab_rows_int(r, 0, 1), "named_contact", hab_json_text(T(r, 0, 2)),
                    "third_party", T(r, 0, 3) ? json_pack("{s:s, s:o}", "name", T(r, 0, 3), "address",
                                                          hab_json_text(T(r, 0, 4))) : json_null(),
                    "notes", hab_json_text(T(r, 0, 5)), "recorded_by", hab_json_text(T(r, 0, 6)),
                    "recorded_at", hab_json_text(T(r, 0, 7)))
        : json_null());
    return NULL;
}

/* The post received under the post queue, oldest first, with each
 * decision once made. */
static hab_err_t *load_correspondence(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(s, p, &r, "SELECT id, received, channel, summary, recorded_by, decision, reason, "
                               "routed_to, routed_reference, decided_by, decided_at, letter_number "
                               "FROM correspondence WHERE case_id = ? ORDER BY received, id", "i", c->id);
    if (e) return e;
    c->correspondence = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++) {
        json_t *one = json_pack("{s:I, s:o, s:o, s:o, s:o}", "item", (json_int_t)hab_rows_int(r, i, 0),
                                "received", hab_json_text(T(r, i, 1)), "channel", hab_json_text(T(r, i, 2)),
                                "summary", hab_json_text(T(r, i, 3)), "recorded_by", hab_json_text(T(r, i, 4)));
        if (T(r, i, 5))
            json_object_set_new(one, "decision", json_pack(
                "{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "decision", T(r, i, 5), "reason", hab_json_text(T(r, i, 6)),
                "routed_to", hab_json_text(T(r, i, 7)), "reference", hab_json_text(T(r, i, 8)),
                "by", hab_json_text(T(r, i, 9)), "at", hab_json_text(T(r, i, 10)),
                "letter", T(r, i, 11) ? json_integer(hab_rows_int(r, i, 11)) : json_null()));
        json_array_append_new(c->correspondence, one);
    }
    return NULL;
}

/* The files attached, oldest first (their bytes stay in evidence_chunks). */
static hab_err_t *load_evidence(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(s, p, &r, "SELECT id, contact_id, description, filename, content_type, size, sha256, "
                               "uploaded_by, uploaded_at FROM evidence WHERE case_id = ? ORDER BY id", "i", c->id);
    if (e) return e;
    c->evidence = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(c->evidence, json_pack(
            "{s:I, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o}", "id", (json_int_t)hab_rows_int(r, i, 0),
            "contact_id", T(r, i, 1) ? json_integer(hab_rows_int(r, i, 1)) : json_null(),
            "description", hab_json_text(T(r, i, 2)), "filename", hab_json_text(T(r, i, 3)),
            "content_type", hab_json_text(T(r, i, 4)), "size", (json_int_t)hab_rows_int(r, i, 5),
            "sha256", hab_json_text(T(r, i, 6)), "uploaded_by", hab_json_text(T(r, i, 7)),
            "uploaded_at", hab_json_text(T(r, i, 8))));
    return NULL;
}

static hab_err_t *load_lists(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    hab_rows_t *r;
    /* a criterion withdrawn in error no longer counts (R8): the
     * corrections show it */
    hab_err_t *e = hab_store_q(s, p, &r, "SELECT criterion FROM case_criteria WHERE case_id = ? "
                               "AND withdrawn_at IS NULL ORDER BY criterion", "i", c->id);
    if (e) return e;
    c->criteria = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++) {
        json_array_append_new(c->criteria, hab_json_text(T(r, i, 0)));
        if (!strcmp(T(r, i, 0), "violence")) c->violence = 1;
    }
    if ((e = load_copies(s, p, c)) || (e = load_corrections(s, p, c)) || (e = load_adjustments(s, p, c)) ||
        (e = load_correspondence(s, p, c)) || (e = load_evidence(s, p, c)))
        return e;
    e = hab_store_q(s, p, &r, "SELECT received, text, recorded_by, recorded_at FROM statements "
                    "WHERE case_id = ? ORDER BY id", "i", c->id);
    if (e) return e;
    c->statements = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(c->statements, json_pack("{s:o, s:o, s:o, s:o}",
                                                       "received", hab_json_text(T(r, i, 0)),
                                                       "text", hab_json_text(T(r, i, 1)),
                                                       "recorded_by", hab_json_text(T(r, i, 2)),
                                                       "recorded_at", hab_json_text(T(r, i, 3))));
    return NULL;
}

static hab_err_t *load_contacts(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    hab_rows_t *r, *inc;
    hab_err_t *e = hab_store_q(s, p, &r,
                               "SELECT id, at, channel, direction, department, officer, summary, "
                               "recorded_by, recorded_at, withdrawn_at FROM contacts WHERE case_id = ? "
                               "ORDER BY at, id", "i", c->id);
    if (!e)
        e = hab_store_q(s, p, &inc,
                        "SELECT i.contact_id, i.incident, i.withdrawn_at FROM contact_incidents i "
                        "JOIN contacts k ON k.id = i.contact_id WHERE k.case_id = ? "
                        "ORDER BY i.contact_id, i.incident", "i", c->id);
    if (e) return e;
    /* each contact's incidents (in force, withdrawn) by its id: a long
     * chronology stays linear */
    apr_hash_t *by_contact = apr_hash_make(p);
    for (int k = 0; k < inc->nrows; k++) {
        json_t *lists = apr_hash_get(by_contact, T(inc, k, 0), APR_HASH_KEY_STRING);
        if (!lists) {
            lists = hab_json_own(p, json_pack("{s:[], s:[]}", "incidents", "incidents_withdrawn"));
            apr_hash_set(by_contact, T(inc, k, 0), APR_HASH_KEY_STRING, lists);
        }
        int withdrawn = T(inc, k, 2) != NULL;
        json_array_append_new(json_object_get(lists, withdrawn ? "incidents_withdrawn" : "incidents"),
                              hab_json_text(T(inc, k, 1)));
        if (!withdrawn && !strcmp(T(inc, k, 1), "violence")) c->violence = 1;
    }
    c->contacts = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++) {
        json_t *lists = apr_hash_get(by_contact, T(r, i, 0), APR_HASH_KEY_STRING);
        json_t *contact = json_pack(
            "{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)hab_rows_int(r, i, 0),
            "at", hab_json_text(T(r, i, 1)), "channel", hab_json_text(T(r, i, 2)),
            "direction", hab_json_text(T(r, i, 3)), "department", hab_json_text(T(r, i, 4)),
            "officer", hab_json_text(T(r, i, 5)), "summary", hab_json_text(T(r, i, 6)),
            "incidents", lists ? json_incref(json_object_get(lists, "incidents")) : json_array(),
            "incidents_withdrawn", lists ? json_incref(json_object_get(lists, "incidents_withdrawn")) : json_array(),
            "recorded_by", hab_json_text(T(r, i, 7)), "recorded_at", hab_json_text(T(r, i, 8)),
            "withdrawn_at", hab_json_text(T(r, i, 9)));
        json_array_append_new(c->contacts, contact);
    }
    return NULL;
}

static hab_err_t *load_warning_report(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(s, p, &r, "SELECT warned_on, method, text, warned_by, recorded_at "
                               "FROM warnings WHERE case_id = ? ORDER BY id DESC LIMIT 1", "i", c->id);
    if (e) return e;
    c->warning = hab_json_own(p, r->nrows
        ? json_pack("{s:o, s:o, s:o, s:o, s:o}", "on", hab_json_text(T(r, 0, 0)),
                    "method", hab_json_text(T(r, 0, 1)), "text", hab_json_text(T(r, 0, 2)),
                    "by", hab_json_text(T(r, 0, 3)), "recorded_at", hab_json_text(T(r, 0, 4)))
        : json_null());
    e = hab_store_q(s, p, &r,
                    "SELECT id, behaviour, restrictions, period_months, alternatives_considered, "
                    "severe, severe_reason, safeguarding_considered, safeguarding_adjustments, "
                    "police_reference, asb_unit_consulted, author, created_at FROM reports "
                    "WHERE case_id = ? ORDER BY id", "i", c->id);
    if (e) return e;
    c->report = hab_json_own(p, json_null());
    for (int i = 0; i < r->nrows; i++) {
        push_involved(c->involved, T(r, i, 11));
        push_involved(c->authors, T(r, i, 11));
        c->report_id = hab_rows_int(r, i, 0);
        c->report_author = T(r, i, 11);
        c->report = hab_json_own(p, json_pack(
            "{s:o, s:o, s:I, s:o, s:o, s:o, s:{s:o, s:o}, s:o, s:o, s:o, s:o}",
            "behaviour", hab_json_text(T(r, i, 1)), "restrictions", hab_json_stored(T(r, i, 2)),
            "period_months", (json_int_t)hab_rows_int(r, i, 3),
            "alternatives_considered", hab_json_text(T(r, i, 4)),
            "severe", hab_json_flag(T(r, i, 5)), "severe_reason", hab_json_text(T(r, i, 6)),
            "safeguarding", "considered", hab_json_flag(T(r, i, 7)),
            "adjustments", hab_json_text(T(r, i, 8)),
            "police_reference", hab_json_text(T(r, i, 9)),
            "asb_unit_consulted", hab_json_flag(T(r, i, 10)),
            "author", hab_json_text(T(r, i, 11)), "at", hab_json_text(T(r, i, 12))));
    }
    return NULL;
}

static hab_err_t *load_restrictions(hab_store_t *s, apr_pool_t *p, hab_case_t *c, const char *today);

static hab_err_t *load_decision_period(hab_store_t *s, apr_pool_t *p, hab_case_t *c, const char *today)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(s, p, &r,
                               "SELECT outcome, justified, proportionate, reasons, start, decided_by, "
                               "acting_as, deputising, decided_at FROM decisions WHERE case_id = ? "
                               "ORDER BY id", "i", c->id);
    if (e) return e;
    c->decision = hab_json_own(p, json_null());
    for (int i = 0; i < r->nrows; i++) {
        push_involved(c->involved, T(r, i, 5));
        APR_ARRAY_PUSH(c->deciders, const char *) = T(r, i, 5);
        c->decision = hab_json_own(p, json_pack(
            "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "outcome", hab_json_text(T(r, i, 0)),
            "decided_by", hab_json_text(T(r, i, 5)), "acting_as", hab_json_text(T(r, i, 6)),
            "deputising", hab_json_flag(T(r, i, 7)), "justified", hab_json_flag(T(r, i, 1)),
            "proportionate", hab_json_flag(T(r, i, 2)), "reasons", hab_json_text(T(r, i, 3)),
            "start", hab_json_text(T(r, i, 4)), "at", hab_json_text(T(r, i, 8))));
    }
    e = hab_store_q(s, p, &r, "SELECT start, months, end_date, review_due, review_deadline FROM periods "
                    "WHERE case_id = ? ORDER BY id DESC LIMIT 1", "i", c->id);
    if (e) return e;
    c->period = hab_json_own(p, json_null());
    if (r->nrows) {
        c->period_start = T(r, 0, 0);
        c->period_months = (int)hab_rows_int(r, 0, 1);
        c->period_end = T(r, 0, 2);
        c->review_due = T(r, 0, 3);
        c->review_deadline = T(r, 0, 4);
        c->period = hab_json_own(p, json_pack("{s:s, s:s, s:i}", "start", c->period_start,
                                              "end", c->period_end, "months", c->period_months));
    }
    return load_restrictions(s, p, c, today);
}

/* In force today, and decided ones waiting for their start (R9). */
static hab_err_t *load_restrictions(hab_store_t *s, apr_pool_t *p, hab_case_t *c, const char *today)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(s, p, &r, "SELECT detail, interim, "
                               "CASE WHEN " HAB_SQL_IN_FORCE("") " THEN 1 ELSE 0 END, in_force_from "
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

static json_t *decision_part(const hab_rows_t *r, int i, int first, int count, const char **names)
{
    if (!T(r, i, first)) return json_null();
    json_t *d = json_object();
    for (int k = 0; k < count; k++) {
        const char *v = T(r, i, first + k);
        json_t *val;
        if (!strcmp(names[k], "deputising") || !strcmp(names[k], "justified") ||
            !strcmp(names[k], "proportionate"))
            val = hab_json_flag(v);
        else if (!strcmp(names[k], "restrictions")) val = hab_json_stored(v);
        else if (!strcmp(names[k], "period_months")) val = v ? json_integer(hab_rows_int(r, i, first + k)) : json_null();
        else val = hab_json_text(v);
        json_object_set_new(d, names[k], val);
    }
    return d;
}

static hab_err_t *load_reviews_appeals(hab_store_t *s, apr_pool_t *p, hab_case_t *c)
{
    static const char *review_decision[] = {"outcome", "reasons", "period_months", "restrictions",
                                            "decided_by", "acting_as", "deputising", "at",
                                            "justified", "proportionate"};
    static const char *appeal_decision[] = {"outcome", "reasons", "restrictions", "decided_by", "at",
                                            "justified", "proportionate"};
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(
        s, p, &r,
        "SELECT r.id, r.recommendation, r.report, r.monitoring_officer, r.author, r.created_at, "
        "d.outcome, d.reasons, d.period_months, d.restrictions, d.decided_by, d.acting_as, "
        "d.deputising, d.decided_at, d.justified, d.proportionate "
        "FROM reviews r LEFT JOIN review_decisions d ON d.review_id = r.id "
        "WHERE r.case_id = ? ORDER BY r.id", "i", c->id);
    if (e) return e;
    c->reviews = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++) {
        push_involved(c->involved, T(r, i, 3));
        push_involved(c->involved, T(r, i, 4));
        push_involved(c->involved, T(r, i, 10));
        if (T(r, i, 10)) APR_ARRAY_PUSH(c->deciders, const char *) = T(r, i, 10);
        if (!T(r, i, 6)) {
            c->pending_review_id = hab_rows_int(r, i, 0);
            c->pending_review_mo = T(r, i, 3);
            c->pending_review_author = T(r, i, 4);
        }
        json_array_append_new(c->reviews, json_pack(
            "{s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)hab_rows_int(r, i, 0),
            "recommendation", hab_json_text(T(r, i, 1)), "report", hab_json_text(T(r, i, 2)),
            "monitoring_officer", hab_json_text(T(r, i, 3)), "author", hab_json_text(T(r, i, 4)),
            "at", hab_json_text(T(r, i, 5)), "decision", decision_part(r, i, 6, 10, review_decision)));
    }
    e = hab_store_q(s, p, &r,
                    "SELECT a.id, a.received, a.grounds, a.recorded_by, a.recorded_at, d.outcome, "
                    "d.reasons, d.restrictions, d.decided_by, d.decided_at, d.justified, d.proportionate "
                    "FROM appeals a "
                    "LEFT JOIN appeal_decisions d ON d.appeal_id = a.id WHERE a.case_id = ? "
                    "ORDER BY a.id", "i", c->id);
    if (e) return e;
    c->appeals = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++) {
        push_involved(c->involved, T(r, i, 8));
        if (!T(r, i, 5)) c->pending_appeal_id = hab_rows_int(r, i, 0);
        json_array_append_new(c->appeals, json_pack(
            "{s:I, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)hab_rows_int(r, i, 0),
            "received", hab_json_text(T(r, i, 1)), "grounds", hab_json_text(T(r, i, 2)),
            "recorded_by", hab_json_text(T(r, i, 3)), "at", hab_json_text(T(r, i, 4)),
            "decision", decision_part(r, i, 5, 7, appeal_decision)));
    }
    return NULL;
}

static hab_err_t *load_letters_grants(hab_store_t *s, apr_pool_t *p, hab_case_t *c, const char *today,
                                     int letters)
{
    hab_rows_t *r;
    hab_err_t *e = NULL;
    if (letters) {
        e = hab_store_q(s, p, &r, "SELECT number, kind, issued_at, subject, copied_to "
                        "FROM letters WHERE case_id = ? ORDER BY number", "i", c->id);
        if (e) return e;
        c->letters = hab_json_own(p, json_array());
    }
    for (int i = 0; letters && i < r->nrows; i++)
        json_array_append_new(c->letters, json_pack(
            "{s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)hab_rows_int(r, i, 0),
            "kind", hab_json_text(T(r, i, 1)), "issued_at", hab_json_text(T(r, i, 2)),
            "subject", hab_json_text(T(r, i, 3)), "copied_to", hab_json_stored(T(r, i, 4))));
    e = hab_store_q(s, p, &r, "SELECT grantee, reason, expires, granted_by, granted_at, revoked_at, "
                    "revoked_by, id, team FROM grants WHERE case_id = ? ORDER BY id", "i", c->id);
    if (e) return e;
    c->grants = hab_json_own(p, json_array());
    for (int i = 0; i < r->nrows; i++) {
        int active = !T(r, i, 5) && strcmp(T(r, i, 2), today) >= 0;
        json_array_append_new(c->grants, json_pack(
            "{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "id", (json_int_t)hab_rows_int(r, i, 7),
            "user", T(r, i, 8) ? json_null() : hab_json_text(T(r, i, 0)), "team", hab_json_text(T(r, i, 8)),
            "reason", hab_json_text(T(r, i, 1)), "expires", hab_json_text(T(r, i, 2)),
            "granted_by", hab_json_text(T(r, i, 3)), "granted_at", hab_json_text(T(r, i, 4)),
            "revoked_at", hab_json_text(T(r, i, 5)), "revoked_by", hab_json_text(T(r, i, 6)),
            "active", active));
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
    hab_err_t *e = hab_store_q(s, p, &r,
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
    hab_err_t *e = hab_store_q(
        s, p, &r,
        "SELECT p.id, p.name, p.reference, p.address, p.date_of_birth, "
        "(SELECT count(*) FROM cases k WHERE k.person_id = p.id) FROM persons p "
        "WHERE p.reference IN (?, ?) AND p.id <> ? AND EXISTS (SELECT 1 FROM cases k WHERE k.person_id = p.id) "
        "ORDER BY p.id LIMIT 20", "tti", hab_j_str(c->referred_person, "reference"),
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
    hab_err_t *e = hab_store_q(s, p, &r, "SELECT DISTINCT recorded_by, officer FROM contacts WHERE case_id = ?",
                               "i", c->id);
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
     "AND (pe.review_deadline IS NULL OR pe.review_deadline >= pe.end_date) AND NOT EXISTS (SELECT 1 FROM "
     "notifications n WHERE n.case_id = c.id AND n.event = 'lapsed') ORDER BY pe.end_date, c.id"},
    /* R16: the review not decided by its deadline ends the designation */
    {"review-overdue", 1,
     "SELECT c.id, pe.review_deadline, p.name, p.reference FROM cases c "
     "JOIN persons p ON p.id = c.person_id "
     "JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "
     "WHERE c.status = 'active' AND pe.review_deadline < pe.end_date AND pe.review_deadline < ? "
     "AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.case_id = c.id AND n.event = 'review-overdue' "
     "AND n.created_at > pe.created_at) ORDER BY pe.review_deadline, c.id"},
    {"suspension-ended", 0,
     "SELECT c.id, x.in_force_until, p.name, p.reference FROM cases c JOIN persons p ON p.id = c.person_id "
     "JOIN restrictions x ON x.case_id = c.id AND x.type = 'suspend-contact' AND x.lifted_at IS NULL "
     "AND x.in_force_until IS NOT NULL "
     "WHERE c.status = 'active' AND x.in_force_until <= ? AND NOT EXISTS (SELECT 1 FROM notifications n "
     "WHERE n.case_id = c.id AND n.event = 'suspension-ended' AND n.created_at >= x.created_at) "
     "ORDER BY x.in_force_until, c.id"},
};

hab_err_t *hab_derived_events(hab_store_t *s, apr_pool_t *p, const char *today, apr_array_header_t **out)
{
    *out = apr_array_make(p, 8, sizeof(hab_derived_event_t));
    for (size_t k = 0; k < sizeof(derived_events) / sizeof(derived_events[0]); k++) {
        hab_rows_t *r;
        hab_err_t *e = hab_store_q(s, p, &r, derived_events[k].sql, "t", today);
        if (e) return e;
        for (int i = 0; i < r->nrows; i++) {
            hab_derived_event_t *d = &APR_ARRAY_PUSH(*out, hab_derived_event_t);
            const char *day = derived_events[k].day_after ? hab_date_add_days(p, T(r, i, 1), 1) : T(r, i, 1);
            d->case_id = hab_rows_int(r, i, 0);
            d->event = derived_events[k].event;
            d->at = apr_pstrcat(p, day, "T00:00:00Z", NULL);
            d->name = T(r, i, 2);
            d->reference = T(r, i, 3);
        }
    }
    return NULL;
}

hab_err_t *hab_appeal_withdraw_on_end(hab_store_t *s, apr_pool_t *p, long long case_id, const char *by,
                                      const char *at)
{
    return hab_store_q(s, p, NULL,
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

hab_err_t *hab_case_load_parts(hab_store_t *s, apr_pool_t *p, long long id, const char *today,
                               hab_case_parts_t parts, hab_case_t **out)
{
    hab_case_t *c = apr_pcalloc(p, sizeof(*c));
    c->id = id;
    c->involved = apr_array_make(p, 8, sizeof(const char *));
    c->deciders = apr_array_make(p, 4, sizeof(const char *));
    c->authors = apr_array_make(p, 4, sizeof(const char *));
    c->contact_recorders = apr_array_make(p, 4, sizeof(const char *));
    c->contact_officers = apr_array_make(p, 4, sizeof(const char *));
    int found = 0;
    *out = NULL;
    hab_err_t *e = load_core(s, p, c, &found);
    if (e || !found) return e;
    int whole = parts == HAB_CASE_WHOLE;
    if ((e = load_lists(s, p, c)) || (e = whole ? load_contacts(s, p, c) : load_violence_only(s, p, c)) ||
        (e = load_warning_report(s, p, c)) || (e = load_decision_period(s, p, c, today)) ||
        (e = load_reviews_appeals(s, p, c)) || (e = load_letters_grants(s, p, c, today, whole)) ||
        (e = load_contact_people(s, p, c)))
        return e;
    c->person_matches = hab_json_own(p, json_array());
    if (whole && (e = load_person_matches(s, p, c))) return e;
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
