/* The pages' forms: each field described once, rendered as a GOV.UK
 * component, and turned from the posted form into the JSON body the API
 * takes, so both go through the same core step and the same checks. */
#ifndef HABITUAL_FORMS_H
#define HABITUAL_FORMS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "habitual/base/error.h"
#include "habitual/web/ui.h"

typedef struct hab_option {
    const char *value;
    const char *label;
    const char *hint;
} hab_option_t;

typedef enum {
    HAB_W_TEXT,
    HAB_W_TEXTAREA,
    HAB_W_DATE,         /* day, month, year inputs -> "YYYY-MM-DD" */
    HAB_W_NUMBER,
    HAB_W_RADIOS,
    HAB_W_CHECKBOXES,   /* -> array of values */
    HAB_W_YESNO,        /* -> true / false */
    HAB_W_LINES,        /* textarea, one entry per line -> array of strings */
    HAB_W_RESTRICTIONS, /* the API's restriction objects, built from checkboxes */
    HAB_W_FILE          /* a file to upload: the form goes as multipart/form-data; not in JSON */
} hab_wkind_t;

typedef struct hab_widget {
    const char *key;             /* JSON key; "person.name" nests */
    const char *label;
    const char *hint;
    hab_wkind_t kind;
    const hab_option_t *options; /* radios and checkboxes, ending with value NULL */
    const char *missing;         /* what to say when it is left out */
} hab_widget_t;

/* What was posted: name -> value(s), in order. */
typedef struct hab_posted {
    apr_array_header_t *pairs;   /* hab_form_pair_t */
} hab_posted_t;

/* The form's fields turned into the API's JSON body; 400 when a field that
 * takes one value was given twice. */
hab_err_t *hab_form_to_json(apr_pool_t *p, const hab_widget_t *widgets, const hab_posted_t *posted,
                            json_t **body);

/* One widget as HTML, showing posted values (if any) and its error. */
const char *hab_form_widget(apr_pool_t *p, const hab_widget_t *w, const hab_posted_t *posted,
                            const apr_array_header_t *errors);
/* All widgets, the CSRF token and a button, in a POST form to action. */
const char *hab_form_render(apr_pool_t *p, const hab_widget_t *widgets, const hab_posted_t *posted,
                            const apr_array_header_t *errors, const char *csrf_token,
                            const char *button, const char *action);

/* The refusal as the error summary's entries, linked to the widget at fault
 * (in the widget's own words when a required answer is missing). */
apr_array_header_t *hab_form_errors(apr_pool_t *p, const hab_widget_t *widgets,
                                    const hab_err_t *err);

/* The id an input gets: "person.name" -> "person-name". */
const char *hab_form_id(apr_pool_t *p, const char *key);

/* Lists with the procedure's wording. */
extern const hab_option_t hab_opt_criteria[];
extern const hab_option_t hab_opt_channels[];
extern const hab_option_t hab_opt_contact_kinds[];
extern const hab_option_t hab_opt_incidents[];
extern const hab_option_t hab_opt_restriction_types[];

#endif
