"""PostgreSQL beside SQLite in the benchmark (run_bench.py --engines).

A private PostgreSQL server (the rig's Postgres: a copy of one initdb,
pg_ctl on a free loopback port, stopped by PID), set up for a fair
comparison with the SQLite driver's PRAGMA synchronous=FULL: fsync and
synchronous_commit on (the rig turns fsync off for its tests).

load() copies a generated SQLite database into a fresh PostgreSQL database
made by `habitual-admin --driver pgsql init` (schema/pgsql/), table by table
in foreign-key order, with COPY from memory in chunks; the text of each row
is made by SQLite itself (COPY's text format: \\N for NULL, backslash,
tab, newline and carriage return escaped), which is twice as fast as
escaping in Python.  Secondary indexes are dropped while a table loads and
recreated from their own definitions, as gen_db.py does; foreign keys stay
checked.  Then every identity sequence is set past the largest id, so the
module's INSERT ... RETURNING id never collides, and VACUUM ANALYZE gives the
planner its statistics (and the visibility map) before the first request.

The access log goes in as it is, seq, prev_hash and hash included: its
triggers refuse UPDATE, DELETE and TRUNCATE, never INSERT (COPY is an
insert), and the hash covers the fields' values, which are the same text on
both engines, so `habitual-admin --driver pgsql verify-audit` walks the same
chain to the same head."""

import importlib.util
import io
import os
import subprocess
import time

import rig

# fsync and synchronous_commit on: a commit is on disk when it returns, as
# with the SQLite driver's synchronous=FULL.  shared_buffers well above the
# rig's 64MB, so the main database's hot pages stay in PostgreSQL's cache.
SETTINGS = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
            "shared_buffers": "256MB"}
SHOWN = ("server_version", "fsync", "synchronous_commit", "shared_buffers", "max_connections")
CHUNK_ROWS = 50000


def available():
    """None when PostgreSQL can be run here, else why not."""
    try:
        rig.pg_bin()
    except RuntimeError as e:
        return str(e)
    if importlib.util.find_spec("psycopg2") is None:
        return "psycopg2 is missing: apt-get install -y python3-psycopg2"
    return None


def version():
    res = subprocess.run([rig.pg_bin("postgres"), "--version"], capture_output=True, text=True)
    return res.stdout.strip() or "PostgreSQL ?"


# ---------------------------------------------------------------- the server

def start_server():
    """A private server with SETTINGS (ALTER SYSTEM, then a restart on the
    same port)."""
    server = rig.Postgres()
    try:
        for name, value in SETTINGS.items():
            server.execute("ALTER SYSTEM SET %s = '%s'" % (name, value))
        server.stop()
        server.start()
    except Exception:
        server.destroy()
        raise
    return server


def settings(server):
    return {name: server.execute("SHOW %s" % name)[0][0] for name in SHOWN}


def postmaster_cpu_seconds(server):
    """User + system seconds of the postmaster, its live children (the
    backends httpd holds, the checkpointer, the WAL writer, ...) and the
    children it has reaped (a backend whose connection closed, autovacuum
    workers)."""
    if not server.running():
        return 0.0
    ticks = 0
    for pid in [server.pid] + children(server.pid):
        fields = stat_fields(pid)
        if fields:
            ticks += int(fields[11]) + int(fields[12])
            if pid == server.pid:
                ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """/proc/PID/stat after the command name (fields[1] is the parent), or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children(parent):
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            fields = stat_fields(int(p))
            if fields and int(fields[1]) == parent:
                pids.append(int(p))
    return pids


def error_lines(server):
    """The server log's ERROR, FATAL and PANIC lines."""
    return [line for line in server.read_log().splitlines()
            if " ERROR: " in line or " FATAL: " in line or " PANIC: " in line]


# ---------------------------------------------------------------- loading

def load(sqlite_path, server, prefix="bench"):
    """A new database on server holding what sqlite_path holds.  Returns the
    rig.PgDatabase and a dict of timings (seconds) and counts."""
    import sqlite3
    timings = {}
    t0 = time.time()
    db = server.create_database(prefix)
    rig.admin(db, "init")
    timings["init_s"] = time.time() - t0

    lite = sqlite3.connect("file:%s?mode=ro" % sqlite_path, uri=True)
    pg = db.connect(autocommit=False)
    try:
        tables = tables_in_fk_order(lite)
        check_same_tables(lite, pg, tables)
        copied = {}
        timings["copy_s"] = timings["indexes_s"] = 0.0
        with pg.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '256MB'")
            for table in tables:
                if table == "schema_migrations":    # init's own record of this database
                    continue
                t = time.time()
                indexes = drop_secondary_indexes(cur, table)
                cur.execute('DELETE FROM "%s"' % table)   # what init put in it (change_counter's row)
                copied[table] = copy_table(lite, cur, table)
                t1 = time.time()
                for sql in indexes:
                    cur.execute(sql)
                timings["indexes_s"] += time.time() - t1
                timings["copy_s"] += t1 - t
                if table == "access_log":
                    timings["access_log_s"] = time.time() - t
            t = time.time()
            set_sequences(cur)
            timings["sequences_s"] = time.time() - t
        pg.commit()
        t = time.time()
        pg.autocommit = True
        with pg.cursor() as cur:
            cur.execute("VACUUM (ANALYZE)")
        timings["vacuum_s"] = time.time() - t
        counts = compare_counts(lite, pg, tables)
    finally:
        pg.close()
        lite.close()
    timings["total_s"] = time.time() - t0
    return db, {"timings": timings, "counts": counts, "rows": sum(copied.values())}


def tables_in_fk_order(lite):
    """SQLite's tables, each after the tables its foreign keys refer to."""
    names = [r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
    refers = {t: {r[2] for r in lite.execute('PRAGMA foreign_key_list("%s")' % t)} - {t} for t in names}
    ordered = []

    def visit(t, path=()):
        if t in ordered:
            return
        if t in path:
            raise RuntimeError("foreign keys in a cycle: %s" % " -> ".join(path + (t,)))
        for parent in sorted(refers[t]):
            visit(parent, path + (t,))
        ordered.append(t)
    for t in names:
        visit(t)
    return ordered


def columns_sqlite(lite, table):
    return [(r[1], r[2].upper()) for r in lite.execute('PRAGMA table_info("%s")' % table)]


def columns_pg(cur, table):
    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = %s ORDER BY ordinal_position", (table,))
    return [r[0] for r in cur.fetchall()]


def check_same_tables(lite, pg, tables):
    """The same tables with the same columns (init made both from this build)."""
    with pg.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        pg_tables = {r[0] for r in cur.fetchall()}
        if pg_tables != set(tables):
            raise RuntimeError("SQLite has tables %s, PostgreSQL %s" % (sorted(set(tables) - pg_tables),
                                                                          sorted(pg_tables - set(tables))))
        for t in tables:
            lite_cols = [c for c, _ in columns_sqlite(lite, t)]
            if sorted(lite_cols) != sorted(columns_pg(cur, t)):
                raise RuntimeError("%s: SQLite columns %s, PostgreSQL %s" % (t, lite_cols, columns_pg(cur, t)))
        cur.execute("SELECT version FROM schema_migrations ORDER BY version")
        pg_versions = [r[0] for r in cur.fetchall()]
    lite_versions = [r[0] for r in lite.execute("SELECT version FROM schema_migrations ORDER BY version")]
    if pg_versions != lite_versions:
        raise RuntimeError("schema versions: SQLite %s, PostgreSQL %s" % (lite_versions, pg_versions))


def copy_text_sql(table, cols):
    """A SELECT giving each row of table as one line of COPY's text format
    (without the newline): fields joined by tabs, NULL as \\N, backslash,
    tab, newline and carriage return escaped in text."""
    fields = []
    for name, decl in cols:
        e = '"%s"' % name
        if "INT" not in decl:
            for char, escaped in (("'\\'", "'\\\\'"), ("char(9)", "'\\t'"), ("char(10)", "'\\n'"),
                                  ("char(13)", "'\\r'")):
                e = "replace(%s, %s, %s)" % (e, char, escaped)
        fields.append("coalesce(%s, '\\N')" % e)
    return 'SELECT %s FROM "%s"' % (" || char(9) || ".join(fields), table)


def copy_table(lite, cur, table, chunk=CHUNK_ROWS):
    """COPY table from SQLite, chunk rows at a time; returns the rows copied."""
    cols = columns_sqlite(lite, table)
    copy = 'COPY "%s" (%s) FROM STDIN' % (table, ", ".join('"%s"' % c for c, _ in cols))
    rows = lite.execute(copy_text_sql(table, cols))
    n = 0
    while True:
        lines = [r[0] for r in rows.fetchmany(chunk)]
        if not lines:
            return n
        cur.copy_expert(copy, io.StringIO("\n".join(lines) + "\n"))
        n += len(lines)


def drop_secondary_indexes(cur, table):
    """Drops the table's indexes that no constraint owns; returns their
    CREATE INDEX statements."""
    cur.execute("SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = 'public' AND tablename = %s "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", (table,))
    found = cur.fetchall()
    for name, _ in found:
        cur.execute('DROP INDEX "%s"' % name)
    return [sql for _, sql in found]


def set_sequences(cur):
    """Every identity column's next value past the largest id copied."""
    cur.execute("SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND is_identity = 'YES'")
    for table, column in cur.fetchall():
        cur.execute('SELECT setval(pg_get_serial_sequence(%%s, %%s), coalesce(max("%s"), 0) + 1, false) '
                    'FROM "%s"' % (column, table), ('"%s"' % table, column))


def compare_counts(lite, pg, tables):
    """Rows in each table on both engines; raises on any difference."""
    counts = {}
    with pg.cursor() as cur:
        for t in tables:
            n = lite.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0]
            cur.execute('SELECT count(*) FROM "%s"' % t)
            in_pg = cur.fetchone()[0]
            if in_pg != n:
                raise RuntimeError("%s: %d rows in SQLite, %d in PostgreSQL" % (t, n, in_pg))
            counts[t] = n
    return counts
