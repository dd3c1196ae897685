/* Letters in the procedure's own words.  Everything taken from the case is
 * escaped as it goes in. */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "habitual/base/dates.h"
#include "habitual/base/html.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/letters.h"
#include "habitual/base/validate.h"

#define E(s) hab_html_escape(p, s)

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
typedef struct {
    apr_pool_t *p;
    apr_array_header_t *parts;
    hab_letter_t *letter;
    const hab_case_t *c;
    const hab_letter_facts_t *f;
} builder_t;

static void add(builder_t *b, const char *html)
{
    APR_ARRAY_PUSH(b->parts, const char *) = html;
}

static void section(builder_t *b, const char *part, const char *html)
{
    add(b, apr_psprintf(b->p, "<section data-part=\"%s\">%s</section>\n", part, html));
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
    add(b, apr_psprintf(
               p,
               "<div class=\"app-letter__head\"><p class=\"app-letter__address\">%s\n%s</p>"
               "<address class=\"app-letter__sender\"><span class=\"app-letter__council\">%s</span>"
               "<span class=\"app-letter__sender-address\">Customer Experience "
               "Team</span></address></div>\n",
               E(name), E(address ? address : ""), E(f->council)));
    add(b,
        apr_psprintf(
            p,
            "<dl class=\"govuk-summary-list govuk-summary-list--no-border app-letter__meta\">"
            "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Date</dt>"
            "<dd class=\"govuk-summary-list__value\">%s</dd></div>"
            "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Our "
            "reference</dt>"
            "<dd class=\"govuk-summary-list__value\">Case %" APR_INT64_T_FMT "</dd></div>"
            "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">Your "
            "reference</dt>"
            "<dd class=\"govuk-summary-list__value\">%s</dd></div></dl>\n",
            E(hab_date_long(p, f->date)), (apr_int64_t)c->id,
            E(hab_j_str(c->person, "reference"))));
    add(b, apr_psprintf(p,
                        "<h2 class=\"govuk-heading-m\" id=\"letter-subject\">%s</h2>\n<p "
                        "class=\"govuk-body\">Dear %s,</p>\n",
                        E(subject), E(name)));
    return b;
}

/* The sign-off and the copies list close every letter. */
static hab_letter_t *letter_finish(builder_t *b)
{
    apr_pool_t *p = b->p;
    const hab_letter_facts_t *f = b->f;
    const json_t *copied = b->letter->copied_to = hab_json_own(p, copies(b->c));
    add(b, apr_psprintf(
               p, "<p class=\"govuk-body app-letter__sign-off\">Yours sincerely,<br>%s<br>%s</p>\n",
               E(f->signed_as), E(f->council)));
    const char *list = "";
    size_t i;
    json_t *name;
    json_array_foreach(copied, i, name)
        list = apr_pstrcat(p, list, "<li>", E(json_string_value(name)), "</li>", NULL);
    add(b, apr_pstrcat(p, "<section data-part=\"copies\" class=\"app-letter__copies\">",
                       json_array_size(copied) ? apr_pstrcat(p,
                                                             "<h3 class=\"govuk-heading-s\">Copies "
                                                             "to</h3><ul class=\"govuk-list\">",
                                                             list, "</ul>", NULL)
                                               : "<p class=\"govuk-body\">No copies.</p>",
                       "</section>\n", NULL));
    b->letter->body = apr_array_pstrcat(p, b->parts, 0);
    return b->letter;
}

static void restriction_sections(builder_t *b, const hab_letter_facts_t *f)
{
    apr_pool_t *p = b->p;
    const char *items = "";
    size_t i;
    json_t *r;
    json_array_foreach(f->restrictions, i, r)
        items = apr_pstrcat(p, items, "<li>", E(hab_restriction_sentence(p, r)), "</li>", NULL);
    section(b, "restrictions",
            apr_pstrcat(p,
                        "<h3 class=\"govuk-heading-s\">What the council will do</h3><ul "
                        "class=\"govuk-list govuk-list--bullet\">",
                        items, "</ul>", NULL));
    section(b, "period",
            apr_psprintf(p,
                         "<h3 class=\"govuk-heading-s\">For how long</h3><p "
                         "class=\"govuk-body\">These arrangements apply from "
                         "%s to %s.</p>",
                         E(hab_date_long(p, f->period_start)), E(hab_date_long(p, f->period_end))));
    section(b, "review",
            apr_psprintf(p,
                         "<h3 class=\"govuk-heading-s\">Review</h3><p class=\"govuk-body\">The "
                         "council will review them by %s, "
                         "to consider whether they are still needed.</p>",
                         E(hab_date_long(p, f->review_due))));
    json_t *open = hab_open_channels(f->plan);
    const char *ways = open && json_array_size(open)
        ? apr_pstrcat(p, "<p class=\"govuk-body\">You can still contact the council by: ",
                      E(join_words(p, open)), ".</p>", NULL)
        : apr_pstrcat(p, "<p class=\"govuk-body\">Contact is suspended until ",
                      E(hab_date_long(p, f->plan->suspend_until)),
                      "; after that you may contact the council in writing.</p>", NULL);
    json_decref(open);
    section(b, "open-ways",
            apr_pstrcat(p, "<h3 class=\"govuk-heading-s\">How you can still contact us</h3>", ways,
                        NULL));
}

static void appeal_sections(builder_t *b, const hab_letter_facts_t *f)
{
    apr_pool_t *p = b->p;
    const char *deadline = hab_date_add_working_days(p, f->date, f->appeal_days);
    section(b, "appeal",
            apr_psprintf(
                p,
                "<h3 class=\"govuk-heading-s\">If you disagree</h3><p class=\"govuk-body\">You may "
                "appeal within %d working days, by %s, by writing "
                "to the customer experience manager with your reasons. A chief officer who has not "
                "been involved in your case will decide your appeal.</p>",
                f->appeal_days, E(hab_date_long(p, deadline))));
    section(b, "ombudsman",
            "<p class=\"govuk-body\">You also have the right to complain to the Local Government "
            "and Social Care "
            "Ombudsman (www.lgo.org.uk, telephone 0300 061 0614).</p>");
}

hab_letter_t *hab_letter_warning(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f)
{
    builder_t *b = letter_start(p, c, f, "warning",
                                "Your contact with the council");
    section(b, "concern",
            apr_psprintf(
                p,
                "<p class=\"govuk-body\">On %s we contacted you by %s to explain why the way you "
                "contact the council is "
                "causing concern, and to ask you to change it.</p><p class=\"govuk-body\">%s</p>",
                E(hab_date_long(p, f->warning_on)), E(f->warning_method), E(f->warning_text)));
    section(b, "consequences",
            "<p class=\"govuk-body\">If the behaviour continues, the council may limit how it "
            "deals with you: for "
            "example by declining some ways of contact, dealing with you only in writing or "
            "through a third party. One way of contacting the council will always stay open.</p>");
    return letter_finish(b);
}

hab_letter_t *hab_letter_decision(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f)
{
    builder_t *b = letter_start(p, c, f, "decision",
                                "Decision about your contact with the council");
    section(b, "reasons",
            apr_pstrcat(p,
                        "<h3 class=\"govuk-heading-s\">Why</h3><p class=\"govuk-body\">The council "
                        "has decided that limiting its "
                        "contact with you is justified and proportionate, for "
                        "these reasons:</p><p class=\"govuk-body\">",
                        E(f->reasons), "</p>", NULL));
    restriction_sections(b, f);
    appeal_sections(b, f);
    return letter_finish(b);
}

/* ---- R15: the interim restriction ---- */

hab_letter_t *hab_letter_interim(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f)
{
    builder_t *b = letter_start(p, c, f, "interim",
                                "Temporary restriction of your contact with the council");
    const char *items = "";
    size_t i;
    json_t *r;
    json_array_foreach(f->restrictions, i, r)
        items = apr_pstrcat(p, items, "<li>", E(hab_restriction_sentence(p, r)), "</li>", NULL);
    section(b, "restrictions",
            apr_pstrcat(p,
                        "<h3 class=\"govuk-heading-s\">What is restricted</h3>"
                        "<p class=\"govuk-body\">Violence or threats of violence towards "
                        "council staff have been recorded. Under the council's procedure "
                        "this in itself stops personal contact with you:</p>"
                        "<ul class=\"govuk-list govuk-list--bullet\">",
                        items, "</ul>", NULL));
    section(b, "temporary",
            "<h3 class=\"govuk-heading-s\">This is temporary</h3><p class=\"govuk-body\">This is "
            "an interim measure, in force from today. The council has not yet decided whether "
            "any longer-term restriction is justified: if it is considered, the chief executive "
            "will decide, and you will be told in writing.</p>");
    section(b, "until",
            f->interim_until
                ? apr_psprintf(p,
                               "<h3 class=\"govuk-heading-s\">Until when</h3><p "
                               "class=\"govuk-body\">It ends on %s "
                               "unless a report is made to the chief executive before then; it "
                               "then lasts until the "
                               "chief executive decides, and no longer.</p>",
                               E(hab_date_long(p, f->interim_until)))
                : "<h3 class=\"govuk-heading-s\">Until when</h3><p class=\"govuk-body\">A report "
                  "has been made to the chief "
                  "executive: it lasts until the chief executive decides, and no longer.</p>");
    json_t *open = hab_open_channels(f->plan);
    section(b, "open-ways",
            apr_pstrcat(p,
                        "<h3 class=\"govuk-heading-s\">How you can still contact us</h3>"
                        "<p class=\"govuk-body\">You can still write to the council: by ",
                        E(join_words(p, open)), ".</p>", NULL));
    json_decref(open);
    section(b, "objection",
            "<h3 class=\"govuk-heading-s\">If you disagree</h3><p class=\"govuk-body\">You may "
            "object to this restriction at any time by writing to the customer experience manager "
            "with your reasons; they may lift it. You also have the right to complain to the Local "
            "Government and Social Care Ombudsman (www.lgo.org.uk, telephone 0300 061 0614).</p>");
    return letter_finish(b);
}

hab_letter_t *hab_letter_interim_lifted(apr_pool_t *p, const hab_case_t *c,
                                        const hab_letter_facts_t *f)
{
    builder_t *b = letter_start(p, c, f, "interim-lifted",
                                "Temporary restriction of your contact lifted");
    section(
        b, "lifted",
        "<h3 class=\"govuk-heading-s\">The restriction is lifted</h3><p class=\"govuk-body\">The "
        "temporary restriction of your contact with the council has been lifted today: you may "
        "contact the council in the usual ways.</p>");
    section(b, "reasons",
            apr_pstrcat(p, "<h3 class=\"govuk-heading-s\">Why</h3><p class=\"govuk-body\">",
                        E(f->lift_reason), "</p>", NULL));
    return letter_finish(b);
}

/* The post queue's standard acknowledgement: received, read, not answered
 * under the arrangement in force; a new issue would be dealt with. */
hab_letter_t *hab_letter_acknowledgement(apr_pool_t *p, const hab_case_t *c,
                                         const hab_letter_facts_t *f)
{
    builder_t *b = letter_start(p, c, f, "acknowledgement",
                                "We have received your correspondence");
    section(b, "received",
            apr_pstrcat(p, "<p class=\"govuk-body\">We received your ",
                        E(hab_words(f->received_channel)), " of ",
                        E(hab_date_long(p, f->received_on)), ". It has been read.</p>", NULL));
    section(b, "arrangement",
            "<p class=\"govuk-body\">As we explained when we wrote to you about how you may "
            "contact the council, we will not reply to correspondence about matters that have "
            "already been answered. This letter acknowledges it.</p>");
    section(b, "new-issues",
            "<p class=\"govuk-body\">Every letter or email you send is still read. If it raises "
            "a new matter, it will be passed to the right service and answered in the usual "
            "way.</p>");
    section(b, "ombudsman",
            "<p class=\"govuk-body\">You have the right to complain to the Local Government and "
            "Social Care "
            "Ombudsman (www.lgo.org.uk, telephone 0300 061 0614).</p>");
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
    builder_t *b = letter_start(p, c, f, kind,
                                subject);
    section(b, "reasons",
            apr_pstrcat(p, "<h3 class=\"govuk-heading-s\">Outcome</h3><p class=\"govuk-body\">",
                        E(outcome_sentence(kind, f->outcome)), "</p><p class=\"govuk-body\">",
                        E(f->reasons), "</p>", NULL));
    if (f->restrictions && json_array_size(f->restrictions)) {
        restriction_sections(b, f);
        /* an appeal decision is final within the council; the Ombudsman remains */
        if (!strcmp(kind, "review-outcome")) appeal_sections(b, f);
        else
            section(
                b, "ombudsman",
                "<p class=\"govuk-body\">If you remain unhappy you have the right to complain to "
                "the Local Government and Social Care Ombudsman "
                "(www.lgo.org.uk, telephone 0300 061 0614).</p>");
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
    return apr_pstrcat(
        p,
        "<!DOCTYPE html>\n<html lang=\"en-GB\" class=\"govuk-template\"><head><meta "
        "charset=\"utf-8\">"
        "<title>",
        E(subject), " - ", E(council), "</title>",
        stylesheet ? apr_pstrcat(p, "<link rel=\"stylesheet\" href=\"", E(stylesheet), "\">", NULL)
                   : "",
        "</head><body class=\"govuk-template__body\"><main class=\"govuk-main-wrapper "
        "govuk-width-container\">"
        "<article class=\"app-letter\" aria-labelledby=\"letter-subject\">\n",
        body, "</article></main></body></html>\n", NULL);
}
