"""The test rig: a private slapd loaded from LDIF, a private httpd with the
built module, a fresh database.  Everything listens on 127.0.0.1 on free
ports, lives in temporary directories, and is stopped by PID.

The database is a fresh SQLite file by default.  With HABITUAL_DB=pgsql in
the environment it is a fresh PostgreSQL database instead (CREATE DATABASE
per rig) on a private PostgreSQL server that the rig starts itself: initdb
once per test session into a temporary directory owned by the postgres
user, pg_ctl on a free loopback port with its own socket directory, stopped
by PID when the run ends (Postgres below).  httpd then connects as
APP_ROLE, a role that owns nothing and may only SELECT and INSERT on the
access log (README, "Storage"); habitual-admin and the tests' own look at
the data connect as the superuser that owns the tables.

Used by the integration tests (tests/integration/conftest.py), the browser
tests and `make run` (tests/rig/demo.py)."""

import atexit
import glob
import datetime
import os
import pwd
import grp
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAIN_MODULE = os.path.join(ROOT, "mod_habitual", ".libs", "mod_habitual.so")
PLAIN_ADMIN = os.path.join(ROOT, "admin", "habitual-admin")
MODULE = os.environ.get("HABITUAL_MODULE", PLAIN_MODULE)
ADMIN = os.environ.get("HABITUAL_ADMIN", os.path.join(ROOT, "admin", "habitual-admin"))
APACHE_MODULES = "/usr/lib/apache2/modules"
ASSETS = os.path.join(ROOT, "mod_habitual", "assets", "dist")
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
SUFFIX = "dc=example,dc=org"
ROOT_DN = "cn=admin," + SUFFIX
ROOT_PW = "rig-root-secret"
PASSWORD = "password"

# Users of the rig's directory: uid -> (full name, [groups]).  Every one of
# them can sign in with PASSWORD.
USERS = {
    "alice": ("Alice Staff", []),
    "bob": ("Bob Staff", []),
    "carol": ("Carol CEM", ["cem"]),
    "molly": ("Molly Monitoring", ["monitoring-officer"]),
    "mona": ("Mona Monitoring", ["monitoring-officer"]),   # a second monitoring officer (R5, R18)
    "chris": ("Chris Chief", ["chief-executive"]),
    "olive": ("Olive Officer", ["chief-officers"]),
    "oscar": ("Oscar Officer", ["chief-officers"]),
    "audrey": ("Audrey Auditor", ["auditors"]),
    "dana": ("Dana Dual", ["chief-officers", "auditors"]),
}
GROUPS = ["cem", "monitoring-officer", "chief-executive", "chief-officers", "auditors"]
ROLE_GROUPS = {
    "cem": "cem",
    "monitoring-officer": "monitoring-officer",
    "chief-executive": "chief-executive",
    "chief-officer": "chief-officers",
    "auditor": "auditors",
}
# Signed in (basic auth) but with no directory entry, and names that must
# match no one in LDAP however they are spelt.
EXTRA_SIGN_INS = ["ghost", "ali*", "*", "ali(", "a)(uid=*", "alice\\", "(uid=alice)"]
# Names that single sign-on may send in another case than the directory's
# (htpasswd is case-sensitive; the directory is not): each is that user.
CASE_VARIANT_SIGN_INS = ["Chris", "CHRIS", "Bob"]


# The database engine of this run: "sqlite3" (the default) or "pgsql".
def _engine():
    name = (os.environ.get("HABITUAL_DB") or "sqlite3").strip().lower()
    if name in ("sqlite", "sqlite3"):
        return "sqlite3"
    if name in ("pgsql", "pg", "postgres", "postgresql"):
        return "pgsql"
    raise RuntimeError("HABITUAL_DB=%s: use sqlite3 or pgsql" % name)


ENGINE = _engine()


def pgsql():
    """True when this run keeps its data in PostgreSQL (HABITUAL_DB=pgsql)."""
    return ENGINE == "pgsql"


# Every server the rig starts, so none outlives the test run whatever happens.
_STARTED = []
# Every httpd started, newest last: a failed test shows their error logs
# (conftest.py), which are gone with the rig's directory by teardown.
HTTPD_STARTED = []


@atexit.register
def _stop_everything():
    for proc in _STARTED:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def group_dn(cn):
    return "cn=%s,ou=groups,%s" % (cn, SUFFIX)


def user_dn(uid):
    return "uid=%s,ou=people,%s" % (uid, SUFFIX)


def run_as_root():
    return os.geteuid() == 0


class Slapd:
    """A private OpenLDAP server with the rig's people and groups."""

    def __init__(self, workdir, users=None, mails=True, suffix=SUFFIX, data_ldif=None,
                 schema_ldif="", db_ldif="", tls=None):
        """The hooks (tests/rig/ad.py, tests/rig/tls.py): suffix and data_ldif
        replace the rig's directory; schema_ldif adds cn=schema entries;
        db_ldif adds lines to the database's entry (olcAccess, olcSecurity);
        tls (a tls.ServerCert) makes slapd speak TLS: StartTLS on the ldap://
        port and LDAPS on tls_port."""
        self.dir = os.path.join(workdir, "slapd")
        self.users = users or USERS
        self.mails = mails
        self.suffix = suffix
        self.root_dn = "cn=admin," + suffix
        self.data_ldif = data_ldif
        self.schema_ldif = schema_ldif
        self.db_ldif = db_ldif
        self.tls = tls
        self.port = None
        self.tls_port = None
        self.proc = None
        os.makedirs(os.path.join(self.dir, "slapd.d"))
        os.makedirs(os.path.join(self.dir, "data"))
        self._load()

    def url(self):
        return "ldap://127.0.0.1:%d" % self.port

    def _config_ldif(self):
        tls = ""
        if self.tls:
            tls = ("olcTLSCACertificateFile: %s\nolcTLSCertificateFile: %s\n"
                   "olcTLSCertificateKeyFile: %s\n" % (self.tls.ca_file, self.tls.cert_file,
                                                       self.tls.key_file))
        return """dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {d}/slapd.pid
{tls}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/nis.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif
{schema}
dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcAccess: {{0}}to * by * read

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {suffix}
olcRootDN: {rootdn}
olcRootPW: {rootpw}
olcDbDirectory: {d}/data
olcDbMaxSize: 104857600
{db}""".format(d=self.dir, suffix=self.suffix, rootdn=self.root_dn, rootpw=ROOT_PW, tls=tls,
               schema=("\n" + self.schema_ldif.strip() + "\n") if self.schema_ldif else "",
               db=self.db_ldif or "olcAccess: {0}to * by * read\n")

    def _data_ldif(self):
        if self.data_ldif is not None:
            return self.data_ldif
        parts = ["""dn: {s}
objectClass: dcObject
objectClass: organization
dc: example
o: Example Council

dn: ou=people,{s}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{s}
objectClass: organizationalUnit
ou: groups
""".format(s=SUFFIX)]
        for uid, (name, _groups) in sorted(self.users.items()):
            mail = "mail: %s@example.org\n" % uid if self.mails else ""
            parts.append("dn: %s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n%s"
                         % (user_dn(uid), uid, name, name.split()[-1], mail))
        for g in GROUPS:
            members = [u for u, (_n, gs) in sorted(self.users.items()) if g in gs]
            lines = "".join("member: %s\n" % user_dn(u) for u in members) or "member: %s\n" % ROOT_DN
            parts.append("dn: %s\nobjectClass: groupOfNames\ncn: %s\n%s" % (group_dn(g), g, lines))
        return "\n".join(parts)

    def _load(self):
        cfg = os.path.join(self.dir, "config.ldif")
        data = os.path.join(self.dir, "data.ldif")
        with open(cfg, "w") as f:
            f.write(self._config_ldif())
        with open(data, "w") as f:
            f.write(self._data_ldif())
        subprocess.run(["slapadd", "-n0", "-F", os.path.join(self.dir, "slapd.d"), "-l", cfg],
                       check=True, capture_output=True)
        subprocess.run(["slapadd", "-n1", "-F", os.path.join(self.dir, "slapd.d"), "-l", data],
                       check=True, capture_output=True)

    def start(self):
        if self.port is None:
            self.port = free_port()
        urls = "ldap://127.0.0.1:%d/" % self.port
        if self.tls:
            if self.tls_port is None:
                self.tls_port = free_port()
            urls += " ldaps://127.0.0.1:%d/" % self.tls_port
        self.proc = subprocess.Popen(
            ["slapd", "-d", "0", "-F", os.path.join(self.dir, "slapd.d"), "-h", urls],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _STARTED.append(self.proc)
        if not wait_port(self.port, self.proc) or (self.tls and not wait_port(self.tls_port, self.proc)):
            raise RuntimeError("slapd did not start")
        return self

    def stop(self):
        stop_process(self.proc, signal.SIGINT)
        self.proc = None

    def modify(self, ldif):
        subprocess.run(["ldapmodify", "-x", "-H", self.url(), "-D", self.root_dn, "-w", ROOT_PW],
                       input=ldif.encode(), check=True, capture_output=True)

    def remove_member(self, group, uid):
        self.modify("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n"
                    % (group_dn(group), user_dn(uid)))

    def add_member(self, group, uid):
        self.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n"
                    % (group_dn(group), user_dn(uid)))


class SilentServer:
    """Accepts TCP connections and never answers: an LDAP server that hangs.
    On a free port, or on `port` (e.g. a stopped slapd's, once it is free)."""

    def __init__(self, port=0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.time() + 10
        while True:
            try:
                self.sock.bind(("127.0.0.1", port))
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except OSError:
                continue

    def close(self):
        self.running = False
        self.thread.join()
        for c in self.conns:
            c.close()
        self.sock.close()


# ---- PostgreSQL (HABITUAL_DB=pgsql) ----

# The role httpd connects as: it owns nothing, reads everything, may INSERT
# and UPDATE where the module does, and only SELECT and INSERT on the access
# log and the letters (README, "Storage": "run httpd as a role that does not
# own the tables ... so the triggers bind it too").
APP_ROLE = "habitual_app"
PG_SUPERUSER = "postgres"
INSERT_ONLY_TABLES = ("access_log", "access_log_cases", "access_log_case_blocks", "letters",
                      "schema_migrations")


def pg_bin(tool=None):
    """Debian's PostgreSQL binaries (15 first), e.g. pg_bin("pg_dump")."""
    dirs = ["/usr/lib/postgresql/15/bin"] + sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for d in dirs:
        if os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            return os.path.join(d, tool) if tool else d
    raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")


def _psycopg2():
    try:
        import psycopg2
        import psycopg2.extras  # noqa: F401
    except ImportError:
        raise RuntimeError("HABITUAL_DB=pgsql needs psycopg2: apt-get install -y python3-psycopg2")
    return psycopg2


def _as_postgres():
    """subprocess arguments that run a PostgreSQL tool as the postgres user
    (initdb and postgres refuse root; their files belong to postgres)."""
    if run_as_root():
        return {"user": "postgres", "group": "postgres", "extra_groups": [], "cwd": "/"}
    return {"cwd": "/"}


def _give_to_postgres(path):
    if run_as_root():
        uid = pwd.getpwnam("postgres").pw_uid
        gid = grp.getgrnam("postgres").gr_gid
        os.chown(path, uid, gid)


def _pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


class _PgPidHandle:
    """A postmaster started by pg_ctl, as _STARTED holds processes: poll(),
    kill() (a fast shutdown by PID, SIGKILL if that does not end it), wait()."""

    def __init__(self, server, pid):
        self.server = server
        self.pid = pid

    def poll(self):
        return None if _pid_alive(self.pid) else 0

    def kill(self):
        self.server._signal_stop(self.pid, signal.SIGINT)

    def wait(self, timeout=None):
        deadline = time.time() + (timeout or 30)
        while _pid_alive(self.pid) and time.time() < deadline:
            time.sleep(0.05)
        return self.poll()


# One initdb per test session: the "pristine" cluster, never started itself;
# every server is a copy of it (a few MB of files, much faster than initdb).
_PG_ROOT = None
_PG_LOCK = threading.Lock()
_PG_SERVERS = []
_PG_SHARED = None
_PG_ATEXIT = []


def _pg_cleanup():
    """At exit: every server stopped by PID, then the directory removed."""
    global _PG_ROOT, _PG_SHARED
    with _PG_LOCK:
        servers, root = list(_PG_SERVERS), _PG_ROOT
        del _PG_SERVERS[:]
        _PG_ROOT = _PG_SHARED = None
    for server in servers:
        try:
            server.stop()
        except Exception:
            pass
    if root:
        shutil.rmtree(root, ignore_errors=True)


def stop_process(proc, sig=signal.SIGTERM, timeout=10):
    """Ask a server the rig started to stop (sig), and kill it if it has not
    within timeout seconds."""
    if proc and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stop_all():
    """Stop every server the rig started and remove PostgreSQL's directory
    (also done at exit; the test suite calls it when the session ends, so a
    thread a test left running cannot keep a server alive)."""
    _pg_cleanup()
    _stop_everything()


def _pristine_cluster():
    global _PG_ROOT
    with _PG_LOCK:
        if _PG_ROOT is not None:
            return os.path.join(_PG_ROOT, "pristine")
        root = tempfile.mkdtemp(prefix="habitual-pg-")
        os.chmod(root, 0o711)
        _PG_ROOT = root
        if not _PG_ATEXIT:
            _PG_ATEXIT.append(atexit.register(_pg_cleanup))
        pristine = os.path.join(root, "pristine")
        res = subprocess.run([pg_bin("initdb"), "-D", pristine, "-U", PG_SUPERUSER, "-A", "trust",
                              "--no-locale", "-E", "UTF8", "--no-sync"],
                             capture_output=True, text=True, **_as_postgres_in(root))
        if res.returncode != 0:
            raise RuntimeError("initdb failed: %s%s" % (res.stdout, res.stderr))
        with open(os.path.join(pristine, "postgresql.conf"), "a") as f:
            # Several rigs at once, each httpd with up to 64 threads (one
            # connection each), two httpd on one database in some tests.
            # fsync off: CREATE DATABASE per rig in a fraction of the time.
            # Commits, locks and errors are what they are with it on; only
            # an operating-system crash could lose data, and no test makes one.
            f.write("\n# habitual test rig\nlisten_addresses = '127.0.0.1'\n"
                    "max_connections = 500\nshared_buffers = 64MB\nfsync = off\n"
                    "log_min_messages = warning\nlog_line_prefix = '%m [%p] %d %u '\n")
        return pristine


def _as_postgres_in(root):
    """As _as_postgres, with the directory that will hold the cluster made
    the postgres user's first."""
    _give_to_postgres(root)
    return _as_postgres()


class Postgres:
    """A private PostgreSQL server: a copy of the session's initdb, started
    with pg_ctl on a free loopback port (and a socket directory of its own),
    stopped by PID.  Postgres.shared() is the one most rigs use; tests that
    stop, restart or reconfigure the server start their own."""

    def __init__(self):
        pristine = _pristine_cluster()
        self.dir = tempfile.mkdtemp(prefix="server-", dir=_PG_ROOT)
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.logfile = os.path.join(self.dir, "postgres.log")
        subprocess.run(["cp", "-a", pristine, self.data], check=True)
        os.makedirs(self.sock)
        for d in (self.dir, self.sock):
            os.chmod(d, 0o700)
            _give_to_postgres(d)
        self.port = None
        self.pid = None
        self._admin = None
        self._lock = threading.RLock()
        self._counter = 0
        _PG_SERVERS.append(self)
        self.start()
        self.execute("DO $$BEGIN CREATE ROLE %s LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$"
                     % APP_ROLE)

    @classmethod
    def shared(cls):
        """The session's server, started at first use."""
        global _PG_SHARED
        with _PG_LOCK:
            shared = _PG_SHARED
        if shared is None:
            shared = cls()
            with _PG_LOCK:
                _PG_SHARED = shared
        return shared

    # -- the process --

    def start(self, timeout=60):
        """pg_ctl start; the port stays the same across restarts."""
        with self._lock:
            for attempt in range(5):
                if self.port is None or attempt:
                    if self.pid is not None and attempt:
                        raise RuntimeError("postgres did not start again on port %d: %s"
                                           % (self.port, self.read_log()[-2000:]))
                    self.port = free_port()
                opts = "-p %d -k %s -c listen_addresses=127.0.0.1" % (self.port, self.sock)
                res = subprocess.run([pg_bin("pg_ctl"), "-D", self.data, "-l", self.logfile, "-w",
                                      "-t", str(int(timeout)), "-o", opts, "start"],
                                     capture_output=True, text=True, **_as_postgres())
                pid = self._postmaster_pid()
                if res.returncode == 0 and pid:
                    self.pid = pid
                    _STARTED.append(_PgPidHandle(self, pid))
                    self._admin = None
                    return self
                if pid and _pid_alive(pid):   # pg_ctl gave up waiting: stop what it started
                    self._signal_stop(pid, signal.SIGQUIT)
            raise RuntimeError("postgres did not start: %s%s %s"
                               % (res.stdout, res.stderr, self.read_log()[-2000:]))

    def _postmaster_pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline().strip())
        except (OSError, ValueError):
            return None

    def _signal_stop(self, pid, sig, timeout=30):
        """Stop a postmaster by PID: SIGTERM smart, SIGINT fast, SIGQUIT
        immediate; SIGKILL if it is still there after timeout."""
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.time() + timeout
        while _pid_alive(pid) and time.time() < deadline:
            time.sleep(0.02)
        if _pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            while _pid_alive(pid):
                time.sleep(0.02)

    def stop(self, mode="fast"):
        """Stop the server by PID ("fast": roll back open transactions and
        close every connection, as pg_ctl -m fast; "immediate": as a crash)."""
        with self._lock:
            self._close_admin()
            if self.pid is not None:
                sig = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode]
                self._signal_stop(self.pid, sig)
            self.pid = None

    def running(self):
        return self.pid is not None and _pid_alive(self.pid)

    def destroy(self):
        """Stop it and remove its files (a server of a test's own)."""
        self.stop()
        if self in _PG_SERVERS:
            _PG_SERVERS.remove(self)
        shutil.rmtree(self.dir, ignore_errors=True)

    def read_log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # -- SQL as the superuser --

    def connect(self, dbname="postgres", user=PG_SUPERUSER, autocommit=True, readonly=False):
        pg = _psycopg2()
        c = pg.connect(host="127.0.0.1", port=self.port, dbname=dbname, user=user, connect_timeout=10,
                       application_name="habitual-tests")
        c.set_session(readonly=readonly, autocommit=autocommit)
        return c

    def _close_admin(self):
        if self._admin is not None:
            try:
                self._admin.close()
            except Exception:
                pass
            self._admin = None

    def execute(self, sql, args=None, dbname=None):
        """One statement as the superuser, autocommit; returns the rows (or
        None).  dbname: another database than "postgres" (a new connection)."""
        pg = _psycopg2()
        with self._lock:
            if dbname is not None:
                c = self.connect(dbname)
                try:
                    with c.cursor() as cur:
                        cur.execute(sql, args)
                        return cur.fetchall() if cur.description else None
                finally:
                    c.close()
            for attempt in (1, 2):
                try:
                    if self._admin is None or self._admin.closed:
                        self._admin = self.connect()
                    with self._admin.cursor() as cur:
                        cur.execute(sql, args)
                        return cur.fetchall() if cur.description else None
                except (pg.OperationalError, pg.InterfaceError):
                    self._close_admin()   # the server restarted since: once more
                    if attempt == 2:
                        raise

    def create_database(self, prefix="habitual"):
        """A fresh, empty database (CREATE DATABASE copies template1)."""
        with self._lock:
            self._counter += 1
            name = "%s_%d_%d_%s" % (prefix, os.getpid(), self._counter, os.urandom(3).hex())
        self.execute('CREATE DATABASE "%s"' % name)
        return PgDatabase(self, name)

    def conninfo(self, dbname, user=PG_SUPERUSER):
        return "host=127.0.0.1 port=%d dbname=%s user=%s" % (self.port, dbname, user)


class PgDatabase:
    """One database on a Postgres server: what Httpd, admin() and the tests'
    Db take where a SQLite file takes a path.  conninfo is the owner's (the
    superuser: habitual-admin, the tests' look); app_conninfo is httpd's."""

    driver = "pgsql"

    def __init__(self, server, name):
        self.server = server
        self.name = name

    @property
    def conninfo(self):
        return self.server.conninfo(self.name)

    @property
    def app_conninfo(self):
        return self.server.conninfo(self.name, APP_ROLE)

    def __str__(self):
        return self.conninfo

    def __repr__(self):
        return "<PgDatabase %s>" % self.conninfo

    def __eq__(self, other):
        return isinstance(other, PgDatabase) and (other.server, other.name) == (self.server, self.name)

    def __hash__(self):
        return hash(self.name)

    def connect(self, autocommit=True, readonly=False, user=PG_SUPERUSER):
        return self.server.connect(self.name, user=user, autocommit=autocommit, readonly=readonly)

    def execute(self, sql, args=None):
        return self.server.execute(sql, args, dbname=self.name)

    def has_schema(self):
        return bool(self.execute("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_schema = 'public' AND table_name = 'schema_migrations'")[0][0])

    def grant_app(self):
        """httpd's role: SELECT everywhere, INSERT and UPDATE where the module
        writes, only SELECT and INSERT on the access log and the letters,
        never DELETE or TRUNCATE; nothing it owns."""
        tables = [r[0] for r in self.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        sql = ['GRANT CONNECT ON DATABASE "%s" TO %s' % (self.name, APP_ROLE),
               "GRANT USAGE ON SCHEMA public TO %s" % APP_ROLE]
        for t in tables:
            privs = "SELECT, INSERT" if t in INSERT_ONLY_TABLES else "SELECT, INSERT, UPDATE"
            sql.append('GRANT %s ON "%s" TO %s' % (privs, t, APP_ROLE))
        self.execute("; ".join(sql))

    def drop(self):
        self.server.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.name)

    def dump(self, *extra):
        """pg_dump of this database (plain SQL, as the superuser)."""
        res = subprocess.run([pg_bin("pg_dump"), "-h", "127.0.0.1", "-p", str(self.server.port),
                              "-U", PG_SUPERUSER, "-d", self.name] + list(extra),
                             capture_output=True, check=True)
        return res.stdout

    def restore(self, sql):
        """Load a plain pg_dump into this (empty) database, stopping at the
        first error."""
        res = subprocess.run([pg_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                              "-p", str(self.server.port), "-U", PG_SUPERUSER, "-d", self.name],
                             input=sql, capture_output=True)
        if res.returncode != 0:
            raise RuntimeError("psql restore failed: %s" % res.stderr.decode(errors="replace"))

    def copy_to(self, server=None, prefix="copy"):
        """A new database (on this server or another) holding a pg_dump of
        this one: a consistent snapshot taken while httpd keeps writing."""
        dest = (server or self.server).create_database(prefix)
        dest.restore(self.dump())
        return dest


def is_pg(db):
    return isinstance(db, PgDatabase)


def htpasswd_line(user, password):
    out = subprocess.run(["htpasswd", "-nbB", "-C", "4", user, password],
                         check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[0]


BASIC_AUTH = """    AuthType Basic
    AuthName "Council intranet"
    AuthBasicProvider file
    AuthUserFile {d}/htpasswd
"""


# The rig's MPM: one child, so the tests can read its memory (VmHWM) and
# count on one process; "stock" is Debian's /etc/apache2/mods-available/
# mpm_event.conf as installed, the configuration a council's server runs.
MPM_SETTINGS = {
    "rig": """StartServers 1
ServerLimit 1
ThreadsPerChild 64
MaxRequestWorkers 64
""",
    "stock": """StartServers 2
MinSpareThreads 25
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
MaxConnectionsPerChild 0
""",
    # three children that stay (no spare-thread trimming): several processes
    # of one server writing the same database at once
    "three": """StartServers 3
ServerLimit 3
MinSpareThreads 75
MaxSpareThreads 75
ThreadsPerChild 25
MaxRequestWorkers 75
""",
}


class Httpd:
    """A private httpd with mod_ldap and the built mod_habitual."""

    def __init__(self, workdir, ldap_port, name="httpd", db=None, extra_location="",
                 extra_server="", ldap_url=None, role_groups=None, secret=None,
                 ldap_timeouts=True, init_db=True, sign_ins=None, port=None, faketime=None,
                 auth=None, modules=(), env=None, mpm="rig", with_module=True):
        """auth replaces the <Location>'s basic-auth lines (e.g. mod_auth_gssapi's,
        tests/rig/kdc.py), modules are more of Debian's modules to load by name,
        env more environment for httpd (e.g. KRB5_CONFIG); mpm "stock" runs
        Debian's own mpm_event.conf (several children) instead of the rig's
        one child of 64 threads.  with_module False: the same server without
        mod_habitual (the benchmark's reference for the static file)."""
        self.with_module = with_module
        self.mpm_name = mpm
        self.mpm = MPM_SETTINGS[mpm]
        self.dir = os.path.join(workdir, name)
        self.auth = auth
        self.modules = list(modules)
        self.extra_env = dict(env or {})
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        self.port = port or free_port()
        self.proc = None
        # db: a SQLite path, or a PgDatabase; by default a fresh one of the
        # run's engine (a new PostgreSQL database with HABITUAL_DB=pgsql).
        self.owns_db = db is None
        if db is None and pgsql():
            db = Postgres.shared().create_database()
        if is_pg(db):
            self.db_dir = os.path.join(workdir, "db")
            self.db = db
        else:
            self.db_dir = os.path.dirname(db) if db else os.path.join(workdir, "db")
            self.db = db or os.path.join(self.db_dir, "habitual.db")
        os.makedirs(self.db_dir, exist_ok=True)
        os.chmod(self.db_dir, 0o755)
        self.secret_file = os.path.join(self.dir, "secret")
        with open(self.secret_file, "w") as f:
            f.write(secret if secret is not None else "rig-secret-" + os.urandom(24).hex())
        os.chmod(self.secret_file, 0o600)
        self.htpasswd = os.path.join(self.dir, "htpasswd")
        with open(self.htpasswd, "w") as f:
            for u in (sign_ins or list(USERS) + EXTRA_SIGN_INS + CASE_VARIANT_SIGN_INS):
                f.write(htpasswd_line(u, PASSWORD) + "\n")
        os.chmod(self.htpasswd, 0o644)
        # the pages' assets, installed beside the module as a server would have them
        self.assets = os.path.join(self.dir, "assets")
        shutil.copytree(ASSETS, self.assets)
        self.docroot = os.path.join(self.dir, "htdocs")
        os.makedirs(self.docroot)
        with open(os.path.join(self.docroot, "static.txt"), "w") as f:
            f.write("static\n")
        self.error_log = os.path.join(self.dir, "error.log")
        self.ldap_url = ldap_url or ("ldap://127.0.0.1:%d/ou=people,%s?uid?sub?(objectClass=inetOrgPerson)"
                                     % (ldap_port, SUFFIX))
        self.role_groups = ROLE_GROUPS if role_groups is None else role_groups
        self.extra_location = extra_location
        self.extra_server = extra_server
        self.ldap_timeouts = ldap_timeouts
        # e.g. "+400d": this httpd's clock runs ahead (libfaketime), to see
        # what dates do to cases (R9 lapses) without any hook in the module.
        # libfaketime and the ASan runtime deadlock when preloaded together, so
        # a clock-shifted httpd always runs the plain build of the module.
        self.faketime = faketime
        self.asan = bool(os.environ.get("HABITUAL_ASAN")) and not faketime
        self.module = PLAIN_MODULE if faketime else MODULE
        if is_pg(self.db):
            if init_db:       # (without it, the database may not even exist)
                if not self.db.has_schema():
                    admin(self.db, "init")
                self.db.grant_app()
        elif init_db and not os.path.exists(self.db):
            admin(self.db, "init")
        self.fix_db_owner()
        self.write_config()

    def db_directive(self):
        if is_pg(self.db):
            return 'HabitualDatabase pgsql "%s"' % self.db.app_conninfo
        return "HabitualDatabase sqlite3 %s" % self.db

    def fix_db_owner(self):
        if not run_as_root() or is_pg(self.db):
            return
        uid = pwd.getpwnam("www-data").pw_uid
        gid = grp.getgrnam("www-data").gr_gid
        os.chown(self.db_dir, uid, gid)
        for f in os.listdir(self.db_dir):
            os.chown(os.path.join(self.db_dir, f), uid, gid)

    def config_text(self):
        mods = ["mpm_event", "authn_core", "authn_file", "auth_basic", "authz_core",
                "authz_user", "ldap", "mime", "alias"] + self.modules
        loads = "".join("LoadModule %s_module %s/mod_%s.so\n" % (m, APACHE_MODULES, m) for m in mods)
        user = "User www-data\nGroup www-data\n" if run_as_root() else ""
        groups = "".join('    HabitualRoleGroup %s "%s"\n' % (role, group_dn(cn))
                         for role, cn in self.role_groups.items())
        timeouts = ("LDAPConnectionTimeout 2\nLDAPTimeout 2\nLDAPRetries 0\nLDAPRetryDelay 0\n"
                    "LDAPCacheTTL 1\nLDAPOpCacheTTL 1\n") if self.ldap_timeouts else ""
        if not self.with_module:
            return self.server_text(loads + user)
        return self.server_text("%sLoadModule habitual_module %s\n%s" % (loads, self.module, user)) + \
            """{timeouts}{database}
Alias /habitual/assets {d}/assets
<Directory {d}/assets>
    Require all granted
</Directory>
{extra_server}
<Location /habitual>
{auth}    Require valid-user
    SetHandler habitual
    HabitualLDAPURL "{url}"
{groups}    HabitualSecretFile {secret}
{role_cache}{extra_location}
</Location>
<Location /habitual/assets>
    SetHandler None
</Location>
""".format(d=self.dir, database=self.db_directive(), auth=self.auth or BASIC_AUTH.format(d=self.dir),
           url=self.ldap_url, groups=groups, secret=self.secret_file, timeouts=timeouts,
           extra_location=self.extra_location, extra_server=self.extra_server,
           role_cache="    HabitualRoleCacheTTL 1\n" if self.ldap_timeouts else "")

    def server_text(self, modules):
        """The server itself: where it listens and logs, its MPM, the static
        file; modules: its LoadModule lines (and User/Group when root)."""
        return """ServerRoot "{d}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {d}/httpd.pid
ErrorLog {d}/error.log
LogLevel warn
{modules}TypesConfig /etc/mime.types
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog {d}/access.log common
{mpm}DocumentRoot {d}/htdocs
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory {d}/htdocs>
    Require all granted
</Directory>
""".format(d=self.dir, port=self.port, modules=modules, mpm=self.mpm)

    def write_config(self):
        self.conf = os.path.join(self.dir, "httpd.conf")
        with open(self.conf, "w") as f:
            f.write(self.config_text())

    def env(self):
        env = dict(os.environ)
        env.update(self.extra_env)
        preload = []
        if self.asan:
            preload = [subprocess.run(["gcc", "-print-file-name=%s" % lib], capture_output=True,
                                      text=True).stdout.strip() for lib in ("libasan.so", "libubsan.so")]
            # allow_user_segv_handler=0: httpd's own SIGSEGV handler would
            # otherwise replace ASan's, and a crash would leave no report
            env["ASAN_OPTIONS"] = ("detect_leaks=0:abort_on_error=1:allow_user_segv_handler=0:"
                                   "log_path=%s/asan" % self.sanitizer_dir())
            env["UBSAN_OPTIONS"] = ("print_stacktrace=1:halt_on_error=1:log_path=%s/ubsan"
                                    % self.sanitizer_dir())
        if self.faketime:
            preload.append(FAKETIME_LIB)
            env["FAKETIME"] = self.faketime
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        if self.extra_env.get("LD_PRELOAD"):   # a test's own, after the sanitizers
            preload.append(self.extra_env["LD_PRELOAD"])
        if preload:
            env["LD_PRELOAD"] = " ".join(preload)
        return env

    def start(self, expect_failure=False, timeout=15.0):
        """Start in the foreground; returns (ok, output) when expect_failure."""
        self.proc = subprocess.Popen(["/usr/sbin/apache2", "-f", self.conf, "-DFOREGROUND"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=self.env())
        _STARTED.append(self.proc)
        if self not in HTTPD_STARTED:   # a restart: its log is the same file
            HTTPD_STARTED.append(self)
        self.started_at = time.monotonic()
        if expect_failure:
            try:
                out, _ = self.proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.stop()
                return True, ""
            return self.proc.returncode == 0, out.decode(errors="replace") + self.read_error_log()
        if not wait_port(self.port, self.proc, timeout):
            out = self.proc.stdout.read().decode(errors="replace") if self.proc.poll() is not None else ""
            self.stop()
            raise RuntimeError("httpd did not start: %s %s" % (out, self.read_error_log()))
        return self

    def read_error_log(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def sanitizer_dir(self):
        """Where the sanitizers write: the children (www-data when started
        as root) must be able to, or a child's report is lost."""
        d = os.path.join(self.dir, "sanitizers")
        if not os.path.isdir(d):
            os.makedirs(d)
            if run_as_root():
                os.chown(d, pwd.getpwnam("www-data").pw_uid, grp.getgrnam("www-data").gr_gid)
        return d

    def sanitizer_reports(self):
        return [os.path.join(d, f) for d in (self.dir, self.sanitizer_dir()) for f in os.listdir(d)
                if f.startswith("asan") or f.startswith("ubsan")]

    # httpd 2.4's mpm_event can crash a child told to stop while it is still
    # starting (SIGSEGV in apr_os_sock_get on the child's main thread, seen
    # here about once in 30 quick start-request-stop cycles, with or without
    # this module): a server stops no sooner than this after its start.
    MIN_UPTIME = 1.0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            wait = self.MIN_UPTIME - (time.monotonic() - getattr(self, "started_at", 0.0))
            if wait > 0:
                time.sleep(wait)
        stop_process(self.proc, timeout=15)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def base(self):
        return "http://127.0.0.1:%d/habitual" % self.port

    def child_memory_kib(self):
        """{"VmRSS", "VmHWM"} of httpd's child (ServerLimit 1), in KiB, from /proc."""
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/status" % pid) as f:
                    status = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
            except OSError:
                continue
            if status.get("PPid", "").strip() == str(self.proc.pid) and status.get("Name", "").strip() in (
                    "apache2", "httpd"):
                return {k: int(status[k].split()[0]) for k in ("VmRSS", "VmHWM")}
        raise AssertionError("no child of httpd %d" % self.proc.pid)

    def drop_db(self):
        """The PostgreSQL database this httpd created, once it is stopped
        (a SQLite file goes with its directory)."""
        if self.owns_db and is_pg(self.db) and self.db.server.running():
            self.db.drop()


def admin(db, *args, check=True, driver=None, input=None, faketime=None):
    """Run habitual-admin on db (a SQLite path, or a PgDatabase: then as
    --driver pgsql with its owner's connection string); returns the
    CompletedProcess.  faketime (e.g. "+30d"): its clock runs so far ahead
    (libfaketime; the plain build, as for a clock-shifted httpd)."""
    if is_pg(db):
        driver, params = driver or "pgsql", db.conninfo
    else:
        driver, params = driver or "sqlite3", db
    env = None
    if faketime:
        env = dict(os.environ, LD_PRELOAD=FAKETIME_LIB, FAKETIME=faketime, FAKETIME_DONT_FAKE_MONOTONIC="1")
    cmd = [PLAIN_ADMIN if faketime else ADMIN, "--driver", driver, "--params", params] + list(args)
    res = subprocess.run(cmd, capture_output=True, text=True, input=input, env=env)
    if check and res.returncode != 0:
        raise RuntimeError("habitual-admin %s failed (%d): %s%s"
                           % (" ".join(args), res.returncode, res.stdout, res.stderr))
    return res


class PastHttpd:
    """An httpd on an existing database with its clock `date` (libfaketime)."""

    def __init__(self, workdir, ldap_port, db, date):
        days = (datetime.date.today() - date).days
        assert days >= 0, "as_of takes a day in the past"
        self.httpd = Httpd(workdir, ldap_port, name="as-of-%s-%s" % (date.isoformat(), os.urandom(3).hex()),
                           db=db, init_db=False, faketime="-%dd" % days)

    def __enter__(self):
        self.httpd.start()
        return self.httpd

    def __exit__(self, *exc):
        self.httpd.stop()


class Rig:
    """slapd + httpd + database in one temporary directory (the database in
    PostgreSQL with HABITUAL_DB=pgsql)."""

    def __init__(self, workdir=None, **httpd_args):
        self.workdir = workdir or tempfile.mkdtemp(prefix="habitual-rig-")
        os.makedirs(self.workdir, exist_ok=True)
        os.chmod(self.workdir, 0o755)
        self.slapd = Slapd(self.workdir).start()
        try:
            self.httpd = Httpd(self.workdir, self.slapd.port, **httpd_args).start()
        except Exception:
            self.slapd.stop()
            raise

    @property
    def db(self):
        return self.httpd.db

    def as_of(self, date):
        """A second httpd on the same database whose clock reads `date` (a
        day in the past): a decision may only start today or up to 30 days
        ahead, so a case decided months ago is decided on a server whose
        clock says so.  A context manager; the httpd stops on leaving."""
        return PastHttpd(self.workdir, self.slapd.port, self.db, date)

    def stop(self, keep=False):
        self.httpd.stop()
        self.slapd.stop()
        if not keep:
            self.httpd.drop_db()
            shutil.rmtree(self.workdir, ignore_errors=True)
