"""The Debian package on the machine's own Apache (README, "Debian package").

`make deb` builds libapache2-mod-habitual_VERSION_ARCH.deb; the test installs
it with dpkg -i into the Apache Debian's apache2 package put here, enables it
with a2enmod (which brings mod_ldap along), adds a site on a free loopback
port pointing at a private slapd from the rig and at the database the package
made (initialised again by the installed /usr/sbin/habitual-admin), starts
Apache with apache2ctl (no systemd here), signs in through it, runs the jobs
the timers would run, stops Apache, purges the package and shows nothing is
left: no file of the package, no habitual user or group, no enabled module,
no /var/lib/habitual.  Whatever happens, the machine's Apache is left as it
was found (the site conf removed, mod_ldap disabled again if the test enabled
it, the module's a2enmod state purged), and the test compares snapshots of
/etc/apache2, /var/lib/apache2 and the other places the package touches,
before and after.

Root only (dpkg, adduser, Apache on the system's paths): skipped otherwise, and
skipped when the package is already installed, when Apache is running, or
when port 80 (Debian's ports.conf) is taken."""

import grp
import hashlib
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "rig"))
import rig  # noqa: E402

PACKAGE = "libapache2-mod-habitual"
ADMIN = "/usr/sbin/habitual-admin"
JOB = "/usr/lib/habitual/habitual-job"
DB = "/var/lib/habitual/db/habitual.db"
SITE_CONF = "/etc/apache2/conf-enabled/zz-habitual-deb-test.conf"
POLICY_RC_D = "/usr/sbin/policy-rc.d"
APACHE_PID = "/var/run/apache2/apache2.pid"
# Where the package, a2enmod and the maintainer scripts write: compared before and after.
WATCHED = ["/etc/apache2", "/var/lib/apache2", "/etc/systemd/system", "/etc/default",
           "/etc/habitual", "/var/lib/habitual", "/usr/lib/habitual", "/usr/share/habitual",
           "/usr/lib/apache2/modules", "/lib/systemd/system", "/usr/share/doc/" + PACKAGE]

DPKG_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")


def _run(cmd, check=True, timeout=300, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and res.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(cmd), res.returncode,
                                                       res.stdout, res.stderr))
    return res


def _installed():
    res = _run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], check=False)
    return res.returncode == 0 and "installed" in res.stdout.split()[-1:]


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _apache_pid():
    try:
        with open(APACHE_PID) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def _port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def _snapshot():
    """Every path under WATCHED: its kind, mode, owner and content (a hash) or
    link target; and the users, groups and group members."""
    snap = {}
    for top in WATCHED:
        if not os.path.lexists(top):
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                if stat.S_ISLNK(st.st_mode):
                    what = "link " + os.readlink(p)
                elif stat.S_ISDIR(st.st_mode):
                    what = "dir"
                else:
                    with open(p, "rb") as f:
                        what = "file " + hashlib.sha256(f.read()).hexdigest()
                snap[p] = (what, oct(st.st_mode), st.st_uid, st.st_gid)
    snap["users"] = sorted(u.pw_name for u in pwd.getpwall())
    snap["groups"] = sorted("%s:%s" % (g.gr_name, ",".join(sorted(g.gr_mem))) for g in grp.getgrall())
    return snap


def _diff(before, after):
    lines = []
    for k in sorted(set(before) | set(after)):
        if before.get(k) != after.get(k):
            lines.append("%s: %s -> %s" % (k, before.get(k, "(absent)"), after.get(k, "(absent)")))
    return "\n".join(lines)


def _enabled(module):
    return os.path.lexists("/etc/apache2/mods-enabled/%s.load" % module)


def _markers(module):
    """a2enmod's state markers for a module (/var/lib/apache2/module/*_by_*/NAME)."""
    base = "/var/lib/apache2/module"
    if not os.path.isdir(base):
        return []
    return sorted(os.path.join(base, d, module) for d in os.listdir(base)
                  if os.path.exists(os.path.join(base, d, module)))


def _site_conf(port, ldap_port, workdir):
    groups = "".join('        HabitualRoleGroup %s "%s"\n' % (role, rig.group_dn(cn))
                     for role, cn in rig.ROLE_GROUPS.items())
    url = "ldap://127.0.0.1:%d/ou=people,%s?uid?sub?(objectClass=inetOrgPerson)" % (ldap_port, rig.SUFFIX)
    return """# libapache2-mod-habitual's test (tests/deb/test_deb.py): removed when it ends
Listen 127.0.0.1:{port}
LDAPConnectionTimeout 2
LDAPTimeout 2
LDAPRetries 1
LDAPRetryDelay 0
LDAPCacheTTL 1
LDAPOpCacheTTL 1
HabitualDatabase sqlite3 {db}
<VirtualHost 127.0.0.1:{port}>
    ServerName 127.0.0.1
    ErrorLog {w}/error.log
    CustomLog {w}/access.log combined
    Alias /habitual/assets /usr/share/habitual/assets
    <Directory /usr/share/habitual/assets>
        Require all granted
    </Directory>
    <Location /habitual>
        AuthType Basic
        AuthName "Council intranet"
        AuthBasicProvider file
        AuthUserFile {w}/htpasswd
        Require valid-user
        SetHandler habitual
        HabitualLDAPURL "{url}"
{groups}        HabitualSecretFile /etc/habitual/secret
        HabitualCouncilName "Test Borough Council"
    </Location>
    <Location /habitual/assets>
        SetHandler None
    </Location>
</VirtualHost>
""".format(port=port, db=DB, w=workdir, url=url, groups=groups)


def _as_habitual(*cmd):
    return _run(["runuser", "-u", "habitual", "--"] + list(cmd), check=False)


@pytest.fixture
def machine():
    if os.geteuid() != 0:
        pytest.skip("needs root: installs the .deb into the machine's Apache (dpkg -i, "
                    "a2enmod, apache2ctl); make test runs it as root (CI)")
    for tool in ("/usr/sbin/apache2ctl", "/usr/sbin/a2enmod", "/usr/bin/dpkg-buildpackage",
                 "/usr/bin/dh_apache2", "/usr/bin/lintian"):
        if not os.path.exists(tool):
            pytest.skip("%s is missing: make deps installs apache2, apache2-dev, dpkg-dev, "
                        "debhelper and lintian" % tool)
    if _installed():
        pytest.skip("%s is installed on this machine: the test would purge it" % PACKAGE)
    if _apache_pid():
        pytest.skip("the machine's Apache is running (%s): the test starts and stops it" % APACHE_PID)
    if not _port_free(80):
        pytest.skip("port 80 is taken: apache2ctl start reads Debian's ports.conf (Listen 80)")
    for p in ("/var/lib/habitual", "/etc/habitual"):
        if os.path.lexists(p):
            pytest.skip("%s exists: left by an earlier install? the test would delete it" % p)
    try:
        pwd.getpwnam("habitual")
        pytest.skip("a habitual user exists already")
    except KeyError:
        pass

    state = {"ldap_was_enabled": _enabled("ldap"), "ldap_markers": _markers("ldap"),
             "policy": None, "before": None}
    # The maintainer scripts reload Apache through invoke-rc.d, which would
    # start the machine's Apache where no policy forbids it: forbid it for
    # the test's length, as Debian's container images do.
    if not os.path.exists(POLICY_RC_D):
        with open(POLICY_RC_D, "w") as f:
            f.write("#!/bin/sh\n# tests/deb/test_deb.py: removed when it ends\nexit 101\n")
        os.chmod(POLICY_RC_D, 0o755)
        state["policy"] = POLICY_RC_D
    state["before"] = _snapshot()
    try:
        yield state
    finally:
        # Leave the machine as it was, whatever happened above.
        pid = _apache_pid()
        if pid:
            _run(["apache2ctl", "stop"], check=False)
            _wait_gone(pid)
        if os.path.exists(SITE_CONF):
            os.unlink(SITE_CONF)
        if _installed() or _run(["dpkg-query", "-W", PACKAGE], check=False).returncode == 0:
            _run(["dpkg", "--purge", PACKAGE], check=False, env=DPKG_ENV)
        if not state["ldap_was_enabled"] and _enabled("ldap"):
            _run(["a2dismod", "-q", "-f", "-p", "ldap"], check=False)
            for m in _markers("ldap"):
                os.unlink(m)
            for m in state["ldap_markers"]:
                os.makedirs(os.path.dirname(m), exist_ok=True)
                open(m, "w").close()
        if state["policy"]:
            os.unlink(state["policy"])


def _wait_gone(pid, timeout=20):
    deadline = time.time() + timeout
    while _pid_alive(pid) and time.time() < deadline:
        time.sleep(0.1)
    return not _pid_alive(pid)


def test_package_installs_serves_and_purges_cleanly(machine):
    # ---- build: make deb (lintian runs there and fails it on any error) ----
    res = _run(["make", "--no-print-directory", "deb"], cwd=ROOT, timeout=1200, check=False)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    assert "lintian: 0 errors" in res.stdout, res.stdout[-2000:]
    version = _run(["dpkg-parsechangelog", "-l", os.path.join(ROOT, "mod_habitual", "debian", "changelog"),
                    "-S", "Version"]).stdout.strip()
    arch = _run(["dpkg-architecture", "-qDEB_HOST_ARCH"]).stdout.strip()
    deb = os.path.join(ROOT, "mod_habitual", ".build", "deb", "%s_%s_%s.deb" % (PACKAGE, version, arch))
    assert os.path.exists(deb)
    contents = [line.split(None, 5)[5].lstrip(".") for line in
                _run(["dpkg-deb", "-c", deb]).stdout.splitlines()]
    files = [p for p in contents if not p.endswith("/")]

    # ---- install ----
    _run(["dpkg", "-i", deb], env=DPKG_ENV)
    assert _installed()
    for p in ("/usr/lib/apache2/modules/mod_habitual.so", "/etc/apache2/mods-available/habitual.load",
              "/etc/apache2/mods-available/habitual.conf", "/usr/share/habitual/assets/habitual.css",
              "/etc/default/habitual", "/lib/systemd/system/habitual-notify.timer",
              "/lib/systemd/system/habitual-reviews.timer", "/lib/systemd/system/habitual-checkpoint.timer"):
        assert os.path.isfile(p), p
    assert os.access(ADMIN, os.X_OK) and os.access(JOB, os.X_OK)
    user = pwd.getpwnam("habitual")
    assert user.pw_uid < 1000 and user.pw_dir == "/var/lib/habitual"
    assert "www-data" in grp.getgrnam("habitual").gr_mem
    st = os.stat("/var/lib/habitual/db")
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (user.pw_uid, 0o2770)
    st = os.stat("/var/lib/habitual/checkpoints")
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o755)
    for f in ("/etc/habitual/secret", "/etc/habitual/checkpoint.key"):
        st = os.stat(f)
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o600) and st.st_size >= 32
    st = os.stat(DB)        # made by postinst (habitual-admin init)
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (user.pw_uid, 0o660)
    # nothing enabled by the install: neither the module nor a timer
    assert not _enabled("habitual")
    assert not [p for p in _snapshot() if p.startswith("/etc/systemd/") and "habitual" in p]
    if shutil.which("systemd-analyze"):
        units = [os.path.join("/lib/systemd/system", "habitual-%s.%s" % (j, k))
                 for j in ("notify", "reviews", "checkpoint") for k in ("service", "timer")]
        res = _run(["systemd-analyze", "verify", "--man=no"] + units, check=False)
        assert res.returncode == 0 and "habitual" not in res.stderr, res.stderr

    # ---- the database, by the installed admin tool, as the habitual user (idempotent) ----
    res = _as_habitual(ADMIN, "--driver", "sqlite3", "--params", DB, "init")
    assert res.returncode == 0, res.stdout + res.stderr

    # ---- a2enmod: the module and mod_ldap; with the .conf all commented, Apache is unchanged ----
    _run(["a2enmod", "-q", "habitual"])
    assert _enabled("habitual") and _enabled("ldap")
    res = _run(["apache2ctl", "configtest"], check=False)
    assert res.returncode == 0 and "Syntax OK" in res.stderr, res.stderr

    # ---- a site on a free port, a private slapd, basic auth as the rig does ----
    workdir = tempfile.mkdtemp(prefix="habitual-deb-")
    os.chmod(workdir, 0o755)
    slapd = rig.Slapd(workdir).start()
    try:
        with open(os.path.join(workdir, "htpasswd"), "w") as f:
            for u in ("carol", "alice"):
                f.write(rig.htpasswd_line(u, rig.PASSWORD) + "\n")
        os.chmod(os.path.join(workdir, "htpasswd"), 0o644)
        port = rig.free_port()
        with open(SITE_CONF, "w") as f:
            f.write(_site_conf(port, slapd.port, workdir))
        res = _run(["apache2ctl", "configtest"], check=False)
        assert res.returncode == 0, res.stderr

        res = _run(["apache2ctl", "start"], check=False)
        assert res.returncode == 0, res.stdout + res.stderr
        assert rig.wait_port(port, timeout=15), open(os.path.join(workdir, "error.log")).read()
        deadline = time.time() + 10      # the pid file follows the port by a moment
        while not _apache_pid() and time.time() < deadline:
            time.sleep(0.05)
        pid = _apache_pid()
        assert pid, "no %s" % APACHE_PID
        base = "http://127.0.0.1:%d/habitual/" % port

        r = requests.get(base + "api/me", auth=("carol", rig.PASSWORD), timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["user"] == "carol" and "cem" in r.json()["roles"]
        assert requests.get(base + "api/me", timeout=30).status_code == 401
        # a list: one access-log entry written by httpd's children (www-data, group habitual)
        r = requests.get(base + "api/cases", auth=("carol", rig.PASSWORD), timeout=30)
        assert r.status_code == 200, r.text
        r = requests.get(base + "assets/habitual.css", auth=("alice", rig.PASSWORD), timeout=30)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/css")

        # ---- what the timers run, while Apache holds the database open ----
        res = _as_habitual(ADMIN, "--driver", "sqlite3", "--params", DB, "verify-audit")
        assert res.returncode == 0 and res.stdout.startswith("ok: ") and not res.stdout.startswith("ok: 0 "), \
            res.stdout + res.stderr
        res = _as_habitual(JOB, "reviews")
        assert res.returncode == 0, res.stdout + res.stderr
        res = _as_habitual(JOB, "notify")       # not configured yet: says what to set
        assert res.returncode == 2 and "HABITUAL_LDAP_URL" in res.stderr, res.stderr
        res = _run([JOB, "checkpoint"], check=False)   # as root, as its unit runs it
        assert res.returncode == 0, res.stdout + res.stderr
        kept = os.listdir("/var/lib/habitual/checkpoints")
        assert len(kept) == 1 and kept[0].startswith("habitual-checkpoint-"), kept
        res = _run([ADMIN, "--driver", "sqlite3", "--params", DB, "verify-audit", "--checkpoint",
                    os.path.join("/var/lib/habitual/checkpoints", kept[0]),
                    "--key", "/etc/habitual/checkpoint.key"], check=False)
        assert res.returncode == 0, res.stdout + res.stderr

        # ---- stop ----
        _run(["apache2ctl", "stop"])
        assert _wait_gone(pid), "Apache did not stop"
    finally:
        if os.path.exists(SITE_CONF):
            os.unlink(SITE_CONF)
        slapd.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    # ---- installed again (as an upgrade runs it): init on the kept database, the entries kept ----
    entries = _as_habitual(ADMIN, "--driver", "sqlite3", "--params", DB, "verify-audit").stdout.split(",")[0]
    _run(["dpkg", "-i", deb], env=DPKG_ENV)
    res = _as_habitual(ADMIN, "--driver", "sqlite3", "--params", DB, "verify-audit")
    assert res.returncode == 0 and res.stdout.split(",")[0] == entries, (entries, res.stdout, res.stderr)
    assert stat.S_IMODE(os.stat(DB).st_mode) == 0o660 and _enabled("habitual")

    # ---- remove (not purge): the module is disabled, the data and the user are kept ----
    _run(["dpkg", "--remove", PACKAGE], env=DPKG_ENV)
    assert not _enabled("habitual")
    assert not os.path.exists("/usr/lib/apache2/modules/mod_habitual.so")
    assert os.path.exists(DB) and os.listdir("/var/lib/habitual/checkpoints")
    assert os.path.exists("/etc/habitual/secret") and os.path.exists("/etc/default/habitual")
    pwd.getpwnam("habitual")

    # ---- purge: nothing left behind ----
    _run(["dpkg", "--purge", PACKAGE], env=DPKG_ENV)
    res = _run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], check=False)
    assert res.returncode != 0 or res.stdout.endswith("not-installed"), res.stdout   # no config-files left
    left = [p for p in files if os.path.lexists(p)]
    assert not left, left
    for p in ("/var/lib/habitual", "/etc/habitual", "/usr/share/habitual", "/usr/lib/habitual",
              "/usr/share/doc/" + PACKAGE):
        assert not os.path.lexists(p), p
    with pytest.raises(KeyError):
        pwd.getpwnam("habitual")
    with pytest.raises(KeyError):
        grp.getgrnam("habitual")
    assert not [n for n in os.listdir("/etc/apache2/mods-enabled") if n.startswith("habitual")]
    assert not _markers("habitual")

    # ---- the machine as it was: undo what the test itself did (mod_ldap), then compare ----
    if not machine["ldap_was_enabled"]:
        _run(["a2dismod", "-q", "-f", "-p", "ldap"], check=False)
        for m in _markers("ldap"):
            os.unlink(m)
        for m in machine["ldap_markers"]:
            open(m, "w").close()
    # a2enmod and a2dismod (the test's, and the package's scripts through
    # apache2-maintscript-helper) make apache2's own state directories on
    # first use; one left empty that was not there before is apache2's
    # bookkeeping, not the package's
    for d in ("enabled_by_admin", "enabled_by_maint", "disabled_by_admin", "disabled_by_maint"):
        p = os.path.join("/var/lib/apache2/module", d)
        if p not in machine["before"] and os.path.isdir(p) and not os.listdir(p):
            os.rmdir(p)
    after = _snapshot()
    assert after == machine["before"], _diff(machine["before"], after)
