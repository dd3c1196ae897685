"""Issue 12, R15: an interim restriction is limited, written and told.

A `violence` incident or criterion still puts written-only in force at once
(R8); now the customer gets an interim letter (R11's parts checked, copied as
every letter), chief officers an `interim-imposed` notification, and it lapses
after HabitualInterimDays (default 28) unless a report has been made by then
(from the report it lasts until the decision; a report made after it lapsed
does not revive it).  The CEM may lift it earlier with a reason (letter,
`interim-lifted` notification).  It shows with its end in the CEM's dashboard
and in `habitual-admin reviews`.

The clock: a second httpd on the same database whose clock runs ahead
(helpers_procedure.FutureServer, libfaketime)."""

import csv
import datetime
import io
import json
import re

import pytest

import rig
from helpers_procedure import (
    FutureServer, WRITTEN_ONLY, add_contact, approve, case_file, concern_body, esc, expect_refusal,
    iso, letter_html, letters, long_date, notices, notifications, ok, raise_case, report, sections,
    today, warn,
)

DAY = datetime.timedelta(days=1)
INTERIM = [{"type": "written-only", "interim": True}]
VIOLENT_REPORT = dict(police_reference="Police ref AB/123/26", asb_unit_consulted=True)
COPY_TO = [{"name": "Maria Member MP", "role": "MP", "address": "House of Commons, London"}]
REPRESENTATIVE = {"name": "Rita Representative", "address": "2 Low Street"}
INTERIM_PARTS = ["restrictions", "temporary", "until", "open-ways", "objection"]
LIFT_REASON = "The CCTV shows the officer was not pushed; the account was <mistaken>."


def events(rig_, cid, user="olive"):
    return [n["event"] for n in notifications(rig_, cid, user)]


def violent_case(rig_, **over):
    over.setdefault("criteria", ["violence", "abusive-about-staff"])
    return raise_case(rig_, "alice", **over)


def lift(rig_, cid, user="carol", reason=LIFT_REASON):
    return rig_.as_user(user).post("api/cases/%d/interim/lift" % cid, {"reason": reason})


def dashboard_row(rig_, cid, user="carol"):
    """The CEM's home page row for this case in the interim table, or None."""
    page = rig_.as_user(user).get("")
    assert page.status_code == 200, page.text
    m = re.search(r"Interim restrictions in force \(violence\)(.*?)</table>", page.text, re.S)
    if not m:
        return None
    for row in re.findall(r"<tr\b.*?</tr>", m.group(1), re.S):
        if ">Case %d<" % cid in row:
            return row
    return None


def reviews_interim(rig_, cid):
    out = json.loads(rig_.admin("reviews", "--format", "json").stdout)
    rows = [r for r in out["interim"] if r["case_id"] == cid]
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


# ---- the letter and the notification ----

def test_r15_violence_criterion_issues_a_complete_interim_letter_and_tells_chief_officers(shared_rig):
    cid = violent_case(shared_rig, copy_to=COPY_TO, representative=REPRESENTATIVE)
    c = case_file(shared_rig, cid)
    assert (c["status"], c["restrictions"]) == ("referred", INTERIM)  # R8 kept: in force at once
    [letter] = letters(shared_rig, cid)
    assert letter["kind"] == "interim"
    assert len(letter["copied_to"]) == 2
    assert any("Maria Member MP" in x and "MP" in x for x in letter["copied_to"])
    assert any("Rita Representative" in x and "representative" in x for x in letter["copied_to"])
    page = letter_html(shared_rig, cid, letter["id"])
    s = sections(page)
    missing = [p for p in INTERIM_PARTS if p not in s]
    assert not missing, "interim letter lacks %s" % missing
    assert "in person and by telephone" in s["restrictions"], s["restrictions"]
    assert "temporary" in s["temporary"] or "interim" in s["temporary"], s["temporary"]
    assert long_date(today() + 28 * DAY) in s["until"], s["until"]
    for way in ("letter", "email"):
        assert way in s["open-ways"], s["open-ways"]
    assert "phone" not in s["open-ways"], s["open-ways"]
    assert "object" in s["objection"] and "customer experience manager" in s["objection"], s["objection"]
    assert esc("Maria Member MP") in s["copies"] and esc("Rita Representative") in s["copies"]
    for officer in ("olive", "oscar", "dana"):
        assert events(shared_rig, cid, officer) == ["interim-imposed"]


def test_r15_violent_contact_issues_the_letter_and_notification_once(shared_rig):
    cid = raise_case(shared_rig, "alice")
    assert letters(shared_rig, cid) == [] and events(shared_rig, cid) == []
    add_contact(shared_rig, cid, user="alice", channel="in-person", incidents=["violence"],
                summary="Pushed an officer at the counter.")
    add_contact(shared_rig, cid, incidents=["violence"])  # already in force: nothing more
    assert case_file(shared_rig, cid)["restrictions"] == INTERIM
    assert [l["kind"] for l in letters(shared_rig, cid)] == ["interim"]
    assert events(shared_rig, cid) == ["interim-imposed"]


def test_r15_violence_after_the_report_lasts_until_the_decision(shared_rig):
    cid = raise_case(shared_rig, "alice")
    warn(shared_rig, cid)
    report(shared_rig, cid, restrictions=[WRITTEN_ONLY])
    add_contact(shared_rig, cid, incidents=["violence"])
    page = letter_html(shared_rig, cid, letters(shared_rig, cid)[-1]["id"])
    assert "until the chief executive decides" in sections(page)["until"]
    assert reviews_interim(shared_rig, cid)["interim_until"] is None


# ---- the end: day 28, day 29, a report on day 10 ----

def test_r15_lapses_after_28_days_unless_reported_and_a_late_report_does_not_revive_it(own_rig):
    rig_ = own_rig
    quiet = violent_case(rig_)          # no report: in force on day 28, gone on day 29
    reported = violent_case(rig_)       # reported on day 10: kept until the decision
    late = violent_case(rig_)           # reported on day 40, after it lapsed
    last_day = today() + 28 * DAY
    assert reviews_interim(rig_, quiet)["interim_until"] == iso(last_day)
    assert "%s" % long_date(last_day) in dashboard_row(rig_, quiet)

    with FutureServer(rig_, "+10d") as fut:
        warn(fut, reported, on=iso(today() + 10 * DAY))
        report(fut, reported, restrictions=[WRITTEN_ONLY], **VIOLENT_REPORT)
        assert case_file(fut, reported)["restrictions"] == INTERIM
        assert "Until the decision" in dashboard_row(fut, reported)

    with FutureServer(rig_, "+28d") as fut:
        for cid in (quiet, reported, late):
            assert case_file(fut, cid)["restrictions"] == INTERIM, cid
            [notice] = notices(fut, cid)
            assert notice["interim"] is True
        assert long_date(last_day) in dashboard_row(fut, quiet)

    with FutureServer(rig_, "+29d") as fut:
        c = case_file(fut, quiet)
        assert (c["status"], c["restrictions"]) == ("referred", [])
        assert notices(fut, quiet) == [] and notices(fut, quiet, "alice") == []
        assert dashboard_row(fut, quiet) is None
        # nothing left to lift
        expect_refusal(fut, lambda: lift(fut, quiet), 409, "wrong-state")
        assert case_file(fut, reported)["restrictions"] == INTERIM

    with FutureServer(rig_, "+40d") as fut:
        assert case_file(fut, quiet)["restrictions"] == []
        assert case_file(fut, reported)["restrictions"] == INTERIM
        assert notices(fut, reported)[0]["interim"] is True
        # a report after the lapse does not revive it, nor does a decision starting later
        warn(fut, late, on=iso(today() + 40 * DAY))
        report(fut, late, restrictions=[WRITTEN_ONLY], **VIOLENT_REPORT)
        assert case_file(fut, late)["restrictions"] == []
        approve(fut, late, start=iso(today() + 45 * DAY))
        c = case_file(fut, late)
        assert c["restrictions"] == [] and len(c["restrictions_scheduled"]) == 1
        # the decision still ends the interim restriction it kept (end_interim_on)
        approve(fut, reported)
        c = case_file(fut, reported)
        assert (c["status"], c["restrictions"]) == ("active", [WRITTEN_ONLY])
        assert [l["kind"] for l in letters(fut, reported)] == ["interim", "warning", "decision"]
        assert events(fut, reported) == ["approved", "interim-imposed"]

    # on today's clock the unreported one is still in force: the end is data, read each time
    assert case_file(rig_, quiet)["restrictions"] == INTERIM


@pytest.mark.parametrize("own_rig", [{"extra_location": "    HabitualInterimDays 5\n"}], indirect=True)
def test_r15_habitual_interim_days_sets_the_end(own_rig):
    cid = violent_case(own_rig)
    last_day = today() + 5 * DAY
    page = letter_html(own_rig, cid, letters(own_rig, cid)[0]["id"])
    assert long_date(last_day) in sections(page)["until"]
    assert reviews_interim(own_rig, cid)["interim_until"] == iso(last_day)
    with FutureServer(own_rig, "+5d") as fut:
        assert case_file(fut, cid)["restrictions"] == INTERIM
    with FutureServer(own_rig, "+6d") as fut:
        assert case_file(fut, cid)["restrictions"] == []


@pytest.mark.parametrize("value", ["0", "91", "28days", "-3"])
def test_r15_bad_habitual_interim_days_stops_httpd_at_start(workdir, value):
    httpd = rig.Httpd(workdir, 1, extra_location="    HabitualInterimDays %s\n" % value)
    ok_, out = httpd.start(expect_failure=True)
    assert not ok_, "httpd started with HabitualInterimDays %s" % value
    line = "HabitualInterimDays: '%s' is not a number of days from 1 to 90" % value
    assert line in out, out


# ---- the CEM lifts it earlier ----

def test_r15_the_cem_lifts_it_at_once_with_a_letter_and_a_notification(shared_rig):
    cid = violent_case(shared_rig, copy_to=COPY_TO)
    out = ok(lift(shared_rig, cid))
    assert out == {"id": cid, "status": "referred"}, out
    c = case_file(shared_rig, cid)
    assert (c["status"], c["restrictions"]) == ("referred", [])
    assert notices(shared_rig, cid) == [] and notices(shared_rig, cid, "alice") == []
    ls = letters(shared_rig, cid)
    assert [l["kind"] for l in ls] == ["interim", "interim-lifted"]
    assert any("Maria Member MP" in x for x in ls[1]["copied_to"])
    s = sections(letter_html(shared_rig, cid, ls[1]["id"]))
    assert "lifted" in s["lifted"] and esc(LIFT_REASON) in s["reasons"], s
    for officer in ("olive", "oscar"):
        assert events(shared_rig, cid, officer) == ["interim-lifted", "interim-imposed"]
    last = shared_rig.db.query("SELECT action, outcome, status, case_id FROM access_log "
                               "WHERE case_id = ? ORDER BY seq DESC LIMIT 1", (cid,))
    assert any(r["action"] == "case.interim.lift" and r["outcome"] == "allowed" for r in
               shared_rig.db.query("SELECT action, outcome FROM access_log WHERE case_id = ?", (cid,))), last
    assert reviews_interim(shared_rig, cid) is None
    assert dashboard_row(shared_rig, cid) is None
    # lifted: none in force, so 409; a later violent incident imposes a new one
    expect_refusal(shared_rig, lambda: lift(shared_rig, cid), 409, "wrong-state")
    add_contact(shared_rig, cid, incidents=["violence"])
    assert case_file(shared_rig, cid)["restrictions"] == INTERIM
    assert [l["kind"] for l in letters(shared_rig, cid)] == ["interim", "interim-lifted", "interim"]


@pytest.mark.parametrize("user,status", [
    ("alice", 403),     # the referrer: sees her referral, may not lift
    ("bob", 404),       # no sight of the case
    ("molly", 403), ("chris", 403),
    ("olive", 403),     # a chief officer holds the notice, not the step
    ("audrey", 404),
])
def test_r15_only_the_cem_lifts(shared_rig, user, status):
    cid = violent_case(shared_rig)
    err = expect_refusal(shared_rig, lambda: lift(shared_rig, cid, user=user), status)
    assert err["code"] == ("forbidden" if status == 403 else "not-found"), err
    assert case_file(shared_rig, cid)["restrictions"] == INTERIM


def test_r15_lift_refusals_name_their_code(shared_rig):
    cid = violent_case(shared_rig)
    carol = shared_rig.as_user("carol")
    expect_refusal(shared_rig, lambda: carol.post("api/cases/%d/interim/lift" % cid, {}), 422,
                   "missing-field", field="reason")
    expect_refusal(shared_rig, lambda: carol.post("api/cases/%d/interim/lift" % cid,
                                                  {"reason": "x", "extra": 1}), 400)
    expect_refusal(shared_rig, lambda: lift(shared_rig, 999999), 404, "not-found")
    calm = raise_case(shared_rig, "alice")
    err = expect_refusal(shared_rig, lambda: lift(shared_rig, calm), 409, "wrong-state")
    assert "R15" in err["message"], err
    closed = violent_case(shared_rig)
    ok(carol.post("api/cases/%d/close" % closed, {"reason": "Settled."}))
    expect_refusal(shared_rig, lambda: lift(shared_rig, closed), 409, "wrong-state")


def test_r15_lift_page_form(shared_rig):
    cid = violent_case(shared_rig)
    carol = shared_rig.as_user("carol")
    case_page = carol.get("cases/%d" % cid).text
    assert "cases/%d/interim-lift" % cid in case_page and "Lift the interim restriction" in case_page
    form = carol.get("cases/%d/interim-lift" % cid)
    assert form.status_code == 200 and 'name="reason"' in form.text and 'name="csrf_token"' in form.text
    assert shared_rig.as_user("alice").get("cases/%d/interim-lift" % cid).status_code in (403, 404)
    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
    empty = carol.post("cases/%d/interim-lift" % cid, data={"csrf_token": carol.token(), "reason": ""},
                       token=None, headers=form_headers, allow_redirects=False)
    assert empty.status_code == 422 and "Enter why the interim restriction is lifted" in empty.text
    done = carol.post("cases/%d/interim-lift" % cid, data={"csrf_token": carol.token(), "reason": LIFT_REASON},
                      token=None, headers=form_headers, allow_redirects=False)
    assert done.status_code == 303, (done.status_code, done.text)
    assert case_file(shared_rig, cid)["restrictions"] == []
    assert "cases/%d/interim-lift" % cid not in carol.get("cases/%d" % cid).text


# ---- the dashboard and habitual-admin reviews ----

def test_r15_reviews_lists_interim_restrictions_with_their_end_in_every_format(shared_rig):
    cid = violent_case(shared_rig)
    ref = case_file(shared_rig, cid)["person"]["reference"]
    last_day = iso(today() + 28 * DAY)
    row = reviews_interim(shared_rig, cid)
    assert row == {"case_id": cid, "reference": ref, "status": "referred", "since": iso(today()),
                   "interim_until": last_day, "days_left": 28}, row
    text = shared_rig.admin("reviews").stdout
    assert "Interim restrictions in force" in text
    [line] = [l for l in text.splitlines() if l.startswith("interim case %d " % cid)]
    assert ref in line and "last day %s" % last_day in line, line
    rows = list(csv.DictReader(io.StringIO(shared_rig.admin("reviews", "--format", "csv").stdout)))
    [crow] = [r for r in rows if r["case_id"] == str(cid)]
    assert (crow["kind"], crow["interim_until"], crow["reference"]) == ("interim", last_day, ref), crow
    assert all(r["kind"] in ("review", "interim") for r in rows)
    assert long_date(today() + 28 * DAY) in dashboard_row(shared_rig, cid)
