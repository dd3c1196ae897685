/* The one CSV writer of every CSV the module and habitual-admin write
 * (README, "Security: what the outputs guarantee").  RFC 4180: cells
 * separated by commas, lines ended by CRLF.
 *
 * Text cells are always quoted, with quotes doubled.  A text value whose
 * first character is = + - @ TAB or CR would be read by a spreadsheet as a
 * formula (CSV injection, OWASP): it gets a single quote ' put before it.  A
 * value that already begins with ' gets one too, so the rule can be undone
 * exactly: a reader drops one leading ' from a text cell that has one (the
 * audit export stays re-verifiable from its CSV).  Nothing else changes.
 *
 * Numbers the program itself produces (sequence numbers, ids, statuses,
 * counts, day differences) are written bare: they never come from a user. */
#ifndef HABITUAL_CSV_H
#define HABITUAL_CSV_H

#include <apr_pools.h>
#include <apr_tables.h>

/* One text cell, quoted and neutralised; NULL is the empty cell "". */
const char *hab_csv_text(apr_pool_t *p, const char *v);
/* One number cell, bare. */
const char *hab_csv_int(apr_pool_t *p, long long n);
/* Would a spreadsheet take this value for a formula (or is it a leading ')? */
int hab_csv_needs_quote_mark(const char *v);

/* A row, cell by cell, then the line with its CRLF. */
typedef struct hab_csv_row {
    apr_pool_t *p;
    apr_array_header_t *cells;   /* const char *, already written */
} hab_csv_row_t;

hab_csv_row_t *hab_csv_row(apr_pool_t *p);
void hab_csv_add_text(hab_csv_row_t *r, const char *v);
void hab_csv_add_int(hab_csv_row_t *r, long long n);
const char *hab_csv_row_end(const hab_csv_row_t *r);

/* A line of text cells (a header, a name and its value): NULL-terminated. */
const char *hab_csv_line(apr_pool_t *p, const char *const *texts);

#endif
