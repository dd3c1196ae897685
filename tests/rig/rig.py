"""The test rig: a private slapd loaded from LDIF, a private httpd with the
built module, a fresh SQLite database.  Everything listens on 127.0.0.1 on
free ports, lives in one temporary directory, and is stopped by PID.

Used by the integration tests (tests/integration/conftest.py), the browser
tests and `make run` (tests/rig/demo.py)."""

import atexit
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


# Every server the rig starts, so none outlives the test run whatever happens.
_STARTED = []


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

    def __init__(self, workdir, users=None, mails=True):
        self.dir = os.path.join(workdir, "slapd")
        self.users = users or USERS
        self.mails = mails
        self.port = None
        self.proc = None
        os.makedirs(os.path.join(self.dir, "slapd.d"))
        os.makedirs(os.path.join(self.dir, "data"))
        self._load()

    def url(self):
        return "ldap://127.0.0.1:%d" % self.port

    def _config_ldif(self):
        return """dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {d}/slapd.pid

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
olcAccess: {{0}}to * by * read
""".format(d=self.dir, suffix=SUFFIX, rootdn=ROOT_DN, rootpw=ROOT_PW)

    def _data_ldif(self):
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
        self.proc = subprocess.Popen(
            ["slapd", "-d", "0", "-F", os.path.join(self.dir, "slapd.d"),
             "-h", "ldap://127.0.0.1:%d/" % self.port],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _STARTED.append(self.proc)
        if not wait_port(self.port, self.proc):
            raise RuntimeError("slapd did not start")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def modify(self, ldif):
        subprocess.run(["ldapmodify", "-x", "-H", self.url(), "-D", ROOT_DN, "-w", ROOT_PW],
                       input=ldif.encode(), check=True, capture_output=True)

    def remove_member(self, group, uid):
        self.modify("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n"
                    % (group_dn(group), user_dn(uid)))

    def add_member(self, group, uid):
        self.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n"
                    % (group_dn(group), user_dn(uid)))


class SilentServer:
    """Accepts TCP connections and never answers: an LDAP server that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
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


def htpasswd_line(user, password):
    out = subprocess.run(["htpasswd", "-nbB", "-C", "4", user, password],
                         check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[0]


class Httpd:
    """A private httpd with mod_ldap and the built mod_habitual."""

    def __init__(self, workdir, ldap_port, name="httpd", db=None, extra_location="",
                 extra_server="", ldap_url=None, role_groups=None, secret=None,
                 ldap_timeouts=True, init_db=True, sign_ins=None, port=None, faketime=None):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        self.port = port or free_port()
        self.proc = None
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
            for u in (sign_ins or list(USERS) + EXTRA_SIGN_INS):
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
        if init_db and not os.path.exists(self.db):
            admin(self.db, "init")
        self.fix_db_owner()
        self.write_config()

    def fix_db_owner(self):
        if not run_as_root():
            return
        uid = pwd.getpwnam("www-data").pw_uid
        gid = grp.getgrnam("www-data").gr_gid
        os.chown(self.db_dir, uid, gid)
        for f in os.listdir(self.db_dir):
            os.chown(os.path.join(self.db_dir, f), uid, gid)

    def config_text(self):
        mods = ["mpm_event", "authn_core", "authn_file", "auth_basic", "authz_core",
                "authz_user", "ldap", "mime", "alias"]
        loads = "".join("LoadModule %s_module %s/mod_%s.so\n" % (m, APACHE_MODULES, m) for m in mods)
        user = "User www-data\nGroup www-data\n" if run_as_root() else ""
        groups = "".join('    HabitualRoleGroup %s "%s"\n' % (role, group_dn(cn))
                         for role, cn in self.role_groups.items())
        timeouts = ("LDAPConnectionTimeout 2\nLDAPTimeout 2\nLDAPRetries 0\nLDAPRetryDelay 0\n"
                    "LDAPCacheTTL 1\nLDAPOpCacheTTL 1\n") if self.ldap_timeouts else ""
        return """ServerRoot "{d}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {d}/httpd.pid
ErrorLog {d}/error.log
LogLevel warn
{loads}LoadModule habitual_module {module}
{user}TypesConfig /etc/mime.types
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog {d}/access.log common
StartServers 1
ServerLimit 1
ThreadsPerChild 64
MaxRequestWorkers 64
DocumentRoot {d}/htdocs
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory {d}/htdocs>
    Require all granted
</Directory>
{timeouts}HabitualDatabase sqlite3 {db}
Alias /habitual/assets {d}/assets
<Directory {d}/assets>
    Require all granted
</Directory>
{extra_server}
<Location /habitual>
    AuthType Basic
    AuthName "Council intranet"
    AuthBasicProvider file
    AuthUserFile {d}/htpasswd
    Require valid-user
    SetHandler habitual
    HabitualLDAPURL "{url}"
{groups}    HabitualSecretFile {secret}
{role_cache}{extra_location}
</Location>
<Location /habitual/assets>
    SetHandler None
</Location>
""".format(d=self.dir, port=self.port, loads=loads, module=self.module, user=user, db=self.db,
           url=self.ldap_url, groups=groups, secret=self.secret_file, timeouts=timeouts,
           extra_location=self.extra_location, extra_server=self.extra_server,
           role_cache="    HabitualRoleCacheTTL 1\n" if self.ldap_timeouts else "")

    def write_config(self):
        self.conf = os.path.join(self.dir, "httpd.conf")
        with open(self.conf, "w") as f:
            f.write(self.config_text())

    def env(self):
        env = dict(os.environ)
        preload = []
        if self.asan:
            preload = [subprocess.run(["gcc", "-print-file-name=%s" % lib], capture_output=True,
                                      text=True).stdout.strip() for lib in ("libasan.so", "libubsan.so")]
            env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1:log_path=%s/asan" % self.dir
            env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:log_path=%s/ubsan" % self.dir
        if self.faketime:
            preload.append(FAKETIME_LIB)
            env["FAKETIME"] = self.faketime
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        if preload:
            env["LD_PRELOAD"] = " ".join(preload)
        return env

    def start(self, expect_failure=False, timeout=15.0):
        """Start in the foreground; returns (ok, output) when expect_failure."""
        self.proc = subprocess.Popen(["/usr/sbin/apache2", "-f", self.conf, "-DFOREGROUND"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=self.env())
        _STARTED.append(self.proc)
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

    def sanitizer_reports(self):
        return [os.path.join(self.dir, f) for f in os.listdir(self.dir)
                if f.startswith("asan") or f.startswith("ubsan")]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def base(self):
        return "http://127.0.0.1:%d/habitual" % self.port


def admin(db, *args, check=True, driver="sqlite3", input=None):
    """Run habitual-admin; returns the CompletedProcess."""
    cmd = [ADMIN, "--driver", driver, "--params", db] + list(args)
    res = subprocess.run(cmd, capture_output=True, text=True, input=input)
    if check and res.returncode != 0:
        raise RuntimeError("habitual-admin %s failed (%d): %s%s"
                           % (" ".join(args), res.returncode, res.stdout, res.stderr))
    return res


class Rig:
    """slapd + httpd + database in one temporary directory."""

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

    def stop(self, keep=False):
        self.httpd.stop()
        self.slapd.stop()
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
