"""Test certificates for a TLS slapd (tests/integration/test_ldaps.py), made
with the openssl command line in the test's own directory: a CA, a server
certificate it signs for 127.0.0.1 and localhost, a second CA that signed
nothing here (the "wrong CA"), and a server certificate that has expired
(signed with the clock turned back by libfaketime's `faketime`).  Keys are
EC P-256: quick to make.  Nothing outside the directory is touched."""

import os
import shutil
import subprocess


def available():
    """None when the tools are here, else why not."""
    for tool in ("openssl", "faketime"):
        if not shutil.which(tool):
            return "%s is not installed (Debian package %s)" % (tool, tool)
    return None


def _openssl(*args, faketime=None, cwd=None):
    cmd = ["openssl"] + list(args)
    if faketime:
        cmd = ["faketime", "-f", faketime] + cmd
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if res.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), res.stderr))
    return res.stdout


class Ca:
    def __init__(self, dir, name):
        os.makedirs(dir, exist_ok=True)
        self.dir = dir
        self.key_file = os.path.join(dir, name + ".key")
        self.cert_file = os.path.join(dir, name + ".crt")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", self.key_file, "-out", self.cert_file, "-days", "30",
                 "-subj", "/O=Council Test/CN=%s" % name,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        os.chmod(self.key_file, 0o600)
        os.chmod(self.cert_file, 0o644)

    def issue(self, name, hosts=("127.0.0.1", "localhost"), days=30, faketime=None):
        """A server certificate for hosts; faketime (e.g. "-60d") signs it
        with the clock turned back, so days=1 gives one that has expired."""
        return ServerCert(self, name, hosts, days, faketime)


class ServerCert:
    def __init__(self, ca, name, hosts, days, faketime):
        d = ca.dir
        self.ca_file = ca.cert_file
        self.key_file = os.path.join(d, name + ".key")
        self.cert_file = os.path.join(d, name + ".crt")
        csr = os.path.join(d, name + ".csr")
        ext = os.path.join(d, name + ".ext")
        sans = ",".join(("IP:%s" if h.replace(".", "").isdigit() else "DNS:%s") % h for h in hosts)
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth\nsubjectAltName=%s\n" % sans)
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", self.key_file, "-out", csr, "-subj", "/O=Council Test/CN=%s" % hosts[0])
        _openssl("x509", "-req", "-in", csr, "-CA", ca.cert_file, "-CAkey", ca.key_file,
                 "-CAcreateserial", "-days", str(days), "-extfile", ext, "-out", self.cert_file,
                 faketime=faketime)
        os.chmod(self.key_file, 0o600)
        os.chmod(self.cert_file, 0o644)

    def not_after(self):
        return _openssl("x509", "-noout", "-enddate", "-in", self.cert_file).strip()


class TestPki:
    """The test's CA, a good server certificate, an expired one and a CA
    that signed neither."""

    def __init__(self, dir):
        self.dir = dir
        self.ca = Ca(os.path.join(dir, "ca"), "council-test-ca")
        self.server = self.ca.issue("ldap-server")
        self.expired = self.ca.issue("ldap-expired", days=1, faketime="-10d")
        self.wrong_ca = Ca(os.path.join(dir, "wrong-ca"), "some-other-ca")
        for sub in ("ca", "wrong-ca"):
            os.chmod(os.path.join(dir, sub), 0o755)
