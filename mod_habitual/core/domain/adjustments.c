/* Reasonable adjustments for any customer (README "Reasonable
 * adjustments"): the CEM records them at any time; the latest is in force.
 * Letters honour them: the format each letter opens in (large print, plain
 * text) and a third party the customer wants copied. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/json_io.h"
#include "habitual/domain/procedure.h"
#include "habitual/base/validate.h"
#include "domain/steps.h"

const char *const hab_letter_formats[] = {"standard", "large-print", "plain-text", NULL};

static const hab_field_t f_third_party[] = {
    {"name", HAB_F_TEXT, 1, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"address", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT * 3, NULL, NULL},
    {NULL}};

static const hab_field_t f_adjustments[] = {
    {"format", HAB_F_ENUM, 1, 0, 0, hab_letter_formats, NULL},
    {"easy_read", HAB_F_BOOL, 0, 0, 0, NULL, NULL},
    {"named_contact", HAB_F_TEXT, 0, 0, HAB_SHORT_TEXT, NULL, NULL},
    {"third_party", HAB_F_OBJECT, 0, 0, 0, NULL, f_third_party},
    {"notes", HAB_F_TEXT, 0, 0, HAB_LONG_TEXT, NULL, NULL},
    {NULL}};

hab_err_t *hab_step_adjustments(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    const json_t *b = in->body, *third = json_object_get(in->body, "third_party");
    hab_err_t *e = hab_open_case_for(ctx, HAB_ROUTE_ADJUSTMENTS, in->case_id, &c);
    if (e || (e = hab_validate(ctx->p, b, f_adjustments, "")) ||
        (e = hab_store_q(
             ctx->store, ctx->p, NULL,
             "INSERT INTO adjustments(case_id, format, easy_read, named_contact, third_party_name, "
             "third_party_address, notes, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
             "?, ?)",
             "itbtttttt", c->id, hab_j_str(b, "format"), hab_j_bool(b, "easy_read"),
             hab_j_str(b, "named_contact"), hab_j_str(third, "name"), hab_j_str(third, "address"),
             hab_j_str(b, "notes"), ctx->user, ctx->now)) ||
        (e = hab_store_q(ctx->store, ctx->p, NULL, "UPDATE cases SET updated_at = ? WHERE id = ?",
                         "ti", ctx->now, c->id)))
        return e;
    hab_step_answer(ctx, out, 200, c->id, c->status);
    return NULL;
}
