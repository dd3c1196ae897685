"""A private OpenID provider for test_oidc.py: tests/oidc/provider.js (npm's
oidc-provider, pinned by tests/oidc/package-lock.json, installed there with
`npm ci` on first use) on a free loopback port, stopped by PID; and the
mod_auth_openidc lines for httpd's <Location>."""

import contextlib
import json
import os
import shutil
import subprocess
from types import SimpleNamespace

import rig

HERE = os.path.join(rig.ROOT, "tests", "oidc")
OIDC_MODULE = os.path.join(rig.APACHE_MODULES, "mod_auth_openidc.so")
CLIENT_ID = "habitual"
CLIENT_SECRET = "oidc-client-secret-0123456789abcdef"
CALLBACK = "/habitual/oidc-callback"


def available():
    """None when the Debian packages are here, else why not."""
    if not os.path.exists(OIDC_MODULE):
        return "mod_auth_openidc is not installed (Debian package libapache2-mod-auth-openidc)"
    if not shutil.which("node"):
        return "node is not installed (Debian package nodejs)"
    return None


def install():
    """npm ci in tests/oidc when oidc-provider is not there yet."""
    if os.path.isdir(os.path.join(HERE, "node_modules", "oidc-provider")):
        return
    npm = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE,
                         capture_output=True, text=True)
    if npm.returncode != 0:
        raise RuntimeError("npm ci in tests/oidc failed:\n%s%s" % (npm.stdout, npm.stderr))


class Provider:
    def __init__(self, workdir, accounts, httpd_port):
        install()
        self.dir = os.path.join(workdir, "oidc")
        os.makedirs(self.dir)
        self.port = rig.free_port()
        self.issuer = "http://127.0.0.1:%d" % self.port
        self.redirect_uri = "http://127.0.0.1:%d%s" % (httpd_port, CALLBACK)
        self.config = os.path.join(self.dir, "provider.json")
        self.log = os.path.join(self.dir, "provider.log")
        with open(self.config, "w") as f:
            json.dump({"port": self.port, "issuer": self.issuer, "client_id": CLIENT_ID,
                       "client_secret": CLIENT_SECRET, "redirect_uri": self.redirect_uri,
                       "accounts": accounts}, f)
        self.proc = None

    def start(self):
        self._log = open(self.log, "w")
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "provider.js"), self.config],
                                     cwd=HERE, stdout=self._log, stderr=subprocess.STDOUT)
        rig._STARTED.append(self.proc)
        if not rig.wait_port(self.port, self.proc, timeout=20):
            self.stop()
            raise RuntimeError("the OpenID provider did not start: %s" % self.read_log())
        return self

    def stop(self):
        rig.stop_process(self.proc)
        self.proc = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def httpd_server_lines(self, claim, passphrase="oidc-test-passphrase-0123456789"):
        """mod_auth_openidc's server-level lines, as the README shows."""
        return """OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
OIDCClientID {cid}
OIDCClientSecret {secret}
OIDCRedirectURI {redirect}
OIDCCryptoPassphrase {passphrase}
OIDCScope "openid profile email"
OIDCPKCEMethod S256
OIDCRemoteUserClaim {claim}
""".format(issuer=self.issuer, cid=CLIENT_ID, secret=CLIENT_SECRET, redirect=self.redirect_uri,
           passphrase=passphrase, claim=claim)

    @staticmethod
    def httpd_auth():
        return "    AuthType openid-connect\n"


@contextlib.contextmanager
def site(workdir, accounts, claim="preferred_username"):
    """The AD-shaped directory, this provider and httpd with mod_auth_openidc
    in front of the module (HabitualLDAPURL by userPrincipalName), started
    and stopped: SimpleNamespace(httpd, provider, slapd)."""
    import ad
    slapd = ad.slapd(workdir, bind_required=True).start()
    port = rig.free_port()
    provider = Provider(workdir, accounts, port).start()
    httpd = ad.httpd(workdir, slapd, "httpd-oidc", attribute="userPrincipalName", port=port,
                     auth=provider.httpd_auth(), modules=["auth_openidc"],
                     extra_server=provider.httpd_server_lines(claim))
    try:
        httpd.start()
        yield SimpleNamespace(httpd=httpd, provider=provider, slapd=slapd)
    finally:
        ad.stop_httpd(httpd)
        provider.stop()
        slapd.stop()
        httpd.drop_db()
