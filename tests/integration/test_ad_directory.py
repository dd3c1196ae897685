"""Issue 18, parts 3 and 5: an Active-Directory-shaped directory
(tests/rig/ad.py: people of class `user` with sAMAccountName and
userPrincipalName, groups of class `group` with `member`, DNs as AD writes
them, e.g. CN=Chief Officers\\, Corporate,OU=Security Groups,DC=council,DC=test),
read by a service account's bind, under two httpd configurations:

  HabitualLDAPURL "ldap://…/DC=council,DC=test?sAMAccountName?sub?(objectClass=user)"
  HabitualLDAPURL "ldap://…/DC=council,DC=test?userPrincipalName?sub?(objectClass=user)"

The user-id contract: whatever sign-on sends, exactly one entry is found by
the URL's attribute and its own value is the id (roles, api/me, grants);
a name in the other form is no one (no guessing); two entries matching is
403 with one error-log line (HAB10104), never a pick."""

import datetime
import os
import shutil
import tempfile
from types import SimpleNamespace

import pytest

import ad
import rig
from conftest import Client, Db, _check_sanitizers
from helpers_procedure import active_case, expect_refusal, iso, ok, today

ROLES = {
    "alice": ["staff"],
    "carol": ["staff", "cem"],
    "molly": ["staff", "monitoring-officer"],
    "chris": ["staff", "chief-executive"],
    "olive": ["staff", "chief-officer"],
    "audrey": ["staff", "auditor"],
}


class AdFixture:
    """An httpd on the AD-shaped directory; as_user("carol") signs in with
    the form this configuration's attribute holds (carol or carol@council.test),
    so the procedure helpers work unchanged."""

    def __init__(self, workdir, slapd, attribute):
        self.attribute = attribute
        self.httpd = ad.httpd(workdir, slapd, "httpd-" + attribute, attribute=attribute).start()
        self.db = Db(self.httpd.db)
        self._clients = {}

    def id_of(self, sam):
        return ad.upn(sam) if self.attribute == "userPrincipalName" else sam

    def as_user(self, user, literal=False):
        name = user if literal or "@" in user or user not in ad.PEOPLE else self.id_of(user)
        if name not in self._clients:
            self._clients[name] = Client(self.httpd.base(), name)
        return self._clients[name]

    def hab_lines(self, code):
        return [line for line in self.httpd.read_error_log().splitlines() if code in line]

    def stop(self):
        ad.stop_httpd(self.httpd)
        self.db.close()
        _check_sanitizers(SimpleNamespace(httpd=self.httpd))
        self.httpd.drop_db()


@pytest.fixture(scope="module")
def ad_slapd():
    d = tempfile.mkdtemp(prefix="habitual-ad-")
    os.chmod(d, 0o755)
    s = ad.slapd(d, bind_required=True).start()
    s.workdir = d
    yield s
    s.stop()
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module", params=["sAMAccountName", "userPrincipalName"])
def adfx(request, ad_slapd):
    fx = AdFixture(ad_slapd.workdir, ad_slapd, request.param)
    yield fx
    fx.stop()


@pytest.mark.parametrize("sam", sorted(ROLES))
def test_roles_and_canonical_id_from_the_ad_groups(adfx, sam):
    me = ok(adfx.as_user(sam).get("api/me"))
    assert me["user"] == adfx.id_of(sam), me
    assert me["roles"] == ROLES[sam], me


def test_a_name_in_another_case_is_the_directorys_own(adfx):
    sent = "OLIVE" if adfx.attribute == "sAMAccountName" else "Carol@COUNCIL.TEST"
    me = ok(adfx.as_user(sent, literal=True).get("api/me"))
    expected = ("olive", ROLES["olive"]) if adfx.attribute == "sAMAccountName" \
        else ("carol@council.test", ROLES["carol"])
    assert (me["user"], me["roles"]) == expected, me


def test_the_other_form_of_the_name_is_no_one(adfx):
    # no guessing: with sAMAccountName "alice@council.test" is no one, and the reverse
    other = ad.upn("alice") if adfx.attribute == "sAMAccountName" else "alice"
    r = adfx.as_user(other, literal=True).get("api/me")
    assert r.status_code == 403, (r.status_code, r.text)


def test_no_entry_is_403_without_an_ambiguity_line(adfx):
    before = len(adfx.hab_lines("HAB10104"))
    r = adfx.as_user("ghost" if adfx.attribute == "sAMAccountName" else "ghost@" + ad.DOMAIN,
                     literal=True).get("api/me")
    assert r.status_code == 403
    assert len(adfx.hab_lines("HAB10104")) == before


def test_two_entries_matching_is_403_and_one_line_never_a_pick(adfx):
    before = len(adfx.hab_lines("HAB10104"))
    name = adfx.id_of(ad.TWIN)
    r = adfx.as_user(name, literal=True).get("api/me")
    # both twins are in the chief officers' group: a pick would be a 200 with that role
    assert r.status_code == 403, (r.status_code, r.text)
    lines = adfx.hab_lines("HAB10104")[before:]
    assert len(lines) == 1, lines
    assert "more than one directory entry" in lines[0] and adfx.attribute in lines[0], lines


def grant(fx, cid, user):
    return fx.as_user("carol").post("api/cases/%d/grants" % cid, {
        "user": user, "reason": "Works on the front desk.",
        "expires": iso(today() + datetime.timedelta(days=20))})


def test_a_grant_is_stored_under_the_directorys_id(adfx):
    cid = active_case(adfx, referrer="alice")
    sent = "BOB" if adfx.attribute == "sAMAccountName" else "Bob@COUNCIL.TEST"
    out = ok(grant(adfx, cid, sent), 201)
    assert out["user"] == adfx.id_of("bob"), out
    rows = adfx.db.query("SELECT grantee FROM grants WHERE id = ?", (out["grant_id"],))
    assert [g["grantee"] for g in rows] == [adfx.id_of("bob")]
    notices = ok(adfx.as_user("bob").get("api/notices"))["notices"]
    assert cid in [n["case_id"] for n in notices]


def test_a_grant_to_an_ambiguous_name_is_refused(adfx):
    cid = active_case(adfx, referrer="alice")
    before = len(adfx.hab_lines("HAB10104"))
    expect_refusal(adfx, lambda: grant(adfx, cid, adfx.id_of(ad.TWIN)), 422, "unknown-user",
                   field="user")
    assert len(adfx.hab_lines("HAB10104")) == before + 1
