"""Upgrades lose nothing (house rule): a database made by the previous
release's schema (version 2: schema/001 + 002, or schema/pgsql/001 + 002),
holding data in every one of its tables and an access log whose chain
verifies, is brought up to this build's schema by `habitual-admin init`;
every row of every table keeps every column it had at version 2, the chain
still verifies, and httpd serves the old data.

The test builds version 2 itself, as the release's `habitual-admin init`
did (schema.c of that release: each migration in one transaction with its
schema_migrations row and, on SQLite, PRAGMA user_version; verb_init.c: WAL
first), from the SQL files in schema/, which have not changed since.  It
compares only what existed at version 2, so later migrations may add
tables and columns without touching this test.

The landed release (version 12, before the index of the cases shown by
block) is upgraded the same way: every one of its tables filled, including
those versions 3..12 added, and an access log with lists' case_ids and a
safeguard's refusal, indexed in arrears up to a mark; a case search after
the upgrade finds every look on both sides of that mark."""

import base64
import datetime
import glob
import hashlib
import json
import os
import re
import sqlite3
import subprocess

import pytest

import helpers_procedure as H
from conftest import PG, Client, Db, new_database, rig

PREVIOUS_VERSION = 2
PREVIOUS_TABLES = [
    "absences", "access_log", "appeal_decisions", "appeals", "case_criteria", "cases",
    "change_counter", "contact_incidents", "contacts", "copy_recipients", "decisions", "grants",
    "letters", "notifications", "periods", "persons", "reports", "restrictions", "review_decisions",
    "reviews", "schema_migrations", "statements", "warnings",
]
GENESIS = "0" * 64


# ---- the migrations on disk ----

def _schema_dir():
    return os.path.join(rig.ROOT, "schema", "pgsql") if PG else os.path.join(rig.ROOT, "schema")


def _migrations():
    """[(version, file name, path)] of this engine's dialect, in order."""
    out = []
    for path in sorted(glob.glob(os.path.join(_schema_dir(), "[0-9][0-9][0-9]_*.sql"))):
        name = os.path.basename(path)
        out.append((int(name[:3]), name, path))
    return out


def _latest_version():
    return _migrations()[-1][0]


def _git(*args):
    return subprocess.run(["git", "-C", rig.ROOT] + list(args), capture_output=True, text=True)


@pytest.mark.parametrize("version", [2, 12], ids=["version-2", "landed-release-12"])
def test_previous_release_schema_files_are_unchanged(version):
    """The files up to version 2 (and up to the landed release's 12) are
    those releases' own: unchanged since the commit before the first
    migration after them was added (git, when the tree is a checkout)."""
    assert version in (PREVIOUS_VERSION, LANDED_VERSION)
    rel3 = [os.path.relpath(p, rig.ROOT) for v, _n, p in _migrations() if v == version + 1]
    if not rel3 or _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("not a git checkout, or no migration after version %d" % version)
    added = _git("log", "--diff-filter=A", "--format=%H", "--", rel3[0]).stdout.split()
    if not added:
        pytest.skip("%s is not committed yet" % rel3[0])
    release = added[-1] + "^"
    for v, _name, path in _migrations():
        if v > version:
            continue
        rel = os.path.relpath(path, rig.ROOT)
        then = _git("rev-parse", "%s:%s" % (release, rel))
        assert then.returncode == 0, then.stderr
        now = _git("hash-object", path)
        assert now.stdout.strip() == then.stdout.strip(), \
            "%s changed since the previous release: a schema change is a new migration" % rel


# ---- version 2, as the previous release's init made it ----

def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _build_previous(db, version=PREVIOUS_VERSION):
    """Apply migrations 1..version as that release's init did."""
    now = _now()
    steps = [(v, n, open(p).read()) for v, n, p in _migrations() if v <= version]
    assert [v for v, _n, _s in steps] == list(range(1, version + 1))
    if PG:
        c = db.connect(autocommit=False)
        try:
            for version, name, sql in steps:
                with c.cursor() as cur:
                    cur.execute(sql)
                    cur.execute("INSERT INTO schema_migrations(version, name, applied_at) VALUES (%s, %s, %s)",
                                (version, name, now))
                c.commit()
        finally:
            c.close()
        return
    c = sqlite3.connect(db, isolation_level=None)
    try:
        assert c.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        for version, name, sql in steps:
            # one transaction, as the release's apply_one (executescript
            # would commit a transaction begun outside the script)
            c.executescript("BEGIN IMMEDIATE;\n%s\n;INSERT INTO schema_migrations(version, name, applied_at) "
                            "VALUES (%d, '%s', '%s');\nPRAGMA user_version=%d;\nCOMMIT;"
                            % (sql, version, name, now, version))
    finally:
        c.close()


# ---- the data: every table of version 2 ----

def _entry_hash(e):
    """include/habitual/store/audit.h's canonical encoding, hashed with SHA-256."""
    def field(v):
        if v is None:
            return b"-\n"
        b = str(v).encode("utf-8")
        return str(len(b)).encode() + b":" + b + b"\n"
    ids, rule = e.get("case_ids"), e.get("refused_rule")
    enc = b"habitual-audit-v3\n" if rule else b"habitual-audit-v2\n" if ids else b"habitual-audit-v1\n"
    for k in ("seq", "at", "user", "roles", "acting_as", "action", "case_id", "outcome", "status",
              "request_id", "client", "prev_hash"):
        v = e[k]
        if k == "case_id" and not v:
            v = None
        enc += field(v)
    if ids or rule:
        enc += field(ids)
    if rule:
        enc += field(rule)
    return hashlib.sha256(enc).hexdigest()


def _log_entries(more=()):
    """Version 2's eight entries, then more: (at, user, roles, acting_as,
    action, case_id, outcome, status, case_ids, refused_rule)."""
    raw = [
        ("2025-01-06T09:00:01Z", "alice", "staff", None, "case.create", 1, "allowed", 201),
        ("2025-01-06T09:14:52Z", "carol", "staff,cem", None, "case.read", 1, "allowed", 200),
        ("2025-01-07T10:02:13Z", "bob", "staff", None, "case.read", 2, "refused", 404),
        ("2025-01-08T11:30:00Z", "chris", "staff,monitoring-officer,chief-executive", "chief-executive",
         "case.decide", 2, "allowed", 200),
        ("2025-01-08T11:31:09Z", "olive", "staff,chief-officer", None, "notices.list", None, "allowed", 200),
        ("2025-01-09T08:00:00Z", "ghost", "", None, "notices.list", None, "refused", 403),
        ("2025-01-10T16:45:30Z", "audrey", "staff,auditor", None, "audit.verify", None, "allowed", 200),
        ("2025-01-11T12:00:00Z", "carol", "staff,cem", None, "case.contact", 3, "error", 503),
    ]
    raw = [r + (None, None) for r in raw] + list(more)
    out, prev = [], GENESIS
    for seq, (at, user, roles, acting_as, action, case_id, outcome, status, ids, rule) in enumerate(raw, 1):
        e = {"seq": seq, "at": at, "user": user, "roles": roles, "acting_as": acting_as, "action": action,
             "case_id": case_id, "outcome": outcome, "status": status,
             "request_id": "req-%04d-%s" % (seq, "x" * (seq % 3)) if seq != 6 else None,
             "client": "10.1.2.%d" % seq if seq != 7 else None, "prev_hash": prev}
        if ids or rule:
            e.update(case_ids=ids, refused_rule=rule)
        e["hash"] = _entry_hash(e)
        prev = e["hash"]
        out.append(e)
    return out


def _previous_data():
    """(table, row) in foreign-key order: four cases, two of them about one
    stored person (version 2 kept one person per reference)."""
    T = H.today()

    def d(days):
        return H.iso(T + datetime.timedelta(days=days))

    def ts(days, hms="10:00:00"):
        return d(days) + "T" + hms + "Z"

    p2_start = T - datetime.timedelta(days=400)
    p2_end = H.period_end(p2_start, 12)
    p3_start = p2_end + datetime.timedelta(days=1)
    p1_start = T - datetime.timedelta(days=700)
    phone_fax = {"type": "decline-channels", "channels": ["phone", "fax"]}
    building = {"type": "building-ban", "buildings": ["Civic Centre"]}
    written = {"type": "written-only"}
    copied = json.dumps([{"name": "Dr A. Practitioner", "role": "practitioner"}])
    rows = [
        ("persons", dict(id=1, reference="R-1001", name="Jo Bloggs", address="12 Mill Lane, Anytown AN2 2BB",
                         date_of_birth="1970-04-01")),
        ("persons", dict(id=2, reference="R-2002", name="Sam Smith", address="3 Quay Street, Anytown",
                         date_of_birth=None)),
        ("persons", dict(id=3, reference="R-3003", name="Zoë O'Brien \"Zo\"", address=None,
                         date_of_birth="1988-12-31")),
        # case 1: Jo Bloggs, decided, then quashed on appeal (ended), under legal hold
        ("cases", dict(id=1, person_id=1, status="ended", end_reason="quashed", referred_by="alice",
                       referred_at=ts(-760), department="Housing",
                       summary="Calls many times a day about the same repair.",
                       measures_taken="A single point of contact was named.", complaints_procedure="exhausted",
                       vulnerable=0, vulnerability=None, representative_name=None,
                       representative_address=None, advocate_name=None, advocate_address=None,
                       action_without_notice=0, closed_at=None, closed_by=None, ended_at=ts(-650),
                       legal_hold_reason="Claim issued in the county court", legal_hold_by="carol",
                       legal_hold_at=ts(-600), updated_at=ts(-600))),
        # case 2: Jo Bloggs again (the same stored person), active, reviewed, appealed twice
        ("cases", dict(id=2, person_id=1, status="active", end_reason=None, referred_by="bob",
                       referred_at=ts(-430), department="Council Tax",
                       summary="Resurrects settled issues in long daily emails.",
                       measures_taken="Answered in writing; a meeting was offered.",
                       complaints_procedure="in-progress", vulnerable=1,
                       vulnerability="Hearing impairment: letters, not phone calls",
                       representative_name="Chris Rep", representative_address="4 Law Row, Anytown",
                       advocate_name="Ada Advocate", advocate_address="Advocacy Hub, Anytown",
                       action_without_notice=0, closed_at=None, closed_by=None, ended_at=None,
                       legal_hold_reason=None, legal_hold_by=None, legal_hold_at=None,
                       updated_at=ts(-20))),
        # case 3: Sam Smith, reported without a decision yet, violence: interim restriction in force
        ("cases", dict(id=3, person_id=2, status="reported", end_reason=None, referred_by="alice",
                       referred_at=ts(-15), department="Parking",
                       summary="Threatened an officer at the counter.",
                       measures_taken="Police informed; contact moved to writing.",
                       complaints_procedure="not-applicable", vulnerable=0, vulnerability=None,
                       representative_name=None, representative_address=None, advocate_name=None,
                       advocate_address=None, action_without_notice=1, closed_at=None, closed_by=None,
                       ended_at=None, legal_hold_reason=None, legal_hold_by=None, legal_hold_at=None,
                       updated_at=ts(-10))),
        # case 4: closed without action
        ("cases", dict(id=4, person_id=3, status="closed", end_reason="Contact has settled down.",
                       referred_by="bob", referred_at=ts(-90), department="Planning",
                       summary="Many calls about one application.", measures_taken="Explained the timetable.",
                       complaints_procedure="exhausted", vulnerable=0, vulnerability=None,
                       representative_name=None, representative_address=None, advocate_name=None,
                       advocate_address=None, action_without_notice=0, closed_at=ts(-60), closed_by="carol",
                       ended_at=ts(-60), legal_hold_reason=None, legal_hold_by=None, legal_hold_at=None,
                       updated_at=ts(-60))),
        ("case_criteria", dict(case_id=1, criterion="excessive-contact")),
        ("case_criteria", dict(case_id=2, criterion="excessive-contact")),
        ("case_criteria", dict(case_id=2, criterion="resurrects-issues")),
        ("case_criteria", dict(case_id=3, criterion="violence")),
        ("case_criteria", dict(case_id=4, criterion="excessive-contact")),
        ("copy_recipients", dict(id=1, case_id=2, position=1, name="Dr A. Practitioner", role="practitioner",
                                 address="Health Centre, Anytown")),
        ("copy_recipients", dict(id=2, case_id=2, position=2, name="Citizens Advice", role="cab", address=None)),
        ("contacts", dict(id=1, case_id=2, at=ts(-428, "09:10:00"), channel="phone", direction="inbound",
                          department="Council Tax", officer="bob", summary="Fourth call today about the bill.",
                          recorded_by="bob", recorded_at=ts(-428, "09:20:00"))),
        ("contacts", dict(id=2, case_id=2, at=ts(-427), channel="email", direction="outbound",
                          department=None, officer=None, summary="Reply in writing.", recorded_by="carol",
                          recorded_at=ts(-427, "10:05:00"))),
        ("contacts", dict(id=3, case_id=3, at=ts(-16), channel="in-person", direction="inbound",
                          department="Parking", officer="alice", summary="Shouted and threatened the officer.",
                          recorded_by="alice", recorded_at=ts(-16, "11:00:00"))),
        ("contact_incidents", dict(contact_id=1, incident="swearing")),
        ("contact_incidents", dict(contact_id=3, incident="violence")),
        ("warnings", dict(id=1, case_id=1, warned_on=d(-740), method="letter", text="Please limit calls.",
                          warned_by="carol", recorded_at=ts(-740))),
        ("warnings", dict(id=2, case_id=2, warned_on=d(-420), method="phone",
                          text="Further emails on settled issues will not be answered.", warned_by="carol",
                          recorded_at=ts(-420))),
        ("reports", dict(id=1, case_id=1, behaviour="Calls continued.", restrictions=json.dumps([phone_fax]),
                         period_months=6, alternatives_considered="Single point of contact.", severe=0,
                         severe_reason=None, safeguarding_considered=0, safeguarding_adjustments=None,
                         police_reference=None, asb_unit_consulted=None, author="carol", created_at=ts(-720))),
        ("reports", dict(id=2, case_id=2, behaviour="Emails continued after the warning.",
                         restrictions=json.dumps([phone_fax, building]), period_months=12,
                         alternatives_considered="A meeting; declined.", severe=0, severe_reason=None,
                         safeguarding_considered=1, safeguarding_adjustments="Letters in large print.",
                         police_reference="Not a police matter", asb_unit_consulted=0, author="carol",
                         created_at=ts(-410))),
        ("reports", dict(id=3, case_id=3, behaviour="Threats at the counter.", restrictions=json.dumps([written]),
                         period_months=6, alternatives_considered="None appropriate after violence.", severe=1,
                         severe_reason="Threat of violence to staff", safeguarding_considered=None,
                         safeguarding_adjustments=None, police_reference="CAD 1234/25", asb_unit_consulted=1,
                         author="carol", created_at=ts(-12))),
        ("decisions", dict(id=1, case_id=1, report_id=1, outcome="approve", justified=1, proportionate=1,
                           reasons="Calls take officers from other customers.", start=H.iso(p1_start),
                           decided_by="chris", acting_as="chief-executive", deputising=0, decided_at=ts(-701))),
        ("decisions", dict(id=2, case_id=2, report_id=2, outcome="approve", justified=1, proportionate=1,
                           reasons="The emails resurrect settled issues.", start=H.iso(p2_start),
                           decided_by="molly", acting_as="monitoring-officer", deputising=1,
                           decided_at=ts(-401))),
        ("periods", dict(id=1, case_id=1, start=H.iso(p1_start), months=6,
                         end_date=H.iso(H.period_end(p1_start, 6)), review_due=H.iso(H.review_due(p1_start, 6)),
                         origin="decision", created_at=ts(-701))),
        ("periods", dict(id=2, case_id=2, start=H.iso(p2_start), months=12, end_date=H.iso(p2_end),
                         review_due=H.iso(H.review_due(p2_start, 12)), origin="decision", created_at=ts(-401))),
        ("periods", dict(id=3, case_id=2, start=H.iso(p3_start), months=12,
                         end_date=H.iso(H.period_end(p3_start, 12)), review_due=H.iso(H.review_due(p3_start, 12)),
                         origin="review", created_at=ts(-50))),
        ("restrictions", dict(id=1, case_id=1, type="decline-channels", detail=json.dumps(phone_fax), interim=0,
                              origin="decision", created_at=ts(-701), lifted_at=ts(-650),
                              lifted_reason="quashed on appeal")),
        ("restrictions", dict(id=2, case_id=2, type="written-only", detail=json.dumps(written), interim=1,
                              origin="interim", created_at=ts(-410), lifted_at=ts(-401), lifted_reason="decision")),
        ("restrictions", dict(id=3, case_id=2, type="decline-channels", detail=json.dumps(phone_fax), interim=0,
                              origin="decision", created_at=ts(-401), lifted_at=None, lifted_reason=None)),
        ("restrictions", dict(id=4, case_id=2, type="building-ban", detail=json.dumps(building), interim=0,
                              origin="decision", created_at=ts(-401), lifted_at=None, lifted_reason=None)),
        ("restrictions", dict(id=5, case_id=3, type="written-only", detail=json.dumps(written), interim=1,
                              origin="interim", created_at=ts(-12), lifted_at=None, lifted_reason=None)),
        ("reviews", dict(id=1, case_id=2, recommendation="continue", report="Emails continue weekly.",
                         monitoring_officer="molly", author="carol", created_at=ts(-70))),
        ("review_decisions", dict(id=1, review_id=1, outcome="continue", reasons="Still needed.", period_months=12,
                                  restrictions=None, decided_by="chris", acting_as="chief-executive",
                                  deputising=0, decided_at=ts(-50))),
        ("appeals", dict(id=1, case_id=1, received=d(-690), grounds="I only called about the repair.",
                         recorded_by="carol", recorded_at=ts(-690))),
        ("appeals", dict(id=2, case_id=2, received=d(-395), grounds="The emails were needed.",
                         recorded_by="carol", recorded_at=ts(-395))),
        ("appeals", dict(id=3, case_id=2, received=d(-20), grounds="The review ignored my letter.",
                         recorded_by="carol", recorded_at=ts(-20))),
        ("appeal_decisions", dict(id=1, appeal_id=1, outcome="quash", reasons="The warning came too late.",
                                  restrictions=None, decided_by="oscar", decided_at=ts(-650))),
        ("appeal_decisions", dict(id=2, appeal_id=2, outcome="uphold", reasons="Proportionate.",
                                  restrictions=None, decided_by="olive", decided_at=ts(-380))),
        ("letters", dict(id=1, case_id=1, number=1, kind="warning", issued_at=ts(-740), issued_by="carol",
                         subject="Your contact with the council", body="<p>Please limit calls.</p>",
                         copied_to="[]")),
        ("letters", dict(id=2, case_id=2, number=1, kind="warning", issued_at=ts(-420), issued_by="carol",
                         subject="Your emails", body="<p>Settled issues &amp; replies.</p>", copied_to=copied)),
        ("letters", dict(id=3, case_id=2, number=2, kind="decision", issued_at=ts(-401), issued_by="molly",
                         subject="Restrictions on contact", body="<section data-part=\"reasons\">…</section>",
                         copied_to=copied)),
        ("absences", dict(id=1, from_date=d(-402), to_date=d(-398), note="Annual leave", recorded_by="chris",
                          recorded_at=ts(-410))),
        ("notifications", dict(id=1, case_id=1, event="approved", created_at=ts(-701), created_by="chris",
                               email_sent_at=ts(-701, "10:01:00"), email_attempts=1, email_error=None)),
        ("notifications", dict(id=2, case_id=1, event="quashed", created_at=ts(-650), created_by="oscar",
                               email_sent_at=None, email_attempts=3, email_error="550 mailbox unavailable")),
        ("notifications", dict(id=3, case_id=2, event="approved", created_at=ts(-401), created_by="molly",
                               email_sent_at=ts(-401, "10:01:00"), email_attempts=1, email_error=None)),
        ("notifications", dict(id=4, case_id=2, event="continued", created_at=ts(-50), created_by="chris",
                               email_sent_at=None, email_attempts=0, email_error=None)),
        ("grants", dict(id=1, case_id=2, grantee="alice", reason="Handles the account", expires=d(60),
                        granted_by="carol", granted_at=ts(-30), revoked_at=None, revoked_by=None)),
        ("grants", dict(id=2, case_id=2, grantee="bob", reason="Covering leave", expires=d(10),
                        granted_by="olive", granted_at=ts(-40), revoked_at=ts(-35), revoked_by="olive")),
        ("statements", dict(id=1, case_id=2, received=d(-25), text="I dispute the record of 4 May.",
                            recorded_by="carol", recorded_at=ts(-25))),
    ]
    return rows


# ---- the landed release: version 12, before the index by block (13) ----

LANDED_VERSION = 12
# after version 2's eight entries: lists that showed cases (v2 entries) and a
# safeguard's refusal (v3); version 12 indexed them in arrears up to a mark
LANDED_LOG = [
    ("2025-02-03T09:00:00Z", "carol", "staff,cem", None, "cases.list", None, "allowed", 200, "1,2,3,4", None),
    ("2025-02-03T09:05:00Z", "olive", "staff,chief-officer", None, "notices.list", None, "allowed", 200, "2,3",
     None),
    ("2025-02-04T10:00:00Z", "carol", "staff,cem", None, "case.warn", 2, "refused", 409, None, "R13"),
    ("2025-02-05T11:00:00Z", "carol", "staff,cem", None, "cases.list", None, "allowed", 200, "2,3,4", None),
    ("2025-02-05T11:01:00Z", "olive", "staff,chief-officer", None, "notices.list", None, "allowed", 200, "2,3",
     None),
    ("2025-02-06T08:30:00Z", "alice", "staff", None, "case.read", 3, "allowed", 200, None, None),
]
LANDED_MARK = 11   # entries 1..11 indexed (access_log_cases), 12..14 not yet


def _landed_data():
    """(table, row) of the tables versions 3..12 added, in foreign-key order."""
    T = H.today()

    def ts(days, hms="10:00:00"):
        return H.iso(T + datetime.timedelta(days=days)) + "T" + hms + "Z"

    p3_start = H.period_end(T - datetime.timedelta(days=400), 12) + datetime.timedelta(days=1)
    still = b"still"
    return [
        ("review_reminders", dict(id=1, case_id=2, period_id=3, kind="review-due-in-30-days",
                                  review_due=H.iso(H.review_due(p3_start, 12)), decide_by=None,
                                  created_at=ts(-5), email_sent_at=ts(-5, "10:01:00"), email_attempts=1,
                                  email_error=None)),
        ("corrections", dict(id=1, case_id=2, target="contact", target_id=2, item="summary",
                             old_value="Reply in writing.", new_value="Replied in writing.",
                             reason="A typing slip", corrected_by="carol", corrected_at=ts(-4))),
        ("adjustments", dict(id=1, case_id=2, format="large-print", easy_read=1, named_contact="carol",
                             third_party_name="Ada Advocate", third_party_address="Advocacy Hub, Anytown",
                             notes="Letters, not phone calls", recorded_by="carol", recorded_at=ts(-30))),
        ("correspondence", dict(id=1, case_id=2, received=H.iso(T - datetime.timedelta(days=3)),
                                channel="letter", summary="Asks about the bill again.", recorded_by="carol",
                                recorded_at=ts(-3), decision="acknowledge-only", reason="A settled issue",
                                routed_to=None, routed_reference=None, decided_by="carol",
                                decided_at=ts(-2), letter_number=2, flagged_at=None)),
        ("evidence", dict(id=1, case_id=3, contact_id=3, description="The counter's camera, a still",
                          filename="still.txt", content_type="text/plain", size=len(still),
                          sha256=hashlib.sha256(still).hexdigest(), chunks=1, uploaded_by="alice",
                          uploaded_at=ts(-15))),
        ("evidence_chunks", dict(evidence_id=1, seq=0, data=base64.b64encode(still).decode())),
    ]


def _shows(e, case_id):
    return e["case_id"] == case_id or str(case_id) in (e.get("case_ids") or "").split(",")


def _landed_index(entries):
    """access_log_cases as version 12 left it: a row for each case an entry
    up to the mark showed, and the mark (case 0)."""
    rows = [("access_log_cases", dict(case_id=int(c), seq=e["seq"]))
            for e in entries if e["seq"] <= LANDED_MARK and e.get("case_ids")
            for c in e["case_ids"].split(",")]
    return rows + [("access_log_cases", dict(case_id=0, seq=LANDED_MARK))]


def _insert(db, rows, entries):
    """The rows as the database's owner, foreign keys enforced; the
    change counter moved as the changes would have moved it."""
    stmts = []
    for table, row in rows:
        cols = list(row)
        stmts.append(('INSERT INTO "%s" (%s) VALUES (%s)' % (table, ", ".join('"%s"' % c for c in cols),
                                                            ", ".join("?" for _ in cols)),
                      tuple(row[c] for c in cols)))
    stmts.append(("UPDATE change_counter SET n = ? WHERE id = 1", (57,)))
    cols = ["seq", "at", "user", "roles", "acting_as", "action", "case_id", "outcome", "status", "request_id",
            "client", "prev_hash", "hash"]
    cols += [c for c in ("case_ids", "refused_rule") if any(c in e for e in entries)]
    for e in entries:
        stmts.append(('INSERT INTO access_log (%s) VALUES (%s)' % (", ".join('"%s"' % c for c in cols),
                                                                  ", ".join("?" for _ in cols)),
                      tuple(e.get(c) for c in cols)))
    if PG:
        c = db.connect(autocommit=False)
        try:
            with c.cursor() as cur:
                for sql, args in stmts:
                    cur.execute(sql.replace("?", "%s"), args)
                # explicit ids: the identities carry on after them, as the module's inserts had left them
                for (table,) in _pg_rows(cur, "SELECT table_name FROM information_schema.columns "
                                              "WHERE table_schema = 'public' AND column_name = 'id' "
                                              "AND is_identity = 'YES'"):
                    cur.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                                "(SELECT coalesce(max(id), 0) + 1 FROM \"" + table + "\"), false)", (table,))
            c.commit()
        finally:
            c.close()
        return
    c = sqlite3.connect(db, isolation_level=None)
    try:
        c.execute("PRAGMA foreign_keys=ON")
        c.execute("BEGIN IMMEDIATE")
        for sql, args in stmts:
            c.execute(sql, args)
        c.execute("COMMIT")
        assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        c.close()


def _pg_rows(cur, sql, args=()):
    cur.execute(sql, args)
    return cur.fetchall()


# ---- looking at it ----

def _primary_key(dbv, table):
    if dbv.pg:
        rows = dbv.query(
            "SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = CAST(? AS regclass) AND i.indisprimary "
            "ORDER BY array_position(CAST(i.indkey AS int2[]), a.attnum)", ('"%s"' % table,))
    else:
        rows = dbv.query("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", (table,))
    return [r["name"] for r in rows]


def _snapshot(dbv, shape=None):
    """{table: [row tuple]} of the given {table: [columns]} (default: every
    table with every column it has now), ordered by primary key."""
    if shape is None:
        shape = {t: dbv.columns(t) for t in dbv.tables()}
    out = {}
    for table, cols in shape.items():
        pk = _primary_key(dbv, table)
        assert pk, "%s has no primary key" % table
        sql = 'SELECT %s FROM "%s" ORDER BY %s' % (", ".join('"%s"' % c for c in cols), table,
                                                  ", ".join('"%s"' % c for c in pk))
        out[table] = [tuple(r[c] for c in cols) for r in dbv.query(sql)]
    return out


def _verify(db):
    res = rig.admin(db, "verify-audit", check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    m = re.match(r"ok: (\d+) entries, head ([0-9a-f]{64})$", res.stdout.strip())
    assert m, res.stdout
    return int(m.group(1)), m.group(2)


def _version(dbv):
    return dbv.scalar("SELECT max(version) FROM schema_migrations")


def _first_difference(before, after):
    for i, (b, a) in enumerate(zip(before, after)):
        if b != a:
            return "row %d: was %r, now %r" % (i, b, a)
    return "%d rows before, %d after" % (len(before), len(after))


def _previous_database(workdir, version=PREVIOUS_VERSION):
    """A database of this run's engine at version 2 (or the landed release's
    LANDED_VERSION) with data in every table; returns (db handle, its Db,
    the log entries written)."""
    if PG:
        db = new_database(workdir)
    else:
        os.makedirs(os.path.join(workdir, "db"), mode=0o755)
        db = new_database(workdir, os.path.join("db", "habitual.db"))
    _build_previous(db, version)
    if version == PREVIOUS_VERSION:
        entries = _log_entries()
        _insert(db, _previous_data(), entries)
    else:
        entries = _log_entries(LANDED_LOG)
        _insert(db, _previous_data() + _landed_data() + _landed_index(entries), entries)
    return db, Db(db), entries


def _drop(db):
    if rig.is_pg(db):
        db.drop()


# ---- the tests ----

def _stop_and_drop(httpd, slapd, dbv, db):
    if httpd is not None:
        httpd.stop()
    if slapd is not None:
        slapd.stop()
    dbv.close()
    _drop(db)


def test_upgrade_from_the_previous_release_keeps_every_row_and_the_chain(workdir):
    db, dbv, entries = _previous_database(workdir)
    slapd = httpd = None
    try:
        # -- version 2, data in every table --
        assert _version(dbv) == PREVIOUS_VERSION
        if not PG:
            c = sqlite3.connect(db)
            try:
                assert c.execute("PRAGMA user_version").fetchone()[0] == PREVIOUS_VERSION
                assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            finally:
                c.close()
        tables = dbv.tables()
        assert sorted(tables) == sorted(PREVIOUS_TABLES), \
            "version %d's tables changed: %s" % (PREVIOUS_VERSION, sorted(set(tables) ^ set(PREVIOUS_TABLES)))
        counts = dbv.counts(exclude=())
        empty = [t for t, n in counts.items() if n < 1]
        assert not empty, "tables with no rows before the upgrade: %s" % empty
        # two cases about one stored person: the model version 3 changes
        assert dbv.scalar("SELECT count(*) FROM cases WHERE person_id = 1") == 2
        # the chain as computed here; after the upgrade this build's
        # verify-audit must find exactly it (count and head)
        n_entries, head = len(entries), entries[-1]["hash"]
        if PG:
            db.grant_app()   # the previous release's deployment: its grants stay in place
        shape = {t: dbv.columns(t) for t in tables}
        before = _snapshot(dbv, shape)
        assert all(before[t] for t in tables)

        # -- the upgrade --
        res = rig.admin(db, "init")
        latest = _latest_version()
        assert "schema version %d (was %d)" % (latest, PREVIOUS_VERSION) in res.stdout, res.stdout
        assert _version(dbv) == latest
        if not PG:
            c = sqlite3.connect(db)
            try:
                assert c.execute("PRAGMA user_version").fetchone()[0] == latest
                assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                assert c.execute("PRAGMA foreign_key_check").fetchall() == []
                assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            finally:
                c.close()
        now_tables = dbv.tables()
        assert not set(tables) - set(now_tables), "tables gone: %s" % sorted(set(tables) - set(now_tables))
        for t in tables:
            gone = set(shape[t]) - set(dbv.columns(t))
            assert not gone, "%s lost columns %s" % (t, sorted(gone))
        after = _snapshot(dbv, shape)
        for t in tables:
            if t == "schema_migrations":
                assert after[t][:len(before[t])] == before[t], _first_difference(before[t], after[t])
                assert [r[0] for r in after[t]] == list(range(1, latest + 1))
                assert [r[1] for r in after[t]] == [n for _v, n, _p in _migrations()]
            elif t == "access_log":
                assert after[t][:len(before[t])] == before[t], _first_difference(before[t], after[t])
            else:
                assert after[t] == before[t], "%s: %s" % (t, _first_difference(before[t], after[t]))
        # the referral's person is the person the case was about
        for r in dbv.query("SELECT id, person_id, referred_person_id FROM cases ORDER BY id"):
            assert r["referred_person_id"] == r["person_id"], r
        # restrictions kept their time in force (none scheduled, none cut short)
        if {"in_force_from", "in_force_until"} <= set(dbv.columns("restrictions")):
            assert dbv.query("SELECT id FROM restrictions WHERE in_force_from IS NOT NULL "
                             "OR in_force_until IS NOT NULL") == []
        n_after, head_after = _verify(db)
        log_rows = dbv.log_count()
        # the C chain walk finds exactly the chain written here: init logs nothing
        assert (n_after, head_after) == (n_entries, head) and log_rows == n_entries
        # schema 12: the index of the cases shown goes on in arrears from the head;
        # schema 13: by block, the first one after that mark, none written by init
        assert dbv.scalar("SELECT max(seq) FROM access_log_cases WHERE case_id = 0") == n_entries
        assert dbv.scalar("SELECT count(*) FROM access_log_case_blocks") == 0
        if PG and set(now_tables) - set(tables):
            db.grant_app()   # README: grants again after an init that adds tables
        # the log's own tables grow with every request served below
        counts_after = dbv.counts()
        dbv.close()

        # -- httpd on the upgraded database serves the old data --
        slapd = rig.Slapd(workdir).start()
        httpd = rig.Httpd(workdir, slapd.port, db=db, init_db=False)
        httpd.start()
        data = {}
        for table, row in _previous_data():
            data.setdefault(table, {})[row.get("id")] = row
        carol = Client(httpd.base(), "carol")

        r = carol.get("api/cases/2")
        assert r.status_code == 200, (r.status_code, r.text)
        case = r.json()
        p1 = data["persons"][1]
        person = {k: p1[k] for k in ("name", "reference", "address", "date_of_birth")}
        assert case["status"] == "active"
        assert case["person"] == person and case["person_as_referred"] == person
        assert case["person_link"] is None
        assert case["restrictions"] == [json.loads(data["restrictions"][i]["detail"]) for i in (3, 4)]
        assert case["restrictions_scheduled"] == []
        assert case["open_channels"] == ["letter", "email", "in-person", "online"]
        p3 = data["periods"][3]
        assert case["period"] == {"start": p3["start"], "end": p3["end_date"], "months": 12}
        assert case["review_due"] == p3["review_due"]

        def appeal(i):
            a = data["appeals"][i]
            dec = [x for x in data["appeal_decisions"].values() if x["appeal_id"] == i]
            return {"id": i, "received": a["received"], "grounds": a["grounds"], "recorded_by": a["recorded_by"],
                    "at": a["recorded_at"],
                    # version 3 records R17's findings: decisions made before read as not recorded
                    "decision": {"outcome": dec[0]["outcome"], "reasons": dec[0]["reasons"], "restrictions": None,
                                 "decided_by": dec[0]["decided_by"], "at": dec[0]["decided_at"],
                                 "justified": None, "proportionate": None} if dec else None}
        assert case["appeals"] == [appeal(2), appeal(3)]
        assert [(v["id"], v["recommendation"], v["decision"]["outcome"]) for v in case["reviews"]] == \
            [(1, "continue", "continue")]
        assert case["criteria"] == ["excessive-contact", "resurrects-issues"]
        assert [x["name"] for x in case["copy_to"]] == ["Dr A. Practitioner", "Citizens Advice"]
        assert [(x["id"], x["incidents"]) for x in case["contacts"]] == [(1, ["swearing"]), (2, [])]
        assert case["warning"]["text"] == data["warnings"][2]["text"]
        assert case["report"]["behaviour"] == data["reports"][2]["behaviour"]
        assert case["decision"]["decided_by"] == "molly" and case["decision"]["deputising"] is True
        assert [(x["id"], x["kind"]) for x in case["letters"]] == [(1, "warning"), (2, "decision")]
        assert [(x["id"], x["user"], x["active"]) for x in case["grants"]] == [(1, "alice", True), (2, "bob", False)]
        assert [x["text"] for x in case["statements"]] == [data["statements"][1]["text"]]
        assert case["vulnerability"] == data["cases"][2]["vulnerability"]
        # both cases of the one stored person are still about it
        assert case["person_matches"] == []

        r = carol.get("api/cases/1")
        assert r.status_code == 200, (r.status_code, r.text)
        old = r.json()
        assert old["status"] == "ended" and old["end_reason"] == "quashed"
        assert old["person"] == person and old["restrictions"] == []
        assert old["appeals"] == [appeal(1)]
        assert old["legal_hold"]["reason"] == data["cases"][1]["legal_hold_reason"]

        r = carol.get("api/cases/3")
        assert r.status_code == 200, (r.status_code, r.text)
        reported = r.json()
        assert reported["status"] == "reported"
        assert reported["restrictions"] == [dict(json.loads(data["restrictions"][5]["detail"]), interim=True)]

        r = Client(httpd.base(), "olive").get("api/notices")
        assert r.status_code == 200, (r.status_code, r.text)
        notices = {n["case_id"]: n for n in r.json()["notices"]}
        assert sorted(notices) == [2, 3], notices
        n2 = notices[2]
        assert n2["person"] == {"name": p1["name"], "reference": p1["reference"]}
        assert n2["restrictions"] == case["restrictions"]
        assert (n2["from"], n2["until"], n2["interim"]) == (p3["start"], p3["end_date"], False)
        assert notices[3]["interim"] is True

        # a safeguard's refusal on the upgraded log names its rule (a v3 entry
        # after the old v1 ones): warning a case in force, R13
        r = carol.post("api/cases/2/warning", {"on": "2026-01-05", "method": "letter", "text": "Again."})
        assert r.status_code == 409 and r.json()["error"]["code"] == "wrong-state", (r.status_code, r.text)
        dbr = Db(db)
        try:
            last = dbr.query("SELECT action, outcome, refused_rule FROM access_log ORDER BY seq DESC LIMIT 1")[0]
            assert (last["action"], last["outcome"], last["refused_rule"]) == ("case.warn", "refused", "R13")
            assert dbr.scalar("SELECT count(*) FROM access_log WHERE refused_rule IS NOT NULL") == 1
        finally:
            dbr.close()

        r = Client(httpd.base(), "audrey").get("api/audit/verify")
        assert r.status_code == 200, (r.status_code, r.text)
        verdict = r.json()
        assert verdict["ok"] is True, verdict
        assert verdict["entries"] > n_after   # the requests above were logged on the old chain
        httpd.stop()
        n_served, _head = _verify(db)
        assert n_served == verdict["entries"] + 1   # and the verify request's own entry
        # reads changed no case data; the old entries are still the first ones
        dbv2 = Db(db)
        try:
            assert dbv2.counts() == counts_after
            assert _snapshot(dbv2, {"access_log": shape["access_log"]})["access_log"][:len(entries)] == \
                before["access_log"]
        finally:
            dbv2.close()
    finally:
        _stop_and_drop(httpd, slapd, dbv, db)


def test_init_twice_after_the_upgrade_changes_nothing(workdir):
    db, dbv, entries = _previous_database(workdir)
    try:
        first = rig.admin(db, "init")
        latest = _latest_version()
        assert "(was %d)" % PREVIOUS_VERSION in first.stdout, first.stdout
        schema = dbv.schema()
        rows = _snapshot(dbv)
        counts = dbv.counts(exclude=())
        verdict = _verify(db)
        second = rig.admin(db, "init")
        assert "schema version %d, already current" % latest in second.stdout, second.stdout
        assert dbv.schema() == schema
        assert dbv.counts(exclude=()) == counts
        assert _snapshot(dbv) == rows
        assert _verify(db) == verdict == (len(entries), entries[-1]["hash"])
        assert dbv.scalar("SELECT count(*) FROM schema_migrations") == latest
        # and the upgraded schema is the one a fresh init makes
        fresh = new_database(workdir, "fresh.db")
        fresh_view = Db(fresh)
        try:
            rig.admin(fresh, "init")
            assert fresh_view.schema() == schema
        finally:
            fresh_view.close()
            _drop(fresh)
    finally:
        dbv.close()
        _drop(db)


def test_upgrade_from_the_landed_release_keeps_every_row_and_finds_every_look(workdir):
    """The same promise from the release before this one (version 12, data
    in every one of its tables, the access log indexed in arrears up to a
    mark): after `init` every row of every table is kept, the chain verifies
    to the same head, init writes no block, and api/audit?case=N finds every
    entry that showed case N, through version 12's index up to its mark and
    by the entries' own case_ids after it, and none that did not."""
    db, dbv, entries = _previous_database(workdir, LANDED_VERSION)
    slapd = httpd = None
    try:
        assert _version(dbv) == LANDED_VERSION
        tables = dbv.tables()
        counts = dbv.counts(exclude=())
        assert not [t for t, n in counts.items() if n < 1], counts
        assert {"access_log_cases", "evidence_chunks", "correspondence"} <= set(tables)
        assert "access_log_case_blocks" not in tables
        if PG:
            db.grant_app()
        shape = {t: dbv.columns(t) for t in tables}
        before = _snapshot(dbv, shape)

        res = rig.admin(db, "init")
        latest = _latest_version()
        assert "schema version %d (was %d)" % (latest, LANDED_VERSION) in res.stdout, res.stdout
        for t in tables:
            assert not set(shape[t]) - set(dbv.columns(t)), t
        after = _snapshot(dbv, shape)
        for t in tables:
            if t == "schema_migrations":
                assert after[t][:len(before[t])] == before[t], _first_difference(before[t], after[t])
            else:
                assert after[t] == before[t], "%s: %s" % (t, _first_difference(before[t], after[t]))
        assert _verify(db) == (len(entries), entries[-1]["hash"])
        assert dbv.scalar("SELECT count(*) FROM access_log_case_blocks") == 0
        if PG:
            db.grant_app()   # README: grants again after an init that adds tables
        dbv.close()

        slapd = rig.Slapd(workdir).start()
        httpd = rig.Httpd(workdir, slapd.port, db=db, init_db=False)
        httpd.start()
        audrey = Client(httpd.base(), "audrey")
        for case_id in (1, 2, 3, 4):
            r = audrey.get("api/audit", params={"case": case_id, "limit": 1000})
            assert r.status_code == 200, (r.status_code, r.text)
            got = [e["seq"] for e in r.json()["entries"] if e["seq"] <= len(entries)]
            want = [e["seq"] for e in entries if _shows(e, case_id)]
            assert got == want, (case_id, got, want)
            assert [q for q in want if q <= LANDED_MARK] and [q for q in want if q > LANDED_MARK] or \
                case_id == 1, (case_id, want)   # found on both sides of the mark
        r = audrey.get("api/audit/verify")
        assert r.status_code == 200 and r.json()["ok"] is True, r.text
    finally:
        _stop_and_drop(httpd, slapd, dbv, db)
