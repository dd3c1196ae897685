#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

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

hab_err_t *hab_store_q(hab_store_t *s, apr_pool_t *p, hab_rows_t **rows,
                       const char *sql, const char *fmt, ...)
{
    hab_param_t params[HAB_MAX_PARAMS];
    int n = 0;
    va_list ap;
    va_start(ap, fmt);
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
            va_end(ap);
            return hab_err_internal(p, "store: bad parameter format");
        }
    }
    va_end(ap);
    hab_rows_t *ignored = NULL;
    return s->ops->query(s, p, sql, params, n, rows ? rows : &ignored);
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
