#!/usr/bin/python3
"""The mod_habitual benchmark (issue 7, "Performance"): wrk against private
servers on generated databases, interleaved in one run.

    run_bench.py [--duration 10] [--rounds 1] [--quick] [--core-only] [--engines sqlite3,pgsql] ...

1. Generates (or reuses, under tests/bench/.data/) the databases: 1,000,
   10,000 and 100,000 cases with 10 contacts a case and 1,000,000 access-log
   entries each (gen_db.py), and times `habitual-admin verify-audit` on the
   10,000-case one.
2. Starts one private slapd and one private httpd per database (the rig's
   configuration, printed: event MPM, one process of ThreadsPerChild threads,
   LogLevel warn) with LDAPCacheTTL/LDAPOpCacheTTL 120 and the README's LDAP
   timeouts, each on its own copy of the database; checks that the module
   reads the generated data correctly (sample cases against SQLite, the
   officer's notices, a letter, a write).
3. Runs wrk (loopback, -t2 -c32, --duration seconds each) round after round,
   every endpoint in turn, so each round's ratios compare runs made minutes
   apart on the same machine: the static file (the ceiling), GET api/notices
   as bob (an officer holding grants), GET api/cases/{id} as carol (the CEM)
   over a spread of ids at 10k, 1k and 100k cases, POST api/cases/{id}/contacts
   as carol; and, unless --core-only, reference rows that tell where time goes.
4. Prints the table (req/s, p50, p99, ratio to the static file, httpd CPU per
   request), the targets with PASS/FAIL, the access-log entries the module
   appended against the audited requests answered, and verify-audit of the
   main database after the run.

PostgreSQL beside SQLite (--engines, default sqlite3,pgsql when PostgreSQL is
installed, see pg_load.py): a private PostgreSQL server (fsync on), a fresh
database made by `habitual-admin --driver pgsql init` and loaded with COPY
from the main database's SQLite file (the same rows, the access log's chain
included, checked by verify-audit, timed beside SQLite's), and one more
httpd with `HabitualDatabase pgsql` on it, checked as the others.  Each
round runs the main endpoints (static file, notices, case read, write) on
SQLite then on PostgreSQL, one after the other, and each engine's ratios
divide by its own httpd's static file in the same round; the table shows
both engines side by side, with the PostgreSQL server's CPU per request
beside httpd's, and the notices and write targets are judged per engine.
The server is stopped by PID at the end, its files removed.

Sign-in is the rig's basic auth standing in for single sign-on.  The rig's
htpasswd uses bcrypt (cost 4), which mod_authn_file checks on every request:
by default this benchmark writes SHA-1 ({SHA}) entries instead, so the
figures are the module's and not bcrypt's; the row "notices, bcrypt sign-in"
shows what bcrypt costs (--auth bcrypt makes bcrypt the default).

Machine-wide noise (other processes on the same cores) moves req/s; compare
ratios within one run.  "httpd CPU us/req" (user+system time of the httpd
processes over the run, per request answered) is steadier."""

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "rig"))
sys.path.insert(0, HERE)
import rig  # noqa: E402
import gen_db  # noqa: E402
import pg_load  # noqa: E402

import requests  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
BENCH_USERS = sorted(rig.USERS) + ["ghost"]
TARGETS = {"notices_ratio": 0.50, "notices_p99_ms": 20.0, "write_ratio": 0.20, "case_scale": 1.2,
           "verify_s": 3.0}
# On Debian's stock mpm_event.conf (--stock-mpm): the stock server's goals, per
# engine, and the static file with the module loaded against the same server
# without it ("not lower": 0.95 allows for a run's noise, about 5% here).
STOCK_TARGETS = {"notices_ratio": {"sqlite3": 0.60, "pgsql": 0.40}, "notices_p99_ms": 20.0,
                 "write_ratio": {"sqlite3": 0.20, "pgsql": 0.10}, "static_kept": 0.95}
ENGINES = ("sqlite3", "pgsql")



OPTIONS = {"stock_mpm": False, "nesting_depth": 0}   # set from the command line in main

def out(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- machine

def machine(engines=("sqlite3",)):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1048576)
    httpd = subprocess.run(["/usr/sbin/apache2", "-v"], capture_output=True, text=True).stdout.splitlines()
    fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE,SOURCE", "-T", tempfile.gettempdir()],
                        capture_output=True, text=True).stdout.strip()
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return [
        "machine: %d cores, %s, %s RAM, kernel %s" % (os.cpu_count(), cpu, mem, os.uname().release),
        "software: %s, SQLite %s (python's %s), %s" % (
            httpd[0].split(":", 1)[1].strip() if httpd else "?", sqlite_lib_version(), sqlite3.sqlite_version,
            subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("[")[0].strip()),
        "module: %s%s" % (rig.MODULE, (" (tree %s%s)" % (head, " with uncommitted changes" if dirty else ""))
                          if rig.MODULE.startswith(ROOT + os.sep) else
                          " (built outside this tree%s)" % built_from(rig.MODULE)),
        "admin: %s" % gen_db.ADMIN,
        "temporary files on: %s %s" % (tempfile.gettempdir(), fs),
    ] + (["PostgreSQL: %s (%s)" % (pg_load.version(), rig.pg_bin())] if "pgsql" in engines else [])


def built_from(module):
    """A BUILT_FROM file (a commit id) at the root of the tree the module was built in."""
    d = os.path.dirname(module)
    for _ in range(4):
        d = os.path.dirname(d)
        f = os.path.join(d, "BUILT_FROM")
        if os.path.exists(f):
            with open(f) as fh:
                return ", from commit " + fh.read().strip()[:12]
    return ""


def sqlite_lib_version():
    res = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True)
    return res.stdout.split()[0] if res.returncode == 0 and res.stdout else "?"


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


# ---------------------------------------------------------------- databases

def ensure_db(data_dir, cases, contacts, log, seed, regenerate):
    path = os.path.join(data_dir, "cases-%d.db" % cases)
    meta_path = path + ".json"
    want = {"generator": gen_db.GEN_VERSION, "cases": cases, "contacts": contacts, "log": log, "seed": seed,
            "today": dt.date.today().isoformat()}
    if not regenerate and os.path.exists(path) and os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if all(meta.get(k) == v for k, v in want.items()):
            out("reusing %s (generated %s in %.1f s)" % (path, meta["generated_at"], meta["timings"]["total_s"]))
            return path, meta
    out("generating %s ..." % path)
    meta = gen_db.generate(path, cases, contacts, log, seed)
    return path, meta


def copy_db(src, dst_dir):
    os.makedirs(dst_dir, exist_ok=True)
    os.chmod(dst_dir, 0o755)
    dst = os.path.join(dst_dir, "habitual.db")
    shutil.copyfile(src, dst)
    # a database generated by an older build: brought up to this build's schema
    subprocess.run([gen_db.ADMIN, "--driver", "sqlite3", "--params", dst, "init"], check=True,
                   capture_output=True)
    return dst


def time_verify(db, runs=3, patience_s=20.0):
    """Elapsed and CPU (user + system) seconds of each run: on a loaded machine
    elapsed time includes waiting for a core, CPU time does not.  A run longer
    than patience_s is the last: one that slow has said enough."""
    import resource
    times, cpus, lines = [], [], []
    while len(times) < runs and not (times and times[-1] > patience_s):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.time()
        res = rig.admin(db, "verify-audit", check=False)
        times.append(time.time() - t)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        lines.append((res.returncode, res.stdout.strip() or res.stderr.strip()))
    return times, cpus, lines


# ---------------------------------------------------------------- servers

def sha_line(user, password):
    return "%s:{SHA}%s" % (user, base64.b64encode(hashlib.sha1(password.encode()).digest()).decode())


class Site:
    """One private httpd on its own copy of a database (src_db a SQLite
    file), or on a PostgreSQL database (src_db a rig.PgDatabase, used as it
    is; ref_db is then the SQLite file it was loaded from)."""

    def __init__(self, label, workdir, slapd, src_db, db_dir, auth, start=True, ref_db=None):
        self.label = label
        name = "httpd-" + label
        d = os.path.join(workdir, name)
        if rig.is_pg(src_db):
            self.engine, self.db = "pgsql", src_db
        else:
            self.engine, self.db = "sqlite3", copy_db(src_db, db_dir)
        # the SQLite file holding the data the checks expect this site to serve
        self.ref_db = ref_db or self.db
        docroot = os.path.join(d, "htdocs")
        url = "ldap://127.0.0.1:%d/ou=people,%s?uid?sub?(objectClass=inetOrgPerson)" % (slapd.port, rig.SUFFIX)
        groups = "".join('    HabitualRoleGroup %s "%s"\n' % (role, rig.group_dn(cn))
                         for role, cn in rig.ROLE_GROUPS.items())
        if OPTIONS["nesting_depth"]:   # groups within the role groups count (issue 15)
            groups += "    HabitualGroupNestingDepth %d\n" % OPTIONS["nesting_depth"]
        extra_server = """LDAPConnectionTimeout 3
LDAPTimeout 5
LDAPRetries 1
LDAPRetryDelay 0
LDAPCacheTTL 120
LDAPOpCacheTTL 120
LoadModule authnz_ldap_module {mods}/mod_authnz_ldap.so
Alias /ref-auth {docroot}
Alias /ref-bcrypt {docroot}
Alias /ref-ldap {docroot}
<Location /ref-auth>
    AuthType Basic
    AuthName "reference"
    AuthBasicProvider file
    AuthUserFile {d}/htpasswd
    Require valid-user
</Location>
<Location /ref-bcrypt>
    AuthType Basic
    AuthName "reference"
    AuthBasicProvider file
    AuthUserFile {d}/htpasswd-bcrypt
    Require valid-user
</Location>
<Location /ref-ldap>
    AuthType Basic
    AuthName "reference"
    AuthBasicProvider file
    AuthUserFile {d}/htpasswd
    AuthLDAPURL "{url}"
    Require ldap-group {cem}
</Location>
<Location /hbcrypt>
    AuthType Basic
    AuthName "Council intranet"
    AuthBasicProvider file
    AuthUserFile {d}/htpasswd-bcrypt
    Require valid-user
    SetHandler habitual
    HabitualLDAPURL "{url}"
{groups}    HabitualSecretFile {d}/secret
</Location>
""".format(mods=rig.APACHE_MODULES, docroot=docroot, d=d, url=url, cem=rig.group_dn("cem"), groups=groups)
        self.httpd = rig.Httpd(workdir, slapd.port, name=name, db=self.db, ldap_timeouts=False,
                               mpm="stock" if OPTIONS["stock_mpm"] else "rig",
                               extra_server=extra_server, sign_ins=BENCH_USERS)
        # the rig wrote bcrypt (cost 4) entries: keep them for /hbcrypt, and
        # sign in at /habitual with SHA-1 unless asked for bcrypt
        shutil.copyfile(self.httpd.htpasswd, os.path.join(d, "htpasswd-bcrypt"))
        os.chmod(os.path.join(d, "htpasswd-bcrypt"), 0o644)
        if auth == "sha1":
            with open(self.httpd.htpasswd, "w") as f:
                for u in BENCH_USERS:
                    f.write(sha_line(u, rig.PASSWORD) + "\n")
        self.httpd.fix_db_owner()
        self.base = "http://127.0.0.1:%d" % self.httpd.port
        if start:
            self.httpd.start()

    def pids(self):
        parent = self.httpd.proc.pid
        pids = [parent]
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % p) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == parent:
                    pids.append(int(p))
            except OSError:
                continue
        return pids

    def cpu_seconds(self):
        total = 0
        for pid in self.pids():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
            except OSError:
                continue
        return total / CLK_TCK

    def db_cpu_seconds(self):
        """The PostgreSQL server's CPU seconds (0 for SQLite: its work is
        httpd's own)."""
        return pg_load.postmaster_cpu_seconds(self.db.server) if self.engine == "pgsql" else 0.0

    def drain(self, limit=120.0):
        """Wait until the server (and its PostgreSQL server) is idle again
        (requests wrk gave up on still run after it stops), so one run's
        leftovers do not load the next."""
        t0 = time.time()
        last = self.cpu_seconds() + self.db_cpu_seconds()
        while time.time() - t0 < limit:
            time.sleep(0.5)
            now = self.cpu_seconds() + self.db_cpu_seconds()
            if now - last < 0.03:
                break
            last = now
        return time.time() - t0

    def scalar(self, sql, *args):
        """One value from the site's own database (SQL with ? placeholders)."""
        if self.engine == "pgsql":
            return self.db.execute(sql.replace("?", "%s"), args)[0][0]
        c = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=30)
        try:
            return c.execute(sql, args).fetchone()[0]
        finally:
            c.close()

    def log_count(self):
        return self.scalar("SELECT max(seq) FROM access_log") or 0

    def error_lines(self):
        lines = self.httpd.read_error_log().splitlines()
        return [l for l in lines if "[error]" in l or "[crit]" in l or "[emerg]" in l or "exit signal" in l
                or "Segmentation" in l]

    def stop(self):
        self.httpd.stop()


class BareSite(Site):
    """The main site's server without mod_habitual: the same MPM and static
    file, the reference the module must not slow down."""
    label, engine = "bare", "sqlite3"

    def __init__(self, workdir, slapd):
        self.httpd = rig.Httpd(workdir, slapd.port, name="httpd-bare", init_db=False,
                               with_module=False, mpm="stock" if OPTIONS["stock_mpm"] else "rig")
        self.base = "http://127.0.0.1:%d" % self.httpd.port
        self.httpd.start()


def auth_header(user):
    return "Basic " + base64.b64encode(("%s:%s" % (user, rig.PASSWORD)).encode()).decode()


# ---------------------------------------------------------------- checks: the module reads the generated data

def expected_case(db, cid, today):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    def q(sql, *a):
        row = c.execute(sql, a).fetchone()
        return row[0] if row else None
    status = q("SELECT status FROM cases WHERE id = ?", cid)
    end = q("SELECT end_date FROM periods WHERE case_id = ? ORDER BY id DESC LIMIT 1", cid)
    lapsed = status == "active" and end is not None and end < today
    e = {
        "status": "ended" if lapsed else status,
        "reference": q("SELECT p.reference FROM cases c JOIN persons p ON p.id = c.person_id WHERE c.id = ?", cid),
        "contacts": q("SELECT count(*) FROM contacts WHERE case_id = ?", cid),
        "incidents": q("SELECT count(*) FROM contact_incidents i JOIN contacts k ON k.id = i.contact_id "
                       "WHERE k.case_id = ?", cid),
        "restrictions": 0 if lapsed else q("SELECT count(*) FROM restrictions WHERE case_id = ? "
                                           "AND lifted_at IS NULL", cid),
        "letters": q("SELECT count(*) FROM letters WHERE case_id = ?", cid),
        "grants": q("SELECT count(*) FROM grants WHERE case_id = ?", cid),
        "reviews": q("SELECT count(*) FROM reviews WHERE case_id = ?", cid),
        "appeals": q("SELECT count(*) FROM appeals WHERE case_id = ?", cid),
        "period_end": end,
        "warning": q("SELECT count(*) FROM warnings WHERE case_id = ?", cid) > 0,
        "report": q("SELECT count(*) FROM reports WHERE case_id = ?", cid) > 0,
        "decision": q("SELECT count(*) FROM decisions WHERE case_id = ?", cid) > 0,
    }
    c.close()
    return e


def seen_case(j):
    return {
        "status": j["status"], "reference": j["person"]["reference"], "contacts": len(j["contacts"]),
        "incidents": sum(len(k["incidents"]) for k in j["contacts"]),
        "restrictions": len(j["restrictions"]), "letters": len(j["letters"]), "grants": len(j["grants"]),
        "reviews": len(j["reviews"]), "appeals": len(j["appeals"]),
        "period_end": j["period"]["end"] if j["period"] else None,
        "warning": j["warning"] is not None, "report": j["report"] is not None,
        "decision": j["decision"] is not None,
    }


def expected_notices(db, user, today):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    rows = c.execute(
        "SELECT c.id FROM cases c WHERE c.status IN ('referred','warned','reported','active') "
        "AND EXISTS (SELECT 1 FROM restrictions r WHERE r.case_id = c.id AND r.lifted_at IS NULL) "
        "AND NOT (c.status = 'active' AND (SELECT end_date FROM periods p WHERE p.case_id = c.id "
        "         ORDER BY p.id DESC LIMIT 1) < ?) "
        "AND (c.referred_by = ? OR EXISTS (SELECT 1 FROM grants g WHERE g.case_id = c.id AND g.grantee = ? "
        "     AND g.revoked_at IS NULL AND g.expires >= ?))", (today, user, user, today)).fetchall()
    c.close()
    return sorted(r[0] for r in rows)


def check_site(site, meta, rng, today, per_state=4):
    """GET api/cases/{id} on a sample of every state against SQLite (the
    site's own file, or the one its PostgreSQL database was loaded from); the
    officer's notices; a letter; one write, counted in the site's own
    database.  Returns the number of audited requests made.  Raises on any
    difference."""
    s_carol = requests.Session()
    s_carol.auth = ("carol", rig.PASSWORD)
    s_bob = requests.Session()
    s_bob.auth = ("bob", rig.PASSWORD)
    base = site.base + "/habitual/api/"
    ref = site.ref_db
    c = sqlite3.connect("file:%s?mode=ro" % ref, uri=True)
    sample = []
    for status in ("referred", "warned", "reported", "active", "ended", "closed"):
        ids = [r[0] for r in c.execute("SELECT id FROM cases WHERE status = ?", (status,))]
        sample += rng.sample(ids, min(per_state, len(ids)))
    lapsed = [r[0] for r in c.execute(
        "SELECT c.id FROM cases c JOIN periods p ON p.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "
        "WHERE c.status = 'active' AND p.end_date < ?", (today,))]
    sample += rng.sample(lapsed, min(2, len(lapsed)))
    with_letters = c.execute("SELECT case_id, number FROM letters WHERE kind = 'decision' LIMIT 1").fetchone()
    c.close()
    audited = 0
    for cid in sample:
        r = s_carol.get(base + "cases/%d" % cid, timeout=30)
        audited += 1
        if r.status_code != 200:
            raise RuntimeError("%s: GET api/cases/%d as carol answered %d: %s" % (site.label, cid, r.status_code,
                                                                                   r.text[:200]))
        want, got = expected_case(ref, cid, today), seen_case(r.json())
        if want != got:
            diff = {k: (want[k], got[k]) for k in want if want[k] != got[k]}
            raise RuntimeError("%s: case %d differs from the database (want, got): %r" % (site.label, cid, diff))
        if got["restrictions"] and not r.json()["open_channels"] and "suspend-contact" not in r.text:
            raise RuntimeError("%s: case %d has restrictions but no open channel" % (site.label, cid))
    if with_letters:
        r = s_carol.get(base + "cases/%d/letters/%d" % with_letters, timeout=30)
        audited += 1
        if r.status_code != 200 or "data-part" not in r.text:
            raise RuntimeError("%s: letter %r answered %d" % (site.label, with_letters, r.status_code))
    r = s_bob.get(base + "notices", timeout=30)
    audited += 1
    got = sorted(n["case_id"] for n in r.json()["notices"]) if r.status_code == 200 else None
    want = expected_notices(ref, "bob", today)
    if got != want or got != sorted(meta["officer_notices"]):
        raise RuntimeError("%s: bob's notices %r, expected %r (generator: %r)"
                           % (site.label, got, want, meta["officer_notices"]))
    c = sqlite3.connect("file:%s?mode=ro" % ref, uri=True)
    granted = [r[0] for r in c.execute("SELECT g.case_id FROM grants g JOIN cases k ON k.id = g.case_id "
                                       "WHERE g.grantee = 'bob' AND k.referred_by <> 'bob'") if r[0] in want]
    c.close()
    if granted:
        r = s_bob.get(base + "cases/%d" % granted[0], timeout=30)
        audited += 1
        if r.status_code != 404:
            raise RuntimeError("%s: bob read the file of case %d (%d): a notice is not the file"
                               % (site.label, granted[0], r.status_code))
    token = s_carol.get(base + "me", timeout=30).json()["csrf_token"]
    open_id = open_case_ids(ref, today, random.Random(1), 1)[0]
    contacts_of = "SELECT count(*) FROM contacts WHERE case_id = ?"
    before = site.scalar(contacts_of, open_id)
    r = s_carol.post(base + "cases/%d/contacts" % open_id, json=contact_body(today),
                     headers={"X-CSRF-Token": token}, timeout=30)
    audited += 1
    if r.status_code != 201:
        raise RuntimeError("%s: POST contacts answered %d: %s" % (site.label, r.status_code, r.text[:200]))
    if site.scalar(contacts_of, open_id) != before + 1:
        raise RuntimeError("%s: the contact was not stored" % site.label)
    return audited, len(sample), len(want)


def open_case_ids(db, today, rng, n):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    ids = [r[0] for r in c.execute(
        "SELECT c.id FROM cases c LEFT JOIN periods p ON p.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "
        "WHERE c.status IN ('referred','warned','reported') OR (c.status = 'active' AND p.end_date >= ?)",
        (today,))]
    c.close()
    return rng.sample(ids, min(n, len(ids)))


def contact_body(today):
    yesterday = (dt.date.fromisoformat(today) - dt.timedelta(days=1)).isoformat()
    return {"at": yesterday, "channel": "phone", "direction": "inbound", "department": "Housing",
            "summary": "Called again about the same matter and asked for the decision to be changed; "
                       "told the council's position has not changed (benchmark)."}


# ---------------------------------------------------------------- wrk

LUA_CYCLE = """-- cycles through a fixed list of paths; each wrk thread starts elsewhere in it
local paths = {%(paths)s}
local n = #paths
local i = 0
local threads = 0
wrk.method = "%(method)s"
%(headers)s%(body)s
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  i = ((tid or 1) - 1) * math.floor(n / 2)
end
function request()
  i = i + 1
  if i > n then i = 1 end
  return wrk.format(nil, paths[i])
end
"""


def lua_script(path, paths, method="GET", headers=None, body=None):
    hs = "".join('wrk.headers["%s"] = %s\n' % (k, json.dumps(v)) for k, v in (headers or {}).items())
    b = "wrk.body = %s\n" % json.dumps(body) if body is not None else ""
    with open(path, "w") as f:
        f.write(LUA_CYCLE % {"paths": ", ".join(json.dumps(p) for p in paths), "method": method,
                             "headers": hs, "body": b})
    return path


def to_ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m:
        return float("nan")
    x = float(m.group(1))
    return {"us": x / 1000, "ms": x, "s": x * 1000, "m": x * 60000}[m.group(2)]


def parse_wrk(text):
    r = {"rps": float("nan"), "p50": float("nan"), "p99": float("nan"), "requests": 0, "non2xx": 0,
         "errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        r["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+(\S+)" % pct, text, re.M)
        if m:
            r[key] = to_ms(m.group(1))
    m = re.search(r"(\d+) requests in", text)
    if m:
        r["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        r["errors"] = sum(int(x) for x in m.groups())
    return r


class Endpoint:
    """One wrk run per round against one site.  ceiling: the static-file
    endpoint whose same-round req/s its ratio divides by (its engine's)."""

    def __init__(self, key, label, site, url, script=None, headers=None, audited=False, core=True):
        self.key, self.label, self.site, self.url = key, label, site, url
        self.script, self.headers, self.audited, self.core = script, headers or {}, audited, core
        self.engine = getattr(site, "engine", "sqlite3")
        self.ceiling = None
        self.results = []

    def title(self):
        """The label, with the engine when it is not SQLite."""
        return self.label if self.engine == "sqlite3" else "%s [%s]" % (self.label, self.engine)

    def run(self, a, seconds, record=True):
        cmd = ["wrk", "-t%d" % a.threads, "-c%d" % a.connections, "-d%ds" % seconds, "--latency",
               "--timeout", "10s"]
        for k, v in self.headers.items():
            cmd += ["-H", "%s: %s" % (k, v)]
        if self.script:
            cmd += ["-s", self.script]
        cmd.append(self.url)
        load = loadavg()
        cpu0, db_cpu0 = self.site.cpu_seconds(), self.site.db_cpu_seconds()
        res = subprocess.run(cmd, capture_output=True, text=True)
        cpu, db_cpu = self.site.cpu_seconds() - cpu0, self.site.db_cpu_seconds() - db_cpu0
        r = parse_wrk(res.stdout)
        r["drain"] = self.site.drain()
        r["load"] = load
        r["cpu_us"] = cpu / r["requests"] * 1e6 if r["requests"] else float("nan")
        r["db_cpu_us"] = db_cpu / r["requests"] * 1e6 if r["requests"] else float("nan")
        r["raw"] = res.stdout + res.stderr
        if res.returncode != 0:
            out("wrk failed for %s: %s" % (self.title(), res.stderr.strip()))
        if record:
            self.results.append(r)
        return r


def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def ratio(ep):
    """Median over the rounds of req/s over the same round's static file."""
    return med([r["rps"] / s["rps"] for r, s in zip(ep.results, ep.ceiling.results)])


def medof(ep, key):
    return med([r[key] for r in ep.results])


def parse_engines(arg):
    """--engines: the engines to measure, in ENGINES' order, and a note when
    the default leaves PostgreSQL out.  SQLite is always measured: the other
    rows and the checks' reference are its."""
    if arg is None:
        why = pg_load.available()
        if why:
            return ["sqlite3"], "PostgreSQL not measured: %s (--engines sqlite3)" % why
        return list(ENGINES), None
    asked = [e.strip() for e in arg.split(",") if e.strip()]
    unknown = [e for e in asked if e not in ENGINES]
    if unknown or "sqlite3" not in asked:
        sys.exit("--engines: sqlite3, or sqlite3,pgsql (got %r)" % arg)
    if "pgsql" in asked and pg_load.available():
        sys.exit("--engines pgsql: %s" % pg_load.available())
    return [e for e in ENGINES if e in asked], None


def print_verify(engine, times, cpus, lines):
    for t, c, (rc, line) in zip(times, cpus, lines):
        out("  %-7s %.2f s elapsed, %.2f s CPU  exit %d  %s" % (engine, t, c, rc, line))


def start_pgsql(ref_db, entries):
    """The private PostgreSQL server and a database loaded from ref_db;
    prints the server's settings and the loading's timings."""
    out("\n== PostgreSQL: a private server, the main database copied in")
    server = pg_load.start_server()
    try:
        st = pg_load.settings(server)
        out("  PostgreSQL %s on 127.0.0.1:%d (%s); fsync %s, synchronous_commit %s, shared_buffers %s, "
            "max_connections %s" % (st["server_version"], server.port, server.dir, st["fsync"],
                                    st["synchronous_commit"], st["shared_buffers"], st["max_connections"]))
        db, loaded = pg_load.load(ref_db, server)
    except Exception:
        server.destroy()
        raise
    t = loaded["timings"]
    out("  loaded %d rows (%d tables, %d access-log entries) in %.1f s: habitual-admin init %.1f, COPY %.1f "
        "(access log %.1f), indexes %.1f, sequences %.2f, VACUUM ANALYZE %.1f; every table's row count "
        "equals SQLite's" % (loaded["rows"], len(loaded["counts"]), entries, t["total_s"], t["init_s"],
                             t["copy_s"], t.get("access_log_s", 0), t["indexes_s"], t["sequences_s"],
                             t["vacuum_s"]))
    out("  database %s" % db.conninfo)
    return server, db


def answer_faults(ep):
    """"non-2xx/socket errors": wrk counts a connection it cut at the run's end
    as a socket error, never as an answer, so the two are kept apart."""
    return "%d/%d" % (sum(r["non2xx"] for r in ep.results), sum(r["errors"] for r in ep.results))


def results_table(eps, rounds):
    """The SQLite rows: every endpoint, reference rows after the core ones."""
    out("\n== results, SQLite (medians over %d round(s); ratio = req/s over the same round's static file)" % rounds)
    out("| %-58s | %9s | %8s | %8s | %6s | %12s | %12s |" % ("endpoint", "req/s", "p50 ms", "p99 ms", "ratio",
                                                            "httpd us/req", "non-2xx/sock"))
    out("|%s|%s|%s|%s|%s|%s|%s|" % ("-" * 60, "-" * 11, "-" * 10, "-" * 10, "-" * 8, "-" * 14, "-" * 14))
    lite = [ep for ep in eps if ep.engine == "sqlite3"]
    first_ref = next((ep for ep in lite if not ep.core), None)
    for ep in lite:
        if ep is first_ref:
            out("| %-58s | %9s | %8s | %8s | %6s | %12s | %12s |" % ("reference rows (not targets):", "", "", "",
                                                                    "", "", ""))
        out("| %-58s | %9.0f | %8.2f | %8.2f | %6.3f | %12.0f | %12s |" % (
            ep.label, medof(ep, "rps"), medof(ep, "p50"), medof(ep, "p99"), ratio(ep), medof(ep, "cpu_us"),
            answer_faults(ep)))
    if first_ref:
        out("(anchors in ../shared/NOTES.md, another run: static 16.8k req/s, basic auth 0.85x, "
            "basic auth + Require ldap-group with mod_ldap's cache 0.37x)")


def engines_table(eps, engines, rounds, main_label):
    """The main database's endpoints on each engine, one row per engine."""
    by = {(ep.key, ep.engine): ep for ep in eps}
    keys = [ep.key for ep in eps if ep.engine == "pgsql"]
    out("\n== SQLite and PostgreSQL side by side, %s cases, the same data (medians over %d round(s); ratio = req/s "
        "over the same engine's static file in the same round; server us/req: the PostgreSQL server's CPU per "
        "request, on top of httpd's)" % (main_label, rounds))
    out("| %-42s | %-7s | %9s | %8s | %8s | %6s | %12s | %13s | %12s |" % (
        "endpoint", "engine", "req/s", "p50 ms", "p99 ms", "ratio", "httpd us/req", "server us/req", "non-2xx/sock"))
    out("|%s|%s|%s|%s|%s|%s|%s|%s|%s|" % ("-" * 44, "-" * 9, "-" * 11, "-" * 10, "-" * 10, "-" * 8, "-" * 14,
                                          "-" * 15, "-" * 14))
    for key in keys:
        for engine in engines:
            ep = by[(key, engine)]
            server = "%13.0f" % medof(ep, "db_cpu_us") if engine == "pgsql" else "%13s" % "-"
            out("| %-42s | %-7s | %9.0f | %8.2f | %8.2f | %6.3f | %12.0f | %s | %12s |" % (
                ep.label if engine == engines[0] else "", engine, medof(ep, "rps"), medof(ep, "p50"),
                medof(ep, "p99"), ratio(ep), medof(ep, "cpu_us"), server, answer_faults(ep)))


def verdict(ok):
    return "PASS" if ok else "FAIL"


def stock_targets(eps, engines):
    """The stock server's goals: each engine's audited read and write, and
    the static file not slower for the module being loaded."""
    by = {(ep.key, ep.engine): ep for ep in eps}
    t = STOCK_TARGETS
    out("\n== targets on Debian's stock mpm_event.conf (issue 17)")
    for engine in engines:
        n = by[("notices", engine)]
        n_ratio, n_p99 = ratio(n), medof(n, "p99")
        out("  audited read, api/notices [%s]: ratio %.3f (target >= %.2f) %s; p99 %.2f ms (target <= %.0f ms) %s"
            % (engine, n_ratio, t["notices_ratio"][engine], verdict(n_ratio >= t["notices_ratio"][engine]),
               n_p99, t["notices_p99_ms"], verdict(n_p99 <= t["notices_p99_ms"])))
        w_ratio = ratio(by[("write", engine)])
        out("  audited write, POST contacts [%s]: ratio %.3f (target >= %.2f) %s"
            % (engine, w_ratio, t["write_ratio"][engine], verdict(w_ratio >= t["write_ratio"][engine])))
    loaded, bare = medof(by[("static", "sqlite3")], "rps"), medof(by[("static_bare", "sqlite3")], "rps")
    kept = loaded / bare if bare else 0.0
    out("  static file with the module loaded / without it: %.0f / %.0f req/s = %.3f (target >= %.2f) %s"
        % (loaded, bare, kept, t["static_kept"], verdict(kept >= t["static_kept"])))


def targets(eps, engines, label_of, verify):
    """The issue's targets, the notices and write ones per engine."""
    by = {(ep.key, ep.engine): ep for ep in eps}
    out("\n== targets (issue 7)")
    for engine in engines:
        n = by[("notices", engine)]
        n_ratio, n_p99 = ratio(n), medof(n, "p99")
        out("  audited read, api/notices [%s]: ratio %.3f (target >= %.2f) %s; p99 %.2f ms (target <= %.0f ms) %s"
            % (engine, n_ratio, TARGETS["notices_ratio"], verdict(n_ratio >= TARGETS["notices_ratio"]), n_p99,
               TARGETS["notices_p99_ms"], verdict(n_p99 <= TARGETS["notices_p99_ms"])))
    for engine in engines:
        w_ratio = ratio(by[("write", engine)])
        out("  audited write, POST contacts [%s]: ratio %.3f (target >= %.2f) %s"
            % (engine, w_ratio, TARGETS["write_ratio"], verdict(w_ratio >= TARGETS["write_ratio"])))
    small, large = by[("case_small", "sqlite3")], by[("case_large", "sqlite3")]
    scale = medof(large, "p50") / medof(small, "p50")
    out("  GET api/cases/{id} p50 at %s cases / at %s cases [sqlite3]: %.2fx (target <= %.1fx) %s"
        % (label_of(large), label_of(small), scale, TARGETS["case_scale"], verdict(scale <= TARGETS["case_scale"])))
    for engine in engines:
        v = verify[engine]
        out("  verify-audit of %d entries [%s]: %.2f s (target <= %.0f s) %s%s; %.2f s of CPU (habitual-admin's%s)"
            % (v["entries"], engine, v["s"], TARGETS["verify_s"], verdict(v["s"] <= TARGETS["verify_s"] and v["ok"]),
               "" if v["ok"] else " (chain NOT ok%s)" % v.get("why", ""), v["cpu"],
               ", not the server's" if engine == "pgsql" else ""))


def verify_result(times, cpus, lines, entries, want_line=None):
    """The best of the runs; ok when every run passed (and, for PostgreSQL,
    printed what SQLite's printed: the same entries, the same head)."""
    ok = all(rc == 0 for rc, _ in lines)
    v = {"s": min(times), "cpu": min(cpus), "ok": ok, "entries": entries}
    if ok and want_line is not None and any(line != want_line for _, line in lines):
        v["ok"], v["why"] = False, ": not SQLite's %r" % want_line
    return v


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of unrecorded load per endpoint first")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds (medians are reported)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--sizes", default="1000,10000,100000", help="case counts; the middle one is the main site")
    ap.add_argument("--contacts-per-case", type=int, default=10)
    ap.add_argument("--log", type=int, default=1000000, help="access-log entries in each database")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data-dir", default=os.path.join(HERE, ".data"))
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--auth", choices=["sha1", "bcrypt"], default="sha1",
                    help="password hashes for the /habitual sign-in (default sha1; see the docstring)")
    ap.add_argument("--engines", default=None,
                    help="sqlite3, or sqlite3,pgsql: the main database's endpoints on PostgreSQL too "
                         "(default: both when PostgreSQL is installed)")
    ap.add_argument("--core-only", action="store_true", help="only the issue's rows, no reference rows")
    ap.add_argument("--no-tmpfs", action="store_true", help="skip the database-on-tmpfs rows")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 1k/2k/5k cases, 20k log entries, 3 s runs")
    ap.add_argument("--keep", action="store_true", help="keep the servers' directory")
    ap.add_argument("--stock-mpm", action="store_true",
                    help="Debian's stock mpm_event.conf instead of the rig's one process of 64 threads")
    ap.add_argument("--nesting-depth", type=int, default=0,
                    help="HabitualGroupNestingDepth for the module (default 0: direct members only)")
    a = ap.parse_args()
    OPTIONS["stock_mpm"] = a.stock_mpm
    OPTIONS["nesting_depth"] = a.nesting_depth
    if a.quick:
        a.sizes, a.log, a.duration, a.warmup = "1000,2000,5000", 20000, 3, 1
        a.data_dir = os.path.join(a.data_dir, "quick")
    sizes = [int(s) for s in a.sizes.split(",")]
    if len(sizes) != 3:
        sys.exit("--sizes takes three case counts: small,main,large")
    engines, engines_note = parse_engines(a.engines)
    if not shutil.which("wrk"):
        if os.geteuid() == 0:
            subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "wrk"], check=True)
        else:
            sys.exit("wrk is missing: sudo apt-get install wrk")
    today = dt.date.today().isoformat()

    out("== mod_habitual benchmark, %s" % time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    for line in machine(engines):
        out(line)
    out("wrk -t%d -c%d, %d s per run after %d s warm-up, %d round(s); sign-in hashes: %s; load average at start %s"
        % (a.threads, a.connections, a.duration, a.warmup, a.rounds, a.auth, loadavg()))
    out("engines: %s%s" % (", ".join(engines), "; " + engines_note if engines_note else ""))

    out("\n== databases")
    os.makedirs(a.data_dir, exist_ok=True)
    dbs = {}
    for n in sizes:
        dbs[n] = ensure_db(a.data_dir, n, n * a.contacts_per_case, a.log, a.seed, a.regenerate)
    for n in sizes:
        m = dbs[n][1]
        t = m["timings"]
        out("  %7d cases: %s; %d contacts, %d incidents, %d restrictions, %d letters, %d grants, %d log entries; "
            "%.0f MB; generated in %.1f s (cases %.1f, log %.1f, indexes %.1f, checks %.1f)"
            % (n, ", ".join("%s %d" % kv for kv in m["by_state"].items()), m["counts"]["contacts"],
               m["counts"]["contact_incidents"], m["counts"]["restrictions"], m["counts"]["letters"],
               m["counts"]["grants"], m["counts"]["access_log"], m["bytes"] / 1e6, t["total_s"], t["cases_s"],
               t["access_log_s"], t["indexes_s"], t["checks_s"]))

    workdir = tempfile.mkdtemp(prefix="habitual-bench-")
    os.chmod(workdir, 0o755)
    shm_dir = None
    sites = {}
    bare = None
    slapd = None
    pg_server = None
    try:
        small, main_n, large = sizes
        main_db = dbs[main_n][0]
        entries = dbs[main_n][1]["counts"]["access_log"]
        # the main database at this build's schema, never served: verify-audit's
        # file, PostgreSQL's source and the pgsql site's reference
        ref_db = copy_db(main_db, os.path.join(workdir, "reference"))
        if "pgsql" in engines:
            pg_server, pg_db = start_pgsql(ref_db, entries)
        out("\n== verify-audit (%d entries, %d cases, warm page cache)" % (entries, main_n))
        verify = {}
        times, cpus, lines = time_verify(ref_db)
        print_verify("sqlite3", times, cpus, lines)
        verify["sqlite3"] = verify_result(times, cpus, lines, entries)
        if "pgsql" in engines:
            ptimes, pcpus, plines = time_verify(pg_db)
            print_verify("pgsql", ptimes, pcpus, plines)
            verify["pgsql"] = verify_result(ptimes, pcpus, plines, entries, want_line=lines[0][1])
        else:
            os.remove(ref_db)

        out("\n== servers")
        slapd = rig.Slapd(workdir).start()
        sites["main"] = Site("main", workdir, slapd, main_db, os.path.join(workdir, "db-main"), a.auth)
        sites["small"] = Site("small", workdir, slapd, dbs[small][0], os.path.join(workdir, "db-small"), a.auth)
        sites["large"] = Site("large", workdir, slapd, dbs[large][0], os.path.join(workdir, "db-large"), a.auth)
        if not a.no_tmpfs and not a.core_only and os.path.isdir("/dev/shm"):
            shm_dir = tempfile.mkdtemp(prefix="habitual-bench-", dir="/dev/shm")
            os.chmod(shm_dir, 0o755)
            sites["shm"] = Site("shm", workdir, slapd, main_db, os.path.join(shm_dir, "db"), a.auth)
        if "pgsql" in engines:
            sites["pgsql"] = Site("pgsql", workdir, slapd, pg_db, None, a.auth, ref_db=ref_db)
        for s in sites.values():
            out("  %-5s httpd %s: %s" % (s.label, s.base, s.httpd.db_directive()))
        if OPTIONS["stock_mpm"]:
            bare = BareSite(workdir, slapd)
            out("  %-5s httpd %s: the same server without mod_habitual" % (bare.label, bare.base))
        with open(sites["main"].httpd.conf) as f:
            conf = f.read()
        keys = ("StartServers", "ServerLimit", "ThreadsPerChild", "MaxRequestWorkers", "LogLevel", "LDAPCacheTTL",
                "LDAPOpCacheTTL", "HabitualRoleCacheTTL")
        found = [m.group(0).strip() for k in keys for m in [re.search(r"^\s*%s\s+\S+" % k, conf, re.M)] if m]
        out("  httpd configuration (the rig's, event MPM): %s%s" % (", ".join(found), "" if "HabitualRoleCacheTTL" in conf
                                                               else " (HabitualRoleCacheTTL: the module's default)"))

        out("\n== checks: the module reads the generated data")
        check_rng = random.Random(a.seed)
        checked_requests = {}
        for key, s in sites.items():
            n = {"main": main_n, "small": small, "large": large, "shm": main_n, "pgsql": main_n}[key]
            audited, cases_checked, notices = check_site(s, dbs[n][1], check_rng, today)
            checked_requests[key] = audited
            out("  %-5s ok: %d sample cases match SQLite (every state, lapsed too), bob's %d notices, a letter, "
                "a write" % (key, cases_checked, notices))

        # ---- endpoints
        eps = []
        lua_dir = os.path.join(workdir, "lua")
        os.makedirs(lua_dir)
        bob, carol = auth_header("bob"), auth_header("carol")

        def case_paths(n, prefix="/habitual"):
            ids = list(range(1, n + 1))
            random.Random(a.seed).shuffle(ids)
            return ["%s/api/cases/%d" % (prefix, i) for i in ids[:1000]]

        def write_script(s, name):
            token = requests.get(s.base + "/habitual/api/me", auth=("carol", rig.PASSWORD),
                                 timeout=30).json()["csrf_token"]
            ids = open_case_ids(s.ref_db, today, random.Random(a.seed), 1000)
            return lua_script(os.path.join(lua_dir, name), ["/habitual/api/cases/%d/contacts" % i for i in ids],
                              "POST", {"Authorization": carol, "Content-Type": "application/json",
                                       "X-CSRF-Token": token}, json.dumps(contact_body(today)))

        def case_script(s, n, name):
            return lua_script(os.path.join(lua_dir, name), case_paths(n), "GET", {"Authorization": carol})

        m, sm, lg = sites["main"], sites["small"], sites["large"]
        # the main database's endpoints, on SQLite then on PostgreSQL, one after the other
        main_sites = [m] + ([sites["pgsql"]] if "pgsql" in sites else [])

        def on_each_engine(make):
            eps.extend(make(s) for s in main_sites)

        k = lambda n: "%dk" % (n // 1000) if n >= 1000 else str(n)
        on_each_engine(lambda s: Endpoint("static", "static file (ceiling)", s, s.base + "/static.txt"))
        if bare:
            eps.append(Endpoint("static_bare", "ref: static file, module not loaded", bare,
                                bare.base + "/static.txt"))
        on_each_engine(lambda s: Endpoint("notices", "GET api/notices, bob (%s)" % k(main_n), s,
                                          s.base + "/habitual/api/notices", headers={"Authorization": bob},
                                          audited=True))
        on_each_engine(lambda s: Endpoint("case", "GET api/cases/{id}, carol (%s)" % k(main_n), s, s.base,
                                          script=case_script(s, main_n, "case-%s.lua" % s.label), audited=True))
        on_each_engine(lambda s: Endpoint("write", "POST api/cases/{id}/contacts (%s)" % k(main_n), s, s.base,
                                          script=write_script(s, "write-%s.lua" % s.label), audited=True))
        eps.append(Endpoint("case_small", "GET api/cases/{id}, carol (%s)" % k(small), sm, sm.base,
                            script=case_script(sm, small, "case-small.lua"), audited=True))
        eps.append(Endpoint("case_large", "GET api/cases/{id}, carol (%s)" % k(large), lg, lg.base,
                            script=case_script(lg, large, "case-large.lua"), audited=True))
        if not a.core_only:
            eps.append(Endpoint("ref_auth", "ref: static + basic auth ({SHA})", m, m.base + "/ref-auth/static.txt",
                                headers={"Authorization": carol}, core=False))
            eps.append(Endpoint("ref_bcrypt", "ref: static + basic auth, bcrypt cost 4 (the rig's)", m,
                                m.base + "/ref-bcrypt/static.txt", headers={"Authorization": carol}, core=False))
            eps.append(Endpoint("ref_ldap", "ref: static + basic auth + Require ldap-group", m,
                                m.base + "/ref-ldap/static.txt", headers={"Authorization": carol}, core=False))
            eps.append(Endpoint("me", "ref: GET api/me, bob (roles, no database)", m, m.base + "/habitual/api/me",
                                headers={"Authorization": bob}, core=False))
            eps.append(Endpoint("notices_small", "GET api/notices, bob (%s)" % k(small), sm,
                                sm.base + "/habitual/api/notices", headers={"Authorization": bob}, audited=True,
                                core=False))
            eps.append(Endpoint("notices_large", "GET api/notices, bob (%s)" % k(large), lg,
                                lg.base + "/habitual/api/notices", headers={"Authorization": bob}, audited=True,
                                core=False))
            eps.append(Endpoint("notices_bcrypt", "GET api/notices, bob, bcrypt sign-in (%s)" % k(main_n), m,
                                m.base + "/hbcrypt/api/notices", headers={"Authorization": bob}, audited=True,
                                core=False))
            if "shm" in sites:
                sh = sites["shm"]
                eps.append(Endpoint("shm_notices", "GET api/notices, bob (%s, db on tmpfs)" % k(main_n), sh,
                                    sh.base + "/habitual/api/notices", headers={"Authorization": bob}, audited=True,
                                    core=False))
                eps.append(Endpoint("shm_case", "GET api/cases/{id}, carol (%s, db on tmpfs)" % k(main_n), sh,
                                    sh.base, script=case_script(sh, main_n, "case-shm.lua"), audited=True,
                                    core=False))
                eps.append(Endpoint("shm_write", "POST api/cases/{id}/contacts (%s, db on tmpfs)" % k(main_n), sh,
                                    sh.base, script=write_script(sh, "write-shm.lua"), audited=True, core=False))
        # each ratio divides by its engine's static file (every SQLite row by the main site's)
        ceilings = {ep.engine: ep for ep in eps if ep.key == "static"}
        for ep in eps:
            ep.ceiling = ceilings[ep.engine]

        log_before = {key: s.log_count() for key, s in sites.items()}
        out("\n== warm-up (%d s each, not recorded)" % a.warmup)
        warm = {}
        for ep in eps:
            r = ep.run(a, a.warmup, record=False)
            if ep.audited:
                warm[ep.site.label] = warm.get(ep.site.label, 0) + r["requests"]
            if r["non2xx"] or r["errors"] or not r["requests"]:
                out("  %s: %d requests completed, %d non-2xx, %d socket errors%s" % (
                    ep.title(), r["requests"], r["non2xx"], r["errors"],
                    "\n" + r["raw"] if r["non2xx"] or r["errors"] else " (slower than the warm-up)"))
        out("  done")

        for rnd in range(a.rounds):
            out("\n== round %d of %d" % (rnd + 1, a.rounds))
            for ep in eps:
                r = ep.run(a, a.duration)
                server = "  +%5.0f us server" % r["db_cpu_us"] if ep.engine == "pgsql" else ""
                out("  %-58s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  %6.0f us CPU/req%s  non-2xx %d  errors %d  "
                    "load %s%s" % (ep.title(), r["rps"], r["p50"], r["p99"], r["cpu_us"], server, r["non2xx"],
                                   r["errors"], r["load"],
                                   "  (idle again after %.0f s)" % r["drain"] if r["drain"] > 2 else ""))

        # ---- the tables
        results_table(eps, a.rounds)
        if "pgsql" in engines:
            engines_table(eps, engines, a.rounds, k(main_n))
        label_of = lambda ep: {"case_small": k(small), "case_large": k(large)}[ep.key]
        targets(eps, engines, label_of, verify)
        if bare:
            stock_targets(eps, engines)

        # ---- the access log kept up: one entry per audited request answered
        out("\n== after the run")
        for key, s in sites.items():
            appended = s.log_count() - log_before[key]
            answered = sum(r["requests"] for ep in eps if ep.site is s and ep.audited for r in ep.results) \
                + warm.get(s.label, 0)
            out("  %-5s access-log entries appended %d; audited requests answered (wrk counts completed ones) %d"
                % (key, appended, answered))
        for key, s in sites.items():
            errs = s.error_lines()
            out("  %-5s error log: %d error lines%s" % (key, len(errs), (": " + " | ".join(errs[:3])) if errs else ""))
        if pg_server:
            errs = pg_load.error_lines(pg_server)
            out("  pgsql server log (%s): %d ERROR/FATAL/PANIC lines%s"
                % (pg_server.logfile, len(errs), (": " + " | ".join(errs[:3])) if errs else ""))
        for s in sites.values():
            s.stop()
        for key in ("main", "pgsql"):
            if key in sites:
                t = time.time()
                res = rig.admin(sites[key].db, "verify-audit", check=False)
                out("  %-5s verify-audit after the run: %s (exit %d, %.2f s)"
                    % (key, res.stdout.strip() or res.stderr.strip(), res.returncode, time.time() - t))
        out("  load average at the end %s" % loadavg())
    finally:
        for s in sites.values():
            s.stop()
        if bare:
            bare.stop()
        if slapd:
            slapd.stop()
        if pg_server:
            pg_server.destroy()
            rig.stop_all()    # and the rig's initdb copy of this run
        if shm_dir:
            shutil.rmtree(shm_dir, ignore_errors=True)
        if a.keep:
            out("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
