"""Issue 4: the tamper-evident access log (README "The access log",
"habitual-admin"): tampering caught at the first bad entry, checkpoints,
export-audit re-verified against the documented encoding, api/audit filters
and paging, and the triggers that refuse UPDATE and DELETE.

On PostgreSQL (HABITUAL_DB=pgsql) a copy is a pg_dump restored into a new
database, the attacker disables the triggers as the tables' owner (ALTER
TABLE ... DISABLE TRIGGER), and the byte flipped "in the file" is flipped in
the access log's heap file with the server stopped."""

import base64
import csv
import datetime
import io
import json
import os
import re
import sqlite3

import pytest

import rig
import helpers_access as H
from conftest import PG, Client, Db, RigFixture, _check_sanitizers, missing_database, pgsql_only, sqlite_only

COLUMNS = ["seq", "at", "user", "roles", "acting_as", "action", "case_id", "outcome", "status",
           "request_id", "client", "prev_hash", "hash", "case_ids", "refused_rule"]
API_FIELDS = ["seq", "at", "user", "roles", "action", "case_id", "outcome", "status"]
DAYS_BACK = 2


def day(offset):
    return H.iso(H.today() + datetime.timedelta(days=offset))


# ---- a rig with a log worth tampering with ----

@pytest.fixture(scope="module")
def audit_rig():
    r = rig.Rig()
    fx = RigFixture(r)
    try:
        s = H.Seeder(fx)
        s.referred("a_ref", contacts=2)
        act = s.active("a_active")                 # a decision: acting_as in the log
        s.extras(act)
        fx.as_user("alice").get("api/cases/%d" % act)           # refused: 404
        fx.as_user("ghost").get("api/cases/%d" % act)           # refused: no role
        fx.as_user("alice").post("api/cases", {"x": 1}, token="forged")   # bad token
        # a safeguard's refusal: warning an active case (R13, 409): a v3 entry
        assert fx.as_user("carol").post("api/cases/%d/warning" % act, H.warning_body("a_active")).status_code == 409
        fx.as_user("audrey").get("api/audit")
        # entries from DAYS_BACK days ago: an httpd whose clock runs behind
        past = rig.Httpd(r.workdir, r.slapd.port, name="past", db=r.db,
                         faketime="-%dd" % DAYS_BACK).start()
        try:
            for u in ["alice", "alice", "bob"]:
                assert Client(past.base(), u).get("api/cases").status_code == 200
            assert Client(past.base(), "carol").get("api/cases/%d" % act).status_code == 200
        finally:
            past.stop()
        for u in ["olive", "dana", "bob", "carol", "molly", "alice", "audrey"] * 3:
            fx.as_user(u).get("api/notices")
        fx.ids = s.ids
        yield fx
    finally:
        r.httpd.stop()
        fx.db.close()
        _check_sanitizers(r)
        r.stop()


def db_entries(db):
    view = Db(db)
    try:
        return view.query("SELECT * FROM access_log ORDER BY seq")
    finally:
        view.close()


def copy_db(src, dst):
    """A consistent copy: SQLite's backup API, in rollback-journal mode so
    everything is in the one file; on PostgreSQL a pg_dump restored into a
    new database."""
    if rig.is_pg(src):
        return src.copy_to()
    s = sqlite3.connect("file:%s?mode=ro" % src, uri=True, timeout=10)
    d = sqlite3.connect(dst)
    try:
        s.backup(d)
        d.execute("PRAGMA journal_mode=DELETE")
        d.commit()
    finally:
        s.close()
        d.close()
    return dst


def attacker(db):
    """Open the database as someone who has it: the triggers go first."""
    return Db(db).attacker()


@pytest.fixture
def copy(audit_rig, workdir):
    c = copy_db(audit_rig.rig.db, os.path.join(workdir, "copy.db"))
    yield c
    if rig.is_pg(c):
        c.drop()


def verify(path, *extra):
    res = rig.admin(path, "verify-audit", *extra, check=False)
    return res.returncode, res.stdout + res.stderr


def assert_bad_at(path, seq, *extra):
    rc, out = verify(path, *extra)
    assert rc == 1, out
    assert re.search(r"^bad: first bad entry %d\b" % seq, out, re.M), out


def flip(v):
    """The same value with one byte changed."""
    if isinstance(v, int):
        s = str(v)
        return int(s[:-1] + ("1" if s[-1] != "1" else "2"))
    return v[:-1] + ("x" if v[-1] != "x" else "y")


# ---- the chain as the README documents it ----

def test_python_encoding_matches_the_stored_chain(audit_rig):
    entries = db_entries(audit_rig.rig.db)
    assert len(entries) > 30
    assert entries[0]["prev_hash"] == H.GENESIS
    assert H.check_chain(entries) is None
    # the log holds what it says and nothing personal
    assert set(entries[0]) == set(COLUMNS)
    acting = [e for e in entries if e["action"] == "case.decide" and e["status"] == 200]
    assert acting and acting[0]["acting_as"] == "chief-executive"
    # refusals by a safeguard name it (v3); every other entry names none (v1/v2)
    ruled = [e for e in entries if e["refused_rule"]]
    assert [(e["action"], e["status"], e["refused_rule"]) for e in ruled] == [("case.warn", 409, "R13")]
    assert H.canonical(ruled[0]).startswith(b"habitual-audit-v3\n")
    assert all(e["outcome"] == "refused" for e in ruled)
    assert [e for e in entries if e["outcome"] == "refused" and not e["refused_rule"]]
    names = {H.person_name(t) for t in audit_rig.ids} | {H.person_ref(t) for t in audit_rig.ids}
    for e in entries:
        assert not any(n in str(v) for v in e.values() for n in names)
        assert "MARK-" not in json.dumps(e)


def test_verify_audit_on_an_untouched_log(audit_rig, copy):
    rc, out = verify(copy)
    entries = db_entries(copy)
    assert rc == 0, out
    assert out.strip() == "ok: %d entries, head %s" % (len(entries), entries[-1]["hash"])
    # a log mixing the three encodings: v1, v2 (case_ids), v3 (a refusal naming its rule)
    heads = {H.canonical(e).split(b"\n", 1)[0] for e in entries}
    assert heads == {b"habitual-audit-v1", b"habitual-audit-v2", b"habitual-audit-v3"}


def test_api_audit_and_the_audit_page_show_the_rule(audit_rig):
    entries = db_entries(audit_rig.rig.db)
    ruled = [e for e in entries if e["refused_rule"]][0]
    got = audit_rig.as_user("audrey").get("api/audit", params={"after": ruled["seq"] - 1, "limit": 1}).json()
    assert got["entries"][0]["seq"] == ruled["seq"] and got["entries"][0]["refused_rule"] == "R13"
    assert got["entries"][0]["outcome"] == "refused" and got["entries"][0]["status"] == 409
    others = audit_rig.as_user("audrey").get("api/audit", params={"limit": 5}).json()["entries"]
    assert [e["refused_rule"] for e in others] == [None] * 5
    page = audit_rig.as_user("audrey").get("audit", params={"user": "carol"})
    assert page.status_code == 200 and '<th scope="col" class="govuk-table__header">Rule</th>' in page.text
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*>case\.warn<(?:(?!</tr>).)*>409<(?:(?!</tr>).)*</tr>", page.text, re.S)
    assert row and ">R13<" in row.group(0), page.text[:2000]


def test_a_rule_claimed_for_a_refusal_that_named_none(audit_rig, copy):
    """An old refusal (no rule: v1) said after the fact to be a safeguard's."""
    entries = db_entries(copy)
    target = [e for e in entries[1:] if e["outcome"] == "refused" and not e["refused_rule"]][0]
    c = attacker(copy)
    c.execute("UPDATE access_log SET refused_rule = 'R5' WHERE seq = ?", (target["seq"],))
    c.commit()
    c.close()
    assert_bad_at(copy, target["seq"])


def test_verify_audit_exit_3_without_a_database(workdir):
    rc, out = verify(missing_database(workdir, "nothing.db"))
    assert rc == 3, out


# ---- tampering, each reported at the first bad entry ----

TAMPERED_COLUMNS = ["at", "user", "roles", "acting_as", "action", "case_id", "outcome", "status",
                    "request_id", "client", "prev_hash", "hash", "refused_rule"]


@pytest.mark.parametrize("column", TAMPERED_COLUMNS)
def test_one_byte_changed_in_one_entry(audit_rig, copy, column):
    entries = db_entries(copy)
    candidates = [e for e in entries[1:] if e[column] not in (None, "")]
    target = candidates[len(candidates) // 2]
    new = flip(target[column]) if column != "acting_as" else "chief-executivf"
    c = attacker(copy)
    c.execute('UPDATE access_log SET "%s" = ? WHERE seq = ?' % column, (new, target["seq"]))
    c.commit()
    c.close()
    assert_bad_at(copy, target["seq"])


def test_acting_as_claimed_where_there_was_none(audit_rig, copy):
    entries = db_entries(copy)
    target = [e for e in entries[3:] if e["acting_as"] is None][3]
    c = attacker(copy)
    c.execute("UPDATE access_log SET acting_as = 'chief-executive' WHERE seq = ?", (target["seq"],))
    c.commit()
    c.close()
    assert_bad_at(copy, target["seq"])


@sqlite_only("the SQLite file's bytes (PostgreSQL: the heap file test below)")
def test_one_byte_flipped_in_the_file_itself(audit_rig, copy):
    """No SQL at all: one byte of an entry's request id, in the file."""
    entries = db_entries(copy)
    target = entries[len(entries) // 2]
    rid = target["request_id"].encode()
    data = bytearray(open(copy, "rb").read())
    at = data.find(rid)
    assert at > 0
    while at >= 0:                       # (a stale copy in a free page would not matter)
        data[at] = ord("z") if data[at] != ord("z") else ord("y")
        at = data.find(rid, at + 1)
    with open(copy, "wb") as f:
        f.write(data)
    assert_bad_at(copy, target["seq"])


@pgsql_only("the access log's heap file")
def test_one_byte_flipped_in_the_heap_file_itself(audit_rig):
    """No SQL at all: one byte of an entry's request id changed in the
    access log's heap file on disk, with the server stopped (a copy on a
    server of the test's own, so nothing else is disturbed).  PostgreSQL
    without data checksums (initdb's default) reads the page as it is; the
    chain finds the entry."""
    server = rig.Postgres()
    try:
        copy = audit_rig.rig.db.copy_to(server)
        entries = db_entries(copy)
        target = entries[len(entries) // 2]
        rid = target["request_id"].encode()
        path = os.path.join(server.data, copy.execute("SELECT pg_relation_filepath('access_log')")[0][0])
        copy.execute("CHECKPOINT")
        server.stop()
        flipped = 0
        for seg in [path] + sorted(p for p in os.listdir(os.path.dirname(path))
                                   if p.startswith(os.path.basename(path) + ".")):
            seg = os.path.join(os.path.dirname(path), seg)
            data = bytearray(open(seg, "rb").read())
            at = data.find(rid)
            while at >= 0:
                data[at] = ord("z") if data[at] != ord("z") else ord("y")
                flipped += 1
                at = data.find(rid, at + 1)
            with open(seg, "r+b") as f:
                f.write(data)
        assert flipped >= 1
        server.start()
        assert_bad_at(copy, target["seq"])
    finally:
        server.destroy()


def test_a_middle_entry_deleted(audit_rig, copy):
    entries = db_entries(copy)
    seq = entries[len(entries) // 2]["seq"]
    c = attacker(copy)
    c.execute("DELETE FROM access_log WHERE seq = ?", (seq,))
    c.commit()
    c.close()
    assert_bad_at(copy, seq)


def test_two_entries_swapped(audit_rig, copy):
    entries = db_entries(copy)
    a, b = entries[len(entries) // 3], entries[2 * len(entries) // 3]
    c = attacker(copy)
    cols = [k for k in COLUMNS if k != "seq"]
    sets = ", ".join('"%s" = ?' % k for k in cols)
    c.execute("UPDATE access_log SET %s WHERE seq = ?" % sets, [b[k] for k in cols] + [a["seq"]])
    c.execute("UPDATE access_log SET %s WHERE seq = ?" % sets, [a[k] for k in cols] + [b["seq"]])
    c.commit()
    c.close()
    assert_bad_at(copy, a["seq"])


def test_an_entry_appended_by_hand(audit_rig, copy):
    """Appending is not refused by a trigger, but an entry not made by the
    module has no place in the chain."""
    entries = db_entries(copy)
    last = entries[-1]
    forged = dict(last, seq=last["seq"] + 1, user="mallory", prev_hash=last["hash"], hash="0" * 64)
    Db(copy).write("INSERT INTO access_log(%s) VALUES (%s)" % (", ".join('"%s"' % k for k in COLUMNS),
                                                               ", ".join("?" * len(COLUMNS))),
                   [forged[k] for k in COLUMNS])
    assert_bad_at(copy, forged["seq"])


@pytest.fixture
def key(workdir):
    path = os.path.join(workdir, "checkpoint.key")
    with open(path, "w") as f:
        f.write(base64.b64encode(os.urandom(48)).decode() + "\n")
    os.chmod(path, 0o600)
    return path


def take_checkpoint(db, key, workdir):
    res = rig.admin(db, "checkpoint", "--key", key, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    line = res.stdout.strip()
    assert len(line.splitlines()) == 1
    path = os.path.join(workdir, "checkpoint")
    with open(path, "w") as f:
        f.write(line + "\n")
    return path, line


def test_tail_truncated_after_a_checkpoint(audit_rig, copy, key, workdir):
    entries = db_entries(copy)
    cp, line = take_checkpoint(copy, key, workdir)
    assert "entries=%d" % len(entries) in line and "head=%s" % entries[-1]["hash"] in line
    rc, out = verify(copy, "--checkpoint", cp, "--key", key)
    assert rc == 0, out
    # the last three entries go
    keep = len(entries) - 3
    c = attacker(copy)
    c.execute("DELETE FROM access_log WHERE seq > ?", (keep,))
    c.commit()
    c.close()
    rc, out = verify(copy)               # what is left is a valid chain ...
    assert rc == 0, out
    assert_bad_at(copy, keep + 1, "--checkpoint", cp, "--key", key)   # ... the checkpoint knows


def test_chain_rewritten_after_a_checkpoint(audit_rig, copy, key, workdir):
    """An attacker who recomputes every hash after a change (SHA-256 has no
    key) passes the plain walk; the signed checkpoint catches it."""
    cp, _ = take_checkpoint(copy, key, workdir)
    entries = db_entries(copy)
    k = len(entries) // 2
    entries[k]["user"] = "someone-else"
    prev = entries[k - 1]["hash"]
    c = attacker(copy)
    for e in entries[k:]:
        e["prev_hash"] = prev
        e["hash"] = H.entry_hash(e)
        prev = e["hash"]
        c.execute('UPDATE access_log SET "user" = ?, prev_hash = ?, hash = ? WHERE seq = ?',
                  (e["user"], e["prev_hash"], e["hash"], e["seq"]))
    c.commit()
    c.close()
    rc, out = verify(copy)
    assert rc == 0, out                  # our encoding is the module's: the rewrite is "valid"
    rc, out = verify(copy, "--checkpoint", cp, "--key", key)
    assert rc == 1 and re.search(r"^bad: first bad entry \d+", out, re.M), out


def test_checkpoint_with_another_key_or_edited_is_refused(audit_rig, copy, key, workdir):
    cp, line = take_checkpoint(copy, key, workdir)
    other = os.path.join(workdir, "other.key")
    with open(other, "w") as f:
        f.write("another-key-" + os.urandom(32).hex())
    rc, out = verify(copy, "--checkpoint", cp, "--key", other)
    assert rc == 1, out
    n = int(re.search(r"entries=(\d+)", line).group(1))
    with open(cp, "w") as f:
        f.write(line.replace("entries=%d" % n, "entries=%d" % (n - 1)) + "\n")
    rc, out = verify(copy, "--checkpoint", cp, "--key", key)
    assert rc == 1, out


def test_api_verify_on_a_tampered_live_database(own_rig):
    fx = own_rig
    s = H.Seeder(fx)
    s.referred("live")
    for _ in range(6):
        fx.as_user("alice").get("api/cases")
    assert fx.as_user("audrey").get("api/audit/verify").json()["ok"] is True
    n = fx.db.log_count()
    target = 4
    assert n > target + 2
    c = attacker(fx.rig.db)
    assert fx.db.query('SELECT "user" FROM access_log WHERE seq = ?', (target,))[0]["user"] == "alice"
    c.execute("""UPDATE access_log SET "user" = 'alicf' WHERE seq = ?""", (target,))
    c.commit()
    c.close()
    r = fx.as_user("audrey").get("api/audit/verify")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is False and body["first_bad_seq"] == target, body
    assert {"ok": False, "first_bad_seq": target}.items() <= body.items()
    # the module goes on logging, the request that found it included
    assert fx.db.log_count() == n + 1
    rc, out = verify(fx.rig.db)
    assert rc == 1 and "bad: first bad entry %d" % target in out, out
    fx.httpd.fix_db_owner()


def test_concurrent_appends_keep_one_chain(audit_rig):
    """Appends are serialized: many requests at once, each logged once, the
    chain whole."""
    import threading
    fx = audit_rig
    n = fx.db.log_count()
    cid = fx.ids["a_active"]
    plan = [("carol", "api/cases/%d" % cid), ("alice", "api/cases/%d" % cid), ("olive", "api/notices"),
            ("ghost", "api/cases"), ("audrey", "api/audit?limit=3"), ("chris", "api/cases")]
    ids, errors = [], []

    def worker(user, path):
        c = Client(fx.httpd.base(), user)
        for _ in range(15):
            r = c.get(path)
            if r.status_code >= 500:
                errors.append((user, r.status_code, r.text))
            ids.append(r.headers["X-Request-Id"])

    threads = [threading.Thread(target=worker, args=p) for p in plan * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert fx.db.log_count() == n + len(ids) == n + 180
    logged = [e["request_id"] for e in db_entries(fx.rig.db)[n:]]
    assert sorted(logged) == sorted(ids)
    assert H.check_chain(db_entries(fx.rig.db)) is None
    rc, out = verify(fx.rig.db)
    assert rc == 0, out


@pytest.mark.parametrize("kind", ["content-type", "malformed-json", "duplicate-key", "too-large",
                                  "bad-token", "no-role", "not-visible", "wrong-state"])
def test_every_refusal_of_a_step_is_logged_once_and_leaves_nothing_else(audit_rig, kind):
    """README: every request to a route that touches case data, including
    refusals for no role, a bad token or a malformed body, appends exactly one
    entry; a refused step leaves nothing else behind."""
    fx = audit_rig
    cid = fx.ids["a_ref"]
    path = "api/cases/%d/close" % cid
    json_h = {"Content-Type": "application/json"}
    carol = fx.as_user("carol")
    send = {
        "content-type": lambda: carol.post(path, data='{"reason":"x"}', headers={"Content-Type": "text/plain"}),
        "malformed-json": lambda: carol.post(path, data='{"reason":', headers=json_h),
        "duplicate-key": lambda: carol.post(path, data='{"reason":"a","reason":"b"}', headers=json_h),
        "too-large": lambda: carol.post(path, {"reason": "x" * (70 * 1024)}),
        "bad-token": lambda: carol.post(path, {"reason": "x"}, token="1." + "0" * 64),
        "no-role": lambda: fx.as_user("ghost").post(path, {"reason": "x"}, token=None),
        "not-visible": lambda: fx.as_user("alice").post(path, {"reason": "x"}),
        "wrong-state": lambda: carol.post("api/cases/%d/close" % fx.ids["a_active"], {"reason": "x"}),
    }[kind]
    status = {"content-type": 415, "malformed-json": 400, "duplicate-key": 400, "too-large": 413,
              "bad-token": 403, "no-role": 403, "not-visible": 404, "wrong-state": 409}[kind]
    carol.token()
    before, n = fx.db.counts(), fx.db.log_count()
    r = send()
    assert r.status_code == status, (kind, r.status_code, r.text)
    assert fx.db.log_count() == n + 1
    assert fx.db.counts() == before
    last = fx.db.query("SELECT * FROM access_log ORDER BY seq DESC LIMIT 1")[0]
    assert last["request_id"] == r.headers["X-Request-Id"]
    assert (last["action"], last["status"], last["outcome"]) == ("case.close", status, "refused")
    assert last["case_id"] == (fx.ids["a_active"] if kind == "wrong-state" else cid)


def test_tail_truncated_then_the_log_goes_on(audit_rig, copy, key, workdir):
    """Entries removed after a checkpoint and new ones appended (the count
    is back above the checkpoint's): the checkpoint's head is gone."""
    cp, _ = take_checkpoint(copy, key, workdir)
    entries = db_entries(copy)
    c = attacker(copy)
    c.execute("DELETE FROM access_log WHERE seq > ?", (len(entries) - 3,))
    c.commit()
    c.close()
    for _ in range(5):          # each export appends an entry of its own
        assert rig.admin(copy, "export-audit").returncode == 0
    assert len(db_entries(copy)) == len(entries) + 2
    assert verify(copy)[0] == 0
    rc, out = verify(copy, "--checkpoint", cp, "--key", key)
    assert rc == 1 and re.search(r"^bad: first bad entry \d+", out, re.M), out


@pytest.mark.parametrize("args", [["checkpoint"], ["checkpoint", "--key", "SHORT"],
                                  ["verify-audit", "--checkpoint", "CP"],
                                  ["verify-audit", "--checkpoint", "CP", "--key", "SHORT"]])
def test_checkpoint_key_is_required_and_long_enough(audit_rig, copy, key, workdir, args):
    short = os.path.join(workdir, "short.key")
    with open(short, "w") as f:
        f.write("too-short")
    cp, _ = take_checkpoint(copy, key, workdir)
    args = [{"SHORT": short, "CP": cp}.get(a, a) for a in args]
    res = rig.admin(copy, *args, check=False)
    assert res.returncode == 2, res.stdout + res.stderr


# ---- the triggers ----

def test_update_and_delete_refused_on_the_live_log(audit_rig):
    """By the database itself, for whoever has the file (SQLite) or is the
    tables' owner (PostgreSQL; TRUNCATE too, which fires no row trigger)."""
    db = audit_rig.rig.db
    before = db_entries(db)
    changes = ["""UPDATE access_log SET "user" = 'mallory' WHERE seq = 2""",
               "DELETE FROM access_log WHERE seq = 3", "DELETE FROM access_log"]
    if PG:
        changes.append("TRUNCATE access_log")
    for sql in changes:
        with pytest.raises(Exception, match="append-only"):
            Db(db).write(sql)
    audit_rig.httpd.fix_db_owner()
    assert db_entries(db)[:len(before)] == before


# ---- export-audit ----

def export(fx, *args):
    res = rig.admin(fx.rig.db, "export-audit", *args, check=False)
    fx.httpd.fix_db_owner()
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def from_json(text):
    doc = json.loads(text)
    out = []
    for e in doc["entries"]:
        assert set(e) == set(COLUMNS), e
        e = dict(e)
        e["roles"] = ",".join(e["roles"])
        e["case_ids"] = ",".join(str(i) for i in e["case_ids"]) or None
        out.append(e)
    return out


def from_csv(text):
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == COLUMNS
    out = []
    for row in rows[1:]:
        # README: a text cell that begins with ' had one put before it (CSV injection)
        e = {k: v[1:] if v.startswith("'") else v for k, v in zip(COLUMNS, row)}
        for k in ("seq", "status"):
            e[k] = int(e[k])
        # an empty field is a value that is not there; roles is always text
        for k in ("acting_as", "case_id", "request_id", "client", "case_ids", "refused_rule"):
            if e[k] == "":
                e[k] = None
        if e["case_id"] is not None:
            e["case_id"] = int(e["case_id"])
        out.append(e)
    return out


def api_entries(fx, **query):
    """Every entry api/audit gives, following next_after."""
    out, after = [], 0
    while True:
        q = dict(query, after=after, limit=1000)
        r = fx.as_user("audrey").get("api/audit", params=q)
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["entries"]
        if body["next_after"] is None:
            return out
        after = body["next_after"]


@pytest.mark.parametrize("fmt,parse", [("json", from_json), ("csv", from_csv)])
def test_export_reverifies_and_matches_the_api(audit_rig, fmt, parse):
    fx = audit_rig
    n = fx.db.log_count()
    entries = parse(export(fx, "--format", fmt))
    # export leaves its own entry, and exports it too
    assert fx.db.log_count() == n + 1
    assert len(entries) == n + 1
    mine = entries[-1]
    assert mine["action"] == "admin.export-audit" and mine["user"].startswith("admin:")
    assert mine["outcome"] == "allowed" and mine["client"] == "habitual-admin"
    # every hash recomputed from the README's encoding, every link checked
    assert [e["seq"] for e in entries] == list(range(1, n + 2))
    for e in entries:
        assert H.entry_hash(e) == e["hash"], e
    assert H.check_chain(entries) is None
    # the same entries the auditors see in api/audit
    api = {e["seq"]: e for e in api_entries(fx)}
    for e in entries:
        a = api[e["seq"]]
        mine = {k: e[k] for k in API_FIELDS}
        mine["roles"] = e["roles"].split(",") if e["roles"] else []
        assert {k: a[k] for k in API_FIELDS} == mine
        assert a.get("acting_as", e["acting_as"]) == e["acting_as"]
    # and the rows in the database, field for field
    stored = db_entries(fx.rig.db)[:len(entries)]
    assert entries == stored


def test_export_default_format_is_json(audit_rig):
    entries = from_json(export(audit_rig))
    assert entries and H.check_chain(entries) is None


def test_export_from_to_restricts_by_date(audit_rig):
    fx = audit_rig
    then, now = day(-DAYS_BACK), day(0)
    stored = db_entries(fx.rig.db)
    old = [e["seq"] for e in stored if e["at"].startswith(then)]
    assert len(old) >= 4
    got = from_json(export(fx, "--from", then, "--to", then))
    assert [e["seq"] for e in got] == old
    for e in got:
        assert H.entry_hash(e) == e["hash"]
    got = from_csv(export(fx, "--format", "csv", "--to", day(-1)))
    assert [e["seq"] for e in got] == old
    got = from_json(export(fx, "--from", now))
    stored = db_entries(fx.rig.db)
    assert [e["seq"] for e in got] == [e["seq"] for e in stored if e["at"] >= now][:len(got)]
    assert not any(e["at"].startswith(then) for e in got)
    assert got[-1]["action"] == "admin.export-audit"
    assert from_json(export(fx, "--from", day(1))) == []


@pytest.mark.parametrize("args", [["--format", "xml"], ["--from", "yesterday"], ["--to", "2026-02-30T00:00:00Z"],
                                  ["--bogus"]])
def test_export_usage_errors(audit_rig, args):
    n = audit_rig.db.log_count()
    res = rig.admin(audit_rig.rig.db, "export-audit", *args, check=False)
    assert res.returncode == 2, res.stdout + res.stderr
    assert audit_rig.db.log_count() == n


# ---- api/audit ----

def test_api_audit_filters(audit_rig):
    fx = audit_rig
    then = day(-DAYS_BACK)
    stored = db_entries(fx.rig.db)
    # user
    got = api_entries(fx, user="alice")
    assert got and all(e["user"] == "alice" for e in got)
    assert [e["seq"] for e in got] == [e["seq"] for e in stored if e["user"] == "alice"]
    # case
    cid = fx.ids["a_active"]
    got = api_entries(fx, case=cid)
    assert [e["seq"] for e in got] == [e["seq"] for e in stored if e["case_id"] == cid or
                                       str(cid) in (e["case_ids"] or "").split(",")]
    assert {e["user"] for e in got} >= {"alice", "ghost", "carol", "chris"}
    # dates, inclusive, and UTC times
    got = api_entries(fx, **{"from": then, "to": then})
    assert [e["seq"] for e in got] == [e["seq"] for e in stored if e["at"].startswith(then)]
    assert len(got) >= 4
    got = api_entries(fx, to=day(-1))
    assert [e["seq"] for e in got] == [e["seq"] for e in stored if e["at"] < day(0)]
    first_today = min(e["at"] for e in stored if e["at"] >= day(0))
    got = api_entries(fx, **{"from": first_today, "to": first_today})
    assert got and all(e["at"] == first_today for e in got)
    assert api_entries(fx, **{"from": day(1)}) == []
    # combined
    got = api_entries(fx, user="alice", **{"from": then, "to": then})
    assert [e["seq"] for e in got] == [e["seq"] for e in stored
                                       if e["user"] == "alice" and e["at"].startswith(then)]
    assert len(got) == 2


# include/habitual/store/audit.h: the index is written every this many entries
INDEX_EVERY = 128


def test_a_case_search_finds_every_look_on_both_sides_of_the_index_mark(audit_rig):
    """README "The access log": the index of the cases shown is written in
    arrears and by block, by every 128th entry: a row for each case the
    block's entries showed, once, with the block's first and last seq, and
    a row for case 0 that marks the block.  The index names exactly the
    cases shown in each block; api/audit?case=N finds the looks in the
    blocks that name the case and those after the last mark by their own
    case_ids, all of them, in order, and no entry that did not show it."""
    fx = audit_rig
    cid = fx.ids["a_active"]
    carol = fx.as_user("carol")
    start = fx.db.log_count()
    while fx.db.log_count() < (start // INDEX_EVERY + 1) * INDEX_EVERY + 20:
        r = carol.get("api/cases")    # the CEM's list shows every case
        assert r.status_code == 200 and cid in [c["id"] for c in r.json()["cases"]], r.text[:300]
    stored = db_entries(fx.rig.db)
    blocks = fx.db.query("SELECT case_id, first_seq, last_seq FROM access_log_case_blocks "
                         "ORDER BY last_seq, case_id")
    marks = [(b["first_seq"], b["last_seq"]) for b in blocks if b["case_id"] == 0]
    mark = marks[-1][1]
    assert mark % INDEX_EVERY == 0 and start < mark < len(stored), (start, mark, len(stored))
    # the blocks follow one another from the old index's mark (or the start)
    old_mark = fx.db.scalar("SELECT coalesce(max(seq), 0) FROM access_log_cases WHERE case_id = 0")
    assert [m[0] for m in marks] == [old_mark + 1] + [m[1] + 1 for m in marks[:-1]], marks
    # each block names exactly the cases its entries showed
    for first, last in marks:
        named = sorted(b["case_id"] for b in blocks if b["last_seq"] == last and b["case_id"])
        assert all(b["first_seq"] == first for b in blocks if b["last_seq"] == last)
        assert named == sorted({int(c) for e in stored if first <= e["seq"] <= last
                                for c in (e["case_ids"] or "").split(",") if c}), (first, last)
    shown = [e["seq"] for e in stored if str(cid) in (e["case_ids"] or "").split(",")]
    assert [q for q in shown if old_mark < q < mark - 20] and [q for q in shown if q > mark], \
        "looks in a block and after the last mark"
    got = api_entries(fx, case=cid)
    assert [e["seq"] for e in got if e["seq"] <= len(stored)] == \
        [e["seq"] for e in stored if e["case_id"] == cid or e["seq"] in shown]


def test_api_audit_entries_carry_the_spec_fields(audit_rig):
    got = audit_rig.as_user("audrey").get("api/audit", params={"limit": 5}).json()["entries"]
    assert len(got) == 5
    for e in got:
        assert set(API_FIELDS) <= set(e)
        assert isinstance(e["roles"], list) and isinstance(e["seq"], int)


def test_api_audit_pages_with_after_and_limit(audit_rig):
    fx = audit_rig
    audrey = fx.as_user("audrey")
    seqs, after, pages = [], 0, 0
    while True:
        r = audrey.get("api/audit", params={"after": after, "limit": 7})
        body = r.json()
        page = [e["seq"] for e in body["entries"]]
        assert len(page) <= 7 and all(s > after for s in page)
        if len(page) == 7:
            assert body["next_after"] == page[-1]
        else:
            assert body["next_after"] is None
        seqs += page
        pages += 1
        if body["next_after"] is None:
            break
        after = body["next_after"]
    # every entry once, in order, including the ones the paging itself added
    assert seqs == list(range(1, seqs[-1] + 1))
    assert pages > 5
    assert seqs[-1] >= fx.db.log_count() - 1
    # after alone, with the default limit of 100
    body = audrey.get("api/audit", params={"after": 10}).json()
    assert body["entries"][0]["seq"] == 11 and len(body["entries"]) == min(100, fx.db.log_count() - 11)


@pytest.mark.parametrize("query", ["limit=0", "limit=5000", "limit=1001", "limit=abc", "limit=",
                                   "case=abc", "case=0", "after=-1", "from=yesterday",
                                   "to=2026-13-45", "from=2026-01-01T25:00:00Z",
                                   "limit=5&limit=5", "user=alice&user=bob", "foo=1"])
def test_api_audit_bad_parameters_are_400_and_logged(audit_rig, query):
    fx = audit_rig
    n = fx.db.log_count()
    r = fx.as_user("audrey").get("api/audit?" + query)
    assert r.status_code == 400, (query, r.status_code, r.text)
    assert "error" in r.json()
    assert fx.db.log_count() == n + 1
    last = fx.db.query("SELECT * FROM access_log ORDER BY seq DESC LIMIT 1")[0]
    assert (last["action"], last["user"], last["status"], last["outcome"]) == \
        ("audit.list", "audrey", 400, "refused")
    assert last["request_id"] == r.headers["X-Request-Id"]


@pytest.mark.parametrize("path", ["api/audit", "api/audit/verify"])
def test_only_auditors_read_the_log_and_every_look_is_logged(audit_rig, path):
    fx = audit_rig
    action = {"api/audit": "audit.list", "api/audit/verify": "audit.verify"}[path]
    for u, status in [("alice", 403), ("bob", 403), ("carol", 403), ("molly", 403), ("chris", 403),
                      ("olive", 403), ("ghost", 403), ("audrey", 200), ("dana", 200)]:
        n = fx.db.log_count()
        r = fx.as_user(u).get(path)
        assert r.status_code == status, (u, r.status_code, r.text)
        assert fx.db.log_count() == n + 1, u
        last = fx.db.query("SELECT * FROM access_log ORDER BY seq DESC LIMIT 1")[0]
        assert last["action"] == action and last["user"] == u and last["status"] == status
        assert last["outcome"] == ("allowed" if status == 200 else "refused")
        assert last["request_id"] == r.headers["X-Request-Id"]
        if status == 200 and path == "api/audit":
            # the look is logged after it is answered from its snapshot: not in its own page
            assert r.json()["entries"][-1]["seq"] < last["seq"]


def test_api_verify_on_an_untouched_log(audit_rig):
    fx = audit_rig
    r = fx.as_user("audrey").get("api/audit/verify")
    body = r.json()
    stored = db_entries(fx.rig.db)
    assert body["ok"] is True
    # the verify's own entry comes after the snapshot it verified
    assert body["entries"] == len(stored) - 1
    assert body["head"] == stored[-2]["hash"]
    assert stored[-1]["action"] == "audit.verify" and stored[-1]["prev_hash"] == body["head"]
