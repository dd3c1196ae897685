"""Issue 2: roles from a real LDAP, the request envelope, start-up checks,
LDAP outages and `habitual-admin init`."""

import os
import pwd
import sqlite3
import subprocess
import time

import pytest
import requests

import rig
from conftest import (PG, SCHEMA_MIGRATIONS, SCHEMA_VERSION, Db, database_exists, missing_database, new_database, pgsql_only,
                      sqlite_only)

ROLE_EXPECTATIONS = {
    "alice": ["staff"],
    "carol": ["staff", "cem"],
    "molly": ["staff", "monitoring-officer"],
    "chris": ["staff", "chief-executive"],
    "olive": ["staff", "chief-officer"],
    "audrey": ["staff", "auditor"],
    "dana": ["staff", "chief-officer", "auditor"],
}


# ---- roles ----

@pytest.mark.parametrize("user,roles", sorted(ROLE_EXPECTATIONS.items()))
def test_each_group_member_gets_exactly_their_roles(shared_rig, user, roles):
    r = shared_rig.as_user(user).get("api/me")
    assert r.status_code == 200
    body = r.json()
    assert body["user"] == user
    assert body["roles"] == roles
    assert len(body["csrf_token"]) > 64


def test_user_without_directory_entry_gets_403(shared_rig):
    r = shared_rig.as_user("ghost").get("api/me")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("name", ["ali*", "*", "ali(", "a)(uid=*", "alice\\", "(uid=alice)"])
def test_filter_metacharacters_in_user_names_match_no_one(shared_rig, name):
    r = shared_rig.as_user(name).get("api/me")
    assert r.status_code == 403, r.text


def test_identity_comes_only_from_sign_on(shared_rig):
    """Headers naming a user are ignored; without sign-on nothing is served."""
    url = shared_rig.httpd.base() + "/api/me"
    r = requests.get(url, headers={"X-Remote-User": "carol", "X-Forwarded-User": "carol"})
    assert r.status_code == 401
    r = requests.get(url, auth=("alice", rig.PASSWORD),
                     headers={"X-Remote-User": "carol", "X-Forwarded-User": "carol"})
    assert r.json()["user"] == "alice" and r.json()["roles"] == ["staff"]


def test_wrong_password_is_refused_by_sign_on(shared_rig):
    r = requests.get(shared_rig.httpd.base() + "/api/me", auth=("carol", "wrong"))
    assert r.status_code == 401


# ---- the envelope ----

SPEC_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def assert_security_headers(r):
    for k, v in SPEC_HEADERS.items():
        assert r.headers.get(k) == v, (k, r.headers.get(k))
    assert "frame-ancestors 'none'" in r.headers.get("Content-Security-Policy", "")


def test_security_headers_on_answers_and_errors(shared_rig):
    c = shared_rig.as_user("carol")
    assert_security_headers(c.get("api/me"))
    assert_security_headers(c.get("api/no-such-thing"))
    assert_security_headers(shared_rig.as_user("ghost").get("api/me"))
    assert_security_headers(c.post("api/cases", {"x": 1}, token="bad"))


def test_unknown_route_is_404_and_wrong_method_405(shared_rig):
    c = shared_rig.as_user("carol")
    r = c.get("api/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not-found", "message": "There is nothing here."}}
    r = c.send("PUT", "api/cases", {"a": 1})
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, POST"
    r = c.delete("api/me")
    assert r.status_code == 405


def _refused_and_nothing_written(shared_rig, send):
    db = shared_rig.db
    before, log_before = db.counts(), db.log_count()
    r = send()
    assert db.counts() == before
    # the refusal itself is logged, once
    assert db.log_count() == log_before + 1
    last = db.query("SELECT * FROM access_log ORDER BY seq DESC LIMIT 1")[0]
    assert last["status"] == r.status_code and last["outcome"] == "refused"
    return r


GOOD_BODY = {"summary": "x"}


def test_post_without_csrf_token_is_403(shared_rig):
    c = shared_rig.as_user("alice")
    r = _refused_and_nothing_written(shared_rig, lambda: c.post("api/cases", GOOD_BODY, token=None))
    assert r.status_code == 403 and r.json()["error"]["code"] == "bad-csrf-token"


def test_post_with_wrong_csrf_token_is_403(shared_rig):
    c = shared_rig.as_user("alice")
    good = c.token()
    forged = good[:-4] + ("0000" if not good.endswith("0000") else "1111")
    for token in [forged, "garbage", good.split(".")[1], "1." + "a" * 64]:
        r = _refused_and_nothing_written(shared_rig, lambda: c.post("api/cases", GOOD_BODY, token=token))
        assert r.status_code == 403, token


def test_another_users_token_is_403(shared_rig):
    carol_token = shared_rig.as_user("carol").token()
    c = shared_rig.as_user("alice")
    r = _refused_and_nothing_written(shared_rig, lambda: c.post("api/cases", GOOD_BODY, token=carol_token))
    assert r.status_code == 403


def test_stale_token_is_403(shared_rig):
    """A token issued more than 12 hours ago no longer works: forge the time
    part of a real one (its signature then fails too) and an old genuine
    one made with the rig's secret."""
    import hmac, hashlib
    c = shared_rig.as_user("alice")
    secret = open(shared_rig.httpd.secret_file, "rb").read().rstrip(b"\n")
    issued = int(time.time()) - 13 * 3600
    mac = hmac.new(secret, b"habitual-csrf-v1\nalice\n%d" % issued, hashlib.sha256).hexdigest()
    old = "%x.%s" % (issued, mac)
    r = _refused_and_nothing_written(shared_rig, lambda: c.post("api/cases", GOOD_BODY, token=old))
    assert r.status_code == 403
    # the same construction with a fresh time is accepted by the token check
    fresh_issued = int(time.time())
    fresh = "%x.%s" % (fresh_issued, hmac.new(secret, b"habitual-csrf-v1\nalice\n%d" % fresh_issued,
                                               hashlib.sha256).hexdigest())
    r = c.post("api/cases", GOOD_BODY, token=fresh)
    assert r.status_code != 403


def test_wrong_content_type_is_415(shared_rig):
    c = shared_rig.as_user("alice")
    for ctype in ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1",
                  "application/jsonx"]:
        r = _refused_and_nothing_written(
            shared_rig, lambda: c.post("api/cases", data=b'{"summary":"x"}', headers={"Content-Type": ctype}))
        assert r.status_code == 415, ctype
    r = _refused_and_nothing_written(shared_rig, lambda: c.post("api/cases", data=b'{"summary":"x"}'))
    assert r.status_code == 415


def test_oversized_body_is_413(shared_rig):
    c = shared_rig.as_user("alice")
    big = b'{"summary":"' + b"a" * (64 * 1024) + b'"}'
    r = _refused_and_nothing_written(
        shared_rig, lambda: c.post("api/cases", data=big, headers={"Content-Type": "application/json"}))
    assert r.status_code == 413 and r.json()["error"]["code"] == "too-large"


def test_oversized_chunked_body_is_413(shared_rig):
    c = shared_rig.as_user("alice")

    def chunks():
        yield b'{"summary":"'
        for _ in range(80):
            yield b"a" * 1024
        yield b'"}'
    r = _refused_and_nothing_written(
        shared_rig, lambda: c.post("api/cases", data=chunks(), headers={"Content-Type": "application/json"}))
    assert r.status_code == 413


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b'"text"', b"", b'{"a":1,"a":2}', b'{"a":"\xff\xfe"}', b'{"a":"x\x00y"}',
    b'{"a":"\\u0000"}', b'{"a":1} trailing',
])
def test_malformed_json_is_400(shared_rig, body):
    c = shared_rig.as_user("alice")
    r = _refused_and_nothing_written(
        shared_rig, lambda: c.post("api/cases", data=body, headers={"Content-Type": "application/json"}))
    assert r.status_code == 400, body
    assert r.json()["error"]["code"] == "bad-request"


# ---- LDAP outages ----

def test_ldap_stopped_gives_503_within_timeout_and_recovers(own_rig):
    c = own_rig.as_user("carol")
    assert c.get("api/me").status_code == 200
    own_rig.slapd.stop()
    time.sleep(1.2)  # past LDAPCacheTTL/LDAPOpCacheTTL of 1 s
    started = time.time()
    r = c.get("api/me")
    took = time.time() - started
    assert r.status_code == 503
    assert r.headers.get("Retry-After") == "5"
    assert r.json()["error"]["code"] == "unavailable"
    assert took < 3.0  # LDAPConnectionTimeout 2, LDAPRetries 0
    log = own_rig.httpd.read_error_log()
    assert log.count("HAB10101") == 1, log
    own_rig.slapd.start()
    deadline = time.time() + 10
    while time.time() < deadline and c.get("api/me").status_code != 200:
        time.sleep(0.2)
    assert c.get("api/me").status_code == 200


def test_ldap_that_never_answers_gives_503_within_timeout(workdir):
    silent = rig.SilentServer()
    slapd = rig.Slapd(workdir)
    httpd = rig.Httpd(workdir, silent.port)
    try:
        httpd.start()
        started = time.time()
        r = requests.get(httpd.base() + "/api/me", auth=("carol", rig.PASSWORD), timeout=30)
        took = time.time() - started
        assert r.status_code == 503
        assert r.headers.get("Retry-After")
        assert took < 5.0, took  # LDAPTimeout 2
        assert "HAB10101" in httpd.read_error_log()
    finally:
        httpd.stop()
        silent.close()
        del slapd


# ---- start-up checks ----

def _start_fails(httpd):
    ok, out = httpd.start(expect_failure=True)
    assert not ok, "httpd started but should not have"
    return out


@sqlite_only("start-up with the SQLite file missing")
def test_refuses_to_start_when_database_missing(workdir):
    slapd = rig.Slapd(workdir)
    httpd = rig.Httpd(workdir, 1, init_db=False)
    out = _start_fails(httpd)
    # one line, numbered for what is wrong: the database cannot be opened
    assert "HAB10008" in out and httpd.db in out and "habitual-admin" in out, out
    del slapd


PG_PASSWORD = "rig-db-password-" + "7" * 8


# Records, for every open() with O_CREAT of a SQLite -wal or -shm file, the
# process and its effective uid at that moment (the parent changes its euid
# around the database check, so the uid at the call is what counts).
CREATE_WATCH_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void note(const char *path, int flags)
{
    size_t n = strlen(path);
    const char *log = getenv("CREATE_WATCH_LOG");
    if (!log || !(flags & O_CREAT) || n < 4) return;
    if (strcmp(path + n - 4, "-wal") != 0 && strcmp(path + n - 4, "-shm") != 0) return;
    FILE *f = fopen(log, "a");
    if (!f) return;
    fprintf(f, "%d %d %s\n", (int)getpid(), (int)geteuid(), path);
    fclose(f);
}

#define WATCH(name)                                                   \
    int name(const char *path, int flags, ...)                        \
    {                                                                 \
        static int (*real)(const char *, int, ...);                   \
        mode_t mode = 0;                                              \
        if (flags & O_CREAT) {                                        \
            va_list ap;                                               \
            va_start(ap, flags);                                      \
            mode = va_arg(ap, int);                                   \
            va_end(ap);                                               \
        }                                                             \
        note(path, flags);                                            \
        if (!real) real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name); \
        return real(path, flags, mode);                               \
    }
WATCH(open)
WATCH(open64)
"""


@sqlite_only("who creates SQLite's -wal and -shm files")
@pytest.mark.skipif(not rig.run_as_root(), reason="the parent checks as the file's owner only when root")
def test_the_parent_started_as_root_creates_no_database_file_as_root(workdir):
    """The parent checks the SQLite file at start-up while another server on
    it may be opening it: a -wal or -shm file created as root is root's for a
    moment, and a child opening it then can only read it (a write answered
    503, "readonly database", seen under load in the two-server fault test).
    So the check runs as the file's owner: every creating open of those files,
    by the parent or a child, is made as the server's user, never as root."""
    shim = os.path.join(workdir, "create_watch.so")
    src = shim[:-3] + ".c"
    with open(src, "w") as f:
        f.write(CREATE_WATCH_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", shim, src, "-ldl"], check=True)
    log = os.path.join(workdir, "creates.log")
    open(log, "w").close()
    os.chmod(log, 0o666)   # the parent writes it as the database's owner
    slapd = rig.Slapd(workdir).start()
    httpd = rig.Httpd(workdir, slapd.port, env={"LD_PRELOAD": shim, "CREATE_WATCH_LOG": log})
    assert not os.path.exists(httpd.db + "-wal")   # init left none: the check must make it
    try:
        httpd.start()
        httpd_pid = httpd.proc.pid
        r = requests.get(httpd.base() + "/api/cases", auth=("carol", rig.PASSWORD))
        assert r.status_code == 200, r.text   # a child's connection too
    finally:
        httpd.stop()
        slapd.stop()
    server_uid = pwd.getpwnam("www-data").pw_uid
    assert os.stat(httpd.db).st_uid == server_uid
    opens = [line.split(" ", 2) for line in open(log).read().splitlines()]
    by_parent = [o for o in opens if int(o[0]) == httpd_pid]
    assert by_parent and any(o[2].endswith("-wal") for o in by_parent), opens
    assert {int(o[0]) for o in opens} - {httpd_pid}, "no child opened the database: %s" % opens
    as_root = [o for o in opens if int(o[1]) == 0]
    assert not as_root, "created as root: %s" % as_root
    assert {int(o[1]) for o in opens} == {server_uid}, opens


def _pg_httpd(workdir, db, port=None, password=False):
    """An httpd whose HabitualDatabase names db, on another port, or with a
    password in the connection string (trust authentication ignores it)."""
    httpd = rig.Httpd(workdir, 1, db=db, init_db=False)
    text = httpd.config_text()
    if port is not None:
        text = text.replace("port=%d " % db.server.port, "port=%d " % port)
    if password:
        text = text.replace(" user=%s" % rig.APP_ROLE, " user=%s password=%s" % (rig.APP_ROLE, PG_PASSWORD))
    with open(httpd.conf, "w") as f:
        f.write(text)
    return httpd


@pgsql_only("the PostgreSQL equivalents of a missing database file")
@pytest.mark.parametrize("what", ["no-such-database", "nothing-listening", "never-initialised"])
def test_refuses_to_start_when_the_postgresql_database_is_unreachable_or_empty(workdir, what):
    """README: a database that cannot be opened, or whose schema version is
    not this build's, stops httpd at start-up with HAB10008 or HAB10009 (for a
    database the DBA made but nobody initialised: version 0, and what to run)."""
    if what == "no-such-database":
        httpd = _pg_httpd(workdir, missing_database(workdir))
    elif what == "nothing-listening":
        httpd = _pg_httpd(workdir, new_database(workdir), port=rig.free_port())
    else:
        httpd = _pg_httpd(workdir, new_database(workdir))
    started = time.time()
    out = _start_fails(httpd)
    assert time.time() - started < 15, "start-up took %.1f s" % (time.time() - started)
    assert "mod_habitual cannot start" in out, out
    assert ("HAB10009" if what == "never-initialised" else "HAB10008") in out, out
    if what == "never-initialised":
        assert "schema version 0" in out and "habitual-admin --driver pgsql" in out and " init" in out, out
    else:
        assert "cannot connect to PostgreSQL" in out, out
    if what == "no-such-database":
        assert httpd.db.name in out and "does not exist" in out, out


@pgsql_only("a password in the PostgreSQL connection string")
def test_start_up_error_never_shows_the_database_password(workdir):
    httpd = _pg_httpd(workdir, new_database(workdir), port=rig.free_port(), password=True)
    out = _start_fails(httpd)
    assert "HAB10008" in out and "cannot connect to PostgreSQL" in out, out
    assert PG_PASSWORD not in out, [l for l in out.splitlines() if PG_PASSWORD in l]


@pgsql_only("a password in the PostgreSQL connection string")
def test_init_never_prints_the_database_password(workdir):
    db = new_database(workdir)
    params = db.conninfo + " password=" + PG_PASSWORD
    for expect in ("(was 0)", "already current"):
        res = subprocess.run([rig.ADMIN, "--driver", "pgsql", "--params", params, "init"],
                             capture_output=True, text=True)
        assert res.returncode == 0 and expect in res.stdout, (res.stdout, res.stderr)
        assert PG_PASSWORD not in res.stdout + res.stderr, res.stdout + res.stderr


@pytest.mark.parametrize("version", [0, SCHEMA_VERSION + 1])
def test_refuses_to_start_on_wrong_schema_version(workdir, version):
    httpd = rig.Httpd(workdir, 1)
    db = Db(httpd.db)
    if version == 0:
        db.write("DELETE FROM schema_migrations")
    else:
        db.write("INSERT INTO schema_migrations VALUES (?, ?, 'x')", (version, "%03d_future.sql" % version))
    httpd.fix_db_owner()
    out = _start_fails(httpd)
    assert "HAB10009" in out and "schema version %d" % version in out, out


def test_refuses_to_start_on_unknown_role(workdir):
    httpd = rig.Httpd(workdir, 1, role_groups={"cem": "cem", "wizard": "wizards"})
    out = _start_fails(httpd)
    assert "HabitualRoleGroup: unknown role 'wizard'" in out, out


def test_refuses_to_start_without_ldap_url(workdir):
    httpd = rig.Httpd(workdir, 1)
    text = httpd.config_text().replace('    HabitualLDAPURL', '    #HabitualLDAPURL')
    open(httpd.conf, "w").write(text)
    out = _start_fails(httpd)
    assert "HAB10003" in out and "has no HabitualLDAPURL" in out, out


def test_refuses_to_start_with_unreadable_secret(workdir):
    httpd = rig.Httpd(workdir, 1)
    os.unlink(httpd.secret_file)
    out = _start_fails(httpd)
    assert "HabitualSecretFile: cannot read %s" % httpd.secret_file in out, out


def test_refuses_to_start_with_short_secret(workdir):
    httpd = rig.Httpd(workdir, 1, secret="short")
    out = _start_fails(httpd)
    assert "HabitualSecretFile" in out and "at least 32" in out, out


def test_refuses_to_start_with_bad_ldap_url(workdir):
    httpd = rig.Httpd(workdir, 1, ldap_url="http://example.org/")
    out = _start_fails(httpd)
    assert "HabitualLDAPURL" in out and "ldap://" in out, out


def test_refuses_to_start_without_mod_ldap(workdir):
    httpd = rig.Httpd(workdir, 1)
    text = httpd.config_text().replace("LoadModule ldap_module", "#LoadModule ldap_module")
    text = "\n".join(l for l in text.splitlines() if not l.startswith("LDAP"))
    open(httpd.conf, "w").write(text)
    out = _start_fails(httpd)
    assert "HAB10007" in out and "mod_ldap is not loaded" in out, out


def test_starts_with_a_good_configuration(workdir):
    slapd = rig.Slapd(workdir).start()
    httpd = rig.Httpd(workdir, slapd.port)
    try:
        httpd.start()
        r = requests.get(httpd.base() + "/api/me", auth=("alice", rig.PASSWORD))
        assert r.status_code == 200
    finally:
        httpd.stop()
        slapd.stop()


# ---- habitual-admin init ----

def _schema(db):
    d = Db(db)
    try:
        return d.schema()
    finally:
        d.close()


def test_init_twice_leaves_the_same_schema(workdir):
    db = new_database(workdir)
    first = rig.admin(db, "init")
    assert "schema version %d (was 0)" % SCHEMA_VERSION in first.stdout
    schema = _schema(db)
    second = rig.admin(db, "init")
    assert "already current" in second.stdout
    assert _schema(db) == schema
    assert Db(db).scalar("SELECT count(*) FROM schema_migrations") == len(SCHEMA_MIGRATIONS)
    if not PG:
        with sqlite3.connect(db) as c:
            assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_init_refuses_a_newer_schema(workdir):
    db = new_database(workdir)
    rig.admin(db, "init")
    Db(db).write("INSERT INTO schema_migrations VALUES (99, '099_future.sql', 'x')")
    schema = _schema(db)
    res = rig.admin(db, "init", check=False)
    assert res.returncode == 3
    assert "schema version 99, newer than this build" in res.stderr
    assert _schema(db) == schema


def test_verbs_never_create_a_database(workdir):
    db = missing_database(workdir)
    res = rig.admin(db, "verify-audit", check=False)
    assert res.returncode == 3 and "does not exist" in res.stderr
    assert not database_exists(db)


@pgsql_only("a PostgreSQL database made by the DBA, never initialised")
def test_verbs_other_than_init_leave_an_empty_postgresql_database_empty(workdir):
    db = new_database(workdir)
    res = rig.admin(db, "verify-audit", check=False)
    assert res.returncode == 3 and "schema version 0" in res.stderr, res.stderr
    assert Db(db).tables() == []


def test_admin_usage_errors(workdir):
    res = subprocess.run([rig.ADMIN, "--driver", "sqlite3"], capture_output=True, text=True)
    assert res.returncode == 2
    res = subprocess.run([rig.ADMIN, "--driver", "oracle", "--params", "x", "init"],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "unknown driver" in res.stderr
    res = subprocess.run([rig.ADMIN, "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "verify-audit" in res.stdout


@pytest.mark.parametrize("directive", ["HabitualAppealDays 20", "HabitualInterimDays 28", "HabitualReviewGraceDays 28",
                                       "HabitualTriageDays 5", "HabitualRoleCacheTTL 10",
                                       'HabitualCouncilName "Example Borough Council"',
                                       "HabitualLDAPBindDN cn=svc,dc=example", "HabitualLDAPBindPassword pw",
                                       "HabitualGroupNestingDepth 2", "HabitualEvidenceMaxBytes 1048576",
                                       "HabitualLDAPURL ldap://127.0.0.1/dc=example?uid",
                                       "HabitualRoleGroup cem cn=cem,dc=example", "HabitualGroupAttribute member",
                                       "HabitualSecretFile /nonexistent", "HabitualCheckpointKeyFile /nonexistent",
                                       "HabitualTeam benefits cn=benefits,dc=example"])
def test_location_only_directives_refuse_a_directory_section(workdir, directive):
    """Each <Location>-only directive in a <Directory> stops httpd at start-up
    with one line naming it (it would never apply there)."""
    name = directive.split()[0]
    httpd = rig.Httpd(workdir, 1, extra_server="<Directory /tmp>\n    %s\n</Directory>\n" % directive)
    out = _start_fails(httpd)
    assert "%s belongs inside a <Location> section" % name in out, out


@pytest.mark.parametrize("directive", ["HabitualCouncilName", "HabitualLDAPBindDN", "HabitualLDAPBindPassword"])
def test_an_empty_string_directive_stops_httpd_at_start(workdir, directive):
    """httpd's own parser refuses "" (no argument); the setter refuses an
    empty value too, whatever reaches it."""
    httpd = rig.Httpd(workdir, 1, extra_location='    %s ""\n' % directive)
    out = _start_fails(httpd)
    assert ("%s takes one argument" % directive in out or "%s: empty value" % directive in out), out


@pytest.mark.parametrize("value", ["-1", "3601", "ten"])
def test_bad_role_cache_ttl_stops_httpd_at_start(workdir, value):
    httpd = rig.Httpd(workdir, 1, extra_location="    HabitualRoleCacheTTL %s\n" % value)
    out = _start_fails(httpd)
    assert "HabitualRoleCacheTTL: '%s' is not a number of seconds from 0 (off) to 3600" % value in out, out
