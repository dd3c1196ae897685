#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/dates.h"

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

int hab_valid_date(const char *s)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return 0;
    if (!digits(s, 4) || !digits(s + 5, 2) || !digits(s + 8, 2)) return 0;
    int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
    return y >= 1900 && y <= 2999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

int hab_valid_time(const char *s)
{
    if (!s || strlen(s) != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
        return 0;
    char date[11];
    memcpy(date, s, 10);
    date[10] = '\0';
    if (!hab_valid_date(date) || !digits(s + 11, 2) || !digits(s + 14, 2) || !digits(s + 17, 2))
        return 0;
    return num(s + 11, 2) < 24 && num(s + 14, 2) < 60 && num(s + 17, 2) < 60;
}

/* Howard Hinnant's days_from_civil. */
static long civil_to_days(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void days_to_civil(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

long hab_date_to_days(const char *date)
{
    return civil_to_days(num(date, 4), num(date + 5, 2), num(date + 8, 2));
}

const char *hab_days_to_date(apr_pool_t *p, long days)
{
    int y, m, d;
    days_to_civil(days, &y, &m, &d);
    return apr_psprintf(p, "%04d-%02d-%02d", y, m, d);
}

const char *hab_date_add_days(apr_pool_t *p, const char *date, long days)
{
    return hab_days_to_date(p, hab_date_to_days(date) + days);
}

const char *hab_date_add_months(apr_pool_t *p, const char *date, int months)
{
    int y = num(date, 4), m = num(date + 5, 2), d = num(date + 8, 2);
    int total = y * 12 + (m - 1) + months;
    y = total / 12;
    m = total % 12 + 1;
    if (d > days_in_month(y, m)) d = days_in_month(y, m);
    return apr_psprintf(p, "%04d-%02d-%02d", y, m, d);
}

long hab_date_diff(const char *a, const char *b)
{
    return hab_date_to_days(b) - hab_date_to_days(a);
}

/* 0 = Monday ... 6 = Sunday; 1970-01-01 was a Thursday. */
static int weekday(long days)
{
    long w = (days + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* Anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
static long easter_sunday(int y)
{
    int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
    int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
    return civil_to_days(y, month, day);
}

static long first_monday(int y, int m)
{
    long d = civil_to_days(y, m, 1);
    return d + (7 - weekday(d)) % 7;
}

static long last_monday(int y, int m)
{
    long d = civil_to_days(y, m, days_in_month(y, m));
    return d - weekday(d);
}

/* England and Wales: the regular bank holidays with their substitute days.
 * One-off holidays (jubilees, coronations) are not known. */
static int is_bank_holiday(long days)
{
    int y, m, d;
    days_to_civil(days, &y, &m, &d);
    long new_year = civil_to_days(y, 1, 1);
    if (weekday(new_year) >= 5) new_year += 7 - weekday(new_year);
    long easter = easter_sunday(y);
    long christmas = civil_to_days(y, 12, 25), boxing = christmas + 1;
    int wc = weekday(christmas);
    if (wc == 5) { christmas += 2; boxing += 2; }       /* Sat: Mon 27, Tue 28 */
    else if (wc == 6) { christmas += 2; }                /* Sun: Mon 26 (boxing), Tue 27 */
    else if (wc == 4) { boxing += 2; }                   /* Fri: boxing Sat -> Mon 28 */
    return days == new_year || days == easter - 2 || days == easter + 1 ||
           days == first_monday(y, 5) || days == last_monday(y, 5) ||
           days == last_monday(y, 8) || days == christmas || days == boxing;
}

int hab_date_is_working_day(const char *date)
{
    long days = hab_date_to_days(date);
    return weekday(days) < 5 && !is_bank_holiday(days);
}

const char *hab_date_add_working_days(apr_pool_t *p, const char *date, int n)
{
    long days = hab_date_to_days(date);
    while (n > 0) {
        days++;
        if (weekday(days) < 5 && !is_bank_holiday(days)) n--;
    }
    return hab_days_to_date(p, days);
}

long hab_date_working_days_between(const char *from, const char *to)
{
    long n = 0;
    for (long d = hab_date_to_days(from) + 1, end = hab_date_to_days(to); d <= end; d++)
        if (weekday(d) < 5 && !is_bank_holiday(d)) n++;
    return n;
}

const char *hab_period_end(apr_pool_t *p, const char *start, int months)
{
    return hab_date_add_days(p, hab_date_add_months(p, start, months), -1);
}

const char *hab_review_due(apr_pool_t *p, const char *start, int months)
{
    const char *end = hab_period_end(p, start, months);
    const char *year_on = hab_date_add_months(p, start, 12);
    return strcmp(end, year_on) <= 0 ? end : year_on;
}

const char *hab_date_long(apr_pool_t *p, const char *date)
{
    static const char *const months[] = {"January", "February", "March", "April", "May", "June",
                                         "July", "August", "September", "October", "November",
                                         "December"};
    if (!hab_valid_date(date)) return date;
    return apr_psprintf(p, "%d %s %d", num(date + 8, 2), months[num(date + 5, 2) - 1],
                        num(date, 4));
}
