/* The case's pages: the file (or what of it this user may see), the forms
 * for each step of the procedure, and the printable letters.  A form is
 * offered only when the step's own gate lets this user take it; a posted
 * form goes through the very same step as the API.  The handlers fetch;
 * the hab_render_* functions turn what was fetched into the page's body,
 * with the markup in mod_habitual/templates (case, step, concern, letter). */
#include <string.h>

#include <apr_strings.h>

#include "habitual/domain/access.h"
#include "habitual/domain/casefile.h"
#include "habitual/base/dates.h"
#include "habitual/base/form.h"
#include "habitual/web/forms.h"
#include "habitual/base/html.h"
#include "habitual/base/json_io.h"
#include "habitual/domain/letters.h"
#include "habitual/web/pages.h"
#include "habitual/domain/procedure.h"
#include "habitual/domain/roles.h"
#include "habitual/domain/router.h"
#include "habitual/base/validate.h"
#include "domain/steps.h"
#include "habitual/domain/reads.h"
#include "web/templates.h"

/* Text escaped for the page, in a function's pool p. */
#define E(s) hab_html_escape(p, s)

/* ---- the forms of the procedure's steps ---- */

static const hab_option_t o_directions[] = {
    {"inbound", "From the customer", NULL},
    {"outbound", "To the customer", NULL},
    {NULL, NULL, NULL},
};
static const hab_option_t o_methods[] = {
    {"phone", "By telephone", NULL},
    {"letter", "By letter", NULL},
    {"email", "By email", NULL},
    {NULL, NULL, NULL},
};
static const hab_option_t o_decision[] = {
    {"approve", "Approve the restrictions", NULL},
    {"reject", "Reject the report", "The case is closed."},
    {NULL, NULL, NULL},
};
static const hab_option_t o_recommend[] = {
    {"continue", "Continue for a new period", NULL},
    {"vary", "Vary the restrictions", NULL},
    {"remove", "Remove the designation", NULL},
    {NULL, NULL, NULL},
};
static const hab_option_t o_appeal[] = {
    {"uphold", "Uphold the decision", NULL},
    {"vary", "Vary the restrictions", NULL},
    {"quash", "Quash the decision", "Every restriction is lifted."},
    {NULL, NULL, NULL},
};
static const hab_option_t o_complaints[] = {
    {"exhausted", "Exhausted",
     "The complaints procedure has been fully implemented and exhausted."},
    {"in-progress", "In progress", NULL},
    {"not-applicable", "Not applicable", NULL},
    {NULL, NULL, NULL},
};
static const hab_option_t o_exclusion[] = {
    {"none", "None of these", NULL},
    {"foi-dpa", "A vexatious Freedom of Information or Data Protection request",
     "Not covered: consult the information governance manager."},
    {"legal-action", "Legal action", "Not covered: it has its own process."},
    {"housing-aggression", "The housing aggressive-behaviour process applies",
     "Not covered: use that process."},
    {NULL, NULL, NULL},
};

static const hab_widget_t w_contact[] = {
    {"at", "Date of the contact", NULL, HAB_W_DATE, NULL, "Enter the date of the contact"},
    {"channel", "How was the contact made?", NULL, HAB_W_RADIOS, hab_opt_contact_kinds,
     "Select how the contact was made"},
    {"direction", "Who made the contact?", NULL, HAB_W_RADIOS, o_directions,
     "Select who made the contact"},
    {"department", "Department (optional)", NULL, HAB_W_TEXT, NULL, NULL},
    {"officer", "Officer involved (optional)", NULL, HAB_W_TEXT, NULL, NULL},
    {"summary", "What happened", NULL, HAB_W_TEXTAREA, NULL, "Enter what happened"},
    {"incidents", "Incidents (optional)", "Select all that apply.", HAB_W_CHECKBOXES,
     hab_opt_incidents, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_warning[] = {
    {"on", "When was the customer asked to change?", NULL, HAB_W_DATE, NULL,
     "Enter the date of the warning"},
    {"method", "How?", NULL, HAB_W_RADIOS, o_methods, "Select how the customer was warned"},
    {"text", "What the customer was told",
     "Why the behaviour causes concern, and what the council may do if it does not change.",
     HAB_W_TEXTAREA, NULL, "Enter what the customer was told"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_close[] = {
    {"reason", "Why no action is needed", NULL, HAB_W_TEXTAREA, NULL,
     "Enter why no action is needed"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_report[] = {
    {"behaviour", "The behaviour causing concern", NULL, HAB_W_TEXTAREA, NULL,
     "Describe the behaviour"},
    {"restrictions", "Proposed restrictions", "Select all that apply.", HAB_W_RESTRICTIONS, NULL,
     "Select at least one restriction"},
    {"period_months", "For how many months?", "From 1 to 60.", HAB_W_NUMBER, NULL,
     "Enter the number of months"},
    {"alternatives_considered", "Less restrictive options considered", NULL, HAB_W_TEXTAREA, NULL,
     "Enter the options considered"},
    {"severe", "Is the behaviour severe enough to act without notice?",
     "Only if the customer has not been warned.", HAB_W_YESNO, NULL, NULL},
    {"severe_reason", "Why it is severe (if acting without notice)", NULL, HAB_W_TEXTAREA, NULL,
     NULL},
    {"safeguarding.considered", "Has safeguarding been considered?",
     "Needed when the customer is vulnerable.", HAB_W_YESNO, NULL, NULL},
    {"safeguarding.adjustments", "Reasonable adjustments and support", NULL, HAB_W_TEXTAREA, NULL,
     NULL},
    {"police_reference", "Police reference, or why it was not reported", "Needed after violence.",
     HAB_W_TEXT, NULL, NULL},
    {"asb_unit_consulted", "Has the anti-social behaviour unit been consulted?",
     "Needed after violence.", HAB_W_YESNO, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_decision[] = {
    {"outcome", "Your decision", NULL, HAB_W_RADIOS, o_decision, "Select your decision"},
    {"justified", "Are the restrictions justified?", NULL, HAB_W_YESNO, NULL, NULL},
    {"proportionate", "Are they proportionate?", NULL, HAB_W_YESNO, NULL, NULL},
    {"reasons", "Your reasons", "They are quoted in the letter to the customer.", HAB_W_TEXTAREA,
     NULL, "Enter your reasons"},
    {"start", "Restrictions start on (optional)", "Today if left blank.", HAB_W_DATE, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_review[] = {
    {"recommendation", "Recommendation", NULL, HAB_W_RADIOS, o_recommend,
     "Select a recommendation"},
    {"report", "Review report", "Whether a more reasonable approach is being used by the customer.",
     HAB_W_TEXTAREA, NULL, "Enter the review report"},
    {"monitoring_officer", "User name of the monitoring officer who joined the review", NULL,
     HAB_W_TEXT, NULL, "Enter the monitoring officer's user name"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_review_decision[] = {
    {"outcome", "Your decision", NULL, HAB_W_RADIOS, o_recommend, "Select your decision"},
    {"justified", "Are the restrictions still justified?", "Needed to continue or vary them.",
     HAB_W_YESNO, NULL, NULL},
    {"proportionate", "Are they still proportionate?", "Needed to continue or vary them.",
     HAB_W_YESNO, NULL, NULL},
    {"reasons", "Your reasons", "They are quoted in the letter to the customer.", HAB_W_TEXTAREA,
     NULL, "Enter your reasons"},
    {"period_months", "New period in months (optional)",
     "The previous period's length if left blank.", HAB_W_NUMBER, NULL, NULL},
    {"restrictions", "Varied restrictions (only if varying)", NULL, HAB_W_RESTRICTIONS, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_appeal[] = {
    {"received", "Date the appeal was received", NULL, HAB_W_DATE, NULL,
     "Enter the date the appeal was received"},
    {"grounds", "The customer's grounds", NULL, HAB_W_TEXTAREA, NULL, "Enter the grounds"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_appeal_decision[] = {
    {"outcome", "Your decision", NULL, HAB_W_RADIOS, o_appeal, "Select your decision"},
    {"justified", "Are the varied restrictions justified?", "Needed to vary them.", HAB_W_YESNO,
     NULL, NULL},
    {"proportionate", "Are they proportionate?", "Needed to vary them.", HAB_W_YESNO, NULL, NULL},
    {"reasons", "Your reasons", "They are quoted in the letter to the customer.", HAB_W_TEXTAREA,
     NULL, "Enter your reasons"},
    {"restrictions", "Varied restrictions (only if varying)", NULL, HAB_W_RESTRICTIONS, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_grant[] = {
    {"user", "User name of the officer", NULL, HAB_W_TEXT, NULL, "Enter the officer's user name"},
    {"reason", "Why they need to know", NULL, HAB_W_TEXTAREA, NULL, "Enter why they need to know"},
    {"expires", "Last day the notice is theirs", NULL, HAB_W_DATE, NULL, "Enter the last day"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_statement[] = {
    {"received", "Date the statement was received", NULL, HAB_W_DATE, NULL,
     "Enter the date it was received"},
    {"text", "The customer's statement",
     "In their words: it is shown wherever the case's file is shown.", HAB_W_TEXTAREA, NULL,
     "Enter the statement"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_hold[] = {
    {"reason", "Why the case must be kept", "A case on legal hold is never purged.", HAB_W_TEXTAREA,
     NULL, "Enter why the case must be kept"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_link[] = {
    {"person_id", "Number of the person record already held",
     "Shown beside each match on the case page.", HAB_W_NUMBER, NULL,
     "Enter the number of the person record"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_unlink[] = {
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_option_t o_person_fields[] = {
    {"name", "Name", NULL},
    {"address", "Address", NULL},
    {"date_of_birth", "Date of birth", NULL},
    {NULL, NULL, NULL},
};
static const hab_option_t o_withdraw_targets[] = {
    {"contact", "A contact in the chronology", "Its incidents are withdrawn with it."},
    {"incident", "One incident recorded with a contact", NULL},
    {"criterion", "A criterion of the concern", NULL},
    {NULL, NULL, NULL},
};
static const hab_option_t o_copy_actions[] = {
    {"add", "Add a recipient", NULL},
    {"remove", "Remove a recipient", NULL},
    {NULL, NULL, NULL},
};
static const hab_option_t o_copy_roles[] = {
    {"MP", "MP", NULL},
    {"Councillor", "Councillor", NULL},
    {"Citizens Advice", "Citizens Advice", NULL},
    {"Advocate", "Advocate", NULL},
    {"Practitioner", "Practitioner", NULL},
    {"Other", "Other", NULL},
    {NULL, NULL, NULL},
};
static const hab_widget_t w_person_correct[] = {
    {"field", "What is wrong", NULL, HAB_W_RADIOS, o_person_fields, "Select what is wrong"},
    {"value", "What it should say",
     "A date of birth as year-month-day, for example 1971-03-27. Letters issued from now on use "
     "it; letters already issued stay as they were.",
     HAB_W_TEXTAREA, NULL, "Enter what it should say"},
    {"reason", "Why it is corrected",
     "For example the customer's statement. The old value stays in the file, with your reason.",
     HAB_W_TEXTAREA, NULL, "Enter why it is corrected"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_withdraw[] = {
    {"target", "What was entered in error", NULL, HAB_W_RADIOS, o_withdraw_targets,
     "Select what was entered in error"},
    {"id", "Number of the contact (for a contact or an incident)",
     "Shown beside each contact in the chronology.", HAB_W_NUMBER, NULL,
     "Enter the number of the contact"},
    {"incident", "Which incident (for an incident)", NULL, HAB_W_RADIOS, hab_opt_incidents,
     "Select the incident"},
    {"criterion", "Which criterion (for a criterion)", NULL, HAB_W_RADIOS, hab_opt_criteria,
     "Select the criterion"},
    {"reason", "Why it is withdrawn", "It stays in the file, struck through, with your reason.",
     HAB_W_TEXTAREA, NULL, "Enter why it is withdrawn"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_copies[] = {
    {"action", "Add or remove", NULL, HAB_W_RADIOS, o_copy_actions, "Select add or remove"},
    {"name", "Name (to add)", NULL, HAB_W_TEXT, NULL, "Enter the recipient's name"},
    {"role", "Who they are (to add)", NULL, HAB_W_RADIOS, o_copy_roles, "Select who they are"},
    {"address", "Address (to add, optional)", NULL, HAB_W_TEXTAREA, NULL, NULL},
    {"id", "Number of the recipient (to remove)", "Shown beside each recipient on the case page.",
     HAB_W_NUMBER, NULL, "Enter the number of the recipient"},
    {"reason", "Why they are removed (to remove)", NULL, HAB_W_TEXTAREA, NULL,
     "Enter why they are removed"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_option_t o_letter_formats[] = {
    {"standard", "Standard print", NULL},
    {"large-print", "Large print", "At least 16 point, on screen and on paper."},
    {"plain-text", "Plain text", "Without the letter's layout, for a screen reader."},
    {NULL, NULL, NULL},
};
static const hab_widget_t w_adjustments[] = {
    {"format", "How the customer's letters are given", NULL, HAB_W_RADIOS, o_letter_formats,
     "Select how the customer's letters are given"},
    {"easy_read", "Does the customer need easy read?", "For whoever writes to them.", HAB_W_YESNO,
     NULL, NULL},
    {"named_contact", "A named contact at the council (optional)", NULL, HAB_W_TEXT, NULL, NULL},
    {"third_party.name", "Someone the customer wants copied into letters (optional)", NULL,
     HAB_W_TEXT, NULL, NULL},
    {"third_party.address", "Their address (optional)", NULL, HAB_W_TEXTAREA, NULL, NULL},
    {"notes", "Other adjustments (optional)", NULL, HAB_W_TEXTAREA, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_option_t o_post_channels[] = {
    {"letter", "Letter", NULL}, {"email", "Email", NULL},         {"online", "Online form", NULL},
    {"fax", "Fax", NULL},       {"in-person", "Handed in", NULL}, {NULL, NULL, NULL},
};
static const hab_option_t o_triage[] = {
    {"acknowledge-only", "Acknowledge only",
     "Nothing new: the standard acknowledgement letter is issued."},
    {"new-issue", "A new issue",
     "Passed to the service that deals with it, to be answered in the usual way."},
    {"safeguarding", "A safeguarding concern", "A safeguarding referral has been made."},
    {NULL, NULL, NULL},
};
static const hab_widget_t w_correspondence[] = {
    {"received", "Date received", NULL, HAB_W_DATE, NULL, "Enter the date it was received"},
    {"channel", "How it came", NULL, HAB_W_RADIOS, o_post_channels, "Select how it came"},
    {"summary", "What it is about",
     "A short summary: the customer experience manager reads it for new issues.", HAB_W_TEXTAREA,
     NULL, "Enter what it is about"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_triage[] = {
    {"item", "Number of the item", "Shown in the post queue.", HAB_W_NUMBER, NULL,
     "Enter the number of the item"},
    {"decision", "Your decision", NULL, HAB_W_RADIOS, o_triage, "Select your decision"},
    {"reason", "Why", NULL, HAB_W_TEXTAREA, NULL, "Enter why"},
    {"routed_to", "Service it was passed to (for a new issue)", NULL, HAB_W_TEXT, NULL,
     "Enter the service it was passed to"},
    {"reference", "Their reference (optional)", NULL, HAB_W_TEXT, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_evidence[] = {
    {"file", "The file",
     "A PDF, a photo (PNG, JPEG, GIF), a recording (MP3, WAV, Ogg, M4A), an email (.eml) or a text "
     "file; at most 10 MB unless the administrator set otherwise.",
     HAB_W_FILE, NULL, "Choose the file to attach"},
    {"description", "What it is",
     "For example: the customer's letter of 3 March, or a recording of the call.", HAB_W_TEXTAREA,
     NULL, "Say what the file is"},
    {"contact", "Number of the contact it belongs to (optional)", "As shown in the chronology.",
     HAB_W_NUMBER, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
static const hab_widget_t w_interim_lift[] = {
    {"reason", "Why the interim restriction is lifted",
     "It is quoted in the letter to the customer.", HAB_W_TEXTAREA, NULL,
     "Enter why the interim restriction is lifted"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

typedef struct page_step {
    const char *slug;                /* cases/{id}/<slug> */
    hab_route_id_t route;            /* the API step it runs: same gate, rules, log action */
    const char *title;
    const char *intro;
    const hab_widget_t *widgets;
    const char *button;
    const char *done;
} page_step_t;

/* What the forms say of the rules they are checked against. */
#define R7_TEXT \
    "One way of contacting the council must always stay open (R7). Declining every channel is " \
    "refused; contact through a third party keeps a way open; suspending all contact is allowed " \
    "only while legal advice is sought, with an end date within the period."
#define R8_TEXT \
    "Violence or threats of violence have been recorded (R8): the restrictions must stop " \
    "personal contact (written-only, or stricter), and the report must give the police reference " \
    "and confirm the anti-social behaviour unit was consulted."
#define VULNERABLE_TEXT \
    "The customer is recorded as vulnerable (R10): record the safeguarding consideration and the " \
    "reasonable adjustments."
#define DEPUTY_TEXT \
    "As monitoring officer you may decide only while a recorded absence of the chief executive " \
    "covers today."

static const page_step_t page_steps[] = {
    {"contacts", HAB_ROUTE_CONTACT_ADD, "Add to the chronology",
     "A dated contact with the customer. Record violence as an incident: restrictions come into "
     "force at once.",
     w_contact, "Add contact", "Contact added to the chronology"},
    {"warning", HAB_ROUTE_WARN, "Warn the customer",
     "Record how and when you explained to the customer why their behaviour causes concern and "
     "asked them to change it. A warning letter is issued.",
     w_warning, "Record warning", "Warning recorded and letter issued"},
    {"close", HAB_ROUTE_CLOSE, "Close without action",
     "The referral is closed; interim restrictions are lifted.", w_close, "Close the case",
     "Case closed"},
    {"report", HAB_ROUTE_REPORT, "Report to the chief executive",
     "The report details the behaviour causing concern, the proposed action and the period. If the "
     "customer was never warned, say why the behaviour is severe enough to act without "
     "notice. " R7_TEXT,
     w_report, "Send report", "Report sent to the chief executive"},
    {"decision", HAB_ROUTE_DECIDE, "Decide on the report",
     "Approve only if the restrictions are justified and proportionate, with your reasons: they go "
     "to the customer in the decision letter, with the review date and the appeal route. You "
     "cannot decide a case you referred or reported.",
     w_decision, "Record decision", "Decision recorded"},
    {"review", HAB_ROUTE_REVIEW, "Review the designation",
     "The customer experience manager and the monitoring officer review whether a more reasonable "
     "approach is being used, and recommend what to do.",
     w_review, "Send review", "Review sent for decision"},
    {"review-decision", HAB_ROUTE_REVIEW_DECIDE, "Decide on the review",
     "Continuing or varying starts a new period today. " R7_TEXT, w_review_decision,
     "Record decision", "Review decision recorded"},
    {"appeal", HAB_ROUTE_APPEAL, "Record an appeal",
     "A chief officer who has not been involved in the case will decide it.", w_appeal,
     "Record appeal", "Appeal recorded"},
    {"appeal-decision", HAB_ROUTE_APPEAL_DECIDE, "Decide the appeal",
     "You may decide only if you were not involved in the case. " R7_TEXT, w_appeal_decision,
     "Record decision", "Appeal decided"},
    {"grants", HAB_ROUTE_GRANT_ADD, "Pass the notice to an officer",
     "The officer will see who the restrictions concern, what contact is allowed and until when: "
     "never the reasons, the chronology or health information.",
     w_grant, "Pass on the notice", "Notice passed on"},
    {"statements", HAB_ROUTE_STATEMENT_ADD, "Record the customer's statement",
     "The customer's own statement disputing a record.", w_statement, "Record statement",
     "Statement recorded"},
    {"hold", HAB_ROUTE_HOLD, "Place a legal hold", NULL, w_hold, "Place legal hold",
     "Legal hold placed"},
    {"interim-lift", HAB_ROUTE_INTERIM_LIFT, "Lift the interim restriction",
     "The written-only restriction put in force after violence (R8) ends today (R15). The customer "
     "is sent a letter and chief officers are told.",
     w_interim_lift, "Lift the restriction", "Interim restriction lifted"},
    {"person", HAB_ROUTE_PERSON_CORRECT, "Correct the customer's details",
     "Correct a name, address or date of birth held in error (UK GDPR article 16).",
     w_person_correct, "Correct the details", "Details corrected"},
    {"corrections", HAB_ROUTE_CORRECTION_ADD, "Withdraw an entry made in error",
     "A contact, an incident or a criterion entered in error no longer counts: not for the rules "
     "(violence, R8), nor for how long the file is kept.",
     w_withdraw, "Withdraw the entry", "Entry withdrawn"},
    {"copies", HAB_ROUTE_COPIES, "Change who letters are copied to",
     "Letters issued from now on are copied to the list as it then stands.", w_copies,
     "Save the copy list", "Copy list changed"},
    {"adjustments", HAB_ROUTE_ADJUSTMENTS, "Record reasonable adjustments",
     "For any customer, at any time. Only the customer experience manager, the monitoring officer "
     "and the chief executive see them. Letters open in the format chosen, and copy the person "
     "named.",
     w_adjustments, "Save the adjustments", "Adjustments recorded"},
    {"evidence", HAB_ROUTE_EVIDENCE_ADD, "Attach evidence",
     "A document, photo, recording or email for the file. Only the customer experience manager, "
     "the monitoring officer and the chief executive can open it.",
     w_evidence, "Attach the file", "Evidence attached"},
    {"correspondence", HAB_ROUTE_CORRESPONDENCE_ADD, "Record post received",
     "Post from a customer whose correspondence is restricted is acknowledged but not answered. "
     "The customer experience manager still reads each item for new issues and safeguarding.",
     w_correspondence, "Record the item", "Item recorded for the post queue"},
    {"triage", HAB_ROUTE_TRIAGE_DECIDE, "Decide an item of post",
     "Every item is decided, with a reason: nothing leaves the queue undecided.", w_triage,
     "Record the decision", "Item decided"},
    /* offered from the case page's person records, not the actions list */
    {"link", HAB_ROUTE_PERSON_LINK, "Link to a person record already held",
     "Letters and notices will use that record's name and address; the referrer keeps seeing what "
     "they typed.",
     w_link, "Link the case", "Case linked to the person record"},
    {"unlink", HAB_ROUTE_PERSON_UNLINK, "Unlink from the person record",
     "The case goes back to the person as the referrer gave them.", w_unlink, "Unlink the case",
     "Case unlinked"},
};
#define PAGE_STEP_COUNT (sizeof(page_steps) / sizeof(page_steps[0]))

static const page_step_t *step_by_slug(const char *slug)
{
    for (size_t i = 0; slug && i < PAGE_STEP_COUNT; i++)
        if (!strcmp(page_steps[i].slug, slug)) return &page_steps[i];
    return NULL;
}

static const page_step_t *step_by_route(hab_route_id_t route)
{
    for (size_t i = 0; i < PAGE_STEP_COUNT; i++)
        if (page_steps[i].route == route) return &page_steps[i];
    return NULL;
}

static const char *case_path(apr_pool_t *p, long long id, const char *rest)
{
    return apr_psprintf(p, "cases/%" APR_INT64_T_FMT "%s", (apr_int64_t)id, rest ? rest : "");
}

/* The URL of one of the case's pages: rest is what follows cases/{id}. */
static const char *case_url(apr_pool_t *p, const hab_ui_t *ui, long long id, const char *rest)
{
    return hab_ui_url(p, ui, case_path(p, id, rest));
}

/* The URL of a step's form on the case. */
static const char *step_url(apr_pool_t *p, const hab_ui_t *ui, long long id, const char *slug)
{
    return case_url(p, ui, id, apr_pstrcat(p, "/", slug, NULL));
}

static long long id_of(const json_t *obj, const char *key)
{
    return (long long)json_integer_value(json_object_get(obj, key));
}

static const char *number(apr_pool_t *p, long long n)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)n);
}

/* ---- rendering parts of a case ---- */

static const char *text_or_dash(apr_pool_t *p, const char *s)
{
    return s && *s ? E(s) : "—";
}

static const char *yes_no(const json_t *flag)
{
    return json_is_true(flag) ? "Yes" : "No";
}

static const char *section(apr_pool_t *p, const char *heading, const char *markup)
{
    return hab_tpl(p, hab_tpl_case_section, "h", heading, "m", markup, NULL);
}

static const char *plain_list(apr_pool_t *p, const hab_html_t *items)
{
    return hab_tpl(p, hab_tpl_case_list, "items", hab_html_str(items), NULL);
}

static const char *bullets(apr_pool_t *p, const hab_html_t *items)
{
    return hab_tpl(p, hab_tpl_case_bullets, "items", hab_html_str(items), NULL);
}

/* A new row of n cells for a table. */
static const char **table_row(apr_pool_t *p, apr_array_header_t *rows, int n)
{
    const char **cells = apr_pcalloc(p, (size_t)n * sizeof(char *));
    APR_ARRAY_PUSH(rows, const char *const *) = cells;
    return cells;
}

static apr_array_header_t *table_rows(apr_pool_t *p)
{
    return apr_array_make(p, 8, sizeof(const char *const *));
}

static const char *criteria_words(apr_pool_t *p, const json_t *criteria)
{
    hab_html_t *h = hab_html_new(p);
    size_t i;
    json_t *c;
    json_array_foreach(criteria, i, c)
        for (const hab_option_t *o = hab_opt_criteria; o->value; o++)
            if (!strcmp(o->value, json_string_value(c)))
                hab_html_tpl(h, hab_tpl_case_item, "t", o->label, NULL);
    return bullets(p, h);
}

static const char *restriction_list(apr_pool_t *p, const json_t *list)
{
    if (!json_array_size(list)) return "None in force.";
    hab_html_t *h = hab_html_new(p);
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r) {
        int interim = json_is_true(json_object_get(r, "interim"));
        hab_html_tpl(h, interim ? hab_tpl_case_restriction_interim : hab_tpl_case_item,
                     "t", hab_restriction_sentence(p, r), NULL);
    }
    return bullets(p, h);
}

static const char *struck(apr_pool_t *p, const char *markup)
{
    return hab_tpl(p, hab_tpl_case_struck, "m", markup, NULL);
}

/* A contact's incidents as tags, each after a space; those withdrawn struck. */
static const char *contact_incidents(apr_pool_t *p, const json_t *c)
{
    hab_html_t *h = hab_html_new(p);
    size_t k;
    json_t *inc;
    json_array_foreach(json_object_get(c, "incidents"), k, inc) {
        hab_html_add(h, " ");
        hab_html_tpl(h, hab_tpl_tag, "c", "govuk-tag--red",
                     "w", hab_words(json_string_value(inc)), NULL);
    }
    json_array_foreach(json_object_get(c, "incidents_withdrawn"), k, inc) {
        hab_html_add(h, " ");
        hab_html_tpl(h, hab_tpl_case_incident_withdrawn,
                     "w", hab_words(json_string_value(inc)), NULL);
    }
    return hab_html_str(h);
}

/* One contact of the chronology; one withdrawn is struck through, with when. */
static const char *contact_item(apr_pool_t *p, const json_t *c)
{
    const char *withdrawn = hab_j_str(c, "withdrawn_at");
    const char *title = hab_tpl(p, hab_tpl_case_contact_title, "n", number(p, id_of(c, "id")),
                                "date", hab_ui_date(p, hab_j_str(c, "at")),
                                "channel", hab_words(hab_j_str(c, "channel")),
                                "dir", hab_words(hab_j_str(c, "direction")), NULL);
    const char *summary = hab_ui_paragraphs(p, hab_j_str(c, "summary"));
    const char *note = "";
    if (withdrawn) {
        title = struck(p, title);
        summary = struck(p, summary);
        note = hab_tpl(p, hab_tpl_case_contact_withdrawn, "d", hab_ui_date(p, withdrawn), NULL);
    }
    return hab_tpl(p, hab_tpl_case_contact, "title", title, "incidents", contact_incidents(p, c),
                   "summary", summary, "note", note, "by", hab_j_str(c, "recorded_by"), NULL);
}

static const char *chronology(apr_pool_t *p, const json_t *contacts)
{
    if (!json_array_size(contacts)) return section(p, "Chronology", hab_tpl_case_no_contacts);
    hab_html_t *h = hab_html_new(p);
    size_t i;
    json_t *c;
    json_array_foreach(contacts, i, c) hab_html_add(h, contact_item(p, c));
    return section(p, "Chronology",
                   hab_tpl(p, hab_tpl_case_chronology, "items", hab_html_str(h), NULL));
}

/* Who letters are copied to now, numbered for the copies form, and who was
 * removed (struck through, with who removed them and why). */
static const char *copies_list(apr_pool_t *p, const json_t *v)
{
    const json_t *now = json_object_get(v, "copy_to");
    const json_t *removed = json_object_get(v, "copies_removed");
    if (!json_array_size(now) && !json_array_size(removed)) return "";
    hab_html_t *h = hab_html_new(p);
    size_t i;
    json_t *r;
    json_array_foreach(now, i, r) {
        const char *address = hab_j_str(r, "address");
        hab_html_tpl(h, hab_tpl_case_copy, "n", number(p, id_of(r, "id")),
                     "name", hab_j_str(r, "name"), "role", hab_j_str(r, "role"),
                     "addr", address ? apr_pstrcat(p, ", ", address, NULL) : "", NULL);
    }
    json_array_foreach(removed, i, r) {
        const json_t *gone = json_object_get(r, "removed");
        hab_html_tpl(h, hab_tpl_case_copy_removed, "name", hab_j_str(r, "name"),
                     "role", hab_j_str(r, "role"), "by", hab_j_str(gone, "by"),
                     "d", hab_ui_date(p, hab_j_str(gone, "at")), "why", hab_j_str(gone, "reason"),
                     NULL);
    }
    return section(p, "Letters are copied to", plain_list(p, h));
}

static const char *correction_what(apr_pool_t *p, const json_t *x)
{
    const char *target = hab_j_str(x, "target"), *item = hab_j_str(x, "item");
    apr_int64_t id = (apr_int64_t)id_of(x, "id");
    if (!strcmp(target, "person")) return apr_pstrcat(p, "The customer's ", hab_words(item), NULL);
    if (!strcmp(target, "contact"))
        return apr_psprintf(p, "Contact %" APR_INT64_T_FMT " withdrawn", id);
    if (!strcmp(target, "incident"))
        return apr_psprintf(p, "Incident \"%s\" of contact %" APR_INT64_T_FMT " withdrawn",
                            hab_words(item), id);
    for (const hab_option_t *o = hab_opt_criteria; o->value; o++)
        if (item && !strcmp(o->value, item))
            return apr_pstrcat(p, "Criterion withdrawn: ", o->label, NULL);
    return "Criterion withdrawn";
}

/* Every correction: what, the old value struck through beside the new, why,
 * who and when. */
static const char *corrections_list(apr_pool_t *p, const json_t *v)
{
    const json_t *list = json_object_get(v, "corrections");
    if (!json_array_size(list)) return "";
    apr_array_header_t *rows = table_rows(p);
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char **cells = table_row(p, rows, 5);
        const char *old = hab_j_str(x, "old_value"), *now = hab_j_str(x, "new_value");
        cells[0] = E(correction_what(p, x));
        cells[1] = !strcmp(hab_j_str(x, "target"), "person")
            ? hab_tpl(p, hab_tpl_case_correction_change, "o", old ? old : "(none)",
                      "n", now ? now : "", NULL)
            : "—";
        cells[2] = E(hab_j_str(x, "reason"));
        cells[3] = E(hab_j_str(x, "by"));
        cells[4] = E(hab_ui_date(p, hab_j_str(x, "at")));
    }
    static const char *const head[] = {"What", "Was, now", "Why", "By", "When", NULL};
    return hab_ui_table(p, "Corrections", head, rows);
}

/* What the CEM decided of an item of post, in words. */
static const char *post_decision(apr_pool_t *p, const json_t *d)
{
    const char *routed = hab_j_str(d, "routed_to"), *ref = hab_j_str(d, "reference");
    const char *passed = routed ? apr_pstrcat(p, " (passed to ", routed, ref ? ", " : "",
                                              ref ? ref : "", ")", NULL)
                                : "";
    return apr_pstrcat(p, hab_words(hab_j_str(d, "decision")), ": ", hab_j_str(d, "reason"),
                       passed, NULL);
}

/* The post received under the post queue: each item and what the CEM
 * decided, or that it still waits. */
static const char *post_list(apr_pool_t *p, const json_t *v)
{
    const json_t *list = json_object_get(v, "correspondence");
    if (!json_array_size(list)) return "";
    apr_array_header_t *rows = table_rows(p);
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char **cells = table_row(p, rows, 5);
        const json_t *d = json_object_get(x, "decision");
        cells[0] = E(hab_ui_date(p, hab_j_str(x, "received")));
        cells[1] = E(hab_words(hab_j_str(x, "channel")));
        cells[2] = E(hab_j_str(x, "summary"));
        cells[3] = d ? E(post_decision(p, d)) : "Awaiting triage";
        cells[4] = E(d ? hab_j_str(d, "by") : hab_j_str(x, "recorded_by"));
    }
    static const char *const head[] = {"Received", "How", "Summary", "Decision",
                                       "Recorded or decided by", NULL};
    return hab_ui_table(p, "Post received", head, rows);
}

/* The files attached, each to save (never shown in the page). */
static const char *evidence_list(apr_pool_t *p, const hab_ui_t *ui, const json_t *v)
{
    const json_t *list = json_object_get(v, "evidence");
    if (!json_array_size(list)) return "";
    apr_array_header_t *rows = table_rows(p);
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char **cells = table_row(p, rows, 5);
        const char *path = apr_psprintf(p, "api/cases/%" APR_INT64_T_FMT "/evidence/%"
                                        APR_INT64_T_FMT, (apr_int64_t)id_of(v, "id"),
                                        (apr_int64_t)id_of(x, "id"));
        cells[0] = hab_tpl(p, hab_tpl_case_evidence_file, "h", hab_ui_url(p, ui, path),
                           "f", hab_j_str(x, "filename"), NULL);
        cells[1] = E(hab_j_str(x, "description"));
        cells[2] = E(apr_psprintf(p, "%s, %" APR_INT64_T_FMT " bytes", hab_j_str(x, "content_type"),
                                  (apr_int64_t)id_of(x, "size")));
        cells[3] = E(hab_j_str(x, "uploaded_by"));
        cells[4] = E(hab_ui_date(p, hab_j_str(x, "uploaded_at")));
    }
    static const char *const head[] = {"File", "What it is", "Type and size", "Attached by", "When",
                                       NULL};
    return hab_ui_table(p, "Evidence", head, rows);
}

/* open: the steps the gates let this user take (hab_steps_open). */
static const char *actions(apr_pool_t *p, const hab_ui_t *ui, long long id,
                           const apr_array_header_t *open)
{
    if (!open->nelts) return "";
    hab_html_t *h = hab_html_new(p);
    for (int i = 0; i < open->nelts; i++) {
        hab_route_id_t route = APR_ARRAY_IDX(open, i, hab_route_id_t);
        const page_step_t *st = step_by_route(route);
        if (!st || route == HAB_ROUTE_PERSON_LINK || route == HAB_ROUTE_PERSON_UNLINK) continue;
        hab_html_tpl(h, hab_tpl_case_link_item, "h", step_url(p, ui, id, st->slug),
                     "t", st->title, NULL);
    }
    return section(p, "What you can do", plain_list(p, h));
}

static const char *person_rows(apr_pool_t *p, const json_t *v)
{
    apr_array_header_t *rows = apr_array_make(p, 16, sizeof(const char *));
    const json_t *person = json_object_get(v, "person");
    hab_ui_row(rows, "Name", text_or_dash(p, hab_j_str(person, "name")));
    hab_ui_row(rows, "Council reference", text_or_dash(p, hab_j_str(person, "reference")));
    if (json_object_get(person, "address"))
        hab_ui_row(rows, "Address", text_or_dash(p, hab_j_str(person, "address")));
    if (json_object_get(person, "date_of_birth"))
        hab_ui_row(rows, "Date of birth", E(hab_ui_date(p, hab_j_str(person, "date_of_birth"))));
    return hab_ui_summary_list(p, rows);
}

static const char *referral_rows(apr_pool_t *p, const json_t *v)
{
    apr_array_header_t *rows = apr_array_make(p, 16, sizeof(const char *));
    if (hab_j_str(v, "referred_by")) hab_ui_row(rows, "Raised by", E(hab_j_str(v, "referred_by")));
    hab_ui_row(rows, "Raised on", E(hab_ui_date(p, hab_j_str(v, "referred_at"))));
    hab_ui_row(rows, "Department", text_or_dash(p, hab_j_str(v, "department")));
    hab_ui_row(rows, "What happened", hab_ui_paragraphs(p, hab_j_str(v, "summary")));
    hab_ui_row(rows, "Measures already taken",
               hab_ui_paragraphs(p, hab_j_str(v, "measures_taken")));
    hab_ui_row(rows, "Complaints procedure",
               text_or_dash(p, hab_words(hab_j_str(v, "complaints_procedure"))));
    hab_ui_row(rows, "Criteria met", criteria_words(p, json_object_get(v, "criteria")));
    return hab_ui_summary_list(p, rows);
}

static const char *designation_rows(apr_pool_t *p, const json_t *v)
{
    apr_array_header_t *rows = apr_array_make(p, 8, sizeof(const char *));
    hab_ui_row(rows, "Restrictions in force",
               restriction_list(p, json_object_get(v, "restrictions")));
    const char *open = "";
    size_t i;
    json_t *ch;
    json_array_foreach(json_object_get(v, "open_channels"), i, ch)
        open = apr_pstrcat(p, open, *open ? ", " : "", hab_words(json_string_value(ch)), NULL);
    if (json_array_size(json_object_get(v, "restrictions")))
        hab_ui_row(rows, "Ways still open", text_or_dash(p, open));
    const json_t *later = json_object_get(v, "restrictions_scheduled");
    if (json_array_size(later)) { /* decided, in force from the period's start (R9) */
        const char *from = hab_ui_date(p, hab_j_str(json_array_get(later, 0), "from"));
        hab_ui_row(rows, apr_pstrcat(p, "In force from ", from, NULL), restriction_list(p, later));
    }
    const json_t *period = json_object_get(v, "period");
    if (json_is_object(period))
        hab_ui_row(rows, "Period", E(apr_pstrcat(p, hab_ui_date(p, hab_j_str(period, "start")),
                                                 " to ", hab_ui_date(p, hab_j_str(period, "end")),
                                                 NULL)));
    if (hab_j_str(v, "review_due"))
        hab_ui_row(rows, "Review due", E(hab_ui_date(p, hab_j_str(v, "review_due"))));
    return hab_ui_summary_list(p, rows);
}

static const char *special_category(apr_pool_t *p, const json_t *v)
{
    if (!json_object_get(v, "vulnerable")) return ""; /* stripped from this user's view */
    apr_array_header_t *rows = apr_array_make(p, 4, sizeof(const char *));
    hab_ui_row(rows, "Vulnerable", yes_no(json_object_get(v, "vulnerable")));
    hab_ui_row(rows, "Vulnerability", text_or_dash(p, hab_j_str(v, "vulnerability")));
    const json_t *adj = json_object_get(v, "adjustments");
    if (json_is_object(adj)) {
        const json_t *third = json_object_get(adj, "third_party");
        hab_ui_row(rows, "Letters given in", E(hab_words(hab_j_str(adj, "format"))));
        hab_ui_row(rows, "Easy read", yes_no(json_object_get(adj, "easy_read")));
        hab_ui_row(rows, "Named contact", text_or_dash(p, hab_j_str(adj, "named_contact")));
        hab_ui_row(rows, "Copied at the customer's request",
                   text_or_dash(p, hab_j_str(third, "name")));
        hab_ui_row(rows, "Other adjustments", text_or_dash(p, hab_j_str(adj, "notes")));
    }
    const json_t *sg = json_object_get(json_object_get(v, "report"), "safeguarding");
    if (json_is_object(sg)) {
        hab_ui_row(rows, "Safeguarding considered", yes_no(json_object_get(sg, "considered")));
        hab_ui_row(rows, "Adjustments", text_or_dash(p, hab_j_str(sg, "adjustments")));
    }
    return section(p, "Special category data", hab_ui_summary_list(p, rows));
}

static int looks_like_date(const char *s)
{
    size_t n = strlen(s);
    return (n == 10 && hab_valid_date(s)) || (n == 20 && hab_valid_time(s));
}

/* One value of a record, as the summary list shows it. */
static const char *record_value(apr_pool_t *p, const json_t *val)
{
    const char *s = json_string_value(val);
    if (s && looks_like_date(s)) return E(hab_ui_date(p, s));
    if (s && !strchr(s, ' ')) return E(hab_words(s)); /* a value from a list: in words */
    if (s) return hab_ui_paragraphs(p, s);
    if (json_is_boolean(val)) return yes_no(val);
    if (json_is_integer(val)) return number(p, (long long)json_integer_value(val));
    if (json_is_array(val)) return restriction_list(p, val);
    return NULL;
}

static const char *record_rows(apr_pool_t *p, const json_t *obj, const char *const *keys,
                               const char *const *labels)
{
    if (!json_is_object(obj)) return NULL;
    apr_array_header_t *rows = apr_array_make(p, 8, sizeof(const char *));
    for (int i = 0; keys[i]; i++) {
        const char *m = record_value(p, json_object_get(obj, keys[i]));
        if (m) hab_ui_row(rows, labels[i], m);
    }
    return hab_ui_summary_list(p, rows);
}

/* A record (keys shown under labels) as its own section, if it is there. */
static void add_record(hab_html_t *h, const char *heading, const json_t *obj,
                       const char *const *keys, const char *const *labels)
{
    const char *m = record_rows(h->p, obj, keys, labels);
    if (m) hab_html_add(h, section(h->p, heading, m));
}

/* Each review or appeal, then its decision if it has one. */
static void add_records(hab_html_t *h, const json_t *list, const char *heading,
                        const char *const *keys, const char *const *labels)
{
    static const char *const out_k[] = {"outcome", "reasons", "decided_by", "at", NULL};
    static const char *const out_l[] = {"Outcome", "Reasons", "Decided by", "On", NULL};
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        hab_html_add(h, section(h->p, heading, record_rows(h->p, x, keys, labels)));
        add_record(h, apr_pstrcat(h->p, heading, " decision", NULL), json_object_get(x, "decision"),
                   out_k, out_l);
    }
}

static const char *history(apr_pool_t *p, const json_t *v)
{
    static const char *const warn_k[] = {"on", "method", "text", "by", NULL};
    static const char *const warn_l[] = {"When", "How", "What the customer was told", "By", NULL};
    static const char *const report_k[] = {
        "behaviour", "restrictions", "period_months", "alternatives_considered", "severe",
        "severe_reason", "police_reference", "asb_unit_consulted", "author", NULL};
    static const char *const report_l[] = {
        "Behaviour", "Proposed restrictions", "Months", "Alternatives considered",
        "Severe (without notice)", "Why severe", "Police", "ASB unit consulted", "By", NULL};
    static const char *const dec_k[] = {"outcome", "decided_by", "acting_as", "deputising",
                                        "justified", "proportionate", "reasons", "start", NULL};
    static const char *const dec_l[] = {"Outcome", "Decided by", "Acting as", "Deputising",
                                        "Justified", "Proportionate", "Reasons", "Start", NULL};
    static const char *const rev_k[] = {"recommendation", "report", "monitoring_officer",
                                        "author", "at", NULL};
    static const char *const rev_l[] = {"Recommendation", "Report", "Monitoring officer", "By",
                                        "On", NULL};
    static const char *const app_k[] = {"received", "grounds", "recorded_by", NULL};
    static const char *const app_l[] = {"Received", "Grounds", "Recorded by", NULL};
    static const char *const st_k[] = {"received", "text", "recorded_by", NULL};
    static const char *const st_l[] = {"Received", "The customer's statement", "Recorded by", NULL};
    hab_html_t *h = hab_html_new(p);
    add_record(h, "Warning", json_object_get(v, "warning"), warn_k, warn_l);
    add_record(h, "Report", json_object_get(v, "report"), report_k, report_l);
    add_record(h, "Decision", json_object_get(v, "decision"), dec_k, dec_l);
    add_records(h, json_object_get(v, "reviews"), "Review", rev_k, rev_l);
    add_records(h, json_object_get(v, "appeals"), "Appeal", app_k, app_l);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(v, "statements"), i, x)
        hab_html_add(h, section(p, "Statement disputing a record", record_rows(p, x, st_k, st_l)));
    return hab_html_str(h);
}

static const char *letters_list(apr_pool_t *p, const hab_ui_t *ui, const json_t *v)
{
    const json_t *letters = json_object_get(v, "letters");
    if (!json_array_size(letters)) return "";
    hab_html_t *h = hab_html_new(p);
    size_t i;
    json_t *l;
    json_array_foreach(letters, i, l) {
        const char *rest = apr_psprintf(p, "/letters/%" APR_INT64_T_FMT,
                                        (apr_int64_t)id_of(l, "id"));
        hab_html_tpl(h, hab_tpl_case_letter_item, "h", case_url(p, ui, id_of(v, "id"), rest),
                     "s", hab_j_str(l, "subject") ? hab_j_str(l, "subject") : hab_j_str(l, "kind"),
                     "d", hab_ui_date(p, hab_j_str(l, "issued_at")), NULL);
    }
    return section(p, "Letters", plain_list(p, h));
}

/* A button alone in a form posting to the case's page at rest: kind is its
 * GOV.UK modifier; hidden, markup of hidden inputs; hidden_label, what the
 * button does, for a screen reader. */
typedef struct post_button {
    const char *rest, *hidden, *kind, *label, *hidden_label;
} post_button_t;

static const char *post_button(apr_pool_t *p, const hab_ui_t *ui, long long id,
                               const post_button_t *b)
{
    return hab_tpl(p, hab_tpl_case_post_button, "a", case_url(p, ui, id, b->rest),
                   "t", ui->csrf_token, "hidden", b->hidden, "kind", b->kind, "label", b->label,
                   "hl", b->hidden_label, NULL);
}

/* Withdraw a grant, by its id: a user id may hold a '/', which no path can carry. */
static const char *revoke_button(apr_pool_t *p, const hab_ui_t *ui, long long id, const json_t *g,
                                 const char *who)
{
    post_button_t b = {
        apr_psprintf(p, "/grants/%" APR_INT64_T_FMT "/revoke", (apr_int64_t)id_of(g, "id")), "",
        "govuk-button--warning", "Withdraw", apr_pstrcat(p, "the notice from ", who, NULL)};
    return post_button(p, ui, id, &b);
}

static const char *grants_list(apr_pool_t *p, const hab_ui_t *ui, long long id,
                               const json_t *grants, int with_revoke)
{
    apr_array_header_t *rows = table_rows(p);
    size_t i;
    json_t *g;
    json_array_foreach(grants, i, g) {
        if (!json_is_true(json_object_get(g, "active"))) continue;
        const char **cells = table_row(p, rows, 4);
        const char *who = hab_j_str(g, "team") ? apr_pstrcat(p, "Team ", hab_j_str(g, "team"), NULL)
                                               : hab_j_str(g, "user");
        cells[0] = E(who);
        cells[1] = E(hab_j_str(g, "reason"));
        cells[2] = E(hab_ui_date(p, hab_j_str(g, "expires")));
        cells[3] = with_revoke ? revoke_button(p, ui, id, g, who) : "";
    }
    if (!rows->nelts) return hab_tpl_case_no_grants;
    static const char *const head[] = {"Officer or team", "Why", "Until", "", NULL};
    return hab_ui_table(p, "Officers holding the notice", head, rows);
}

/* Is route among the steps the gates opened (hab_steps_open)? */
static int step_open(const apr_array_header_t *open, hab_route_id_t route)
{
    for (int i = 0; i < open->nelts; i++)
        if (APR_ARRAY_IDX(open, i, hab_route_id_t) == route) return 1;
    return 0;
}

/* Link the case to the stored person record pid. */
static const char *link_button(apr_pool_t *p, const hab_ui_t *ui, long long id, const char *pid)
{
    post_button_t b = {"/link", hab_tpl(p, hab_tpl_case_person_id_input, "v", pid, NULL),
                       "govuk-button--secondary", "Link",
                       apr_pstrcat(p, "to person record ", pid, NULL)};
    return post_button(p, ui, id, &b);
}

/* The person as referred and the stored records sharing the reference,
 * each with a button to link the case to it (case officers only: the
 * referrer never learns who else is held). */
static const char *person_records(apr_pool_t *p, const hab_ui_t *ui, const json_t *v, int may_link)
{
    long long id = id_of(v, "id");
    hab_html_t *h = hab_html_new(p);
    const json_t *typed = json_object_get(v, "person_as_referred");
    const json_t *link = json_object_get(v, "person_link");
    if (json_is_object(link)) {
        hab_html_tpl(h, hab_tpl_case_person_link, "by", hab_j_str(link, "by"),
                     "on", hab_ui_date(p, hab_j_str(link, "at")), "name", hab_j_str(typed, "name"),
                     "ref", hab_j_str(typed, "reference"), NULL);
        post_button_t unlink = {"/unlink", "", "govuk-button--secondary", "Unlink", "this case"};
        if (may_link) hab_html_add(h, post_button(p, ui, id, &unlink));
    }
    apr_array_header_t *rows = table_rows(p);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(v, "person_matches"), i, m) {
        const char **cells = table_row(p, rows, 6);
        const char *pid = number(p, id_of(m, "person_id"));
        cells[0] = pid;
        cells[1] = E(hab_j_str(m, "name"));
        cells[2] = text_or_dash(p, hab_j_str(m, "address"));
        cells[3] = number(p, id_of(m, "cases"));
        cells[4] = may_link ? link_button(p, ui, id, pid) : "";
    }
    if (rows->nelts) {
        static const char *const head[] = {"Record", "Name", "Address", "Cases", "", NULL};
        hab_html_add(h, hab_ui_table(p, "Person records already held with this reference", head,
                                     rows));
    }
    const char *out = hab_html_str(h);
    return *out ? section(p, "Person records", out) : "";
}

/* ---- the case file ---- */

const char *hab_page_done_banner(const hab_request_in_t *in)
{
    const char *done = in->query ? hab_j_str(in->query, "done") : NULL;
    const page_step_t *st = step_by_slug(done);
    if (st) return st->done;
    if (done && !strcmp(done, "raised"))
        return "Concern raised: the customer experience manager has it";
    if (done && !strcmp(done, "revoked")) return "Notice withdrawn";
    return NULL;
}

static const char *case_heading(apr_pool_t *p, const json_t *v)
{
    const char *end = hab_j_str(v, "end_reason");
    return hab_tpl(p, hab_tpl_case_heading, "id", number(p, id_of(v, "id")),
                   "name", hab_j_str(json_object_get(v, "person"), "name"),
                   "tag", hab_ui_tag(p, hab_j_str(v, "status")),
                   "end", end ? apr_pstrcat(p, " ", end, NULL) : "", NULL);
}

static const char *full_file(apr_pool_t *p, const hab_ui_t *ui, const json_t *v, int sight,
                             const apr_array_header_t *open)
{
    hab_html_t *h = hab_html_new(p);
    hab_html_add(h, case_heading(p, v));
    hab_html_add(h, actions(p, ui, id_of(v, "id"), open));
    hab_html_add(h, section(p, "The customer", person_rows(p, v)));
    if (sight == HAB_SEE_FULL) /* the buttons only where the step's own gate opens */
        hab_html_add(h, person_records(p, ui, v, step_open(open, HAB_ROUTE_PERSON_LINK)));
    hab_html_add(h, section(p, "Restrictions", designation_rows(p, v)));
    hab_html_add(h, special_category(p, v));
    hab_html_add(h, section(p, "The referral", referral_rows(p, v)));
    hab_html_add(h, chronology(p, json_object_get(v, "contacts")));
    hab_html_add(h, copies_list(p, v));
    hab_html_add(h, corrections_list(p, v));
    hab_html_add(h, post_list(p, v));
    hab_html_add(h, evidence_list(p, ui, v));
    hab_html_add(h, history(p, v));
    if (sight == HAB_SEE_FULL) { /* letters and grants: cem, mo, ce */
        hab_html_add(h, letters_list(p, ui, v));
        const char *grants = grants_list(p, ui, id_of(v, "id"), json_object_get(v, "grants"), 0);
        hab_html_add(h, section(p, "Notices passed on", grants));
    }
    const json_t *hold = json_object_get(v, "legal_hold");
    if (json_is_object(hold))
        hab_html_add(h, section(p, "Legal hold", hab_ui_paragraphs(p, hab_j_str(hold, "reason"))));
    return hab_html_str(h);
}

static const char *referral_file(apr_pool_t *p, const hab_ui_t *ui, const json_t *v,
                                 const apr_array_header_t *open)
{
    hab_html_t *h = hab_html_new(p);
    hab_html_add(h, case_heading(p, v));
    if (!json_object_get(v, "summary")) {
        hab_html_add(h, hab_tpl_case_referral_forward);
    } else {
        hab_html_add(h, section(p, "What you raised", referral_rows(p, v)));
        hab_html_add(h, chronology(p, json_object_get(v, "contacts")));
    }
    hab_html_add(h, actions(p, ui, id_of(v, "id"), open));
    return hab_html_str(h);
}

const char *hab_render_case(apr_pool_t *p, const hab_ui_t *ui, const json_t *view, int sight,
                            const apr_array_header_t *open)
{
    return sight == HAB_SEE_REFERRAL ? referral_file(p, ui, view, open)
                                     : full_file(p, ui, view, sight, open);
}

hab_err_t *hab_page_case(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_case_t *c;
    int sight;
    /* a notice is not the file */
    hab_err_t *e = hab_access_load(ctx, in->case_id, HAB_CASE_WHOLE, HAB_SEE_REFERRAL, &c, &sight);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    json_t *v = hab_view_case(ctx->p, c, (hab_sight_t)sight);
    const apr_array_header_t *open = hab_steps_open(ctx, c, sight); /* asked once for the page */
    hab_page_t pg = {apr_psprintf(ctx->p, "Case %" APR_INT64_T_FMT, (apr_int64_t)c->id),
                     sight == HAB_SEE_REFERRAL ? "referrals" : "cases",
                     hab_render_case(ctx->p, &ui, v, sight, open), 0, 0, hab_page_done_banner(in)};
    hab_page_answer(ctx, out, 200, &pg);
    return NULL;
}

/* ---- step forms ---- */

/* Run a step as a page's form asks it (a refusal leaves nothing). */
static hab_err_t *run_step(hab_ctx_t *ctx, hab_route_id_t route, const hab_request_in_t *in,
                           json_t *body, const char *arg, hab_result_t *r)
{
    hab_request_in_t api = *in;
    api.route = route;
    api.body = body;
    api.arg = arg;
    memset(r, 0, sizeof(*r));
    return hab_step_run_alone(ctx, route, &api, r);
}

static int fixable(const hab_err_t *e)
{
    return e->status == 400 || e->status == 422;
}

static const char *step_intro(apr_pool_t *p, const hab_ui_t *ui, const page_step_t *st,
                              const hab_case_t *c)
{
    const char *intro = st->intro ? hab_tpl(p, hab_tpl_paragraph, "t", st->intro, NULL) : "";
    int proposes = st->route == HAB_ROUTE_REPORT || st->route == HAB_ROUTE_REVIEW_DECIDE ||
                   st->route == HAB_ROUTE_APPEAL_DECIDE;
    if (proposes && c->violence) intro = apr_pstrcat(p, intro, hab_ui_warning(p, R8_TEXT), NULL);
    if (st->route == HAB_ROUTE_REPORT && c->vulnerable)
        intro = apr_pstrcat(p, intro, hab_ui_warning(p, VULNERABLE_TEXT), NULL);
    if (st->route == HAB_ROUTE_DECIDE && !(ui->roles & HAB_ROLE_CHIEF_EXECUTIVE))
        intro = apr_pstrcat(p, intro, hab_ui_inset(p, DEPUTY_TEXT), NULL);
    return intro;
}

/* A step's fields; the grant form also offers the teams this <Location>
 * names (HabitualTeam, as ",a,b,"), as radios after the officer's user name. */
static const hab_widget_t *step_widgets(apr_pool_t *p, const page_step_t *st,
                                        const char *team_names)
{
    if (st->route != HAB_ROUTE_GRANT_ADD || !team_names || strlen(team_names) < 3)
        return st->widgets;
    apr_array_header_t *opts = apr_array_make(p, 4, sizeof(hab_option_t));
    char *names = apr_pstrdup(p, team_names), *state;
    for (char *t = apr_strtok(names, ",", &state); t; t = apr_strtok(NULL, ",", &state)) {
        hab_option_t *o = apr_array_push(opts);
        o->value = t;
        o->label = apr_pstrcat(p, "Team ", t, NULL);
        o->hint = NULL;
    }
    hab_option_t *end = apr_array_push(opts);
    memset(end, 0, sizeof(*end));
    int n = 0;
    while (st->widgets[n].key) n++;
    hab_widget_t *w = apr_pcalloc(p, (size_t)(n + 2) * sizeof(*w));
    w[0] = st->widgets[0];
    w[0].hint = "Or choose a whole team below.";
    w[1] = (hab_widget_t){"group", "Or a whole team",
                          "Everyone in the team sees the notice while they are in it.",
                          HAB_W_RADIOS, (const hab_option_t *)opts->elts, NULL};
    for (int i = 1; i <= n; i++) w[i + 1] = st->widgets[i];
    return w;
}

const char *hab_render_step(apr_pool_t *p, const hab_ui_t *ui, const hab_case_t *c, int sight,
                            const hab_step_form_t *form)
{
    const page_step_t *st = step_by_slug(form->slug);
    if (!st) return NULL;
    const char *extra = st->route == HAB_ROUTE_GRANT_ADD ? grants_list(p, ui, c->id, c->grants, 1)
                                                         : "";
    /* back to the case only for those who may open its page */
    int file = sight != HAB_SEE_NOTICE;
    const char *form_html =
        hab_form_render(p, step_widgets(p, st, form->team_names), form->posted, form->errors,
                        ui->csrf_token, st->button, step_url(p, ui, c->id, st->slug));
    return hab_tpl(p, hab_tpl_step_page, "errs", hab_ui_error_summary(p, form->errors),
                   "id", number(p, c->id),
                   "name", hab_j_str(hab_person_shown(c, (hab_sight_t)sight), "name"),
                   "title", st->title, "intro", step_intro(p, ui, st, c), "extra", extra,
                   "form", form_html,
                   "back", file ? case_url(p, ui, c->id, NULL) : hab_ui_url(p, ui, "notices"),
                   "back_text", file ? "Back to the case" : "Back to your notices", NULL);
}

static void step_page(hab_ctx_t *ctx, hab_result_t *out, const page_step_t *st, const hab_case_t *c,
                      int sight, const hab_step_form_t *form, int status, const char *banner)
{
    hab_ui_t ui = hab_page_ui(ctx);
    hab_page_t pg = {st->title, "cases", hab_render_step(ctx->p, &ui, c, sight, form),
                     form->errors && form->errors->nelts, 0, banner};
    hab_page_answer(ctx, out, status, &pg);
}

/* A link may fill a form in (the post queue's "Decide" fills in the item):
 * the query's values, shown as if posted; the step checks them as ever. */
static apr_array_header_t *query_pairs(hab_ctx_t *ctx, const json_t *query)
{
    if (!json_object_size(query)) return NULL;
    apr_array_header_t *pairs = apr_array_make(ctx->p, 4, sizeof(hab_form_pair_t));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)query, key, v) {
        if (!json_is_string(v) || !strcmp(key, "done")) continue;
        hab_form_pair_t *pair = &APR_ARRAY_PUSH(pairs, hab_form_pair_t);
        pair->name = apr_pstrdup(ctx->p, key);
        pair->value = apr_pstrdup(ctx->p, json_string_value(v));
    }
    return pairs->nelts ? pairs : NULL;
}

hab_err_t *hab_page_step_form(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    const page_step_t *st = step_by_slug(in->arg);
    if (!st) return hab_err_not_found(ctx->p); /* not a case: no such page */
    /* Ask the step itself, with nothing filled in: if it gets as far as the
     * form's fields, the user may take it now; otherwise its refusal is ours. */
    hab_result_t probe;
    hab_err_t *e = run_step(ctx, st->route, in, hab_json_own(ctx->p, json_object()), NULL, &probe);
    if (!e) return hab_err_internal(ctx->p, "a step accepted an empty form");
    if (!fixable(e)) return e;
    hab_case_t *c;
    int sight;
    if ((e = hab_access_load(ctx, in->case_id, HAB_CASE_WHOLE, HAB_SEE_NOTICE, &c, &sight)))
        return e;
    hab_posted_t prefill = {query_pairs(ctx, in->query)};
    hab_step_form_t form = {st->slug, ctx->team_names, prefill.pairs ? &prefill : NULL, NULL};
    step_page(ctx, out, st, c, sight, &form, 200, hab_page_done_banner(in));
    return NULL;
}

/* Back to the case, if the user may still see its page; a chief officer
 * who passed a notice on or decided an appeal goes to their notices. */
static const char *after_step(hab_ctx_t *ctx, long long id, const char *slug)
{
    hab_case_t *c;
    int sight;
    const char *done = apr_pstrcat(ctx->p, "?done=", slug, NULL);
    if (!hab_access_load(ctx, id, HAB_CASE_WHOLE, HAB_SEE_REFERRAL, &c, &sight))
        return case_path(ctx->p, id, done);
    return apr_pstrcat(ctx->p, "notices", done, NULL);
}

static void redirect(hab_ctx_t *ctx, hab_result_t *out, const char *path)
{
    hab_ui_t ui = hab_page_ui(ctx);
    out->status = 303;
    out->location = hab_ui_url(ctx->p, &ui, path);
}

hab_err_t *hab_page_step(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    const page_step_t *st = step_by_slug(in->arg);
    if (!st) return hab_err_not_found(ctx->p); /* not a case: no such page */
    ctx->action = hab_route_def(st->route)->action;
    const hab_widget_t *widgets = step_widgets(ctx->p, st, ctx->team_names);
    hab_posted_t posted = {in->form};
    hab_result_t r;
    json_t *body;
    hab_err_t *e = hab_form_to_json(ctx->p, widgets, &posted, &body);
    if (e) return e;
    e = run_step(ctx, st->route, in, body, NULL, &r);
    if (!e) {
        redirect(ctx, out, after_step(ctx, in->case_id, st->slug));
        return NULL;
    }
    if (!fixable(e)) return e;
    hab_case_t *c;
    int sight;
    hab_err_t *le = hab_access_load(ctx, in->case_id, HAB_CASE_WHOLE, HAB_SEE_NOTICE, &c, &sight);
    if (le) return le;
    ctx->refused_rule = e->rule; /* the form again, refused: its entry names the rule */
    hab_step_form_t form = {st->slug, ctx->team_names, &posted,
                            hab_form_errors(ctx->p, widgets, e)};
    step_page(ctx, out, st, c, sight, &form, e->status, NULL);
    return NULL;
}

hab_err_t *hab_page_revoke(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_result_t r;
    hab_err_t *e = run_step(ctx, HAB_ROUTE_GRANT_REVOKE, in, NULL, in->arg, &r);
    if (e) return e;
    redirect(ctx, out, case_path(ctx->p, in->case_id, "/grants?done=revoked"));
    return NULL;
}

/* ---- raise a concern ---- */

static const hab_widget_t w_concern[] = {
    {"exclusion", "Is this about any of these?", "The procedure does not cover them (R1).",
     HAB_W_RADIOS, o_exclusion, "Select whether the matter is excluded"},
    {"person.name", "Customer's full name", NULL, HAB_W_TEXT, NULL,
     "Enter the customer's full name"},
    {"person.reference", "Customer's council reference", NULL, HAB_W_TEXT, NULL,
     "Enter the customer's council reference"},
    {"person.address", "Customer's address (optional)", NULL, HAB_W_TEXTAREA, NULL, NULL},
    {"person.date_of_birth", "Customer's date of birth (optional)", NULL, HAB_W_DATE, NULL, NULL},
    {"department", "Your department", NULL, HAB_W_TEXT, NULL, "Enter your department"},
    {"summary", "What has happened", "The contact causing concern, and its effect on staff.",
     HAB_W_TEXTAREA, NULL, "Enter what has happened"},
    {"criteria", "Which of these describe the customer's contact?", "Select all that apply.",
     HAB_W_CHECKBOXES, hab_opt_criteria,
     "Select at least one description of the customer's contact"},
    {"measures_taken", "Reasonable measures already taken",
     "This procedure is a last resort (R2): say what has been done to resolve the complaints and "
     "contact.",
     HAB_W_TEXTAREA, NULL, "Enter the measures already taken"},
    {"complaints_procedure", "Where is the customer in the complaints procedure?", NULL,
     HAB_W_RADIOS, o_complaints, "Select where the customer is in the complaints procedure"},
    {"vulnerable", "Do you think the customer may be vulnerable?",
     "For example because of mental health problems. Only the customer experience manager, "
     "monitoring officer and chief executive see this.",
     HAB_W_YESNO, NULL, NULL},
    {"vulnerability", "What makes them vulnerable (optional)", NULL, HAB_W_TEXTAREA, NULL, NULL},
    {"representative.name", "Name of anyone representing the customer (optional)", NULL, HAB_W_TEXT,
     NULL, NULL},
    {"representative.address", "Representative's address (optional)", NULL, HAB_W_TEXTAREA, NULL,
     NULL},
    {"advocate.name", "Name of an advocate acting at the customer's request (optional)", NULL,
     HAB_W_TEXT, NULL, NULL},
    {"advocate.address", "Advocate's address (optional)", NULL, HAB_W_TEXTAREA, NULL, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

const char *hab_render_concern(apr_pool_t *p, const hab_ui_t *ui, const hab_posted_t *posted,
                               const apr_array_header_t *errors)
{
    const char *form = hab_form_render(p, w_concern, posted, errors, ui->csrf_token,
                                       "Raise the concern", hab_ui_url(p, ui, "concerns/new"));
    return hab_tpl(p, hab_tpl_concern_page, "errs", hab_ui_error_summary(p, errors), "form", form,
                   NULL);
}

static void concern_page(hab_ctx_t *ctx, hab_result_t *out, const hab_posted_t *posted,
                         const apr_array_header_t *errors, int status)
{
    hab_ui_t ui = hab_page_ui(ctx);
    hab_page_t pg = {"Raise a concern", "concern", hab_render_concern(ctx->p, &ui, posted, errors),
                     errors && errors->nelts, 0, NULL};
    hab_page_answer(ctx, out, status, &pg);
}

hab_err_t *hab_page_concern_form(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    (void)in;
    if (!(ctx->roles & HAB_ROLE_STAFF))
        return hab_err_forbidden(ctx->p, "Only council staff may raise a concern.");
    concern_page(ctx, out, NULL, NULL, 200);
    return NULL;
}

/* Representative and advocate are objects only when named. */
static void drop_unnamed(json_t *body, const char *key)
{
    json_t *o = json_object_get(body, key);
    if (json_is_object(o) && !json_object_get(o, "name")) json_object_del(body, key);
}

hab_err_t *hab_page_concern(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_posted_t posted = {in->form};
    json_t *body;
    hab_err_t *e = hab_form_to_json(ctx->p, w_concern, &posted, &body);
    if (e) return e;
    drop_unnamed(body, "representative");
    drop_unnamed(body, "advocate");
    hab_result_t r;
    e = run_step(ctx, HAB_ROUTE_CASE_CREATE, in, body, NULL, &r);
    if (!e) {
        json_int_t id = (apr_int64_t)json_integer_value(json_object_get(r.body, "id"));
        redirect(ctx, out, apr_psprintf(ctx->p, "cases/%" APR_INT64_T_FMT "?done=raised",
                                        (apr_int64_t)id));
        return NULL;
    }
    if (!fixable(e)) return e;
    ctx->refused_rule = e->rule;
    concern_page(ctx, out, &posted, hab_form_errors(ctx->p, w_concern, e), e->status);
    return NULL;
}

/* ---- letters ---- */

/* One letter record, three renderings (reasonable adjustments): as issued;
 * large print (at least 16 pt, RNIB's clear print guidance); plain text,
 * for a screen reader, without the letter's layout. */
static const char *letter_in_format(apr_pool_t *p, const char *body, const char *format)
{
    if (!strcmp(format, "plain-text"))
        return hab_tpl(p, hab_tpl_letter_plain_text,
                       "text", hab_ui_paragraphs(p, hab_html_to_text(p, body)), NULL);
    return hab_tpl(p, hab_tpl_letter_article,
                   "class", !strcmp(format, "large-print") ? "app-letter app-letter--large-print"
                                                           : "app-letter",
                   "body", body, NULL);
}

/* Links to the letter's other formats; the one shown is marked current. */
static const char *letter_formats(apr_pool_t *p, const hab_ui_t *ui, long long case_id,
                                  const char *letter, const char *format)
{
    static const char *const labels[] = {"As issued", "Large print", "Plain text", NULL};
    hab_html_t *h = hab_html_new(p);
    for (int i = 0; hab_letter_formats[i]; i++) {
        const char *url = case_url(p, ui, case_id, apr_pstrcat(p, "/letters/", letter, "?format=",
                                                               hab_letter_formats[i], NULL));
        if (!strcmp(format, hab_letter_formats[i]))
            hab_html_tpl(h, hab_tpl_letter_format_current, "l", labels[i], NULL);
        else
            hab_html_tpl(h, hab_tpl_case_link_item, "h", url, "t", labels[i], NULL);
    }
    return hab_tpl(p, hab_tpl_letter_formats, "items", hab_html_str(h), NULL);
}

const char *hab_render_letter(apr_pool_t *p, const hab_ui_t *ui, const json_t *view)
{
    long long case_id = id_of(view, "case_id");
    const char *format = hab_j_str(view, "format") ? hab_j_str(view, "format") : "standard";
    return hab_tpl(p, hab_tpl_letter_page, "back", case_url(p, ui, case_id, NULL),
                   "id", number(p, case_id), "subject", hab_j_str(view, "subject"),
                   "issued", hab_ui_date(p, hab_j_str(view, "issued_at")),
                   "formats", letter_formats(p, ui, case_id, hab_j_str(view, "letter"), format),
                   "letter", letter_in_format(p, hab_j_str(view, "body"), format), NULL);
}

hab_err_t *hab_page_letter(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out)
{
    hab_letter_record_t l;
    hab_err_t *e = hab_letter_fetch(ctx, in, &l);
    if (e) return e;
    hab_ui_t ui = hab_page_ui(ctx);
    /* the customer's format (adjustments) unless another is asked for */
    const char *asked = in->query ? hab_j_str(in->query, "format") : NULL, *format = l.format;
    for (int i = 0; asked && hab_letter_formats[i]; i++)
        if (!strcmp(hab_letter_formats[i], asked)) format = asked;
    json_t *view = hab_json_own(ctx->p, json_pack("{s:I, s:s, s:s?, s:s?, s:s?, s:s}",
                                                  "case_id", (json_int_t)in->case_id,
                                                  "letter", in->arg, "subject", l.subject,
                                                  "body", l.body, "issued_at", l.issued_at,
                                                  "format", format));
    hab_page_t pg = {l.subject, "cases", hab_render_letter(ctx->p, &ui, view), 0, 1, NULL};
    hab_page_answer(ctx, out, 200, &pg);
    return NULL;
}
