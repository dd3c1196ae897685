"""Fixtures for the integration suite: the real rig (slapd + httpd + a fresh
database: SQLite, or PostgreSQL with HABITUAL_DB=pgsql), a small client
that signs in as a rig user, and Db, the same look at the data on both
engines."""

import os
import shutil
import sqlite3
import tempfile
import sys
import threading

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "rig"))
import rig  # noqa: E402


class Client:
    """One signed-in user.  Fetches the CSRF token from api/me on demand."""

    def __init__(self, base, user, password=rig.PASSWORD):
        self.base = base
        self.user = user
        self.session = requests.Session()
        self.session.auth = (user, password)
        self._token = None

    def url(self, path):
        return self.base + "/" + path.lstrip("/")

    def token(self):
        if self._token is None:
            r = self.get("api/me")
            assert r.status_code == 200, (self.user, r.status_code, r.text)
            self._token = r.json()["csrf_token"]
        return self._token

    def get(self, path, **kw):
        kw.setdefault("timeout", 30)
        return self.session.get(self.url(path), **kw)

    def send(self, method, path, body=None, token=True, headers=None, data=None, **kw):
        h = {}
        if token is True:
            h["X-CSRF-Token"] = self.token()
        elif token:
            h["X-CSRF-Token"] = token
        if body is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        kw.setdefault("timeout", 30)
        return self.session.request(method, self.url(path), json=body if data is None else None,
                                    data=data, headers=h, **kw)

    def post(self, path, body=None, **kw):
        return self.send("POST", path, body, **kw)

    def delete(self, path, **kw):
        return self.send("DELETE", path, None, **kw)


# The engine of this run (HABITUAL_DB=pgsql: PostgreSQL).
PG = rig.pgsql()
# The access log and its index of the cases shown: they grow with any request,
# the index in arrears, by whichever entry's turn it is (README "The access log").
LOG_TABLES = ("access_log", "access_log_cases", "access_log_case_blocks")


def _schema_version():
    """This build's schema version: the newest schema/NNN_*.sql."""
    import glob
    names = glob.glob(os.path.join(rig.ROOT, "schema", "[0-9][0-9][0-9]_*.sql"))
    return max(int(os.path.basename(n)[:3]) for n in names)


SCHEMA_VERSION = _schema_version()
# every migration's number, in order (a gap is possible while branches merge)
SCHEMA_MIGRATIONS = sorted(int(n[:3]) for n in os.listdir(os.path.join(rig.ROOT, "schema"))
                           if n[:3].isdigit() and n.endswith(".sql"))


def sqlite_only(mechanism):
    """For the few tests whose point is a mechanism of SQLite itself."""
    return pytest.mark.skipif(PG, reason="SQLite-only mechanism: %s" % mechanism)


def pgsql_only(what):
    return pytest.mark.skipif(not PG, reason="PostgreSQL only (HABITUAL_DB=pgsql): %s" % what)


def new_database(workdir, name="h.db"):
    """A database that exists but was never initialised: a SQLite path in
    workdir (the file is made by `habitual-admin init`), or a new, empty
    PostgreSQL database (made by the DBA; init adds the schema)."""
    if PG:
        return rig.Postgres.shared().create_database("empty")
    return os.path.join(workdir, name)


def missing_database(workdir, name="absent.db"):
    """A database that is not there: no such SQLite file, or no such
    database on the PostgreSQL server."""
    if PG:
        return rig.PgDatabase(rig.Postgres.shared(), "no_such_db_%s" % os.urandom(4).hex())
    return os.path.join(workdir, name)


def database_exists(db):
    if rig.is_pg(db):
        return bool(db.server.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (db.name,))[0][0])
    return os.path.exists(db)


def _qmarks(sql):
    """The tests write SQL with SQLite's '?' placeholders; psycopg2 wants
    %s (and a literal % doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class Db:
    """A look at the rig's database, the same on both engines: a SQLite file
    (read-only connections) or a PostgreSQL database (a read-only session as
    the superuser that owns the tables).  query() takes SQL with '?'
    placeholders and returns a list of dicts, scalar() the first column of
    the first row; counts(), tables(), columns(), log_count() and schema()
    give the same shapes on both.  write() and attacker() change data behind
    the module's back, as someone with the database would."""

    def __init__(self, handle):
        self.handle = handle
        self.pg = rig.is_pg(handle)
        self.path = None if self.pg else handle
        self.engine = "pgsql" if self.pg else "sqlite3"
        self._conn = None
        self._lock = threading.RLock()

    # -- reading --

    def connect(self):
        """SQLite only: a read-only sqlite3 connection."""
        assert not self.pg, "Db.connect() is the SQLite file's; use query()"
        c = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=10)
        c.row_factory = sqlite3.Row
        return c

    def _pg_rows(self, sql, args):
        import psycopg2
        import psycopg2.extras
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = self.handle.connect(autocommit=True, readonly=True)
                    with self._conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                        cur.execute(_qmarks(sql), tuple(args))
                        return [dict(r) for r in cur.fetchall()]
                except (psycopg2.OperationalError, psycopg2.InterfaceError):
                    self.close()      # the server restarted meanwhile: once more
                    if attempt == 2:
                        raise

    def close(self):
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                except Exception:
                    pass
                self._conn = None

    def query(self, sql, args=()):
        if self.pg:
            return self._pg_rows(sql, args)
        c = self.connect()
        try:
            return [dict(r) for r in c.execute(sql, args).fetchall()]
        finally:
            c.close()

    def scalar(self, sql, args=()):
        rows = self.query(sql, args)
        return next(iter(rows[0].values())) if rows else None

    def tables(self):
        if self.pg:
            return [r["name"] for r in self.query(
                "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' "
                'ORDER BY tablename COLLATE "C"')]
        return [r["name"] for r in self.query(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]

    def columns(self, table):
        if self.pg:
            return [r["name"] for r in self.query(
                "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = ? ORDER BY ordinal_position", (table,))]
        return [r["name"] for r in self.query('SELECT name FROM pragma_table_info(?)', (table,))]

    def counts(self, exclude=LOG_TABLES):
        """Row count of every table (the access log's apart, unless asked),
        all read in one statement."""
        tables = [t for t in self.tables() if t not in exclude]
        if not tables:
            return {}
        sql = "SELECT " + ", ".join('(SELECT count(*) FROM "%s") AS "%s"' % (t, t) for t in tables)
        row = self.query(sql)[0]
        return {t: row[t] for t in tables}

    def log_count(self):
        return self.scalar("SELECT count(*) FROM access_log")

    def schema(self):
        """Everything the schema defines, as comparable rows: SQLite's
        sqlite_master; PostgreSQL's tables, columns, constraints, indexes,
        triggers and functions of the public schema."""
        if not self.pg:
            return self.query("SELECT type, name, sql FROM sqlite_master ORDER BY name")
        return self.query("""
            SELECT 'column' AS type, table_name || '.' || column_name AS name,
                   data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') ||
                   ' ' || coalesce(collation_name, '') || ' ' || coalesce(is_identity, '') AS sql
              FROM information_schema.columns WHERE table_schema = 'public'
            UNION ALL
            SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
              FROM pg_constraint WHERE connamespace = 'public'::regnamespace
            UNION ALL
            SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
            UNION ALL
            SELECT 'trigger', tgrelid::regclass::text || '.' || tgname,
                   pg_get_triggerdef(oid) || ' enabled=' || tgenabled::text
              FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL
            SELECT 'function', proname, md5(prosrc) FROM pg_proc
              WHERE pronamespace = 'public'::regnamespace
            ORDER BY 1, 2""")

    # -- changing data behind the module's back --

    def write(self, sql, args=()):
        """One statement, committed, as the database's owner (dates the API
        cannot set, a schema version, ...).  Returns the rows it changed."""
        if self.pg:
            c = self.handle.connect(autocommit=True)
            try:
                with c.cursor() as cur:
                    cur.execute(_qmarks(sql), tuple(args))
                    return cur.rowcount
            finally:
                c.close()
        c = sqlite3.connect(self.path, timeout=10)
        try:
            n = c.execute(sql, args).rowcount
            c.commit()
            return n
        finally:
            c.close()

    def attacker(self, drop=False):
        """A connection of someone who has the database and wants to change
        the access log: execute(sql, args) with '?' placeholders, commit(),
        close().  SQLite: the file opened and the triggers dropped.
        PostgreSQL: as the tables' owner, the append-only triggers disabled
        (ALTER TABLE ... DISABLE TRIGGER) inside the attacker's transaction
        and enabled again when it commits, or dropped for good (drop=True),
        as with SQLite."""
        return Attacker(self, drop)


class Attacker:
    def __init__(self, db, drop):
        self.db = db
        self.drop = drop
        self.open = False
        if not db.pg:
            self.c = sqlite3.connect(db.path, timeout=10)
            self.c.execute("DROP TRIGGER access_log_no_update")
            self.c.execute("DROP TRIGGER access_log_no_delete")
            return
        self.c = db.handle.connect(autocommit=False)

    def _begin(self):
        # Only once there is something to change: ALTER TABLE locks the log
        # until the attacker's transaction ends.
        with self.c.cursor() as cur:
            if self.drop:
                for t in ("access_log_no_update", "access_log_no_delete", "access_log_no_truncate"):
                    cur.execute("DROP TRIGGER IF EXISTS %s ON access_log" % t)
            else:
                cur.execute("ALTER TABLE access_log DISABLE TRIGGER USER")
        self.open = True

    def execute(self, sql, args=()):
        if not self.db.pg:
            return self.c.execute(sql, args)
        if not self.open:
            self._begin()
        with self.c.cursor() as cur:
            cur.execute(_qmarks(sql), tuple(args))
        return self

    def commit(self):
        if self.db.pg and self.open and not self.drop:
            with self.c.cursor() as cur:
                cur.execute("ALTER TABLE access_log ENABLE TRIGGER USER")
        self.c.commit()
        self.open = False

    def close(self):
        if self.db.pg:
            self.c.rollback()
        self.c.close()


class RigFixture:
    def __init__(self, r):
        self.rig = r
        self.httpd = r.httpd
        self.slapd = r.slapd
        self.db = Db(r.db)
        self._clients = {}

    def as_user(self, user):
        if user not in self._clients:
            self._clients[user] = Client(self.httpd.base(), user)
        return self._clients[user]

    def admin(self, *args, **kw):
        return rig.admin(self.rig.db, *args, **kw)


def _check_sanitizers(r):
    reports = r.httpd.sanitizer_reports()
    texts = [open(f, errors="replace").read() for f in reports]
    log = r.httpd.read_error_log()
    crashed = [line for line in log.splitlines() if "Segmentation fault" in line or "exit signal" in line]
    assert not texts, "sanitizer reports:\n" + "\n".join(texts)
    assert not crashed, "httpd children crashed:\n" + "\n".join(crashed)


def pytest_unconfigure(config):
    rig.stop_all()


def _log_sizes():
    return {id(h): os.path.getsize(h.error_log) if os.path.exists(h.error_log) else 0
            for h in rig.HTTPD_STARTED}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    item.httpd_log_sizes = _log_sizes()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """A failed test shows what each httpd logged while it ran (a 503's
    numbered line names its cause); teardown removes the logs."""
    outcome = yield
    if outcome.excinfo is None:
        return
    before = getattr(item, "httpd_log_sizes", {})
    for h in rig.HTTPD_STARTED:
        try:
            with open(h.error_log, errors="replace") as f:
                f.seek(before.get(id(h), 0))
                lines = f.read().splitlines()[-40:]
        except OSError:
            continue
        if lines:
            item.add_report_section("call", "error.log of " + h.dir, "\n".join(lines))


@pytest.fixture(scope="session")
def shared_rig():
    """One rig for the tests that need no special configuration."""
    r = rig.Rig()
    fx = RigFixture(r)
    yield fx
    r.httpd.stop()
    fx.db.close()
    _check_sanitizers(r)
    r.stop()


@pytest.fixture
def own_rig(request):
    """A rig of the test's own, for tests that stop servers or change config.
    Parametrise with indirect=True to pass Httpd keyword arguments."""
    kwargs = getattr(request, "param", {}) or {}
    r = rig.Rig(**kwargs)
    fx = RigFixture(r)
    yield fx
    r.httpd.stop()
    fx.db.close()
    _check_sanitizers(r)
    r.stop()


@pytest.fixture
def workdir():
    """A directory the server's user can reach (pytest's tmp_path is 0700)."""
    d = tempfile.mkdtemp(prefix="habitual-test-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)
