"""Issue 12, no restriction outlives its basis: R17 (every decision that
keeps or changes restrictions is justified, a continuation within a year),
R18 (the review's monitoring officer is real) and R5 wider (contact
recorders, the officer a contact names, the absence's recorder).  Each
refusal beside its allowed path; both engines (the suite runs twice)."""

import datetime

import rig as rigmod
from helpers_procedure import (
    WRITTEN_ONLY, FutureServer, active_case, add_contact, add_months, appeal, approve, case_file,
    expect_refusal, fake_sendmail, iso, notices, notifications, ok, parse_mails, raise_case, record_absence,
    report, review, review_decide, review_due, today, warn,
)

DAY = datetime.timedelta(days=1)


def _post(rig, user, path, body):
    return lambda: rig.as_user(user).post(path, body)


def _decide_review(rig, cid, user="chris", **body):
    return _post(rig, user, "api/cases/%d/review/decision" % cid, body)


# ---- R17 ----

def test_r17_continue_or_vary_without_the_findings_is_not_justified(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    review(rig, cid)
    for missing in ({"justified": False, "proportionate": True}, {"justified": True, "proportionate": False},
                    {"proportionate": True}):
        body = {"outcome": "continue", "reasons": "Still needed."}
        body.update(missing)
        expect_refusal(rig, _decide_review(rig, cid, **body), 422, "not-justified")
    expect_refusal(rig, _decide_review(rig, cid, outcome="vary", reasons="r", restrictions=[WRITTEN_ONLY]),
                   422, "not-justified")
    # removal needs no finding: it keeps nothing
    out = ok(rig.as_user("chris").post("api/cases/%d/review/decision" % cid,
                                        {"outcome": "remove", "reasons": "Behaviour changed."}))
    assert out["status"] == "ended"


def test_r17_a_continuation_is_at_most_twelve_months(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    review(rig, cid)
    expect_refusal(rig, _decide_review(rig, cid, outcome="continue", justified=True, proportionate=True,
                                       reasons="Still needed.", period_months=13),
                   422, "period-too-long", field="period_months")
    out = review_decide(rig, cid, "continue", period_months=12)
    assert out["status"] == "active"
    c = case_file(rig, cid)
    assert c["period"]["months"] == 12
    # the letter quotes the reasons
    page = rig.as_user("carol").get("api/cases/%d/letters/%d" % (cid, c["letters"][-1]["id"])).text
    assert "The review shows the arrangements are still needed." in page


def test_r17_an_appeal_varying_restrictions_is_justified(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    appeal(rig, cid)
    expect_refusal(rig, _post(rig, "olive", "api/cases/%d/appeal/decision" % cid,
                              {"outcome": "vary", "reasons": "Softer.", "restrictions": [WRITTEN_ONLY]}),
                   422, "not-justified")
    out = ok(rig.as_user("olive").post("api/cases/%d/appeal/decision" % cid,
                                        {"outcome": "vary", "justified": True, "proportionate": True,
                                         "reasons": "Softer.", "restrictions": [WRITTEN_ONLY]}))
    assert out["status"] == "active"


# ---- R18 ----

def test_r18_the_monitoring_officer_named_is_one_and_not_the_author(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    for name, code in (("alice", "not-monitoring-officer"), ("carol", "not-monitoring-officer"),
                       ("nobody-at-all", "unknown-user")):
        expect_refusal(rig, _post(rig, "carol", "api/cases/%d/review" % cid,
                                  {"recommendation": "continue", "report": "r", "monitoring_officer": name}),
                       422, code, field="monitoring_officer")
    review(rig, cid, monitoring_officer="Molly")
    assert case_file(rig, cid)["reviews"][0]["monitoring_officer"] == "molly"


# ---- R5, wider ----

def test_r5_the_officer_a_contact_names_cannot_decide_nor_hear_the_appeal(own_rig):
    rig = own_rig
    cid = raise_case(rig)
    add_contact(rig, cid, user="carol", officer="Chris")   # the behaviour was aimed at chris
    warn(rig, cid)
    report(rig, cid)
    err = expect_refusal(rig, _post(rig, "chris", "api/cases/%d/decision" % cid,
                                    {"outcome": "approve", "justified": True, "proportionate": True,
                                     "reasons": "r"}), 422, "conflict-of-interest")
    assert "officer it was aimed at" in err["message"] and "Chris" not in err["message"]
    # the monitoring officer deputises (chris is away; the CEM recorded it)
    record_absence(rig, "carol")
    assert approve(rig, cid, user="molly")["deputising"] is True
    # an appeal: the chief officer named in a contact cannot hear it
    other = raise_case(rig)
    add_contact(rig, other, user="carol", officer="olive")
    warn(rig, other)
    report(rig, other)
    approve(rig, other, user="molly")
    appeal(rig, other)
    expect_refusal(rig, _post(rig, "olive", "api/cases/%d/appeal/decision" % other,
                              {"outcome": "uphold", "reasons": "r"}), 422, "conflict-of-interest")
    out = ok(rig.as_user("oscar").post("api/cases/%d/appeal/decision" % other,
                                        {"outcome": "uphold", "reasons": "r"}))
    assert out["status"] == "active"


def test_r5_the_officer_a_contact_names_cannot_decide_its_review(own_rig):
    rig = own_rig
    cid = active_case(rig)
    add_contact(rig, cid, user="carol", officer="chris")
    review(rig, cid)
    err = expect_refusal(rig, _decide_review(rig, cid, outcome="continue", justified=True, proportionate=True,
                                             reasons="r"), 422, "conflict-of-interest")
    assert "officer it was aimed at" in err["message"]
    # the allowed path: a contact aimed at someone else bars no one here
    other = active_case(rig)
    add_contact(rig, other, user="carol", officer="olive")
    review(rig, other)
    assert review_decide(rig, other, "continue")["status"] == "active"


# Whoever recorded a contact, and whoever recorded the absence that lets the
# monitoring officer decide, are refused too; no rig user holds the roles
# that would let them then decide, so the unit tests show those refusals
# (tests/unit/test_procedure.c, r5_wider).


# ---- R14 ----

def _suspension(until):
    return {"type": "suspend-contact", "legal_advice": "Counsel's advice on an injunction is awaited.",
            "until": iso(until)}


def test_r14_a_suspension_longer_than_three_months_is_refused(shared_rig):
    rig = shared_rig
    cid = raise_case(rig)
    warn(rig, cid)
    body = {"behaviour": "b", "restrictions": [_suspension(add_months(today(), 3) + DAY)], "period_months": 6,
            "alternatives_considered": "a"}
    expect_refusal(rig, _post(rig, "carol", "api/cases/%d/report" % cid, body), 422, "suspension-too-long")
    body["restrictions"] = [_suspension(add_months(today(), 3))]
    add_contact(rig, cid)                                     # R19
    assert ok(rig.as_user("carol").post("api/cases/%d/report" % cid, body))["status"] == "reported"


def test_r14_a_suspension_ends_the_day_after_its_date(own_rig):
    rig = own_rig
    until = today() + 10 * DAY
    cid = active_case(rig, restrictions=[_suspension(until), WRITTEN_ONLY])
    [n] = notices(rig, cid)
    assert n["open_channels"] == [] and [r["type"] for r in n["restrictions"]] == ["suspend-contact", "written-only"]
    assert "legal_advice" not in n["restrictions"][0]
    with FutureServer(rig, "+10d") as fut:          # its last day: still in force
        assert [r["type"] for r in case_file(fut, cid)["restrictions"]] == ["suspend-contact", "written-only"]
    with FutureServer(rig, "+11d") as fut:
        c = case_file(fut, cid)
        assert c["restrictions"] == [WRITTEN_ONLY]                  # the others stand
        assert c["open_channels"] == ["letter", "email", "fax", "online"]
        [n] = notices(fut, cid)
        assert n["restrictions"] == [WRITTEN_ONLY] and n["open_channels"] == ["letter", "email", "fax", "online"]
        page = fut.as_user("olive").get("notices").text
        assert "suspended" not in page.lower()
        events = [(x["event"], x["at"]) for x in ok(fut.as_user("olive").get("api/notifications"))["notifications"]
                  if x["case_id"] == cid]
        assert ("suspension-ended", iso(until + DAY) + "T00:00:00Z") in events
    # today it is still suspended; nothing is recorded until it happens
    assert [x["event"] for x in notifications(rig, cid)] == ["approved"]


# ---- R16 ----

def test_r16_an_undecided_review_ends_the_designation_after_the_grace(own_rig):
    rig = own_rig
    cid = active_case(rig, period_months=24)          # review due at 12 months, period 24
    due = review_due(today(), 24)
    assert case_file(rig, cid)["review_due"] == iso(due)
    review(rig, cid)                                   # recorded, never decided
    to_due = (due - today()).days
    with FutureServer(rig, "+%dd" % (to_due + 28)) as fut:   # the grace's last day: in force
        c = case_file(fut, cid)
        assert (c["status"], c["end_reason"]) == ("active", None)
        assert len(notices(fut, cid)) == 1
    with FutureServer(rig, "+%dd" % (to_due + 29)) as fut:   # the next day: ended
        c = case_file(fut, cid)
        assert (c["status"], c["end_reason"], c["restrictions"]) == ("ended", "review-overdue", [])
        assert notices(fut, cid) == []
        events = [(n["event"], n["at"]) for n in notifications(fut, cid)]
        assert events.count(("review-overdue", iso(due + 29 * DAY) + "T00:00:00Z")) == 1, events
        assert "lapsed" not in [e for e, _ in events]
        # no step can be taken on it, the review decision included (R13)
        expect_refusal(fut, lambda: fut.as_user("chris").post(
            "api/cases/%d/review/decision" % cid,
            {"outcome": "continue", "justified": True, "proportionate": True, "reasons": "r"}), 409, "wrong-state")


def test_r16_a_review_decided_in_time_starts_a_new_period(own_rig):
    rig = own_rig
    cid = active_case(rig, period_months=24)
    due = review_due(today(), 24)
    to_due = (due - today()).days
    with FutureServer(rig, "+%dd" % (to_due + 20)) as late:     # decided within the grace
        review(late, cid)
        assert review_decide(late, cid, "continue", period_months=12)["status"] == "active"
    with FutureServer(rig, "+%dd" % (to_due + 29)) as fut:
        c = case_file(fut, cid)
        assert c["status"] == "active" and c["end_reason"] is None
        assert c["period"]["start"] == iso(due + 20 * DAY)


# ---- R16's reminders (habitual-admin notify) ----

REMINDED = {"carol@example.org", "molly@example.org", "mona@example.org", "chris@example.org"}


class Notify:
    """habitual-admin notify on the rig's database, its clock `days` ahead."""

    def __init__(self, rig, workdir):
        self.rig = rig
        self.sendmail, self.log = fake_sendmail(workdir)
        self.args = ["notify", "--sendmail", self.sendmail, "--ldap-url", rig.httpd.ldap_url,
                     "--group", rigmod.group_dn("chief-officers"), "--link", "https://intranet.example.org/h"]
        self.groups = []
        for g in ("cem", "monitoring-officer", "chief-executive"):
            self.groups += ["--reminder-group", rigmod.group_dn(g)]
        self.seen = 0

    def run(self, days, groups=True, check=True):
        return self.rig.admin(*(self.args + (self.groups if groups else [])), faketime="+%dd" % days,
                              check=check)

    def new_reminders(self, cid):
        """Subjects of the reminders for cid mailed since the last call, with their mails."""
        mails = parse_mails(self.log)
        new, self.seen = mails[self.seen:], len(mails)
        return [(h, b) for h, b in new if h["Subject"].startswith("Habitual contact: case %d review " % cid)]


def _subjects(mails):
    return [h["Subject"].split(" ", 4)[4] for h, _b in mails]


def test_r16_notify_reminds_30_days_before_on_the_date_and_before_the_grace_ends_once_each(own_rig, tmp_path):
    rig = own_rig
    cid = active_case(rig, period_months=24)                  # review due at 12 months, period 24
    due = review_due(today(), 24)
    to_due = (due - today()).days
    notify = Notify(rig, tmp_path)
    notify.run(0)
    assert notify.new_reminders(cid) == []                    # the approval only
    notify.run(to_due - 31)
    assert notify.new_reminders(cid) == []                    # 31 days before: not yet

    res = notify.run(to_due - 30)
    [(headers, body)] = notify.new_reminders(cid)
    assert headers["Subject"] == "Habitual contact: case %d review due in 30 days" % cid
    assert {a.strip() for a in headers["To"].split(",")} == REMINDED
    assert "Review due:  %s" % iso(due) in body and "Decide by:   %s" % iso(due + 28 * DAY) in body
    assert "https://intranet.example.org/h/cases/%d\n" % cid in body
    assert "Pat" not in body and "Person" not in body        # no case content
    assert "1 review reminder due" in res.stdout
    log = rig.db.query("SELECT action, case_id FROM access_log WHERE action = 'admin.notify' AND case_id = ?",
                       (cid,))
    assert len(log) == 2                                      # the approval's run, and this one
    for days in (to_due - 30, to_due - 29, to_due - 1):       # once: not again in its window
        notify.run(days)
        assert notify.new_reminders(cid) == []

    # the CEM's dashboard shows the review, its last day and the reminder sent
    with FutureServer(rig, "+%dd" % (to_due - 29)) as fut:
        page = fut.as_user("carol").get("").text
        assert "Decide by (R16)" in page and "30 days before, sent" in page

    # without the groups to send to, a due reminder waits and the run fails, loudly
    res = notify.run(to_due, groups=False, check=False)
    assert res.returncode == 1 and "--reminder-group" in res.stderr
    assert notify.new_reminders(cid) == []
    [row] = rig.db.query("SELECT email_sent_at FROM review_reminders WHERE case_id = ? AND kind = "
                         "'review-due-today'", (cid,))
    assert row["email_sent_at"] is None
    notify.run(to_due + 1)                                    # the next run sends it, once
    assert _subjects(notify.new_reminders(cid)) == ["review due"]
    notify.run(to_due + 20)
    assert notify.new_reminders(cid) == []

    notify.run(to_due + 21)                                   # 7 days before the grace ends
    assert _subjects(notify.new_reminders(cid)) == ["review grace ends in 7 days"]
    notify.run(to_due + 28)
    assert notify.new_reminders(cid) == []
    notify.run(to_due + 29)                                   # ended (R16): chief officers told, no reminder
    assert notify.new_reminders(cid) == []
    rows = rig.db.query("SELECT kind, email_sent_at, email_attempts FROM review_reminders WHERE case_id = ? "
                        "ORDER BY id", (cid,))
    assert [(r["kind"], r["email_attempts"]) for r in rows] == [
        ("review-due-in-30-days", 1), ("review-due-today", 1), ("review-grace-ending", 1)]
    assert all(r["email_sent_at"] for r in rows)
    subjects = [h["Subject"] for h, _b in parse_mails(notify.log)]
    assert subjects.count("Habitual contact: case %d review-overdue" % cid) == 1


def test_r16_a_review_decided_in_time_stops_the_reminders_of_its_period(own_rig, tmp_path):
    rig = own_rig
    cid = active_case(rig, period_months=24)
    due = review_due(today(), 24)
    to_due = (due - today()).days
    notify = Notify(rig, tmp_path)
    notify.run(to_due)                                        # on the due date
    assert _subjects(notify.new_reminders(cid)) == ["review due"]
    with FutureServer(rig, "+%dd" % (to_due + 2)) as late:    # decided within the grace
        review(late, cid)
        review_decide(late, cid, "continue", period_months=12)
    for days in (to_due + 21, to_due + 28, to_due + 29):      # no grace reminder, no end
        notify.run(days)
        assert notify.new_reminders(cid) == []
    with FutureServer(rig, "+%dd" % (to_due + 29)) as fut:
        assert case_file(fut, cid)["status"] == "active"


# ---- R19 ----

def test_r19_a_report_needs_behaviour_since_the_warning(shared_rig):
    rig = shared_rig
    cid = raise_case(rig)
    add_contact(rig, cid, summary="Before the warning.")
    warn(rig, cid)
    body = {"behaviour": "b", "restrictions": [WRITTEN_ONLY], "period_months": 6, "alternatives_considered": "a"}
    expect_refusal(rig, _post(rig, "carol", "api/cases/%d/report" % cid, body), 422, "no-contact-since-warning")
    # a contact dated before the warning's day is not behaviour since it
    add_contact(rig, cid, at=iso(today() - DAY), summary="Back-dated.")
    expect_refusal(rig, _post(rig, "carol", "api/cases/%d/report" % cid, body), 422, "no-contact-since-warning")
    # the allowed paths: a contact since the warning, or severe (R3's own reason)
    add_contact(rig, cid, summary="Called again after the warning.")
    assert ok(rig.as_user("carol").post("api/cases/%d/report" % cid, body))["status"] == "reported"
    other = raise_case(rig)
    warn(rig, other)
    severe = dict(body, severe=True, severe_reason="Threatened an officer's family.")
    assert ok(rig.as_user("carol").post("api/cases/%d/report" % other, severe))["status"] == "reported"
