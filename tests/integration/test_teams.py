"""Issue 15 items 1-2: notices passed to a whole team, and nested groups.

A team is a directory group named with `HabitualTeam NAME DN`; a grant
`{"group": NAME}` lets every member see the notice, asked of the directory
at each request (within the LDAP and role caches' lifetime: 1 s each on the
rig).  `HabitualGroupNestingDepth N` lets groups within role and team groups
count, through util_ldap's cached sub-group comparison; a loop neither hangs
nor grants.  The directory here: contact-centre holds alice and the group
cc-team-a; cc-team-a holds bob and the group cc-deep; cc-deep holds ghost
(given an entry here).  Both engines."""

import time

import pytest

import rig as rigmod
from helpers_procedure import active_case, expect_refusal, iso, ok, today

TEAM_LINES = ("    HabitualTeam contact-centre \"%s\"\n    HabitualTeam looped \"%s\"\n"
              % (rigmod.group_dn("contact-centre"), rigmod.group_dn("loop-a")))


def _group(cn, *members):
    return "dn: %s\nchangetype: add\nobjectClass: groupOfNames\ncn: %s\n%s\n" % (
        rigmod.group_dn(cn), cn, "".join("member: %s\n" % m for m in members))


def build_directory(slapd):
    slapd.modify("dn: %s\nchangetype: add\nobjectClass: inetOrgPerson\nuid: ghost\ncn: Gail Host\nsn: Host\n"
                 % rigmod.user_dn("ghost"))
    slapd.modify(_group("cc-deep", rigmod.user_dn("ghost")))
    slapd.modify(_group("cc-team-a", rigmod.user_dn("bob"), rigmod.group_dn("cc-deep")))
    slapd.modify(_group("contact-centre", rigmod.user_dn("alice"), rigmod.group_dn("cc-team-a")))
    # a loop: loop-a holds loop-b, which holds loop-a
    slapd.modify(_group("loop-a", rigmod.group_dn("cc-nobody-yet")))
    slapd.modify(_group("loop-b", rigmod.group_dn("loop-a")))
    slapd.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n"
                 % (rigmod.group_dn("loop-a"), rigmod.group_dn("loop-b")))
    time.sleep(1.2)   # past the rig's LDAP and role caches (1 s)


def grant_team(rig, cid, team="contact-centre"):
    return rig.as_user("carol").post("api/cases/%d/grants" % cid, {
        "group": team, "reason": "The contact centre takes this customer's calls.",
        "expires": iso(today() + __import__("datetime").timedelta(days=30))})


def sees_notice(rig, user, cid):
    r = rig.as_user(user).get("api/notices")
    assert r.status_code == 200, (user, r.status_code, r.text)
    return cid in [n["case_id"] for n in r.json()["notices"]]


def until(check, seconds=6.0):
    """check() true within seconds (the caches' lifetime), polled."""
    end = time.time() + seconds
    while time.time() < end:
        if check():
            return True
        time.sleep(0.25)
    return check()


NESTED = {"extra_location": TEAM_LINES + "    HabitualGroupNestingDepth 2\n"}
DIRECT = {"extra_location": TEAM_LINES}


@pytest.mark.parametrize("own_rig", [NESTED], indirect=True)
def test_a_team_grant_reaches_nested_members_and_ends_with_membership(own_rig):
    rig = own_rig
    build_directory(rig.rig.slapd)
    cid = active_case(rig, referrer="oscar")   # alice, a member, is not the referrer
    out = ok(grant_team(rig, cid), 201)
    assert out["group"] == "contact-centre" and "user" not in out
    [g] = [g for g in rig.as_user("carol").get("api/cases/%d" % cid).json()["grants"] if g["id"] == out["grant_id"]]
    assert g["team"] == "contact-centre" and g["user"] is None
    for user in ("alice", "bob", "ghost"):                 # direct, depth 1, depth 2
        assert sees_notice(rig, user, cid), user
        assert rig.as_user(user).get("api/cases/%d" % cid).status_code in (200, 404)
    assert not sees_notice(rig, "audrey", cid)            # not in the team
    # a member records the call they took; the access log names the team grant
    body = {"at": iso(today()), "channel": "phone", "direction": "inbound", "summary": "Rang the contact centre."}
    ok(rig.as_user("ghost").post("api/cases/%d/contacts" % cid, body), 201)
    [entry] = rig.db.query('SELECT "user", acting_as FROM access_log WHERE action = \'case.contact\' AND case_id = ? '
                           'ORDER BY seq DESC LIMIT 1', (cid,))
    assert entry == {"user": "ghost", "acting_as": "team-grant:%d:contact-centre" % out["grant_id"]}
    [listed] = rig.db.query('SELECT acting_as FROM access_log WHERE action = \'notices.list\' AND "user" = \'bob\' '
                            'ORDER BY seq DESC LIMIT 1')
    assert listed["acting_as"] == "team-grant:%d:contact-centre" % out["grant_id"]
    # read again, from the answer bob's server process kept: its entry names the grant too
    assert sees_notice(rig, "bob", cid)
    [again] = rig.db.query('SELECT seq, acting_as FROM access_log WHERE action = \'notices.list\' '
                           'AND "user" = \'bob\' ORDER BY seq DESC LIMIT 1')
    assert again["acting_as"] == listed["acting_as"]
    # bob leaves cc-team-a: he loses the notice within the caches' lifetime; the others keep it
    rig.rig.slapd.modify("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n"
                         % (rigmod.group_dn("cc-team-a"), rigmod.user_dn("bob")))
    assert until(lambda: not sees_notice(rig, "bob", cid)), "bob still sees the notice"
    assert sees_notice(rig, "ghost", cid) and sees_notice(rig, "alice", cid)
    # the grant withdrawn: nobody in the team sees it
    assert rig.as_user("carol").delete("api/cases/%d/grants/%d" % (cid, out["grant_id"])).status_code == 204
    assert not sees_notice(rig, "alice", cid) and not sees_notice(rig, "ghost", cid)


@pytest.mark.parametrize("own_rig", [NESTED], indirect=True)
def test_a_loop_in_the_groups_neither_hangs_nor_grants_and_role_groups_nest(own_rig):
    rig = own_rig
    build_directory(rig.rig.slapd)
    cid = active_case(rig, referrer="oscar")   # alice, a member, is not the referrer
    ok(grant_team(rig, cid, "looped"), 201)
    started = time.time()
    assert not sees_notice(rig, "audrey", cid) and not sees_notice(rig, "alice", cid)
    assert time.time() - started < 10
    # a role group holding a group: its members hold the role (depth 2)
    assert "cem" not in rig.as_user("ghost").get("api/me").json()["roles"]
    rig.rig.slapd.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n"
                         % (rigmod.group_dn("cem"), rigmod.group_dn("cc-deep")))
    assert until(lambda: "cem" in rig.as_user("ghost").get("api/me").json()["roles"])


@pytest.mark.parametrize("own_rig", [DIRECT], indirect=True)
def test_depth_0_counts_direct_members_only(own_rig):
    rig = own_rig
    build_directory(rig.rig.slapd)
    cid = active_case(rig, referrer="oscar")   # alice, a member, is not the referrer
    ok(grant_team(rig, cid), 201)
    assert sees_notice(rig, "alice", cid)
    assert not sees_notice(rig, "bob", cid) and not sees_notice(rig, "ghost", cid)
    rig.rig.slapd.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n"
                         % (rigmod.group_dn("cem"), rigmod.group_dn("cc-deep")))
    time.sleep(1.5)
    assert "cem" not in rig.as_user("ghost").get("api/me").json()["roles"]


@pytest.mark.parametrize("own_rig", [DIRECT], indirect=True)
def test_a_grant_names_a_known_team_or_an_officer_not_both(own_rig):
    rig = own_rig
    cid = active_case(rig, referrer="oscar")   # alice, a member, is not the referrer
    exp = iso(today() + __import__("datetime").timedelta(days=30))
    expect_refusal(rig, lambda: rig.as_user("carol").post("api/cases/%d/grants" % cid, {
        "group": "no-such-team", "reason": "x", "expires": exp}), 422, "unknown-team", field="group")
    expect_refusal(rig, lambda: rig.as_user("carol").post("api/cases/%d/grants" % cid, {
        "group": "contact-centre", "user": "bob", "reason": "x", "expires": exp}), 422, "missing-field")
    expect_refusal(rig, lambda: rig.as_user("carol").post("api/cases/%d/grants" % cid, {
        "reason": "x", "expires": exp}), 422, "missing-field")
    # a team's name in any case is the configured one
    assert ok(rig.as_user("carol").post("api/cases/%d/grants" % cid, {
        "group": "Contact-Centre", "reason": "x", "expires": exp}), 201)["group"] == "contact-centre"


@pytest.mark.parametrize("value", ["-1", "11", "two"])
def test_bad_nesting_depth_stops_httpd_at_start(workdir, value):
    httpd = rigmod.Httpd(workdir, 1, extra_location="    HabitualGroupNestingDepth %s\n" % value)
    started, out = httpd.start(expect_failure=True)
    assert not started
    assert "HabitualGroupNestingDepth: '%s' is not a depth from 0" % value in out, out


@pytest.mark.parametrize("line", ['HabitualTeam "bad name" "cn=x,dc=y"', 'HabitualTeam cc nodn',
                                  'HabitualTeam cc "cn=a,dc=b"\n    HabitualTeam CC "cn=c,dc=d"'])
def test_bad_team_stops_httpd_at_start(workdir, line):
    httpd = rigmod.Httpd(workdir, 1, extra_location="    %s\n" % line)
    started, out = httpd.start(expect_failure=True)
    assert not started and "HabitualTeam" in out, out


@pytest.mark.parametrize("own_rig", [DIRECT], indirect=True)
def test_the_grant_form_offers_the_teams(own_rig):
    rig = own_rig
    build_directory(rig.rig.slapd)
    cid = active_case(rig, referrer="oscar")
    carol = rig.as_user("carol")
    form = carol.get("cases/%d/grants" % cid).text
    assert 'name="group"' in form and 'value="contact-centre"' in form and "Team looped" in form
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    exp = today() + __import__("datetime").timedelta(days=30)
    posted = carol.post("cases/%d/grants" % cid, token=None, headers=headers, allow_redirects=False, data={
        "csrf_token": carol.token(), "group": "contact-centre", "reason": "The contact centre takes the calls.",
        "expires_day": str(exp.day), "expires_month": str(exp.month), "expires_year": str(exp.year)})
    assert posted.status_code == 303, posted.text
    assert sees_notice(rig, "alice", cid)
    assert "Team contact-centre" in carol.get("cases/%d/grants" % cid).text
