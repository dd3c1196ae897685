"""Issue 7, faults: kill -9 of every httpd process during writes (on one
child and on Debian's stock mpm_event.conf), 8 writers on two servers of
three children each, two servers and an outside write lock on one database, LDAP down or silent
(beyond test_foundation's api/me checks), an unwritable database and a full
disk, and group removal within the LDAP cache lifetime.

On PostgreSQL (HABITUAL_DB=pgsql) the outside write lock is the driver's
advisory lock held by another session; a read-only database is
default_transaction_read_only set for the database or the whole server; a
full disk is the database's tablespace on a full tmpfs.  The chmod tests
are SQLite's own (file modes mean nothing to a database server)."""

import base64
import os
import re
import shutil
import stat
import threading
import time

import pytest
import requests

import rig
import helpers_procedure as hp
from conftest import pgsql_only, sqlite_only
from helpers_faults import (LogWatch, ManualRig, Outcome, OutsideWriteLock, PrivateRig, SilentOn, TmpfsRig,
                            assert_2xx_or_503, assert_chain_verifies, contact, contacts_by_summary,
                            fill_filesystem, free_bytes, integrity, kill9_everything, new_fixture,
                            port_closes, post_json, scan_error_log, settle_wal, stop_rig, token_for,
                            try_mount_tmpfs, uid, umount)


@pytest.fixture(autouse=True)
def error_log_scanned(request):
    """Item 7, beyond conftest's teardown: the error log of a test's own rig
    holds no sanitizer report, no crash and no 500 (rigs built by hand are
    scanned by stop_rig)."""
    fx = request.getfixturevalue("own_rig") if "own_rig" in request.fixturenames else None
    yield
    if fx is not None:
        scan_error_log(fx.httpd)


# ---- 1. kill -9 of every httpd process during 200 concurrent writes ----

# Both on the rig's one child and on Debian's stock mpm_event.conf (two
# children from the start, more under load): the writers of several
# processes share the database and its lock.
MPMS = pytest.mark.parametrize("own_rig", [{}, {"mpm": "stock"}], ids=["one-child", "stock-mpm"],
                               indirect=True)
# the same two, for the tests that build their rig by hand
MPM_NAMES = pytest.mark.parametrize("mpm", ["rig", "stock"], ids=["one-child", "stock-mpm"])


@MPMS
def test_kill_9_of_every_httpd_process_during_200_writes_loses_and_doubles_nothing(own_rig):
    fx = own_rig
    base = fx.httpd.base()
    cases = [hp.raise_case(fx) for _ in range(4)]
    token = token_for(base, "carol")
    run = "K9-%s-" % uid()
    today = hp.iso(hp.today())
    # 200 writers, each posting again as soon as it is answered: whenever the
    # kill lands, writes are in flight (received, queued or being committed).
    outcomes, lock = [], threading.Lock()
    go, stop = threading.Event(), threading.Event()
    answered = threading.Semaphore(0)

    def writer(n, cid):
        go.wait()
        for i in range(1000):
            o = Outcome(run + "%03d-%03d" % (n, i))
            with lock:
                outcomes.append(o)
            o.record(lambda: post_json(base, "carol", token, "api/cases/%d/contacts" % cid,
                                       contact(o.key, today), timeout=20))
            answered.release()
            if o.status is None or stop.is_set():
                return

    threads = [threading.Thread(target=writer, args=(n, cases[n % len(cases)])) for n in range(200)]
    for t in threads:
        t.start()
    go.set()
    # Kill once 50 writes have been answered.
    for _ in range(50):
        assert answered.acquire(timeout=30), "no answers from httpd"
    killed = kill9_everything(fx.httpd)
    # now: while the writers below wind down, another suite's server may
    # take the freed port
    closed = port_closes(fx.httpd.port)
    stop.set()
    for t in threads:
        t.join(60)
    assert len(killed) >= 2, killed  # the parent and at least one child
    assert closed, "a process still listens on httpd's port after the kill"

    ok = [o for o in outcomes if o.ok]
    assert all(o.status == 201 for o in ok), [o for o in ok if o.status != 201]
    assert len(ok) >= 50
    unanswered = [o for o in outcomes if o.status is None]
    assert unanswered, "every write was answered before the kill: nothing was in flight"
    # no answer but 2xx before the kill (503 would be allowed, 500 never)
    assert all(o.status in (None, 201, 503) for o in outcomes), [o for o in outcomes if o.status not in (None, 201, 503)]

    fx.httpd.start()  # same configuration, same database
    assert fx.as_user("carol").get("api/me").status_code == 200

    by = contacts_by_summary(fx.db, run)
    doubled = {s: rows for s, rows in by.items() if len(rows) > 1}
    assert not doubled, "writes stored twice: %s" % doubled
    lost = [o.key for o in ok if o.key not in by]
    assert not lost, "writes answered 201 but lost: %s" % lost
    for o in ok:
        assert by[o.key][0]["id"] == o.body["contact_id"], (o.key, by[o.key], o.body)
    # each stored write committed with its access-log entry, and vice versa
    log = fx.db.query("SELECT request_id, status, outcome FROM access_log WHERE action = 'case.contact' "
                      "AND case_id IN (%s)" % ",".join(str(c) for c in cases))
    allowed = [e for e in log if e["outcome"] == "allowed"]
    assert len(allowed) == len(by), (len(allowed), len(by))
    ids = {e["request_id"] for e in allowed}
    assert all(o.headers.get("X-Request-Id") in ids for o in ok)
    # what the API shows after the restart is what was stored
    shown = set()
    for cid in cases:
        shown |= {c["summary"] for c in hp.case_file(fx, cid)["contacts"] if c["summary"].startswith(run)}
    assert shown == set(by)

    assert integrity(fx.rig.db) == ["ok"]
    assert_chain_verifies(fx)
    v = fx.as_user("audrey").get("api/audit/verify").json()
    assert v["ok"] is True, v
    # and the service writes again
    hp.add_contact(fx, cases[0], summary=run + "after-restart")


# ---- 1b. 8 writers on 2 servers of 3 children each ----

# Which process answered: the access log's own line, with the child's pid.
PID_LOG = 'LogFormat "%P %>s %r" withpid\nCustomLog "{d}/pids.log" withpid\n'


def _writers_by_pid(httpd):
    """The children that answered a contact's POST with 201, and how often."""
    with open(os.path.join(httpd.dir, "pids.log")) as f:
        pids = [line.split()[0] for line in f if " 201 POST " in line and "/contacts" in line]
    return {p: pids.count(p) for p in set(pids)}


def test_eight_writers_on_two_servers_of_three_children_lose_and_double_nothing(workdir):
    r = rig.Rig(workdir=workdir, mpm="three", extra_server=PID_LOG.format(d=os.path.join(workdir, "httpd")))
    fx = new_fixture(r)
    other = rig.Httpd(workdir, r.slapd.port, name="httpd-b", db=r.db, mpm="three",
                      extra_server=PID_LOG.format(d=os.path.join(workdir, "httpd-b"))).start()
    try:
        bases = {"a": r.httpd.base(), "b": other.base()}
        cases = [hp.raise_case(fx) for _ in range(4)]
        tokens = {k: token_for(b, "carol") for k, b in bases.items()}
        other.fix_db_owner()
        run = "EIGHT-%s-" % uid()
        today = hp.iso(hp.today())
        log_before = fx.db.log_count()
        outcomes, lock = [], threading.Lock()

        def writer(n):
            server = "ab"[n % 2]
            for i in range(40):
                key = "%s%d-%03d" % (run, n, i)
                o = Outcome(key, server).record(
                    lambda: post_json(bases[server], "carol", tokens[server],
                                      "api/cases/%d/contacts" % cases[(n + i) % len(cases)],
                                      contact(key, today)))
                with lock:
                    outcomes.append(o)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)

        assert len(outcomes) == 8 * 40
        assert all(o.status == 201 for o in outcomes), [o for o in outcomes if o.status != 201][:5]
        by = contacts_by_summary(fx.db, run)
        assert sorted(by) == sorted(o.key for o in outcomes), "a write lost or not answered"
        doubled = {k: rows for k, rows in by.items() if len(rows) > 1}
        assert not doubled, "writes stored twice: %s" % doubled
        for o in outcomes:
            assert by[o.key][0]["id"] == o.body["contact_id"], (o.key, by[o.key], o.body)
        assert fx.db.log_count() - log_before == len(outcomes)   # one entry per write, one chain
        # each server's writes came from more than one of its children
        for httpd in (r.httpd, other):
            children = _writers_by_pid(httpd)
            assert sum(children.values()) == 8 * 40 // 2, children
            assert len(children) >= 2, "one child took every write: %s" % children
        assert integrity(r.db) == ["ok"]
        assert_chain_verifies(fx)
        assert fx.as_user("audrey").get("api/audit/verify").json()["ok"] is True
        scan_error_log(other)
    finally:
        other.stop()
        fx.db.close()
        stop_rig(r)


# ---- 2. two servers on one database, and an outside write lock ----

BUSY_TIMEOUT = 5.0  # README "Storage": busy_timeout 5 s (SQLite), lock timeouts 5 s (PostgreSQL)


@MPMS
@pytest.mark.parametrize("hold", [2.0, BUSY_TIMEOUT + 1.5],
                         ids=["lock-shorter-than-busy-timeout", "lock-longer-than-busy-timeout"])
def test_two_servers_and_an_outside_write_lock_answer_2xx_or_503_and_count_right(own_rig, hold):
    fx = own_rig
    other = rig.Httpd(fx.rig.workdir, fx.slapd.port, name="httpd-b", db=fx.rig.db,
                      mpm=fx.httpd.mpm_name).start()
    watch_b = LogWatch(other)
    try:
        bases = {"a": fx.httpd.base(), "b": other.base()}
        cases = [hp.raise_case(fx) for _ in range(2)]
        tokens = {k: token_for(b, "carol") for k, b in bases.items()}
        for b in bases.values():  # both servers have their connections open
            assert requests.get(b + "/api/cases/%d" % cases[0], auth=("carol", rig.PASSWORD)).status_code == 200
        other.fix_db_owner()
        run = "LOCK-%s-" % uid()
        today = hp.iso(hp.today())
        log_before = fx.db.log_count()
        outcomes = []
        lock = threading.Lock()
        stop = threading.Event()
        released = {}

        def worker(n):
            server = "ab"[n % 2]
            base = bases[server]
            i = 0
            while not stop.is_set():
                cid = cases[i % len(cases)]
                if i % 3 == 2:
                    o = Outcome("read-%d-%d" % (n, i), server).record(
                        lambda: requests.get(base + "/api/cases/%d" % cid, auth=("carol", rig.PASSWORD),
                                             timeout=30))
                else:
                    key = "%s%02d-%03d" % (run, n, i)
                    o = Outcome(key, server).record(
                        lambda: post_json(base, "carol", tokens[server], "api/cases/%d/contacts" % cid,
                                          contact(key, today)))
                with lock:
                    outcomes.append(o)
                i += 1

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            holder = OutsideWriteLock(fx.rig.db)
            try:
                holder.acquire()
                time.sleep(hold)
                holder.release()
                released["at"] = time.time()
            finally:
                holder.close()
            time.sleep(1.5)
        finally:
            stop.set()
            for t in threads:
                t.join(60)

        busy = assert_2xx_or_503(outcomes)
        ok = [o for o in outcomes if o.ok]
        writes_ok = [o for o in ok if o.key.startswith(run)]
        assert {o.server for o in writes_ok} == {"a", "b"}, "both servers wrote"

        # row counts equal the 2xx count: each 201 stored once, each 503 not at all
        by = contacts_by_summary(fx.db, run)
        assert sorted(by) == sorted(o.key for o in writes_ok)
        assert all(len(rows) == 1 for rows in by.values())
        # and the access log holds one entry per 2xx answer (a 503 for a busy
        # database cannot write one)
        assert fx.db.log_count() - log_before == len(ok), (fx.db.log_count() - log_before, len(ok), len(busy))

        # answered 2xx after waiting for the lock (in flight across its release)
        waited = [o for o in ok if o.started < released["at"] - 0.5 and o.ended >= released["at"] - 0.05]
        if hold < BUSY_TIMEOUT:
            assert not busy, "a lock shorter than the busy timeout must be waited for: %s" % busy[:5]
            assert waited, "no request waited for the lock and succeeded"
        else:
            assert busy, "a lock held %.1f s, past the %.0f s busy timeout, gave no 503" % (hold, BUSY_TIMEOUT)
            for o in busy:  # waited for the busy timeout, not much longer
                assert o.ended - o.started < BUSY_TIMEOUT + 2.5, (o, o.ended - o.started)
            logs = fx.httpd.read_error_log() + other.read_error_log()
            assert re.search(r"HAB\d{5}: .*" + OutsideWriteLock.LOG_PATTERN[rig.ENGINE], logs), logs[-2000:]
        after = [o for o in ok if o.started > released["at"] + 0.1]
        assert after, "service did not resume after the lock was released"

        assert integrity(fx.rig.db) == ["ok"]
        assert_chain_verifies(fx)
    finally:
        other.stop()
        watch_b.assert_clean(allow_500=False)


# ---- 3. LDAP stopped, or accepting and silent ----

def _form(token, summary, day):
    return {"csrf_token": token, "at_day": str(day.day), "at_month": str(day.month),
            "at_year": str(day.year), "channel": "phone", "direction": "inbound", "summary": summary}


def _every_kind_of_request(fx, cid, tokens, run):
    """An API read, a page, a list page, an API write, a page form write and
    another role's list, all at once."""
    base = fx.httpd.base()
    carol = ("carol", rig.PASSWORD)
    today = hp.today()
    calls = {
        "api/me": lambda: requests.get(base + "/api/me", auth=carol, timeout=30),
        "GET api/cases/{id}": lambda: requests.get(base + "/api/cases/%d" % cid, auth=carol, timeout=30),
        "GET page cases/{id}": lambda: requests.get(base + "/cases/%d" % cid, auth=carol, timeout=30),
        "GET page cases": lambda: requests.get(base + "/cases", auth=carol, timeout=30),
        "POST api contacts": lambda: post_json(base, "carol", tokens["carol"], "api/cases/%d/contacts" % cid,
                                               contact(run + "api", hp.iso(today))),
        "POST page contacts": lambda: requests.post(base + "/cases/%d/contacts" % cid, auth=carol, timeout=30,
                                                    data=_form(tokens["carol"], run + "page", today),
                                                    allow_redirects=False),
        "GET api/notices (olive)": lambda: requests.get(base + "/api/notices", auth=("olive", rig.PASSWORD),
                                                        timeout=30),
    }
    outcomes = [Outcome(k) for k in calls]
    threads = [threading.Thread(target=o.record, args=(calls[o.key],)) for o in outcomes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


@MPM_NAMES
@pytest.mark.parametrize("outage,limit", [("stopped", 3.0), ("silent", 5.0)])
def test_ldap_outage_serves_nothing_then_service_returns_by_itself(outage, limit, mpm):
    """README: when the directory cannot answer, 503 with Retry-After: 5 and
    a HAB10101 line, never a guess.  Beyond test_foundation (api/me): pages,
    reads, API and form writes, within LDAPConnectionTimeout/LDAPTimeout (2 s,
    retries 0); nothing of the case is served or written, no access-log
    entry says "allowed"; then LDAP comes back on the same port and service
    resumes without touching httpd.  Also on the stock MPM: several children,
    each with its own LDAP connections and role cache."""
    r = ManualRig(mpm=mpm)
    fx = new_fixture(r)
    silent = None
    try:
        person = "Olwen Outage %s" % uid()
        cid = hp.raise_case(fx, person={"name": person, "reference": "OUT-" + uid()})
        hp.add_contact(fx, cid)
        tokens = {"carol": fx.as_user("carol").token()}
        run = "OUTAGE-%s-" % uid()
        counts, seq_before = fx.db.counts(), fx.db.scalar("SELECT max(seq) FROM access_log")
        log_before = len(fx.httpd.read_error_log())

        r.slapd.stop()
        if outage == "silent":
            silent = SilentOn(r.slapd.port)
        time.sleep(1.3)  # past LDAPCacheTTL/LDAPOpCacheTTL of 1 s
        outcomes = _every_kind_of_request(fx, cid, tokens, run)
        for o in outcomes:
            assert o.error is None, (o, o.error)
            assert o.status == 503, (o, o.body)
            assert o.headers.get("Retry-After") == "5", (o, o.headers)
            assert o.ended - o.started < limit, (o, o.ended - o.started)
            text = o.body if isinstance(o.body, str) else repr(o.body)
            assert person not in text and "OUT-" not in text, "served case data during the outage: %s" % o
            if o.key.startswith("GET page"):
                assert "the service is unavailable" in text, text[:500]
            elif o.key != "POST page contacts":
                assert o.body["error"]["code"] == "unavailable", o.body
        assert fx.db.counts() == counts, "something was written during the outage"
        entries = fx.db.query("SELECT * FROM access_log WHERE seq > ?", (seq_before,))
        assert not [e for e in entries if e["outcome"] == "allowed"], entries
        assert all(e["status"] == 503 and e["outcome"] == "error" for e in entries), entries
        outage_log = fx.httpd.read_error_log()[log_before:]
        assert "HAB10101" in outage_log, outage_log

        if silent:
            silent.close()
            silent = None
        r.slapd.start()  # the same port
        deadline = time.time() + 15
        while time.time() < deadline:
            if requests.get(fx.httpd.base() + "/api/me", auth=("carol", rig.PASSWORD), timeout=30).status_code == 200:
                break
            time.sleep(0.2)
        c = fx.as_user("carol")
        assert c.get("api/me").status_code == 200, "service did not return after LDAP came back"
        assert hp.case_file(fx, cid)["person"]["name"] == person
        page = c.get("cases/%d" % cid)
        assert page.status_code == 200 and person in page.text
        hp.add_contact(fx, cid, summary=run + "after")
        form = c.session.post(c.url("cases/%d/contacts" % cid), data=_form(c.token(), run + "page-after", hp.today()),
                              allow_redirects=False, timeout=30)
        assert form.status_code == 303, (form.status_code, form.text[:300])
        summaries = [x["summary"] for x in hp.case_file(fx, cid)["contacts"]]
        assert run + "after" in summaries and run + "page-after" in summaries
        assert run + "api" not in summaries and run + "page" not in summaries
    finally:
        if silent:
            silent.close()
        stop_rig(r)


# ---- 4. the database cannot be written: read-only file or directory, full disk ----

def _cases_for_the_fault(fx):
    person = "Una Writable %s" % uid()
    referred = hp.raise_case(fx, person={"name": person, "reference": "UW-" + uid()})
    reported = hp.raise_case(fx)
    hp.warn(fx, reported)
    hp.report(fx, reported)
    return person, referred, reported


def _cannot_write(fx, person, referred, reported, counts_before):
    """Every write answers 503 with Retry-After; what needs no database
    still works; a read of case data, whose access-log entry cannot be
    written, answers 503 (README, "The access log") and shows nothing."""
    c, alice, chris = fx.as_user("carol"), fx.as_user("alice"), fx.as_user("chris")
    today = hp.today()
    writes = {
        "POST api contacts": c.post("api/cases/%d/contacts" % referred, contact("FAULT-api", hp.iso(today))),
        "POST page contacts": c.session.post(c.url("cases/%d/contacts" % referred), timeout=30,
                                             data=_form(c.token(), "FAULT-page", today), allow_redirects=False),
        "POST api/cases": alice.post("api/cases", hp.concern_body()),
        "POST decision": chris.post("api/cases/%d/decision" % reported, hp.approve_body()),
        "POST api/absences": chris.post("api/absences", {"from": hp.iso(today), "to": hp.iso(today), "note": "x"}),
    }
    reads = {
        "GET api/cases/{id}": c.get("api/cases/%d" % referred),
        "GET page cases/{id}": c.get("cases/%d" % referred),
        "GET api/cases": c.get("api/cases"),
        "GET api/notices": fx.as_user("olive").get("api/notices"),
    }
    for what, r in list(writes.items()) + list(reads.items()):
        assert r.status_code == 503, (what, r.status_code, r.text[:300])
        assert r.headers.get("Retry-After") == "5", (what, r.headers)
        assert person not in r.text and "UW-" not in r.text, (what, r.text[:300])
        if "page" not in what:
            assert r.json()["error"]["code"] == "unavailable", (what, r.text)
    # what needs no database still works
    for user in ("carol", "alice"):
        me = fx.as_user(user).get("api/me")
        assert me.status_code == 200 and me.json()["user"] == user, me.text
    form = alice.get("concerns/new")
    assert form.status_code == 200 and "Raise a concern" in form.text


def _reason_logged(httpd, since, pattern, person, cause=None):
    """The error log says why, and (cause) with the engine's own code."""
    text = httpd.read_error_log()[since:]
    lines = [line for line in text.splitlines() if re.search(r"HAB\d{5}: .*(%s)" % pattern, line)]
    assert lines, "error.log does not say why:\n" + text[-3000:]
    if cause:
        assert any(re.search(cause, line) for line in lines), "no engine code %s in:\n%s" % (cause, "\n".join(lines))
    assert person not in text, "personal data in error.log"
    return lines


def _recovered(fx, referred, reported):
    out = hp.add_contact(fx, referred, summary="FAULT-after")
    assert out["contact_id"]
    hp.approve(fx, reported)
    assert hp.case_file(fx, reported)["status"] == "active"
    assert integrity(fx.rig.db) == ["ok"]
    assert_chain_verifies(fx)


def _writable_again(db):
    """SQLite creates -wal and -shm with the database file's mode: give
    them back their write bit too, as an operator fixing the mode would."""
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.chmod(db + suffix, 0o644)


@sqlite_only("file modes of the SQLite file and its directory")
@pytest.mark.parametrize("what", ["db-file", "db-directory"])
def test_read_only_database_answers_503_for_writes_and_logged_reads_and_writes_nothing(own_rig, what):
    """chmod so that httpd's user cannot write (the tests run as root; httpd's
    children as www-data).  Connections open before the chmod keep their
    file descriptors, so httpd is restarted to open new ones, as after a
    deployment that got the permissions wrong."""
    fx = own_rig
    httpd = fx.httpd
    person, referred, reported = _cases_for_the_fault(fx)
    counts = fx.db.counts(exclude=())
    target = httpd.db if what == "db-file" else httpd.db_dir
    mode = stat.S_IMODE(os.stat(target).st_mode)
    httpd.stop()
    settle_wal(httpd.db)
    os.chmod(target, 0o444 if what == "db-file" else 0o555)
    try:
        since = len(httpd.read_error_log())
        httpd.start()
        _cannot_write(fx, person, referred, reported, counts)
        _reason_logged(httpd, since, "readonly|read-only|cannot be written", person)
    finally:
        os.chmod(target, mode)
        _writable_again(httpd.db)
    httpd.fix_db_owner()
    assert fx.db.counts(exclude=()) == counts, "something was half-written"
    httpd.fix_db_owner()
    if what == "db-directory":
        # each request tries to open its connection again: no restart needed
        _recovered(fx, referred, reported)
    else:
        httpd.stop()
        httpd.start()
        _recovered(fx, referred, reported)


@sqlite_only("the file mode of the SQLite file")
def test_writes_resume_without_restart_once_the_database_file_is_writable_again(own_rig):
    fx = own_rig
    httpd = fx.httpd
    person, referred, reported = _cases_for_the_fault(fx)
    httpd.stop()
    settle_wal(httpd.db)
    os.chmod(httpd.db, 0o444)
    try:
        httpd.start()
        r = fx.as_user("carol").post("api/cases/%d/contacts" % referred, contact("FAULT-ro", hp.iso(hp.today())))
        assert r.status_code == 503
    finally:
        os.chmod(httpd.db, 0o644)
        _writable_again(httpd.db)
    deadline = time.time() + 6  # past Retry-After: 5
    while True:
        r = fx.as_user("carol").post("api/cases/%d/contacts" % referred, contact("FAULT-rw", hp.iso(hp.today())))
        if r.status_code == 201 or time.time() > deadline:
            break
        time.sleep(0.5)
    assert r.status_code == 201, (r.status_code, r.text)


@sqlite_only("the SQLite file on a full tmpfs (PostgreSQL: the tablespace test below)")
@MPM_NAMES
def test_full_disk_answers_503_writes_nothing_and_recovers_when_space_returns(mpm):
    """The database on a 3 MB tmpfs (mount -t tmpfs, as root), filled to
    the last byte by a file beside it."""
    r = TmpfsRig("3m", mpm=mpm)
    if r.why_not:
        pytest.skip("cannot mount a tmpfs here (%s)" % r.why_not)
    fx = new_fixture(r)
    filler = None
    try:
        person, referred, reported = _cases_for_the_fault(fx)
        counts = fx.db.counts(exclude=())
        since = len(r.httpd.read_error_log())
        filler = fill_filesystem(r.mount)
        assert free_bytes(r.mount) == 0
        _cannot_write(fx, person, referred, reported, counts)
        # a write larger than anything before, still nothing
        big = fx.as_user("carol").post("api/cases/%d/contacts" % referred, contact("F" * 19000, hp.iso(hp.today())))
        assert big.status_code == 503 and big.headers.get("Retry-After") == "5"
        assert fx.db.counts(exclude=()) == counts, "something was half-written"
        _reason_logged(r.httpd, since, "disk is full|database or disk is full|SQLITE_FULL", person,
                       cause=r"\[sqlite 13\]")   # SQLITE_FULL
        os.unlink(filler)
        filler = None
        _recovered(fx, referred, reported)
    finally:
        if filler:
            os.unlink(filler)
        stop_rig(r)


def _end_app_sessions(server, db):
    """End every session httpd has open on db (pg_terminate_backend), as a
    DBA does to make a new database setting apply; the module must open new
    ones by itself."""
    rows = server.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND usename = %s", (db.name, rig.APP_ROLE))
    deadline = time.time() + 10
    while time.time() < deadline and server.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND usename = %s",
            (db.name, rig.APP_ROLE))[0][0]:
        time.sleep(0.05)
    return len(rows or [])


def _set_read_only(r, how, on):
    server, db = r.server, r.db
    c = server.connect()
    try:
        with c.cursor() as cur:
            cur.execute("SET default_transaction_read_only = off")   # the DBA's own session
            if how == "alter-database":
                cur.execute('ALTER DATABASE "%s" %s' % (db.name, "SET default_transaction_read_only = on"
                                                         if on else "RESET default_transaction_read_only"))
            else:
                cur.execute("ALTER SYSTEM %s" % ("SET default_transaction_read_only = on"
                                                  if on else "RESET default_transaction_read_only"))
    finally:
        c.close()
    if how == "alter-database":
        _end_app_sessions(server, db)     # the setting applies to new sessions
    else:
        server.stop()                     # the whole server comes back read-only (or not),
        server.start()                    # on the same port


@pgsql_only("a read-only PostgreSQL")
@pytest.mark.parametrize("how", ["alter-database", "alter-system"])
def test_read_only_postgresql_answers_503_for_writes_and_logged_reads_and_recovers_by_itself(how):
    """README "Storage": a read-only server answers 503 with Retry-After,
    never half a change.  default_transaction_read_only for the database
    (ALTER DATABASE, then the module's sessions ended: it reconnects by
    itself) or for the whole server (ALTER SYSTEM and a restart on the same
    port).  Writes answer 503; reads of case data need their access-log
    entry written, so they answer 503 too and show nothing (README "The
    access log"); what needs no database works.  Nothing is written, the
    error log says why, and once the database is writable again writes
    succeed without touching httpd."""
    r = PrivateRig()
    fx = new_fixture(r)
    try:
        person, referred, reported = _cases_for_the_fault(fx)
        counts = fx.db.counts(exclude=())
        since = len(r.httpd.read_error_log())
        _set_read_only(r, how, True)
        _cannot_write(fx, person, referred, reported, counts)
        _reason_logged(r.httpd, since, "read-only", person)
        assert fx.db.counts(exclude=()) == counts, "something was written to a read-only database"
        _set_read_only(r, how, False)
        _recovered(fx, referred, reported)
    finally:
        fx.db.close()
        stop_rig(r)


def _incompressible(n):
    """Text PostgreSQL cannot compress inline: it needs pages of its own (TOAST)."""
    return base64.b64encode(os.urandom(n))[:n].decode()


@pgsql_only("a PostgreSQL tablespace on a full tmpfs")
@MPM_NAMES
def test_full_disk_under_postgresql_answers_503_writes_nothing_and_recovers_when_space_returns(workdir, mpm):
    """The PostgreSQL equivalent of the SQLite file on a full tmpfs: the
    database's tablespace (its tables, not the server's write-ahead log) on
    a 24 MB tmpfs filled to the last byte.  A write that needs space (a new
    case, a long contact: incompressible text goes to pages of its own)
    answers 503 with Retry-After, never 500, and leaves nothing behind; the
    error log says why; when space returns the same writes succeed, without
    a restart of anything, and the chain and the indexes are sound."""
    mount = os.path.join(workdir, "disk")
    os.makedirs(mount)
    why_not = try_mount_tmpfs(mount, "24m")
    if why_not:
        pytest.skip("cannot mount a tmpfs here (%s)" % why_not)
    server = r = fx = filler = None
    try:
        rig._give_to_postgres(mount)
        server = rig.Postgres()
        server.execute("CREATE TABLESPACE full_disk LOCATION '%s'" % mount)
        server.execute('CREATE DATABASE "habitual_full" TABLESPACE full_disk')
        r = rig.Rig(db=rig.PgDatabase(server, "habitual_full"), mpm=mpm)
        fx = new_fixture(r)
        person, referred, reported = _cases_for_the_fault(fx)
        carol, alice = fx.as_user("carol"), fx.as_user("alice")
        big_contact = contact(_incompressible(19000), hp.iso(hp.today()))
        big_case = hp.concern_body(summary=_incompressible(19000),
                                   person={"name": person + " 2", "reference": "UW-" + uid()})
        counts = fx.db.counts()
        log_before = fx.db.scalar("SELECT max(seq) FROM access_log")
        since = len(r.httpd.read_error_log())
        filler = fill_filesystem(mount)
        assert free_bytes(mount) == 0
        for what, send in [("POST api contacts", lambda: carol.post("api/cases/%d/contacts" % referred, big_contact)),
                           ("POST api/cases", lambda: alice.post("api/cases", big_case))]:
            res = send()
            assert res.status_code == 503, (what, res.status_code, res.text[:300])
            assert res.headers.get("Retry-After") == "5", (what, res.headers)
            assert res.json()["error"]["code"] == "unavailable", (what, res.text)
        assert fx.db.counts() == counts, "something was half-written"
        # the refused writes' own entries, if the log had room for them, say so
        entries = fx.db.query("SELECT outcome, status FROM access_log WHERE seq > ?", (log_before,))
        assert all((e["outcome"], e["status"]) == ("error", 503) for e in entries), entries
        _reason_logged(r.httpd, since, "could not extend|No space left|disk full|53100", person,
                       cause=r"\[pgsql [0-9A-Z]{5}\]")
        os.unlink(filler)
        filler = None
        assert carol.post("api/cases/%d/contacts" % referred, big_contact).status_code == 201
        assert alice.post("api/cases", big_case).status_code == 201
        _recovered(fx, referred, reported)
        assert integrity(fx.rig.db) == ["ok"]
    finally:
        if filler:
            os.unlink(filler)
        if fx is not None:
            fx.db.close()
        if r is not None:
            try:
                scan_error_log(r.httpd)
            finally:
                r.httpd.stop()
                r.slapd.stop()
                shutil.rmtree(r.workdir, ignore_errors=True)
        if server is not None:
            server.destroy()
        umount(mount)


# ---- 5. a group removed in LDAP takes effect within the cache lifetime ----

CACHE_TTL = 2
TTL_CONFIG = ("LDAPConnectionTimeout 2\nLDAPTimeout 2\nLDAPRetries 0\nLDAPRetryDelay 0\n"
              "LDAPCacheTTL %d\nLDAPOpCacheTTL %d\n" % (CACHE_TTL, CACHE_TTL))
# the rig's own per-process role cache (HabitualRoleCacheTTL 1, as rig.Httpd
# sets it with its short LDAP timeouts)
ROLE_TTL = 1


def _roles_change_within(client, pred, limit):
    started = time.time()
    while time.time() - started < limit:
        r = client.get("api/me")
        assert r.status_code == 200, r.text
        if pred(r.json()["roles"]):
            return time.time() - started
        time.sleep(0.1)
    return None


def _leave_and_rejoin_cem(fx, limit):
    cid = hp.raise_case(fx)
    carol = fx.as_user("carol")
    assert carol.get("api/me").json()["roles"] == ["staff", "cem"]
    assert carol.get("api/cases/%d" % cid).status_code == 200  # cem sees every case

    # groupOfNames must keep a member: carol is cem's only one
    fx.slapd.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n" % (rig.group_dn("cem"), rig.ROOT_DN))
    fx.slapd.remove_member("cem", "carol")
    took = _roles_change_within(carol, lambda roles: "cem" not in roles, limit)
    assert took is not None, "carol still has cem %.0f s after leaving the group" % limit
    assert carol.get("api/me").json()["roles"] == ["staff"]
    # and the role's powers went with it
    assert carol.get("api/cases/%d" % cid).status_code == 404
    r = carol.post("api/cases/%d/warning" % cid, {"on": hp.iso(hp.today()), "method": "letter", "text": "x"})
    assert r.status_code in (403, 404), r.text

    fx.slapd.add_member("cem", "carol")
    took_back = _roles_change_within(carol, lambda roles: "cem" in roles, limit)
    assert took_back is not None, "carol has not got cem back %.0f s after rejoining" % limit
    assert carol.get("api/me").json()["roles"] == ["staff", "cem"]
    hp.warn(fx, cid)
    return took, took_back


@pytest.mark.parametrize("own_rig", [{"ldap_timeouts": False,
                                      "extra_server": TTL_CONFIG,
                                      "extra_location": "    HabitualRoleCacheTTL %d\n" % ROLE_TTL}],
                         indirect=True)
def test_group_removal_takes_effect_within_the_ldap_cache_lifetime(own_rig):
    """LDAPCacheTTL/LDAPOpCacheTTL 2 s and the module's own role cache 1 s:
    carol loses cem, and what it let her do, within about 2-4 s; added
    back, she has it again as soon."""
    _leave_and_rejoin_cem(own_rig, CACHE_TTL + ROLE_TTL + 1.0)
