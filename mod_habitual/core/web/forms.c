/* Forms described once: rendered as GOV.UK components and turned into the
 * API's JSON body.  Nothing here decides whether a value is acceptable:
 * the core step does, for the API and the pages alike. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/form.h"
#include "habitual/web/forms.h"
#include "habitual/base/html.h"
#include "habitual/base/json_io.h"
#include "habitual/base/validate.h"
#include "web/templates.h"

/* The procedure's own words (seeds/000: "Recognising habitual contact"). */
const hab_option_t hab_opt_criteria[] = {
    {"complaints-exhausted",
     "Persists with a complaint after the complaints procedure has been fully implemented and "
     "exhausted",
     NULL},
    {"changes-substance",
     "Changes the substance of a complaint, persistently raising new issues or further concerns "
     "on receipt of a response",
     NULL},
    {"resurrects-issues",
     "Uses new complaints or contact to resurrect issues included in previous complaints",
     NULL},
    {"rejects-evidence",
     "Is unwilling to accept documented evidence of services provided as being factual",
     NULL},
    {"disputes-adequate-response",
     "Insists they have not had an adequate response despite a large volume of correspondence "
     "answering their concerns",
     NULL},
    {"no-precise-issue",
     "Is unable to identify the precise issues they wish to be investigated, despite efforts to "
     "help",
     NULL},
    {"outside-remit",
     "Is unwilling or unable to accept that the concerns are not within the council's remit to "
     "investigate",
     NULL},
    {"trivial-focus",
     "Focuses on a trivial matter to an extent out of proportion to its significance",
     NULL},
    {"avoids-payment",
     "Makes repeated complaints and contact which appear to be to avoid paying money legally due",
     NULL},
    {"abusive-about-staff", "Is abusive about staff, repeatedly or as a very extreme one-off",
     NULL},
    {"prolonged-abuse",
     "Displays abusive behaviour over a long period of time, undermining an officer",
     NULL},
    {"hate-crime", "Uses language or behaves in a way that would be considered a hate crime", NULL},
    {"swearing", "Uses swear words in an attempt to abuse or undermine an officer", NULL},
    {"violence",
     "Uses or threatens physical violence towards staff or their families or colleagues",
     "Personal contact then stops and contact is limited to writing at once."},
    {"excessive-contact",
     "Has an excessive number of contacts with the council, placing unreasonable demands on staff",
     NULL},
    {"many-departments",
     "Pursues complaints through a number of departments, procedures or external agencies, "
     "placing unreasonable demands on staff",
     NULL},
    {"constitution-misuse",
     "Uses the council's constitution in an unreasonable way, including repeated questions and "
     "deputations",
     NULL},
    {"harassment",
     "Harasses or is personally abusive or verbally aggressive on more than one occasion",
     NULL},
    {"covert-recording",
     "Electronically records meetings or conversations without the prior knowledge and consent of "
     "those involved",
     NULL},
    {"vexatious", "Acts in a vexatious or vindictive way that causes harm or distress", NULL},
    {"unreasonable-demands",
     "Displays unreasonable demands or expectations and will not accept they may be unreasonable "
     "once explained",
     NULL},
    {"attention-seeking",
     "Displays attention-seeking behaviour, involving MPs, the Secretary of State, the Prime "
     "Minister and so on",
     NULL},
    {NULL, NULL, NULL}};

const hab_option_t hab_opt_channels[] = {
    {"phone", "Telephone", NULL}, {"letter", "Letter", NULL}, {"email", "Email", NULL},
    {"in-person", "In person", NULL}, {"fax", "Fax", NULL}, {"online", "Online forms", NULL},
    {NULL, NULL, NULL}};

const hab_option_t hab_opt_contact_kinds[] = {
    {"phone", "Phone call", NULL}, {"letter", "Letter", NULL}, {"email", "Email", NULL},
    {"in-person", "In person", NULL}, {"fax", "Fax", NULL}, {"online", "Online form", NULL},
    {"visit", "Personal visit", NULL}, {"face-to-face", "Face to face", NULL},
    {"filming", "Filming", NULL}, {"recording", "Recording", NULL},
    {"photographs", "Photographs", NULL}, {"deputation", "Deputation", NULL}, {NULL, NULL, NULL}};

const hab_option_t hab_opt_incidents[] = {
    {"abuse", "Abuse", NULL}, {"hate", "Hate", NULL}, {"swearing", "Swearing", NULL},
    {"violence", "Violence or threats of violence",
     "An interim written-only restriction comes into force at once."},
    {"harassment", "Harassment", NULL}, {"covert-recording", "Covert recording", NULL},
    {NULL, NULL, NULL}};

const hab_option_t hab_opt_restriction_types[] = {
    {"behaviour-agreement", "A signed agreement setting out a code of behaviour", NULL},
    {"decline-channels", "Decline contact by some channels", "One form of contact must stay open."},
    {"third-party-only", "Contact only through a third party", NULL},
    {"correspondence-closed", "Correspondence on a matter is at an end",
     "Further letters on it are acknowledged but not answered."},
    {"referral-warning", "Reserve the right to refer to the monitoring officer or the police",
     NULL},
    {"suspend-contact", "Suspend all contact while legal advice is sought",
     "Needs the legal advice and an end date within the period."},
    {"building-ban", "Ban from some or all council buildings", NULL},
    {"written-only", "Written contact only: no telephone or in-person contact", NULL},
    {NULL, NULL, NULL}};

/* ---- names and ids ---- */

static const char *replace_dots(apr_pool_t *p, const char *key, char with)
{
    char *s = apr_pstrdup(p, key);
    for (char *c = s; *c; c++)
        if (*c == '.' || *c == '_') *c = with;
    return s;
}

const char *hab_form_id(apr_pool_t *p, const char *key)
{
    return replace_dots(p, key, '-');
}

static const char *input_name(apr_pool_t *p, const char *key)
{
    return replace_dots(p, key, '_');
}

static const char *posted_value(const hab_posted_t *posted, const char *name)
{
    for (int i = 0; posted && posted->pairs && i < posted->pairs->nelts; i++) {
        const hab_form_pair_t *pair = &APR_ARRAY_IDX(posted->pairs, i, hab_form_pair_t);
        if (!strcmp(pair->name, name)) return pair->value;
    }
    return NULL;
}

static int posted_has(const hab_posted_t *posted, const char *name, const char *value)
{
    for (int i = 0; posted && posted->pairs && i < posted->pairs->nelts; i++) {
        const hab_form_pair_t *pair = &APR_ARRAY_IDX(posted->pairs, i, hab_form_pair_t);
        if (!strcmp(pair->name, name) && !strcmp(pair->value, value)) return 1;
    }
    return 0;
}

static const char *trimmed(apr_pool_t *p, const char *v)
{
    if (!v) return NULL;
    while (isspace((unsigned char)*v)) v++;
    size_t n = strlen(v);
    while (n > 0 && isspace((unsigned char)v[n - 1])) n--;
    return n ? apr_pstrndup(p, v, n) : NULL;
}

/* ---- form -> JSON ---- */

static json_t *date_value(apr_pool_t *p, const hab_posted_t *posted, const char *name)
{
    const char *d = trimmed(p, posted_value(posted, apr_pstrcat(p, name, "_day", NULL)));
    const char *m = trimmed(p, posted_value(posted, apr_pstrcat(p, name, "_month", NULL)));
    const char *y = trimmed(p, posted_value(posted, apr_pstrcat(p, name, "_year", NULL)));
    if (!d && !m && !y) return NULL;
    int ok = d && m && y && strlen(y) == 4 && strspn(d, "0123456789") == strlen(d) &&
             strspn(m, "0123456789") == strlen(m) && strspn(y, "0123456789") == strlen(y) &&
             strlen(d) <= 2 && strlen(m) <= 2;
    /* not a date: the core says so, in its words, against this field */
    if (!ok) return json_string("not a date");
    return json_sprintf("%s-%02d-%02d", y, atoi(m), atoi(d));
}

static json_t *number_value(apr_pool_t *p, const char *v)
{
    v = trimmed(p, v);
    if (!v) return NULL;
    if (strspn(v, "0123456789") == strlen(v) && strlen(v) < 9) return json_integer(atol(v));
    return json_string(v);
}

static json_t *checkbox_values(const hab_posted_t *posted, const char *name)
{
    json_t *list = json_array();
    for (int i = 0; posted && posted->pairs && i < posted->pairs->nelts; i++) {
        const hab_form_pair_t *pair = &APR_ARRAY_IDX(posted->pairs, i, hab_form_pair_t);
        if (!strcmp(pair->name, name)) json_array_append_new(list, json_string(pair->value));
    }
    if (json_array_size(list)) return list;
    json_decref(list);
    return NULL;
}

static json_t *line_values(apr_pool_t *p, const char *v)
{
    json_t *list = json_array();
    char *copy = apr_pstrdup(p, v ? v : ""), *state = NULL;
    for (char *line = apr_strtok(copy, "\r\n", &state); line;
         line = apr_strtok(NULL, "\r\n", &state)) {
        const char *t = trimmed(p, line);
        if (t) json_array_append_new(list, json_string(t));
    }
    if (json_array_size(list)) return list;
    json_decref(list);
    return NULL;
}

/* obj[key] = the input's text, trimmed; nothing when it is blank. */
static void set_text(apr_pool_t *p, json_t *obj, const char *key, const hab_posted_t *posted,
                     const char *input)
{
    const char *v = trimmed(p, posted_value(posted, input));
    if (v) json_object_set_new(obj, key, json_string(v));
}

/* The restriction widget's inputs, r_* (see restrictions_widget). */
static json_t *restrictions_value(apr_pool_t *p, const hab_posted_t *posted)
{
    json_t *list = json_array();
    for (const hab_option_t *o = hab_opt_restriction_types; o->value; o++) {
        if (!posted_has(posted, "r_types", o->value)) continue;
        json_t *r = json_pack("{s:s}", "type", o->value);
        const char *t = o->value;
        if (!strcmp(t, "behaviour-agreement")) set_text(p, r, "terms", posted, "r_terms");
        if (!strcmp(t, "decline-channels")) {
            json_t *ch = checkbox_values(posted, "r_channels");
            json_object_set_new(r, "channels", ch ? ch : json_array());
        }
        if (!strcmp(t, "third-party-only")) set_text(p, r, "third_party", posted, "r_third_party");
        if (!strcmp(t, "correspondence-closed")) set_text(p, r, "matter", posted, "r_matter");
        if (!strcmp(t, "suspend-contact")) {
            set_text(p, r, "legal_advice", posted, "r_legal_advice");
            json_t *until = date_value(p, posted, "r_until");
            if (until) json_object_set_new(r, "until", until);
        }
        if (!strcmp(t, "building-ban")) {
            json_t *b = line_values(p, posted_value(posted, "r_buildings"));
            json_object_set_new(r, "buildings", b ? b : json_array());
            if (posted_has(posted, "r_injunction", "yes"))
                json_object_set_new(r, "injunction", json_true());
        }
        json_array_append_new(list, r);
    }
    /* nothing ticked posts nothing, as an unticked checkbox: a review or
     * appeal decision takes restrictions only when varying */
    if (json_array_size(list) == 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

/* Set obj["a"]["b"] for key "a.b". */
static void set_path(json_t *obj, const char *key, json_t *value)
{
    const char *dot = strchr(key, '.');
    if (!dot) {
        json_object_set_new(obj, key, value);
        return;
    }
    char head[64];
    size_t n = (size_t)(dot - key) < sizeof(head) - 1 ? (size_t)(dot - key) : sizeof(head) - 1;
    memcpy(head, key, n);
    head[n] = '\0';
    json_t *child = json_object_get(obj, head);
    if (!child) {
        child = json_object();
        json_object_set_new(obj, head, child);
    }
    set_path(child, dot + 1, value);
}

/* Inputs that may carry several values: checkboxes. */
static int multi_valued(const hab_widget_t *widgets, const char *name, apr_pool_t *p)
{
    if (!strcmp(name, "r_types") || !strcmp(name, "r_channels") || !strcmp(name, "r_injunction"))
        return 1;
    for (const hab_widget_t *w = widgets; w->key; w++)
        if (w->kind == HAB_W_CHECKBOXES && !strcmp(name, input_name(p, w->key))) return 1;
    return 0;
}

static hab_err_t *refuse_duplicates(apr_pool_t *p, const hab_widget_t *widgets,
                                    const hab_posted_t *posted)
{
    const apr_array_header_t *pairs = posted ? posted->pairs : NULL;
    for (int i = 0; pairs && i < pairs->nelts; i++) {
        const hab_form_pair_t *a = &APR_ARRAY_IDX(pairs, i, hab_form_pair_t);
        if (multi_valued(widgets, a->name, p)) continue;
        for (int k = 0; k < i; k++)
            if (!strcmp(APR_ARRAY_IDX(pairs, k, hab_form_pair_t).name, a->name))
                return hab_err_bad_request(p, NULL, "The form sent a field twice.");
    }
    return NULL;
}

hab_err_t *hab_form_to_json(apr_pool_t *p, const hab_widget_t *widgets, const hab_posted_t *posted,
                            json_t **out)
{
    hab_err_t *dup = refuse_duplicates(p, widgets, posted);
    if (dup) return dup;
    json_t *body = json_object();
    for (const hab_widget_t *w = widgets; w->key; w++) {
        const char *name = input_name(p, w->key);
        json_t *v = NULL;
        switch (w->kind) {
        case HAB_W_TEXT:
        case HAB_W_TEXTAREA:
        case HAB_W_RADIOS: {
            const char *t = trimmed(p, posted_value(posted, name));
            v = t ? json_string(t) : NULL;
            break;
        }
        case HAB_W_DATE: v = date_value(p, posted, name); break;
        case HAB_W_NUMBER: v = number_value(p, posted_value(posted, name)); break;
        case HAB_W_CHECKBOXES: v = checkbox_values(posted, name); break;
        case HAB_W_LINES: v = line_values(p, posted_value(posted, name)); break;
        case HAB_W_YESNO: {
            const char *t = posted_value(posted, name);
            v = t && !strcmp(t, "yes") ? json_true() : t && !strcmp(t, "no") ? json_false() : NULL;
            break;
        }
        case HAB_W_RESTRICTIONS: v = restrictions_value(p, posted); break;
        case HAB_W_FILE: break; /* the glue spooled it: the step reads the upload */
        }
        if (v) set_path(body, w->key, v);
    }
    *out = hab_json_own(p, body);
    return NULL;
}

/* ---- rendering ---- */

/* An optional attribute as the templates take it: with its leading space,
 * or nothing when there is no value. */
static const char *attr(apr_pool_t *p, const char *name, const char *value)
{
    return value && *value ? apr_pstrcat(p, " ", name, "=\"", value, "\"", NULL) : "";
}

/* The error shown at a widget: looked up by the id the summary links to
 * (for a date, its day input), shown with the id aria-describedby names. */
static const char *error_markup(apr_pool_t *p, const apr_array_header_t *errors,
                                const char *lookup, const char *id)
{
    for (int i = 0; errors && i < errors->nelts; i++) {
        const hab_ui_error_t *e = &APR_ARRAY_IDX(errors, i, hab_ui_error_t);
        if (e->field && !strcmp(e->field, lookup))
            return hab_tpl(p, hab_tpl_field_error, "id", id, "m", e->message, NULL);
    }
    return "";
}

static const char *hint_markup(apr_pool_t *p, const char *id, const char *hint)
{
    if (!hint) return "";
    return hab_tpl(p, hab_tpl_form_hint, "id", id, "h", hint, NULL);
}

static const char *described_by(apr_pool_t *p, const char *id, const char *hint, const char *err)
{
    const char *d = "";
    if (hint) d = apr_pstrcat(p, id, "-hint", NULL);
    if (*err) d = apr_pstrcat(p, d, *d ? " " : "", id, "-error", NULL);
    return attr(p, "aria-describedby", d);
}

static const char *group_class(const char *err)
{
    return *err ? "govuk-form-group govuk-form-group--error" : "govuk-form-group";
}

/* A widget of one input (text, number, textarea, file): the group, its
 * label, hint and error, and the input pointing at them.  A file is never
 * shown again, so it is chosen anew after an error. */
static const char *single_input(apr_pool_t *p, const hab_widget_t *w, const char *id,
                                const char *name, const char *value, const char *err)
{
    const char *tpl = hab_tpl_form_text, *error_class = " govuk-input--error";
    if (w->kind == HAB_W_NUMBER) tpl = hab_tpl_form_number;
    if (w->kind == HAB_W_TEXTAREA || w->kind == HAB_W_LINES) {
        tpl = hab_tpl_form_textarea;
        error_class = " govuk-textarea--error";
    }
    if (w->kind == HAB_W_FILE) {
        tpl = hab_tpl_form_file;
        error_class = " govuk-file-upload--error";
    }
    return hab_tpl(p, tpl, "g", group_class(err), "id", id, "label", w->label,
                   "hint", hint_markup(p, id, w->hint), "err", err,
                   "ec", *err ? error_class : "", "name", name, "v", value ? value : "",
                   "desc", described_by(p, id, w->hint, err), NULL);
}

static const char *date_widget(apr_pool_t *p, const hab_widget_t *w, const char *id,
                               const char *name, const hab_posted_t *posted, const char *err)
{
    static const char *const parts[] = {"day", "month", "year"};
    static const char *const labels[] = {"Day", "Month", "Year"};
    hab_html_t *h = hab_html_new(p);
    for (int i = 0; i < 3; i++) {
        const char *pname = apr_pstrcat(p, name, "_", parts[i], NULL);
        hab_html_tpl(h, hab_tpl_form_date_item, "id", id, "part", parts[i], "l", labels[i],
                     "width", i == 2 ? "4" : "2", "ec", *err ? " govuk-input--error" : "",
                     "n", pname, "v", posted_value(posted, pname), NULL);
    }
    const char *hint = w->hint ? w->hint : "For example, 27 3 2026";
    return hab_tpl(p, hab_tpl_form_date, "g", group_class(err),
                   "desc", described_by(p, id, hint, err), "label", w->label,
                   "hint", hint_markup(p, id, hint), "err", err, "id", id,
                   "items", hab_html_str(h), NULL);
}

/* Radios or checkboxes in their fieldset, the legend sized s or m. */
static const char *choices(apr_pool_t *p, const hab_widget_t *w, const char *id, const char *err,
                           const char *kind, int inline_items, const char *size,
                           const char *items)
{
    return hab_tpl(p, hab_tpl_form_choices, "g", group_class(err),
                   "desc", described_by(p, id, w->hint, err), "size", size, "label", w->label,
                   "hint", hint_markup(p, id, w->hint), "err", err, "kind", kind,
                   "inl", inline_items ? " govuk-radios--inline" : "", "items", items, NULL);
}

/* GOV.UK's item ids: the first item takes the widget's id, the rest a
 * number after it, from 2. */
static const char *item_id(apr_pool_t *p, const char *id, int i)
{
    return i ? apr_psprintf(p, "%s-%d", id, i + 1) : id;
}

static const char *choice_items(apr_pool_t *p, const hab_option_t *opts, const char *id,
                                const char *name, const hab_posted_t *posted, const char *kind)
{
    hab_html_t *h = hab_html_new(p);
    int checkbox = !strcmp(kind, "checkboxes");
    for (int i = 0; opts[i].value; i++) {
        const hab_option_t *o = &opts[i];
        const char *iid = item_id(p, id, i);
        const char *hint = o->hint ? hab_tpl(p, hab_tpl_form_choice_item_hint, "iid", iid,
                                             "kind", kind, "h", o->hint, NULL) : "";
        const char *hint_id = o->hint ? apr_pstrcat(p, iid, "-item-hint", NULL) : NULL;
        hab_html_tpl(h, hab_tpl_form_choice_item, "kind", kind, "iid", iid, "name", name,
                     "type", checkbox ? "checkbox" : "radio", "v", o->value,
                     "checked", posted_has(posted, name, o->value) ? " checked" : "",
                     "desc", attr(p, "aria-describedby", hint_id), "l", o->label,
                     "hint", hint, NULL);
    }
    return hab_html_str(h);
}

static const char *choice_widget(apr_pool_t *p, const hab_widget_t *w, const char *id,
                                 const char *name, const hab_posted_t *posted, const char *err)
{
    static const hab_option_t yes_no[] = {
        {"yes", "Yes", NULL}, {"no", "No", NULL}, {NULL, NULL, NULL}};
    const char *kind = w->kind == HAB_W_CHECKBOXES ? "checkboxes" : "radios";
    const hab_option_t *opts = w->kind == HAB_W_YESNO ? yes_no : w->options;
    return choices(p, w, id, err, kind, w->kind == HAB_W_YESNO, "s",
                   choice_items(p, opts, id, name, posted, kind));
}

/* What each restriction type reveals when ticked: the details it needs. */
static const hab_widget_t r_terms = {
    "r.terms", "Terms of the agreement",
    "In the letter to the customer; never shown to officers holding the notice.",
    HAB_W_TEXTAREA, NULL, NULL};
static const hab_widget_t r_third = {
    "r.third_party", "Name of the third party", "Officers holding the notice see this.",
    HAB_W_TEXT, NULL, NULL};
static const hab_widget_t r_matter = {
    "r.matter", "The matter on which correspondence is closed",
    "Officers holding the notice see this: name the matter, give no reasons.",
    HAB_W_TEXT, NULL, NULL};
static const hab_widget_t r_advice = {
    "r.legal_advice", "The legal advice being sought",
    "Never shown to officers holding the notice.", HAB_W_TEXTAREA, NULL, NULL};
static const hab_widget_t r_until = {
    "r.until", "Suspension ends on",
    "At most 3 months after it starts. Officers holding the notice see this date.",
    HAB_W_DATE, NULL, NULL};
static const hab_widget_t r_buildings = {
    "r.buildings", "Buildings",
    "One per line, or \"all\". Officers holding the notice see these.",
    HAB_W_LINES, NULL, NULL};
static const hab_widget_t r_channels = {
    "r.channels", "Channels to decline", "Officers holding the notice see these.",
    HAB_W_CHECKBOXES, hab_opt_channels, NULL};
static const hab_option_t r_injunction_opts[] = {
    {"yes", "By means of an injunction", NULL}, {NULL, NULL, NULL}};
static const hab_widget_t r_injunction = {
    "r.injunction", "Injunction", NULL, HAB_W_CHECKBOXES, r_injunction_opts, NULL};

static const struct {
    const char *type;
    const hab_widget_t *details[3];   /* ending with NULL */
} r_reveals[] = {
    {"behaviour-agreement", {&r_terms, NULL, NULL}},
    {"decline-channels", {&r_channels, NULL, NULL}},
    {"third-party-only", {&r_third, NULL, NULL}},
    {"correspondence-closed", {&r_matter, NULL, NULL}},
    {"suspend-contact", {&r_advice, &r_until, NULL}},
    {"building-ban", {&r_buildings, &r_injunction, NULL}},
};

/* The details a restriction type reveals, as widgets showing what was
 * posted; "" when it has none. */
static const char *reveal_of(apr_pool_t *p, const char *type, const hab_posted_t *posted)
{
    hab_html_t *h = hab_html_new(p);
    for (size_t i = 0; i < sizeof(r_reveals) / sizeof(r_reveals[0]); i++)
        for (int k = 0; !strcmp(r_reveals[i].type, type) && r_reveals[i].details[k]; k++)
            hab_html_add(h, hab_form_widget(p, r_reveals[i].details[k], posted, NULL));
    return hab_html_str(h);
}

/* The restriction types as checkboxes, each revealing its own details. */
static const char *restrictions_widget(apr_pool_t *p, const hab_widget_t *w,
                                       const hab_posted_t *posted, const char *err)
{
    hab_html_t *h = hab_html_new(p);
    for (int i = 0; hab_opt_restriction_types[i].value; i++) {
        const hab_option_t *o = &hab_opt_restriction_types[i];
        const char *iid = item_id(p, "restrictions", i), *reveal = reveal_of(p, o->value, posted);
        int checked = posted_has(posted, "r_types", o->value);
        const char *conditional = *reveal ? hab_tpl(
            p, hab_tpl_form_restriction_conditional, "iid", iid, "r", reveal,
            "hid", checked ? "" : " govuk-checkboxes__conditional--hidden", NULL) : "";
        const char *controls = *reveal ? apr_pstrcat(p, "conditional-", iid, NULL) : NULL;
        hab_html_tpl(h, hab_tpl_form_restriction_item, "iid", iid, "v", o->value,
                     "checked", checked ? " checked" : "",
                     "controls", attr(p, "data-aria-controls", controls), "l", o->label,
                     "hint", o->hint ? hab_tpl(p, hab_tpl_form_restriction_hint,
                                               "h", o->hint, NULL) : "",
                     "conditional", conditional, NULL);
    }
    return choices(p, w, "restrictions", err, "checkboxes", 0, "m", hab_html_str(h));
}

const char *hab_form_widget(apr_pool_t *p, const hab_widget_t *w, const hab_posted_t *posted,
                            const apr_array_header_t *errors)
{
    const char *id = hab_form_id(p, w->key), *name = input_name(p, w->key);
    const char *lookup = w->kind == HAB_W_DATE ? apr_pstrcat(p, id, "-day", NULL) : id;
    const char *err = error_markup(p, errors, lookup, id);
    switch (w->kind) {
    case HAB_W_TEXT:
    case HAB_W_NUMBER:
    case HAB_W_TEXTAREA:
    case HAB_W_LINES: return single_input(p, w, id, name, posted_value(posted, name), err);
    case HAB_W_FILE: return single_input(p, w, id, name, NULL, err);
    case HAB_W_DATE: return date_widget(p, w, id, name, posted, err);
    case HAB_W_RADIOS:
    case HAB_W_CHECKBOXES:
    case HAB_W_YESNO: return choice_widget(p, w, id, name, posted, err);
    case HAB_W_RESTRICTIONS: return restrictions_widget(p, w, posted, err);
    }
    return "";
}

const char *hab_form_render(apr_pool_t *p, const hab_widget_t *widgets, const hab_posted_t *posted,
                            const apr_array_header_t *errors, const char *csrf_token,
                            const char *button, const char *action)
{
    hab_html_t *h = hab_html_new(p);
    int files = 0;
    for (const hab_widget_t *w = widgets; w->key; w++) {
        hab_html_add(h, hab_form_widget(p, w, posted, errors));
        files |= w->kind == HAB_W_FILE;
    }
    /* an explicit action: the page's own address, never with a #fragment
     * (after the skip link), so a re-shown form can focus its errors */
    return hab_tpl(p, hab_tpl_form_form, "a", action,
                   "enc", attr(p, "enctype", files ? "multipart/form-data" : NULL),
                   "t", csrf_token, "fields", hab_html_str(h), "b", button, NULL);
}

/* "restrictions[2].channels" or "person.name" -> the widget whose key the
 * field starts with; "person" (a whole object missing) -> its first widget. */
static const hab_widget_t *widget_for(const hab_widget_t *widgets, const char *field)
{
    const hab_widget_t *best = NULL;
    for (const hab_widget_t *w = widgets; field && w->key; w++) {
        size_t n = strlen(w->key);
        if (strncmp(field, w->key, n)) continue;
        int at_boundary = field[n] == '\0' || field[n] == '.' || field[n] == '[';
        if (at_boundary && (!best || n > strlen(best->key))) best = w;
    }
    size_t n = field ? strlen(field) : 0;
    for (const hab_widget_t *w = widgets; !best && field && w->key; w++)
        if (!strncmp(w->key, field, n) && w->key[n] == '.') best = w;
    return best;
}

/* Rule refusals name no field: the widget the rule is about. */
static const char *field_of_rule(const char *code)
{
    static const char *const map[][2] = {
        {"excluded-foi-dpa", "exclusion"}, {"excluded-other-process", "exclusion"},
        {"warning-required", "severe"}, {"not-justified", "justified"},
        {"no-open-channel", "restrictions"}, {"violence-requires-written-only", "restrictions"},
        {"safeguarding-required", "safeguarding.considered"},
        /* who may decide: about the decision being asked for */
        {"not-deputising", "outcome"}, {"conflict-of-interest", "outcome"},
    };
    for (size_t i = 0; code && i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(map[i][0], code)) return map[i][1];
    return NULL;
}

/* The core's message names the field by its key ("person.date_of_birth
 * must be ..."): say it with the widget's label instead. */
static const char *in_words(apr_pool_t *p, const hab_widget_t *w, const hab_err_t *err)
{
    if (w->kind == HAB_W_DATE && !strcmp(err->code, "invalid-field"))
        return apr_pstrcat(p, w->label, " must be a real date, for example 27 3 2026", NULL);
    size_t n = err->field ? strlen(err->field) : 0;
    if (n && !strncmp(err->message, err->field, n) && err->message[n] == ' ')
        return apr_pstrcat(p, w->label, err->message + n, NULL);
    return err->message;
}

apr_array_header_t *hab_form_errors(apr_pool_t *p, const hab_widget_t *widgets,
                                    const hab_err_t *err)
{
    apr_array_header_t *errors = apr_array_make(p, 2, sizeof(hab_ui_error_t));
    hab_ui_error_t *e = &APR_ARRAY_PUSH(errors, hab_ui_error_t);
    const char *field = err->field ? err->field : field_of_rule(err->code);
    const hab_widget_t *w = widget_for(widgets, field);
    e->message = err->message;
    e->field = NULL;
    if (!w) return errors;
    e->field = hab_form_id(p, w->key);
    if (w->kind == HAB_W_DATE) e->field = apr_pstrcat(p, e->field, "-day", NULL);
    int whole = !err->field || strlen(err->field) <= strlen(w->key); /* not a part inside it */
    if (!strcmp(err->code, "missing-field") && w->missing && whole) e->message = w->missing;
    else if (err->field) e->message = in_words(p, w, err);
    return errors;
}
