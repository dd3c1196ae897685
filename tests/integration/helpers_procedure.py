"""Builders and checks for the procedure tests (issue 3): raise a case, take
it step by step through the procedure, read what the system says about it,
and check that a refused step leaves the database as it was.

Every builder takes a `rig` (a conftest RigFixture, or anything with
`as_user(user)` and `db`) and asserts the step's answer, so a test reads as
the procedure does."""

import calendar
import datetime
import html as htmllib
import os
import re
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "rig"))
import rig as rigmod  # noqa: E402
from conftest import Client  # noqa: E402

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

# England and Wales bank holidays as published on gov.uk (an oracle
# independent of the module's own calculation).
BANK_HOLIDAYS = {datetime.date(*d) for d in [
    (2025, 1, 1), (2025, 4, 18), (2025, 4, 21), (2025, 5, 5), (2025, 5, 26), (2025, 8, 25),
    (2025, 12, 25), (2025, 12, 26),
    (2026, 1, 1), (2026, 4, 3), (2026, 4, 6), (2026, 5, 4), (2026, 5, 25), (2026, 8, 31),
    (2026, 12, 25), (2026, 12, 28),
    (2027, 1, 1), (2027, 3, 26), (2027, 3, 29), (2027, 5, 3), (2027, 5, 31), (2027, 8, 30),
    (2027, 12, 27), (2027, 12, 28),
    (2028, 1, 3), (2028, 4, 14), (2028, 4, 17), (2028, 5, 1), (2028, 5, 29), (2028, 8, 28),
    (2028, 12, 25), (2028, 12, 26),
    (2029, 1, 1), (2029, 3, 30), (2029, 4, 2), (2029, 5, 7), (2029, 5, 28), (2029, 8, 27),
    (2029, 12, 25), (2029, 12, 26),
]}
KNOWN_YEARS = {d.year for d in BANK_HOLIDAYS}


# ---- dates ----

def today():
    """The server's local date: the rig's httpd runs in this process's zone."""
    return datetime.date.today()


def iso(d):
    return d.isoformat()


def add_months(d, n):
    total = d.year * 12 + (d.month - 1) + n
    y, m = divmod(total, 12)
    m += 1
    return datetime.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def period_end(start, months):
    """SPEC R9 / README: ends the day before the same date n months later."""
    return add_months(start, months) - datetime.timedelta(days=1)


def review_due(start, months):
    """Review at the period's end or 12 months after its start, whichever is sooner."""
    return min(period_end(start, months), add_months(start, 12))


def long_date(d):
    """"1 March 2026", as letters write dates."""
    return "%d %s %d" % (d.day, MONTHS[d.month - 1], d.year)


def add_working_days(d, n):
    """n working days after d, skipping weekends and the published bank holidays."""
    while n > 0:
        d += datetime.timedelta(days=1)
        assert d.year in KNOWN_YEARS, "extend BANK_HOLIDAYS to %d" % d.year
        if d.weekday() < 5 and d not in BANK_HOLIDAYS:
            n -= 1
    return d


def first_of_month_months_ago(n):
    """The first day of the month n months ago: a period of 12 months from it
    ends at the end of the month n - 12 months from now, whatever today is."""
    return add_months(today().replace(day=1), -n)


# ---- bodies ----

def uid():
    return uuid.uuid4().hex[:12]


RESTRICTION_PHONE_FAX = {"type": "decline-channels", "channels": ["phone", "fax"]}
WRITTEN_ONLY = {"type": "written-only"}
ALL_CHANNELS = ["phone", "letter", "email", "in-person", "fax", "online"]


def concern_body(**over):
    """A complete, valid referral for a person no other test uses."""
    u = uid()
    body = {
        "person": {"name": "Pat Person %s" % u, "reference": "REF-%s" % u,
                   "address": "1 High Street, Anytown AN1 1AA"},
        "department": "Housing",
        "summary": "Calls many times a day about the same repair, already answered.",
        "measures_taken": "A single point of contact was named and the repair was explained in writing.",
        "complaints_procedure": "exhausted",
        "criteria": ["excessive-contact", "resurrects-issues"],
        "exclusion": "none",
    }
    for k, v in over.items():
        if v is DROP:
            body.pop(k, None)
        else:
            body[k] = v
    return body


class _Drop:
    def __repr__(self):
        return "DROP"


DROP = _Drop()  # concern_body(measures_taken=DROP) leaves the key out


def report_body(restrictions=None, period_months=12, **over):
    body = {
        "behaviour": "Repeated calls after the warning, the same points each time.",
        "restrictions": restrictions if restrictions is not None else [dict(RESTRICTION_PHONE_FAX)],
        "period_months": period_months,
        "alternatives_considered": "A single point of contact; it did not reduce the calls.",
    }
    body.update(over)
    return body


def approve_body(**over):
    body = {"outcome": "approve", "justified": True, "proportionate": True,
            "reasons": "The contact takes officers away from other customers and has not changed "
                       "after a warning."}
    body.update(over)
    return body


# ---- the steps (each asserts its own answer) ----

def ok(r, status=200):
    assert r.status_code == status, (r.status_code, r.text)
    return r.json() if r.content else None


def raise_case(rig, user="alice", **over):
    body = concern_body(**over)
    out = ok(rig.as_user(user).post("api/cases", body), 201)
    assert out["status"] == "referred" and isinstance(out["id"], int), out
    return out["id"]


def add_contact(rig, cid, user="carol", incidents=None, **over):
    body = {"at": iso(today()), "channel": "phone", "direction": "inbound",
            "summary": "Called again about the repair."}
    if incidents is not None:
        body["incidents"] = incidents
    body.update(over)
    return ok(rig.as_user(user).post("api/cases/%d/contacts" % cid, body), 201)


def warn(rig, cid, user="carol", **over):
    body = {"on": iso(today()), "method": "letter",
            "text": "Please keep to one call a week, to your named officer."}
    body.update(over)
    out = ok(rig.as_user(user).post("api/cases/%d/warning" % cid, body))
    assert out == {"id": cid, "status": "warned"}, out
    return out


def close(rig, cid, reason="Contact has settled down.", user="carol"):
    out = ok(rig.as_user(user).post("api/cases/%d/close" % cid, {"reason": reason}))
    assert out == {"id": cid, "status": "closed"}, out
    return out


def report(rig, cid, user="carol", restrictions=None, period_months=12, since_warning=True, **over):
    # R19: the behaviour continued after the warning (a contact since it, on
    # the warning's day: the server's clock may not be today's)
    warning = case_file(rig, cid)["warning"] if since_warning else None
    if warning:
        add_contact(rig, cid, user="carol", at=warning["on"], summary="Called again after the warning.")
    out = ok(rig.as_user(user).post("api/cases/%d/report" % cid,
                                    report_body(restrictions, period_months, **over)))
    assert out == {"id": cid, "status": "reported"}, out
    return out


def approve(rig, cid, user="chris", **over):
    out = ok(rig.as_user(user).post("api/cases/%d/decision" % cid, approve_body(**over)))
    assert out["id"] == cid and out["status"] == "active", out
    return out


def review(rig, cid, recommendation="continue", monitoring_officer="molly", user="carol", **over):
    body = {"recommendation": recommendation,
            "report": "Contact is still frequent; the arrangements work.",
            "monitoring_officer": monitoring_officer}
    body.update(over)
    out = ok(rig.as_user(user).post("api/cases/%d/review" % cid, body))
    assert out == {"id": cid, "status": "active"}, out
    return out


def review_decide(rig, cid, outcome="continue", user="chris", **over):
    body = {"outcome": outcome, "reasons": "The review shows the arrangements are still needed."}
    if outcome in ("continue", "vary"):     # R17: keeping restrictions is justified
        body.update(justified=True, proportionate=True)
    body.update(over)
    return ok(rig.as_user(user).post("api/cases/%d/review/decision" % cid, body))


def appeal(rig, cid, user="carol", **over):
    body = {"received": iso(today()), "grounds": "The customer says the calls were about new matters."}
    body.update(over)
    out = ok(rig.as_user(user).post("api/cases/%d/appeal" % cid, body))
    assert out == {"id": cid, "status": "active"}, out
    return out


def appeal_decide(rig, cid, outcome, user="oscar", **over):
    body = {"outcome": outcome, "reasons": "Having read the file, the chief officer finds as follows."}
    if outcome == "vary":                   # R17
        body.update(justified=True, proportionate=True)
    body.update(over)
    return ok(rig.as_user(user).post("api/cases/%d/appeal/decision" % cid, body))


def record_absence(rig, user="chris", start=None, end=None, note="Annual leave"):
    start = start or today()
    end = end or start
    return ok(rig.as_user(user).post("api/absences", {"from": iso(start), "to": iso(end), "note": note}),
              201)


def approve_as_of(rig, cid, start, user="chris", **over):
    """Approve with `start`: today or later on the rig's own clock; a day in
    the past on a second httpd whose clock reads that day (a decision may
    only start today or up to 30 days ahead)."""
    if start >= today():
        return approve(rig, cid, user=user, start=iso(start), **over)
    with FutureServer(rig, "-%dd" % (today() - start).days) as past:
        return approve(past, cid, user=user, start=iso(start), **over)


def active_case(rig, restrictions=None, period_months=12, start=None, referrer="alice", **concern):
    """A case warned, reported and approved by the chief executive."""
    cid = raise_case(rig, referrer, **concern)
    warn(rig, cid)
    report(rig, cid, restrictions=restrictions, period_months=period_months)
    if start:
        approve_as_of(rig, cid, start)
    else:
        approve(rig, cid)
    return cid


# ---- reads ----

def case_file(rig, cid, user="carol"):
    return ok(rig.as_user(user).get("api/cases/%d" % cid))


def letters(rig, cid, user="carol"):
    return ok(rig.as_user(user).get("api/cases/%d/letters" % cid))["letters"]


def letter_html(rig, cid, n, user="carol"):
    r = rig.as_user(user).get("api/cases/%d/letters/%d" % (cid, n))
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("text/html"), r.headers["Content-Type"]
    return r.text


def notifications(rig, cid, user="olive"):
    """This case's notifications as a chief officer sees them, in the order given."""
    all_ = ok(rig.as_user(user).get("api/notifications"))["notifications"]
    return [n for n in all_ if n["case_id"] == cid]


def notices(rig, cid, user="olive"):
    all_ = ok(rig.as_user(user).get("api/notices"))["notices"]
    return [n for n in all_ if n["case_id"] == cid]


# ---- letters ----

REQUIRED_PARTS = ["reasons", "restrictions", "period", "review", "open-ways", "appeal", "ombudsman"]


def sections(page):
    """{part: inner HTML} of a letter's <section data-part="..."> elements."""
    parts = {}
    for name, body in re.findall(r'<section\b[^>]*\bdata-part="([a-z-]+)"[^>]*>(.*?)</section>', page, re.S):
        assert name not in parts, "part %s twice" % name
        parts[name] = body
    return parts


def esc(text):
    return htmllib.escape(text, quote=True).replace("&#x27;", "&#39;")


def assert_copied(copied_to, expected):
    """copied_to names each (name, role word) once, and nothing else."""
    assert len(copied_to) == len(expected), (copied_to, expected)
    for name, role in expected:
        assert any(name in c and role in c for c in copied_to), (name, role, copied_to)


def assert_restrictions_letter(page, reasons, restriction_words, start, end, review, open_words,
                               closed_words, copies, appeal_days=20, issued=None, appeal=True):
    """A letter that imposes restrictions states every part R11 requires."""
    s = sections(page)
    required = REQUIRED_PARTS if appeal else [p for p in REQUIRED_PARTS if p != "appeal"]
    missing = [p for p in required if p not in s]
    assert not missing, "letter lacks %s" % missing
    assert esc(reasons) in s["reasons"], s["reasons"]
    items = re.findall(r"<li\b[^>]*>(.*?)</li>", s["restrictions"], re.S)
    assert len(items) == len(restriction_words), items
    for words in restriction_words:
        assert any(all(w in item for w in words) for item in items), (words, items)
    assert long_date(start) in s["period"] and long_date(end) in s["period"], s["period"]
    assert long_date(review) in s["review"], s["review"]
    for w in open_words:
        assert w in s["open-ways"], (w, s["open-ways"])
    for w in closed_words:
        assert w not in s["open-ways"], (w, s["open-ways"])
    if appeal:
        deadline = add_working_days(issued or today(), appeal_days)
        assert "%d working days" % appeal_days in s["appeal"], s["appeal"]
        assert long_date(deadline) in s["appeal"], (long_date(deadline), s["appeal"])
    assert "Local Government and Social Care Ombudsman" in s["ombudsman"], s["ombudsman"]
    for name in copies:
        assert esc(name) in s.get("copies", ""), (name, s.get("copies"))


# ---- known bugs ----

class KnownBug(Exception):
    """Raised exactly where a bug reported to the lead shows itself, so that
    pytest.mark.xfail(raises=KnownBug, strict=True) hides nothing else: any
    other failure in the same test still fails it."""


def known_bug(condition, message):
    if condition:
        raise KnownBug(message)


# ---- refusals ----

def last_log_entry(db):
    return db.query("SELECT * FROM access_log ORDER BY seq DESC LIMIT 1")[0]


def expect_refusal(rig, send, status, code=None, field=None, db=None, bug=None, bug_status=None):
    """Send a request that must be refused: the answer has this status and
    error code, no table but the access log changed (row counts of every
    table), and exactly one access-log entry was appended for it, with
    outcome "refused", the answer's status and its request id.
    bug: a known bug, raised as KnownBug if the answer is 2xx (or, with
    bug_status, exactly that status)."""
    db = db or rig.db
    before, log_before = db.counts(), db.log_count()
    r = send()
    shows_bug = r.status_code == bug_status if bug_status else r.status_code < 300
    known_bug(bug is not None and shows_bug, "%s (answered %d %s)" % (bug, r.status_code, r.text))
    assert r.status_code == status, (r.status_code, r.text)
    err = r.json()["error"]
    if code is not None:
        assert err["code"] == code, err
    if field is not None:
        assert err.get("field") == field, err
    assert db.counts() == before, "a refused step left rows behind"
    assert db.log_count() == log_before + 1, "a refused step must append exactly one log entry"
    last = last_log_entry(db)
    assert last["outcome"] == "refused", last
    assert last["status"] == r.status_code, last
    assert last["request_id"] == r.headers.get("X-Request-Id"), (last, r.headers)
    return err


# ---- a second httpd whose clock runs ahead, on the same database ----

class FutureServer:
    """httpd with libfaketime on the rig's database: what the clock does to
    cases, read by the same module."""

    def __init__(self, fixture, offset, name=None):
        self.fixture = fixture
        self.httpd = rigmod.Httpd(fixture.rig.workdir, fixture.slapd.port,
                                  name=name or "future-" + uid(), db=fixture.rig.db, faketime=offset)
        self.db = fixture.db
        self._clients = {}

    def __enter__(self):
        self.httpd.start()
        return self

    def __exit__(self, *exc):
        self.httpd.stop()
        reports = self.httpd.sanitizer_reports()
        assert not reports, reports

    def as_user(self, user):
        if user not in self._clients:
            self._clients[user] = Client(self.httpd.base(), user)
        return self._clients[user]


# ---- mail, as habitual-admin notify sends it ----

def fake_sendmail(workdir, fail=False):
    """A sendmail command that appends each message to workdir/mail.log (or
    fails with status 1); returns (command, log path)."""
    log = os.path.join(str(workdir), "mail.log")
    cmd = os.path.join(str(workdir), "sendmail-bad" if fail else "sendmail-good")
    with open(cmd, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null\nexit 1\n" if fail else
                "#!/bin/sh\n{ cat; echo '=====END====='; } >> %s\n" % log)
    os.chmod(cmd, 0o755)
    return cmd, log


def parse_mails(path):
    """[(headers, body)] of every message in a fake_sendmail log."""
    if not os.path.exists(path):
        return []
    mails = []
    for chunk in open(path).read().split("=====END=====\n"):
        if not chunk.strip():
            continue
        head, _, body = chunk.partition("\n\n")
        headers, last = {}, None
        for line in head.splitlines():
            if line[:1] in (" ", "\t"):
                headers[last] += " " + line.strip()
            else:
                last, _, value = line.partition(":")
                headers[last] = value.strip()
        mails.append((headers, body))
    return mails
