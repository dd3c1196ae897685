"""Issue 11, the security review: findings 1 (ended cases stay open to
chief officers), 2 (a referral reveals a stored person), 6 (restriction
objects stored unread) and 7 (a decision's start unbounded).  Each test
shows the attack or fault failing safely and, beside it, the allowed path.
The suite runs on SQLite and, with HABITUAL_DB=pgsql, on PostgreSQL."""

import datetime
import re

from helpers_procedure import (
    RESTRICTION_PHONE_FAX, WRITTEN_ONLY, FutureServer, active_case, appeal, approve, approve_as_of,
    approve_body, case_file, concern_body, expect_refusal, iso, notices, ok, raise_case, report,
    record_absence, review, review_decide, today, uid, warn,
)

DAY = datetime.timedelta(days=1)
CHIEF_OFFICERS = ("olive", "oscar", "dana")


def _post(rig, user, path, body):
    return lambda: rig.as_user(user).post(path, body)


def _appeal_sight(rig, cid):
    """What each chief officer not involved gets for the case, API and page."""
    return {u: (rig.as_user(u).get("api/cases/%d" % cid).status_code,
                rig.as_user(u).get("cases/%d" % cid).status_code) for u in CHIEF_OFFICERS}


# ---- finding 1: an appeal cannot keep an ended case open ----

def test_removal_on_review_closes_a_pending_appeal_and_chief_officers_lose_sight(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    appeal(rig, cid)
    # while the case is active, the chief officers who may hear the appeal read the file
    assert _appeal_sight(rig, cid) == {u: (200, 200) for u in CHIEF_OFFICERS}
    review(rig, cid, recommendation="remove")
    out = review_decide(rig, cid, "remove")
    assert out["status"] == "ended"
    # the file is closed to them, as a case that does not exist
    assert _appeal_sight(rig, cid) == {u: (404, 404) for u in CHIEF_OFFICERS}
    expect_refusal(rig, _post(rig, "olive", "api/cases/%d/appeal/decision" % cid,
                              {"outcome": "uphold", "reasons": "r"}), 404)
    # the appeal is closed with the case: recorded, shown and logged
    [a] = case_file(rig, cid)["appeals"]
    assert a["decision"]["outcome"] == "withdrawn-case-ended", a
    assert a["decision"]["decided_by"] == "chris"
    [row] = rig.db.query("SELECT d.outcome, d.decided_by FROM appeal_decisions d "
                         "JOIN appeals a ON a.id = d.appeal_id WHERE a.case_id = ?", (cid,))
    assert (row["outcome"], row["decided_by"]) == ("withdrawn-case-ended", "chris")
    logged = rig.db.query("SELECT action, outcome FROM access_log WHERE case_id = ? "
                          "AND action = 'case.review.decide'", (cid,))
    assert [(l["action"], l["outcome"]) for l in logged] == [("case.review.decide", "allowed")]
    page = rig.as_user("carol").get("cases/%d" % cid).text
    assert "withdrawn" in page.lower()


def test_an_appeal_pending_on_an_active_case_still_opens_it_to_chief_officers(shared_rig):
    """The allowed path: nothing changes while the case is active."""
    rig = shared_rig
    cid = active_case(rig)
    appeal(rig, cid)
    assert _appeal_sight(rig, cid) == {u: (200, 200) for u in CHIEF_OFFICERS}
    assert case_file(rig, cid)["appeals"][0]["decision"] is None


def test_a_lapse_with_an_appeal_pending_closes_it_and_notify_records_it(own_rig):
    rig = own_rig
    start = today() - 40 * DAY                  # one month: lapsed about ten days ago
    cid = raise_case(rig)
    warn(rig, cid)
    report(rig, cid, period_months=1)
    approve_as_of(rig, cid, start)
    with FutureServer(rig, "-%dd" % (today() - start - 5 * DAY).days) as past:
        appeal(past, cid, received=iso(start + 5 * DAY))
        assert _appeal_sight(past, cid) == {u: (200, 200) for u in CHIEF_OFFICERS}
    # today the case has lapsed: no chief officer sees it, the appeal reads as closed
    c = case_file(rig, cid)
    assert (c["status"], c["end_reason"]) == ("ended", "lapsed")
    assert c["appeals"][0]["decision"]["outcome"] == "withdrawn-case-ended"
    assert _appeal_sight(rig, cid) == {u: (404, 404) for u in CHIEF_OFFICERS}
    assert rig.db.scalar("SELECT count(*) FROM appeal_decisions") == 0
    # the daily notify records it, once, and logs it
    sendmail = rig.rig.workdir + "/sendmail"
    with open(sendmail, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null\n")
    import os
    os.chmod(sendmail, 0o755)
    import rig as rigmod
    args = ["notify", "--sendmail", sendmail, "--ldap-url", rig.httpd.ldap_url,
            "--group", rigmod.group_dn("chief-officers")]
    rig.admin(*args)
    rig.admin(*args)
    rows = rig.db.query("SELECT d.outcome, d.decided_by FROM appeal_decisions d "
                        "JOIN appeals a ON a.id = d.appeal_id WHERE a.case_id = ?", (cid,))
    assert [(r["outcome"], r["decided_by"]) for r in rows] == [("withdrawn-case-ended", "habitual-admin")]
    assert rig.db.scalar("SELECT count(*) FROM access_log WHERE action = 'admin.appeal.withdrawn' "
                         "AND case_id = ?", (cid,)) == 1
    assert _appeal_sight(rig, cid) == {u: (404, 404) for u in CHIEF_OFFICERS}
    verified = rig.admin("verify-audit")
    assert verified.stdout.startswith("ok:"), verified.stdout


# ---- finding 2: a referral never reveals a stored person ----

def _normalise(text, ids, refs):
    for i in ids:
        text = re.sub(r"\b%d\b" % i, "ID", text)
    for r in refs:
        text = text.replace(r, "REF")
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIME", text)
    text = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value="T"', text)
    return text


def _referrer_sees(rig, user, cid):
    u = rig.as_user(user)
    listed = [c for c in ok(u.get("api/cases"))["cases"] if c["id"] == cid]
    shown = [n for n in ok(u.get("api/notices"))["notices"] if n["case_id"] == cid]
    return {"case": u.get("api/cases/%d" % cid).text, "list": repr(listed), "notices": repr(shown),
            "page": u.get("cases/%d" % cid).text}


def test_a_known_reference_answers_the_referrer_exactly_as_a_new_one(shared_rig):
    rig = shared_rig
    known_ref, new_ref = "REF-K-" + uid(), "REF-N-" + uid()
    stored = "Stored Name " + uid()
    raise_case(rig, "alice", person={"name": stored, "reference": known_ref,
                                     "address": "1 Held Street", "date_of_birth": "1970-01-01"})
    typed = {"name": "Typed Name", "address": "9 Typed Road"}
    body = concern_body(criteria=["violence"])  # so the referrer also holds a notice

    def refer(ref):
        b = dict(body, person=dict(typed, reference=ref))
        r = rig.as_user("bob").post("api/cases", b)
        assert r.status_code == 201, r.text
        return r

    r_known, r_new = refer(known_ref), refer(new_ref)
    known, new = r_known.json()["id"], r_new.json()["id"]
    assert _normalise(r_known.text, [known], []) == _normalise(r_new.text, [new], [])
    ids, refs = [known, new], [known_ref, new_ref]
    seen_known, seen_new = _referrer_sees(rig, "bob", known), _referrer_sees(rig, "bob", new)
    for k in seen_known:
        assert _normalise(seen_known[k], ids, refs) == _normalise(seen_new[k], ids, refs), k
        assert stored not in seen_known[k] and "1 Held Street" not in seen_known[k]
    # the CEM is shown the match, and may link the case to the stored person
    c = case_file(rig, known)
    assert c["person"]["name"] == "Typed Name"
    [match] = c["person_matches"]
    assert (match["name"], match["reference"], match["cases"]) == (stored, known_ref, 1)
    assert case_file(rig, new)["person_matches"] == []
    ok(rig.as_user("carol").post("api/cases/%d/link" % known, {"person_id": match["person_id"]}))
    c = case_file(rig, known)
    assert (c["person"]["name"], c["person_as_referred"]["name"]) == (stored, "Typed Name")
    assert c["person_link"]["by"] == "carol"
    # ... and still the referrer sees only what they typed, everywhere
    after = _referrer_sees(rig, "bob", known)
    for k in after:
        assert stored not in after[k] and "1 Held Street" not in after[k], k
        assert "Typed Name" in after[k], k
    # the chief officers' notice is about the linked person
    [n] = [n for n in ok(rig.as_user("olive").get("api/notices"))["notices"] if n["case_id"] == known]
    assert n["person"]["name"] == stored
    # unlinking puts it back
    ok(rig.as_user("carol").post("api/cases/%d/unlink" % known, {}))
    c = case_file(rig, known)
    assert c["person"]["name"] == "Typed Name" and c["person_link"] is None


def test_only_the_cem_links_and_the_person_must_exist(shared_rig):
    rig = shared_rig
    cid = raise_case(rig, "bob")
    for user, status in (("bob", 403), ("alice", 404), ("chris", 403), ("olive", 404)):
        expect_refusal(rig, _post(rig, user, "api/cases/%d/link" % cid, {"person_id": 1}), status)
    expect_refusal(rig, _post(rig, "carol", "api/cases/%d/link" % cid, {"person_id": 10 ** 12}),
                   422, "unknown-person")
    expect_refusal(rig, _post(rig, "carol", "api/cases/%d/link" % cid, {"person_id": "1"}),
                   400, field="person_id")
    expect_refusal(rig, _post(rig, "carol", "api/cases/%d/unlink" % cid, {"person_id": 1}),
                   400, "unknown-field")


# ---- finding 6: every restriction list is read before it is stored ----

HOSTILE = [{"type": "written-only", "body": "<script>alert(1)</script>"}]


def test_review_and_appeal_decisions_refuse_restrictions_they_do_not_take(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    review(rig, cid, recommendation="remove")
    for outcome in ("continue", "remove"):
        expect_refusal(rig, _post(rig, "chris", "api/cases/%d/review/decision" % cid,
                                  {"outcome": outcome, "reasons": "r", "restrictions": [WRITTEN_ONLY]}),
                       400, "unknown-field", field="restrictions")
    expect_refusal(rig, _post(rig, "chris", "api/cases/%d/review/decision" % cid,
                              {"outcome": "vary", "justified": True, "proportionate": True, "reasons": "r", "restrictions": HOSTILE}),
                   400, "unknown-field")
    other = active_case(rig)
    appeal(rig, other)
    for outcome in ("uphold", "quash"):
        expect_refusal(rig, _post(rig, "olive", "api/cases/%d/appeal/decision" % other,
                                  {"outcome": outcome, "reasons": "r", "restrictions": [WRITTEN_ONLY]}),
                       400, "unknown-field", field="restrictions")
    expect_refusal(rig, _post(rig, "olive", "api/cases/%d/appeal/decision" % other,
                              {"outcome": "vary", "justified": True, "proportionate": True, "reasons": "r", "restrictions": [{"type": "gag"}]}),
                   400, "invalid-field")
    assert "<script" not in repr(rig.db.query("SELECT * FROM review_decisions"))
    # the allowed paths
    out = review_decide(rig, cid, "remove")
    assert out["status"] == "ended"
    out = ok(rig.as_user("olive").post("api/cases/%d/appeal/decision" % other,
                                        {"outcome": "vary", "justified": True, "proportionate": True, "reasons": "r", "restrictions": [WRITTEN_ONLY]}))
    assert out["status"] == "active"
    assert case_file(rig, other)["restrictions"] == [WRITTEN_ONLY]


# ---- finding 7: a decision starts today or within 30 days ----

def test_a_decision_start_far_ahead_or_in_the_past_is_refused(shared_rig):
    rig = shared_rig
    cid = raise_case(rig)
    warn(rig, cid)
    report(rig, cid)
    for start in ("2999-01-01", iso(today() + 31 * DAY), iso(today() - DAY), "2000-01-01"):
        expect_refusal(rig, _post(rig, "chris", "api/cases/%d/decision" % cid, approve_body(start=start)),
                       422, "invalid-start", field="start")
    out = approve(rig, cid, start=iso(today()))
    assert out["status"] == "active"


def test_restrictions_are_in_force_from_a_later_start_not_before(shared_rig):
    rig = shared_rig
    start = today() + 30 * DAY
    cid = raise_case(rig)
    warn(rig, cid)
    report(rig, cid, restrictions=[dict(RESTRICTION_PHONE_FAX)])
    approve(rig, cid, start=iso(start))
    c = case_file(rig, cid)
    assert c["status"] == "active" and c["restrictions"] == []
    assert c["restrictions_scheduled"] == [dict(RESTRICTION_PHONE_FAX, **{"from": iso(start)})]
    assert c["period"]["start"] == iso(start)
    assert notices(rig, cid) == []              # nothing to tell staff yet
    with FutureServer(rig, "+30d") as fut:
        [n] = notices(fut, cid)
        assert n["restrictions"] == [RESTRICTION_PHONE_FAX]
        assert (n["from"], n["interim"]) == (iso(start), False)
        assert case_file(fut, cid)["restrictions"] == [RESTRICTION_PHONE_FAX]


def test_interim_written_only_stays_until_the_decided_restrictions_start(shared_rig):
    rig = shared_rig
    start = today() + 10 * DAY
    cid = raise_case(rig, criteria=["violence"])
    warn(rig, cid)
    report(rig, cid, restrictions=[WRITTEN_ONLY, {"type": "building-ban", "buildings": ["Town Hall"]}],
           police_reference="PR-1", asb_unit_consulted=True)
    approve(rig, cid, start=iso(start))
    [n] = notices(rig, cid)
    assert n["interim"] is True and n["until"] is None
    assert n["restrictions"] == [dict(WRITTEN_ONLY, interim=True)]
    with FutureServer(rig, "+10d") as fut:
        [n] = notices(fut, cid)
        assert n["interim"] is False and n["from"] == iso(start)
        assert [r["type"] for r in n["restrictions"]] == ["written-only", "building-ban"]
        assert not any(r.get("interim") for r in n["restrictions"])


def test_the_cem_links_and_unlinks_from_the_case_page_without_javascript(shared_rig):
    rig = shared_rig
    ref = "REF-P-" + uid()
    raise_case(rig, "alice", person={"name": "Held Person", "reference": ref})
    cid = raise_case(rig, "bob", person={"name": "Typed Person", "reference": ref})
    carol = rig.as_user("carol")
    page = carol.get("cases/%d" % cid).text
    assert "Person records already held with this reference" in page and "Held Person" in page
    pid = case_file(rig, cid)["person_matches"][0]["person_id"]
    assert 'name="person_id" value="%d"' % pid in page
    # the referrer's page never shows it
    assert "Held Person" not in rig.as_user("bob").get("cases/%d" % cid).text
    r = carol.send("POST", "cases/%d/link" % cid, data={"csrf_token": carol.token(), "person_id": str(pid)},
                   token=False, allow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    assert case_file(rig, cid)["person"]["name"] == "Held Person"
    page = carol.get("cases/%d" % cid).text
    assert "As the referrer gave them: Typed Person" in page
    r = carol.send("POST", "cases/%d/unlink" % cid, data={"csrf_token": carol.token()}, token=False,
                   allow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    assert case_file(rig, cid)["person"]["name"] == "Typed Person"


# ---- finding 3, the review's side: the monitoring officer named is a directory id ----

def test_a_monitoring_officer_named_in_another_case_still_cannot_decide_the_review(own_rig):
    rig = own_rig
    cid = active_case(rig)
    expect_refusal(rig, _post(rig, "carol", "api/cases/%d/review" % cid,
                              {"recommendation": "continue", "report": "r", "monitoring_officer": "nobody-here"}),
                   422, "unknown-user", field="monitoring_officer")
    review(rig, cid, monitoring_officer="MOLLY")
    assert case_file(rig, cid)["reviews"][0]["monitoring_officer"] == "molly"
    record_absence(rig, "chris")
    # molly deputises, but she joined the review: R5
    expect_refusal(rig, _post(rig, "molly", "api/cases/%d/review/decision" % cid,
                              {"outcome": "continue", "justified": True, "proportionate": True, "reasons": "r"}), 422, "conflict-of-interest")
    # the allowed path: the chief executive, not involved, decides
    assert review_decide(rig, cid, "continue")["status"] == "active"
