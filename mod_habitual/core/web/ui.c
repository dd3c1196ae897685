/* GOV.UK Frontend markup, escaped by default.  The page shell follows
 * mod_habitual/assets/mock/shell.html: no crown, no GDS Transport, the
 * council's name as text, no inline script or style (CSP). */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/dates.h"
#include "habitual/domain/roles.h"
#include "habitual/web/ui.h"
#include "web/templates.h"

const char *hab_ui_url(apr_pool_t *p, const hab_ui_t *ui, const char *path)
{
    return apr_pstrcat(p, ui->mount, "/", path, NULL);
}

/* ---- the shell ---- */

typedef struct {
    const char *key;
    const char *path;
    const char *text;
    unsigned roles;           /* any of these may open it; 0: everyone with a role */
} nav_item_t;

static const nav_item_t nav_items[] = {
    {"home", "", "Home", 0},
    {"concern", "concerns/new", "Raise a concern", HAB_ROLE_STAFF},
    {"referrals", "referrals", "Your referrals", HAB_ROLE_STAFF},
    {"notices", "notices", "Notices", 0},
    {"cases", "cases", "Cases", HAB_ROLES_CASE_OFFICERS},
    {"triage", "triage", "Post", HAB_ROLE_CEM},
    {"absences", "absences", "Absences", HAB_ROLE_CHIEF_EXECUTIVE | HAB_ROLE_CEM},
    {"notifications", "notifications", "Notifications", HAB_ROLE_CHIEF_OFFICER},
    {"governance", "governance", "Governance", HAB_ROLES_CASE_OFFICERS | HAB_ROLE_AUDITOR},
    {"audit", "audit", "Access log", HAB_ROLE_AUDITOR},
};

static const char *navigation(apr_pool_t *p, const hab_ui_t *ui, const char *current)
{
    hab_html_t *h = hab_html_new(p);
    if (!ui->roles) return "";
    for (size_t i = 0; i < sizeof(nav_items) / sizeof(nav_items[0]); i++) {
        const nav_item_t *n = &nav_items[i];
        if (n->roles && !(ui->roles & n->roles)) continue;
        const char *href = hab_ui_url(p, ui, n->path);
        if (current && !strcmp(current, n->key))
            hab_html_tpl(h, hab_tpl_shell_nav_item_current, "href", href, "text", n->text, NULL);
        else
            hab_html_tpl(h, hab_tpl_shell_nav_item, "href", href, "text", n->text, NULL);
    }
    hab_html_tpl(h, hab_tpl_shell_nav_signed_in, "user", ui->user, NULL);
    return hab_tpl(p, hab_tpl_shell_navigation, "items", hab_html_str(h), NULL);
}

static const char *success_banner(apr_pool_t *p, const char *heading)
{
    if (!heading) return "";
    return hab_tpl(p, hab_tpl_shell_success_banner, "heading", heading, NULL);
}

const char *hab_ui_page(apr_pool_t *p, const hab_ui_t *ui, const hab_page_t *page)
{
    const char *assets = hab_ui_url(p, ui, "assets/");
    return hab_tpl(
        p, hab_tpl_shell_page,
        "error", page->has_error ? "Error: " : "", "title", page->title, "council", ui->council,
        "assets", assets, "home", hab_ui_url(p, ui, ""), "nav", navigation(p, ui, page->nav),
        "column", page->wide ? "govuk-grid-column-full" : "govuk-grid-column-two-thirds",
        "banner", success_banner(p, page->banner), "body", page->body, NULL);
}

/* ---- components ---- */

const char *hab_ui_error_summary(apr_pool_t *p, const apr_array_header_t *errors)
{
    if (!errors || errors->nelts == 0) return "";
    hab_html_t *items = hab_html_new(p);
    for (int i = 0; i < errors->nelts; i++) {
        const hab_ui_error_t *e = &APR_ARRAY_IDX(errors, i, hab_ui_error_t);
        if (e->field)
            hab_html_tpl(items, hab_tpl_error_summary_link, "id", e->field, "m", e->message, NULL);
        else
            hab_html_tpl(items, hab_tpl_error_summary_item, "m", e->message, NULL);
    }
    return hab_tpl(p, hab_tpl_error_summary, "items", hab_html_str(items), NULL);
}

const char *hab_ui_field_error(apr_pool_t *p, const apr_array_header_t *errors, const char *id)
{
    for (int i = 0; errors && i < errors->nelts; i++) {
        const hab_ui_error_t *e = &APR_ARRAY_IDX(errors, i, hab_ui_error_t);
        if (e->field && !strcmp(e->field, id))
            return hab_tpl(p, hab_tpl_field_error, "id", id, "m", e->message, NULL);
    }
    return NULL;
}

const char *hab_ui_status_words(const char *status)
{
    if (!status) return "";
    if (!strcmp(status, "referred")) return "Referred";
    if (!strcmp(status, "warned")) return "Warned";
    if (!strcmp(status, "reported")) return "Awaiting decision";
    if (!strcmp(status, "active")) return "Restrictions in force";
    if (!strcmp(status, "ended")) return "Ended";
    if (!strcmp(status, "closed")) return "Closed";
    return status;
}

const char *hab_ui_tag(apr_pool_t *p, const char *status)
{
    const char *colour = "govuk-tag--grey";
    if (status && !strcmp(status, "referred")) colour = "govuk-tag--blue";
    else if (status && !strcmp(status, "warned")) colour = "govuk-tag--yellow";
    else if (status && !strcmp(status, "reported")) colour = "govuk-tag--orange";
    else if (status && !strcmp(status, "active")) colour = "govuk-tag--red";
    return hab_tpl(p, hab_tpl_tag, "c", colour, "w",
                   hab_ui_status_words(status), NULL);
}

void hab_ui_row(apr_array_header_t *rows, const char *key, const char *value_markup)
{
    APR_ARRAY_PUSH(rows, const char *) = key;
    APR_ARRAY_PUSH(rows, const char *) = value_markup;
}

const char *hab_ui_summary_list(apr_pool_t *p, const apr_array_header_t *rows)
{
    hab_html_t *h = hab_html_new(p);
    for (int i = 0; i + 1 < rows->nelts; i += 2)
        hab_html_tpl(h, hab_tpl_summary_list_row, "k", APR_ARRAY_IDX(rows, i, const char *), "v",
                     APR_ARRAY_IDX(rows, i + 1, const char *), NULL);
    return hab_tpl(p, hab_tpl_summary_list, "rows", hab_html_str(h), NULL);
}

const char *hab_ui_table(apr_pool_t *p, const char *caption, const char *const *head,
                         const apr_array_header_t *rows)
{
    hab_html_t *head_cells = hab_html_new(p), *body = hab_html_new(p);
    int cols = 0;
    for (; head[cols]; cols++)
        hab_html_tpl(head_cells, hab_tpl_table_header, "t", head[cols], NULL);
    for (int i = 0; i < rows->nelts; i++) {
        const char *const *cells = APR_ARRAY_IDX(rows, i, const char *const *);
        hab_html_t *row = hab_html_new(p);
        for (int c = 0; c < cols; c++) hab_html_tpl(row, hab_tpl_table_cell, "v", cells[c], NULL);
        hab_html_tpl(body, hab_tpl_table_row, "cells", hab_html_str(row), NULL);
    }
    return hab_tpl(p, hab_tpl_table, "c", caption, "head", hab_html_str(head_cells),
                   "rows", hab_html_str(body), NULL);
}

const char *hab_ui_inset(apr_pool_t *p, const char *markup)
{
    return hab_tpl(p, hab_tpl_inset, "m", markup, NULL);
}

const char *hab_ui_warning(apr_pool_t *p, const char *text)
{
    return hab_tpl(p, hab_tpl_warning, "t", text, NULL);
}

const char *hab_ui_link(apr_pool_t *p, const hab_ui_t *ui, const char *path, const char *text)
{
    return hab_tpl(p, hab_tpl_link, "h", hab_ui_url(p, ui, path),
                   "t", text, NULL);
}

const char *hab_ui_paragraphs(apr_pool_t *p, const char *text)
{
    if (!text || !*text) return hab_tpl_paragraph_empty;
    hab_html_t *h = hab_html_new(p);
    const char *s = text;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        if (len) hab_html_tpl(h, hab_tpl_paragraph, "t", apr_pstrmemdup(p, s, len), NULL);
        s += len + (nl ? 1 : 0);
    }
    return hab_html_str(h);
}

const char *hab_ui_date(apr_pool_t *p, const char *date_or_time)
{
    if (!date_or_time) return "";
    if (strlen(date_or_time) >= 10) {
        const char *date = apr_pstrndup(p, date_or_time, 10);
        if (hab_valid_date(date)) {
            const char *words = hab_date_long(p, date);
            if (strlen(date_or_time) == 20)
                return apr_pstrcat(p, words, ", ", apr_pstrndup(p, date_or_time + 11, 5), " UTC",
                                   NULL);
            return words;
        }
    }
    return date_or_time;
}
