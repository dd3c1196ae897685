/* Letters in the procedure's own words.  Everything taken from the case is
 * escaped as it goes in. */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "habitual/base/dates.h"
#include "habitual/base/html.h"
#include "habitual/base/template.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/letters.h"
#include "habitual/base/validate.h"
#include "domain/letter_templates.h"

const char *const hab_letter_required_parts[] = {
    "data-part=\"reasons\"", "data-part=\"restrictions\"", "data-part=\"period\"",
    "data-part=\"review\"", "data-part=\"open-ways\"", "data-part=\"appeal\"",
    "data-part=\"ombudsman\"", NULL};
const char *const hab_letter_required_parts_final[] = {
    "data-part=\"reasons\"", "data-part=\"restrictions\"", "data-part=\"period\"",
    "data-part=\"review\"", "data-part=\"open-ways\"", "data-part=\"ombudsman\"", NULL};

const char *const hab_letter_required_parts_interim[] = {
    "data-part=\"restrictions\"", "data-part=\"temporary\"", "data-part=\"until\"",
    "data-part=\"open-ways\"", "data-part=\"objection\"", NULL};
const char *const hab_letter_required_parts_interim_lifted[] = {
    "data-part=\"lifted\"", "data-part=\"reasons\"", NULL};
const char *const hab_letter_required_parts_acknowledgement[] = {
    "data-part=\"received\"", "data-part=\"arrangement\"", "data-part=\"new-issues\"",
    "data-part=\"ombudsman\"", NULL};

/* "a, b and c" from a JSON array of strings. */
static const char *join_words(apr_pool_t *p, const json_t *list)
{
    size_t n = json_array_size(list);
    const char *out = "";
    for (size_t i = 0; i < n; i++) {
        const char *w = hab_words(json_string_value(json_array_get(list, i)));
        if (!w) w = "";
        const char *sep = i == 0 ? "" : (i == n - 1 ? " and " : ", ");
        out = apr_pstrcat(p, out, sep, w, NULL);
    }
    return out;
}

const char *hab_restriction_sentence(apr_pool_t *p, const json_t *r)
{
    const char *type = hab_j_str(r, "type");
    if (!type) return "";
    if (!strcmp(type, "behaviour-agreement"))
        return apr_pstrcat(p, "The council will continue to deal with you under a signed agreement "
                              "setting out a code of behaviour for you and the council: ",
                           hab_j_str(r, "terms"), NULL);
    if (!strcmp(type, "decline-channels"))
        return apr_pstrcat(p, "The council will not accept contact from you by ",
                           join_words(p, json_object_get(r, "channels")), ".", NULL);
    if (!strcmp(type, "third-party-only"))
        return apr_pstrcat(p, "The council will deal with you only through a third party: ",
                           hab_j_str(r, "third_party"), ".", NULL);
    if (!strcmp(type, "correspondence-closed"))
        return apr_pstrcat(
            p, "The council has responded fully to the points you raised about ",
            hab_j_str(r, "matter"),
            ". There is nothing more to add and continuing "
            "contact on this matter will serve no useful purpose: the correspondence "
            "is at an end, and further letters about it will be acknowledged but "
            "not answered.",
            NULL);
    if (!strcmp(type, "referral-warning"))
        return "The council reserves the right to refer unreasonable or habitual contact to the "
               "monitoring officer and/or the police where it believes a criminal offence has "
               "been committed.";
    if (!strcmp(type, "suspend-contact"))
        return apr_pstrcat(p, "All contact with you is suspended while the council seeks legal "
                              "advice, until ", hab_date_long(p, hab_j_str(r, "until")), ".", NULL);
    if (!strcmp(type, "building-ban"))
        return apr_pstrcat(p, "You may not enter these council buildings: ",
                           join_words(p, json_object_get(r, "buildings")),
                           hab_j_bool(r, "injunction") ? ", under an injunction." : ".", NULL);
    if (!strcmp(type, "written-only"))
        return "Personal contact with you, in person and by telephone, has stopped: you may "
               "contact the council in writing.";
    return "";
}

const char *hab_notice_sentence(apr_pool_t *p, const json_t *r)
{
    const char *type = hab_j_str(r, "type");
    if (!type) return "";
    if (!strcmp(type, "behaviour-agreement"))
        return "The customer has signed a behaviour agreement with the council.";
    if (!strcmp(type, "decline-channels"))
        return apr_pstrcat(p, "Do not accept contact from the customer by ",
                           join_words(p, json_object_get(r, "channels")), ".", NULL);
    if (!strcmp(type, "third-party-only"))
        return apr_pstrcat(p, "Deal with the customer only through the third party: ",
                           hab_j_str(r, "third_party"), ".", NULL);
    if (!strcmp(type, "correspondence-closed"))
        return apr_pstrcat(p, "Correspondence about ", hab_j_str(r, "matter"),
                           " is closed: acknowledge "
                           "letters about it, do not answer them, but read each for new issues.",
                           NULL);
    if (!strcmp(type, "referral-warning"))
        return "Unreasonable contact may be referred to the monitoring officer or the police.";
    if (!strcmp(type, "suspend-contact"))
        return apr_pstrcat(p, "All contact is suspended until ",
                           hab_date_long(p, hab_j_str(r, "until")), ".", NULL);
    if (!strcmp(type, "building-ban"))
        return apr_pstrcat(
            p, "The customer may not enter: ", join_words(p, json_object_get(r, "buildings")),
            hab_j_bool(r, "injunction") ? " (under an injunction)." : ".", NULL);
    if (!strcmp(type, "written-only"))
        return "Contact in writing only: no telephone or in-person contact.";
    return "";
}

static json_t *copies(const hab_case_t *c)
{
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(c->copy_to, i, r) {
        const char *name = hab_j_str(r, "name"), *role = hab_j_str(r, "role");
        json_array_append_new(out, json_sprintf("%s (%s)", name ? name : "", role ? role : ""));
    }
    if (json_is_object(c->representative))
        json_array_append_new(out, json_pack("s+", hab_j_str(c->representative, "name"),
                                             " (representative)"));
    if (json_is_object(c->advocate))
        json_array_append_new(out, json_pack("s+", hab_j_str(c->advocate, "name"), " (advocate)"));
    /* a reasonable adjustment: someone the customer asked to be copied */
    const json_t *third = json_object_get(c->adjustments, "third_party");
    if (json_is_object(third))
        json_array_append_new(
            out, json_pack("s+", hab_j_str(third, "name"), " (at the customer's request)"));
    return out;
}

/* A letter being written: its parts in order, and what it is. */
/* A letter being written: its parts in order, and what it is. */
typedef struct {
    apr_pool_t *p;
    apr_array_header_t *parts;
    hab_letter_t *letter;
    const hab_case_t *c;
    const hab_letter_facts_t *f;
} builder_t;

/* One part of the letter, from its template (templates/letters). */
static void add(builder_t *b, const char *html)
{
    APR_ARRAY_PUSH(b->parts, const char *) = html;
}

#define PART(b, ...) add((b), hab_tpl((b)->p, __VA_ARGS__, NULL))

/* "<li>" for each text, escaped. */
static const char *items(apr_pool_t *p, const apr_array_header_t *texts)
{
    hab_html_t *h = hab_html_new(p);
    for (int i = 0; i < texts->nelts; i++)
        hab_html_tpl(h, hab_tpl_letters_item, "text", APR_ARRAY_IDX(texts, i, const char *), NULL);
    return hab_html_str(h);
}

static const char *restriction_items(apr_pool_t *p, const json_t *restrictions)
{
    apr_array_header_t *texts = apr_array_make(p, 4, sizeof(const char *));
    size_t i;
    json_t *r;
    json_array_foreach(restrictions, i, r)
        APR_ARRAY_PUSH(texts, const char *) = hab_restriction_sentence(p, r);
    return items(p, texts);
}

static builder_t *letter_start(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f,
                               const char *kind, const char *subject)
{
    builder_t *b = apr_palloc(p, sizeof(*b));
    b->p = p;
    b->parts = apr_array_make(p, 16, sizeof(const char *));
    b->letter = apr_pcalloc(p, sizeof(*b->letter));
    b->letter->kind = kind;
    b->letter->subject = subject;
    b->c = c;
    b->f = f;
    const char *name = hab_j_str(c->person, "name"), *address = hab_j_str(c->person, "address");
    /* addresses keep their line breaks: the stylesheet shows them (pre-line) */
    PART(b, hab_tpl_letters_head, "address_lines",
         apr_pstrcat(p, name ? name : "", "\n", address ? address : "", NULL),
         "council", f->council);
    PART(b, hab_tpl_letters_meta, "date", hab_date_long(p, f->date),
         "case_id", apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)c->id),
         "reference", hab_j_str(c->person, "reference"));
    PART(b, hab_tpl_letters_subject, "subject", subject);
    PART(b, hab_tpl_letters_greeting, "name", name);
    return b;
}

/* The sign-off and the copies list close every letter. */
static hab_letter_t *letter_finish(builder_t *b)
{
    apr_pool_t *p = b->p;
    const json_t *copied = b->letter->copied_to = hab_json_own(p, copies(b->c));
    PART(b, hab_tpl_letters_sign_off, "signed_as", b->f->signed_as, "council", b->f->council);
    apr_array_header_t *names = apr_array_make(p, 4, sizeof(const char *));
    size_t i;
    json_t *name;
    json_array_foreach(copied, i, name)
        APR_ARRAY_PUSH(names, const char *) = json_string_value(name);
    if (names->nelts) PART(b, hab_tpl_letters_copies, "items", items(p, names));
    else add(b, hab_tpl_letters_no_copies);
    /* a line between parts, as the letter's HTML has always been stored */
    add(b, "");
    b->letter->body = apr_array_pstrcat(p, b->parts, '\n');
    return b->letter;
}

static void restriction_sections(builder_t *b, const hab_letter_facts_t *f)
{
    apr_pool_t *p = b->p;
    PART(b, hab_tpl_letters_restrictions, "items", restriction_items(p, f->restrictions));
    PART(b, hab_tpl_letters_period, "start", hab_date_long(p, f->period_start),
         "end", hab_date_long(p, f->period_end));
    PART(b, hab_tpl_letters_review, "due", hab_date_long(p, f->review_due));
    json_t *open = hab_open_channels(f->plan);
    if (open && json_array_size(open))
        PART(b, hab_tpl_letters_open_ways, "ways", join_words(p, open));
    else
        PART(b, hab_tpl_letters_open_ways_suspended, "until",
             hab_date_long(p, f->plan->suspend_until));
    json_decref(open);
}

static void appeal_sections(builder_t *b, const hab_letter_facts_t *f)
{
    apr_pool_t *p = b->p;
    const char *deadline = hab_date_add_working_days(p, f->date, f->appeal_days);
    PART(b, hab_tpl_letters_appeal, "days", apr_itoa(p, f->appeal_days),
         "deadline", hab_date_long(p, deadline));
    add(b, hab_tpl_letters_ombudsman);
}

hab_letter_t *hab_letter_warning(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f)
{
    builder_t *b = letter_start(p, c, f, "warning", "Your contact with the council");
    PART(b, hab_tpl_letters_warning_concern, "warned_on", hab_date_long(p, f->warning_on),
         "method", f->warning_method, "text", f->warning_text);
    add(b, hab_tpl_letters_warning_consequences);
    return letter_finish(b);
}

hab_letter_t *hab_letter_decision(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f)
{
    builder_t *b =
        letter_start(p, c, f, "decision", "Decision about your contact with the council");
    PART(b, hab_tpl_letters_decision_reasons, "reasons", f->reasons);
    restriction_sections(b, f);
    appeal_sections(b, f);
    return letter_finish(b);
}

/* ---- R15: the interim restriction ---- */

hab_letter_t *hab_letter_interim(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f)
{
    builder_t *b = letter_start(p, c, f, "interim",
                                "Temporary restriction of your contact with the council");
    PART(b, hab_tpl_letters_interim_restrictions, "items", restriction_items(p, f->restrictions));
    add(b, hab_tpl_letters_interim_temporary);
    if (f->interim_until)
        PART(b, hab_tpl_letters_interim_until, "until", hab_date_long(p, f->interim_until));
    else
        add(b, hab_tpl_letters_interim_until_decided);
    json_t *open = hab_open_channels(f->plan);
    PART(b, hab_tpl_letters_interim_open_ways, "ways", join_words(p, open));
    json_decref(open);
    add(b, hab_tpl_letters_interim_objection);
    return letter_finish(b);
}

hab_letter_t *hab_letter_interim_lifted(apr_pool_t *p, const hab_case_t *c,
                                        const hab_letter_facts_t *f)
{
    builder_t *b = letter_start(p, c, f, "interim-lifted",
                                "Temporary restriction of your contact lifted");
    add(b, hab_tpl_letters_lifted);
    PART(b, hab_tpl_letters_lifted_reasons, "reason", f->lift_reason);
    return letter_finish(b);
}

/* The post queue's standard acknowledgement: received, read, not answered
 * under the arrangement in force; a new issue would be dealt with. */
hab_letter_t *hab_letter_acknowledgement(apr_pool_t *p, const hab_case_t *c,
                                         const hab_letter_facts_t *f)
{
    builder_t *b = letter_start(p, c, f, "acknowledgement", "We have received your correspondence");
    PART(b, hab_tpl_letters_ack_received, "channel", hab_words(f->received_channel),
         "received_on", hab_date_long(p, f->received_on));
    add(b, hab_tpl_letters_ack_arrangement);
    add(b, hab_tpl_letters_ack_new_issues);
    add(b, hab_tpl_letters_ack_ombudsman);
    return letter_finish(b);
}

static const char *outcome_sentence(const char *kind, const char *outcome)
{
    if (!strcmp(kind, "review-outcome")) {
        if (!strcmp(outcome, "continue"))
            return "The council has reviewed the arrangements and will continue them for a new "
                   "period.";
        if (!strcmp(outcome, "vary"))
            return "The council has reviewed the arrangements and changed them as set out below.";
        return "The council has reviewed the arrangements and removed them: you may contact the "
               "council in the usual ways.";
    }
    if (!strcmp(outcome, "uphold"))
        return "Your appeal has been considered and the decision stands.";
    if (!strcmp(outcome, "vary"))
        return "Your appeal has been considered and the arrangements have been changed as set out "
               "below.";
    return "Your appeal has been upheld: the decision is quashed and you may contact the council "
           "in the usual ways.";
}

static hab_letter_t *outcome_letter(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f,
                                    const char *kind, const char *subject)
{
    builder_t *b = letter_start(p, c, f, kind, subject);
    PART(b, hab_tpl_letters_outcome, "outcome", outcome_sentence(kind, f->outcome),
         "reasons", f->reasons);
    if (f->restrictions && json_array_size(f->restrictions)) {
        restriction_sections(b, f);
        /* an appeal decision is final within the council; the Ombudsman remains */
        if (!strcmp(kind, "review-outcome")) appeal_sections(b, f);
        else add(b, hab_tpl_letters_ombudsman_final);
    }
    return letter_finish(b);
}

hab_letter_t *hab_letter_review(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f)
{
    return outcome_letter(p, c, f, "review-outcome",
                          "Review of the arrangements for your contact with the council");
}

hab_letter_t *hab_letter_appeal(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f)
{
    return outcome_letter(p, c, f, "appeal-outcome", "Decision on your appeal");
}

const char *hab_letter_page(apr_pool_t *p, const char *council, const char *subject,
                            const char *body, const char *stylesheet)
{
    const char *link =
        stylesheet ? hab_tpl(p, hab_tpl_letters_stylesheet, "href", stylesheet, NULL) : "";
    const char *page = hab_tpl(p, hab_tpl_letters_document, "subject", subject, "council",
                               council, "stylesheet", link, "body", body, NULL);
    return apr_pstrcat(p, page, "\n", NULL);   /* a file ends with a line end */
}
