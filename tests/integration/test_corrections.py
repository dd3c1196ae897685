"""Issue 14, records that stay true: corrections with history (the person's
details; a contact, an incident or a criterion withdrawn as entered in
error) and copies added later.  The originals stay in the file; issued
letters never change; letters issued afterwards use what the file now says.
Each refusal beside its allowed path; both engines (the suite runs twice)."""

import datetime

from conftest import Db
from helpers_procedure import (
    active_case, add_contact, case_file, close, expect_refusal, letter_html, letters, notifications, ok,
    raise_case, report, review, review_decide, today, warn,
)

DAY = datetime.timedelta(days=1)


def _post(rig, cid, path, body, user="carol"):
    return rig.as_user(user).post("api/cases/%d/%s" % (cid, path), body)


def _count(rig, table):
    return rig.db.scalar("SELECT count(*) FROM %s" % table)


def _last_action(rig, cid):
    return rig.db.query("SELECT action, case_id, \"user\" FROM access_log WHERE case_id = ? "
                        "ORDER BY seq DESC LIMIT 1", (cid,))[0]


# ---- the person's details ----

def test_a_corrected_name_is_in_the_next_letter_not_the_earlier_and_the_original_stays(shared_rig):
    rig = shared_rig
    cid = active_case(rig)                                   # the decision letter names the person as raised
    typed = case_file(rig, cid)["person"]["name"]
    issued = letters(rig, cid)                               # the warning and the decision
    out = ok(_post(rig, cid, "person", {"field": "name", "value": "Patricia Corrected-Person",
                                        "reason": "The customer's letter of 2 May gives her name."}))
    assert out == {"id": cid, "status": "active"}
    assert _last_action(rig, cid) == {"action": "case.person.correct", "case_id": cid, "user": "carol"}
    c = case_file(rig, cid)
    assert c["person"]["name"] == "Patricia Corrected-Person"
    [x] = c["corrections"]
    assert (x["target"], x["item"], x["old_value"], x["new_value"], x["by"]) == \
        ("person", "name", typed, "Patricia Corrected-Person", "carol")
    assert x["reason"] == "The customer's letter of 2 May gives her name."
    # the referrer still sees what they typed
    assert ok(rig.as_user("alice").get("api/cases/%d" % cid))["person"]["name"] == typed
    # the page: the old value struck through beside the new, with the reason
    page = rig.as_user("carol").get("cases/%d" % cid).text
    assert "<del>%s</del>" % typed in page and "The customer&#39;s letter of 2 May" in page
    # the issued letters never change; the next one uses the corrected name
    for old in issued:
        assert typed in letter_html(rig, cid, old["id"])
        assert "Patricia Corrected-Person" not in letter_html(rig, cid, old["id"])
    review(rig, cid)
    review_decide(rig, cid, "continue", period_months=12)
    later = letters(rig, cid)[len(issued):]
    assert later and all("Patricia Corrected-Person" in letter_html(rig, cid, l["id"]) for l in later)


def test_person_corrections_that_are_refused_change_nothing(shared_rig):
    rig = shared_rig
    cid = raise_case(rig)
    name = case_file(rig, cid)["person"]["name"]
    before = _count(rig, "corrections")
    expect_refusal(rig, lambda: _post(rig, cid, "person", {"field": "name", "value": name, "reason": "r"}),
                   422, "nothing-to-correct", field="value")
    expect_refusal(rig, lambda: _post(rig, cid, "person", {"field": "date_of_birth", "value": "1971-02-30",
                                                          "reason": "r"}), 400, "invalid-field", field="value")
    expect_refusal(rig, lambda: _post(rig, cid, "person", {"field": "reference", "value": "X", "reason": "r"}),
                   400)
    expect_refusal(rig, lambda: _post(rig, cid, "person", {"field": "name", "value": "New Name"}),
                   422, "missing-field", field="reason")
    # only the CEM corrects: the chief executive sees the file but may not
    expect_refusal(rig, lambda: _post(rig, cid, "person", {"field": "name", "value": "X Y", "reason": "r"},
                                      user="chris"), 403)
    # a staff member who cannot see the case learns nothing
    expect_refusal(rig, lambda: _post(rig, cid, "person", {"field": "name", "value": "X Y", "reason": "r"},
                                      user="bob"), 404)
    assert _count(rig, "corrections") == before and case_file(rig, cid)["person"]["name"] == name
    # the allowed path: a date of birth
    ok(_post(rig, cid, "person", {"field": "date_of_birth", "value": "1971-03-27", "reason": "Passport seen."}))
    assert case_file(rig, cid)["person"]["date_of_birth"] == "1971-03-27"


# ---- entries withdrawn as entered in error ----

def test_a_withdrawn_violence_incident_no_longer_forces_written_only_and_lifts_the_interim(shared_rig):
    rig = shared_rig
    cid = raise_case(rig)
    add_contact(rig, cid, incidents=["violence"], summary="Said to have raised a fist.")
    contact_id = case_file(rig, cid)["contacts"][-1]["id"]
    c = case_file(rig, cid)
    assert [r["type"] for r in c["restrictions"]] == ["written-only"]          # R8's interim restriction
    warn(rig, cid)
    # R8 refuses a report that is not written-only while violence is recorded
    add_contact(rig, cid, summary="Called again after the warning.")
    expect_refusal(rig, lambda: _post(rig, cid, "report", {
        "behaviour": "b", "restrictions": [{"type": "decline-channels", "channels": ["phone"]}],
        "period_months": 6, "alternatives_considered": "a"}), 422, "violence-requires-written-only")
    n_letters = len(letters(rig, cid))
    out = ok(_post(rig, cid, "corrections", {"target": "incident", "id": contact_id, "incident": "violence",
                                             "reason": "CCTV shows no threat was made."}))
    assert out["id"] == cid
    c = case_file(rig, cid)
    k = [x for x in c["contacts"] if x["id"] == contact_id][0]
    assert (k["incidents"], k["incidents_withdrawn"]) == ([], ["violence"])
    assert c["restrictions"] == []                                             # the interim had no basis left
    assert sorted(x["event"] for x in notifications(rig, cid)) == ["interim-imposed", "interim-lifted"]
    new_letters = letters(rig, cid)[n_letters:]
    assert len(new_letters) == 1
    assert "CCTV" not in letter_html(rig, cid, new_letters[0]["id"])           # the CEM's reason is not the letter's
    # the allowed path now: phone declined only
    report(rig, cid, restrictions=[{"type": "decline-channels", "channels": ["phone"]}], since_warning=False)
    # withdrawing it again: no such entry in force
    expect_refusal(rig, lambda: _post(rig, cid, "corrections", {"target": "incident", "id": contact_id,
                                                                "incident": "violence", "reason": "r"}),
                   422, "unknown-entry")


def test_withdrawing_a_contact_a_criterion_and_the_refusals(shared_rig):
    rig = shared_rig
    cid = raise_case(rig, criteria=["excessive-contact", "resurrects-issues"])
    add_contact(rig, cid, summary="Called twelve times.")
    [k] = case_file(rig, cid)["contacts"]
    before = _count(rig, "corrections")
    for body, status, code in [
        ({"target": "contact", "reason": "r"}, 422, "missing-field"),
        ({"target": "contact", "id": 987654321, "reason": "r"}, 422, "unknown-entry"),
        ({"target": "incident", "id": k["id"], "reason": "r"}, 422, "missing-field"),
        ({"target": "criterion", "criterion": "violence", "reason": "r"}, 422, "unknown-entry"),
        ({"target": "letter", "id": 1, "reason": "r"}, 400, None),
        ({"target": "contact", "id": k["id"]}, 422, "missing-field"),
    ]:
        expect_refusal(rig, lambda body=body: _post(rig, cid, "corrections", body), status, code)
    assert _count(rig, "corrections") == before
    ok(_post(rig, cid, "corrections", {"target": "contact", "id": k["id"], "reason": "Another customer's call."}))
    [k2] = case_file(rig, cid)["contacts"]
    assert k2["withdrawn_at"] and k2["summary"] == "Called twelve times."    # still in the file
    page = rig.as_user("carol").get("cases/%d" % cid).text
    assert "<del>" in page and "Withdrawn as entered in error" in page and "Another customer&#39;s call." in page
    ok(_post(rig, cid, "corrections", {"target": "criterion", "criterion": "resurrects-issues",
                                       "reason": "Raised in error."}))
    assert case_file(rig, cid)["criteria"] == ["excessive-contact"]
    # a case rests on at least one criterion: close it instead
    expect_refusal(rig, lambda: _post(rig, cid, "corrections", {"target": "criterion",
                                                                "criterion": "excessive-contact", "reason": "r"}),
                   422, "last-criterion")
    assert [x["target"] for x in case_file(rig, cid)["corrections"]] == ["contact", "criterion"]


def test_a_withdrawn_violence_criterion_shortens_retention(own_rig):
    rig = own_rig
    cid = raise_case(rig, criteria=["violence", "excessive-contact"])
    close(rig, cid)
    two_years_ago = (today() - 730 * DAY).isoformat() + "T09:00:00Z"
    assert Db(rig.rig.db).write("UPDATE cases SET closed_at = ? WHERE id = ?", (two_years_ago, cid)) == 1
    dry = rig.admin("purge", "--dry-run").stdout
    assert "would purge case %d:" % cid not in dry                        # violence: kept 5 years
    ok(_post(rig, cid, "corrections", {"target": "criterion", "criterion": "violence",
                                       "reason": "Ticked by mistake: no violence was reported."}))
    dry = rig.admin("purge", "--dry-run").stdout
    assert "would purge case %d: closed without action" % cid in dry      # recomputed: 1 year


# ---- copies added later ----

def test_a_copy_added_after_the_decision_is_on_the_review_letter_and_a_removed_one_is_not(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    decision = letters(rig, cid)[-1]
    ok(_post(rig, cid, "copies", {"action": "add", "name": "Jo Member MP", "role": "MP",
                                  "address": "House of Commons, London SW1A 0AA"}))
    ok(_post(rig, cid, "copies", {"action": "add", "name": "Sam Advocate", "role": "Advocate"}))
    c = case_file(rig, cid)
    assert [(x["name"], x["role"], x["added_by"]) for x in c["copy_to"]] == \
        [("Jo Member MP", "MP", "carol"), ("Sam Advocate", "Advocate", "carol")]
    sam = c["copy_to"][1]["id"]
    expect_refusal(rig, lambda: _post(rig, cid, "copies", {"action": "remove", "id": sam}), 422, "missing-field")
    expect_refusal(rig, lambda: _post(rig, cid, "copies", {"action": "add", "role": "MP"}), 422, "missing-field")
    expect_refusal(rig, lambda: _post(rig, cid, "copies", {"action": "add", "name": "X", "role": "MP"},
                                      user="olive"), 403)                  # a notice holder: not the CEM
    expect_refusal(rig, lambda: _post(rig, cid, "copies", {"action": "add", "name": "X", "role": "MP"},
                                      user="bob"), 404)
    ok(_post(rig, cid, "copies", {"action": "remove", "id": sam, "reason": "The customer withdrew consent."}))
    expect_refusal(rig, lambda: _post(rig, cid, "copies", {"action": "remove", "id": sam, "reason": "again"}),
                   422, "unknown-entry")
    c = case_file(rig, cid)
    assert [x["name"] for x in c["copy_to"]] == ["Jo Member MP"]
    assert [(x["name"], x["removed"]["by"]) for x in c["copies_removed"]] == [("Sam Advocate", "carol")]
    assert [x for x in letters(rig, cid) if x["id"] == decision["id"]][0]["copied_to"] == decision["copied_to"]
    review(rig, cid)
    review_decide(rig, cid, "continue", period_months=12)
    later = letters(rig, cid)[-1]
    assert any("Jo Member MP" in x for x in later["copied_to"]), later["copied_to"]
    assert not any("Sam Advocate" in x for x in later["copied_to"]), later["copied_to"]
    assert "Jo Member MP" in letter_html(rig, cid, later["id"])
    page = rig.as_user("carol").get("cases/%d" % cid).text
    assert "<del>Sam Advocate (Advocate)</del>" in page


def test_corrections_are_logged_and_open_in_any_state(shared_rig):
    rig = shared_rig
    cid = raise_case(rig)
    close(rig, cid)
    seq = rig.db.scalar("SELECT max(seq) FROM access_log")
    ok(_post(rig, cid, "person", {"field": "address", "value": "2 Low Road, Anytown", "reason": "Moved."}))
    ok(_post(rig, cid, "copies", {"action": "add", "name": "Cllr Lee", "role": "Councillor"}))
    actions = [e["action"] for e in rig.db.query("SELECT action FROM access_log WHERE seq > ? AND case_id = ? "
                                                 "ORDER BY seq", (seq, cid))]
    assert actions == ["case.person.correct", "case.copies"]
    assert case_file(rig, cid)["person"]["address"] == "2 Low Road, Anytown"
