"""Fixtures for the integration suite: the real rig (slapd + httpd + SQLite)
and a small client that signs in as a rig user."""

import os
import shutil
import sqlite3
import tempfile
import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "rig"))
import rig  # noqa: E402


class Client:
    """One signed-in user.  Fetches the CSRF token from api/me on demand."""

    def __init__(self, base, user, password=rig.PASSWORD):
        self.base = base
        self.user = user
        self.session = requests.Session()
        self.session.auth = (user, password)
        self._token = None

    def url(self, path):
        return self.base + "/" + path.lstrip("/")

    def token(self):
        if self._token is None:
            r = self.get("api/me")
            assert r.status_code == 200, (self.user, r.status_code, r.text)
            self._token = r.json()["csrf_token"]
        return self._token

    def get(self, path, **kw):
        kw.setdefault("timeout", 30)
        return self.session.get(self.url(path), **kw)

    def send(self, method, path, body=None, token=True, headers=None, data=None, **kw):
        h = {}
        if token is True:
            h["X-CSRF-Token"] = self.token()
        elif token:
            h["X-CSRF-Token"] = token
        if body is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        kw.setdefault("timeout", 30)
        return self.session.request(method, self.url(path), json=body if data is None else None,
                                    data=data, headers=h, **kw)

    def post(self, path, body=None, **kw):
        return self.send("POST", path, body, **kw)

    def delete(self, path, **kw):
        return self.send("DELETE", path, None, **kw)


class Db:
    """Read-only look at the rig's database, for "nothing was written" checks."""

    def __init__(self, path):
        self.path = path

    def connect(self):
        c = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=10)
        c.row_factory = sqlite3.Row
        return c

    def query(self, sql, args=()):
        with self.connect() as c:
            return [dict(r) for r in c.execute(sql, args).fetchall()]

    def scalar(self, sql, args=()):
        with self.connect() as c:
            return c.execute(sql, args).fetchone()[0]

    def tables(self):
        return [r["name"] for r in self.query(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]

    def counts(self, exclude=("access_log",)):
        """Row count of every table (the access log apart, unless asked)."""
        return {t: self.scalar('SELECT count(*) FROM "%s"' % t) for t in self.tables()
                if t not in exclude}

    def log_count(self):
        return self.scalar("SELECT count(*) FROM access_log")


class RigFixture:
    def __init__(self, r):
        self.rig = r
        self.httpd = r.httpd
        self.slapd = r.slapd
        self.db = Db(r.db)
        self._clients = {}

    def as_user(self, user):
        if user not in self._clients:
            self._clients[user] = Client(self.httpd.base(), user)
        return self._clients[user]

    def admin(self, *args, **kw):
        return rig.admin(self.rig.db, *args, **kw)


def _check_sanitizers(r):
    reports = r.httpd.sanitizer_reports()
    texts = [open(f, errors="replace").read() for f in reports]
    log = r.httpd.read_error_log()
    crashed = [line for line in log.splitlines() if "Segmentation fault" in line or "exit signal" in line]
    assert not texts, "sanitizer reports:\n" + "\n".join(texts)
    assert not crashed, "httpd children crashed:\n" + "\n".join(crashed)


@pytest.fixture(scope="session")
def shared_rig():
    """One rig for the tests that need no special configuration."""
    r = rig.Rig()
    yield RigFixture(r)
    r.httpd.stop()
    _check_sanitizers(r)
    r.stop()


@pytest.fixture
def own_rig(request):
    """A rig of the test's own, for tests that stop servers or change config.
    Parametrise with indirect=True to pass Httpd keyword arguments."""
    kwargs = getattr(request, "param", {}) or {}
    r = rig.Rig(**kwargs)
    yield RigFixture(r)
    r.httpd.stop()
    _check_sanitizers(r)
    r.stop()


@pytest.fixture
def workdir():
    """A directory the server's user can reach (pytest's tmp_path is 0700)."""
    d = tempfile.mkdtemp(prefix="habitual-test-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)
