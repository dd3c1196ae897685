"""Issue 15, the people who meet the customer: the officer who holds a notice
records the call they took (and sees no more of the file for it), and
reasonable adjustments for any customer, which every letter honours (large
print, plain text, a third party copied).  Both engines (the suite runs
twice)."""

import datetime

from helpers_procedure import (
    active_case, appeal, case_file, expect_refusal, iso, letter_html, letters, ok, raise_case, review,
    review_decide, today,
)

DAY = datetime.timedelta(days=1)


def _post(rig, cid, path, body, user="carol"):
    return rig.as_user(user).post("api/cases/%d/%s" % (cid, path), body)


def _call(summary):
    return {"at": iso(today()), "channel": "phone", "direction": "inbound", "summary": summary}


# ---- the call-taker logs the call ----

def test_a_notice_holder_records_the_call_and_sees_no_more_of_the_file(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    ok(_post(rig, cid, "grants", {"user": "bob", "reason": "Front desk.", "expires": iso(today() + 30 * DAY)},
             user="olive"), 201)
    for user in ("bob", "olive"):            # a granted officer; a chief officer (every notice in force)
        summary = "Rang the front desk about the repair again (taken by %s)." % user
        out = ok(_post(rig, cid, "contacts", _call(summary), user=user), 201)
        assert set(out) == {"id", "status", "contact_id"} and out["id"] == cid   # nothing more of the file
        assert rig.as_user(user).get("api/cases/%d" % cid).status_code == 404
        assert rig.as_user(user).get("cases/%d" % cid).status_code == 404
    chronology = [(k["recorded_by"], k["summary"]) for k in case_file(rig, cid)["contacts"]]
    assert ("bob", "Rang the front desk about the repair again (taken by bob).") in chronology
    assert ("olive", "Rang the front desk about the repair again (taken by olive).") in chronology
    # the short form, from the notice
    notices_page = rig.as_user("bob").get("notices").text
    assert "cases/%d/contacts" % cid in notices_page and "Record a contact" in notices_page
    form = rig.as_user("bob").get("cases/%d/contacts" % cid)
    assert form.status_code == 200 and "Back to your notices" in form.text
    # without the notice: 404, as for a case that does not exist
    expect_refusal(rig, lambda: _post(rig, cid, "contacts", _call("x"), user="audrey"), 404)
    referred = raise_case(rig)                                            # no restriction in force: no notice
    expect_refusal(rig, lambda: _post(rig, referred, "contacts", _call("x"), user="olive"), 404)


# ---- reasonable adjustments ----

ADJUSTMENTS = {"format": "large-print", "easy_read": True, "named_contact": "Sam Officer, Housing",
               "third_party": {"name": "Kim Carer", "address": "3 Elm Row, Anytown"},
               "notes": "Prefers letters to calls."}


def test_adjustments_are_recorded_by_the_cem_and_refused_to_others(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    expect_refusal(rig, lambda: _post(rig, cid, "adjustments", ADJUSTMENTS, user="chris"), 403)
    expect_refusal(rig, lambda: _post(rig, cid, "adjustments", ADJUSTMENTS, user="bob"), 404)
    expect_refusal(rig, lambda: _post(rig, cid, "adjustments", {"easy_read": True}), 422, "missing-field",
                   field="format")
    expect_refusal(rig, lambda: _post(rig, cid, "adjustments", dict(ADJUSTMENTS, format="braille")), 400)
    assert case_file(rig, cid)["adjustments"] is None
    assert ok(_post(rig, cid, "adjustments", ADJUSTMENTS)) == {"id": cid, "status": "active"}
    adj = case_file(rig, cid)["adjustments"]
    assert (adj["format"], adj["easy_read"], adj["named_contact"], adj["third_party"]["name"], adj["recorded_by"]) \
        == ("large-print", True, "Sam Officer, Housing", "Kim Carer", "carol")
    assert case_file(rig, cid, user="chris")["adjustments"]["format"] == "large-print"
    # special category (R10): a chief officer hearing an appeal sees the file without them
    appeal(rig, cid)
    heard = ok(rig.as_user("olive").get("api/cases/%d" % cid))
    assert "adjustments" not in heard and "Kim Carer" not in rig.as_user("olive").get("cases/%d" % cid).text
    # recorded again later: the latest is in force
    ok(_post(rig, cid, "adjustments", {"format": "plain-text"}))
    adj = case_file(rig, cid)["adjustments"]
    assert adj["format"] == "plain-text" and adj["third_party"] is None


def test_every_letter_honours_the_format_and_copies_the_third_party(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    before = letters(rig, cid)
    ok(_post(rig, cid, "adjustments", ADJUSTMENTS))
    # an issued letter is not changed, but opens in the customer's format
    first = before[-1]["id"]
    page = rig.as_user("carol").get("cases/%d/letters/%d" % (cid, first)).text
    assert "app-letter app-letter--large-print" in page
    plain = rig.as_user("carol").get("cases/%d/letters/%d?format=plain-text" % (cid, first)).text
    assert 'class="app-letter-text"' in plain and "app-letter--large-print" not in plain
    assert "<section" not in plain.split('class="app-letter-text"')[1]      # the text, not the layout
    standard = rig.as_user("carol").get("cases/%d/letters/%d?format=standard" % (cid, first)).text
    assert "app-letter--large-print" not in standard and 'class="app-letter"' in standard
    assert not any("Kim Carer" in x for x in before[-1]["copied_to"])
    # letters issued afterwards copy the person the customer asked for
    review(rig, cid)
    review_decide(rig, cid, "continue", period_months=12)
    later = letters(rig, cid)[-1]
    assert "Kim Carer (at the customer's request)" in later["copied_to"], later["copied_to"]
    assert "Kim Carer" in letter_html(rig, cid, later["id"])
