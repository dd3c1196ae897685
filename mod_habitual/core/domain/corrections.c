/* Records that stay true (README "Corrections and copies"): the CEM corrects
 * the person's details and withdraws a contact, an incident or a criterion
 * entered in error, each with its reason, the original kept and shown; and
 * adds or removes the people letters are copied to.  Issued letters never
 * change (R11); letters issued afterwards use what the file now says. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/domain/casefile.h"
#include "habitual/base/dates.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/procedure.h"
#include "habitual/base/validate.h"
#include "domain/steps.h"

/* The lifting letter quotes this, never the CEM's own reason (which may
 * hold what the customer must not read). */
#define VIOLENCE_WITHDRAWN_REASON \
    "The record of violence it rested on has been corrected: it was entered in error."

static hab_err_t *record_correction(hab_ctx_t *ctx, long long case_id, const char *target,
                                    long long target_id, const char *item, const char *old_value,
                                    const char *new_value, const char *reason)
{
    return hab_store_q(
        ctx->store, ctx->p, NULL,
        "INSERT INTO corrections(case_id, target, target_id, item, old_value, new_value, reason, "
        "corrected_by, corrected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "itItttttt", case_id, target, target_id, item, old_value, new_value, reason, ctx->user,
        ctx->now);
}

static hab_err_t *touch(hab_ctx_t *ctx, long long case_id)
{
    return hab_store_q(ctx->store, ctx->p, NULL, "UPDATE cases SET updated_at = ? WHERE id = ?",
                       "ti", ctx->now, case_id);
}

/* ---- the person's details ---- */

static const char *const person_fields[] = {"name", "address", "date_of_birth", NULL};

static const hab_field_t f_person_correction[] = {
    {"field", HAB_F_ENUM, 1, 0, 0, person_fields, NULL},
    {"value", HAB_F_TEXT, 1, 0, HAB_SHORT_TEXT * 3, NULL, NULL},
    {"reason", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {NULL}};

/* One statement per field: the column is never built from input. */
static const struct {
    const char *field, *read, *write;
} person_sql[] = {
    {"name", "SELECT name FROM persons WHERE id = ?", "UPDATE persons SET name = ? WHERE id = ?"},
    {"address", "SELECT address FROM persons WHERE id = ?",
     "UPDATE persons SET address = ? WHERE id = ?"},
    {"date_of_birth", "SELECT date_of_birth FROM persons WHERE id = ?",
     "UPDATE persons SET date_of_birth = ? WHERE id = ?"},
};

static hab_err_t *check_person_value(hab_ctx_t *ctx, const char *field, const char *value)
{
    if (!strcmp(field, "name") && strlen(value) > HAB_SHORT_TEXT)
        return hab_err_field(ctx->p, 400, "invalid-field", "value", "The name is too long.");
    if (!strcmp(field, "date_of_birth") &&
        (!hab_valid_date(value) || strcmp(value, ctx->today) > 0))
        return hab_err_field(
            ctx->p, 400, "invalid-field", "value",
            "Enter the date of birth as a real date in the past, for example 1971-03-27.");
    return NULL;
}

/* The referrer keeps seeing the person as they typed it: a case still on
 * the referral's own row gets a row of its own before it is corrected. */
static hab_err_t *own_person_row(hab_ctx_t *ctx, hab_case_t *c)
{
    if (c->person_id != c->referred_person_id) return NULL;
    hab_rows_t *r;
    hab_err_t *e =
        hab_store_q(ctx->store, ctx->p, &r,
                    "INSERT INTO persons(reference, name, address, date_of_birth) "
                    "SELECT reference, name, address, date_of_birth FROM persons WHERE id = ? "
                    "RETURNING id",
                    "i", c->person_id);
    if (e) return e;
    c->person_id = hab_rows_int(r, 0, 0);
    return hab_store_q(ctx->store, ctx->p, NULL, "UPDATE cases SET person_id = ? WHERE id = ?",
                       "ii", c->person_id, c->id);
}

hab_err_t *hab_step_correct_person(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_PERSON_CORRECT, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_person_correction, ""))) return e;
    const char *field = hab_j_str(b, "field"), *value = hab_j_str(b, "value");
    size_t k = 0;
    while (strcmp(person_sql[k].field, field) != 0) k++; /* validated: one of them */
    hab_rows_t *r;
    if ((e = check_person_value(ctx, field, value)) ||
        (e = hab_store_q(ctx->store, ctx->p, &r, person_sql[k].read, "i", c->person_id)))
        return e;
    const char *old = r->nrows ? hab_rows_text(r, 0, 0) : NULL;
    if (old && !strcmp(old, value))
        return hab_err_field(ctx->p, 422, "nothing-to-correct", "value",
                             "That is what the file already says.");
    if ((e = own_person_row(ctx, c)) ||
        (e = hab_store_q(ctx->store, ctx->p, NULL, person_sql[k].write, "ti", value,
                         c->person_id)) ||
        (e = record_correction(ctx, c->id, "person", c->person_id, field, old, value,
                               hab_j_str(b, "reason"))) ||
        (e = touch(ctx, c->id)))
        return e;
    hab_step_answer(ctx, out, 200, c->id, c->status);
    return NULL;
}

/* ---- withdrawing what was entered in error ---- */

static const char *const correction_targets[] = {"contact", "incident", "criterion", NULL};

static const hab_field_t f_withdrawal[] = {
    {"target", HAB_F_ENUM, 1, 0, 0, correction_targets, NULL},
    {"id", HAB_F_INT, 0, 1, 9007199254740991L, NULL, NULL},
    {"incident", HAB_F_ENUM, 0, 0, 0, hab_incidents, NULL},
    {"criterion", HAB_F_ENUM, 0, 0, 0, hab_criteria, NULL},
    {"reason", HAB_F_TEXT, 1, 0, HAB_LONG_TEXT, NULL, NULL},
    {NULL}};

static hab_err_t *unknown_entry(hab_ctx_t *ctx, const char *field)
{
    return hab_err_field(ctx->p, 422, "unknown-entry", field,
                         "There is no such entry in this case's file that is still in force.");
}

static hab_err_t *need(hab_ctx_t *ctx, const json_t *b, const char *field, const char *target)
{
    if (json_object_get(b, field) && !json_is_null(json_object_get(b, field))) return NULL;
    return hab_err_field(ctx->p, 422, "missing-field", field, "Say which %s to withdraw (%s).",
                         target, field);
}

/* Marks the entry withdrawn; *changed 0 when no such entry is in force. */
static hab_err_t *mark_withdrawn(hab_ctx_t *ctx, const hab_case_t *c, const json_t *b,
                                 const char *target, int *changed)
{
    hab_rows_t *r;
    long long contact = hab_j_int(b, "id", 0);
    hab_err_t *e;
    if (!strcmp(target, "criterion"))
        e = hab_store_q(
            ctx->store, ctx->p, &r,
            "UPDATE case_criteria SET withdrawn_at = ? WHERE case_id = ? AND criterion = ? "
            "AND withdrawn_at IS NULL RETURNING criterion",
            "tit", ctx->now, c->id, hab_j_str(b, "criterion"));
    else if (!strcmp(target, "incident"))
        e = hab_store_q(
            ctx->store, ctx->p, &r,
            "UPDATE contact_incidents SET withdrawn_at = ? WHERE contact_id = ? AND incident = ? "
            "AND withdrawn_at IS NULL AND contact_id IN (SELECT id FROM contacts WHERE case_id = ? "
            "AND withdrawn_at IS NULL) RETURNING incident",
            "titi", ctx->now, contact, hab_j_str(b, "incident"), c->id);
    else
        e = hab_store_q(ctx->store, ctx->p, &r,
                        "UPDATE contacts SET withdrawn_at = ? WHERE id = ? AND case_id = ? "
                        "AND withdrawn_at IS NULL RETURNING id", "tii", ctx->now, contact, c->id);
    *changed = !e && r->nrows > 0;
    /* a withdrawn contact's incidents no longer count either */
    if (*changed && !strcmp(target, "contact"))
        e = hab_store_q(ctx->store, ctx->p, NULL,
                        "UPDATE contact_incidents SET withdrawn_at = ? WHERE contact_id = ? AND "
                        "withdrawn_at IS NULL",
                        "ti", ctx->now, contact);
    return e;
}

static hab_err_t *check_withdrawal(hab_ctx_t *ctx, const hab_case_t *c, const json_t *b,
                                   const char *target)
{
    if (!strcmp(target, "criterion")) {
        hab_err_t *e = need(ctx, b, "criterion", "criterion");
        if (e) return e;
        /* a concern rests on at least one criterion: close it instead */
        if (json_array_size(c->criteria) <= 1)
            return hab_err_field(
                ctx->p, 422, "last-criterion", "criterion",
                "A case needs at least one criterion: close the case instead of withdrawing "
                "its last one.");
        return NULL;
    }
    hab_err_t *e = need(ctx, b, "id", "contact");
    if (!e && !strcmp(target, "incident")) e = need(ctx, b, "incident", "incident");
    return e;
}

hab_err_t *hab_step_withdraw_entry(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_CORRECTION_ADD, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_withdrawal, ""))) return e;
    const char *target = hab_j_str(b, "target");
    const char *item = !strcmp(target, "criterion") ? hab_j_str(b, "criterion")
                       : !strcmp(target, "incident") ? hab_j_str(b, "incident") : NULL;
    int changed = 0, had_violence = c->violence, interim = c->interim;
    if ((e = check_withdrawal(ctx, c, b, target)) ||
        (e = mark_withdrawn(ctx, c, b, target, &changed)))
        return e;
    if (!changed) return unknown_entry(ctx, !strcmp(target, "criterion") ? "criterion" : "id");
    long long target_id = strcmp(target, "criterion") ? hab_j_int(b, "id", 0) : 0;
    if ((e = record_correction(ctx, c->id, target, target_id, item, NULL, NULL,
                               hab_j_str(b, "reason"))) ||
        (e = touch(ctx, c->id)))
        return e;
    /* R8 and R15 rest on violence being recorded: when none is left, the
     * interim restriction it put in force has no basis and is lifted */
    if (had_violence && interim) {
        hab_case_t *now;
        if ((e = hab_case_load_parts(ctx->store, ctx->p, c->id, ctx->today, HAB_CASE_FOR_STEP,
                                     &now)))
            return e;
        if (now && !now->violence && (e = hab_interim_lift(ctx, now, VIOLENCE_WITHDRAWN_REASON)))
            return e;
    }
    hab_step_answer(ctx, out, 200, c->id, c->status);
    return NULL;
}

/* ---- the people letters are copied to ---- */

static const char *const copy_actions[] = {"add", "remove", NULL};

static const hab_field_t f_copies[] = {
    {"action", HAB_F_ENUM, 1, 0, 0, copy_actions, NULL},
    {"name", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"role", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"address", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT * 3, NULL, NULL},
    {"id", HAB_F_INT, 0, 1, 9007199254740991L, NULL, NULL},
    {"reason", HAB_F_TEXT, 0, 0, HAB_LONG_TEXT, NULL, NULL},
    {NULL}};

static hab_err_t *add_copy(hab_ctx_t *ctx, const hab_case_t *c, const json_t *b)
{
    hab_err_t *e = need(ctx, b, "name", "recipient");
    if (!e) e = need(ctx, b, "role", "recipient");
    if (e) return e;
    return hab_store_q(
        ctx->store, ctx->p, NULL,
        "INSERT INTO copy_recipients(case_id, position, name, role, address, added_by, added_at) "
        "SELECT ?, coalesce(max(position), -1) + 1, ?, ?, ?, ?, ? FROM copy_recipients "
        "WHERE case_id = ?",
        "ittttti", c->id, hab_j_str(b, "name"), hab_j_str(b, "role"), hab_j_str(b, "address"),
        ctx->user, ctx->now, c->id);
}

static hab_err_t *remove_copy(hab_ctx_t *ctx, const hab_case_t *c, const json_t *b)
{
    hab_err_t *e = need(ctx, b, "id", "recipient");
    if (!e) e = need(ctx, b, "reason", "recipient");
    if (e) return e;
    hab_rows_t *r;
    e = hab_store_q(ctx->store, ctx->p, &r,
                    "UPDATE copy_recipients SET removed_at = ?, removed_by = ?, removed_reason = ? "
                    "WHERE id = ? AND case_id = ? AND removed_at IS NULL RETURNING id",
                    "tttii", ctx->now, ctx->user, hab_j_str(b, "reason"),
                    (long long)hab_j_int(b, "id", 0), c->id);
    if (e) return e;
    return r->nrows ? NULL : unknown_entry(ctx, "id");
}

hab_err_t *hab_step_copies(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body;
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_COPIES, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_copies, ""))) return e;
    e = !strcmp(hab_j_str(b, "action"), "add") ? add_copy(ctx, c, b) : remove_copy(ctx, c, b);
    if (e || (e = touch(ctx, c->id))) return e;
    hab_step_answer(ctx, out, 200, c->id, c->status);
    return NULL;
}
