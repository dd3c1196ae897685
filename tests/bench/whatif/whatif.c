/* What-if shim for the benchmark: an LD_PRELOAD library that changes how
 * the unchanged module uses SQLite, to measure design options before anyone
 * writes them.  Not part of the module; never loaded outside the benchmark.
 *
 *   HABITUAL_WHATIF_PRAGMAS="PRAGMA mmap_size=1073741824;"  run after every sqlite3_open_v2
 *   HABITUAL_WHATIF_SYNC=NORMAL      replaces the module's "PRAGMA synchronous=FULL"
 *   HABITUAL_WHATIF_BUSY_US=100      replaces sqlite3_busy_timeout's handler (sleeps of
 *                                    1, 2, 5, 10 ... 100 ms) by sleeps of this many
 *                                    microseconds, up to the same total time
 *   HABITUAL_WHATIF_NOTICES=1        replaces the notices query (reads.c) by one that
 *                                    starts from the user's grants and referrals
 *                                    instead of every open case; same parameters
 *   HABITUAL_WHATIF_WRITER_MUTEX=1   BEGIN IMMEDIATE first takes a process-wide mutex
 *                                    (released when the transaction ends), so the
 *                                    threads of one process queue on a futex instead
 *                                    of polling SQLite's lock
 *
 * Build: make -C tests/bench/whatif  (gcc -shared -fPIC whatif.c -o whatif.so -ldl) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

typedef int (*open_fn)(const char *, sqlite3 **, int, const char *);
typedef int (*exec_fn)(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *,
                       char **);
typedef int (*prepare_fn)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
typedef int (*busy_timeout_fn)(sqlite3 *, int);

static const char *NOTICES_MARK =
    "AND (? = 1 OR c.referred_by = ? OR EXISTS (SELECT 1 FROM grants g WHERE g.case_id = c.id";
/* the same four parameters: all, user, user, today */
static const char *NOTICES_SQL =
    "SELECT c.id FROM cases c WHERE c.id IN ("
    "  SELECT id FROM cases WHERE ?1 = 1 AND status IN ('referred','warned','reported','active') "
    "  UNION SELECT id FROM cases WHERE referred_by = ?2 "
    "  UNION SELECT case_id FROM grants WHERE grantee = ?3 AND revoked_at IS NULL AND expires >= "
    "?4) "
    "AND c.status IN ('referred','warned','reported','active') "
    "AND EXISTS (SELECT 1 FROM restrictions r WHERE r.case_id = c.id AND r.lifted_at IS NULL) "
    "ORDER BY c.id";

static pthread_mutex_t writer = PTHREAD_MUTEX_INITIALIZER;
static __thread sqlite3 *holding; /* the connection this thread holds the mutex for */

static void *next(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

int sqlite3_open_v2(const char *path, sqlite3 **db, int flags, const char *vfs)
{
    static open_fn real;
    if (!real) real = (open_fn)next("sqlite3_open_v2");
    int rc = real(path, db, flags, vfs);
    const char *pragmas = getenv("HABITUAL_WHATIF_PRAGMAS");
    if (rc == SQLITE_OK && pragmas && *pragmas) {
        static exec_fn exec;
        if (!exec) exec = (exec_fn)next("sqlite3_exec");
        exec(*db, pragmas, NULL, NULL, NULL);
    }
    return rc;
}

int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg,
                 char **err)
{
    static exec_fn real;
    if (!real) real = (exec_fn)next("sqlite3_exec");
    const char *sync = getenv("HABITUAL_WHATIF_SYNC");
    char buf[256];
    if (sync && *sync && strstr(sql, "PRAGMA synchronous=FULL") && strlen(sql) < 200) {
        /* "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;" */
        const char *at = strstr(sql, "PRAGMA synchronous=FULL");
        snprintf(buf, sizeof(buf), "%.*sPRAGMA synchronous=%s;", (int)(at - sql), sql, sync);
        sql = buf;
    }
    const char *mutex = getenv("HABITUAL_WHATIF_WRITER_MUTEX");
    if (mutex && *mutex == '1') {
        if (!strcmp(sql, "BEGIN IMMEDIATE") && holding != db) {
            pthread_mutex_lock(&writer);
            holding = db;
            int rc = real(db, sql, cb, arg, err);
            if (rc != SQLITE_OK) {
                holding = NULL;
                pthread_mutex_unlock(&writer);
            }
            return rc;
        }
        int rc = real(db, sql, cb, arg, err);
        if (holding == db && sqlite3_get_autocommit(db)) {
            holding = NULL;
            pthread_mutex_unlock(&writer);
        }
        return rc;
    }
    return real(db, sql, cb, arg, err);
}

int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **stmt, const char **tail)
{
    static prepare_fn real;
    if (!real) real = (prepare_fn)next("sqlite3_prepare_v2");
    const char *notices = getenv("HABITUAL_WHATIF_NOTICES");
    if (notices && *notices == '1' && strstr(sql, NOTICES_MARK))
        return real(db, NOTICES_SQL, -1, stmt, NULL);
    return real(db, sql, n, stmt, tail);
}

typedef struct {
    long step_us;
    long limit_us;
} busy_t;

static int short_sleeps(void *data, int count)
{
    const busy_t *b = data;
    if ((long)count * b->step_us >= b->limit_us) return 0;
    struct timespec ts = {0, b->step_us * 1000};
    nanosleep(&ts, NULL);
    return 1;
}

int sqlite3_busy_timeout(sqlite3 *db, int ms)
{
    static busy_timeout_fn real;
    if (!real) real = (busy_timeout_fn)next("sqlite3_busy_timeout");
    const char *us = getenv("HABITUAL_WHATIF_BUSY_US");
    if (!us || !*us || ms <= 0) return real(db, ms);
    busy_t *b = malloc(sizeof(*b)); /* one per connection, kept for its life */
    b->step_us = atol(us) > 0 ? atol(us) : 100;
    b->limit_us = (long)ms * 1000;
    return sqlite3_busy_handler(db, short_sleeps, b);
}
