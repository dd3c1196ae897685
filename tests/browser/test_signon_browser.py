"""Issue 18: single sign-on in Chromium, for real (signon.js).

OpenID Connect: npm's oidc-provider (tests/rig/oidc.py, its plain sign-in
form) and httpd with mod_auth_openidc (OIDCRemoteUserClaim
preferred_username, HabitualLDAPURL by userPrincipalName): Chromium is sent
to the provider, signs in there by typing the username, comes back signed in
and raises a concern; an account the directory does not know is 403.

Kerberos: a private MIT KDC (tests/rig/kdc.py), an Active-Directory-shaped
slapd (tests/rig/ad.py) and httpd with mod_auth_gssapi (GssapiLocalName On,
HabitualLDAPURL by sAMAccountName): Chromium holds alice's ticket cache, is
told localhost is in the intranet zone (--auth-server-allowlist), answers the
Negotiate challenge itself, and raises a concern; a principal the directory
does not know is 403.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/browser/test_signon_browser.py
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "rig"))
import ad  # noqa: E402
import kdc as kdcmod  # noqa: E402
import oidc  # noqa: E402

OIDC_ACCOUNTS = {
    "alice": {"preferred_username": "alice@council.test", "email": "alice@council.test"},
    "stranger": {"preferred_username": "stranger@council.test", "email": "stranger@council.test"},
}


def journey(workdir, config):
    cfg, out = os.path.join(workdir, "signon-config.json"), os.path.join(workdir, "signon-result.json")
    with open(cfg, "w") as f:
        json.dump(config, f)
    proc = subprocess.run(["node", os.path.join(HERE, "signon.js"), cfg, out], cwd=HERE, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out) as f:
        result = json.load(f)
    assert result["error"] is None, json.dumps(result, indent=2)
    return result


def concern(tag):
    return {"name": "Sam Signon %s" % tag, "reference": "SSO-%s-%d" % (tag, os.getpid()),
            "summary": "Rings the council tax team every hour (%s)." % tag}


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="habitual-signon-browser-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(oidc.available() is not None, reason=str(oidc.available()))
def test_chromium_signs_in_at_the_openid_provider_and_raises_a_concern(workdir):
    with oidc.site(workdir, OIDC_ACCOUNTS) as site:
        result = journey(workdir, {"base": site.httpd.base(), "login": "alice", "concern": concern("oidc")})
        assert result["steps"][0]["url"].startswith(site.provider.issuer), result   # sent to the provider's page
        assert result["me"]["status"] == 200 and result["me"]["body"]["user"] == "alice@council.test", result
        assert result["signed_in_as"] == "Signed in as alice@council.test", result
        assert result["banner"] and "Concern raised" in result["banner"], result
        refused = journey(workdir, {"base": site.httpd.base(), "login": "stranger", "concern": None})
        assert refused["me"]["status"] == 403, refused


KERBEROS_PASSWORD = "kerberos-password"


@pytest.mark.skipif(kdcmod.available() is not None, reason=str(kdcmod.available()))
def test_chromium_signs_in_by_negotiate_and_raises_a_concern(workdir):
    k = kdcmod.Kdc(workdir, {p: KERBEROS_PASSWORD for p in ("alice", "stranger")}).start()
    slapd = httpd = None
    try:
        slapd = ad.slapd(workdir, bind_required=True).start()
        httpd = ad.httpd(workdir, slapd, "httpd-negotiate", attribute="sAMAccountName",
                         auth=k.httpd_auth(local_name=True), modules=["auth_gssapi"], env=k.httpd_env()).start()
        # the service principal is HTTP/localhost: browse to that name
        base = "http://localhost:%d/habitual" % httpd.port

        def as_principal(principal, raise_concern):
            user = k.sign_in(principal, KERBEROS_PASSWORD)
            return journey(workdir, {"base": base, "concern": concern("kerberos") if raise_concern else None,
                                     "kerberos": {"env": user.env(), "allowlist": "localhost"}})

        result = as_principal("alice", True)
        statuses = [step.get("status") for step in result["steps"] if "status" in step]
        assert statuses[-1] == 200 and set(statuses) <= {401, 200}, result   # no password typed anywhere
        assert result["me"]["status"] == 200 and result["me"]["body"]["user"] == "alice", result
        assert result["me"]["body"]["roles"] == ["staff"], result
        assert result["signed_in_as"] == "Signed in as alice", result
        assert result["banner"] and "Concern raised" in result["banner"], result
        refused = as_principal("stranger", False)
        assert refused["me"]["status"] == 403, refused
    finally:
        if httpd:
            ad.stop_httpd(httpd)
            httpd.drop_db()
        if slapd:
            slapd.stop()
        k.stop()
