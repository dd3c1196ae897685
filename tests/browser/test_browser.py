"""Browser tests of the intranet pages (issue 5), in Debian's Chromium driven by
playwright-core: each role's journey through the real pages, axe-core on every
page and form error state, the concern form by keyboard alone, the pages without
JavaScript, forms with a bad CSRF token refused and changing nothing, and a
screenshot of every page visited (tests/browser/screenshots/).

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/browser

One rig (private slapd + httpd + SQLite, tests/rig/rig.py) serves the whole module,
seeded with the demo's cases in every state (tests/rig/seed_demo.py). The journeys
are Node scripts (journeys.js, harness.js, using axe_check.js): each scenario runs
once, writes its findings as JSON, and the tests below judge them. A finding that
is a known bug of the pages is listed in KNOWN_BUGS: it does not fail the scenario's
test, but has an xfail(strict=True) test of its own that fails the day it is fixed,
so the entry can be removed.

HABITUAL_UPDATE_README_SCREENSHOTS=1 also refreshes the three screenshots the README
shows (tests/browser/readme/); otherwise they are written only when missing.
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
RIG_DIR = os.path.join(HERE, "..", "rig")
sys.path.insert(0, RIG_DIR)
import rig  # noqa: E402
import seed_demo  # noqa: E402

COUNCIL = "Example Borough Council"
SHOTS = os.path.join(HERE, "screenshots")
README_SHOTS = os.path.join(HERE, "readme")
NODE_TIMEOUT = 900
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The demo's cases (seed_demo.py), by state, through their council references.
DEMO_CASES = {"referred": "DEMO-01", "warned": "DEMO-02", "reported": "DEMO-03", "active": "DEMO-04",
              "interim": "DEMO-05", "closed": "DEMO-06", "appeal": "DEMO-07", "ended": "DEMO-08",
              "lapsed": "DEMO-09"}


# ---------------------------------------------------------------------------
# Known bugs of the pages, found by these tests. Each finding is
# {scenario, kind, page, detail, ...} as harness.js records it; a bug says which
# findings are its own. The scenarios' tests ignore those findings; each bug has an
# xfail(strict=True) test of its own (test_known_bug) that fails once it is fixed.
# ---------------------------------------------------------------------------

class Bug:
    def __init__(self, bug_id, reason, scenarios, match):
        self.id = bug_id
        self.reason = reason
        self.scenarios = scenarios
        self.match = match


EMPTY_CONCERN_ERROR = "person is required."

# Every bug this suite found has been fixed; a new one goes here with its
# own xfail(strict=True) test until it is.
KNOWN_BUGS = []


def known_bug(finding):
    for bug in KNOWN_BUGS:
        if bug.match(finding):
            return bug.id
    return None


# ---------------------------------------------------------------------------
# The environment: node, Chromium, the rig
# ---------------------------------------------------------------------------

def csrf_token(secret, user, issued):
    """The pages' CSRF token, made as README "The JSON API: the envelope" says."""
    msg = ("habitual-csrf-v1\n%s\n%d" % (user, issued)).encode()
    return "%x.%s" % (issued, hmac.new(secret, msg, hashlib.sha256).hexdigest())


# The access log and its index of the cases shown: every request may add to
# them (the index in arrears, whichever entry's turn it is: README "The
# access log"); the tests count the log's entries themselves.
LOG_TABLES = ("access_log", "access_log_cases", "access_log_case_blocks")


class Db:
    def __init__(self, path):
        self.path = path

    def _connect(self):
        return sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=10)

    def counts(self):
        """Rows in every table but the access log's."""
        with self._connect() as c:
            tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            return {t: c.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0] for t in tables
                    if t not in LOG_TABLES}

    def contents(self):
        """A digest of every row of every table but the access log's: catches an
        UPDATE (a revoked grant) that row counts would not."""
        with self._connect() as c:
            tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            return {t: hashlib.sha256(repr(c.execute('SELECT * FROM "%s" ORDER BY rowid' % t).fetchall()).encode())
                    .hexdigest() for t in tables if t not in LOG_TABLES}

    def query(self, sql, args=()):
        with self._connect() as c:
            return c.execute(sql, args).fetchall()


class Env:
    def __init__(self, r):
        self.rig = r
        self.base = r.httpd.base()
        self.db = Db(r.db)
        with open(r.httpd.secret_file, "rb") as f:
            self.secret = f.read().rstrip(b"\r\n")
        self.stamp = str(int(time.time()))
        self.cases = {state: self.case_id(ref) for state, ref in DEMO_CASES.items()}
        self.results = {}
        self.outputs = {}
        self.done = {}
        self.streams = []
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix="habitual-browser-")

    def case_id(self, reference):
        rows = self.db.query("SELECT c.id FROM cases c JOIN persons p ON p.id = c.person_id "
                             "WHERE p.reference = ?", (reference,))
        assert rows, "no case for %s" % reference
        return rows[0][0]

    def api(self, user):
        return seed_demo.Api(self.base, user)

    def config(self, **extra):
        cfg = {"base": self.base, "council": COUNCIL, "today": datetime.date.today().isoformat(),
               "stamp": self.stamp, "cases": self.cases}
        cfg.update(extra)
        return cfg

    def node(self, scenario, **extra):
        """Run one scenario of journeys.js now; returns (results, output)."""
        cfg_file = os.path.join(self.tmp, "%s.json" % scenario)
        # beside the screenshots, for whoever reviews them
        res_file = os.path.join(SHOTS, "%s-results.json" % scenario)
        os.makedirs(SHOTS, exist_ok=True)
        if os.path.exists(res_file):
            os.remove(res_file)
        with open(cfg_file, "w") as f:
            json.dump(self.config(**extra), f)
        started = time.time()
        # its own process group, so node and the Chromium it starts can be stopped
        # together, by node's PID (see stop())
        proc = subprocess.Popen(["node", "journeys.js", scenario, cfg_file, res_file], cwd=HERE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        self.procs.append(proc)
        try:
            out, _ = proc.communicate(timeout=NODE_TIMEOUT)
            output = "$ node journeys.js %s (%.0f s, exit %d)\n%s" % (
                scenario, time.time() - started, proc.returncode, out)
            ok = proc.returncode == 0 and os.path.exists(res_file)
        except subprocess.TimeoutExpired:
            self.stop_process(proc)
            out, _ = proc.communicate()
            output = "$ node journeys.js %s: timed out after %d s\n%s" % (scenario, NODE_TIMEOUT, out)
            ok = False
        self.outputs[scenario] = output
        if ok:
            with open(res_file) as f:
                self.results[scenario] = json.load(f)
        else:
            self.results[scenario] = None
        return self.results[scenario], output

    @staticmethod
    def stop_process(proc):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group node leads: node and its Chromium
            except ProcessLookupError:
                pass

    def stop(self):
        """Stop the scenarios still running (a partial run, an interrupted one)."""
        for proc in self.procs:
            self.stop_process(proc)
        for t in self.streams:
            t.join(30)

    def start(self, *scenarios):
        """Run scenarios one after the other in the background; scenario() waits."""
        for name in scenarios:
            self.done[name] = threading.Event()

        def stream():
            for name in scenarios:
                try:
                    self.node(name)
                except Exception as e:  # recorded; the scenario's test reports it
                    self.outputs[name] = "the scenario could not start: %r" % e
                    self.results[name] = None
                finally:
                    self.done[name].set()

        t = threading.Thread(target=stream, daemon=True)
        t.start()
        self.streams.append(t)

    def quiet(self):
        """Wait until no scenario runs in the background (before changing the rig,
        or counting rows)."""
        for t in self.streams:
            t.join(NODE_TIMEOUT * 4)

    def scenario(self, scenario, **extra):
        """A scenario's results: from the background run, or run now."""
        if scenario in self.done:
            self.done[scenario].wait(NODE_TIMEOUT * 4)
        elif scenario not in self.results:
            self.node(scenario, **extra)
        results = self.results.get(scenario)
        assert results is not None, "the %s scenario could not run:\n%s" % (scenario, tail(self.outputs.get(scenario, "")))
        return results


def tail(text, lines=150):
    parts = text.splitlines()
    return "\n".join(parts if len(parts) <= lines else ["[... %d lines ...]" % (len(parts) - lines)] + parts[-lines:])


def describe(findings):
    out = []
    for f in findings:
        out.append("- [%s] %s: %s" % (f["kind"], f["page"], f["detail"]))
        for n in f.get("nodes", [])[:3]:
            out.append("      at %s: %s" % (" ".join(n["target"]), n["html"][:200]))
    return "\n".join(out)


def judge(env, scenario, **extra):
    """Fail on every finding of the scenario that is not a known bug."""
    results = env.scenario(scenario, **extra)
    unexpected = [f for f in results["failures"] if not known_bug(f)]
    assert not unexpected, "%d problem(s) in the %s scenario:\n%s\n\nnode output:\n%s" % (
        len(unexpected), scenario, describe(unexpected), tail(env.outputs[scenario]))
    assert results["pages"], "the %s scenario checked no page:\n%s" % (scenario, tail(env.outputs[scenario]))
    return results


@pytest.fixture(scope="module")
def env():
    if not shutil.which("node"):
        pytest.fail("node is not installed (make deps, or apt-get install nodejs npm)")
    if not os.path.exists(CHROMIUM):
        pytest.fail("%s is not installed (make deps, or apt-get install chromium)" % CHROMIUM)
    if not all(os.path.isdir(os.path.join(HERE, "node_modules", m)) for m in ("playwright-core", "axe-core")):
        npm = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True)
        assert npm.returncode == 0, "npm ci in tests/browser failed:\n%s%s" % (npm.stdout, npm.stderr)
    # SQLite always (whatever HABITUAL_DB says): the CSRF test reads the database file
    workdir = tempfile.mkdtemp(prefix="habitual-rig-browser-")
    os.chmod(workdir, 0o755)
    try:
        r = rig.Rig(workdir=workdir, db=os.path.join(workdir, "db", "habitual.db"),
                    extra_location='    HabitualCouncilName "%s"' % COUNCIL)
    except Exception:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    e = None
    try:
        seed_demo.seed(r)
        e = Env(r)
        # Two browsers at a time: the scenarios use cases of their own, so they can
        # share the rig; the CSRF and 503 tests wait until both are done.
        e.start("pages")
        e.start("journey", "steps", "keyboard", "nojs")
        yield e
    finally:
        if e:
            e.stop()
        r.httpd.stop()
        log = r.httpd.read_error_log()
        r.stop()
        if e:
            shutil.rmtree(e.tmp, ignore_errors=True)
        crashed = [line for line in log.splitlines() if "Segmentation fault" in line or "exit signal" in line]
        assert not crashed, "httpd children crashed:\n" + "\n".join(crashed)


# ---------------------------------------------------------------------------
# The scenarios
# ---------------------------------------------------------------------------

def test_journey_of_every_role(env):
    """alice raises -> carol warns and reports -> chris approves (and the decision
    letter prints without navigation) -> olive passes the notice to bob -> bob sees
    the notice, not the file -> audrey finds each of those views in the access log
    and the chain intact; axe on every page and error state on the way."""
    results = judge(env, "journey")
    refresh_readme_screenshots(results)


def test_axe_on_every_page_for_the_role_that_may_open_it(env):
    """Every page, each error page (403, 404, 405, 409, 400, 413, 415; 503 below),
    each form's error state, every rule refusal shown, reflow at 320 px; every link
    each role is shown leads somewhere it may go."""
    judge(env, "pages")


def test_every_step_through_its_form_and_axe_saw_every_page(env):
    """Each step of the procedure through its page to its success banner, every
    letter (and one printed); then: pages and steps together ran axe on every page
    of the service (journeys.js requiredCoverage)."""
    judge(env, "steps")
    proc = subprocess.run(["node", "journeys.js", "required-coverage"], cwd=HERE, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    required = json.loads(proc.stdout)
    seen = set(env.scenario("pages")["coverage"]) | set(env.scenario("steps")["coverage"])
    missing = [{"scenario": "steps", "kind": "coverage", "page": "coverage", "detail": "axe never ran on %s" % key}
               for key in required if key not in seen]
    unexpected = [f for f in missing if not known_bug(f)]
    assert not unexpected, "pages of the service axe never saw:\n%s\n(seen: %s)" % (describe(unexpected), sorted(seen))


def test_concern_form_by_keyboard_alone(env):
    """The skip link first, then Tab/Shift+Tab through every field in order, Space
    on checkboxes and radios, arrows in a radio group, typing, Enter on the button:
    the error summary, then the case page with its banner."""
    judge(env, "keyboard")


def test_pages_work_without_javascript(env):
    """The concern form (its error state included), the CEM's warning and report
    with JavaScript off; axe on each page as loaded without scripts."""
    judge(env, "nojs")


def test_forms_without_a_good_csrf_token_are_refused_and_change_nothing(env):
    """Each kind of form, posted from the real page with the token removed, empty,
    13 hours old, another user's or forged: a 403 page, one refused entry in the
    access log each, and not one row more or less in any other table. The same
    forms with a token made the same way but fresh are then accepted, so the
    refusals were the token's doing."""
    env.quiet()
    api = {u: env.api(u) for u in ("alice", "carol", "chris")}
    cases = {}

    def raised(ref):
        return api["alice"].post("api/cases", seed_demo.concern("Tess Token", ref, ["excessive-contact"],
                                                                "Calls every hour."))["id"]

    cases["referred"] = raised("CSRF-%s-1" % env.stamp)
    cases["warned"] = raised("CSRF-%s-2" % env.stamp)
    cases["reported"] = raised("CSRF-%s-3" % env.stamp)
    cases["active"] = raised("CSRF-%s-4" % env.stamp)
    for key in ("warned", "reported", "active"):
        api["carol"].post("api/cases/%d/warning" % cases[key],
                          {"on": seed_demo.day(-1), "method": "letter", "text": "One call a day, please."})
    for key in ("warned", "reported", "active"):
        # the behaviour went on after the warning (R19: a report needs a contact since it)
        api["carol"].post("api/cases/%d/contacts" % cases[key], {
            "at": seed_demo.day(0), "channel": "phone", "direction": "inbound", "summary": "Called again."})
    for key in ("reported", "active"):
        api["carol"].post("api/cases/%d/report" % cases[key], {
            "behaviour": "The calls went on.", "restrictions": [{"type": "decline-channels", "channels": ["phone"]}],
            "period_months": 6, "alternatives_considered": "A single point of contact."})
    api["chris"].post("api/cases/%d/decision" % cases["active"],
                      {"outcome": "approve", "justified": True, "proportionate": True, "reasons": "Justified."})
    api["carol"].post("api/cases/%d/grants" % cases["active"],
                      {"user": "bob", "reason": "Front desk.", "expires": seed_demo.day(30)})

    now = int(time.time())
    users = ("alice", "carol", "chris", "olive")
    tokens = {
        "stale": {u: csrf_token(env.secret, u, now - 13 * 3600) for u in users},
        "other-user": {u: csrf_token(env.secret, "bob" if u != "bob" else "alice", now) for u in users},
        "forged": {u: csrf_token(b"not-the-rig-secret-" + os.urandom(16), u, now) for u in users},
        "fresh": {u: csrf_token(env.secret, u, now) for u in users},
    }
    before = env.db.counts()
    digest = env.db.contents()
    last_seq = env.db.query("SELECT max(seq) FROM access_log")[0][0]
    results = judge(env, "csrf", csrf={"cases": cases, "tokens": tokens})
    after = env.db.counts()
    changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
    assert not changed, "refused forms changed the database (table: rows before, after): %s" % changed
    altered = [t for t, d in env.db.contents().items() if digest.get(t) != d]
    assert not altered, "refused forms changed rows of: %s" % altered
    posts = env.db.query("SELECT user, action, outcome, status FROM access_log WHERE seq > ? AND status = 403",
                         (last_seq,))
    submitted = sum(int(n.split(": ")[1]) for n in results["notes"] if n.startswith("refused submissions: "))
    assert submitted == 35, "expected 7 forms x 5 tokens submitted, saw %d" % submitted
    assert len(posts) == submitted and all(p[2] == "refused" for p in posts), \
        "each refused form should write one refused 403 entry to the access log: %s" % posts

    # the control: a fresh token made the same way is accepted, and things change
    judge(env, "csrf-control", csrf={"cases": cases, "tokens": tokens})
    done = env.db.counts()
    for table, more in (("cases", 1), ("warnings", 1), ("reports", 1), ("decisions", 1), ("absences", 1)):
        assert done[table] == after[table] + more, "the control run should add %d row to %s" % (more, table)
    grants = dict(env.db.query("SELECT grantee, revoked_at IS NOT NULL FROM grants WHERE case_id = ?", (cases["active"],)))
    assert grants == {"bob": 1, "oscar": 0}, "the control run should revoke bob's grant and grant oscar: %s" % grants


def test_the_503_page_while_the_directory_is_down(env):
    env.quiet()
    slapd = env.rig.slapd
    slapd.stop()
    try:
        time.sleep(1.5)  # past the rig's LDAPCacheTTL/LDAPOpCacheTTL of 1 s
        results, output = env.node("unavailable")
    finally:
        slapd.start()
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                if requests.get(env.base + "/api/me", auth=("carol", "password"), timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
    judge(env, "unavailable")


def test_every_page_visited_has_a_screenshot(env):
    for scenario in ("journey", "pages", "steps", "keyboard", "nojs"):
        results = env.scenario(scenario)
        missing = [s for s in results["screenshots"] if not os.path.exists(os.path.join(SHOTS, s))]
        assert results["screenshots"] and not missing, "%s: screenshots missing: %s" % (scenario, missing)
        # one per page seen (a page seen again is not shot again), and a few of states between
        assert len(results["screenshots"]) >= len([p for p in results["pages"] if not p.get("again")])


# ---------------------------------------------------------------------------
# The known bugs, one test each: xfail while the bug is there
# ---------------------------------------------------------------------------

# (defined only while there are known bugs: an empty parameter list would show
# as a skipped test, which is not a check)
if KNOWN_BUGS:
    @pytest.mark.parametrize("bug", [
        pytest.param(b, id=b.id, marks=pytest.mark.xfail(strict=True, reason="BUG: " + b.reason))
        for b in KNOWN_BUGS])
    def test_known_bug(env, bug):
        found = [f for s in bug.scenarios for f in env.scenario(s)["failures"] if bug.match(f)]
        assert not found, "BUG %s, still there:\n%s" % (bug.id, describe(found))


# ---------------------------------------------------------------------------

README_PICKS = {
    "journey-readme-cem-case-page.png": "cem-case-page.png",
    "journey-readme-concern-form-errors.png": "concern-form-errors.png",
    "journey-readme-notice.png": "notice.png",
}


def refresh_readme_screenshots(results):
    """Three screenshots for the README, as palette PNGs (png_palette.js) to keep
    them small; written when missing, or when HABITUAL_UPDATE_README_SCREENSHOTS=1."""
    update = os.environ.get("HABITUAL_UPDATE_README_SCREENSHOTS") == "1"
    os.makedirs(README_SHOTS, exist_ok=True)
    for src, dst in README_PICKS.items():
        target = os.path.join(README_SHOTS, dst)
        if update or not os.path.exists(target):
            proc = subprocess.run(["node", "png_palette.js", os.path.join(SHOTS, src), target], cwd=HERE,
                                  capture_output=True, text=True)
            assert proc.returncode == 0, proc.stdout + proc.stderr
        assert os.path.getsize(target) < 400 * 1024, "%s is over 400 KB" % target
