/* The post queue (README "The post queue"): letters from a customer whose
 * restrictions close correspondence on a matter, or make contact
 * written-only, are acknowledged but not answered, and each is still read
 * for new issues and safeguarding.  Whoever holds the notice records an
 * item received; the CEM decides each one, with a reason; nothing leaves
 * the queue undecided. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/dates.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/procedure.h"
#include "habitual/domain/rules.h"
#include "habitual/base/validate.h"
#include "domain/steps.h"

#define T(r, i, c) hab_rows_text(r, i, c)

static const char *const post_channels[] = {"letter", "email", "online", "fax", "in-person", NULL};
static const char *const triage_decisions[] = {"acknowledge-only", "new-issue", "safeguarding",
                                               NULL};

/* ---- an item received ---- */

static const hab_field_t f_item[] = {
    {"received", HAB_F_DATE, 1, 0, 0, NULL, NULL},
    {"channel", HAB_F_ENUM, 1, 0, 0, post_channels, NULL},
    {"summary", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {NULL}};

hab_err_t *hab_step_record_correspondence(hab_ctx_t *ctx, const hab_request_in_t *in,
                                          hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_CORRESPONDENCE_ADD, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_item, ""))) return e;
    if (strcmp(hab_j_str(b, "received"), ctx->today) > 0)
        return hab_err_field(ctx->p, 400, "invalid-field", "received",
                             "The date received cannot be in the future.");
    hab_rows_t *r;
    if ((e = hab_store_q(ctx->store, ctx->p, &r,
                         "INSERT INTO correspondence(case_id, received, channel, summary, "
                         "recorded_by, recorded_at) "
                         "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                         "itttt"
                         "t",
                         c->id, hab_j_str(b, "received"), hab_j_str(b, "channel"),
                         hab_j_str(b, "summary"), ctx->user, ctx->now)))
        return e;
    /* the case's id and status, as the chronology answers: nothing more of the file */
    hab_step_answer(ctx, out, 201, c->id, c->status);
    json_object_set_new(out->body, "item", json_integer(hab_rows_int(r, 0, 0)));
    return NULL;
}

/* ---- the CEM's decision ---- */

static const hab_field_t f_decision[] = {
    {"item", HAB_F_INT, 1, 1, 9007199254740991L, NULL, NULL},
    {"decision", HAB_F_ENUM, 1, 0, 0, triage_decisions, NULL},
    {"reason", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {"routed_to", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"reference", HAB_F_TEXT, 0, 0, 64, NULL, NULL},
    {NULL}};

/* acknowledge-only: the council's standard acknowledgement, complete (R11) */
static hab_err_t *acknowledge(hab_ctx_t *ctx, const hab_case_t *c, const hab_rows_t *item,
                              long long *number)
{
    hab_letter_facts_t f = hab_letter_facts(ctx, "Customer Experience Manager");
    f.received_on = T(item, 0, 0);
    f.received_channel = T(item, 0, 1);
    hab_rows_t *r;
    hab_err_t *e = hab_issue_letter(ctx, c->id, hab_letter_acknowledgement(ctx->p, c, &f),
                                    hab_letter_required_parts_acknowledgement);
    if (!e)
        e = hab_store_q(ctx->store, ctx->p, &r, "SELECT max(number) FROM letters WHERE case_id = ?",
                        "i", c->id);
    if (!e) *number = hab_rows_int(r, 0, 0);
    return e;
}

hab_err_t *hab_step_triage_decide(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_TRIAGE_DECIDE, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_decision, ""))) return e;
    const char *decision = hab_j_str(b, "decision");
    long long item = hab_j_int(b, "item", 0), letter = 0;
    hab_rows_t *r;
    if ((e = hab_store_q(ctx->store, ctx->p, &r,
                         "SELECT received, channel FROM correspondence WHERE id = ? "
                         "AND case_id = ? AND decided_at IS NULL",
                         "ii", item, c->id)))
        return e;
    if (!r->nrows)
        return hab_err_field(ctx->p, 422, "unknown-entry", "item",
                             "No item of this case's post awaits a decision "
                             "with that number.");
    /* a new issue goes somewhere: which service, under what reference */
    if (!strcmp(decision, "new-issue") && hab_blank(hab_j_str(b, "routed_to")))
        return hab_err_field(ctx->p, 422, "missing-field", "routed_to",
                             "Say which service the new issue was passed to.");
    if (!strcmp(decision, "acknowledge-only") && (e = acknowledge(ctx, c, r, &letter))) return e;
    if ((e = hab_store_q(ctx->store, ctx->p, NULL,
                         "UPDATE correspondence SET decision = ?, reason = ?, routed_to = ?, "
                         "routed_reference = ?, "
                         "decided_by = ?, decided_at = ?, letter_number = ? WHERE id = ?",
                         "tttttt"
                         "Ii",
                         decision, hab_j_str(b, "reason"), hab_j_str(b, "routed_to"),
                         hab_j_str(b, "reference"), ctx->user, ctx->now, letter, item)))
        return e;
    hab_step_answer(ctx, out, 200, c->id, c->status);
    return NULL;
}

/* ---- the triage queue ---- */

hab_err_t *hab_read_triage(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    (void)in;
    if (!(ctx->roles & HAB_ROLE_CEM))
        return hab_err_forbidden(ctx->p, "Only the customer experience manager triages the post.");
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(
        ctx->store, ctx->p, &r,
        "SELECT q.id, q.case_id, q.received, q.channel, q.summary, q.recorded_by, p.name "
        "FROM correspondence q JOIN cases c ON c.id = q.case_id "
        "JOIN persons p ON p.id = c.person_id WHERE q.decided_at IS NULL "
        "ORDER BY q.received, q.id",
        "");
    if (e) return e;
    int limit = ctx->triage_days > 0 ? ctx->triage_days : HAB_TRIAGE_DAYS_DEFAULT;
    json_t *items = json_array();
    for (int i = 0; i < r->nrows; i++) {
        long waited = hab_date_working_days_between(T(r, i, 2), ctx->today);
        hab_ctx_shown(ctx, hab_rows_int(r, i, 1));
        json_array_append_new(
            items, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:{s:o}, s:I, s:b}", "item",
                             (json_int_t)hab_rows_int(r, i, 0), "case_id",
                             (json_int_t)hab_rows_int(r, i, 1), "received", T(r, i, 2), "channel",
                             T(r, i, 3), "summary", T(r, i, 4), "recorded_by", T(r, i, 5), "person",
                             "name", hab_json_text(T(r, i, 6)), "working_days_waited",
                             (json_int_t)waited, "over_limit", waited > limit));
    }
    out->status = 200;
    out->body =
        hab_json_own(ctx->p, json_pack("{s:o, s:i}", "items", items, "limit_working_days", limit));
    return NULL;
}
