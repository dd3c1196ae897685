"""A private MIT Kerberos KDC for the sign-on tests (tests/integration/
test_signon.py): realm COUNCIL.TEST on a free loopback port, its database,
stash, krb5.conf and kdc.conf in the test's directory (KRB5_CONFIG and
KRB5_KDC_PROFILE point at them; nothing in /etc is read or changed), a
keytab for HTTP/localhost that httpd's mod_auth_gssapi reads, and users
signed in with kinit and curl --negotiate (python requests has no GSSAPI
here).  krb5kdc runs in the foreground (-n) and is stopped by PID."""

import os
import grp
import pwd
import shutil
import subprocess

import rig

REALM = "COUNCIL.TEST"
SERVICE = "HTTP/localhost"
MASTER_PW = "rig-kdc-master"

# Debian packages -> the program each brings that the tests run.
PACKAGES = {
    "krb5-kdc": ["krb5kdc", "kdb5_util"],
    "krb5-admin-server": ["kadmin.local"],
    "krb5-user": ["kinit"],
    "curl": ["curl"],
}
GSSAPI_MODULE = os.path.join(rig.APACHE_MODULES, "mod_auth_gssapi.so")


def available():
    """None when everything the sign-on tests need is installed, else why not."""
    for package, programs in PACKAGES.items():
        for prog in programs:
            if not shutil.which(prog, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
                return "%s is not installed (Debian package %s)" % (prog, package)
    if not os.path.exists(GSSAPI_MODULE):
        return "mod_auth_gssapi is not installed (Debian package libapache2-mod-auth-gssapi)"
    features = subprocess.run(["curl", "-V"], capture_output=True, text=True).stdout
    if "GSS-API" not in features or "SPNEGO" not in features:
        return "this curl has no GSS-API/SPNEGO (curl -V)"
    return None


def _sbin(prog):
    return shutil.which(prog, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") or prog


class Kdc:
    """MIT krb5kdc for REALM with principals name -> password, and the
    service principal HTTP/localhost in a keytab."""

    def __init__(self, workdir, principals):
        self.dir = os.path.join(workdir, "kdc")
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        self.port = rig.free_port()
        self.proc = None
        self.krb5_conf = os.path.join(self.dir, "krb5.conf")
        self.kdc_conf = os.path.join(self.dir, "kdc.conf")
        self.keytab = os.path.join(self.dir, "http.keytab")
        self.rcache = os.path.join(self.dir, "rcache")
        self.log = os.path.join(self.dir, "kdc.log")
        with open(self.krb5_conf, "w") as f:
            f.write("""[libdefaults]
    default_realm = {realm}
    dns_lookup_realm = false
    dns_lookup_kdc = false
    rdns = false
    dns_canonicalize_hostname = false
    udp_preference_limit = 1
[realms]
    {realm} = {{
        kdc = 127.0.0.1:{port}
    }}
[domain_realm]
    localhost = {realm}
""".format(realm=REALM, port=self.port))
        with open(self.kdc_conf, "w") as f:
            f.write("""[kdcdefaults]
    kdc_listen = 127.0.0.1:{port}
    kdc_tcp_listen = 127.0.0.1:{port}
[realms]
    {realm} = {{
        database_name = {d}/principal
        key_stash_file = {d}/stash
        acl_file = {d}/kadm5.acl
        max_life = 1h
    }}
[logging]
    kdc = FILE:{d}/kdc.log
""".format(realm=REALM, port=self.port, d=self.dir))
        os.chmod(self.krb5_conf, 0o644)
        self._run(_sbin("kdb5_util"), "create", "-s", "-r", REALM, "-P", MASTER_PW)
        for name, password in principals.items():
            self.kadmin("addprinc -pw %s %s" % (password, name))
        self.kadmin("addprinc -randkey %s" % SERVICE)
        self.kadmin("ktadd -k %s %s" % (self.keytab, SERVICE))
        os.makedirs(self.rcache)
        if rig.run_as_root():   # httpd's children (www-data) read the keytab, write the replay cache
            uid, gid = pwd.getpwnam("www-data").pw_uid, grp.getgrnam("www-data").gr_gid
            for path in (self.keytab, self.rcache):
                os.chown(path, uid, gid)
        os.chmod(self.keytab, 0o400)

    def env(self, **more):
        env = dict(os.environ, KRB5_CONFIG=self.krb5_conf, KRB5_KDC_PROFILE=self.kdc_conf)
        env.update(more)
        return env

    def _run(self, *cmd):
        res = subprocess.run(list(cmd), capture_output=True, text=True, env=self.env())
        if res.returncode != 0:
            raise RuntimeError("%s: %s%s" % (" ".join(cmd), res.stdout, res.stderr))
        return res.stdout

    def kadmin(self, query):
        return self._run(_sbin("kadmin.local"), "-q", query)

    def start(self):
        self.proc = subprocess.Popen([_sbin("krb5kdc"), "-n"], env=self.env(),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rig._STARTED.append(self.proc)
        if not rig.wait_port(self.port, self.proc):
            raise RuntimeError("krb5kdc did not start: %s" % self.read_log())
        return self

    def stop(self):
        rig.stop_process(self.proc)
        self.proc = None

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def httpd_env(self):
        """What httpd needs: the realm's krb5.conf and a replay cache of its own."""
        return {"KRB5_CONFIG": self.krb5_conf, "KRB5RCACHEDIR": self.rcache}

    def httpd_auth(self, local_name=True):
        """mod_auth_gssapi's lines for the <Location>, as the README shows."""
        return """    AuthType GSSAPI
    AuthName "Council intranet"
    GssapiCredStore keytab:{keytab}
    GssapiAllowedMech krb5
    GssapiBasicAuth Off
    GssapiLocalName {local}
""".format(keytab=self.keytab, local="On" if local_name else "Off")

    def sign_in(self, principal, password):
        """kinit into a credential cache of the principal's own: a User."""
        return User(self, principal, password)


class User:
    """A principal with a ticket, asking httpd through curl --negotiate."""

    def __init__(self, kdc, principal, password):
        self.kdc = kdc
        self.principal = principal
        self.ccache = os.path.join(kdc.dir, "cc-" + principal.replace("/", "_").replace("@", "_"))
        res = subprocess.run(["kinit", principal], input=password + "\n", capture_output=True,
                             text=True, env=self.env())
        if res.returncode != 0:
            raise RuntimeError("kinit %s: %s%s" % (principal, res.stdout, res.stderr))

    def env(self):
        return self.kdc.env(KRB5CCNAME="FILE:" + self.ccache)

    def curl(self, port, path, negotiate=True, timeout=20):
        """(status, body) of GET http://localhost:port/habitual/path."""
        url = "http://localhost:%d/habitual/%s" % (port, path.lstrip("/"))
        cmd = ["curl", "-s", "-S", "--max-time", str(timeout), "--resolve",
               "localhost:%d:127.0.0.1" % port, "-o", "-", "-w", "\n%{http_code}"]
        if negotiate:
            cmd += ["--negotiate", "-u", ":"]
        res = subprocess.run(cmd + [url], capture_output=True, text=True, env=self.env(),
                             timeout=timeout + 5)
        body, _, code = res.stdout.rpartition("\n")
        return int(code or 0), body
