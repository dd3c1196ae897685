#include <ctype.h>
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/dates.h"
#include "habitual/base/form.h"
#include "habitual/base/validate.h"

const char *const hab_channels[] = {"phone", "letter", "email", "in-person", "fax", "online", NULL};
const char *const hab_contact_kinds[] = {"phone", "letter", "email", "in-person", "fax", "online",
                                         "visit", "face-to-face", "filming", "recording",
                                         "photographs", "deputation", NULL};
const char *const hab_incidents[] = {"abuse", "hate", "swearing", "violence", "harassment",
                                     "covert-recording", NULL};
const char *const hab_criteria[] = {
    "complaints-exhausted", "changes-substance", "resurrects-issues", "rejects-evidence",
    "disputes-adequate-response", "no-precise-issue", "outside-remit", "trivial-focus",
    "avoids-payment", "abusive-about-staff", "prolonged-abuse", "hate-crime", "swearing",
    "violence", "excessive-contact", "many-departments", "constitution-misuse", "harassment",
    "covert-recording", "vexatious", "unreasonable-demands", "attention-seeking", NULL};
const char *const hab_exclusions[] = {"none", "foi-dpa", "legal-action", "housing-aggression",
                                      NULL};
const char *const hab_complaints_stages[] = {"exhausted", "in-progress", "not-applicable", NULL};
const char *const hab_restriction_types[] = {
    "behaviour-agreement", "decline-channels", "third-party-only", "correspondence-closed",
    "referral-warning", "suspend-contact", "building-ban", "written-only", NULL};

int hab_in_list(const char *const *list, const char *value)
{
    for (; value && *list; list++)
        if (strcmp(*list, value) == 0) return 1;
    return 0;
}

int hab_blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s)) return 0;
    return 1;
}

/* "<field> <what>." as a 400 naming the field. */
static hab_err_t *invalid(apr_pool_t *p, const char *field, const char *what)
{
    return hab_err_field(p, 400, "invalid-field", field, "%s %s.", field, what);
}

static hab_err_t *check_text(apr_pool_t *p, const json_t *v, const hab_field_t *f, const char *name)
{
    if (!json_is_string(v)) return invalid(p, name, "must be text");
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (hab_blank(s))
        return f->required
                   ? hab_err_field(p, 422, "missing-field", name, "%s must not be empty.", name)
                   : NULL;
    long max = f->max ? f->max : HAB_LONG_TEXT;
    /* names, references and user ids are one line: no control characters */
    if (max <= HAB_SHORT_TEXT)
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                return invalid(p, name,
                               "may not contain line breaks, tabs or other control characters");
    if ((long)len > max)
        return hab_err_field(p, 400, "invalid-field", name, "%s is longer than %ld bytes.", name,
                             max);
    return NULL;
}

static hab_err_t *check_enum(apr_pool_t *p, const json_t *v, const hab_field_t *f, const char *name)
{
    if (!json_is_string(v) || !hab_in_list(f->values, json_string_value(v)))
        return invalid(p, name, "is not one of the values this service knows");
    return NULL;
}

static hab_err_t *check_list(apr_pool_t *p, const json_t *v, const hab_field_t *f, const char *name)
{
    if (!json_is_array(v)) return invalid(p, name, "must be a list");
    size_t n = json_array_size(v);
    if ((long)n < f->min)
        return hab_err_field(p, 422, "missing-field", name, "%s needs at least %ld entries.", name,
                             f->min);
    if (f->max && (long)n > f->max)
        return hab_err_field(p, 400, "invalid-field", name, "%s has more than %ld entries.", name,
                             f->max);
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(v, i);
        const char *iname = apr_psprintf(p, "%s[%" APR_SIZE_T_FMT "]", name, i);
        hab_err_t *e = NULL;
        if (f->type == HAB_F_ENUM_LIST) {
            hab_field_t one = {iname, HAB_F_ENUM, 1, 0, 0, f->values, NULL};
            e = check_enum(p, item, &one, iname);
            for (size_t k = 0; !e && k < i; k++)
                if (json_equal(item, json_array_get(v, k)))
                    e = invalid(p, name, "lists a value twice");
        } else if (f->type == HAB_F_TEXT_LIST) {
            hab_field_t one = {iname, HAB_F_TEXT, 1, 0, HAB_SHORT_TEXT * 5, NULL, NULL};
            e = check_text(p, item, &one, iname);
        } else if (f->type == HAB_F_OBJECT_LIST) {
            if (!json_is_object(item)) return invalid(p, iname, "must be an object");
            e = hab_validate(p, item, f->sub, apr_pstrcat(p, iname, ".", NULL));
        }
        if (e) return e;
    }
    return NULL;
}

static hab_err_t *check_value(apr_pool_t *p, const json_t *v, const hab_field_t *f,
                              const char *name)
{
    switch (f->type) {
    case HAB_F_TEXT:
        return check_text(p, v, f, name);
    case HAB_F_DATE:
        if (!json_is_string(v) || !hab_valid_date(json_string_value(v)))
            return invalid(p, name, "must be a date, YYYY-MM-DD");
        return NULL;
    case HAB_F_DATE_OR_TIME:
        if (!json_is_string(v) || !(hab_valid_date(json_string_value(v)) ||
                                    hab_valid_time(json_string_value(v))))
            return invalid(p, name,
                           "must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
        return NULL;
    case HAB_F_BOOL:
        return json_is_boolean(v) ? NULL : invalid(p, name, "must be true or false");
    case HAB_F_INT:
        if (!json_is_integer(v) || json_integer_value(v) < f->min || json_integer_value(v) > f->max)
            return hab_err_field(p, 400, "invalid-field", name, "%s must be a whole number from "
                                 "%ld to %ld.", name, f->min, f->max);
        return NULL;
    case HAB_F_ENUM:
        return check_enum(p, v, f, name);
    case HAB_F_OBJECT:
        if (!json_is_object(v)) return invalid(p, name, "must be an object");
        return hab_validate(p, v, f->sub, apr_pstrcat(p, name, ".", NULL));
    case HAB_F_ANY_LIST:
        return json_is_array(v) ? NULL : invalid(p, name, "must be a list");
    default:
        return check_list(p, v, f, name);
    }
}

hab_err_t *hab_validate(apr_pool_t *p, const json_t *obj, const hab_field_t *fields,
                        const char *where)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        const hab_field_t *f = fields;
        while (f->name && strcmp(f->name, key) != 0) f++;
        if (!f->name) {
            /* Echo at most 64 bytes of a name the client made up. */
            const char *shown = apr_pstrcat(p, where, hab_utf8_prefix(p, key, 64), NULL);
            return hab_err_field(p, 400, "unknown-field", shown,
                                 "%s is not a field this request takes.", shown);
        }
    }
    for (const hab_field_t *f = fields; f->name; f++) {
        const char *name = apr_pstrcat(p, where, f->name, NULL);
        const json_t *v = json_object_get(obj, f->name);
        if (!v || json_is_null(v)) {
            if (f->required)
                return hab_err_field(p, 422, "missing-field", name, "%s is required.", name);
            continue;
        }
        hab_err_t *e = check_value(p, v, f, name);
        if (e) return e;
    }
    return NULL;
}

const char *hab_j_str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int hab_j_bool(const json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

long hab_j_int(const json_t *obj, const char *key, long dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

const char *hab_words(const char *slug)
{
    static const char *const words[][2] = {
        {"in-person", "in person"}, {"online", "online forms"}, {"phone", "telephone"},
        {"third-party", "through the third party named in the letter"},
        {"not-applicable", "not applicable"}, {"in-progress", "in progress"},
        {"approve", "approved"}, {"reject", "rejected"}, {"continue", "continue"}, {"vary", "vary"},
        {"remove", "remove"}, {"uphold", "upheld"}, {"quash", "quashed"},
        {"chief-executive", "chief executive"}, {"monitoring-officer", "monitoring officer"},
        {"inbound", "from the customer"}, {"outbound", "to the customer"},
        {"face-to-face", "face to face"}, {"covert-recording", "covert recording"},
    };
    for (size_t i = 0; slug && i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(words[i][0], slug)) return words[i][1];
    return slug;
}
