"""Issue 18, part 4: the directory over LDAPS and StartTLS.

A test CA and server certificates made here with the openssl command line
(tests/rig/tls.py); slapd with olcTLSCertificateFile etc. in cn=config,
serving the AD-shaped directory (tests/rig/ad.py) where anonymous reads
nothing (a bind DN and password are needed) and, on the "strict" server,
every operation needs TLS (olcSecurity tls=128), so a search that answers at
all went over TLS.

- `HabitualLDAPURL "ldaps://…"` + `LDAPTrustedGlobalCert CA_BASE64 ca.crt` +
  HabitualLDAPBindDN/Password: roles as in the directory.
- StartTLS: `HabitualLDAPURL "ldap://…"` + `LDAPTrustedMode STARTTLS`.
- A wrong CA, or a server certificate that has expired: 503 within the
  timeouts and one error-log line, never a fall-back to plain text (the
  expired server also answers plain text, so a fall-back would be a 200).
- A wrong bind password: 503 and one line; no bind at all: no entry (403)."""

import os
import re
import time
from types import SimpleNamespace

import pytest
import requests

import ad
import rig
import tls
from conftest import _check_sanitizers

pytestmark = pytest.mark.skipif(tls.available() is not None, reason=str(tls.available()))

TIMEOUTS_BOUND = 6.0   # LDAPConnectionTimeout 2 + LDAPTimeout 2 (rig) and some slack


@pytest.fixture(scope="module")
def tls_dir():
    import shutil
    import tempfile
    d = tempfile.mkdtemp(prefix="habitual-ldaps-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def pki(tls_dir):
    return tls.TestPki(os.path.join(tls_dir, "pki"))


@pytest.fixture(scope="module")
def strict(tls_dir, pki):
    """TLS only, bind required, a good certificate."""
    s = ad.slapd(os.path.join(tls_dir, "strict"), tls=pki.server, bind_required=True,
                 tls_required=True).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def expired(tls_dir, pki):
    """An expired certificate; plain text accepted (bind required)."""
    s = ad.slapd(os.path.join(tls_dir, "expired"), tls=pki.expired, bind_required=True).start()
    yield s
    s.stop()


class Server:
    def __init__(self, workdir, slapd, name, scheme, ca, trusted_mode=None, **kw):
        port = slapd.tls_port if scheme == "ldaps" else slapd.port
        extra = 'LDAPTrustedGlobalCert CA_BASE64 "%s"\n' % ca
        if trusted_mode:
            extra += "LDAPTrustedMode %s\n" % trusted_mode
        self.httpd = ad.httpd(workdir, slapd, name, url=ad.url(port, "sAMAccountName", scheme),
                              extra_server=extra, **kw)

    def __enter__(self):
        self.httpd.start()
        return self

    def __exit__(self, *exc):
        ad.stop_httpd(self.httpd)
        _check_sanitizers(SimpleNamespace(httpd=self.httpd))
        self.httpd.drop_db()

    def get(self, user, path="api/me"):
        return requests.get(self.httpd.base() + "/" + path, auth=(user, rig.PASSWORD), timeout=30)

    def log_lines(self):
        """The LDAP lines (HAB101nn); a 503 also logs HAB10301 with the request id."""
        return [line for line in self.httpd.read_error_log().splitlines() if "HAB101" in line]


def me(server, user):
    r = server.get(user)
    assert r.status_code == 200, (user, r.status_code, r.text, server.httpd.read_error_log())
    return r.json()


def expect_503(server, user="carol"):
    before = len(server.log_lines())
    t0 = time.time()
    r = server.get(user)
    took = time.time() - t0
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.headers.get("Retry-After"), r.headers
    assert took < TIMEOUTS_BOUND, took
    lines = server.log_lines()[before:]
    assert len(lines) == 1, lines
    return lines[0]


def test_ldaps_with_the_test_ca_and_a_bind_dn(workdir, strict, pki):
    with Server(workdir, strict, "ldaps", "ldaps", pki.ca.cert_file) as s:
        out = me(s, "carol")
        assert (out["user"], out["roles"]) == ("carol", ["staff", "cem"]), out
        # a group whose DN holds an escaped comma (CN=Chief Officers\, Corporate,…)
        out = me(s, "OLIVE")
        assert (out["user"], out["roles"]) == ("olive", ["staff", "chief-officer"]), out
        assert me(s, "alice")["roles"] == ["staff"]
        assert s.get("ghost").status_code == 403
        assert s.log_lines() == [], s.log_lines()


def test_starttls_with_ldap_url_and_trusted_mode(workdir, strict, pki):
    # the strict server refuses every operation without TLS: a 200 went over StartTLS
    with Server(workdir, strict, "starttls", "ldap", pki.ca.cert_file, trusted_mode="STARTTLS") as s:
        out = me(s, "chris")
        assert (out["user"], out["roles"]) == ("chris", ["staff", "chief-executive"]), out
        assert s.log_lines() == []


def test_plain_ldap_to_the_strict_server_is_503(workdir, strict, pki):
    # the control for the test above: without StartTLS the same server answers nothing
    with Server(workdir, strict, "plain", "ldap", pki.ca.cert_file) as s:
        line = expect_503(s)
        assert "HAB10101" in line, line


@pytest.mark.parametrize("scheme,mode", [("ldaps", None), ("ldap", "STARTTLS")])
def test_a_wrong_ca_is_503_never_plain_text(workdir, strict, pki, scheme, mode):
    with Server(workdir, strict, "wrong-ca", scheme, pki.wrong_ca.cert_file, trusted_mode=mode) as s:
        line = expect_503(s)
        assert "HAB10101" in line and "503" in line, line
        assert s.get("alice").status_code == 503


@pytest.mark.parametrize("scheme,mode", [("ldaps", None), ("ldap", "STARTTLS")])
def test_an_expired_certificate_is_503_never_plain_text(workdir, expired, pki, scheme, mode):
    # this server answers plain text too: falling back to it would be a 200
    assert "notAfter" in pki.expired.not_after()
    with Server(workdir, expired, "expired", scheme, pki.ca.cert_file, trusted_mode=mode) as s:
        line = expect_503(s)
        assert "HAB10101" in line, line


def test_the_expired_servers_plain_text_port_does_answer(workdir, expired, pki):
    # the control for the test above: plain text to it works, so the 503s were TLS refusing
    with Server(workdir, expired, "expired-plain", "ldap", pki.ca.cert_file) as s:
        assert me(s, "carol")["roles"] == ["staff", "cem"]


def test_a_wrong_bind_password_is_503(workdir, strict, pki):
    with Server(workdir, strict, "bad-bind", "ldaps", pki.ca.cert_file, password="not-it") as s:
        line = expect_503(s)
        assert "HAB10101" in line, line
        assert re.search(r"bind|credential", line, re.I), line


def test_without_a_bind_dn_the_directory_shows_no_one(workdir, strict, pki):
    # anonymous may read nothing here: signed in, but no entry found -> 403
    with Server(workdir, strict, "anon", "ldaps", pki.ca.cert_file, bind=False) as s:
        assert s.get("carol").status_code == 403
