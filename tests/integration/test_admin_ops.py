"""Issue 6: the operations verbs of habitual-admin -- reviews, backup, sar,
purge, notify, report -- each against a database seeded through the real API
of a rig (dates in the past come from decision `start` dates, and for purge
from closing/ending times set directly in the database).  On PostgreSQL
`backup` says to use pg_dump; its tests there take a pg_dump instead."""

import csv
import datetime
import io
import json
import os
import sqlite3
import statistics
import threading
import uuid

import pytest

import rig
from conftest import LOG_TABLES, PG, SCHEMA_MIGRATIONS, SCHEMA_VERSION, Db, missing_database, new_database, pgsql_only, sqlite_only
from helpers_faults import integrity
from helpers_procedure import (
    FutureServer, add_months, fake_sendmail, iso, parse_mails, period_end, review_due, today,
)

CHIEF_OFFICER_MAILS = {"olive@example.org", "oscar@example.org", "dana@example.org"}


# ---- dates (an oracle independent of the module's own calculation) ----

def days(n):
    return datetime.timedelta(days=n)


def start_for_review_due(target, months):
    """A start date whose period of `months` has its review due on `target`."""
    for back in range(0, 800):
        s = target - days(back)
        if review_due(s, months) == target:
            return s
    raise AssertionError("no start for %s" % target)


def time_on(d):
    return "%sT10:00:00Z" % iso(d)


# ---- seeding through the API ----

def ok(r, status=(200, 201)):
    assert r.status_code in status, (r.status_code, r.text)
    return r.json() if r.content else None


def uid():
    return uuid.uuid4().hex[:10]


class Seeder:
    """Takes cases through the procedure as the rig's users."""

    def __init__(self, rigfix):
        self.rig = rigfix
        self.u = {name: rigfix.as_user(name) for name in
                  ["alice", "bob", "carol", "chris", "molly", "olive"]}

    def raise_case(self, reference=None, by="alice", **over):
        body = {
            "person": {"name": "Pat Person", "reference": reference or "REF-" + uid()},
            "department": "Housing",
            "summary": "Calls many times a day about the same repair.",
            "measures_taken": "A single point of contact was named.",
            "complaints_procedure": "exhausted",
            "criteria": ["excessive-contact"],
            "exclusion": "none",
        }
        body.update(over)
        return ok(self.u[by].post("api/cases", body))["id"]

    def contact(self, cid, **over):
        body = {"at": iso(today()), "channel": "phone", "direction": "inbound",
                "summary": "Called again about the repair."}
        body.update(over)
        return ok(self.u["carol"].post("api/cases/%d/contacts" % cid, body))

    def warn(self, cid, on=None, text="Please keep to one call a week."):
        ok(self.u["carol"].post("api/cases/%d/warning" % cid,
                                {"on": iso(on or today()), "method": "letter", "text": text}))

    def report(self, cid, restrictions=None, months=12, **over):
        body = {"behaviour": "Repeated calls after the warning.",
                "restrictions": restrictions or [{"type": "decline-channels", "channels": ["phone", "fax"]}],
                "period_months": months,
                "alternatives_considered": "A single point of contact; it did not help."}
        body.update(over)
        self.contact(cid, summary="Called again after the warning.")   # R19
        ok(self.u["carol"].post("api/cases/%d/report" % cid, body))

    def approve(self, cid, start=None, by="chris", reasons="Justified and proportionate."):
        body = {"outcome": "approve", "justified": True, "proportionate": True, "reasons": reasons}
        if start:
            body["start"] = iso(start)
        if not start or start >= today():
            return ok(self.u[by].post("api/cases/%d/decision" % cid, body))
        # a decision starts today or soon: one made in the past is made on a
        # server whose clock reads its start
        with FutureServer(self.rig, "-%dd" % (today() - start).days) as past:
            return ok(past.as_user(by).post("api/cases/%d/decision" % cid, body))

    def reject(self, cid, reasons="Not proportionate yet."):
        ok(self.u["chris"].post("api/cases/%d/decision" % cid, {"outcome": "reject", "reasons": reasons}))

    def active(self, start=None, months=12, restrictions=None, **over):
        cid = self.raise_case(**over)
        self.warn(cid)
        self.report(cid, restrictions, months)
        self.approve(cid, start)
        return cid

    def close(self, cid, reason="Contact has settled down."):
        ok(self.u["carol"].post("api/cases/%d/close" % cid, {"reason": reason}))

    def absence(self):
        """The chief executive is away today: the monitoring officer deputises."""
        ok(self.u["chris"].post("api/absences", {"from": iso(today()), "to": iso(today()),
                                                 "note": "leave"}))

    def review(self, cid, report="The behaviour continues.", outcome="continue",
               reasons="Still needed.", by="chris", **decision):
        # the monitoring officer who joined a review may not decide it (R5):
        # when molly deputises, another officer joined
        ok(self.u["carol"].post("api/cases/%d/review" % cid,
                                {"recommendation": outcome, "report": report,
                                 "monitoring_officer": "molly" if by != "molly" else "mona"}))
        body = {"outcome": outcome, "reasons": reasons}
        if outcome in ("continue", "vary"):   # R17
            body.update(justified=True, proportionate=True)
        body.update(decision)
        return ok(self.u[by].post("api/cases/%d/review/decision" % cid, body))

    def appeal(self, cid, outcome, received=None, grounds="The restriction is unfair.",
               reasons="Considered.", restrictions=None):
        ok(self.u["carol"].post("api/cases/%d/appeal" % cid,
                                {"received": iso(received or today()), "grounds": grounds}))
        body = {"outcome": outcome, "reasons": reasons}
        if outcome == "vary":                 # R17
            body.update(justified=True, proportionate=True)
        if restrictions is not None:
            body["restrictions"] = restrictions
        return ok(self.u["olive"].post("api/cases/%d/appeal/decision" % cid, body))

    def hold(self, cid, reason="Litigation expected."):
        ok(self.u["carol"].post("api/cases/%d/hold" % cid, {"reason": reason}))


def admin_json(rigfix, *args):
    res = rigfix.admin(*args, check=False)
    assert res.returncode == 0, (res.returncode, res.stdout, res.stderr)
    return json.loads(res.stdout)


def write_db(db, sql, args=()):
    """Set dates the API cannot (closing and ending times in the past)."""
    assert Db(db).write(sql, args) == 1, sql


# ---- every verb: help, usage, missing database ----

VERB_ARGS = {
    "reviews": [],
    "backup": ["DEST"],
    "sar": ["REF-1"],
    "purge": ["--dry-run"],
    "notify": ["--ldap-url", "ldap://127.0.0.1:1/dc=example,dc=org", "--group", "cn=g"],
    "report": ["--from", "2026-01-01", "--to", "2026-03-31"],
}


@pytest.mark.parametrize("verb", sorted(VERB_ARGS))
def test_each_verb_has_help_usage_errors_and_never_creates_a_database(workdir, verb):
    db = missing_database(workdir, "missing.db")
    helped = rig.admin(db, verb, "--help", check=False)
    assert helped.returncode == 0 and verb in helped.stdout
    assert rig.admin(db, verb, "--no-such-option", check=False).returncode == 2
    args = [os.path.join(workdir, "copy.db") if a == "DEST" else a for a in VERB_ARGS[verb]]
    res = rig.admin(db, verb, *args, check=False)
    if PG and verb == "backup":
        # README: on PostgreSQL, back up with pg_dump
        assert res.returncode == 2 and "pg_dump" in res.stderr, (res.stdout, res.stderr)
    else:
        assert res.returncode == 3, (res.stdout, res.stderr)
    assert sorted(os.listdir(workdir)) == []


def test_bad_values_are_usage_errors(workdir):
    db = new_database(workdir)
    rig.admin(db, "init")
    for args in (["reviews", "--within", "soon"], ["reviews", "--format", "xml"],
                 ["report", "--from", "2026-01-01"], ["report", "--from", "2026-02-30", "--to", "2026-03-01"],
                 ["report", "--from", "2026-03-01", "--to", "2026-01-01"],
                 ["purge", "--closed-years", "-1"], ["sar"], ["backup"],
                 ["notify", "--ldap-url", "ldap://127.0.0.1/dc=x"], ["sar", "R", "--format", "pdf"]):
        assert rig.admin(db, *args, check=False).returncode == 2, args


# ---- reviews ----

def test_reviews_lists_exactly_the_overdue_and_due_soon_cases_oldest_first(own_rig):
    s, t = Seeder(own_rig), today()
    start_soon = add_months(t, -11) - days(15)          # 12 months: due in about 15 days
    # 24 months, its review 10 days overdue: still in force within R16's grace (28 days)
    start_overdue = start_for_review_due(t - days(10), 24)
    start_lapsed = add_months(t, -13)                    # 12 months: lapsed a month ago
    start_edge_in = start_for_review_due(t + days(30), 12)
    start_edge_out = start_for_review_due(t + days(31), 12)
    cases = {
        "soon": (s.active(start_soon, 12, reference="R-SOON"), review_due(start_soon, 12)),
        "overdue": (s.active(start_overdue, 24, reference="R-OVERDUE"), review_due(start_overdue, 24)),
        "lapsed": (s.active(start_lapsed, 12, reference="R-LAPSED"), review_due(start_lapsed, 12)),
        "edge-in": (s.active(start_edge_in, 12, reference="R-EDGE-IN"), t + days(30)),
    }
    not_listed = [s.active(t, 6, reference="R-NEW"),                  # due in 6 months
                  s.active(start_edge_out, 12, reference="R-EDGE-OUT"),  # due in 31 days
                  s.raise_case(reference="R-REFERRED")]
    closed = s.raise_case(reference="R-CLOSED")
    s.close(closed)
    assert review_due(start_overdue, 24) < t <= period_end(start_overdue, 24)
    assert period_end(start_lapsed, 12) < t

    out = admin_json(own_rig, "reviews", "--format", "json")
    expected = sorted(cases.items(), key=lambda kv: (kv[1][1], kv[1][0]))
    assert [r["case_id"] for r in out["reviews"]] == [cid for _n, (cid, _d) in expected]
    by_id = {r["case_id"]: r for r in out["reviews"]}
    for name, (cid, due) in cases.items():
        row = by_id[cid]
        assert row["review_due"] == iso(due)
        assert row["days_overdue"] == (t - due).days
        assert row["reference"] == "R-" + name.upper()
        assert row["lapsed"] is (name == "lapsed")
    assert by_id[cases["overdue"][0]]["days_overdue"] > 0
    assert by_id[cases["soon"][0]]["days_overdue"] < 0
    assert not set(not_listed + [closed]) & set(by_id)

    text = own_rig.admin("reviews").stdout
    lines = [l for l in text.splitlines() if l.startswith("case ")]
    assert [int(l.split()[1]) for l in lines] == [cid for _n, (cid, _d) in expected]
    assert "LAPSED" in lines[[cid for _n, (cid, _d) in expected].index(cases["lapsed"][0])]
    rows = list(csv.DictReader(io.StringIO(own_rig.admin("reviews", "--format", "csv").stdout)))
    assert [int(r["case_id"]) for r in rows] == [cid for _n, (cid, _d) in expected]
    # a narrower window drops the due-soon cases, never the overdue ones
    narrow = admin_json(own_rig, "reviews", "--within", "0", "--format", "json")
    assert {r["case_id"] for r in narrow["reviews"]} == {cases["overdue"][0], cases["lapsed"][0]}


def test_reviews_prints_nothing_when_nothing_is_due(workdir):
    db = new_database(workdir)
    rig.admin(db, "init")
    res = rig.admin(db, "reviews")
    assert res.returncode == 0 and res.stdout == ""


# ---- backup ----

def _write_load(own_rig, cid, statuses, stop):
    carol = own_rig.as_user("carol")
    carol.token()

    def run():
        n = 0
        while not stop.is_set():
            n += 1
            r = carol.post("api/cases/%d/contacts" % cid,
                           {"at": iso(today()), "channel": "email", "direction": "inbound",
                            "summary": "Load %d" % n})
            statuses.append(r.status_code)
    t = threading.Thread(target=run)
    t.start()
    return t


@sqlite_only("SQLite's online backup API (habitual-admin backup)")
def test_backup_during_concurrent_writes_passes_integrity_and_chain_checks(own_rig, workdir):
    s = Seeder(own_rig)
    cid = s.raise_case()
    stop, statuses = threading.Event(), []
    t = _write_load(own_rig, cid, statuses, stop)
    try:
        while len(statuses) < 20:
            threading.Event().wait(0.02)
        before = len(statuses)
        dest = os.path.join(workdir, "copy.db")
        res = own_rig.admin("backup", dest, check=False)
        during = len(statuses) - before
        while len(statuses) < before + during + 20:
            threading.Event().wait(0.02)
    finally:
        stop.set()
        t.join()
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert set(statuses) <= {201, 503} and statuses.count(201) >= 40

    copy = sqlite3.connect("file:%s?mode=ro&immutable=1" % dest, uri=True)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        entries = copy.execute("SELECT count(*) FROM access_log").fetchone()[0]
        copied_contacts = copy.execute("SELECT count(*) FROM contacts").fetchone()[0]
        head = copy.execute("SELECT hash FROM access_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
    finally:
        copy.close()
    assert res.stdout.strip() == "ok: %s: %d entries, head %s, integrity ok" % (dest, entries, head)
    # a snapshot taken mid-load: some writes before it, more after it
    assert 20 <= copied_contacts < own_rig.db.scalar("SELECT count(*) FROM contacts")
    verified = rig.admin(dest, "verify-audit")
    assert verified.stdout.startswith("ok: %d entries, head %s" % (entries, head))
    assert os.stat(dest).st_mode & 0o777 == 0o600
    assert sorted(os.listdir(workdir)) == ["copy.db"]


@sqlite_only("habitual-admin backup's SQLite copy file")
def test_backup_refuses_to_overwrite_and_removes_a_failed_copy(shared_rig, workdir):
    shared_rig.as_user("carol").get("api/cases")  # at least one access-log entry
    dest = os.path.join(workdir, "copy.db")
    with open(dest, "w") as f:
        f.write("keep me")
    res = shared_rig.admin("backup", dest, check=False)
    assert res.returncode == 1 and "exists" in res.stderr
    assert open(dest).read() == "keep me"
    res = shared_rig.admin("backup", dest, "--force", check=False)
    assert res.returncode == 0, res.stderr
    assert shared_rig.admin("backup", shared_rig.rig.db, "--force", check=False).returncode == 2
    assert shared_rig.db.scalar("SELECT count(*) FROM schema_migrations") == len(SCHEMA_MIGRATIONS)

    # a database whose chain is broken: the copy fails verification and is removed
    broken = os.path.join(workdir, "broken.db")
    src = sqlite3.connect("file:%s?mode=ro" % shared_rig.rig.db, uri=True, timeout=10)
    dst = sqlite3.connect(broken)
    src.backup(dst)
    src.close()
    dst.execute("DROP TRIGGER access_log_no_update")
    dst.execute("UPDATE access_log SET user = 'mallory' WHERE seq = 1")
    dst.commit()
    dst.close()
    bad_dest = os.path.join(workdir, "bad-copy.db")
    res = rig.admin(broken, "backup", bad_dest, check=False)
    assert res.returncode == 1 and "first bad entry 1" in res.stderr
    assert not any(f.startswith("bad-copy") for f in os.listdir(workdir))


@pgsql_only("pg_dump, the backup of a PostgreSQL database")
def test_pg_dump_during_concurrent_writes_restores_a_copy_that_verifies(own_rig, workdir):
    """README: on PostgreSQL `backup` is the engine's own pg_dump.  The verb
    says so (exit 2) and writes nothing; a pg_dump taken while httpd keeps
    writing is one snapshot: restored into a new database it has the schema
    version, sound tables and indexes and a whole chain, with some of the
    writes and not the later ones."""
    res = own_rig.admin("backup", os.path.join(workdir, "copy.db"), check=False)
    assert res.returncode == 2 and "pg_dump" in res.stderr, (res.stdout, res.stderr)
    assert os.listdir(workdir) == []

    s = Seeder(own_rig)
    cid = s.raise_case()
    stop, statuses = threading.Event(), []
    t = _write_load(own_rig, cid, statuses, stop)
    try:
        while len(statuses) < 20:
            threading.Event().wait(0.02)
        dump = own_rig.rig.db.dump()
        during = len(statuses)
        while len(statuses) < during + 20:
            threading.Event().wait(0.02)
    finally:
        stop.set()
        t.join()
    assert set(statuses) <= {201, 503} and statuses.count(201) >= 40

    copy = own_rig.rig.db.server.create_database("restored")
    copy.restore(dump)
    view = Db(copy)
    try:
        assert integrity(copy) == ["ok"]
        entries = view.log_count()
        head = view.scalar("SELECT hash FROM access_log ORDER BY seq DESC LIMIT 1")
        copied_contacts = view.scalar("SELECT count(*) FROM contacts")
        assert view.schema() == own_rig.db.schema()
    finally:
        view.close()
    assert 20 <= copied_contacts < own_rig.db.scalar("SELECT count(*) FROM contacts")
    verified = rig.admin(copy, "verify-audit")
    assert verified.stdout.startswith("ok: %d entries, head %s" % (entries, head))
    # the copy is a database this build serves: the schema version checks out
    assert rig.admin(copy, "reviews").returncode == 0
    copy.drop()


# ---- sar ----

def test_sar_holds_every_record_about_the_person_and_nothing_about_others(own_rig):
    s, t, u = Seeder(own_rig), today(), uid()
    markers = []

    def m(field):
        v = "SUBJ%s-%s" % (u, field)
        markers.append(v)
        return v

    def o(field):
        return "OTHR%s-%s" % (u, field)

    ref = m("ref")
    c1 = s.raise_case(
        reference=ref, person={"name": m("name"), "reference": ref, "address": m("address"),
                               "date_of_birth": "1970-01-02"},
        department=m("dept"), summary=m("summary") + " <script>alert(1)</script> & co",
        measures_taken=m("measures"), vulnerable=True, vulnerability=m("vulnerability"),
        criteria=["excessive-contact", "abusive-about-staff"],
        representative={"name": m("rep-name"), "address": m("rep-address")},
        advocate={"name": m("adv-name"), "address": m("adv-address")},
        copy_to=[{"name": m("copy-name"), "role": m("copy-role"), "address": m("copy-address")}])
    s.contact(c1, department=m("contact-dept"), officer=m("contact-officer"),
              summary=m("contact-summary"), incidents=["swearing"])
    s.warn(c1, text=m("warning"))
    s.report(c1, [{"type": "behaviour-agreement", "terms": m("terms-original")}],
             behaviour=m("behaviour"), alternatives_considered=m("alternatives"),
             safeguarding={"considered": True, "adjustments": m("adjustments")})
    s.approve(c1, reasons=m("reasons"))
    ok(s.u["carol"].post("api/cases/%d/grants" % c1,
                         {"user": "bob", "reason": m("grant-reason"), "expires": iso(t + days(30))}))
    ok(s.u["carol"].post("api/cases/%d/statements" % c1, {"received": iso(t), "text": m("statement")}))
    s.review(c1, report=m("review-report"), reasons=m("review-reasons"))
    s.appeal(c1, "vary", grounds=m("grounds"), reasons=m("appeal-reasons"),
             restrictions=[{"type": "behaviour-agreement", "terms": m("terms-varied")}])
    # a second referral about the same person: violence, reported without warning, rejected
    c2 = s.raise_case(reference=ref, by="bob", criteria=["violence"], summary=m("summary2"),
                      person={"name": "Another Spelling", "reference": ref})
    s.report(c2, [{"type": "written-only"}], behaviour=m("behaviour2"),
             alternatives_considered=m("alternatives2"), severe=True, severe_reason=m("severe"),
             police_reference=m("police"), asb_unit_consulted=True)
    s.reject(c2, reasons=m("reject-reasons"))
    s.hold(c2, reason=m("hold"))
    # another person, with markers of their own
    c3 = s.raise_case(reference=o("ref"), person={"name": o("name"), "reference": o("ref"),
                                                  "address": o("address")},
                      summary=o("summary"), vulnerable=True, vulnerability=o("vulnerability"))
    s.contact(c3, summary=o("contact"))
    s.warn(c3, text=o("warning"))
    ok(s.u["carol"].post("api/cases/%d/statements" % c3, {"received": iso(t), "text": o("statement")}))

    last_seq = own_rig.db.scalar("SELECT max(seq) FROM access_log")
    res = own_rig.admin("sar", ref, check=False)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    text = json.dumps(doc, ensure_ascii=False)
    missing = [x for x in markers if x not in text]
    assert not missing, missing
    assert "1970-01-02" in text
    assert "OTHR" + u not in text
    assert doc["person"]["name"] == "SUBJ%s-name" % u  # the second referral did not overwrite it
    case1, case2 = doc["cases"]
    assert (case1["id"], case2["id"]) == (c1, c2)
    assert case2["status"] == "closed" and case2["legal_hold_reason"] == "SUBJ%s-hold" % u

    # every part of the case definition (core/domain/case_tables.c) is in the export
    for key in ("criteria", "copy_to", "chronology", "warnings", "reports", "decisions", "periods", "restrictions",
                "reviews", "appeals", "letters", "notifications", "grants", "statements", "review_reminders",
                "corrections", "post_received"):
        assert isinstance(case1[key], list), key
    assert {"vulnerable", "vulnerability", "safeguarding", "adjustments"} <= set(case1["special_category"])

    # special-category data is marked, and only there
    sc = case1["special_category"]
    assert sc["vulnerable"] is True and sc["vulnerability"] == "SUBJ%s-vulnerability" % u
    assert sc["safeguarding"][0]["adjustments"] == "SUBJ%s-adjustments" % u
    rest = json.dumps({k: v for k, v in case1.items() if k != "special_category"})
    assert "SUBJ%s-vulnerability" % u not in rest and "SUBJ%s-adjustments" % u not in rest

    # restrictions current and past: the original terms lifted, the varied ones in force,
    # the interim written-only of the violent referral lifted by the decision
    r1 = {r["detail"].get("terms"): r for r in case1["restrictions"]}
    assert r1["SUBJ%s-terms-original" % u]["in_force"] is False
    assert r1["SUBJ%s-terms-original" % u]["lifted_at"]
    assert r1["SUBJ%s-terms-varied" % u]["in_force"] is True
    assert [(r["type"], r["interim"], r["in_force"]) for r in case2["restrictions"]] == \
        [("written-only", True, False)]
    assert [g["user"] for g in case1["grants"]] == ["bob"]
    assert [i["incident"] for c in case1["chronology"] for i in c["incidents"]] == ["swearing"]
    assert case1["reviews"][0]["decision"]["reasons"] == "SUBJ%s-review-reasons" % u
    assert case1["appeals"][0]["decision"]["outcome"] == "vary"
    letters = own_rig.db.query("SELECT number, body FROM letters WHERE case_id = ? ORDER BY number", (c1,))
    assert [(l["number"], l["body"]) for l in case1["letters"]] == [(l["number"], l["body"]) for l in letters]
    assert len(letters) >= 4  # warning, decision, review, appeal
    assert [n["event"] for n in case1["notifications"]] == ["approved", "continued", "varied"]

    # the export is in the access log, one entry per case
    logged = own_rig.db.query('SELECT action, case_id, outcome, "user" FROM access_log WHERE seq > ? '
                                 "ORDER BY seq", (last_seq,))
    assert [(e["action"], e["case_id"]) for e in logged] == [("admin.sar", c1), ("admin.sar", c2)]
    assert all(e["user"].startswith("admin:") for e in logged)
    assert rig.admin(own_rig.rig.db, "verify-audit").returncode == 0

    page = own_rig.admin("sar", ref, "--format", "html").stdout
    missing = [x for x in markers if x not in page]
    assert not missing, missing
    assert "OTHR" + u not in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    start = page.index('<section class="special-category">')
    section = page[start:page.index("</section>", start)]
    assert "Special category data" in section and "SUBJ%s-vulnerability" % u in section
    assert page.count("SUBJ%s-vulnerability" % u) == 1
    assert page.count("SUBJ%s-adjustments" % u) == 1 and "SUBJ%s-adjustments" % u in section


def test_sar_of_an_unknown_reference_says_so(shared_rig):
    before = shared_rig.db.log_count()
    res = shared_rig.admin("sar", "NO-SUCH-REF-" + uid(), check=False)
    assert res.returncode == 1 and "no person with that reference" in res.stderr
    assert res.stdout == ""
    assert shared_rig.db.log_count() == before


# ---- purge ----

def case_rows(db, case_ids):
    """Every row that belongs to the given cases, table by table."""
    ids = sorted(case_ids)
    marks = ",".join("?" * len(ids))
    out = {}
    for t in db.tables():
        cols = db.columns(t)
        if t in LOG_TABLES:   # kept, and growing
            continue
        if t == "cases":
            sql = "SELECT * FROM cases WHERE id IN (%s)" % marks
        elif t == "persons":
            sql = "SELECT * FROM persons WHERE id IN (SELECT person_id FROM cases WHERE id IN (%s))" % marks
        elif "case_id" in cols:
            sql = 'SELECT * FROM "%s" WHERE case_id IN (%s)' % (t, marks)
        elif t == "contact_incidents":
            sql = "SELECT * FROM contact_incidents WHERE contact_id IN (SELECT id FROM contacts WHERE case_id IN (%s))" % marks
        elif t == "review_decisions":
            sql = "SELECT * FROM review_decisions WHERE review_id IN (SELECT id FROM reviews WHERE case_id IN (%s))" % marks
        elif t == "appeal_decisions":
            sql = "SELECT * FROM appeal_decisions WHERE appeal_id IN (SELECT id FROM appeals WHERE case_id IN (%s))" % marks
        else:
            continue
        out[t] = sorted(tuple(r.values()) for r in db.query(sql, ids))
    return out


def test_purge_dry_run_changes_nothing_and_purge_removes_exactly_the_expired_unheld_cases(own_rig):
    s, t, db = Seeder(own_rig), today(), own_rig.db

    def closed_case(months_ago, **over):
        cid = s.raise_case(**over)
        s.contact(cid)
        s.close(cid)
        write_db(own_rig.rig.db, "UPDATE cases SET closed_at = ? WHERE id = ?",
                 (time_on(add_months(t, -months_ago)), cid))
        return cid

    def quashed_case(years_ago):
        cid = s.active(t)
        s.appeal(cid, "quash")
        write_db(own_rig.rig.db, "UPDATE cases SET ended_at = ? WHERE id = ?",
                 (time_on(add_months(t, -12 * years_ago)), cid))
        return cid

    shared_ref = "REF-SHARED-" + uid()
    k = {}
    k["closed-2y"] = closed_case(24, reference=shared_ref)
    k["closed-6m"] = closed_case(6, reference=shared_ref)       # same person, kept
    k["rejected-13m"] = s.raise_case()
    s.warn(k["rejected-13m"])
    s.report(k["rejected-13m"])
    s.reject(k["rejected-13m"])
    write_db(own_rig.rig.db, "UPDATE cases SET closed_at = ? WHERE id = ?",
             (time_on(add_months(t, -13)), k["rejected-13m"]))
    k["quashed-4y"] = quashed_case(4)
    k["quashed-2y"] = quashed_case(2)
    k["violence-closed-2y"] = closed_case(24, criteria=["violence"])
    k["violence-closed-6y"] = closed_case(72, criteria=["violence"])
    k["violence-incident-3y"] = s.raise_case()
    s.contact(k["violence-incident-3y"], incidents=["violence"])
    s.close(k["violence-incident-3y"])
    write_db(own_rig.rig.db, "UPDATE cases SET closed_at = ? WHERE id = ?",
             (time_on(add_months(t, -36)), k["violence-incident-3y"]))
    k["lapsed-4y"] = s.active(add_months(t, -60), 12)
    k["lapsed-2y"] = s.active(add_months(t, -36), 12)
    k["held-closed-3y"] = closed_case(36)
    s.hold(k["held-closed-3y"])
    k["active"] = s.active(t)
    k["referred"] = s.raise_case()
    expired = {"closed-2y", "rejected-13m", "quashed-4y", "violence-closed-6y", "lapsed-4y"}
    purged_ids = {k[n] for n in expired}
    kept_ids = set(k.values()) - purged_ids

    counts, log_count = db.counts(), db.log_count()
    res = own_rig.admin("purge", "--dry-run")
    # nothing changes but the access log: one admin.purge-list entry per case named (issue 11)
    assert db.counts() == counts and db.log_count() == log_count + len(purged_ids) + 1
    listed = db.query("SELECT action, case_id FROM access_log WHERE seq > ?", (log_count,))
    assert {e["action"] for e in listed} == {"admin.purge-list"}
    assert sorted(e["case_id"] for e in listed) == sorted(purged_ids | {k["held-closed-3y"]})
    lines = [l for l in res.stdout.splitlines() if l.startswith("would purge case ")]
    assert sorted(int(l.split()[3].rstrip(":")) for l in lines) == sorted(purged_ids)
    line = {int(l.split()[3].rstrip(":")): l for l in lines}
    closed_on = add_months(t, -24)
    assert line[k["closed-2y"]] == "would purge case %d: closed without action on %s, kept 1 year, " \
        "eligible since %s" % (k["closed-2y"], iso(closed_on), iso(add_months(closed_on, 12)))
    lapse_day = period_end(add_months(t, -60), 12) + days(1)
    assert line[k["lapsed-4y"]].endswith("ended (lapsed) on %s, kept 3 years, eligible since %s"
                                         % (iso(lapse_day), iso(add_months(lapse_day, 36))))
    assert "violence recorded, kept 5 years" in line[k["violence-closed-6y"]]
    assert "closed on rejection" in line[k["rejected-13m"]]
    assert "kept case %d: on legal hold" % k["held-closed-3y"] in res.stdout
    assert "dry run: 5 cases would be purged" in res.stdout
    # a council's own retention periods change what is eligible
    longer = own_rig.admin("purge", "--dry-run", "--closed-years", "3").stdout
    assert "would purge case %d:" % k["closed-2y"] not in longer
    assert "would purge case %d:" % k["quashed-4y"] in longer

    contacts_of_purged = db.query("SELECT id FROM contacts WHERE case_id IN (%s)"
                                  % ",".join(str(i) for i in purged_ids))
    assert contacts_of_purged
    kept_before = case_rows(db, kept_ids)
    persons_before = {r["reference"] for r in db.query("SELECT reference FROM persons")}
    log_before = db.query("SELECT * FROM access_log ORDER BY seq")

    res = own_rig.admin("purge", check=False)
    assert res.returncode == 0, res.stderr
    assert sorted(int(l.split()[2].rstrip(":")) for l in res.stdout.splitlines()
                  if l.startswith("purged case ")) == sorted(purged_ids)
    assert {r["id"] for r in db.query("SELECT id FROM cases")} == kept_ids
    gone = case_rows(db, purged_ids)
    assert all(rows == [] for rows in gone.values()), {t: r for t, r in gone.items() if r}
    assert db.scalar("SELECT count(*) FROM contact_incidents WHERE contact_id IN (%s)"
                     % ",".join(str(r["id"]) for r in contacts_of_purged)) == 0
    assert case_rows(db, kept_ids) == kept_before
    persons_after = {r["reference"] for r in db.query("SELECT reference FROM persons")}
    assert shared_ref in persons_after and len(persons_before - persons_after) == 4
    assert db.scalar("SELECT count(*) FROM persons WHERE id NOT IN (SELECT person_id FROM cases)") == 0

    log_after = db.query("SELECT * FROM access_log ORDER BY seq")
    assert log_after[:len(log_before)] == log_before
    new = log_after[len(log_before):]
    # the held case it names as kept is logged first (admin.purge-list), then each purge
    assert [(e["action"], e["case_id"]) for e in new[:1]] == [("admin.purge-list", k["held-closed-3y"])]
    assert sorted(e["case_id"] for e in new[1:]) == sorted(purged_ids)
    assert {e["action"] for e in new[1:]} == {"admin.purge"}
    assert rig.admin(own_rig.rig.db, "verify-audit").stdout.startswith("ok: %d entries" % len(log_after))
    again = own_rig.admin("purge", "--dry-run").stdout
    assert "would purge" not in again
    # the held case is still there and still served
    assert own_rig.as_user("carol").get("api/cases/%d" % k["held-closed-3y"]).status_code == 200


# ---- notify ----

def test_notify_emails_each_notification_once_to_the_chief_officers_and_retries_failures(own_rig, workdir):
    s, t = Seeder(own_rig), today()
    secret = "NOTIFY-SECRET-" + uid()
    approved = [s.active(t, reference=secret + "-a", summary=secret),
                s.active(t, reference=secret + "-b", summary=secret)]
    lapsed = s.active(add_months(t, -13), 12, reference=secret + "-c", summary=secret)
    good, mail_log = fake_sendmail(workdir)
    bad, _ = fake_sendmail(workdir, fail=True)
    ldap = ["--ldap-url", own_rig.httpd.ldap_url, "--group", rig.group_dn("chief-officers"),
            "--link", "https://intranet.example.org/habitual/"]

    last_seq = own_rig.db.scalar("SELECT max(seq) FROM access_log")
    res = own_rig.admin("notify", "--sendmail", good, *ldap, check=False)
    assert res.returncode == 0, (res.stdout, res.stderr)
    # case ids with their events are printed: one admin.notify entry per case, first (issue 11)
    logged = own_rig.db.query("SELECT action, case_id FROM access_log WHERE seq > ? ORDER BY seq", (last_seq,))
    assert sorted((e["action"], e["case_id"]) for e in logged) == \
        sorted(("admin.notify", c) for c in approved + [lapsed])
    mails = parse_mails(mail_log)
    subjects = sorted(h["Subject"] for h, _b in mails)
    assert subjects == sorted(["Habitual contact: case %d approved" % c for c in approved + [lapsed]] +
                              ["Habitual contact: case %d lapsed" % lapsed])
    for headers, body in mails:
        assert {a.strip() for a in headers["To"].split(",")} == CHIEF_OFFICER_MAILS
        case_id = int(headers["Subject"].split()[3])
        assert "https://intranet.example.org/habitual/cases/%d\n" % case_id in body
        assert "Case:  %d" % case_id in body
    raw = open(mail_log).read()
    assert secret not in raw and "Pat Person" not in raw
    rows = own_rig.db.query("SELECT * FROM notifications ORDER BY id")
    assert len(rows) == 4 and all(r["email_sent_at"] and r["email_attempts"] == 1 for r in rows)
    lapse_row = [r for r in rows if r["event"] == "lapsed"]
    assert [(r["case_id"], r["created_by"]) for r in lapse_row] == [(lapsed, "habitual-admin")]
    assert lapse_row[0]["created_at"] == iso(period_end(add_months(t, -13), 12) + days(1)) + "T00:00:00Z"

    # a second run sends nothing, and names no case: no entry
    count = own_rig.db.log_count()
    res = own_rig.admin("notify", "--sendmail", good, *ldap)
    assert "nothing to send" in res.stdout and own_rig.db.log_count() == count
    assert len(parse_mails(mail_log)) == 4

    # a failing sendmail leaves the new notification pending, with the reason
    later = s.active(t)
    res = own_rig.admin("notify", "--sendmail", bad, *ldap, check=False)
    assert res.returncode == 1
    row = own_rig.db.query("SELECT * FROM notifications WHERE case_id = ?", (later,))[0]
    assert row["email_sent_at"] is None and row["email_attempts"] == 1
    assert row["email_error"] == "sendmail exited with status 1"
    # LDAP unreachable: a clear message, nothing marked
    dead = ["--ldap-url", "ldap://127.0.0.1:%d/ou=people,dc=example,dc=org" % rig.free_port(),
            "--group", rig.group_dn("chief-officers")]
    res = own_rig.admin("notify", "--sendmail", good, *dead, check=False)
    assert res.returncode == 1 and "LDAP" in res.stderr and "nothing was sent" in res.stderr
    assert own_rig.db.query("SELECT email_attempts, email_sent_at FROM notifications WHERE case_id = ?",
                            (later,)) == [{"email_attempts": 1, "email_sent_at": None}]
    assert len(parse_mails(mail_log)) == 4
    # the next good run sends it, once
    res = own_rig.admin("notify", "--sendmail", good, *ldap)
    mails = parse_mails(mail_log)
    assert [h["Subject"] for h, _b in mails[4:]] == ["Habitual contact: case %d approved" % later]
    row = own_rig.db.query("SELECT * FROM notifications WHERE case_id = ?", (later,))[0]
    assert row["email_sent_at"] and row["email_attempts"] == 2 and row["email_error"] is None
    assert "nothing to send" in own_rig.admin("notify", "--sendmail", good, *ldap).stdout


# ---- report ----

def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def test_report_figures_equal_hand_counted_figures(own_rig):
    s, t = Seeder(own_rig), today()
    first, last = t - days(60), t
    decline = [{"type": "decline-channels", "channels": ["phone", "fax"]}]

    a = s.raise_case()                          # approved 100 days back, quashed on appeal
    s.warn(a)
    s.report(a, decline + [{"type": "behaviour-agreement", "terms": "One call a week."}])
    b = s.raise_case()                          # warned before the range; approved by a deputy
    s.warn(b, on=t - days(90))
    s.report(b, [{"type": "written-only"}])
    c = s.raise_case()                          # reported without warning (severe), rejected
    s.report(c, [{"type": "referral-warning"}], severe=True, severe_reason="Threats to staff.")
    d = s.raise_case()                          # closed without action
    start_l1, start_l2 = t - days(45), t - days(200)
    l1 = s.raise_case()                         # lapsed inside the range
    s.warn(l1)
    s.report(l1, decline, months=1)
    l2 = s.raise_case()                         # lapsed long before the range
    s.warn(l2)
    s.report(l2, decline, months=1)
    start_rv = start_for_review_due(t, 13)      # review due today, reviewed today: on time
    rv = s.raise_case()
    s.warn(rv)
    s.report(rv, decline, months=13)
    start_od = start_for_review_due(t - days(5), 24)  # review due 5 days ago, reviewed today: late
    od = s.raise_case()
    s.warn(od)
    s.report(od, decline, months=24)

    s.approve(a, t - days(100))
    s.approve(l1, start_l1)
    s.approve(l2, start_l2)
    s.approve(rv, start_rv)
    s.approve(od, start_od)
    s.reject(c)
    s.close(d)
    s.absence()
    assert s.approve(b, by="molly")["deputising"] is True
    s.review(rv, by="molly")
    s.review(od, by="molly")
    s.appeal(a, "quash", received=t - days(3))
    s.appeal(b, "uphold")

    l1_end = period_end(start_l1, 1)
    median = statistics.median([100, (l1_end - start_l1).days])
    median = int(median) if median == int(median) else median
    assert first <= l1_end + days(1) <= last and period_end(start_l2, 1) + days(1) < first
    expected = {
        "referrals": 8,
        "warnings": 5,                          # a, l1, l2, rv, od (b's is before the range)
        "reports.total": 7, "reports.action_without_notice": 1,
        # a decision starts today or soon (issue 11): those with earlier starts
        # were made on those days, so only l1's (45 days back) and b's fall in the range
        "decisions.approved": 2, "decisions.rejected": 1, "decisions.deputised": 1,
        "review_decisions.continue": 2, "review_decisions.vary": 0, "review_decisions.remove": 0,
        "review_decisions.deputised": 2,
        "designations.decline-channels": 1, "designations.behaviour-agreement": 0,
        "designations.written-only": 1, "designations.third-party-only": 0,
        "designations.correspondence-closed": 0, "designations.referral-warning": 0,
        "designations.suspend-contact": 0, "designations.building-ban": 0,
        "ended.removed": 0, "ended.quashed": 1, "ended.lapsed": 1,
        "duration_days.count": 2,
        "duration_days.median": median,
        "reviews.due": 3, "reviews.on_time": 1, "reviews.overdue": 2, "reviews.not_yet_due": 0,
        "appeals.received": 2, "appeals.decided.uphold": 1, "appeals.decided.vary": 0,
        "appeals.decided.quash": 1,
        "closures.without_action": 1, "closures.rejected": 1,
        # no step above was refused: refusals by rule (R1-R19) and the rest are 0
        "refusals.total": 0, **{"refusals.by_rule.R%d" % k: 0 for k in range(1, 20)},
        "refusals.not_by_a_rule": 0,
    }
    out = admin_json(own_rig, "report", "--from", iso(first), "--to", iso(last), "--format", "json")
    assert (out.pop("from"), out.pop("to")) == (iso(first), iso(last))
    assert flatten(out) == expected

    # the same figures as CSV and text
    rows = list(csv.reader(io.StringIO(own_rig.admin("report", "--from", iso(first), "--to", iso(last),
                                                     "--format", "csv").stdout)))
    assert rows[0] == ["figure", "value"]
    as_csv = {k: v for k, v in rows[3:]}
    assert as_csv == {k: ("%.1f" % v if isinstance(v, float) else str(v)) for k, v in expected.items()}
    text = own_rig.admin("report", "--from", iso(first), "--to", iso(last)).stdout
    assert "referrals" in text and "reviews.on_time" in text

    # nothing personal in any form of it
    for fmt in ("json", "csv", "text"):
        printed = own_rig.admin("report", "--from", iso(first), "--to", iso(last), "--format", fmt).stdout
        assert "Pat Person" not in printed and "REF-" not in printed

    # a range with no events counts nothing
    quiet = admin_json(own_rig, "report", "--from", iso(t + days(800)), "--to", iso(t + days(830)),
                       "--format", "json")
    quiet.pop("from"), quiet.pop("to")
    assert all(v in (0, None) for v in flatten(quiet).values())
