"""Issue 11, findings 3 and 9.

Finding 3: a user's id is the directory's own value of HabitualLDAPURL's
attribute, whatever case single sign-on sent the name in ("Chris" is chris:
the same roles, the same conflicts under R5, the same name in the access log
and api/me); a grant's user is looked up the same way and stored canonical,
and a name the directory does not know (or that looks like a wildcard) is 422
unknown-user.

Finding 9: a grant is revoked by its id (DELETE api/cases/{id}/grants/{grant_id},
and the page's Withdraw form), so a user id holding a '/' can be revoked too;
the old path still works for a plain user id; a grant's expiry is bounded by
the case's period (or 12 months for a case not yet decided)."""

import datetime
import html as htmllib
import re

import pytest

import rig
from helpers_procedure import (active_case, add_months, approve_body, expect_refusal, iso, ok,
                               period_end, raise_case, report, today, warn)


def grant(fx, cid, user, expires=None, by="carol"):
    return fx.as_user(by).post("api/cases/%d/grants" % cid,
                               {"user": user, "reason": "Works on the front desk.",
                                "expires": iso(expires or today() + datetime.timedelta(days=20))})


def notice_ids(fx, user):
    return [n["case_id"] for n in ok(fx.as_user(user).get("api/notices"))["notices"]]


# ---- finding 3: one user, however the name is spelt ----

@pytest.mark.parametrize("sent", ["Chris", "CHRIS"])
def test_a_name_in_another_case_is_the_directorys_user(shared_rig, sent):
    fx = shared_rig
    me = ok(fx.as_user(sent).get("api/me"))
    canon = ok(fx.as_user("chris").get("api/me"))
    assert me["user"] == "chris", me
    assert me["roles"] == canon["roles"] == ["staff", "chief-executive"], (me, canon)


def test_r5_holds_whatever_case_the_referrer_signs_in_with(shared_rig):
    fx = shared_rig
    # raised as "chris", decided as "Chris": his own referral
    cid = raise_case(fx, "chris")
    warn(fx, cid)
    report(fx, cid)
    expect_refusal(fx, lambda: fx.as_user("Chris").post("api/cases/%d/decision" % cid, approve_body()),
                   422, "conflict-of-interest")
    # raised as "CHRIS": stored as chris, and chris may not decide it either
    cid2 = raise_case(fx, "CHRIS")
    assert fx.db.scalar("SELECT referred_by FROM cases WHERE id = ?", (cid2,)) == "chris"
    warn(fx, cid2)
    report(fx, cid2)
    expect_refusal(fx, lambda: fx.as_user("chris").post("api/cases/%d/decision" % cid2, approve_body()),
                   422, "conflict-of-interest")


def test_access_log_and_records_carry_the_directorys_id(shared_rig):
    fx = shared_rig
    r = fx.as_user("Chris").get("api/cases")
    assert r.status_code == 200, r.text
    row = fx.db.query("SELECT \"user\" FROM access_log WHERE request_id = ?", (r.headers["X-Request-Id"],))
    assert [x["user"] for x in row] == ["chris"], row
    # "Bob" raises a case and "CHRIS" decides it: recorded as bob and chris
    cid = raise_case(fx, "Bob")
    assert fx.db.scalar("SELECT referred_by FROM cases WHERE id = ?", (cid,)) == "bob"
    # bob sees his referral whichever way he signs in
    assert fx.as_user("bob").get("api/cases/%d" % cid).status_code == 200
    warn(fx, cid)
    report(fx, cid)
    out = ok(fx.as_user("CHRIS").post("api/cases/%d/decision" % cid, approve_body()))
    assert out["status"] == "active"
    decided = ok(fx.as_user("carol").get("api/cases/%d" % cid))["decision"]["decided_by"]
    assert decided == "chris", decided


def test_a_grant_is_stored_under_the_directorys_id(shared_rig):
    fx = shared_rig
    cid = active_case(fx, referrer="alice")
    out = ok(grant(fx, cid, "BOB"), 201)
    assert out["user"] == "bob" and isinstance(out["grant_id"], int), out
    rows = fx.db.query("SELECT grantee FROM grants WHERE id = ?", (out["grant_id"],))
    assert [g["grantee"] for g in rows] == ["bob"]
    assert cid in notice_ids(fx, "bob")
    assert cid in notice_ids(fx, "Bob")


def test_a_grant_to_chris_in_capitals_lets_him_see_the_notice(shared_rig):
    fx = shared_rig
    cid = active_case(fx, referrer="alice")
    out = ok(grant(fx, cid, "CHRIS"), 201)
    assert out["user"] == "chris", out
    assert fx.db.scalar("SELECT grantee FROM grants WHERE id = ?", (out["grant_id"],)) == "chris"
    assert cid in notice_ids(fx, "chris")


@pytest.mark.parametrize("name", ["nobody-here", "a*", "*", "bo(", "bo)", "bob\\", "*)(uid=*", "%", "_"])
def test_a_grant_to_a_name_not_in_the_directory_is_refused(shared_rig, name):
    fx = shared_rig
    cid = active_case(fx, referrer="alice")
    expect_refusal(fx, lambda: grant(fx, cid, name), 422, "unknown-user", field="user")
    assert fx.db.scalar("SELECT count(*) FROM grants WHERE case_id = ?", (cid,)) == 0


def test_a_grant_while_the_directory_is_down_is_503(own_rig):
    fx = own_rig
    cid = active_case(fx, referrer="alice")
    carol = fx.as_user("carol")
    carol.token()
    fx.slapd.stop()
    try:
        r = grant(fx, cid, "bob")
        assert r.status_code == 503, r.text
        assert r.headers.get("Retry-After")
        assert fx.db.scalar("SELECT count(*) FROM grants WHERE case_id = ?", (cid,)) == 0
    finally:
        fx.slapd.start()


# ---- finding 9: revoke by grant id; bounded expiry ----

def test_revoke_by_grant_id(shared_rig):
    fx = shared_rig
    cid = active_case(fx, referrer="alice")
    gid = ok(grant(fx, cid, "bob"), 201)["grant_id"]
    listed = ok(fx.as_user("carol").get("api/cases/%d" % cid))["grants"]
    assert [(g["id"], g["user"], g["active"]) for g in listed] == [(gid, "bob", True)], listed
    assert cid in notice_ids(fx, "bob")
    r = fx.as_user("carol").delete("api/cases/%d/grants/%d" % (cid, gid))
    assert r.status_code == 204, r.text
    assert cid not in notice_ids(fx, "bob")
    assert fx.as_user("bob").get("api/cases/%d" % cid).status_code == 404
    assert fx.as_user("carol").delete("api/cases/%d/grants/%d" % (cid, gid)).status_code == 404
    # another case's grant id is no grant of this case
    other = active_case(fx, referrer="alice")
    gid2 = ok(grant(fx, other, "bob"), 201)["grant_id"]
    assert fx.as_user("carol").delete("api/cases/%d/grants/%d" % (cid, gid2)).status_code == 404
    assert other in notice_ids(fx, "bob")


def test_revoke_by_user_id_still_works(shared_rig):
    fx = shared_rig
    cid = active_case(fx, referrer="alice")
    ok(grant(fx, cid, "bob"), 201)
    assert fx.as_user("carol").delete("api/cases/%d/grants/bob" % cid).status_code == 204
    assert cid not in notice_ids(fx, "bob")


def test_a_user_id_with_a_slash_is_granted_and_revoked_by_grant_id(own_rig):
    fx = own_rig
    fx.slapd.modify("dn: %s\nchangetype: add\nobjectClass: inetOrgPerson\nuid: ann/hr\ncn: Ann HR\nsn: HR\n"
                    % rig.user_dn("ann/hr"))
    cid = active_case(fx, referrer="alice")
    out = ok(grant(fx, cid, "Ann/HR"), 201)
    assert out["user"] == "ann/hr", out
    # the page's Withdraw form addresses the grant by its id
    page = fx.as_user("carol").get("cases/%d/grants" % cid).text
    actions = [htmllib.unescape(a) for a in re.findall(r'<form method="post" action="([^"]*/revoke)"', page)]
    assert len(actions) == 1 and actions[0].endswith("/grants/%d/revoke" % out["grant_id"]), actions
    carol = fx.as_user("carol")
    r = carol.session.post("http://127.0.0.1:%d%s" % (fx.httpd.port, actions[0]),
                           data={"csrf_token": carol.token()}, allow_redirects=False, timeout=30)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    assert ok(carol.get("api/cases/%d" % cid))["grants"][0]["active"] is False


def test_expiry_is_bounded_by_the_period(shared_rig):
    fx = shared_rig
    cid = active_case(fx, referrer="alice", period_months=2)
    end = period_end(today(), 2)
    err = expect_refusal(fx, lambda: grant(fx, cid, "bob", end + datetime.timedelta(days=1)),
                         422, "invalid-expiry", field="expires")
    assert iso(end) in err["message"], err
    assert ok(grant(fx, cid, "bob", end), 201)["expires"] == iso(end)


def test_expiry_on_a_case_not_yet_decided_is_at_most_12_months(shared_rig):
    fx = shared_rig
    cid = raise_case(fx, "alice")
    limit = add_months(today(), 12)
    expect_refusal(fx, lambda: grant(fx, cid, "bob", limit + datetime.timedelta(days=1)),
                   422, "invalid-expiry", field="expires")
    assert ok(grant(fx, cid, "bob", limit), 201)["expires"] == iso(limit)
    expect_refusal(fx, lambda: grant(fx, cid, "bob", today() - datetime.timedelta(days=1)),
                   400, "invalid-field", field="expires")
