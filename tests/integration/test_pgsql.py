"""Issue 8: several web servers on one PostgreSQL database.

Two httpd on different ports share one database (and one CSRF secret, as
servers behind a load balancer must): 8 writers spread across both for 20
seconds, then every 2xx write is stored exactly once and the access log is
one chain (verify-audit); PostgreSQL stopped mid-load gives 503 with
Retry-After, never a 500 or a crash, and service returns by itself when it
comes back on the same port; lost connections are re-established inside the
request; the append-only rule is the database's own (for the tables' owner,
for httpd's role and for a role granted everything on the log but owning
nothing); `habitual-admin init` twice leaves the same schema, at the same
version as SQLite's, with the same tables and columns.

These run with HABITUAL_DB=pgsql (make test-integration-pgsql), which also
runs every other integration test on PostgreSQL."""

import os
import re
import threading
import time

import pytest
import requests

import rig
import helpers_access as H
import helpers_procedure as hp
from conftest import PG, SCHEMA_MIGRATIONS, SCHEMA_VERSION, Db, RigFixture, _check_sanitizers, new_database
from helpers_faults import (LogWatch, Outcome, PrivateRig, alive, assert_2xx_or_503, contact,
                            contacts_by_summary, crash_lines, error_500_lines, httpd_parent, post_json,
                            scan_error_log, token_for, uid)

pytestmark = pytest.mark.skipif(not PG, reason="issue 8's PostgreSQL acceptance: runs with HABITUAL_DB=pgsql "
                                               "(make test-integration-pgsql)")

WRITERS = 8
LOAD_SECONDS = 20
SECRET = "two-servers-one-secret-" + "k" * 32


# ---- two servers, one database ----

class TwoServers:
    """slapd + httpd "a" + httpd "b" on one PostgreSQL database (the session's
    server, or one of the test's own), both with the same secret."""

    def __init__(self, private=False):
        self.private = PrivateRig(secret=SECRET) if private else None
        self.inner = self.private.inner if private else rig.Rig(secret=SECRET)
        self.a = self.inner.httpd
        try:
            self.b = rig.Httpd(self.inner.workdir, self.inner.slapd.port, name="httpd-b", db=self.a.db,
                               secret=SECRET).start()
        except Exception:
            self.stop()
            raise
        self.fx = RigFixture(self.inner)
        self.servers = {"a": self.a, "b": self.b}
        self.watch = {k: LogWatch(h) for k, h in self.servers.items()}

    @property
    def db(self):
        return self.a.db

    def base(self, which):
        return self.servers[which].base()

    def stop(self):
        b = getattr(self, "b", None)
        if b is not None:
            b.stop()
        fx = getattr(self, "fx", None)
        if fx is not None:
            fx.db.close()
        if self.private:
            self.private.stop()
        else:
            self.inner.httpd.stop()
            _check_sanitizers(self.inner)
            self.inner.stop()


@pytest.fixture
def two():
    t = TwoServers()
    yield t
    try:
        for h in (t.a, t.b):
            scan_error_log(h)
    finally:
        t.stop()


def assert_one_chain(fx):
    """verify-audit (the module's walk) and the README's encoding walked here
    agree: one chain, seq 1..N without a gap or a fork."""
    res = fx.admin("verify-audit", check=False)
    assert res.returncode == 0 and res.stdout.startswith("ok: "), (res.returncode, res.stdout, res.stderr)
    entries = fx.db.query("SELECT * FROM access_log ORDER BY seq")
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert H.check_chain(entries) is None
    assert res.stdout.strip() == "ok: %d entries, head %s" % (len(entries), entries[-1]["hash"])
    return entries


def test_csrf_token_of_one_server_works_on_the_other(two):
    """Behind a load balancer the next request may reach the other server:
    with the same HabitualSecretFile, a token is good on both."""
    cid = hp.raise_case(two.fx)
    token = token_for(two.base("a"), "carol")
    r = post_json(two.base("b"), "carol", token, "api/cases/%d/contacts" % cid, contact("via b", hp.iso(hp.today())))
    assert r.status_code == 201, r.text
    case = requests.get(two.base("a") + "/api/cases/%d" % cid, auth=("carol", rig.PASSWORD), timeout=30).json()
    assert "via b" in [c["summary"] for c in case["contacts"]]


def test_eight_writers_on_two_servers_for_20_seconds_store_every_2xx_once_in_one_chain(two):
    fx = two.fx
    cases = [hp.raise_case(fx) for _ in range(4)]
    token = token_for(two.base("a"), "carol")
    run = "TWO-%s-" % uid()
    today = hp.iso(hp.today())
    outcomes, lock = [], threading.Lock()
    log_before = fx.db.log_count()
    deadline = time.time() + LOAD_SECONDS

    def writer(n):
        server = "ab"[n % 2]
        base = two.base(server)
        i = 0
        while time.time() < deadline:
            key = "%s%d-%05d" % (run, n, i)
            cid = cases[(n + i) % len(cases)]
            o = Outcome(key, server).record(
                lambda: post_json(base, "carol", token, "api/cases/%d/contacts" % cid, contact(key, today)))
            o.case_id = cid
            with lock:
                outcomes.append(o)
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LOAD_SECONDS + 120)
    assert not any(t.is_alive() for t in threads)

    assert_2xx_or_503(outcomes, allowed=(201, 503))
    ok = [o for o in outcomes if o.status == 201]
    print("\nTWO SERVERS: %d writes in %d s, %d answered 201 (a: %d, b: %d), %d answered 503"
          % (len(outcomes), LOAD_SECONDS, len(ok), sum(o.server == "a" for o in ok),
             sum(o.server == "b" for o in ok), len(outcomes) - len(ok)))
    assert {o.server for o in ok} == {"a", "b"}, "both servers wrote"
    assert len(ok) >= 100, "only %d writes in %d s" % (len(ok), LOAD_SECONDS)

    # every 2xx write present exactly once, with the id it was given, in its case
    by = contacts_by_summary(fx.db, run)
    doubled = {k: v for k, v in by.items() if len(v) > 1}
    assert not doubled, "stored twice: %s" % list(doubled)[:5]
    lost = [o.key for o in ok if o.key not in by]
    assert not lost, "answered 201 but not stored: %s" % lost[:5]
    for o in ok:
        row = by[o.key][0]
        assert (row["id"], row["case_id"]) == (o.body["contact_id"], o.case_id), (o, row)
    refused_but_stored = [o.key for o in outcomes if o.status == 503 and o.key in by]
    assert not refused_but_stored, refused_but_stored[:5]

    # one access-log entry per answer, from both servers, in one chain
    entries = assert_one_chain(fx)
    new = entries[log_before:]
    allowed = {e["request_id"] for e in new if e["action"] == "case.contact" and e["outcome"] == "allowed"}
    assert allowed == {o.headers["X-Request-Id"] for o in ok}
    # a 503 (the write lock not had within the lock timeout) logs no entry
    # of its own, or one saying so
    assert len(ok) <= len(new) <= len(outcomes)
    assert all((e["outcome"], e["status"]) == ("error", 503) for e in new
               if e["request_id"] not in allowed), [e for e in new if e["request_id"] not in allowed][:5]
    ids_by_server = {s: {o.headers["X-Request-Id"] for o in ok if o.server == s} for s in "ab"}
    seqs = {s: [e["seq"] for e in new if e["request_id"] in ids_by_server[s]] for s in "ab"}
    # the servers' entries interleave: neither wrote a run of its own
    assert min(seqs["a"]) < max(seqs["b"]) and min(seqs["b"]) < max(seqs["a"])
    # what the API shows on either server is what was stored
    for cid in cases[:2]:
        for server in "ab":
            shown = requests.get(two.base(server) + "/api/cases/%d" % cid, auth=("carol", rig.PASSWORD),
                                 timeout=30).json()["contacts"]
            assert {c["summary"] for c in shown if c["summary"].startswith(run)} == \
                {k for k, rows in by.items() if rows[0]["case_id"] == cid}
    v = requests.get(two.base("b") + "/api/audit/verify", auth=("audrey", rig.PASSWORD), timeout=60).json()
    assert v["ok"] is True, v


# ---- PostgreSQL stopped mid-load ----

@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgresql_stopped_mid_load_gives_503_and_service_returns_by_itself(mode):
    """Both servers under reads and writes; PostgreSQL stopped ("fast": its
    sessions ended as by pg_ctl -m fast; "immediate": as a crash, recovery at
    the next start) for a few seconds, then started again on the same port.
    Every answer is 2xx or 503 (with Retry-After: 5 and no case data),
    never a 500, a dropped connection or a crashed child; both httpd keep
    their processes and serve again without being touched; each write
    answered 201 is stored once, none twice; the chain verifies."""
    two = TwoServers(private=True)
    server = two.private.server
    fx = two.fx
    try:
        person = "Stella Stopped %s" % uid()
        cid = hp.raise_case(fx, person={"name": person, "reference": "STOP-" + uid()})
        token = token_for(two.base("a"), "carol")
        parents = {k: httpd_parent(h) for k, h in two.servers.items()}
        run = "STOP-%s-" % uid()
        today = hp.iso(hp.today())
        outcomes, lock, stop = [], threading.Lock(), threading.Event()
        phases = {}

        def worker(n):
            server_name = "ab"[n % 2]
            base = two.base(server_name)
            i = 0
            while not stop.is_set():
                if n % 3 == 2:
                    o = Outcome("read-%d-%d" % (n, i), server_name).record(
                        lambda: requests.get(base + "/api/cases/%d" % cid, auth=("carol", rig.PASSWORD),
                                             timeout=30))
                else:
                    key = "%s%d-%04d" % (run, n, i)
                    o = Outcome(key, server_name).record(
                        lambda: post_json(base, "carol", token, "api/cases/%d/contacts" % cid, contact(key, today)))
                with lock:
                    outcomes.append(o)
                i += 1
                time.sleep(0.01)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        try:
            time.sleep(3)
            phases["stopped"] = time.time()
            server.stop(mode)
            time.sleep(4)
            phases["started"] = time.time()
            server.start()
            phases["back"] = None
            deadline = time.time() + 30
            while time.time() < deadline:
                with lock:
                    recent = [o for o in outcomes if o.started > phases["started"] and o.ok]
                if {o.server for o in recent if not o.key.startswith("read")} == {"a", "b"} and \
                        {o.server for o in recent if o.key.startswith("read")} == {"a", "b"}:
                    phases["back"] = time.time()
                    break
                time.sleep(0.2)
            time.sleep(2)
        finally:
            stop.set()
            for t in threads:
                t.join(60)

        unavailable = assert_2xx_or_503(outcomes)
        during = [o for o in outcomes if o.started > phases["stopped"] + 0.5 and o.ended < phases["started"]]
        assert during and all(o.status == 503 for o in during), [o for o in during if o.status != 503][:5]
        for o in unavailable:
            assert person not in repr(o.body) and "STOP-" not in repr(o.body), o
        assert phases["back"] is not None, "service did not return within 30 s of PostgreSQL coming back"
        print("\nSTOPPED (%s): %d requests, %d answered 503; reads and writes on both servers again "
              "%.1f s after the restart" % (mode, len(outcomes), len(unavailable),
                                            phases["back"] - phases["started"]))

        # the same processes, never a 500, never a crash
        for k, h in two.servers.items():
            assert alive(parents[k]) and httpd_parent(h) == parents[k], k
            text = two.watch[k].new_text()
            assert not crash_lines(text), crash_lines(text)
            assert not error_500_lines(text), error_500_lines(text)[:5]
            assert re.search(r"HAB\d{5}: .*(unavailable|connect|terminat|shut)", text, re.I), text[-2000:]
            assert person not in text

        ok_writes = [o for o in outcomes if o.status == 201]
        by = contacts_by_summary(fx.db, run)
        doubled = {k: v for k, v in by.items() if len(v) > 1}
        assert not doubled, "stored twice: %s" % list(doubled)[:5]
        lost = [o.key for o in ok_writes if o.key not in by]
        assert not lost, "answered 201 but not stored: %s" % lost[:5]
        # a 503 whose commit reached the server before it went away may be
        # stored (the answer was lost with the connection): whole, if at all
        in_doubt = [o.key for o in unavailable if o.key in by]
        entries = assert_one_chain(fx)
        allowed = [e for e in entries if e["action"] == "case.contact" and e["outcome"] == "allowed"
                   and e["case_id"] == cid]
        assert len(allowed) == len(by), (len(allowed), len(by), in_doubt)
        assert {o.headers["X-Request-Id"] for o in ok_writes} <= {e["request_id"] for e in allowed}
        # and it writes again, on both
        for name in "ab":
            r = post_json(two.base(name), "carol", token, "api/cases/%d/contacts" % cid,
                          contact(run + "after-" + name, today))
            assert r.status_code == 201, r.text
    finally:
        for h in (two.a, two.b):
            try:
                scan_error_log(h)
            except AssertionError:
                pass
        two.stop()


def test_a_write_answered_201_is_on_disk_before_the_answer():
    """A 201 means the write is on disk, whatever the engine leaves to its
    background writers: here the WAL writer sleeps for 10 s, and PostgreSQL
    crashes (SIGQUIT: WAL still in its memory is lost) right after each 201,
    on one server then the other.  Every write answered 201 is there after
    recovery.  (Measured: a writer committing asynchronously and then
    flushing with a bare txid_current(), which PostgreSQL itself commits
    asynchronously, lost the first one.)"""
    two = TwoServers(private=True)
    server = two.private.server
    fx = two.fx
    try:
        server.execute("ALTER SYSTEM SET wal_writer_delay = '10s'")
        server.execute("SELECT pg_reload_conf()")
        cid = hp.raise_case(fx, person={"name": "Della Durable %s" % uid(), "reference": "DUR-" + uid()})
        token = token_for(two.base("a"), "carol")
        run, today = "DUR-%s-" % uid(), hp.iso(hp.today())
        for i, name in enumerate("abab"):
            r = post_json(two.base(name), "carol", token, "api/cases/%d/contacts" % cid,
                          contact(run + str(i), today))
            assert r.status_code == 201, r.text
            server.stop("immediate")
            server.start()
            assert run + str(i) in contacts_by_summary(fx.db, run), "answered 201, lost in the crash"
            # the servers' connections died with it: they come back by themselves
            for other in "ab":
                deadline = time.time() + 30
                while requests.get(two.base(other) + "/api/cases/%d" % cid, auth=("carol", rig.PASSWORD),
                                   timeout=30).status_code != 200 and time.time() < deadline:
                    time.sleep(0.2)
        assert len(contacts_by_summary(fx.db, run)) == 4
        assert_one_chain(fx)
    finally:
        two.stop()


def test_lost_connections_are_reestablished_inside_the_request(two):
    """Every session httpd has is ended (pg_terminate_backend, as a DBA or a
    failover does) while both servers are idle: the next requests reconnect
    inside themselves and answer as usual, without a 503 (README: a lost
    connection is re-established at the start of the next request's
    transaction)."""
    fx = two.fx
    cid = hp.raise_case(fx)
    token = token_for(two.base("a"), "carol")
    for name in "ab":   # open a few connections on each
        for _ in range(3):
            assert requests.get(two.base(name) + "/api/cases/%d" % cid, auth=("carol", rig.PASSWORD),
                                timeout=30).status_code == 200
    server = two.db.server
    ended = server.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                           "AND usename = %s", (two.db.name, rig.APP_ROLE))
    assert len(ended) >= 2
    time.sleep(0.5)
    answers = []
    for name in "ab":
        for i in range(3):
            answers.append(requests.get(two.base(name) + "/api/cases/%d" % cid, auth=("carol", rig.PASSWORD),
                                        timeout=30))
            answers.append(post_json(two.base(name), "carol", token, "api/cases/%d/contacts" % cid,
                                     contact("after-terminate-%s-%d" % (name, i), hp.iso(hp.today()))))
            answers.append(requests.get(two.base(name) + "/cases/%d" % cid, auth=("carol", rig.PASSWORD),
                                        timeout=30))
    assert [a.status_code for a in answers] == [200, 201, 200] * 6, [(a.status_code, a.text[:200]) for a in answers]
    assert_one_chain(fx)


# ---- the append-only rule, enforced by the database ----

def _refused(db, sql, user=rig.PG_SUPERUSER):
    """The error PostgreSQL gives for sql run as user, or None if it ran
    (it is rolled back either way)."""
    import psycopg2
    c = db.connect(autocommit=False, user=user)
    try:
        with c.cursor() as cur:
            cur.execute(sql)
        return None
    except psycopg2.Error as e:
        return "%s %s" % (e.pgcode, e.pgerror)
    finally:
        c.rollback()
        c.close()


CHANGES = ["""UPDATE access_log SET "user" = 'mallory' WHERE seq = 2""", "DELETE FROM access_log WHERE seq = 3",
           "DELETE FROM access_log", "TRUNCATE access_log"]


def test_the_access_log_is_append_only_for_every_role(own_rig):
    """README "Storage": triggers refuse UPDATE, DELETE and TRUNCATE on the
    log, and httpd runs as a role that owns nothing with SELECT and INSERT
    only.  The tables' owner is refused by the triggers; httpd's role by its
    privileges; a role granted every privilege on the log but owning nothing
    by the triggers, and it cannot disable or drop them."""
    fx = own_rig
    db = fx.rig.db
    for u in ("alice", "carol", "audrey"):
        fx.as_user(u).get("api/cases")
    before = fx.db.query("SELECT * FROM access_log ORDER BY seq")
    assert len(before) >= 3

    for sql in CHANGES:
        err = _refused(db, sql)
        assert err and "append-only" in err, (sql, err)
        err = _refused(db, sql, user=rig.APP_ROLE)
        assert err and ("permission denied" in err or "append-only" in err), (sql, err)

    wide = "habitual_wide_%s" % uid()
    db.server.execute("CREATE ROLE %s LOGIN" % wide)
    try:
        db.execute("GRANT ALL ON access_log TO %s" % wide)
        for sql in CHANGES:
            err = _refused(db, sql, user=wide)
            assert err and "append-only" in err, (sql, err)
        for sql in ("ALTER TABLE access_log DISABLE TRIGGER USER",
                    "DROP TRIGGER access_log_no_update ON access_log",
                    "ALTER TABLE access_log DISABLE TRIGGER access_log_no_delete"):
            err = _refused(db, sql, user=wide)
            assert err and "must be owner" in err, (sql, err)
    finally:
        db.execute("REVOKE ALL ON access_log FROM %s" % wide)
        db.server.execute("DROP ROLE %s" % wide)

    # httpd's role may read and append, and nothing else
    privs = db.execute("SELECT privilege_type FROM information_schema.role_table_grants "
                       "WHERE table_name = 'access_log' AND grantee = %s ORDER BY 1", (rig.APP_ROLE,))
    assert sorted(p[0] for p in privs) == ["INSERT", "SELECT"]
    owner = db.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'access_log'")[0][0]
    assert owner != rig.APP_ROLE
    assert fx.db.query("SELECT * FROM access_log ORDER BY seq")[:len(before)] == before
    # and the module, running as that role, logs as usual
    assert fx.as_user("audrey").get("api/audit/verify").json()["ok"] is True


# ---- the schema: init twice, the same version and data model as SQLite's ----

def _sqlite_model(path):
    view = Db(path)
    model = {t: view.columns(t) for t in view.tables()}
    versions = view.query("SELECT version, name FROM schema_migrations ORDER BY version")
    triggers = sorted(r["name"] for r in view.query("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    indexes = sorted(r["name"] for r in view.query(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'"))
    return model, versions, triggers, indexes


def _pg_model(db):
    view = Db(db)
    try:
        model = {t: view.columns(t) for t in view.tables()}
        versions = view.query("SELECT version, name FROM schema_migrations ORDER BY version")
        triggers = sorted(r["name"] for r in view.query(
            "SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal"))
        indexes = sorted(r["name"] for r in view.query(
            "SELECT indexname AS name FROM pg_indexes i WHERE schemaname = 'public' AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"))
        return model, versions, triggers, indexes
    finally:
        view.close()


def test_init_twice_leaves_the_same_schema_at_the_same_version_as_sqlite(workdir):
    db = new_database(workdir)
    first = rig.admin(db, "init")
    assert "schema version %d (was 0)" % SCHEMA_VERSION in first.stdout, first.stdout
    view = Db(db)
    schema = view.schema()
    second = rig.admin(db, "init")
    assert "schema version %d, already current" % SCHEMA_VERSION in second.stdout, second.stdout
    assert view.schema() == schema
    view.close()

    lite = os.path.join(workdir, "h.db")
    assert "schema version %d (was 0)" % SCHEMA_VERSION in rig.admin(lite, "init").stdout
    pg_model, pg_versions, pg_triggers, pg_indexes = _pg_model(db)
    lite_model, lite_versions, lite_triggers, lite_indexes = _sqlite_model(lite)
    assert [(v["version"], v["name"]) for v in pg_versions] == [(v["version"], v["name"]) for v in lite_versions]
    assert [v["version"] for v in pg_versions] == SCHEMA_MIGRATIONS
    # schema/pgsql/ holds the same migrations, number for number, name for name
    assert sorted(os.listdir(os.path.join(rig.ROOT, "schema", "pgsql"))) == \
        sorted(n for n in os.listdir(os.path.join(rig.ROOT, "schema")) if n.endswith(".sql"))
    assert pg_model == lite_model            # table for table, column for column, in order
    assert set(lite_triggers) <= set(pg_triggers)
    assert set(pg_triggers) - set(lite_triggers) == {"access_log_no_truncate", "access_log_cases_no_truncate",
                                                     "access_log_case_blocks_no_truncate"}
    assert pg_indexes == lite_indexes
    # a database this build serves: every verb opens it
    assert rig.admin(db, "verify-audit").stdout.startswith("ok: 0 entries")
    db.drop()


# ---- round trips ----

def _round_trip_lines(httpd):
    return re.findall(r"HAB10206: the request's reads took (\d+) round trip", httpd.read_error_log())


def _settled_count(httpd, at_least):
    """The number of HAB10206 lines once there are at_least and no more
    came for half a second (within 10 s)."""
    deadline = time.time() + 10
    count, since = -1, time.time()
    while time.time() < deadline:
        now = len(_round_trip_lines(httpd))
        if now != count:
            count, since = now, time.time()
        elif count >= at_least and time.time() - since >= 0.5:
            break
        time.sleep(0.05)
    return count


@pytest.mark.parametrize("own_rig", [{"extra_server": "LogLevel warn habitual:trace1\n"}], indirect=True)
def test_a_case_file_reaches_postgresql_in_a_few_round_trips_not_one_per_part(own_rig):
    """Issue 17: a case's parts (more than twenty tables) are read in one
    pipeline after the case's own row, and a read's BEGIN goes with its
    first statement, so reading a case file costs the CEM three round trips
    to PostgreSQL (the case's row with the BEGIN, its persons, the parts'
    pipeline), not one per statement (32 before).  The referrer, whose
    sight depends on the case, pays a fourth first: the gate's look at it.
    The file read back is whole: each part is in it."""
    fx = own_rig
    cid = hp.active_case(fx)
    hp.add_contact(fx, cid, incidents=["violence"])
    files = {}
    for user, least in (("carol", 3), ("alice", 4)):
        hp.case_file(fx, cid, user=user)   # every statement prepared on some connection
        for _ in range(3):
            # a request's line is written as its pool goes, after the answer
            before = _settled_count(fx.rig.httpd, 0)
            case = hp.case_file(fx, cid, user=user)
            after = _settled_count(fx.rig.httpd, before + 1)
            trips = [int(n) for n in _round_trip_lines(fx.rig.httpd)[before:after]]
            assert len(trips) == 1, trips
            # a statement new to this pooled connection adds its PREPARE
            assert least <= trips[0] <= least + 25, (user, trips)
            if trips[0] == least:
                break
        assert trips[0] == least, (user, trips)
        files[user] = case
    case = files["carol"]
    assert files["alice"]["id"] == cid
    assert case["status"] == "active" and case["warning"] and case["report"] and case["decision"]
    assert case["contacts"] and "violence" in case["contacts"][-1]["incidents"]
    assert case["period"] and case["letters"] and case["restrictions"] is not None
