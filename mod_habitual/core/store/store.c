#include <ctype.h>
#include <errno.h>
#include <strings.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "habitual/store/store.h"
#include "habitual/store/schema.h"
#include "habitual/store/store_drivers.h"

#define HAB_MAX_PARAMS 32

const char *hab_store_drivers(void)
{
    return "sqlite3, pgsql";
}

int hab_store_driver_known(const char *driver)
{
    return driver && (strcmp(driver, "sqlite3") == 0 || strcmp(driver, "pgsql") == 0);
}

const char *hab_store_display(apr_pool_t *p, const char *driver, const char *params)
{
    if (driver && strcmp(driver, "pgsql") == 0) return hab_store_pgsql_display(p, params);
    return params ? params : "";
}

hab_err_t *hab_store_open(apr_pool_t *p, const char *driver, const char *params,
                          int flags, hab_store_t **out)
{
    if (driver && strcmp(driver, "sqlite3") == 0)
        return hab_store_sqlite_open(p, params, flags, out);
    if (driver && strcmp(driver, "pgsql") == 0)
        return hab_store_pgsql_open(p, params, flags, out);
    return hab_err_make(p, 500, "bad-driver", "unknown database driver '%s' (known: %s)",
                        driver ? driver : "", hab_store_drivers());
}

struct hab_prefetch {
    apr_pool_t *p;             /* the statements', parameters' and answers' */
    apr_array_header_t *stmts; /* hab_stmt_t, in the order written down */
    hab_rows_t **rows;         /* once sent: the answers; NULL once taken */
    int sent;
};

void hab_store_forget(hab_store_t *s)
{
    s->log_head.known = 0;
    s->changes.known = 0;
    s->prefetch = NULL;
}

int hab_store_prefetch_begin(hab_store_t *s, apr_pool_t *p)
{
    s->prefetch = NULL;
    if (!s->ops->query_many || !s->in_transaction) return 0;
    hab_prefetch_t *pf = apr_pcalloc(p, sizeof(*pf));
    pf->p = p;
    pf->stmts = apr_array_make(p, 24, sizeof(hab_stmt_t));
    s->prefetch = pf;
    return 1;
}

hab_err_t *hab_store_prefetch_send(hab_store_t *s, apr_pool_t *p)
{
    hab_prefetch_t *pf = s->prefetch;
    if (!pf || pf->sent) return NULL;
    int n = pf->stmts->nelts;
    if (!n || !s->in_transaction) {
        s->prefetch = NULL;
        return NULL;
    }
    pf->rows = apr_pcalloc(pf->p, (apr_size_t)n * sizeof(*pf->rows));
    pf->sent = 1;
    hab_err_t *e = s->ops->query_many(s, pf->p, (const hab_stmt_t *)pf->stmts->elts, n, pf->rows);
    if (e) s->prefetch = NULL;
    return e ? hab_err_copy(p, e) : NULL;
}

static int is_read(const char *sql)
{
    return strncmp(sql, "SELECT ", 7) == 0;
}

/* Reads only: nothing that changes anything is ever sent ahead. */
static void write_down(hab_prefetch_t *pf, const char *sql, const hab_param_t *params, int n)
{
    if (!is_read(sql)) return;
    hab_param_t *copy = n ? apr_pmemdup(pf->p, params, (apr_size_t)n * sizeof(*params)) : NULL;
    for (int i = 0; i < n; i++)
        if (copy[i].text) copy[i].text = apr_pstrdup(pf->p, copy[i].text);
    hab_stmt_t *st = &APR_ARRAY_PUSH(pf->stmts, hab_stmt_t);
    st->sql = apr_pstrdup(pf->p, sql);
    st->params = copy;
    st->nparams = n;
}

static int same_params(const hab_param_t *a, const hab_param_t *b, int n)
{
    for (int i = 0; i < n; i++) {
        if (a[i].type != b[i].type) return 0;
        if (a[i].type == HAB_PARAM_INT && a[i].num != b[i].num) return 0;
        if (a[i].type == HAB_PARAM_TEXT && strcmp(a[i].text, b[i].text) != 0) return 0;
    }
    return 1;
}

/* The answer sent ahead for this read, taken once; NULL when there is none. */
static hab_rows_t *take_answer(hab_prefetch_t *pf, const char *sql, const hab_param_t *params,
                               int n)
{
    const hab_stmt_t *st = (const hab_stmt_t *)pf->stmts->elts;
    for (int i = 0; i < pf->stmts->nelts; i++) {
        if (!pf->rows[i] || st[i].nparams != n || strcmp(st[i].sql, sql) != 0 ||
            !same_params(st[i].params, params, n))
            continue;
        hab_rows_t *answer = pf->rows[i];
        pf->rows[i] = NULL;
        return answer;
    }
    return NULL;
}

/* A statement meets what was sent ahead: written down, answered from it,
 * or (a write, a savepoint) the end of it. */
static int meet_prefetch(hab_store_t *s, const char *sql, const hab_param_t *params, int n,
                         hab_rows_t **rows)
{
    hab_prefetch_t *pf = s->prefetch;
    if (!pf->sent) {
        write_down(pf, sql, params, n);
        *rows = apr_pcalloc(pf->p, sizeof(**rows));
        return 1;
    }
    if (is_read(sql) && (*rows = take_answer(pf, sql, params, n))) return 1;
    if (!is_read(sql)) s->prefetch = NULL;
    return 0;
}

/* fmt's parameters (hab_store_q) into params; their count, or -1. */
static int bind_params(hab_param_t *params, const char *fmt, va_list ap)
{
    int n = 0;
    for (const char *f = fmt; *f && n < HAB_MAX_PARAMS; f++, n++) {
        memset(&params[n], 0, sizeof(params[n]));
        switch (*f) {
        case 't':
            params[n].text = va_arg(ap, const char *);
            params[n].type = params[n].text ? HAB_PARAM_TEXT : HAB_PARAM_NULL;
            break;
        case 'i':
            params[n].type = HAB_PARAM_INT;
            params[n].num = va_arg(ap, long long);
            break;
        case 'I': /* an id where 0 means none */
            params[n].num = va_arg(ap, long long);
            params[n].type = params[n].num ? HAB_PARAM_INT : HAB_PARAM_NULL;
            break;
        case 'b':
            params[n].type = HAB_PARAM_INT;
            params[n].num = va_arg(ap, int) ? 1 : 0;
            break;
        default:
            return -1;
        }
    }
    return n;
}

/* later: a write nobody waits on (hab_store_q_later), which ends what was
 * sent ahead and may wait for the next statement. */
static hab_err_t *query_v(hab_store_t *s, apr_pool_t *p, hab_rows_t **rows, const char *sql,
                          const char *fmt, va_list ap, int later)
{
    hab_param_t params[HAB_MAX_PARAMS];
    int n = bind_params(params, fmt, ap);
    if (n < 0) return hab_err_internal(p, "store: bad parameter format");
    hab_rows_t *ignored = NULL;
    if (!rows) rows = &ignored;
    if (later) {
        s->prefetch = NULL;
        if (s->appends_may_wait && s->in_transaction && s->ops->send_later)
            return s->ops->send_later(s, p, sql, params, n);
    } else if (s->prefetch && meet_prefetch(s, sql, params, n, rows)) {
        return NULL;
    }
    return s->ops->query(s, p, sql, params, n, rows);
}

hab_err_t *hab_store_q(hab_store_t *s, apr_pool_t *p, hab_rows_t **rows,
                       const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hab_err_t *e = query_v(s, p, rows, sql, fmt, ap, 0);
    va_end(ap);
    return e;
}

hab_err_t *hab_store_q_later(hab_store_t *s, apr_pool_t *p, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hab_err_t *e = query_v(s, p, NULL, sql, fmt, ap, 1);
    va_end(ap);
    return e;
}

hab_err_t *hab_store_send_waiting(hab_store_t *s, apr_pool_t *p)
{
    return s->ops->send_waiting ? s->ops->send_waiting(s, p) : NULL;
}

const char *hab_rows_text(const hab_rows_t *rows, int row, int col)
{
    if (!rows || row < 0 || row >= rows->nrows || col < 0 || col >= rows->ncols)
        return NULL;
    return rows->cells[row * rows->ncols + col];
}

long long hab_rows_int(const hab_rows_t *rows, int row, int col)
{
    const char *t = hab_rows_text(rows, row, col);
    return t ? strtoll(t, NULL, 10) : 0;
}

hab_err_t *hab_changes_bump(hab_store_t *s, apr_pool_t *p)
{
    s->changes.known = 0;
    return hab_store_q(s, p, NULL, "UPDATE change_counter SET n = n + 1 WHERE id = 1", "");
}

hab_err_t *hab_changes_read(hab_store_t *s, apr_pool_t *p, long long *n)
{
    hab_rows_t *rows;
    hab_err_t *e = hab_store_q(s, p, &rows, "SELECT n FROM change_counter WHERE id = 1", "");
    *n = e ? -1 : hab_rows_int(rows, 0, 0);
    return e;
}

hab_err_t *hab_store_sync_file(apr_pool_t *p, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int failed = fd < 0 || fdatasync(fd) != 0;
    int why = errno;
    if (fd >= 0) close(fd);
    if (!failed) return NULL;
    hab_err_t *e = hab_err_unavailable(p, "the database could not be written to disk");
    e->cause = apr_psprintf(p, "errno %d", why);
    return e;
}

apr_status_t hab_store_close_cleanup(void *store)
{
    hab_store_t *s = store;
    s->ops->close(s);
    return APR_SUCCESS;
}

/* The length, then up to 17 eight-byte words at even steps from the start
 * and the last one (FNV-1a's mixing, a word at a time).  A case load's
 * statement is some 300 bytes: about 120 instructions, not 1,400. */
static unsigned int sampled_sql_hash(const char *key, apr_ssize_t *klen)
{
    size_t len = *klen == APR_HASH_KEY_STRING ? strlen(key) : (size_t)*klen;
    *klen = (apr_ssize_t)len;
    unsigned long long h = 14695981039346656037ULL ^ len, w;
    if (len < sizeof(w)) {
        for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    } else {
        size_t step = (len - sizeof(w)) / 16 + 1;
        for (size_t at = 0; at + sizeof(w) <= len; at += step) {
            memcpy(&w, key + at, sizeof(w));
            h = (h ^ w) * 1099511628211ULL;
        }
        memcpy(&w, key + len - sizeof(w), sizeof(w));
        h = (h ^ w) * 1099511628211ULL;
    }
    return (unsigned int)(h ^ (h >> 32));
}

apr_hash_t *hab_store_statement_cache(apr_pool_t *p)
{
    return apr_hash_make_custom(p, sampled_sql_hash);
}

const char *hab_sql_skip_span(const char *s)
{
    if (*s == '\'' || *s == '"') {
        const char *end = strchr(s + 1, *s);
        return end ? end + 1 : s + strlen(s);
    }
    if (s[0] == '-' && s[1] == '-') return s + strcspn(s, "\n");
    if (s[0] == '/' && s[1] == '*') {
        const char *end = strstr(s + 2, "*/");
        return end ? end + 2 : s + strlen(s);
    }
    return s;
}

const char *hab_sql_skip_space(const char *s)
{
    while (*s && isspace((unsigned char)*s)) s++;
    return s;
}

int hab_sql_starts_word(const char *s, const char *word)
{
    size_t n = strlen(word);
    return strncasecmp(s, word, n) == 0 && !isalnum((unsigned char)s[n]) && s[n] != '_';
}
