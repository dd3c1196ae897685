"""Shared pieces of test_faults.py and test_hostile.py (issue 7): killing
every httpd process by PID, concurrent writers, rigs whose LDAP or disk
misbehaves on purpose, the crash/sanitizer scan of an error log, and the
hostile payloads with the checks that they come back intact and escaped."""

import html as htmllib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid

import requests

import rig
from conftest import Db, RigFixture, _check_sanitizers

PASSWORD = rig.PASSWORD


def uid():
    return uuid.uuid4().hex[:10]


# ---- crashes and sanitizer reports in an error log ----

# conftest's teardown already fails on "Segmentation fault" / "exit signal"
# and on ASan/UBSan report files; these also catch reports written to the
# error log itself (a child's stderr is the error log) and any 500.
CRASH_MARKERS = ("Segmentation fault", "exit signal", "AddressSanitizer", "LeakSanitizer",
                 "UndefinedBehaviorSanitizer", "runtime error:", "double free", "stack smashing",
                 "heap-use-after-free", "buffer-overflow")


def crash_lines(text):
    return [line for line in text.splitlines() if any(m in line for m in CRASH_MARKERS)]


def error_500_lines(text):
    """An answer of 500 logs "answering 500" (HAB10301/HAB10302): hostile
    input must never reach one."""
    return [line for line in text.splitlines() if re.search(r"HAB\d{5}: answering 50[0-2]\b", line)]


class LogWatch:
    """The part of an httpd's error log written since mark()."""

    def __init__(self, httpd):
        self.httpd = httpd
        self.offset = 0
        self.mark()

    def mark(self):
        self.offset = len(self.httpd.read_error_log())

    def new_text(self):
        return self.httpd.read_error_log()[self.offset:]

    def assert_clean(self, allow_500=False):
        text = self.new_text()
        crashed = crash_lines(text)
        assert not crashed, "httpd crashed or a sanitizer reported:\n" + "\n".join(crashed)
        reports = self.httpd.sanitizer_reports()
        assert not reports, "sanitizer reports: %s" % reports
        if not allow_500:
            bad = error_500_lines(text)
            assert not bad, "a request was answered 500:\n" + "\n".join(bad)


# ---- processes ----

def _stat(pid):
    """(state, ppid) of a process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def alive(pid):
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def children_of(pid):
    """Every descendant of pid, found through /proc/*/stat."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            st = _stat(int(name))
            if st and st[1] == parent and st[0] not in ("Z", "X"):
                found.append(int(name))
                todo.append(int(name))
    return found


def httpd_parent(httpd):
    with open(os.path.join(httpd.dir, "httpd.pid")) as f:
        return int(f.read().strip())


def kill9_everything(httpd):
    """SIGKILL httpd's parent (from its PidFile) and every child (from
    /proc).  The parent is stopped first so it cannot fork a replacement
    between the look and the kill.  Returns the PIDs killed."""
    parent = httpd_parent(httpd)
    assert alive(parent), "httpd's parent %d is not running" % parent
    os.kill(parent, signal.SIGSTOP)
    # kill() returns before the parent has stopped: a fork it is inside may
    # still make a child after a look at /proc (seen once under ASan, a child
    # left holding the port), so look only once it is stopped ("T")
    deadline = time.time() + 5
    while time.time() < deadline and (_stat(parent) or ("?",))[0] != "T":
        time.sleep(0.005)
    kids = children_of(parent)
    for pid in kids:
        os.kill(pid, signal.SIGKILL)
    os.kill(parent, signal.SIGKILL)
    pids = [parent] + kids
    deadline = time.time() + 10
    while time.time() < deadline and any(alive(p) for p in pids):
        time.sleep(0.02)
    assert not any(alive(p) for p in pids), "httpd processes survived SIGKILL"
    if httpd.proc is not None:
        httpd.proc.wait(10)
        if httpd.proc.stdout:
            httpd.proc.stdout.close()
        httpd.proc = None
    return pids


def port_closes(port, within=5.0):
    """True once nothing accepts on port, within the time given.  A killed
    process's thread group leader shows as a zombie before its other
    threads have exited and closed their files, so its listening socket may
    still take a connection for a moment after every PID looks dead."""
    deadline = time.time() + within
    while not port_closed(port):
        if time.time() > deadline:
            return False
        time.sleep(0.05)
    return True


def port_closed(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


# ---- requests from many threads (one connection each, no shared session) ----

def token_for(base, user):
    r = requests.get(base + "/api/me", auth=(user, PASSWORD), timeout=30)
    assert r.status_code == 200, (user, r.status_code, r.text)
    return r.json()["csrf_token"]


def post_json(base, user, token, path, body, timeout=30):
    return requests.post(base + "/" + path, json=body, auth=(user, PASSWORD), timeout=timeout,
                         headers={"X-CSRF-Token": token, "Content-Type": "application/json"})


def contact(summary, at):
    return {"at": at, "channel": "phone", "direction": "inbound", "summary": summary}


class Outcome:
    """One request made from a thread: its answer, or the exception."""

    def __init__(self, key, server=None):
        self.key = key
        self.server = server
        self.status = None
        self.headers = {}
        self.body = None
        self.error = None
        self.started = self.ended = None

    def record(self, fn):
        self.started = time.time()
        try:
            r = fn()
            self.status = r.status_code
            self.headers = dict(r.headers)
            try:
                self.body = r.json()
            except ValueError:
                self.body = r.text
        except requests.RequestException as e:
            self.error = e
        self.ended = time.time()
        return self

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300

    def __repr__(self):
        return "<%s %s %s %s>" % (self.key, self.server, self.status, self.error or "")


# ---- a rig built by hand: slapd on a port chosen up front ----

def assert_2xx_or_503(outcomes, allowed=(200, 201, 503)):
    """Under load and faults: no connection dropped, every answer in allowed,
    and every 503 the module's own (Retry-After: 5, code unavailable).
    Returns the 503s."""
    dropped = [o for o in outcomes if o.error is not None]
    assert not dropped, "dropped connections: %s" % dropped[:5]
    bad = [o for o in outcomes if o.status not in allowed]
    assert not bad, "answers other than %s: %s" % (allowed, [(o, o.body) for o in bad[:5]])
    unavailable = [o for o in outcomes if o.status == 503]
    for o in unavailable:
        assert o.headers.get("Retry-After") == "5", (o, o.headers)
        assert o.body["error"]["code"] == "unavailable", o.body
    return unavailable


class _OwnRig:
    """What the fault tests' own rigs share: the database of their httpd,
    and stopping httpd and slapd, then releasing what the rig set up
    (release()), then removing its directory."""

    @property
    def db(self):
        return self.httpd.db

    def release(self):
        pass

    def stop(self):
        self.httpd.stop()
        self.slapd.stop()
        self.release()
        shutil.rmtree(self.workdir, ignore_errors=True)


class ManualRig(_OwnRig):
    """slapd + httpd like rig.Rig, but the LDAP port is fixed before slapd
    starts, so a silent server can take slapd's place on the same port."""

    def __init__(self, **httpd_args):
        self.workdir = tempfile.mkdtemp(prefix="habitual-faults-")
        os.chmod(self.workdir, 0o755)
        self.slapd = rig.Slapd(self.workdir)
        self.slapd.port = rig.free_port()
        self.slapd.start()
        try:
            self.httpd = rig.Httpd(self.workdir, self.slapd.port, **httpd_args).start()
        except Exception:
            self.slapd.stop()
            raise

    def release(self):
        self.httpd.drop_db()


def SilentOn(port):
    """rig.SilentServer on a given port: accepts TCP connections and never
    answers, as a hung directory server does."""
    return rig.SilentServer(port)


def contacts_by_summary(db, prefix):
    """The stored contacts whose summary starts with prefix, by summary."""
    rows = db.query("SELECT id, case_id, summary FROM contacts WHERE summary LIKE ?", (prefix + "%",))
    by = {}
    for r in rows:
        by.setdefault(r["summary"], []).append(r)
    return by


# ---- a database on a small tmpfs, to fill it ----

def try_mount_tmpfs(path, size):
    """Mount a tmpfs of `size` at path; returns None, or why it cannot be done."""
    if os.geteuid() != 0:
        return "not running as root"
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path],
                         capture_output=True, text=True)
    return None if res.returncode == 0 else (res.stderr.strip() or "mount failed")


def umount(path):
    import gc
    gc.collect()  # the tests' own sqlite3 connections may still hold files open
    for _ in range(50):
        if subprocess.run(["umount", path], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["umount", "-l", path], capture_output=True)


class TmpfsRig(_OwnRig):
    """rig.Rig whose database lives on its own small tmpfs."""

    def __init__(self, size="3m", mpm="rig"):
        self.workdir = tempfile.mkdtemp(prefix="habitual-full-")
        os.chmod(self.workdir, 0o755)
        self.mount = os.path.join(self.workdir, "disk")
        os.makedirs(self.mount)
        self.why_not = try_mount_tmpfs(self.mount, size)
        if self.why_not:
            shutil.rmtree(self.workdir, ignore_errors=True)
            return
        self.dbdir = os.path.join(self.mount, "db")
        try:
            self.inner = rig.Rig(workdir=self.workdir, db=os.path.join(self.dbdir, "habitual.db"), mpm=mpm)
        except Exception:
            umount(self.mount)
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise
        self.httpd = self.inner.httpd
        self.slapd = self.inner.slapd

    def release(self):
        umount(self.mount)


def fill_filesystem(directory):
    """Write a file until the filesystem under directory has no byte left."""
    path = os.path.join(directory, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 8, 1):
            chunk = b"\0" * size
            while True:
                try:
                    if os.write(fd, chunk) < size:
                        break
                except OSError:
                    break
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def free_bytes(directory):
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


# ---- the database ----

def integrity(db):
    """The engine's own check of the stored data: ["ok"], or what it found.
    SQLite: PRAGMA integrity_check.  PostgreSQL: pg_amcheck (amcheck's heap
    and B-tree checks, every index against its table), which installs the
    amcheck extension in a schema of its own, never in "public"."""
    if rig.is_pg(db):
        res = subprocess.run([rig.pg_bin("pg_amcheck"), "-h", "127.0.0.1", "-p", str(db.server.port),
                              "-U", rig.PG_SUPERUSER, "--install-missing", "--heapallindexed",
                              "-s", "public", db.name], capture_output=True, text=True)
        found = [l for l in (res.stdout + res.stderr).splitlines()
                 if l.strip() and not l.startswith("NOTICE:")]
        return ["ok"] if res.returncode == 0 and not found else found or ["exit %d" % res.returncode]
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return [r[0] for r in c.execute("PRAGMA integrity_check").fetchall()]
    finally:
        c.close()


def settle_wal(db_path):
    """With httpd stopped: checkpoint the WAL into the database and let it
    be removed, as when the last connection closes cleanly.  (The tests' own
    read-only connections can outlive their use until garbage-collected and
    keep -wal/-shm behind.)"""
    import gc
    gc.collect()
    c = sqlite3.connect(db_path, timeout=10)
    try:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        c.close()
    for suffix in ("-wal", "-shm"):
        assert not os.path.exists(db_path + suffix), "%s%s left behind" % (db_path, suffix)


class Snapshot:
    """Row counts of every table, the access log included, in one statement:
    cheap enough to take around every request of a long loop (either engine)."""

    def __init__(self, db):
        self.db = db if isinstance(db, Db) else Db(db)

    def take(self):
        return self.db.counts(exclude=())


# ---- the write lock, taken from outside the module ----

def pg_write_lock_key():
    """The advisory lock every write transaction of the pgsql driver takes
    first (README "Storage"), read from the driver's source."""
    src = open(os.path.join(rig.ROOT, "mod_habitual", "core", "store", "store_pgsql.c")).read()
    return int(re.search(r'#define HAB_PG_WRITE_LOCK "(\d+)"', src).group(1))


class OutsideWriteLock:
    """Someone else holds the database's write lock: SQLite's BEGIN
    IMMEDIATE on the file, or on PostgreSQL the driver's advisory lock in a
    transaction of another session (as a second tool, or a stuck server,
    would)."""

    # what the error log says of a writer that gave up waiting for it
    LOG_PATTERN = {"sqlite3": r"busy", "pgsql": r"lock timeout"}

    def __init__(self, db):
        self.db = db
        if rig.is_pg(db):
            self.c = db.connect(autocommit=False)
        else:
            self.c = sqlite3.connect(db, timeout=10, isolation_level=None)

    def acquire(self):
        if rig.is_pg(self.db):
            with self.c.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (pg_write_lock_key(),))
        else:
            self.c.execute("BEGIN IMMEDIATE")

    def release(self):
        if rig.is_pg(self.db):
            self.c.rollback()
        else:
            self.c.execute("ROLLBACK")

    def close(self):
        self.c.close()


# ---- PostgreSQL servers of a test's own ----

class PrivateRig(_OwnRig):
    """rig.Rig on a database of its own PostgreSQL server, for tests that
    stop, restart or reconfigure the server (the session's shared server
    serves every other rig)."""

    def __init__(self, **httpd_args):
        self.server = rig.Postgres()
        try:
            self.inner = rig.Rig(db=self.server.create_database(), **httpd_args)
        except Exception:
            self.server.destroy()
            raise
        self.workdir = self.inner.workdir
        self.httpd = self.inner.httpd
        self.slapd = self.inner.slapd

    def release(self):
        self.server.destroy()


def assert_chain_verifies(fixture):
    res = fixture.admin("verify-audit", check=False)
    assert res.returncode == 0 and res.stdout.startswith("ok: "), (res.returncode, res.stdout, res.stderr)
    return res.stdout


# ---- hostile payloads ----

# Each is short enough to sit inside a 64-byte council reference with a
# marker after it.
PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "svg-attr": "\"><svg onload=alert(1)>",
    "quotes": "' \" ` '\"`",
    "end-script": "</script><script>alert(1)</script>",
    "sql-drop": "'; DROP TABLE cases;--",
    "sql-or": "' OR '1'='1",
    "ldap-filter": "*)(uid=*))(|(uid=*\\2a\\00",
    "crlf": "a\r\nX-Injected: yes\r\n\r\n<b>x",
    "template": "{{{body}}} {{t}} %s %n &amp; &lt;",
    "unicode": "Zo\u00eb \u2028\u2029 \U0001d11e \u202e",
}


def esc(text):
    """HTML escaping as the module does it (& < > " and ' as &#39;)."""
    return htmllib.escape(text, quote=True).replace("&#x27;", "&#39;")


def needs_escaping(text):
    return any(ch in text for ch in "<>\"'&")


def assert_escaped_in(page, payload, where, expect_shown=True):
    """The payload never appears raw in the page, and (when the page shows
    it) appears escaped."""
    if needs_escaping(payload):
        assert payload not in page, "%s shows the payload unescaped" % where
        for fragment in ("<script>alert(1)", "<svg onload", "<b>x"):
            if fragment in payload:
                assert fragment not in page, "%s contains %r" % (where, fragment)
    if expect_shown:
        shown = esc(payload)
        # the pages split multi-line text into paragraphs
        pieces = [esc(p) for p in re.split(r"[\r\n]+", payload) if p.strip()]
        assert shown in page or all(p in page for p in pieces), \
            "%s does not show the payload (escaped)" % where


def assert_no_injected_header(r):
    for k, v in r.headers.items():
        assert "injected" not in k.lower() and "injected" not in v.lower(), (k, v)


def new_fixture(r):
    return RigFixture(r)


def scan_error_log(httpd, allow_500=False):
    """The whole error log: no crash, no sanitizer report, no 500."""
    text = httpd.read_error_log()
    crashed = crash_lines(text)
    assert not crashed, "httpd crashed or a sanitizer reported:\n" + "\n".join(crashed)
    assert not httpd.sanitizer_reports(), httpd.sanitizer_reports()
    if not allow_500:
        bad = error_500_lines(text)
        assert not bad, "a request was answered 500:\n" + "\n".join(bad)


def stop_rig(r):
    try:
        scan_error_log(r.httpd)
    finally:
        r.httpd.stop()
        _check_sanitizers(r)
        r.stop()




# ---- a case walked through every step with a payload in every text field ----

def today_iso(days=0):
    import datetime
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()


def hostile_restrictions(p, tag):
    return [{"type": "behaviour-agreement", "terms": p + tag},
            {"type": "third-party-only", "third_party": p + tag},
            {"type": "correspondence-closed", "matter": p + tag},
            {"type": "building-ban", "buildings": [p + tag, p], "injunction": True},
            {"type": "referral-warning"}]


def hostile_walk(fx, p):
    """Raise a concern with p in every text field, then take it through
    every step (contact, warning, report, decision, grant, statement, hold,
    review and its decision, appeal and its decision) and record an absence,
    each with p in every text field.  Returns (case id, what was sent)."""
    tag = uid()
    # a grant names a user the directory knows (README, "Grants"); the
    # payload goes in its reason
    grantee = "alice"
    sent = {
        "concern": {
            "person": {"name": p, "reference": p + "-" + tag, "address": p},
            "department": p, "summary": p, "measures_taken": p,
            "complaints_procedure": "exhausted", "criteria": ["excessive-contact", "harassment"],
            "exclusion": "none", "vulnerable": True, "vulnerability": p,
            "representative": {"name": p + " rep", "address": p},
            "advocate": {"name": p + " adv", "address": p},
            "copy_to": [{"name": p + " copy", "role": p, "address": p}],
        },
        "contact": {"at": today_iso(), "channel": "phone", "direction": "inbound", "summary": p,
                    "department": p, "officer": p, "incidents": ["abuse"]},
        "warning": {"on": today_iso(), "method": "letter", "text": p},
        "report": {"behaviour": p, "restrictions": hostile_restrictions(p, " R"), "period_months": 12,
                   "alternatives_considered": p, "safeguarding": {"considered": True, "adjustments": p},
                   "police_reference": p},
        "decision": {"outcome": "approve", "justified": True, "proportionate": True, "reasons": p},
        "grant": {"user": grantee, "reason": p, "expires": today_iso(30)},
        "statement": {"received": today_iso(), "text": p},
        "hold": {"reason": p},
        # the monitoring officer is a directory user (a payload there is 422 unknown-user)
        "review": {"recommendation": "vary", "report": p, "monitoring_officer": "molly"},
        "review_decision": {"outcome": "vary", "justified": True, "proportionate": True, "reasons": p,
                            "restrictions": hostile_restrictions(p, " V")},
        "appeal": {"received": today_iso(), "grounds": p},
        "appeal_decision": {"outcome": "vary", "justified": True, "proportionate": True, "reasons": p,
                            "restrictions": hostile_restrictions(p, " A")},
        "absence": {"from": today_iso(400), "to": today_iso(401), "note": p},
    }

    def step(user, path, body, status=200):
        r = fx.as_user(user).post(path, body)
        assert r.status_code == status, (path, r.status_code, r.text)
        return r.json()

    cid = step("alice", "api/cases", sent["concern"], 201)["id"]
    base = "api/cases/%d/" % cid
    step("carol", base + "warning", sent["warning"])
    step("carol", base + "contacts", sent["contact"], 201)      # since the warning (R19)
    step("carol", base + "report", sent["report"])
    step("chris", base + "decision", sent["decision"])
    step("carol", base + "grants", sent["grant"], 201)
    step("carol", base + "statements", sent["statement"], 201)
    step("carol", base + "hold", sent["hold"], 200)
    step("carol", base + "review", sent["review"])
    step("chris", base + "review/decision", sent["review_decision"])
    step("carol", base + "appeal", sent["appeal"])
    step("oscar", base + "appeal/decision", sent["appeal_decision"])
    step("chris", "api/absences", sent["absence"], 201)

    # what the first case's path does not reach: a report without notice,
    # a suspension, a rejection, and closing without action
    other = dict(sent["concern"], person={"name": p, "reference": p + "-s" + tag})
    sent["severe_report"] = {
        "behaviour": p, "period_months": 6, "alternatives_considered": p, "severe": True, "severe_reason": p,
        "safeguarding": {"considered": True, "adjustments": p},
        "restrictions": [{"type": "suspend-contact", "legal_advice": p, "until": today_iso(20)},
                         {"type": "decline-channels", "channels": ["phone", "fax"]}]}
    sent["rejection"] = {"outcome": "reject", "reasons": p}
    rejected = step("alice", "api/cases", other, 201)["id"]
    step("carol", "api/cases/%d/report" % rejected, sent["severe_report"])
    step("chris", "api/cases/%d/decision" % rejected, sent["rejection"])
    sent["close"] = {"reason": p}
    closed = step("alice", "api/cases", dict(other, person={"name": p, "reference": p + "-c" + tag}), 201)["id"]
    step("carol", "api/cases/%d/close" % closed, sent["close"])
    sent["rejected_id"], sent["closed_id"] = rejected, closed
    return cid, sent
