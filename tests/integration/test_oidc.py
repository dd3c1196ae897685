"""Issue 18, part 2: OpenID Connect sign-on.

httpd with Debian's mod_auth_openidc in front of the module, a private
OpenID provider (tests/rig/oidc.py: npm's oidc-provider, the authorization
code flow with PKCE, a confidential client; the council's login page stood
in for by a test header), and the AD-shaped directory (tests/rig/ad.py).
The configuration is Entra-ID-shaped: `preferred_username` is the user's UPN,

  OIDCRemoteUserClaim preferred_username
  HabitualLDAPURL "ldap://…/DC=council,DC=test?userPrincipalName?sub?(objectClass=user)"

so Carol@COUNCIL.test signs in as the directory's carol@council.test with her
roles; an account the directory does not know is 403; one whose name matches
two entries is 403 with one HAB10104 line; no sign-in is a redirect to the
provider."""

import os
import shutil
import tempfile
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
import requests

import oidc
from conftest import _check_sanitizers

pytestmark = pytest.mark.skipif(oidc.available() is not None, reason=str(oidc.available()))

ACCOUNTS = {
    # login at the provider -> its claims (preferred_username: the UPN, as Entra ID sends)
    "carol": {"preferred_username": "Carol@COUNCIL.test", "email": "carol@council.test"},
    "olive": {"preferred_username": "olive@council.test", "email": "olive@council.test"},
    "alice": {"preferred_username": "alice@council.test", "email": "alice@council.test"},
    "stranger": {"preferred_username": "stranger@council.test", "email": "stranger@council.test"},
    "twin": {"preferred_username": "twin@council.test", "email": "twin@council.test"},
}


@pytest.fixture(scope="module")
def site():
    d = tempfile.mkdtemp(prefix="habitual-oidc-")
    os.chmod(d, 0o755)
    try:
        with oidc.site(d, ACCOUNTS) as s:
            yield s
        _check_sanitizers(SimpleNamespace(httpd=s.httpd))   # after httpd stopped
    finally:
        shutil.rmtree(d, ignore_errors=True)


def sign_in(site, login, path="api/me"):
    """A session that signs in at the provider as login and then asks for path
    (following the redirects: httpd -> provider -> httpd's callback -> path)."""
    s = requests.Session()
    s.headers["X-Test-Login"] = login    # the stand-in login page reads it; httpd never does
    r = s.get(site.httpd.base() + "/" + path, headers={"Accept": "text/html"}, timeout=30)
    return s, r


def test_an_oidc_user_is_exactly_one_directory_user(site):
    s, r = sign_in(site, "carol")
    assert r.status_code == 200, (r.status_code, r.text[:500], site.httpd.read_error_log()[-3000:],
                                  site.provider.read_log()[-2000:])
    me = r.json()
    assert (me["user"], me["roles"]) == ("carol@council.test", ["staff", "cem"]), me
    # the session cookie carries on without the provider
    r2 = s.get(site.httpd.base() + "/api/me", timeout=30)
    assert r2.status_code == 200 and r2.json()["user"] == "carol@council.test"


def test_a_group_with_an_escaped_comma(site):
    _, r = sign_in(site, "olive")
    assert r.status_code == 200, r.text[:300]
    assert r.json()["roles"] == ["staff", "chief-officer"]


def test_an_account_the_directory_does_not_know_is_403(site):
    _, r = sign_in(site, "stranger")
    assert r.status_code == 403, (r.status_code, r.text[:300])


def test_a_name_matching_two_entries_is_403_and_one_line(site):
    before = [x for x in site.httpd.read_error_log().splitlines() if "HAB10104" in x]
    _, r = sign_in(site, "twin")
    assert r.status_code == 403
    after = [x for x in site.httpd.read_error_log().splitlines() if "HAB10104" in x]
    assert len(after) == len(before) + 1, after


def test_no_sign_in_is_sent_to_the_provider(site):
    r = requests.get(site.httpd.base() + "/api/me", headers={"Accept": "text/html"},
                     allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.status_code
    loc = urlparse(r.headers["Location"])
    assert "%s://%s" % (loc.scheme, loc.netloc) == site.provider.issuer, r.headers["Location"]
    assert "code_challenge=" in loc.query and "client_id=habitual" in loc.query, loc.query
