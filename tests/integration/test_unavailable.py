"""Issue 11, finding 10: a 503 tells the client nothing of the database.
With the database unavailable (SQLite: the file moved away from a freshly
started httpd;
PostgreSQL: the server stopped) every answer, JSON and page, is 503 with
Retry-After, a fixed text and the request id (the X-Request-Id header), and
neither the database's path or host nor the engine's words; the error log
has the detail and the same request id.  (test_lockwait checks the same of
the 503s a held lock gives, where the engine's text was "database is
locked" or "lock timeout".)"""

import os
import re
import shutil
import time

import pytest
import requests

import rig
import helpers_procedure as hp
from conftest import PG
from helpers_faults import PrivateRig, contact, new_fixture, stop_rig, token_for

# what a database's error text looks like, on either engine
ENGINE_WORDS = ["sqlite", "database is", "unable to open", "habitual.db", "postgres", "connection to server",
                "127.0.0.1", "refused", "reconnect", "errno", "psql", "libpq", "cannot open"]


def _answers_api_me(httpd):
    """httpd serves (api/me needs no database)."""
    deadline = time.time() + 10
    while True:
        try:
            if requests.get(httpd.base() + "/api/me", auth=("carol", rig.PASSWORD), timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert time.time() < deadline, "httpd does not answer"
        time.sleep(0.1)


def _requests(fx, cid):
    base = fx.httpd.base()
    carol = ("carol", rig.PASSWORD)
    token = token_for(base, "carol")   # api/me needs no database
    return {
        "GET api/cases/{id}": lambda: requests.get(base + "/api/cases/%d" % cid, auth=carol, timeout=30),
        "POST api contacts": lambda: requests.post(
            base + "/api/cases/%d/contacts" % cid, json=contact("U-1", hp.iso(hp.today())), auth=carol,
            timeout=30, headers={"X-CSRF-Token": token, "Content-Type": "application/json"}),
        "GET page cases/{id}": lambda: requests.get(base + "/cases/%d" % cid, auth=carol, timeout=30),
    }


def _where(fx):
    """The database's address as the error text would quote it."""
    if PG:
        return [fx.rig.db.name, str(fx.rig.db.server.port)]
    return [fx.rig.db, os.path.dirname(fx.rig.db)]


def _check(fx, cid, since):
    where = _where(fx)
    for what, send in _requests(fx, cid).items():
        r = send()
        assert r.status_code == 503, (what, r.status_code, r.text[:300])
        assert r.headers.get("Retry-After") == "5", (what, r.headers)
        rid = r.headers.get("X-Request-Id")
        assert rid and re.fullmatch(r"[0-9a-f]{16}", rid), (what, r.headers)
        text = r.text
        low = text.lower()
        for w in where:
            assert w not in text, (what, w, text[:500])
        for w in ENGINE_WORDS:
            assert w not in low, (what, w, text[:500])
        if "page" in what:
            assert "the service is unavailable" in low, text[:500]
            assert rid in text, "the page does not give the request id"
        else:
            err = r.json()["error"]
            assert err["code"] == "unavailable", err
            assert err["request_id"] == rid, err
            assert set(err) == {"code", "message", "request_id"}, err
        log = fx.httpd.read_error_log()[since:]
        assert re.search(r"HAB\d{5}: answering 503 to request %s\b" % rid, log), \
            "no error-log line for request %s:\n%s" % (rid, log[-2000:])
    log = fx.httpd.read_error_log()[since:]
    assert any(w in log for w in where), "the error log lacks the detail:\n" + log[-2000:]


@pytest.mark.skipif(PG, reason="SQLite: the database file")
def test_sqlite_file_gone_answers_503_without_its_path_and_logs_the_detail(own_rig):
    fx = own_rig
    cid = hp.raise_case(fx)
    httpd = fx.httpd
    httpd.stop()
    httpd.start()        # no connection open yet: each is opened at its first use
    _answers_api_me(httpd)
    aside = os.path.join(os.path.dirname(httpd.db), "aside")
    os.makedirs(aside)
    moved = [f for f in (httpd.db, httpd.db + "-wal", httpd.db + "-shm") if os.path.exists(f)]
    for f in moved:
        shutil.move(f, aside)
    try:
        _check(fx, cid, 0)
    finally:
        httpd.stop()
        for f in moved:
            shutil.move(os.path.join(aside, os.path.basename(f)), f)
        httpd.fix_db_owner()
    httpd.start()
    assert fx.as_user("carol").get("api/cases/%d" % cid).status_code == 200


@pytest.mark.skipif(not PG, reason="PostgreSQL: its server")
def test_postgresql_stopped_answers_503_without_its_host_and_logs_the_detail():
    r = PrivateRig()
    fx = new_fixture(r)
    try:
        cid = hp.raise_case(fx)
        assert fx.as_user("carol").get("api/cases/%d" % cid).status_code == 200
        since = len(r.httpd.read_error_log())
        fx.db.close()
        r.server.stop()
        try:
            _check(fx, cid, since)
        finally:
            r.server.start()
        assert fx.as_user("carol").get("api/cases/%d" % cid).status_code == 200
    finally:
        fx.db.close()
        stop_rig(r)
