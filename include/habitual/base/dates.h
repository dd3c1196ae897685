/* Calendar dates as the API writes them ("YYYY-MM-DD") and the arithmetic
 * the procedure needs: months for periods (R9), working days for appeals
 * (R11).  Pure functions of their arguments: no clock is read here. */
#ifndef HABITUAL_DATES_H
#define HABITUAL_DATES_H

#include <apr_pools.h>

/* A real calendar date from 1900 to 2999 in exactly this form. */
int hab_valid_date(const char *s);
/* "YYYY-MM-DDTHH:MM:SSZ", a real time. */
int hab_valid_time(const char *s);

/* Days since 1970-01-01 (negative before); date must be valid. */
long hab_date_to_days(const char *date);
const char *hab_days_to_date(apr_pool_t *p, long days);

const char *hab_date_add_days(apr_pool_t *p, const char *date, long days);
/* Same day of the month, clamped to the month's last day (31 Jan + 1 = 28/29 Feb). */
const char *hab_date_add_months(apr_pool_t *p, const char *date, int months);
/* n working days after date: Monday to Friday, skipping England and Wales
 * bank holidays known to this build (2024-2030). */
const char *hab_date_add_working_days(apr_pool_t *p, const char *date, int n);
/* The working days after from, up to and including to (0 when to is not
 * after from): how long an item of post has waited. */
long hab_date_working_days_between(const char *from, const char *to);
int hab_date_is_working_day(const char *date);
/* b - a in days. */
long hab_date_diff(const char *a, const char *b);

/* R9: the last day of a period of months starting on start, and its review
 * date: the period's end or 12 months after its start, whichever is sooner. */
const char *hab_period_end(apr_pool_t *p, const char *start, int months);
const char *hab_review_due(apr_pool_t *p, const char *start, int months);

/* "1 March 2026", for letters. */
const char *hab_date_long(apr_pool_t *p, const char *date);

#endif
