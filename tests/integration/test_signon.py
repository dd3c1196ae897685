"""Issue 18, parts 1 and 3: Kerberos sign-on, for real.

A private MIT KDC (tests/rig/kdc.py: realm COUNCIL.TEST on a free loopback
port, KRB5_CONFIG/KRB5_KDC_PROFILE in the test's directory, a keytab for
HTTP/localhost) and httpd with mod_auth_gssapi in front of the module
instead of basic auth; users sign in with kinit and curl --negotiate.  The
directory is the AD-shaped one (tests/rig/ad.py).  Two configurations, as
the README's "Single sign-on" shows:

  GssapiLocalName On  + HabitualLDAPURL "…?sAMAccountName?sub?(objectClass=user)"
      carol@COUNCIL.TEST -> r->user "carol" -> id carol
  GssapiLocalName Off + HabitualLDAPURL "…?userPrincipalName?sub?(objectClass=user)"
      carol@COUNCIL.TEST -> r->user "carol@COUNCIL.TEST" -> id carol@council.test

A principal maps to exactly one directory entry (api/me: its canonical id
and roles); a principal with no entry is 403; one matching two entries is
403 with one error-log line (HAB10104); no ticket is 401."""

import json
import os
import shutil
import tempfile
from types import SimpleNamespace

import pytest

import ad
import kdc as kdcmod
import rig  # noqa: F401  (the rig's servers are stopped by PID at exit)
from conftest import Db, _check_sanitizers

pytestmark = pytest.mark.skipif(kdcmod.available() is not None, reason=str(kdcmod.available()))

PASSWORD = "kerberos-password"
PRINCIPALS = ["alice", "carol", "chris", "olive", ad.TWIN, "stranger"]
ROLES = {
    "alice": ["staff"],
    "carol": ["staff", "cem"],
    "chris": ["staff", "chief-executive"],
    "olive": ["staff", "chief-officer"],
}
CONFIGS = {
    # GssapiLocalName, HabitualLDAPURL attribute, id of sAMAccountName s
    "local-name": (True, "sAMAccountName", lambda s: s),
    "principal": (False, "userPrincipalName", ad.upn),
}


@pytest.fixture(scope="module")
def realm():
    d = tempfile.mkdtemp(prefix="habitual-signon-")
    os.chmod(d, 0o755)
    k = kdcmod.Kdc(d, {p: PASSWORD for p in PRINCIPALS}).start()
    s = ad.slapd(d, bind_required=True).start()
    users = {p: k.sign_in(p, PASSWORD) for p in PRINCIPALS}
    yield d, k, s, users
    s.stop()
    k.stop()
    shutil.rmtree(d, ignore_errors=True)


class SignOn:
    def __init__(self, realm, name):
        d, self.kdc, slapd, self.users = realm
        local_name, self.attribute, self.id_of = CONFIGS[name]
        self.httpd = ad.httpd(d, slapd, "httpd-" + name, attribute=self.attribute,
                              auth=self.kdc.httpd_auth(local_name=local_name),
                              modules=["auth_gssapi"], env=self.kdc.httpd_env()).start()

    def get(self, principal, path="api/me", negotiate=True):
        return self.users[principal].curl(self.httpd.port, path, negotiate=negotiate)

    def lines(self, code):
        return [line for line in self.httpd.read_error_log().splitlines() if code in line]


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def signon(request, realm):
    s = SignOn(realm, request.param)
    yield s
    ad.stop_httpd(s.httpd)
    _check_sanitizers(SimpleNamespace(httpd=s.httpd))
    s.httpd.drop_db()


@pytest.mark.parametrize("principal", sorted(ROLES))
def test_a_principal_is_exactly_one_directory_user(signon, principal):
    status, body = signon.get(principal)
    assert status == 200, (status, body, signon.httpd.read_error_log(), signon.kdc.read_log())
    me = json.loads(body)
    assert me["user"] == signon.id_of(principal), me
    assert me["roles"] == ROLES[principal], me


def test_the_access_log_has_the_canonical_id(signon):
    status, _ = signon.get("chris", "api/cases")
    assert status == 200
    db = Db(signon.httpd.db)
    try:
        users = [r["user"] for r in db.query('SELECT "user" FROM access_log')]
    finally:
        db.close()
    assert signon.id_of("chris") in users, users
    assert "chris@COUNCIL.TEST" not in users, users   # never the name as sign-on sent it


def test_an_unknown_principal_is_403(signon):
    status, body = signon.get("stranger")
    assert status == 403, (status, body)


def test_a_principal_matching_two_entries_is_403_and_one_line(signon):
    before = len(signon.lines("HAB10104"))
    status, body = signon.get(ad.TWIN)
    assert status == 403, (status, body)
    lines = signon.lines("HAB10104")[before:]
    assert len(lines) == 1 and signon.attribute in lines[0], lines


def test_without_a_ticket_is_401(signon):
    status, _ = signon.get("alice", negotiate=False)
    assert status == 401
