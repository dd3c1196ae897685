/* Request bodies checked against a table of fields: types, enums, lengths,
 * dates; unknown keys refused.  The API's lists of values live here too. */
#ifndef HABITUAL_VALIDATE_H
#define HABITUAL_VALIDATE_H

#include <apr_pools.h>
#include <jansson.h>

#include "habitual/base/error.h"

#define HAB_SHORT_TEXT 200     /* names, references, departments */
#define HAB_LONG_TEXT 20000    /* summaries, reasons, reports (bytes) */

typedef enum {
    HAB_F_TEXT,        /* string, trimmed non-empty when required, at most max bytes */
    HAB_F_DATE,        /* YYYY-MM-DD */
    HAB_F_DATE_OR_TIME,/* YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ */
    HAB_F_BOOL,
    HAB_F_INT,         /* integer from min to max */
    HAB_F_ENUM,        /* one of values */
    HAB_F_ENUM_LIST,   /* array of distinct values (may be empty unless min > 0) */
    HAB_F_TEXT_LIST,   /* array of non-empty texts */
    HAB_F_OBJECT,      /* checked by its own table (sub) */
    HAB_F_OBJECT_LIST, /* array of objects checked by sub */
    HAB_F_ANY_LIST     /* array checked by the caller (restrictions) */
} hab_ftype_t;

typedef struct hab_field {
    const char *name;
    hab_ftype_t type;
    int required;
    long min, max;                       /* lengths, counts or integer range */
    const char *const *values;           /* for enums, NULL-terminated */
    const struct hab_field *sub;         /* for objects, terminated by name == NULL */
} hab_field_t;

/* Check obj against fields (terminated by name == NULL).  where names the
 * object in messages ("" for the body, "person." for a nested one).
 * Missing required fields: 422 missing-field; anything else wrong: 400. */
hab_err_t *hab_validate(apr_pool_t *p, const json_t *obj, const hab_field_t *fields,
                        const char *where);

/* NULL, empty or only white space: not given, for the rules as for the body. */
int hab_blank(const char *s);

/* Accessors for validated bodies: NULL / 0 / default when absent or null. */
const char *hab_j_str(const json_t *obj, const char *key);
int hab_j_bool(const json_t *obj, const char *key);
long hab_j_int(const json_t *obj, const char *key, long dflt);

/* The API's lists, NULL-terminated. */
extern const char *const hab_channels[];       /* restriction channels */
extern const char *const hab_contact_kinds[];  /* chronology channels */
extern const char *const hab_incidents[];
extern const char *const hab_criteria[];
extern const char *const hab_exclusions[];
extern const char *const hab_complaints_stages[];
extern const char *const hab_restriction_types[];
int hab_in_list(const char *const *list, const char *value);
/* A slug as people say it: "in-person" -> "in person", "exhausted" ->
 * "exhausted", "chief-executive" -> "chief executive"; unknown: as it is. */
const char *hab_words(const char *slug);

#endif
