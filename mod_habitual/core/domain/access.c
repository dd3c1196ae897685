/* Who may see how much of a case (README "Need to know"), and the views. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/domain/access.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/letters.h"
#include "habitual/domain/roles.h"
#include "habitual/domain/rules.h"
#include "habitual/domain/service.h"
#include "habitual/base/validate.h"

static int in_list(const apr_array_header_t *a, const char *user)
{
    for (int i = 0; i < a->nelts; i++) {
        const char *u = APR_ARRAY_IDX(a, i, const char *);
        if (u && !strcmp(u, user)) return 1;
    }
    return 0;
}

int hab_access_may_hear_appeal(const hab_case_t *c, const char *user, unsigned roles)
{
    /* only while the case is active: an appeal on an ended case can never
     * be decided, so it opens nothing */
    return (roles & HAB_ROLE_CHIEF_OFFICER) && c->pending_appeal_id &&
           !strcmp(c->status, "active") && !in_list(c->involved, user);
}

hab_sight_t hab_access_sight(const hab_case_t *c, const char *user, const char *teams,
                             unsigned roles)
{
    if (roles & HAB_ROLES_CASE_OFFICERS) return HAB_SEE_FULL;
    if (c->referred_by && !strcmp(c->referred_by, user)) return HAB_SEE_REFERRAL;
    if (hab_access_may_hear_appeal(c, user, roles)) return HAB_SEE_APPEAL;
    int in_force = json_array_size(c->restrictions) > 0;
    if (in_force && ((roles & HAB_ROLE_CHIEF_OFFICER) || hab_case_granted(c, user, teams)))
        return HAB_SEE_NOTICE;
    return HAB_SEE_NONE;
}

hab_err_t *hab_case_peek(hab_store_t *s, apr_pool_t *p, long long id, const char *user,
                         const char *teams, const char *today, hab_case_peek_t *peek)
{
    hab_rows_t *r;
    memset(peek, 0, sizeof(*peek));
    hab_err_t *e = hab_store_q(
        s, p, &r,
        "SELECT c.status, c.referred_by, " HAB_SQL_LAST_DAY(
            "pe") ", "
                  "(SELECT count(*) FROM restrictions x WHERE x.case_id = c.id "
                  "AND " HAB_SQL_IN_FORCE(
                      "x.") "), "
                            "(SELECT count(*) FROM grants g WHERE g.case_id = c.id AND (g.grantee "
                            "= ? OR " HAB_SQL_TEAM_GRANT(
                                "g.") ") AND g.revoked_at IS NULL AND g.expires >= ?), "
                                      "(SELECT count(*) FROM appeals a WHERE a.case_id = c.id AND "
                                      "NOT EXISTS "
                                      " (SELECT 1 FROM appeal_decisions d WHERE d.appeal_id = "
                                      "a.id)) "
                                      "FROM cases c LEFT JOIN periods pe ON pe.id = (SELECT "
                                      "max(id) FROM periods WHERE case_id = c.id) "
                                      "WHERE c.id = ?",
        "ttttti", today, today, user, teams ? teams : ",", today, id);
    if (e || r->nrows == 0) return e;
    peek->exists = 1;
    peek->status =
        hab_effective_status(hab_rows_text(r, 0, 0), hab_rows_text(r, 0, 2), today, &peek->lapsed);
    peek->referred_by = hab_rows_text(r, 0, 1);
    peek->restrictions_in_force = !peek->lapsed && hab_rows_int(r, 0, 3) > 0;
    peek->granted_to_user = hab_rows_int(r, 0, 4) > 0;
    peek->appeal_pending = hab_rows_int(r, 0, 5) > 0;
    return NULL;
}

int hab_access_may_see(const hab_case_peek_t *peek, const char *user, unsigned roles)
{
    if (!peek->exists) return 0;
    if (roles & HAB_ROLES_CASE_OFFICERS) return 1;
    if (peek->referred_by && !strcmp(peek->referred_by, user)) return 1;
    if ((roles & HAB_ROLE_CHIEF_OFFICER) && peek->appeal_pending && !strcmp(peek->status, "active"))
        return 1;
    return peek->restrictions_in_force &&
           ((roles & HAB_ROLE_CHIEF_OFFICER) || peek->granted_to_user);
}

/* A notice seen only through a team grant: the access log names the grant
 * beside the user who looked (team-grant:ID:TEAM). */
static void note_team_grant(hab_ctx_t *ctx, const hab_case_t *c, int sight)
{
    if (sight != HAB_SEE_NOTICE || (ctx->roles & HAB_ROLE_CHIEF_OFFICER) || ctx->acting_as) return;
    const json_t *g = hab_case_grant_of(c, ctx->user, ctx->teams);
    const char *team = g ? json_string_value(json_object_get(g, "team")) : NULL;
    if (team)
        ctx->acting_as =
            apr_psprintf(ctx->p, "team-grant:%" APR_INT64_T_FMT ":%s",
                         (apr_int64_t)json_integer_value(json_object_get(g, "id")), team);
}

hab_err_t *hab_access_load(hab_ctx_t *ctx, long long id, hab_case_parts_t parts,
                           hab_sight_t min_sight, hab_case_t **c, int *sight)
{
    hab_case_peek_t peek;
    hab_err_t *e;
    *c = NULL;
    *sight = HAB_SEE_NONE;
    /* the peek spares a load of a case the user may not see; a case
     * officer sees every case there is, and the load says whether it is
     * (a write's gate runs inside the write lock: one statement less) */
    if (!(ctx->roles & HAB_ROLES_CASE_OFFICERS)) {
        e = hab_case_peek(ctx->store, ctx->p, id, ctx->user, ctx->teams, ctx->today, &peek);
        if (e) return e;
        if (!hab_access_may_see(&peek, ctx->user, ctx->roles)) return hab_err_not_found(ctx->p);
    }
    if ((e = hab_case_load_parts(ctx->store, ctx->p, id, ctx->today, parts, c))) return e;
    *sight = *c ? (int)hab_access_sight(*c, ctx->user, ctx->teams, ctx->roles) : HAB_SEE_NONE;
    if (*sight == HAB_SEE_NONE || *sight < (int)min_sight) return hab_err_not_found(ctx->p);
    note_team_grant(ctx, *c, *sight);
    return NULL;
}

/* Special-category data (R10): vulnerability, health, safeguarding. */
static void strip_special_category(json_t *view)
{
    json_object_del(view, "vulnerable");
    json_object_del(view, "vulnerability");
    json_object_del(view, "adjustments");   /* they may tell of a disability */
    json_object_del(view, "correspondence");   /* read for safeguarding concerns */
    json_object_del(view, "evidence");         /* the files are the case officers' */
    /* who else the list holds under that reference is the CEM's business */
    json_object_del(view, "person_matches");
    json_t *report = json_object_get(view, "report");
    if (json_is_object(report)) json_object_del(report, "safeguarding");
}

static json_t *open_channels_of(const hab_case_t *c)
{
    /* "interim" marks how a restriction came into force; it is not part of
     * the restriction object the plan reads */
    json_t *plain = json_deep_copy(c->restrictions);
    size_t i;
    json_t *r;
    json_array_foreach(plain, i, r) json_object_del(r, "interim");
    hab_contact_plan_t plan;
    apr_pool_t *scratch;
    apr_pool_create(&scratch, NULL);
    json_t *open =
        hab_restrictions_plan(scratch, plain, &plan) ? json_array() : hab_open_channels(&plan);
    apr_pool_destroy(scratch);
    json_decref(plain);
    return open;
}

static json_t *full_view(const hab_case_t *c)
{
    json_t *v = json_object();
    json_object_set_new(v, "id", json_integer(c->id));
    json_object_set_new(v, "status", json_string(c->status));
    json_object_set_new(v, "end_reason", hab_json_text(c->end_reason));
    json_object_set(v, "person", c->person);
    json_object_set(v, "person_as_referred", c->referred_person);
    json_object_set(v, "person_link", c->person_link);
    json_object_set(v, "person_matches", c->person_matches);
    json_object_set_new(v, "referred_by", hab_json_text(c->referred_by));
    json_object_set_new(v, "referred_at", hab_json_text(c->referred_at));
    json_object_set_new(v, "department", hab_json_text(c->department));
    json_object_set_new(v, "summary", hab_json_text(c->summary));
    json_object_set_new(v, "measures_taken", hab_json_text(c->measures_taken));
    json_object_set_new(v, "complaints_procedure", hab_json_text(c->complaints_procedure));
    json_object_set(v, "criteria", c->criteria);
    json_object_set_new(v, "vulnerable", json_boolean(c->vulnerable));
    json_object_set_new(v, "vulnerability", hab_json_text(c->vulnerability));
    json_object_set(v, "representative", c->representative);
    json_object_set(v, "advocate", c->advocate);
    json_object_set(v, "copy_to", c->copy_to);
    json_object_set(v, "copies_removed", c->copies_removed);
    json_object_set(v, "corrections", c->corrections);
    json_object_set(v, "adjustments", c->adjustments);
    json_object_set(v, "correspondence", c->correspondence);
    json_object_set(v, "evidence", c->evidence);
    json_object_set(v, "contacts", c->contacts);
    json_object_set(v, "warning", c->warning);
    json_object_set_new(v, "action_without_notice", json_boolean(c->action_without_notice));
    json_object_set(v, "report", c->report);
    json_object_set(v, "decision", c->decision);
    json_object_set(v, "restrictions", c->restrictions);
    json_object_set(v, "restrictions_scheduled", c->scheduled);
    json_object_set_new(v, "open_channels", open_channels_of(c));
    json_object_set(v, "period", c->period);
    json_object_set_new(v, "review_due", c->lapsed ? json_null() : hab_json_text(c->review_due));
    json_object_set(v, "reviews", c->reviews);
    json_object_set(v, "appeals", c->appeals);
    json_object_set(v, "letters", c->letters);
    json_object_set(v, "grants", c->grants);
    json_object_set(v, "statements", c->statements);
    json_object_set(v, "legal_hold", c->legal_hold);
    /* a deep copy, so stripping a view never touches the loaded case */
    json_t *copy = json_deep_copy(v);
    json_decref(v);
    return copy;
}

/* The referrer sees what they raised while it is with the CEM as a
 * referral; once it moves on, only its status (README "Need to know").  The person is
 * always as they typed it, never a stored one the CEM may have linked. */
static json_t *referral_view(const hab_case_t *c)
{
    json_t *v = json_object();
    json_object_set_new(v, "id", json_integer(c->id));
    json_object_set_new(v, "status", json_string(c->status));
    json_object_set_new(v, "person",
                        json_pack("{s:O, s:O}", "name", json_object_get(c->referred_person, "name"),
                                  "reference", json_object_get(c->referred_person, "reference")));
    if (strcmp(c->status, "referred") != 0) return v;
    json_object_set_new(v, "referred_at", hab_json_text(c->referred_at));
    json_object_set_new(v, "department", hab_json_text(c->department));
    json_object_set_new(v, "summary", hab_json_text(c->summary));
    json_object_set_new(v, "measures_taken", hab_json_text(c->measures_taken));
    json_object_set_new(v, "complaints_procedure", hab_json_text(c->complaints_procedure));
    json_object_set_new(v, "criteria", json_deep_copy(c->criteria));
    json_object_set_new(v, "contacts", json_deep_copy(c->contacts));
    return v;
}

const json_t *hab_person_shown(const hab_case_t *c, hab_sight_t sight)
{
    return sight == HAB_SEE_REFERRAL ? c->referred_person : c->person;
}

json_t *hab_view_case(apr_pool_t *p, const hab_case_t *c, hab_sight_t sight)
{
    json_t *v;
    switch (sight) {
    case HAB_SEE_FULL:
        v = full_view(c);
        break;
    case HAB_SEE_APPEAL:
        v = full_view(c);
        strip_special_category(v);
        break;
    case HAB_SEE_REFERRAL:
        v = referral_view(c);
        break;
    default:
        v = json_null();
    }
    return hab_json_own(p, v);
}

/* A notice carries no reasons (README, "Notices"): of a restriction, only
 * the fields staff must act on.  An agreement's terms and the legal advice
 * sought are reasons, and free text typed there once reached every holder. */
static json_t *notice_restriction(const json_t *r)
{
    static const char *const acted_on[] = {"type", "channels", "third_party", "matter", "buildings",
                                           "injunction", "until", "interim", NULL};
    json_t *out = json_object();
    for (int i = 0; acted_on[i]; i++) {
        json_t *v = json_object_get(r, acted_on[i]);
        if (v) json_object_set(out, acted_on[i], v);
    }
    return out;
}

const char *hab_phone_statement(apr_pool_t *p, const json_t *open_channels)
{
    const char *ways = "";
    size_t i;
    json_t *ch;
    json_array_foreach(open_channels, i, ch) {
        const char *name = json_string_value(ch);
        if (!strcmp(name, "phone")) return NULL; /* the phone is open: no statement needed */
        name =
            !strcmp(name, "third-party") ? "the third party named in your letter" : hab_words(name);
        ways = *ways ? apr_pstrcat(p, ways, ", ", name, NULL) : name;
    }
    if (!*ways)
        return "I'm sorry, the council has suspended contact with you for now and I cannot "
               "continue this call. Goodbye.";
    return apr_psprintf(p,
                        "I'm sorry, the council has limited the ways it deals with you and I "
                        "cannot continue this call. You can contact the council by: %s. Goodbye.",
                        ways);
}

json_t *hab_view_notice(apr_pool_t *p, const hab_case_t *c)
{
    json_t *restrictions = json_array();
    size_t i;
    json_t *r;
    json_t *in_words = json_array();
    json_array_foreach(c->restrictions, i, r) {
        json_array_append_new(restrictions, notice_restriction(r));
        json_array_append_new(in_words, json_string(hab_notice_sentence(p, r)));
    }
    json_t *open = open_channels_of(c);
    const char *statement = hab_phone_statement(p, open);
    /* an interim restriction lasts until the decision (or the decided
     * restrictions' later start): no date */
    int decided = !strcmp(c->status, "active") && !c->interim;
    json_t *v = json_pack("{s:I, s:{s:O, s:O}, s:o, s:o, s:o, s:o, s:o, s:b, s:o}",
                          "case_id", (json_int_t)c->id,
                          "person", "name", json_object_get(c->person, "name"),
                          "reference", json_object_get(c->person, "reference"),
                          "restrictions", restrictions, "restrictions_in_words", in_words,
                          "open_channels", open,
                          /* in force from the decision's start, not before (R9) */
                          "from", decided ? hab_json_text(c->period_start) : json_null(),
                          "until", decided ? hab_json_text(c->period_end) : json_null(),
                          "interim", !decided,
                          "phone_statement", hab_json_text(statement));
    return hab_json_own(p, v);
}
