"""Shared pieces of test_access.py and test_audit.py (issue 4): a rig with two
extra plain staff members (one to hold an active grant, one an expired grant),
the seeding of cases in every state with marker strings in every text field,
and an independent implementation of the access log's canonical encoding
(README, "The access log")."""

import datetime
import hashlib
import os
import shutil
import tempfile

import rig
from conftest import RigFixture, _check_sanitizers

# ---- people ----

# The rig's directory plus two plain staff members of our own: GINA will hold
# an active grant on the cases with restrictions in force, EDDIE grants that
# have expired.  Both are ordinary staff in every other respect.
GRANTED = "gina"
EXPIRED = "eddie"
ACCESS_USERS = dict(rig.USERS)
ACCESS_USERS[GRANTED] = ("Gina Granted", [])
ACCESS_USERS[EXPIRED] = ("Eddie Expired", [])

REFERRER = "bob"

# The columns of the matrix: every role of SPEC §5, a signed-in user with no
# directory entry, a granted and an expired-grant staff member.
MATRIX_USERS = ["alice", "bob", "carol", "molly", "chris", "olive", "audrey", GRANTED, EXPIRED, "ghost"]

# Grants name users the directory knows (README, "Grants"): the matrix's
# grant and revoke targets are plain staff members of their own.
for _u in MATRIX_USERS:
    ACCESS_USERS["rv-" + _u] = ("Revoke Target", [])
    ACCESS_USERS["zed-" + _u] = ("Grant Target", [])
ACCESS_USERS["zed-only"] = ("Grant Target", [])
ACCESS_USERS["zed"] = ("Grant Target", [])

# Who may see special-category data (R10) or a whole file.
CASE_OFFICERS = {"carol", "molly", "chris"}


def today():
    return datetime.date.today()


def iso(d):
    return d.isoformat()


class AccessRig:
    """slapd (with GINA and EDDIE) + httpd + database, like rig.Rig."""

    def __init__(self, **httpd_args):
        self.workdir = tempfile.mkdtemp(prefix="habitual-access-")
        os.chmod(self.workdir, 0o755)
        self.slapd = rig.Slapd(self.workdir, users=ACCESS_USERS).start()
        self.sign_ins = sorted(ACCESS_USERS) + ["ghost"]
        try:
            self.httpd = rig.Httpd(self.workdir, self.slapd.port, sign_ins=self.sign_ins,
                                   **httpd_args).start()
        except Exception:
            self.slapd.stop()
            raise

    @property
    def db(self):
        return self.httpd.db

    def other_httpd(self, name, faketime):
        """A second httpd on the same database whose clock is shifted."""
        return rig.Httpd(self.workdir, self.slapd.port, name=name, db=self.db,
                         sign_ins=self.sign_ins, faketime=faketime).start()

    def stop(self):
        self.httpd.stop()
        self.slapd.stop()
        self.httpd.drop_db()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_access_rig():
    r = AccessRig()
    return r, RigFixture(r)


def stop_access_rig(r, fx=None):
    r.httpd.stop()
    if fx is not None:
        fx.db.close()
    _check_sanitizers(r)
    r.stop()


# ---- markers ----

MARK = "MARK-"
# kinds of marker and who may ever read them
KINDS_CRITERIA = ("criteria", "chrono")              # the referrer, while referred
KINDS_SPECIAL = ("health", "safeguard")              # cem / mo / ce only, ever


def mark(kind, tag, what=""):
    return "MARK-%s-%s%s" % (kind, tag, "-" + what if what else "")


def person_name(tag):
    return "Zebedee Quill%s" % tag.replace("_", "").capitalize()


def person_ref(tag):
    return "HCREF%s" % tag.replace("_", "").upper()


def concern_body(tag, violence=False):
    criteria = ["attention-seeking", "constitution-misuse", "excessive-contact"]
    if violence:
        criteria.append("violence")
    return {
        "person": {"name": person_name(tag), "reference": person_ref(tag),
                   "address": mark("address", tag), "date_of_birth": "1970-01-02"},
        "department": mark("criteria", tag, "department"),
        "summary": mark("criteria", tag, "summary"),
        "measures_taken": mark("criteria", tag, "measures"),
        "complaints_procedure": "exhausted",
        "criteria": criteria,
        "exclusion": "none",
        "vulnerable": True,
        "vulnerability": mark("health", tag),
        "representative": {"name": mark("party", tag, "rep"), "address": mark("party", tag, "repaddr")},
        "advocate": {"name": mark("party", tag, "adv"), "address": mark("party", tag, "advaddr")},
        "copy_to": [{"name": mark("party", tag, "copy"), "role": "MP",
                     "address": mark("party", tag, "copyaddr")}],
    }


def contact_body(tag, n, incidents=("abuse",)):
    return {"at": iso(today()), "channel": "phone", "direction": "inbound",
            "department": mark("chrono", tag, "dept%s" % n), "officer": mark("chrono", tag, "officer%s" % n),
            "summary": mark("chrono", tag, "summary%s" % n), "incidents": list(incidents)}


def warning_body(tag):
    return {"on": iso(today()), "method": "letter", "text": mark("warning", tag)}


def restrictions_for(tag, suspend=False, violence=False):
    rs = [{"type": "behaviour-agreement", "terms": "NOTICE-terms-%s" % tag},
          {"type": "decline-channels", "channels": ["phone", "fax"]},
          {"type": "building-ban", "buildings": ["NOTICE-building-%s" % tag], "injunction": False}]
    if violence:
        rs.append({"type": "written-only"})
    if suspend:
        rs.append({"type": "suspend-contact", "legal_advice": mark("legal", tag),
                   "until": iso(today() + datetime.timedelta(days=30))})
    return rs


def report_body(tag, restrictions, severe=False, violence=False):
    b = {"behaviour": mark("report", tag, "behaviour"), "restrictions": restrictions,
         "period_months": 12, "alternatives_considered": mark("report", tag, "alternatives"),
         "safeguarding": {"considered": True, "adjustments": mark("safeguard", tag)}}
    if severe:
        b["severe"] = True
        b["severe_reason"] = mark("report", tag, "severe")
    if violence:
        b["police_reference"] = mark("report", tag, "police")
        b["asb_unit_consulted"] = True
    return b


def decision_body(tag):
    return {"outcome": "approve", "justified": True, "proportionate": True,
            "reasons": mark("reasons", tag, "decision")}


def review_body(tag):
    return {"recommendation": "continue", "report": mark("review", tag), "monitoring_officer": "molly"}


def appeal_body(tag):
    return {"received": iso(today()), "grounds": mark("appeal", tag)}


def statement_body(tag):
    return {"received": iso(today()), "text": mark("statement", tag)}


def hold_body(tag):
    return {"reason": mark("hold", tag)}


def close_body(tag):
    return {"reason": mark("closereason", tag)}


def grant_body(user, tag, expires=None):
    return {"user": user, "reason": mark("grantreason", tag, user),
            "expires": iso(expires or today() + datetime.timedelta(days=30))}


def _ok(r, *codes):
    assert r.status_code in codes, (r.request.method, r.request.url, r.status_code, r.text)
    return r


class Seeder:
    """Brings cases into each state through the API, as the procedure's
    users would.  bob refers every case; carol warns, reports, reviews and
    records appeals; chris decides."""

    def __init__(self, fx):
        self.fx = fx
        self.bob = fx.as_user(REFERRER)
        self.carol = fx.as_user("carol")
        self.chris = fx.as_user("chris")
        self.ids = {}
        self.tags = {}

    def referred(self, tag, violence=False, contacts=1):
        r = _ok(self.bob.post("api/cases", concern_body(tag, violence)), 201)
        cid = r.json()["id"]
        self.ids[tag] = cid
        self.tags[cid] = tag
        for n in range(contacts):
            incidents = ("abuse", "violence") if violence and n == 0 else ("abuse",)
            who = self.bob if n % 2 == 0 else self.carol
            _ok(who.post("api/cases/%d/contacts" % cid, contact_body(tag, n + 1, incidents)), 201)
        return cid

    def warned(self, tag, **kw):
        cid = self.referred(tag, **kw)
        _ok(self.carol.post("api/cases/%d/warning" % cid, warning_body(tag)), 200)
        return cid

    def reported(self, tag, suspend=False, violence=False, severe=False):
        if severe:
            cid = self.referred(tag, violence=violence)
        else:
            cid = self.warned(tag, violence=violence)
            # R19: the behaviour continued after the warning
            _ok(self.carol.post("api/cases/%d/contacts" % cid, contact_body(tag, "since")), 201)
        body = report_body(tag, restrictions_for(tag, suspend=suspend, violence=violence),
                           severe=severe, violence=violence)
        _ok(self.carol.post("api/cases/%d/report" % cid, body), 200)
        return cid

    def active(self, tag, suspend=False):
        cid = self.reported(tag, suspend=suspend)
        r = _ok(self.chris.post("api/cases/%d/decision" % cid, decision_body(tag)), 200)
        assert r.json()["status"] == "active"
        return cid

    def with_review(self, tag):
        cid = self.active(tag)
        _ok(self.carol.post("api/cases/%d/review" % cid, review_body(tag)), 200)
        return cid

    def with_appeal(self, tag):
        cid = self.active(tag)
        _ok(self.carol.post("api/cases/%d/appeal" % cid, appeal_body(tag)), 200)
        return cid

    def closed(self, tag):
        cid = self.warned(tag)
        _ok(self.carol.post("api/cases/%d/close" % cid, close_body(tag)), 200)
        return cid

    def extras(self, cid):
        tag = self.tags[cid]
        _ok(self.carol.post("api/cases/%d/statements" % cid, statement_body(tag)), 201)
        _ok(self.carol.post("api/cases/%d/hold" % cid, hold_body(tag)), 200)

    def grant(self, cid, user, client=None, expires=None):
        c = client or self.carol
        _ok(c.post("api/cases/%d/grants" % cid, grant_body(user, self.tags[cid], expires)), 201)


def all_markers(tags):
    """Every marker string the seeding puts into the cases with these tags."""
    out = set()
    for tag in tags:
        b = concern_body(tag, True)
        out |= {b["person"]["address"], b["department"], b["summary"], b["measures_taken"],
                b["vulnerability"], b["representative"]["name"], b["representative"]["address"],
                b["advocate"]["name"], b["advocate"]["address"], b["copy_to"][0]["name"],
                b["copy_to"][0]["address"]}
        for n in (1, 2, 3):
            c = contact_body(tag, n)
            out |= {c["department"], c["officer"], c["summary"]}
        rb = report_body(tag, [], severe=True, violence=True)
        out |= {warning_body(tag)["text"], rb["behaviour"], rb["alternatives_considered"],
                rb["severe_reason"], rb["police_reference"], rb["safeguarding"]["adjustments"],
                decision_body(tag)["reasons"], mark("legal", tag), review_body(tag)["report"],
                appeal_body(tag)["grounds"], statement_body(tag)["text"], hold_body(tag)["reason"],
                close_body(tag)["reason"]}
    return out


# ---- the access log's canonical encoding, written from the README ----

GENESIS = "0" * 64
ENTRY_FIELDS = ["seq", "at", "user", "roles", "acting_as", "action", "case_id", "outcome",
                "status", "request_id", "client", "prev_hash"]


def canonical(entry):
    """entry: a dict with ENTRY_FIELDS; None for a field that has no value.
    Integers in decimal, roles comma-separated.  An entry with case_ids (the
    cases a list showed: "3,7,12", or a list of ints) is v2, with case_ids
    after prev_hash; a refusal naming its rule (refused_rule "R5") is v3,
    with case_ids (or none) and then the rule after prev_hash; any other is
    v1."""
    ids = entry.get("case_ids")
    if isinstance(ids, (list, tuple)):
        ids = ",".join(str(i) for i in ids) or None
    rule = entry.get("refused_rule")
    out = b"habitual-audit-v3\n" if rule else b"habitual-audit-v2\n" if ids else b"habitual-audit-v1\n"
    for f in ENTRY_FIELDS + (["case_ids"] if ids or rule else []) + (["refused_rule"] if rule else []):
        if f == "case_ids":
            if not ids:
                out += b"-\n"
                continue
            raw = ids.encode()
            out += b"%d:" % len(raw) + raw + b"\n"
            continue
        v = entry.get(f)
        if v is None:
            out += b"-\n"
            continue
        if isinstance(v, (list, tuple)):
            v = ",".join(v)
        if isinstance(v, bool):
            raise TypeError(f)
        if isinstance(v, int):
            v = str(v)
        raw = v.encode("utf-8")
        out += b"%d:" % len(raw) + raw + b"\n"
    return out


def entry_hash(entry):
    return hashlib.sha256(canonical(entry)).hexdigest()


def check_chain(entries):
    """Walk entries (in seq order, starting at seq 1) as an auditor would with
    only the README: returns the first bad seq, or None."""
    prev = GENESIS
    expected = 1
    for e in entries:
        if e["seq"] != expected:
            return expected
        if e["prev_hash"] != prev or entry_hash(e) != e["hash"]:
            return e["seq"]
        prev = e["hash"]
        expected += 1
    return None
