"""Issue 3: the procedure end to end (SPEC §3), every rule R1-R13 (SPEC §4)
refused with its status and code and allowed on its proper path, and bad
input refused.  Every refused step is checked to leave every table as it was
and to append exactly one "refused" entry to the access log
(helpers_procedure.expect_refusal).

Each test raises its own cases for people no other test uses, so the tests
are independent on the shared rig; tests that record absences of the chief
executive (which hold for every case) or run a second httpd whose clock is
ahead use a rig of their own.

Bugs this suite found are fixed; known_bug() checks stay as regression guards: KnownBug is raised
only at the exact request that shows the bug, so any other failure in those
tests still fails them."""

import datetime
import time

import pytest

from helpers_procedure import (
    ALL_CHANNELS, DROP, RESTRICTION_PHONE_FAX, WRITTEN_ONLY, FutureServer,
    active_case, add_contact, add_months, add_working_days, appeal, appeal_decide, approve, approve_as_of,
    approve_body, assert_copied, assert_restrictions_letter, case_file, close, concern_body, esc,
    expect_refusal, first_of_month_months_ago, iso, known_bug, letter_html, letters, long_date, notices,
    notifications, ok, period_end, raise_case, record_absence, report, report_body, review,
    review_decide, review_due, sections, today, uid, warn,
)

DAY = datetime.timedelta(days=1)


def events(rig, cid, user="olive"):
    return [n["event"] for n in notifications(rig, cid, user)]


def list_entry(rig, cid, user="carol"):
    rows = [c for c in ok(rig.as_user(user).get("api/cases"))["cases"] if c["id"] == cid]
    assert len(rows) == 1, rows
    return rows[0]


def letter_pages(rig, cid):
    return {l["id"]: letter_html(rig, cid, l["id"]) for l in letters(rig, cid)}


# ======================================================================
# 1. One case from referral to lapse
# ======================================================================

COPY_TO = [{"name": "Maria Member MP", "role": "MP", "address": "House of Commons, London"},
           {"name": "Anytown Citizens Advice", "role": "CAB", "address": "3 Market Place"}]
REPRESENTATIVE = {"name": "Rita Representative", "address": "2 Low Street"}
ADVOCATE = {"name": "Adam Advocate", "address": "4 Mill Lane"}
EXPECTED_COPIES = [("Maria Member MP", "MP"), ("Anytown Citizens Advice", "CAB"),
                   ("Rita Representative", "representative"), ("Adam Advocate", "advocate")]
COPY_NAMES = [n for n, _r in EXPECTED_COPIES]
TERMS = "Calls to the named officer only, on Tuesday mornings."
WALK_RESTRICTIONS = [{"type": "decline-channels", "channels": ["phone", "fax"]},
                     {"type": "behaviour-agreement", "terms": TERMS}]
WALK_WORDS = [["phone", "fax"], [TERMS]]
WALK_OPEN = ["letter", "email", "in-person", "online"]
WARNING_TEXT = "Please keep to one call a week, to your named officer."
DECISION_REASONS = "Forty calls in a month after a warning, each about the same closed repair."
CONTINUE_REASONS = "The review found the calls resumed whenever the arrangements were relaxed."


def _walk_to_lapse(rig, approver):
    """Referral, warning, report, approval by `approver` (start 11 months
    ago, 12 months), review joined by molly, continuation by chris, lapse of
    the new period seen by an httpd whose clock is 400 days ahead."""
    chris_absent = approver == "molly"
    cid = raise_case(rig, "alice", copy_to=COPY_TO, representative=REPRESENTATIVE, advocate=ADVOCATE)
    c = case_file(rig, cid)
    assert (c["status"], c["end_reason"], c["restrictions"], c["letters"]) == ("referred", None, [], [])
    # the copy list as given (each entry also carries its id and who added it later: issue 14)
    assert c["referred_by"] == "alice" and \
        [{k: x[k] for k in ("name", "role", "address")} for x in c["copy_to"]] == COPY_TO
    assert c["representative"] == REPRESENTATIVE and c["advocate"] == ADVOCATE
    assert letters(rig, cid) == [] and events(rig, cid) == []

    # the referrer adds to the chronology
    add_contact(rig, cid, user="alice", channel="phone", direction="inbound",
                summary="Fifth call today about the repair.", incidents=["swearing"])
    c = case_file(rig, cid)
    assert [(k["channel"], k["incidents"], k["recorded_by"]) for k in c["contacts"]] == \
        [("phone", ["swearing"], "alice")]

    # warning
    warn(rig, cid, method="phone", text=WARNING_TEXT)
    c = case_file(rig, cid)
    assert c["status"] == "warned"
    assert (c["warning"]["on"], c["warning"]["method"], c["warning"]["text"]) == \
        (iso(today()), "phone", WARNING_TEXT)
    ls = letters(rig, cid)
    assert [l["kind"] for l in ls] == ["warning"]
    assert_copied(ls[0]["copied_to"], EXPECTED_COPIES)
    page = letter_html(rig, cid, ls[0]["id"])
    assert esc(WARNING_TEXT) in page and long_date(today()) in page
    for name in COPY_NAMES:
        assert name in sections(page)["copies"]
    assert events(rig, cid) == [] and notices(rig, cid) == []

    # report
    report(rig, cid, restrictions=WALK_RESTRICTIONS, period_months=12)
    c = case_file(rig, cid)
    assert c["status"] == "reported" and c["action_without_notice"] is False
    assert c["report"]["restrictions"] == WALK_RESTRICTIONS and c["report"]["period_months"] == 12
    assert c["report"]["author"] == "carol"
    assert c["restrictions"] == [] and c["period"] is None
    assert [l["kind"] for l in letters(rig, cid)] == ["warning"]
    assert events(rig, cid) == [] and notices(rig, cid) == []

    # approval, with a start 11 months ago
    start = first_of_month_months_ago(11)
    end = period_end(start, 12)
    due = review_due(start, 12)
    assert due == min(end, add_months(start, 12))
    out = approve_as_of(rig, cid, start, user=approver, reasons=DECISION_REASONS)
    acting = "monitoring-officer" if chris_absent else "chief-executive"
    assert (out["acting_as"], out["deputising"]) == (acting, chris_absent)
    c = case_file(rig, cid)
    assert c["status"] == "active" and c["end_reason"] is None
    d = c["decision"]
    assert (d["outcome"], d["decided_by"], d["acting_as"], d["deputising"], d["start"]) == \
        ("approve", approver, acting, chris_absent, iso(start))
    assert (d["justified"], d["proportionate"], d["reasons"]) == (True, True, DECISION_REASONS)
    assert c["period"] == {"start": iso(start), "end": iso(end), "months": 12}
    assert c["review_due"] == iso(due)
    assert list_entry(rig, cid)["review_due"] == iso(due)
    assert c["restrictions"] == WALK_RESTRICTIONS
    assert c["open_channels"] == WALK_OPEN
    ls = letters(rig, cid)
    assert [l["kind"] for l in ls] == ["warning", "decision"]
    for l in ls:
        assert_copied(l["copied_to"], EXPECTED_COPIES)
    decision_page = letter_html(rig, cid, ls[1]["id"])
    # decided on the day the period started: the appeal deadline runs from then
    assert_restrictions_letter(decision_page, DECISION_REASONS, WALK_WORDS, start, end, due,
                               ["letter", "email", "in person", "online"], ["phone", "fax"], COPY_NAMES,
                               issued=start)
    for officer in ("olive", "oscar", "dana"):
        assert events(rig, cid, officer) == ["approved"]
    [notice] = notices(rig, cid)
    assert (notice["interim"], notice["until"], notice["open_channels"]) == (False, iso(end), WALK_OPEN)
    # a notice carries no reasons: the agreement's terms stay out of it
    assert notice["restrictions"] == [{k: v for k, v in r.items() if k != "terms"} for r in WALK_RESTRICTIONS]
    assert TERMS not in repr(notice)
    assert notice["restrictions_in_words"][1] == "The customer has signed a behaviour agreement with the council."
    before_list, before_pages = letters(rig, cid), letter_pages(rig, cid)

    # review, joined by the monitoring officer
    review(rig, cid, recommendation="continue", monitoring_officer="molly")
    c = case_file(rig, cid)
    assert c["status"] == "active"
    rv = c["reviews"][-1]
    assert (rv["recommendation"], rv["monitoring_officer"], rv["author"], rv["decision"]) == \
        ("continue", "molly", "carol", None)
    assert c["period"] == {"start": iso(start), "end": iso(end), "months": 12}
    assert letters(rig, cid) == before_list and events(rig, cid) == ["approved"]

    # continuation by the chief executive: a new period from today
    time.sleep(1.1)  # so "newest first" is decided by the clock (ties: see the ordering test)
    r = rig.as_user("chris").post("api/cases/%d/review/decision" % cid,
                                  {"outcome": "continue", "justified": True, "proportionate": True, "reasons": CONTINUE_REASONS})
    known_bug(approver == "chris" and r.status_code == 422
              and r.json()["error"]["code"] == "conflict-of-interest",
              "the chief executive who approved the case is refused its review decision: " + r.text)
    out = ok(r)
    assert out == {"id": cid, "status": "active", "acting_as": "chief-executive", "deputising": False}
    new_start = today()
    new_end = period_end(new_start, 12)
    new_due = review_due(new_start, 12)
    assert new_due == min(new_end, add_months(new_start, 12))
    c = case_file(rig, cid)
    assert c["status"] == "active"
    assert c["period"] == {"start": iso(new_start), "end": iso(new_end), "months": 12}
    assert c["review_due"] == iso(new_due)
    assert list_entry(rig, cid)["review_due"] == iso(new_due)
    assert c["restrictions"] == WALK_RESTRICTIONS
    rd = c["reviews"][-1]["decision"]
    assert (rd["outcome"], rd["decided_by"], rd["acting_as"], rd["deputising"], rd["period_months"]) == \
        ("continue", "chris", "chief-executive", False, 12)
    ls = letters(rig, cid)
    assert [l["kind"] for l in ls] == ["warning", "decision", "review-outcome"]
    assert ls[:2] == before_list  # R11: issued letters never change
    assert_copied(ls[2]["copied_to"], EXPECTED_COPIES)
    pages = letter_pages(rig, cid)
    assert {n: pages[n] for n in before_pages} == before_pages
    assert_restrictions_letter(pages[ls[2]["id"]], CONTINUE_REASONS, WALK_WORDS, new_start, new_end,
                               new_due, ["letter", "email", "in person", "online"], ["phone", "fax"],
                               COPY_NAMES)
    for officer in ("olive", "oscar", "dana"):
        assert events(rig, cid, officer) == ["continued", "approved"]
    [notice] = notices(rig, cid)
    assert notice["until"] == iso(new_end)

    # lapse: nobody acts; an httpd 400 days ahead reads the same database
    ahead = 400
    assert today() + ahead * DAY > new_end
    with FutureServer(rig, "+%dd" % ahead) as fut:
        c = case_file(fut, cid)
        assert (c["status"], c["end_reason"], c["restrictions"]) == ("ended", "lapsed", [])
        assert c["review_due"] is None
        assert list_entry(fut, cid)["status"] == "ended"
        assert notices(fut, cid) == [] and notices(fut, cid, "alice") == []
        for officer in ("olive", "oscar"):
            ns = notifications(fut, cid, officer)
            assert [n["event"] for n in ns] == ["lapsed", "continued", "approved"]
            assert ns[0]["at"] == iso(new_end + DAY) + "T00:00:00Z"
        assert letter_pages(fut, cid) == pages  # nothing was issued for the lapse
    # on today's clock it is still in force
    assert case_file(rig, cid)["status"] == "active"
    assert len(notices(rig, cid)) == 1
    return cid


def test_walk_one_case_from_referral_to_lapse(own_rig):
    _walk_to_lapse(own_rig, approver="chris")


def test_walk_continuation_starts_a_new_period_which_then_lapses(own_rig):
    """The same walk with the approval by the deputising monitoring officer,
    so the chief executive may decide the review."""
    # the approval is made on the day the period starts, 11 months ago
    record_absence(own_rig, "chris", start=first_of_month_months_ago(11), end=today())
    _walk_to_lapse(own_rig, approver="molly")


# ======================================================================
# 2. A deputised decision, then an appeal that quashes it
# ======================================================================

def test_walk_deputised_decision_then_appeal_quashed(own_rig):
    rig = own_rig
    out = record_absence(rig, "carol", today(), today() + 3 * DAY, "Chief executive on leave")
    assert (out["from"], out["to"]) == (iso(today()), iso(today() + 3 * DAY))
    absences = ok(rig.as_user("chris").get("api/absences"))["absences"]
    assert [(a["id"], a["covers_today"]) for a in absences] == [(out["id"], True)]

    cid = raise_case(rig, "alice", copy_to=COPY_TO[:1], advocate=ADVOCATE)
    warn(rig, cid)
    report(rig, cid, restrictions=[dict(RESTRICTION_PHONE_FAX)], period_months=6)
    out = approve(rig, cid, user="molly", reasons=DECISION_REASONS)
    assert out == {"id": cid, "status": "active", "acting_as": "monitoring-officer", "deputising": True}
    c = case_file(rig, cid)
    d = c["decision"]
    assert (d["decided_by"], d["acting_as"], d["deputising"]) == ("molly", "monitoring-officer", True)
    start, end = today(), period_end(today(), 6)
    assert c["period"] == {"start": iso(start), "end": iso(end), "months": 6}
    assert c["review_due"] == iso(review_due(start, 6)) == iso(end)
    ls = letters(rig, cid)
    assert [l["kind"] for l in ls] == ["warning", "decision"]
    decision_page = letter_html(rig, cid, ls[1]["id"])
    assert_restrictions_letter(decision_page, DECISION_REASONS, [["phone", "fax"]], start, end, end,
                               ["letter", "email", "in person", "online"], ["phone", "fax"],
                               ["Maria Member MP", "Adam Advocate"])
    assert "Monitoring Officer" in decision_page and "absence of the Chief Executive" in decision_page
    assert events(rig, cid) == ["approved"]
    before_list, before_pages = letters(rig, cid), letter_pages(rig, cid)

    appeal(rig, cid, grounds="The customer says the calls were about new matters.")
    c = case_file(rig, cid)
    assert c["status"] == "active" and c["appeals"][-1]["decision"] is None
    assert c["appeals"][-1]["recorded_by"] == "carol"

    time.sleep(1.1)  # so "newest first" is decided by the clock
    quash_reasons = "The calls were about a new repair, which the council had not answered."
    out = appeal_decide(rig, cid, "quash", user="oscar", reasons=quash_reasons)
    assert out == {"id": cid, "status": "ended"}
    c = case_file(rig, cid)
    assert (c["status"], c["end_reason"], c["restrictions"]) == ("ended", "quashed", [])
    ad = c["appeals"][-1]["decision"]
    assert (ad["outcome"], ad["decided_by"]) == ("quash", "oscar")
    assert notices(rig, cid) == []
    for officer in ("olive", "oscar", "dana"):
        assert events(rig, cid, officer) == ["quashed", "approved"]
    ls = letters(rig, cid)
    assert [l["kind"] for l in ls] == ["warning", "decision", "appeal-outcome"]
    assert ls[:2] == before_list
    assert {n: letter_html(rig, cid, n) for n in before_pages} == before_pages
    assert_copied(ls[2]["copied_to"], [("Maria Member MP", "MP"), ("Adam Advocate", "advocate")])
    outcome = sections(letter_html(rig, cid, ls[2]["id"]))["reasons"]
    assert esc(quash_reasons) in outcome and "quashed" in outcome
    # an ended case takes no more steps
    expect_refusal(rig, lambda: rig.as_user("carol").post(
        "api/cases/%d/appeal" % cid, {"received": iso(today()), "grounds": "again"}), 409, "wrong-state")


# ======================================================================
# R1 exclusions
# ======================================================================

def test_r1_foi_dpa_is_excluded_naming_the_information_governance_manager(shared_rig):
    c = shared_rig.as_user("alice")
    err = expect_refusal(shared_rig, lambda: c.post("api/cases", concern_body(exclusion="foi-dpa")),
                         422, "excluded-foi-dpa")
    assert "information governance manager" in err["message"].lower()


@pytest.mark.parametrize("exclusion", ["legal-action", "housing-aggression"])
def test_r1_matters_with_their_own_process_are_excluded(shared_rig, exclusion):
    c = shared_rig.as_user("alice")
    expect_refusal(shared_rig, lambda: c.post("api/cases", concern_body(exclusion=exclusion)),
                   422, "excluded-other-process")


@pytest.mark.parametrize("exclusion", ["none", DROP])
def test_r1_no_exclusion_is_accepted(shared_rig, exclusion):
    cid = raise_case(shared_rig, "alice", exclusion=exclusion)
    assert case_file(shared_rig, cid)["status"] == "referred"


# ======================================================================
# R2 last resort
# ======================================================================

@pytest.mark.parametrize("missing", ["measures_taken", "complaints_procedure"])
def test_r2_referral_without_measures_or_complaints_stage_is_refused(shared_rig, missing):
    c = shared_rig.as_user("alice")
    expect_refusal(shared_rig, lambda: c.post("api/cases", concern_body(**{missing: DROP})),
                   422, "missing-field", field=missing)


@pytest.mark.parametrize("stage", ["exhausted", "in-progress", "not-applicable"])
def test_r2_referral_with_measures_and_each_complaints_stage_is_accepted(shared_rig, stage):
    cid = raise_case(shared_rig, "bob", complaints_procedure=stage)
    c = case_file(shared_rig, cid)
    assert c["complaints_procedure"] == stage and c["measures_taken"]


# ======================================================================
# R3 warning first
# ======================================================================

@pytest.mark.parametrize("extra", [{}, {"severe": True}, {"severe_reason": "Threats to staff."},
                                   {"severe": False, "severe_reason": "Threats to staff."}])
def test_r3_report_on_a_never_warned_case_needs_severe_and_a_reason(shared_rig, extra):
    cid = raise_case(shared_rig)
    c = shared_rig.as_user("carol")
    expect_refusal(shared_rig, lambda: c.post("api/cases/%d/report" % cid, report_body(**extra)),
                   422, "warning-required")
    assert case_file(shared_rig, cid)["status"] == "referred"


def test_r3_severe_report_without_warning_records_action_without_notice(shared_rig):
    cid = raise_case(shared_rig)
    report(shared_rig, cid, severe=True, severe_reason="Threats to kill an officer, made in person.")
    c = case_file(shared_rig, cid)
    assert c["status"] == "reported" and c["warning"] is None
    assert c["action_without_notice"] is True
    assert c["report"]["severe"] is True


def test_r3_warned_case_reports_with_notice(shared_rig):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    report(shared_rig, cid)
    assert case_file(shared_rig, cid)["action_without_notice"] is False


# ======================================================================
# R4 who decides
# ======================================================================

def test_r4_who_decides(own_rig):
    rig = own_rig
    cid = raise_case(rig, "bob")
    warn(rig, cid)
    report(rig, cid)
    send = lambda user: (lambda: rig.as_user(user).post("api/cases/%d/decision" % cid, approve_body()))
    expect_refusal(rig, send("carol"), 403, "forbidden")     # the CEM sees the file, may not decide
    expect_refusal(rig, send("alice"), 404, "not-found")     # staff: not even the case
    expect_refusal(rig, send("molly"), 422, "not-deputising")
    # absences that do not cover today do not let her decide
    record_absence(rig, "chris", today() - 5 * DAY, today() - DAY, "last week")
    record_absence(rig, "carol", today() + DAY, today() + 2 * DAY, "tomorrow")
    expect_refusal(rig, send("molly"), 422, "not-deputising")
    # the monitoring officer may not record the absence that lets her decide
    expect_refusal(rig, lambda: rig.as_user("molly").post(
        "api/absences", {"from": iso(today()), "to": iso(today())}), 403, "forbidden")
    record_absence(rig, "chris", today(), today())
    out = approve(rig, cid, user="molly")
    assert (out["acting_as"], out["deputising"]) == ("monitoring-officer", True)
    d = case_file(rig, cid)["decision"]
    assert (d["decided_by"], d["acting_as"], d["deputising"]) == ("molly", "monitoring-officer", True)


def test_r4_chief_executive_decides_as_chief_executive(shared_rig):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    report(shared_rig, cid)
    out = approve(shared_rig, cid, user="chris")
    assert out == {"id": cid, "status": "active", "acting_as": "chief-executive", "deputising": False}
    d = case_file(shared_rig, cid)["decision"]
    assert (d["decided_by"], d["acting_as"], d["deputising"]) == ("chris", "chief-executive", False)


def test_r4_review_decision_by_monitoring_officer_needs_an_absence(own_rig):
    rig = own_rig
    cid = active_case(rig)
    review(rig, cid, monitoring_officer="molly")
    expect_refusal(rig, lambda: rig.as_user("molly").post(
        "api/cases/%d/review/decision" % cid, {"outcome": "continue", "justified": True, "proportionate": True, "reasons": "r"}),
        422, "not-deputising")
    expect_refusal(rig, lambda: rig.as_user("carol").post(
        "api/cases/%d/review/decision" % cid, {"outcome": "continue", "justified": True, "proportionate": True, "reasons": "r"}), 403, "forbidden")


# ======================================================================
# R5 no one judges their own case
# ======================================================================

def test_r5_chief_executive_cannot_decide_a_case_he_referred(shared_rig):
    own = raise_case(shared_rig, "chris")  # the chief executive is staff too
    warn(shared_rig, own)
    report(shared_rig, own)
    expect_refusal(shared_rig, lambda: shared_rig.as_user("chris").post(
        "api/cases/%d/decision" % own, approve_body()), 422, "conflict-of-interest")
    assert case_file(shared_rig, own)["status"] == "reported"
    # a case someone else referred he decides
    other = raise_case(shared_rig, "alice")
    warn(shared_rig, other)
    report(shared_rig, other)
    approve(shared_rig, other, user="chris")


def test_r5_monitoring_officer_who_joined_a_review_cannot_decide_it(own_rig):
    rig = own_rig
    record_absence(rig, "chris")
    joined = active_case(rig)
    review(rig, joined, monitoring_officer="molly")
    expect_refusal(rig, lambda: rig.as_user("molly").post(
        "api/cases/%d/review/decision" % joined, {"outcome": "continue", "justified": True, "proportionate": True, "reasons": "r"}),
        422, "conflict-of-interest")
    # a review joined by another monitoring officer she may decide, deputising
    # (the one named holds the role in the directory: mona)
    other = active_case(rig)
    review(rig, other, monitoring_officer="mona")
    out = review_decide(rig, other, "continue", user="molly")
    assert out == {"id": other, "status": "active", "acting_as": "monitoring-officer", "deputising": True}


def test_r5_chief_executive_not_involved_decides_a_review(own_rig):
    rig = own_rig
    record_absence(rig, "chris")
    cid = raise_case(rig)
    warn(rig, cid)
    report(rig, cid)
    approve(rig, cid, user="molly")
    review(rig, cid, monitoring_officer="molly")
    out = review_decide(rig, cid, "continue", user="chris")
    assert out["status"] == "active" and out["acting_as"] == "chief-executive"


def test_r5_the_decider_of_the_case_may_decide_its_review(shared_rig):
    cid = active_case(shared_rig)  # approved by chris
    review(shared_rig, cid, monitoring_officer="molly")
    r = shared_rig.as_user("chris").post("api/cases/%d/review/decision" % cid,
                                         {"outcome": "continue", "justified": True, "proportionate": True, "reasons": "Still needed."})
    known_bug(r.status_code == 422, r.text)
    assert ok(r)["status"] == "active"


def test_r5_appeal_is_not_heard_by_the_chief_officer_who_referred_the_case(shared_rig):
    cid = active_case(shared_rig, referrer="olive")
    appeal(shared_rig, cid)
    expect_refusal(shared_rig, lambda: shared_rig.as_user("olive").post(
        "api/cases/%d/appeal/decision" % cid, {"outcome": "quash", "reasons": "r"}),
        422, "conflict-of-interest")
    out = appeal_decide(shared_rig, cid, "quash", user="oscar")
    assert out == {"id": cid, "status": "ended"}


def test_r5_appeal_needs_a_chief_officer(shared_rig):
    cid = active_case(shared_rig)
    appeal(shared_rig, cid)
    expect_refusal(shared_rig, lambda: shared_rig.as_user("carol").post(
        "api/cases/%d/appeal/decision" % cid, {"outcome": "quash", "reasons": "r"}), 403, "forbidden")


# ======================================================================
# R6 justified and proportionate
# ======================================================================

def _refuse_approval(rig, change, **kw):
    cid = raise_case(rig)
    warn(rig, cid)
    report(rig, cid)
    body = approve_body()
    for k, v in change.items():
        if v is DROP:
            body.pop(k)
        else:
            body[k] = v
    expect_refusal(rig, lambda: rig.as_user("chris").post(
        "api/cases/%d/decision" % cid, body), 422, "not-justified", **kw)
    assert case_file(rig, cid)["status"] == "reported"


@pytest.mark.parametrize("change", [
    {"justified": False}, {"proportionate": False}, {"justified": DROP}, {"proportionate": DROP},
    {"justified": False, "proportionate": False}, {"reasons": ""},
])
def test_r6_approval_needs_justified_proportionate_and_reasons(shared_rig, change):
    _refuse_approval(shared_rig, change)


def test_r6_approval_without_reasons_is_not_justified(shared_rig):
    _refuse_approval(shared_rig, {"reasons": DROP}, bug="approval without reasons", bug_status=500)


def test_r6_justified_proportionate_with_reasons_is_approved(shared_rig):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    report(shared_rig, cid)
    approve(shared_rig, cid, justified=True, proportionate=True, reasons="Justified because...")
    d = case_file(shared_rig, cid)["decision"]
    assert (d["justified"], d["proportionate"], d["reasons"]) == (True, True, "Justified because...")


def test_rejection_needs_reasons_and_closes_the_case(shared_rig):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    report(shared_rig, cid)
    expect_refusal(shared_rig, lambda: shared_rig.as_user("chris").post(
        "api/cases/%d/decision" % cid, {"outcome": "reject"}), 422, "missing-field", field="reasons")
    out = ok(shared_rig.as_user("chris").post("api/cases/%d/decision" % cid,
                                             {"outcome": "reject", "reasons": "Not proportionate."}))
    assert out["status"] == "closed"
    c = case_file(shared_rig, cid)
    assert (c["status"], c["end_reason"], c["restrictions"]) == ("closed", "rejected", [])
    assert events(shared_rig, cid) == []


# ======================================================================
# R7 one door stays open
# ======================================================================

def _suspend(until, legal_advice="Counsel's advice on an injunction is awaited."):
    r = {"type": "suspend-contact"}
    if until is not None:
        r["until"] = iso(until)
    if legal_advice is not None:
        r["legal_advice"] = legal_advice
    return r


END3 = period_end(today(), 3)


@pytest.mark.parametrize("restrictions", [
    [{"type": "decline-channels", "channels": list(ALL_CHANNELS)}],
    [{"type": "decline-channels", "channels": ["letter", "email", "fax", "online"]}, WRITTEN_ONLY],
    [{"type": "decline-channels", "channels": ["phone", "letter", "email", "fax", "online"]},
     {"type": "building-ban", "buildings": ["all"]}],
    [_suspend(END3, legal_advice=None)],
    [_suspend(None)],
    [_suspend(END3 + DAY)],
    [_suspend(today() - DAY)],
], ids=["decline-all-six", "decline-rest-and-written-only", "decline-five-and-ban-all-buildings",
        "suspend-without-legal-advice", "suspend-without-until", "suspend-until-after-period",
        "suspend-until-before-period"])
def test_r7_restrictions_closing_every_door_are_refused(shared_rig, restrictions):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    expect_refusal(shared_rig, lambda: shared_rig.as_user("carol").post(
        "api/cases/%d/report" % cid, report_body(restrictions, period_months=3)), 422, "no-open-channel")


def test_r7_third_party_only_leaves_the_third_party_open(shared_rig):
    third = [{"type": "third-party-only", "third_party": "Mrs T. Friend, 5 Elm Road"}]
    cid = active_case(shared_rig, restrictions=third)
    c = case_file(shared_rig, cid)
    assert c["restrictions"] == third and c["open_channels"] == ["third-party"]
    [notice] = notices(shared_rig, cid)
    assert notice["open_channels"] == ["third-party"]
    page = letter_html(shared_rig, cid, letters(shared_rig, cid)[-1]["id"])
    assert "third party" in sections(page)["open-ways"]
    assert "Mrs T. Friend, 5 Elm Road" in sections(page)["restrictions"]


def test_r7_suspension_with_legal_advice_and_an_end_inside_the_period_is_allowed(shared_rig):
    cid = active_case(shared_rig, restrictions=[_suspend(END3)], period_months=3)
    c = case_file(shared_rig, cid)
    assert c["status"] == "active" and c["open_channels"] == []
    assert c["period"]["end"] == iso(END3)
    [notice] = notices(shared_rig, cid)
    assert notice["restrictions"] == [{"type": "suspend-contact", "until": iso(END3)}]  # no legal advice
    page = letter_html(shared_rig, cid, letters(shared_rig, cid)[-1]["id"])
    assert long_date(END3) in sections(page)["open-ways"]


def test_r7_building_ban_of_some_buildings_leaves_in_person_open(shared_rig):
    restrictions = [{"type": "decline-channels", "channels": ["phone", "letter", "email", "fax", "online"]},
                    {"type": "building-ban", "buildings": ["Town Hall"], "injunction": False}]
    cid = active_case(shared_rig, restrictions=restrictions)
    assert case_file(shared_rig, cid)["open_channels"] == ["in-person"]


def test_r7_is_checked_again_on_the_decided_period(shared_rig):
    """A suspension ending inside the period proposed from today falls
    outside it once the decision starts the period two months earlier."""
    until = today() + 45 * DAY
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    report(shared_rig, cid, restrictions=[_suspend(until)], period_months=2)
    start = add_months(today(), -2) + 7 * DAY
    assert period_end(start, 2) < until
    with FutureServer(shared_rig, "-%dd" % (today() - start).days) as past:
        expect_refusal(past, lambda: past.as_user("chris").post(
            "api/cases/%d/decision" % cid, approve_body(start=iso(start))), 422, "no-open-channel")
    approve(shared_rig, cid)  # from today the suspension ends inside the period


def test_r7_on_review_and_appeal_variations(own_rig):
    rig = own_rig
    record_absence(rig, "chris")
    cid = raise_case(rig)
    warn(rig, cid)
    report(rig, cid)
    approve(rig, cid, user="molly")
    closed = [{"type": "decline-channels", "channels": list(ALL_CHANNELS)}]
    appeal(rig, cid)
    expect_refusal(rig, lambda: rig.as_user("oscar").post(
        "api/cases/%d/appeal/decision" % cid, {"outcome": "vary", "justified": True, "proportionate": True, "reasons": "r", "restrictions": closed}),
        422, "no-open-channel")
    review(rig, cid, recommendation="vary")
    expect_refusal(rig, lambda: rig.as_user("chris").post(
        "api/cases/%d/review/decision" % cid, {"outcome": "vary", "justified": True, "proportionate": True, "reasons": "r", "restrictions": closed}),
        422, "no-open-channel")
    expect_refusal(rig, lambda: rig.as_user("chris").post(
        "api/cases/%d/review/decision" % cid, {"outcome": "vary", "justified": True, "proportionate": True, "reasons": "r"}),
        422, "missing-field", field="restrictions")
    out = review_decide(rig, cid, "vary", restrictions=[{"type": "third-party-only", "third_party": "A friend"}])
    assert out["status"] == "active"
    assert case_file(rig, cid)["open_channels"] == ["third-party"]


# ======================================================================
# R8 violence
# ======================================================================

INTERIM = [{"type": "written-only", "interim": True}]
VIOLENT_REPORT = dict(police_reference="Police ref AB/123/26", asb_unit_consulted=True)


def test_r8_violent_contact_puts_interim_written_only_in_force_until_the_decision(shared_rig):
    rig = shared_rig
    cid = raise_case(rig, "alice")
    assert notices(rig, cid) == []
    add_contact(rig, cid, user="alice", channel="in-person", incidents=["abuse", "violence"],
                summary="Pushed an officer at the counter.")
    c = case_file(rig, cid)
    assert c["status"] == "referred" and c["restrictions"] == INTERIM
    for user in ("olive", "alice", "carol"):  # chief officers, the referrer, the CEM
        [notice] = notices(rig, cid, user)
        assert (notice["interim"], notice["until"], notice["restrictions"]) == (True, None, INTERIM)
        assert notice["person"]["reference"] == c["person"]["reference"]
    # a second violent contact does not add another interim restriction
    add_contact(rig, cid, incidents=["violence"])
    assert case_file(rig, cid)["restrictions"] == INTERIM

    warn(rig, cid)
    carol = rig.as_user("carol")
    send = lambda body: (lambda: carol.post("api/cases/%d/report" % cid, body))
    fax_only = [{"type": "decline-channels", "channels": ["fax"]}]
    expect_refusal(rig, send(report_body(fax_only, **VIOLENT_REPORT)), 422, "violence-requires-written-only")
    expect_refusal(rig, send(report_body([WRITTEN_ONLY], asb_unit_consulted=True)),
                   422, "violence-requires-written-only", field="police_reference")
    expect_refusal(rig, send(report_body([WRITTEN_ONLY], police_reference="Police ref AB/123/26")),
                   422, "violence-requires-written-only", field="asb_unit_consulted")
    expect_refusal(rig, send(report_body([WRITTEN_ONLY], police_reference="Police ref AB/123/26",
                                         asb_unit_consulted=False)),
                   422, "violence-requires-written-only", field="asb_unit_consulted")
    approved = [WRITTEN_ONLY, {"type": "decline-channels", "channels": ["fax"]}]
    report(rig, cid, restrictions=approved, **VIOLENT_REPORT)
    c = case_file(rig, cid)
    assert c["status"] == "reported" and c["restrictions"] == INTERIM
    assert (c["report"]["police_reference"], c["report"]["asb_unit_consulted"]) == ("Police ref AB/123/26", True)
    assert notices(rig, cid)[0]["interim"] is True

    approve(rig, cid)
    c = case_file(rig, cid)
    assert c["restrictions"] == approved  # the interim one lifted, none marked interim
    assert c["open_channels"] == ["letter", "email", "online"]
    [notice] = notices(rig, cid)
    assert (notice["interim"], notice["until"]) == (False, iso(period_end(today(), 12)))
    assert notice["restrictions"] == approved


def test_r8_violence_criterion_imposes_interim_at_referral_and_closing_lifts_it(shared_rig):
    cid = raise_case(shared_rig, "alice", criteria=["violence", "abusive-about-staff"])
    assert case_file(shared_rig, cid)["restrictions"] == INTERIM
    [notice] = notices(shared_rig, cid)
    assert notice["interim"] is True and notice["until"] is None
    close(shared_rig, cid)
    c = case_file(shared_rig, cid)
    assert (c["status"], c["restrictions"]) == ("closed", [])
    assert notices(shared_rig, cid) == []


@pytest.mark.parametrize("restrictions", [
    [{"type": "decline-channels", "channels": ["phone", "in-person"]}],
    [{"type": "third-party-only", "third_party": "Anytown Advocacy Service"}],
    [_suspend(today() + 30 * DAY)],
], ids=["phone-and-in-person-declined", "third-party-only", "suspend-contact"])
def test_r8_stricter_than_written_only_is_accepted(shared_rig, restrictions):
    cid = raise_case(shared_rig, criteria=["violence"])
    warn(shared_rig, cid)
    report(shared_rig, cid, restrictions=restrictions, **VIOLENT_REPORT)
    assert case_file(shared_rig, cid)["status"] == "reported"


def test_r8_variation_of_a_violent_case_stays_written_only(own_rig):
    rig = own_rig
    record_absence(rig, "chris")
    cid = raise_case(rig, criteria=["violence"])
    warn(rig, cid)
    report(rig, cid, restrictions=[WRITTEN_ONLY], **VIOLENT_REPORT)
    approve(rig, cid, user="molly")
    softer = [{"type": "decline-channels", "channels": ["fax"]}]
    appeal(rig, cid)
    expect_refusal(rig, lambda: rig.as_user("oscar").post(
        "api/cases/%d/appeal/decision" % cid, {"outcome": "vary", "justified": True, "proportionate": True, "reasons": "r", "restrictions": softer}),
        422, "violence-requires-written-only")
    review(rig, cid, recommendation="vary")
    expect_refusal(rig, lambda: rig.as_user("chris").post(
        "api/cases/%d/review/decision" % cid, {"outcome": "vary", "justified": True, "proportionate": True, "reasons": "r", "restrictions": softer}),
        422, "violence-requires-written-only")
    review_decide(rig, cid, "vary", restrictions=[WRITTEN_ONLY, softer[0]])
    assert case_file(rig, cid)["restrictions"] == [WRITTEN_ONLY, softer[0]]


def test_r8_interim_notice_says_which_ways_stay_open(shared_rig):
    cid = raise_case(shared_rig, criteria=["violence"])
    written = ["letter", "email", "fax", "online"]
    [notice] = notices(shared_rig, cid)
    known_bug(notice["open_channels"] == [], "interim notice: open_channels [] and statement %r"
              % notice["phone_statement"])
    assert notice["open_channels"] == written
    assert "suspended" not in notice["phone_statement"] and "letter" in notice["phone_statement"]
    assert case_file(shared_rig, cid)["open_channels"] == written


# ======================================================================
# R9 period and review
# ======================================================================

@pytest.mark.parametrize("months", [1, 6, 12, 18, 24, 60])
def test_r9_period_end_and_review_date(shared_rig, months):
    start = first_of_month_months_ago(1) + 14 * DAY  # the 15th of last month
    cid = active_case(shared_rig, period_months=months, start=start)
    end, due = period_end(start, months), review_due(start, months)
    assert due == (end if months <= 12 else add_months(start, 12))
    c = case_file(shared_rig, cid)
    if end < today():  # one month from last month's 15th may already be over
        assert (c["status"], c["end_reason"]) == ("ended", "lapsed")
        return
    assert c["period"] == {"start": iso(start), "end": iso(end), "months": months}
    assert c["review_due"] == iso(due)
    assert list_entry(shared_rig, cid)["review_due"] == iso(due)
    s = sections(letter_html(shared_rig, cid, letters(shared_rig, cid)[-1]["id"]))
    assert long_date(start) in s["period"] and long_date(end) in s["period"]
    assert long_date(due) in s["review"]


def test_r9_one_january_plus_six_months_ends_thirty_june(shared_rig):
    start = datetime.date(today().year + 1, 1, 1)
    cid = active_case(shared_rig, period_months=6, start=start)
    c = case_file(shared_rig, cid)
    assert c["period"]["end"] == "%d-06-30" % start.year and c["review_due"] == c["period"]["end"]


def test_r9_a_period_already_over_reads_as_lapsed(shared_rig):
    start = first_of_month_months_ago(13)
    end = period_end(start, 12)
    assert end < today()
    cid = active_case(shared_rig, start=start)
    c = case_file(shared_rig, cid)
    assert (c["status"], c["end_reason"], c["restrictions"], c["review_due"]) == ("ended", "lapsed", [], None)
    assert list_entry(shared_rig, cid)["status"] == "ended"
    assert notices(shared_rig, cid) == []
    ns = notifications(shared_rig, cid)
    assert {n["event"] for n in ns} == {"lapsed", "approved"}
    [lapsed] = [n for n in ns if n["event"] == "lapsed"]
    assert lapsed["at"] == iso(end + DAY) + "T00:00:00Z"
    # a lapsed case takes no more steps (R13)
    expect_refusal(shared_rig, lambda: shared_rig.as_user("carol").post(
        "api/cases/%d/review" % cid, {"recommendation": "continue", "report": "r", "monitoring_officer": "molly"}),
        409, "wrong-state")


def test_r9_a_variation_starts_a_new_period_with_its_own_review_date(own_rig):
    rig = own_rig
    record_absence(rig, "chris")
    cid = raise_case(rig)
    warn(rig, cid)
    report(rig, cid, period_months=6)
    start = first_of_month_months_ago(4)
    record_absence(rig, "chris", start=start, end=today())
    approve_as_of(rig, cid, start, user="molly")
    assert case_file(rig, cid)["review_due"] == iso(period_end(start, 6))
    review(rig, cid, recommendation="vary")
    # a variation's period is at most 12 months (R17)
    review_decide(rig, cid, "vary", period_months=9, restrictions=[WRITTEN_ONLY])
    c = case_file(rig, cid)
    assert c["period"] == {"start": iso(today()), "end": iso(period_end(today(), 9)), "months": 9}
    assert c["review_due"] == iso(period_end(today(), 9)) == iso(review_due(today(), 9))
    assert c["restrictions"] == [WRITTEN_ONLY]


# ======================================================================
# R10 safeguarding
# ======================================================================

@pytest.mark.parametrize("safeguarding", [
    DROP, {"considered": False, "adjustments": "Large print letters."},
    {"considered": True}, {"adjustments": "Large print letters."},
], ids=["none", "not-considered", "no-adjustments", "considered-missing"])
def test_r10_vulnerable_case_needs_safeguarding(shared_rig, safeguarding):
    cid = raise_case(shared_rig, vulnerable=True, vulnerability="Recent bereavement; anxiety.")
    warn(shared_rig, cid)
    body = report_body()
    if safeguarding is not DROP:
        body["safeguarding"] = safeguarding
    expect_refusal(shared_rig, lambda: shared_rig.as_user("carol").post(
        "api/cases/%d/report" % cid, body), 422, "safeguarding-required")


def test_r10_vulnerable_case_with_safeguarding_is_reported(shared_rig):
    cid = raise_case(shared_rig, vulnerable=True, vulnerability="Recent bereavement; anxiety.")
    warn(shared_rig, cid)
    sg = {"considered": True, "adjustments": "Large print letters; a named officer; no calls after 5pm."}
    report(shared_rig, cid, safeguarding=sg)
    c = case_file(shared_rig, cid)
    assert c["status"] == "reported" and c["vulnerable"] is True
    assert c["report"]["safeguarding"] == sg


# ======================================================================
# R11 complete letters, issued once
# ======================================================================

def test_r11_letters_never_change_after_later_steps(shared_rig):
    rig = shared_rig
    ref = "REF-" + uid()
    cid = raise_case(rig, person={"name": "Original Name", "reference": ref, "address": "1 First Street"})
    warn(rig, cid)
    warning_list, warning_pages = letters(rig, cid), letter_pages(rig, cid)
    # a second concern about the same person, under another name and address,
    # linked by the CEM to the person already held
    other = raise_case(rig, "bob", person={"name": "Changed Name", "reference": ref, "address": "9 Other Road"})
    [match] = case_file(rig, other)["person_matches"]
    ok(rig.as_user("carol").post("api/cases/%d/link" % other, {"person_id": match["person_id"]}))
    report(rig, cid)
    approve(rig, cid)
    appeal(rig, cid)
    ls = letters(rig, cid)
    assert ls[:1] == warning_list and [l["kind"] for l in ls] == ["warning", "decision"]
    pages = letter_pages(rig, cid)
    assert pages[warning_list[0]["id"]] == warning_pages[warning_list[0]["id"]]
    assert "Original Name" in pages[ls[1]["id"]] and "Changed Name" not in pages[ls[1]["id"]]
    assert case_file(rig, other)["person"]["name"] == "Original Name"
    appeal_decide(rig, cid, "quash")
    assert {n: letter_html(rig, cid, n) for n in pages} == pages
    assert letters(rig, cid)[:2] == ls


def test_r11_an_issued_letter_cannot_be_changed_even_in_the_database(shared_rig):
    """The letters_never_change trigger (schema 001, both engines): an UPDATE
    by anyone with the database is refused and the letter stays as issued."""
    rig = shared_rig
    cid = raise_case(rig)
    warn(rig, cid)
    [letter] = letters(rig, cid)
    before = letter_html(rig, cid, letter["id"])
    with pytest.raises(Exception, match="(?i)letter"):
        rig.db.write("UPDATE letters SET body = 'rewritten' WHERE case_id = ?", (cid,))
    assert rig.db.scalar("SELECT count(*) FROM letters WHERE case_id = ? AND body = 'rewritten'", (cid,)) == 0
    assert letter_html(rig, cid, letter["id"]) == before


def test_r11_letters_escape_what_they_take_from_the_case(shared_rig):
    reasons = "Said <script>alert(1)</script> & \"worse\" to 'staff'."
    cid = raise_case(shared_rig, person={"name": "Pat <b>Bold</b>", "reference": "REF-" + uid()})
    warn(shared_rig, cid)
    report(shared_rig, cid)
    approve(shared_rig, cid, reasons=reasons)
    page = letter_html(shared_rig, cid, letters(shared_rig, cid)[-1]["id"])
    assert "<script>" not in page and "<b>Bold" not in page
    assert esc(reasons) in sections(page)["reasons"]


def test_r11_letters_only_for_the_case_officers(shared_rig):
    cid = active_case(shared_rig, referrer="alice")
    for user in ("carol", "molly", "chris"):
        assert [l["kind"] for l in letters(shared_rig, cid, user)] == ["warning", "decision"]
    for user in ("alice", "olive", "audrey"):
        expect_refusal(shared_rig, lambda: shared_rig.as_user(user).get("api/cases/%d/letters" % cid),
                       404, "not-found")
        expect_refusal(shared_rig, lambda: shared_rig.as_user(user).get("api/cases/%d/letters/1" % cid),
                       404, "not-found")


@pytest.mark.parametrize("own_rig", [{"extra_location": "    HabitualAppealDays 5\n"
                                                       "    HabitualCouncilName \"Anytown Borough Council\"\n"}],
                         indirect=True)
def test_r11_appeal_deadline_follows_habitual_appeal_days(own_rig):
    cid = active_case(own_rig)
    page = letter_html(own_rig, cid, letters(own_rig, cid)[-1]["id"])
    appeal_part = sections(page)["appeal"]
    assert "5 working days" in appeal_part
    assert long_date(add_working_days(today(), 5)) in appeal_part
    assert "Anytown Borough Council" in page


def test_r11_appeal_upheld_issues_a_complete_letter(shared_rig):
    cid = active_case(shared_rig, restrictions=[dict(RESTRICTION_PHONE_FAX)])
    appeal(shared_rig, cid)
    out = appeal_decide(shared_rig, cid, "uphold", reasons="The decision was sound.")
    assert out == {"id": cid, "status": "active"}
    c = case_file(shared_rig, cid)
    assert c["status"] == "active" and c["restrictions"] == [RESTRICTION_PHONE_FAX]
    ls = letters(shared_rig, cid)
    assert [l["kind"] for l in ls] == ["warning", "decision", "appeal-outcome"]
    # the appeal is the council's last word: no further appeal route, the Ombudsman remains
    start = today()
    assert_restrictions_letter(letter_html(shared_rig, cid, ls[-1]["id"]), "The decision was sound.",
                               [["phone", "fax"]], start, period_end(start, 12), review_due(start, 12),
                               ["letter", "email", "in person", "online"], ["phone", "fax"], [],
                               appeal=False)
    assert events(shared_rig, cid) == ["approved"]  # upholding changes nothing to tell


# ======================================================================
# R12 chief officers told
# ======================================================================

def test_r12_approval_variation_removal_and_quash_notify_every_chief_officer(own_rig):
    rig = own_rig
    record_absence(rig, "chris")

    def approved_by_molly():
        cid = raise_case(rig)
        warn(rig, cid)
        report(rig, cid)
        approve(rig, cid, user="molly")
        return cid

    varied = approved_by_molly()
    removed = approved_by_molly()
    quashed = approved_by_molly()
    for cid in (varied, removed, quashed):
        assert events(rig, cid) == ["approved"]
    time.sleep(1.1)

    review(rig, varied, recommendation="vary")
    review_decide(rig, varied, "vary", restrictions=[WRITTEN_ONLY])
    review(rig, removed, recommendation="remove")
    out = review_decide(rig, removed, "remove", reasons="Contact has been reasonable for months.")
    assert out["status"] == "ended"
    appeal(rig, quashed)
    appeal_decide(rig, quashed, "quash")

    for officer in ("olive", "oscar", "dana"):
        assert events(rig, varied, officer) == ["varied", "approved"]
        assert events(rig, removed, officer) == ["removed", "approved"]
        assert events(rig, quashed, officer) == ["quashed", "approved"]
    c = case_file(rig, removed)
    assert (c["status"], c["end_reason"], c["restrictions"]) == ("ended", "removed", [])
    assert [l["kind"] for l in letters(rig, removed)] == ["warning", "decision", "review-outcome"]
    assert notices(rig, removed) == []
    c = case_file(rig, varied)
    assert c["restrictions"] == [WRITTEN_ONLY]
    page = letter_html(rig, varied, letters(rig, varied)[-1]["id"])
    assert_restrictions_letter(page, "The review shows the arrangements are still needed.",
                               [["writing"]], today(), period_end(today(), 12), review_due(today(), 12),
                               ["letter", "email", "fax", "online"], ["phone", "in person"], [])
    # notifications are for chief officers only
    for user in ("carol", "alice"):
        expect_refusal(rig, lambda: rig.as_user(user).get("api/notifications"), 403, "forbidden")


def test_r12_appeal_variation_notifies_chief_officers(shared_rig):
    cid = active_case(shared_rig)
    appeal(shared_rig, cid)
    time.sleep(1.1)
    out = appeal_decide(shared_rig, cid, "vary", reasons="Fax may stay open.",
                        restrictions=[{"type": "decline-channels", "channels": ["phone"]}])
    assert out == {"id": cid, "status": "active"}
    c = case_file(shared_rig, cid)
    assert c["restrictions"] == [{"type": "decline-channels", "channels": ["phone"]}]
    assert c["period"]["start"] == iso(today())  # the period stays
    for officer in ("olive", "oscar"):
        assert events(shared_rig, cid, officer) == ["varied", "approved"]
    ls = letters(shared_rig, cid)
    assert [l["kind"] for l in ls] == ["warning", "decision", "appeal-outcome"]
    assert_restrictions_letter(letter_html(shared_rig, cid, ls[-1]["id"]), "Fax may stay open.",
                               [["phone"]], today(), period_end(today(), 12), review_due(today(), 12),
                               ["letter", "email", "in person", "fax", "online"], ["phone"], [],
                               appeal=False)


FROZEN = (today() + 30 * DAY).strftime("%Y-%m-%d") + " 10:00:00"


@pytest.mark.parametrize("own_rig", [{"faketime": FROZEN}], indirect=True)
def test_r12_notifications_newest_first_within_the_same_second(own_rig):
    """The server's clock stands still, so every event has the same time."""
    cid = active_case(own_rig)
    appeal(own_rig, cid)
    appeal_decide(own_rig, cid, "quash")
    ns = notifications(own_rig, cid)
    assert ns[0]["at"] == ns[1]["at"]
    got = [n["event"] for n in ns]
    known_bug(got == ["approved", "quashed"], "same-second notifications oldest first: %s" % got)
    assert got == ["quashed", "approved"]


# ======================================================================
# R13 state order
# ======================================================================

def _post(rig, user, path, body):
    return lambda: rig.as_user(user).post(path, body)


def test_r13_warn_twice(shared_rig):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/warning" % cid,
                                     {"on": iso(today()), "method": "email", "text": "again"}),
                   409, "wrong-state")


def test_r13_warn_after_report(shared_rig):
    cid = raise_case(shared_rig)
    report(shared_rig, cid, severe=True, severe_reason="Threats.")
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/warning" % cid,
                                     {"on": iso(today()), "method": "email", "text": "late"}),
                   409, "wrong-state")


def test_r13_report_on_a_closed_case(shared_rig):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    close(shared_rig, cid)
    assert case_file(shared_rig, cid)["end_reason"] == "Contact has settled down."
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/report" % cid, report_body()),
                   409, "wrong-state")


def test_r13_decide_a_referred_case(shared_rig):
    cid = raise_case(shared_rig)
    expect_refusal(shared_rig, _post(shared_rig, "chris", "api/cases/%d/decision" % cid, approve_body()),
                   409, "wrong-state")


def test_r13_decide_an_active_case_again(shared_rig):
    cid = active_case(shared_rig)
    expect_refusal(shared_rig, _post(shared_rig, "chris", "api/cases/%d/decision" % cid, approve_body()),
                   409, "wrong-state")


def test_r13_review_a_reported_case(shared_rig):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    report(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/review" % cid,
                                     {"recommendation": "continue", "report": "r", "monitoring_officer": "molly"}),
                   409, "wrong-state")


def test_r13_second_review_while_one_is_pending(shared_rig):
    cid = active_case(shared_rig)
    review(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/review" % cid,
                                     {"recommendation": "remove", "report": "r", "monitoring_officer": "molly"}),
                   409, "wrong-state")


def test_r13_review_decision_with_no_pending_review(shared_rig):
    cid = active_case(shared_rig)
    expect_refusal(shared_rig, _post(shared_rig, "chris", "api/cases/%d/review/decision" % cid,
                                     {"outcome": "continue", "justified": True, "proportionate": True, "reasons": "r"}),
                   409, "wrong-state")


def test_r13_appeal_decision_with_no_appeal(shared_rig):
    cid = active_case(shared_rig)
    expect_refusal(shared_rig, _post(shared_rig, "oscar", "api/cases/%d/appeal/decision" % cid,
                                     {"outcome": "quash", "reasons": "r"}),
                   409, "wrong-state")


def test_r13_second_appeal_while_one_is_pending(shared_rig):
    cid = active_case(shared_rig)
    appeal(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/appeal" % cid,
                                     {"received": iso(today()), "grounds": "more"}),
                   409, "wrong-state")


def test_r13_appeal_on_a_reported_case(shared_rig):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    report(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/appeal" % cid,
                                     {"received": iso(today()), "grounds": "g"}),
                   409, "wrong-state")


@pytest.mark.parametrize("user", ["carol", "alice"])  # the CEM, the referrer
def test_r13_contact_on_a_closed_case(shared_rig, user):
    cid = raise_case(shared_rig, "alice")
    close(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, user, "api/cases/%d/contacts" % cid,
                                     {"at": iso(today()), "channel": "phone", "direction": "inbound",
                                      "summary": "Called."}),
                   409, "wrong-state")


def test_r13_a_contact_reads_the_state_from_the_period_for_the_cem_as_for_the_referrer(shared_rig):
    """The CEM's contact loads only the case's state (procedure.c's
    STATE_ALONE), the referrer's the whole step view: both read a lapse
    from the period, so both are refused on a case whose period is over
    and both are let through, answered "active", while it runs."""
    running = active_case(shared_rig)
    for user in ("carol", "alice"):
        assert add_contact(shared_rig, running, user=user)["status"] == "active"
    start = first_of_month_months_ago(13)
    assert period_end(start, 12) < today()
    over = active_case(shared_rig, start=start)
    assert case_file(shared_rig, over)["status"] == "ended"
    for user in ("carol", "alice"):
        expect_refusal(shared_rig, _post(shared_rig, user, "api/cases/%d/contacts" % over,
                                         {"at": iso(today()), "channel": "phone", "direction": "inbound",
                                          "summary": "Called."}),
                       409, "wrong-state")


def test_r13_close_a_reported_case(shared_rig):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    report(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/close" % cid, {"reason": "r"}),
                   409, "wrong-state")


# ======================================================================
# Blank texts where a rule needs written words
# ======================================================================

def _blank_r2(rig):
    return lambda: rig.as_user("alice").post("api/cases", concern_body(measures_taken="   "))


def _blank_r3(rig):
    cid = raise_case(rig)
    return lambda: rig.as_user("carol").post("api/cases/%d/report" % cid,
                                             report_body(severe=True, severe_reason="   "))


def _blank_r6(rig):
    cid = raise_case(rig)
    warn(rig, cid)
    report(rig, cid)
    return lambda: rig.as_user("chris").post("api/cases/%d/decision" % cid, approve_body(reasons=" \n "))


def _blank_r7(rig):
    cid = raise_case(rig)
    warn(rig, cid)
    return lambda: rig.as_user("carol").post("api/cases/%d/report" % cid, report_body(
        [_suspend(today() + 30 * DAY, legal_advice="   ")]))


def _blank_r8(rig):
    cid = raise_case(rig, criteria=["violence"])
    warn(rig, cid)
    return lambda: rig.as_user("carol").post("api/cases/%d/report" % cid, report_body(
        [WRITTEN_ONLY], police_reference="   ", asb_unit_consulted=True))


def _blank_r10(rig):
    cid = raise_case(rig, vulnerable=True, vulnerability="Anxiety.")
    warn(rig, cid)
    return lambda: rig.as_user("carol").post("api/cases/%d/report" % cid, report_body(
        safeguarding={"considered": True, "adjustments": "   "}))


@pytest.mark.parametrize("make,code", [
    (_blank_r2, "missing-field"), (_blank_r3, "warning-required"), (_blank_r6, "not-justified"),
    (_blank_r7, "no-open-channel"), (_blank_r8, "violence-requires-written-only"),
    (_blank_r10, "safeguarding-required"),
], ids=["R2-measures_taken", "R3-severe_reason", "R6-reasons", "R7-legal_advice", "R8-police_reference",
        "R10-adjustments"])
def test_blank_text_does_not_satisfy_a_rule(shared_rig, make, code):
    send = make(shared_rig)
    expect_refusal(shared_rig, send, 422, code, bug="whitespace-only text accepted for " + code)


# ======================================================================
# 5. Bad input
# ======================================================================

def _raise_refused(rig, body, field=None):
    return expect_refusal(rig, lambda: rig.as_user("alice").post("api/cases", body), 400, field=field)


def test_unknown_criterion_is_400(shared_rig):
    _raise_refused(shared_rig, concern_body(criteria=["excessive-contact", "being-annoying"]),
                   field="criteria[1]")


def test_no_criterion_is_refused(shared_rig):
    c = shared_rig.as_user("alice")
    expect_refusal(shared_rig, lambda: c.post("api/cases", concern_body(criteria=[])), 422,
                   "missing-field", field="criteria")


def test_unknown_top_level_key_is_400(shared_rig):
    _raise_refused(shared_rig, dict(concern_body(), priority="high"), field="priority")
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/report" % cid,
                                     dict(report_body(), urgent=True)), 400, field="urgent")
    report(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "chris", "api/cases/%d/decision" % cid,
                                     dict(approve_body(), note="x")), 400, field="note")


@pytest.mark.parametrize("restriction,field", [
    ({"type": "decline-channels", "channels": ["phone"], "colour": "red"}, "restrictions[0].colour"),
    ({"type": "written-only", "until": "2030-01-01"}, "restrictions[0].until"),
    ({"type": "third-party-only", "third_party": "A friend", "phone": "0123"}, "restrictions[0].phone"),
    ({"type": "decline-channels", "channels": ["pigeon"]}, "restrictions[0].channels[0]"),
    ({"type": "curfew"}, "restrictions[0]"),
])
def test_bad_restriction_object_is_400(shared_rig, restriction, field):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/report" % cid,
                                     report_body([restriction])), 400, field=field)


def test_repeated_restriction_type_is_400(shared_rig):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    twice = [{"type": "decline-channels", "channels": ["phone"]},
             {"type": "decline-channels", "channels": ["fax"]}]
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/report" % cid,
                                     report_body(twice)), 400, field="restrictions[1]")


@pytest.mark.parametrize("months", [0, 61, "12"])
def test_period_months_out_of_range_is_400(shared_rig, months):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/report" % cid,
                                     report_body(period_months=months)), 400, field="period_months")


@pytest.mark.parametrize("bad", ["2026-02-30", "2027-02-29", "29/11/2026", "2026-1-5", "2026-13-01", ""])
def test_invalid_dates_are_400(shared_rig, bad):
    cid = raise_case(shared_rig)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/warning" % cid,
                                     {"on": bad, "method": "letter", "text": "t"}), 400, field="on")
    warn(shared_rig, cid)
    report(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "chris", "api/cases/%d/decision" % cid,
                                     approve_body(start=bad)), 400, field="start")
    _raise_refused(shared_rig, concern_body(person={"name": "P", "reference": "R-" + uid(),
                                                    "date_of_birth": bad}), field="person.date_of_birth")


def test_invalid_contact_time_is_400(shared_rig):
    cid = raise_case(shared_rig)
    for bad in ["2026-11-29T25:00:00Z", "2026-11-29 10:00:00", "2026-11-29T10:00:00+01:00"]:
        expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/contacts" % cid,
                                         {"at": bad, "channel": "phone", "direction": "inbound",
                                          "summary": "s"}), 400, field="at")


@pytest.mark.parametrize("field,value,where", [
    ("name", "n" * 201, "person.name"),
    ("name", "\u00e9" * 101, "person.name"),      # 202 bytes in UTF-8
])
def test_names_over_200_bytes_are_400(shared_rig, field, value, where):
    _raise_refused(shared_rig, concern_body(person={field: value, "reference": "R-" + uid()}), field=where)


def test_names_of_200_bytes_are_accepted(shared_rig):
    for name in ["n" * 200, "\u00e9" * 100]:
        cid = raise_case(shared_rig, person={"name": name, "reference": "R-" + uid()})
        assert case_file(shared_rig, cid)["person"]["name"] == name


def test_references_of_64_bytes_are_accepted(shared_rig):
    """README: a council reference is at most 64 bytes."""
    ref = ("R-" + uid() + "-" * 64)[:64]
    r = shared_rig.as_user("alice").post("api/cases", concern_body(person={"name": "P", "reference": ref}))
    assert r.status_code == 201
    _raise_refused(shared_rig, concern_body(person={"name": "P", "reference": ref + "x"}),
                   field="person.reference")


def test_narratives_over_20000_bytes_are_400(shared_rig):
    _raise_refused(shared_rig, concern_body(summary="s" * 20001), field="summary")
    cid = raise_case(shared_rig, summary="s" * 20000)
    assert len(case_file(shared_rig, cid)["summary"]) == 20000
    warn(shared_rig, cid)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/report" % cid,
                                     report_body(behaviour="b" * 20001)), 400, field="behaviour")


def test_contact_in_the_future_is_400(shared_rig):
    cid = raise_case(shared_rig, "alice")
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2))
    for at in [iso(today() + DAY), later.strftime("%Y-%m-%dT%H:%M:%SZ")]:
        for user in ("carol", "alice"):
            expect_refusal(shared_rig, _post(shared_rig, user, "api/cases/%d/contacts" % cid,
                                             {"at": at, "channel": "phone", "direction": "inbound",
                                              "summary": "Will call tomorrow."}), 400, field="at")
    earlier = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    add_contact(shared_rig, cid, at=earlier.strftime("%Y-%m-%dT%H:%M:%SZ"))
    add_contact(shared_rig, cid, at=iso(today()))
    assert len(case_file(shared_rig, cid)["contacts"]) == 2


def test_warning_and_appeal_in_the_future_are_400(shared_rig):
    cid = raise_case(shared_rig)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/warning" % cid,
                                     {"on": iso(today() + DAY), "method": "letter", "text": "t"}),
                   400, field="on")
    cid = active_case(shared_rig)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/appeal" % cid,
                                     {"received": iso(today() + DAY), "grounds": "g"}), 400, field="received")


@pytest.mark.parametrize("change,field", [
    ({"channel": "carrier-pigeon"}, "channel"),
    ({"direction": "sideways"}, "direction"),
    ({"incidents": ["rudeness"]}, "incidents[0]"),
    ({"summary": 42}, "summary"),
])
def test_bad_contact_fields_are_400(shared_rig, change, field):
    cid = raise_case(shared_rig)
    body = {"at": iso(today()), "channel": "visit", "direction": "inbound", "summary": "s"}
    body.update(change)
    expect_refusal(shared_rig, _post(shared_rig, "carol", "api/cases/%d/contacts" % cid, body),
                   400, field=field)


def test_wrong_types_in_a_decision_are_400(shared_rig):
    cid = raise_case(shared_rig)
    warn(shared_rig, cid)
    report(shared_rig, cid)
    for change, field in [({"justified": "yes"}, "justified"), ({"outcome": "maybe"}, "outcome"),
                          ({"reasons": ["a"]}, "reasons")]:
        expect_refusal(shared_rig, _post(shared_rig, "chris", "api/cases/%d/decision" % cid,
                                         approve_body(**change)), 400, field=field)
    assert case_file(shared_rig, cid)["status"] == "reported"
