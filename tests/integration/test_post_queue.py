"""Issue 15, the post queue for closed correspondence: post from a customer
whose restrictions close correspondence on a matter, or make contact
written-only, is recorded by whoever holds the notice, waits in the CEM's
triage queue (oldest first, with the working days it has waited) and is
decided, each item with a reason; the acknowledgement letter is complete
(R11); the dashboard and `habitual-admin notify` flag items waiting too
long.  Both engines (the suite runs twice)."""

import datetime
import json

import pytest

import rig as rigmod
from helpers_procedure import (
    BANK_HOLIDAYS, WRITTEN_ONLY, active_case, case_file, expect_refusal, fake_sendmail, iso, letter_html,
    letters, ok, parse_mails, raise_case, today,
)

DAY = datetime.timedelta(days=1)
CLOSED = {"type": "correspondence-closed", "matter": "The 2019 parking fine"}


def _working(d):
    return d.weekday() < 5 and d not in BANK_HOLIDAYS


def working_days_ago(n):
    """The date n working days before today (the server's count: working
    days after it, up to and including today)."""
    d, left = today(), n
    while left > 0:
        if _working(d):
            left -= 1
        d -= DAY
    return d


def waited(received):
    n, d = 0, received
    while d < today():
        d += DAY
        n += _working(d)
    return n


def _item(received, summary, channel="letter"):
    return {"received": iso(received), "channel": channel, "summary": summary}


def _record(rig, cid, body, user="carol"):
    return rig.as_user(user).post("api/cases/%d/correspondence" % cid, body)


def _decide(rig, cid, body, user="carol"):
    return rig.as_user(user).post("api/cases/%d/correspondence/decision" % cid, body)


def _queue(rig, cid, user="carol"):
    return [x for x in ok(rig.as_user(user).get("api/triage"))["items"] if x["case_id"] == cid]


def _log(rig, cid, action):
    return rig.db.query('SELECT "user", outcome FROM access_log WHERE action = ? AND case_id = ? ORDER BY seq',
                        (action, cid))


# ---- recording and the queue ----

def test_post_is_recorded_by_notice_holders_and_queued_oldest_first_with_working_days(shared_rig):
    rig = shared_rig
    cid = active_case(rig, restrictions=[WRITTEN_ONLY])
    recent, old = working_days_ago(2), working_days_ago(8)
    # the newer first: the queue orders by the date received, not by entry
    out = ok(_record(rig, cid, _item(recent, "Asks again about the bins."), user="olive"), 201)
    assert set(out) == {"id", "status", "item"} and out["id"] == cid     # nothing more of the file
    assert rig.as_user("olive").get("api/cases/%d" % cid).status_code == 404
    first = out["item"]
    second = ok(_record(rig, cid, _item(old, "A new complaint about a missed visit.", "email")), 201)["item"]

    queue = _queue(rig, cid)
    assert [x["item"] for x in queue] == [second, first]
    assert [x["working_days_waited"] for x in queue] == [waited(old), waited(recent)] == [8, 2]
    assert [x["over_limit"] for x in queue] == [True, False]
    assert queue[0]["recorded_by"] == "carol" and queue[1]["recorded_by"] == "olive"
    assert queue[0]["person"]["name"] and queue[0]["summary"] == "A new complaint about a missed visit."
    assert ok(rig.as_user("carol").get("api/triage"))["limit_working_days"] == 5
    assert _log(rig, cid, "case.correspondence") == [{"user": "olive", "outcome": "allowed"},
                                                     {"user": "carol", "outcome": "allowed"}]
    looks = rig.db.query('SELECT "user" FROM access_log WHERE action = \'triage.list\' '
                         "AND ',' || case_ids || ',' LIKE ?", ("%%,%d,%%" % cid,))
    assert {"user": "carol"} in looks                              # the look names the cases it showed

    # the case file shows the post to the CEM; the page lists it, and the queue page
    post = case_file(rig, cid)["correspondence"]
    assert [p["item"] for p in post] == [second, first] and "decision" not in post[0]
    page = rig.as_user("carol").get("triage").text
    assert "A new complaint about a missed visit." in page and "cases/%d/triage?item=%d" % (cid, second) in page
    assert "Post received" in rig.as_user("carol").get("cases/%d" % cid).text
    home = rig.as_user("carol").get("").text
    assert "Post awaiting triage" in home and "waiting too long" in home


def test_recording_post_is_refused_where_it_does_not_belong(shared_rig):
    rig = shared_rig
    closed = active_case(rig, restrictions=[CLOSED])
    ok(_record(rig, closed, _item(today(), "About the parking fine again.")), 201)   # allowed: closed matter
    phone_only = active_case(rig)                                  # phone and fax declined: letters answered
    err = expect_refusal(rig, lambda: _record(rig, phone_only, _item(today(), "x")), 409, "wrong-state")
    assert "not restricted" in err["message"]
    expect_refusal(rig, lambda: _record(rig, closed, _item(today(), "x"), user="audrey"), 404)   # no notice
    referred = raise_case(rig)
    expect_refusal(rig, lambda: _record(rig, referred, _item(today(), "x"), user="olive"), 404)
    expect_refusal(rig, lambda: _record(rig, closed, _item(today() + DAY, "x")), 400, "invalid-field",
                   field="received")
    expect_refusal(rig, lambda: _record(rig, closed, {"received": iso(today()), "channel": "pigeon",
                                                      "summary": "x"}), 400)
    expect_refusal(rig, lambda: _record(rig, closed, {"received": iso(today()), "channel": "letter"}), 422,
                   "missing-field", field="summary")
    # the queue is the CEM's
    for user in ("olive", "chris", "molly", "alice", "audrey"):
        r = rig.as_user(user).get("api/triage")
        assert r.status_code == 403, (user, r.status_code)
        assert rig.as_user(user).get("triage").status_code == 403


# ---- the CEM's decisions ----

def test_each_item_is_decided_with_a_reason_and_acknowledgement_is_a_complete_letter(shared_rig):
    rig = shared_rig
    cid = active_case(rig, restrictions=[CLOSED])
    received = working_days_ago(3)
    items = [ok(_record(rig, cid, _item(received, s)), 201)["item"]
             for s in ("Same points on the fine.", "Says the bins were missed.", "Mentions not coping alone.")]
    letters_before = len(letters(rig, cid))

    # refusals change nothing
    expect_refusal(rig, lambda: _decide(rig, cid, {"item": items[0], "decision": "acknowledge-only",
                                                   "reason": "Nothing new."}, user="olive"), 403, "forbidden")
    expect_refusal(rig, lambda: _decide(rig, cid, {"item": items[0], "decision": "acknowledge-only",
                                                   "reason": "Nothing new."}, user="audrey"), 404)
    expect_refusal(rig, lambda: _decide(rig, cid, {"item": items[0], "decision": "acknowledge-only"}), 422,
                   "missing-field", field="reason")
    expect_refusal(rig, lambda: _decide(rig, cid, {"item": items[1], "decision": "new-issue",
                                                   "reason": "A missed collection."}), 422, "missing-field",
                   field="routed_to")
    expect_refusal(rig, lambda: _decide(rig, cid, {"item": 999999, "decision": "acknowledge-only",
                                                   "reason": "x"}), 422, "unknown-entry")
    expect_refusal(rig, lambda: _decide(rig, cid, {"item": items[0], "decision": "ignore", "reason": "x"}), 400)

    ok(_decide(rig, cid, {"item": items[0], "decision": "acknowledge-only",
                          "reason": "Only the closed matter: nothing new."}))
    ok(_decide(rig, cid, {"item": items[1], "decision": "new-issue", "reason": "A missed bin collection.",
                          "routed_to": "Waste services", "reference": "WS-4411"}))
    ok(_decide(rig, cid, {"item": items[2], "decision": "safeguarding",
                          "reason": "Safeguarding referral made to adult social care."}))
    assert _queue(rig, cid) == []                                   # every item decided: none left
    expect_refusal(rig, lambda: _decide(rig, cid, {"item": items[0], "decision": "new-issue", "reason": "x",
                                                   "routed_to": "y"}), 422, "unknown-entry")   # once only

    post = case_file(rig, cid)["correspondence"]
    decided = {p["item"]: p["decision"] for p in post}
    assert decided[items[0]]["decision"] == "acknowledge-only" and decided[items[0]]["by"] == "carol"
    assert decided[items[1]]["routed_to"] == "Waste services" and decided[items[1]]["reference"] == "WS-4411"
    assert decided[items[2]]["decision"] == "safeguarding" and "adult social care" in decided[items[2]]["reason"]
    assert decided[items[1]]["letter"] is None and decided[items[2]]["letter"] is None
    assert [e["outcome"] for e in _log(rig, cid, "case.correspondence.decide")].count("allowed") == 3

    # acknowledge-only issued the standard acknowledgement, and only it
    after = letters(rig, cid)
    assert len(after) == letters_before + 1
    ack = after[-1]
    assert ack["kind"] == "acknowledgement" and decided[items[0]]["letter"] == ack["id"]
    page = letter_html(rig, cid, ack["id"])
    for part in ("received", "arrangement", "new-issues", "ombudsman"):
        assert 'data-part="%s"' % part in page, part
    assert received.strftime("%B") in page and "Ombudsman" in page
    # the case page shows each decision
    case_page = rig.as_user("carol").get("cases/%d" % cid).text
    assert "Waste services" in case_page and "WS-4411" in case_page


def test_an_item_can_be_decided_after_the_case_ends(shared_rig):
    """Nothing leaves the queue undecided: a case closed by review still
    has its waiting post decided."""
    rig = shared_rig
    cid = active_case(rig, restrictions=[WRITTEN_ONLY])
    item = ok(_record(rig, cid, _item(today(), "One more letter.")), 201)["item"]
    ok(rig.as_user("carol").post("api/cases/%d/review" % cid, {"recommendation": "remove",
                                                               "report": "Contact has settled.",
                                                               "monitoring_officer": "molly"}))
    ok(rig.as_user("chris").post("api/cases/%d/review/decision" % cid, {"outcome": "remove",
                                                                         "reasons": "Settled."}))
    assert case_file(rig, cid)["status"] != "active"
    expect_refusal(rig, lambda: _record(rig, cid, _item(today(), "After the end.")), 409)
    ok(_decide(rig, cid, {"item": item, "decision": "new-issue", "reason": "Answer normally now.",
                          "routed_to": "Customer services"}))
    assert _queue(rig, cid) == []


# ---- flagged once by notify ----

def test_notify_flags_post_waiting_over_the_limit_once(own_rig, tmp_path):
    rig = own_rig
    cid = active_case(rig, restrictions=[WRITTEN_ONLY])
    old = ok(_record(rig, cid, _item(working_days_ago(7), "Waited too long.")), 201)["item"]
    ok(_record(rig, cid, _item(working_days_ago(3), "Not yet too long.")), 201)
    sendmail, log = fake_sendmail(tmp_path)
    args = ["notify", "--sendmail", sendmail, "--ldap-url", rig.httpd.ldap_url,
            "--group", rigmod.group_dn("chief-officers"), "--link", "https://intranet.example.org/h"]
    reminders = []
    for g in ("cem", "monitoring-officer", "chief-executive"):
        reminders += ["--reminder-group", rigmod.group_dn(g)]
    triage = ["--triage-group", rigmod.group_dn("cem")]

    def flags():
        return [(h, b) for h, b in parse_mails(log) if "of post waiting" in h["Subject"]]

    # without a group to tell, it stays pending and the run fails loudly
    res = rig.admin(*args, check=False)
    assert res.returncode == 1 and "post waiting" in res.stderr and "--triage-group" in res.stderr
    assert flags() == []
    rig.admin(*(args + reminders + triage))
    [(headers, body)] = flags()
    assert headers["Subject"] == "Habitual contact: 1 item of post waiting over 5 working days"
    assert headers["To"] == "carol@example.org"                  # the CEM's, not every reminder group
    assert "Case %d, item %d: received %s, waited 7 working days" % (cid, old, iso(working_days_ago(7))) in body
    assert "Waited too long" not in body and "https://intranet.example.org/h/triage" in body   # no content
    assert rig.db.query("SELECT count(*) AS n FROM access_log WHERE action = 'admin.notify' AND case_id = ?",
                        (cid,))[0]["n"] >= 1
    rig.admin(*(args + reminders + triage))
    assert len(flags()) == 1                                     # once
    rig.admin(*(args + reminders + ["--triage-days", "2"]))      # a shorter limit: the other item too
    assert len(flags()) == 2 and "waited 3 working days" in flags()[1][1]
    to = {a.strip() for a in flags()[1][0]["To"].split(",")}      # no --triage-group: the reminder groups
    assert to == {"carol@example.org", "molly@example.org", "mona@example.org", "chris@example.org"}
    bad = rig.admin(*(args + ["--triage-days", "0"]), check=False)
    assert bad.returncode == 2 and "--triage-days" in bad.stderr


# ---- the person's own records, and the end of the file ----

def test_post_is_in_the_subject_access_request_and_purged_with_the_case(own_rig):
    rig = own_rig
    cid = active_case(rig, restrictions=[WRITTEN_ONLY])
    ok(rig.as_user("carol").post("api/cases/%d/adjustments" % cid, {"format": "large-print",
                                                                    "notes": "Needs a ramp at the counter."}))
    item = ok(_record(rig, cid, _item(today(), "Letter about the ramp <b>&</b> the bins.")), 201)["item"]
    ok(_decide(rig, cid, {"item": item, "decision": "new-issue", "reason": "An access question.",
                          "routed_to": "Facilities", "reference": "FAC-9"}))
    ref = case_file(rig, cid)["person"]["reference"]
    doc = json.loads(rig.admin("sar", ref).stdout)
    [case] = doc["cases"]
    [post] = case["post_received"]
    assert post["summary"] == "Letter about the ramp <b>&</b> the bins." and post["routed_to"] == "Facilities"
    assert case["special_category"]["adjustments"][0]["notes"] == "Needs a ramp at the counter."
    html = rig.admin("sar", ref, "--format", "html").stdout
    assert "Letter about the ramp &lt;b&gt;&amp;&lt;/b&gt; the bins." in html and "<b>&</b>" not in html

    ok(rig.as_user("carol").post("api/cases/%d/review" % cid, {"recommendation": "remove",
                                                               "report": "Contact has settled.",
                                                               "monitoring_officer": "molly"}))
    ok(rig.as_user("chris").post("api/cases/%d/review/decision" % cid, {"outcome": "remove",
                                                                         "reasons": "Settled."}))
    res = rig.admin("purge", "--ended-years", "0")
    assert res.returncode == 0, res.stderr
    for table in ("cases", "correspondence", "adjustments"):
        assert rig.db.scalar("SELECT count(*) FROM %s WHERE %s = ?" % (table, "id" if table == "cases"
                                                                        else "case_id"), (cid,)) == 0, table
    assert "ok" in rig.admin("verify-audit").stdout.lower()


# ---- HabitualTriageDays ----

@pytest.mark.parametrize("own_rig", [{"extra_location": "    HabitualTriageDays 2\n"}], indirect=True)
def test_habitual_triage_days_sets_the_limit(own_rig):
    rig = own_rig
    cid = active_case(rig, restrictions=[WRITTEN_ONLY])
    ok(_record(rig, cid, _item(working_days_ago(3), "Three working days ago.")), 201)
    ok(_record(rig, cid, _item(working_days_ago(2), "Two working days ago.")), 201)
    body = ok(rig.as_user("carol").get("api/triage"))
    assert body["limit_working_days"] == 2
    assert [(x["working_days_waited"], x["over_limit"]) for x in body["items"]] == [(3, True), (2, False)]
    assert "1 waiting too long" in rig.as_user("carol").get("").text


@pytest.mark.parametrize("value", ["0", "61", "5days", "-1"])
def test_bad_habitual_triage_days_stops_httpd_at_start(workdir, value):
    httpd = rigmod.Httpd(workdir, 1, extra_location="    HabitualTriageDays %s\n" % value)
    started, out = httpd.start(expect_failure=True)
    assert not started, "httpd started with HabitualTriageDays %s" % value
    assert "HabitualTriageDays: '%s' is not a number of working days from 1 to 60" % value in out, out
