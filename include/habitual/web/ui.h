/* HTML for the intranet pages: GOV.UK Frontend components, written through
 * the template filler (base/template.h), which escapes by default.  Pure:
 * no httpd. */
#ifndef HABITUAL_UI_H
#define HABITUAL_UI_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "habitual/base/template.h"

/* Who the page is for: the navigation shows only what they may open. */
typedef struct hab_ui {
    const char *mount;        /* "/habitual" */
    const char *council;
    const char *user;
    unsigned roles;
    const char *csrf_token;
} hab_ui_t;

typedef struct hab_page {
    const char *title;
    const char *nav;          /* which navigation item is current, or NULL */
    const char *body;         /* the main content */
    int has_error;            /* "Error: " before the title */
    int wide;                 /* full width instead of two-thirds */
    const char *banner;       /* success banner heading, or NULL */
} hab_page_t;

const char *hab_ui_page(apr_pool_t *p, const hab_ui_t *ui, const hab_page_t *page);
/* "/habitual/cases/7" from a path below the mount. */
const char *hab_ui_url(apr_pool_t *p, const hab_ui_t *ui, const char *path);

/* ---- components ---- */
typedef struct hab_ui_error {
    const char *field;        /* the input's id */
    const char *message;
} hab_ui_error_t;

const char *hab_ui_error_summary(apr_pool_t *p, const apr_array_header_t *errors);
const char *hab_ui_field_error(apr_pool_t *p, const apr_array_header_t *errors, const char *id);
const char *hab_ui_tag(apr_pool_t *p, const char *status);       /* coloured status tag */
const char *hab_ui_status_words(const char *status);             /* "Warned", ... */
/* rows: pairs of (key, value-markup) */
const char *hab_ui_summary_list(apr_pool_t *p, const apr_array_header_t *rows);
void hab_ui_row(apr_array_header_t *rows, const char *key, const char *value_markup);
/* A table: head cells, then rows of cells (markup), as NULL-terminated arrays. */
const char *hab_ui_table(apr_pool_t *p, const char *caption, const char *const *head,
                         const apr_array_header_t *rows);
const char *hab_ui_inset(apr_pool_t *p, const char *markup);
const char *hab_ui_warning(apr_pool_t *p, const char *text);
const char *hab_ui_link(apr_pool_t *p, const hab_ui_t *ui, const char *path, const char *text);
/* An escaped paragraph per line of text. */
const char *hab_ui_paragraphs(apr_pool_t *p, const char *text);
/* YYYY-MM-DD or a UTC time in words: "1 March 2026". */
const char *hab_ui_date(apr_pool_t *p, const char *date_or_time);

#endif
