"""Issue 11, findings 5 and 11b (README "The access log", "habitual-admin"
checkpoint, "Security guarantees").

5: the access log's anchor outside the database.  A checkpoint an auditor
kept (the daily `habitual-admin checkpoint --send/--dir`) is checked by
`POST api/audit/verify`, the auditors' page and `verify-audit --checkpoint`;
a re-chain after it (triggers dropped, an entry edited, every hash after it
recomputed, so the chain verifies on its own) is reported by all of them.

11b: list views and notices record the case ids they showed, inside the
hash chain, and `api/audit?case=N` finds those entries."""

import base64
import os
import re
import shutil
import stat
import tempfile

import pytest

import rig
import helpers_access as H
from conftest import Db, RigFixture, _check_sanitizers
from helpers_procedure import fake_sendmail, parse_mails

AUDITOR_MAILS = {"audrey@example.org", "dana@example.org"}


def write_key(path):
    with open(path, "w") as f:
        f.write(base64.b64encode(os.urandom(48)).decode() + "\n")
    os.chmod(path, 0o600)
    return path


class KeyedRig:
    """A rig whose httpd has HabitualCheckpointKeyFile (the key the admin
    tool signs checkpoints with)."""

    def __init__(self):
        self.workdir = tempfile.mkdtemp(prefix="habitual-anchor-")
        os.chmod(self.workdir, 0o755)
        self.key = write_key(os.path.join(self.workdir, "checkpoint.key"))
        self.rig = rig.Rig(self.workdir, extra_location="    HabitualCheckpointKeyFile %s\n" % self.key)
        self.fx = RigFixture(self.rig)
        self.fx.key = self.key
        self.fx.workdir = self.workdir

    def close(self):
        self.rig.httpd.stop()
        self.fx.db.close()
        _check_sanitizers(self.rig)
        self.rig.stop()


@pytest.fixture(scope="module")
def anchor():
    k = KeyedRig()
    try:
        s = H.Seeder(k.fx)
        k.fx.ids = {"active": s.active("anchor_active"), "active2": s.active("anchor_active2"),
                    "referred": s.referred("anchor_referred")}
        yield k.fx
    finally:
        k.close()


@pytest.fixture
def keyed():
    """A keyed rig of the test's own: for tests that tamper with the log."""
    k = KeyedRig()
    try:
        yield k.fx
    finally:
        k.close()


def checkpoint(fx, *extra, check=True):
    res = fx.admin("checkpoint", "--key", fx.key, *extra, check=False)
    fx.httpd.fix_db_owner()
    if check:
        assert res.returncode == 0, res.stdout + res.stderr
    return res


def take(fx):
    line = checkpoint(fx).stdout.strip()
    assert len(line.splitlines()) == 1 and line.startswith("habitual-checkpoint v1 ")
    return line


def post_checkpoint(fx, line, user="audrey", **kw):
    return fx.as_user(user).post("api/audit/verify", {"checkpoint": line}, **kw)


def audit_for_case(fx, cid):
    r = fx.as_user("audrey").get("api/audit", params={"case": cid, "limit": 1000})
    assert r.status_code == 200, r.text
    return r.json()["entries"]


def last_entry(fx):
    return fx.db.query("SELECT * FROM access_log ORDER BY seq DESC LIMIT 1")[0]


# ---- 11b: what list views and notices showed is in the log ----

@pytest.mark.parametrize("user,path,action,tag", [
    ("olive", "api/notices", "notices.list", "active"),      # a chief officer's notices
    ("olive", "notices", "notices.list", "active"),          # ... and the page
    ("carol", "api/cases", "cases.list", "active"),          # the CEM's list of cases
    ("carol", "cases", "page.cases", "active"),
    ("carol", "", "page.home", "referred"),                  # the dashboard: new referrals
    ("olive", "api/notifications", "notifications.list", "active"),
])
def test_a_list_records_the_cases_it_showed_and_api_audit_finds_it(anchor, user, path, action, tag):
    fx = anchor
    cid = fx.ids[tag]
    r = fx.as_user(user).get(path)
    assert r.status_code == 200, r.text
    entry = last_entry(fx)
    assert (entry["user"], entry["action"], entry["request_id"]) == (user, action, r.headers["X-Request-Id"])
    assert entry["case_id"] is None
    shown = [int(i) for i in entry["case_ids"].split(",")]
    assert cid in shown and shown == sorted(set(shown))
    if path == "api/notices":
        assert shown == sorted(n["case_id"] for n in r.json()["notices"])
        assert fx.ids["referred"] not in shown        # no restrictions: no notice shown
    if path == "api/cases":
        assert shown == sorted(c["id"] for c in r.json()["cases"])
    # the auditor asking about that case finds who saw it, with the ids
    found = [e for e in audit_for_case(fx, cid) if e["seq"] == entry["seq"]]
    assert len(found) == 1 and found[0]["user"] == user and cid in found[0]["case_ids"]
    # and a case it did not show does not bring it up
    for other in fx.ids.values():
        if other not in shown:
            assert entry["seq"] not in [e["seq"] for e in audit_for_case(fx, other)]


def test_notices_served_from_the_kept_answer_still_name_their_cases(anchor):
    fx = anchor
    olive = fx.as_user("olive")
    first = olive.get("api/notices")
    one = last_entry(fx)
    second = olive.get("api/notices")                 # the process's kept answer
    two = last_entry(fx)
    assert first.text == second.text
    assert one["seq"] != two["seq"] and one["case_ids"] == two["case_ids"] and two["case_ids"]


def test_shown_ids_are_in_the_chain_and_old_entries_still_verify(anchor):
    fx = anchor
    fx.as_user("olive").get("api/notices")
    entries = fx.db.query("SELECT * FROM access_log ORDER BY seq")
    with_ids = [e for e in entries if e["case_ids"]]
    without = [e for e in entries if not e["case_ids"]]
    assert with_ids and without
    assert H.check_chain(entries) is None          # v1 and v2 entries in one chain
    assert H.canonical(with_ids[0]).startswith(b"habitual-audit-v2\n")
    assert H.canonical(without[0]).startswith(b"habitual-audit-v1\n")
    assert fx.as_user("audrey").get("api/audit/verify").json()["ok"] is True
    # api/audit shows them; an entry without any has an empty list
    got = fx.as_user("audrey").get("api/audit", params={"after": with_ids[0]["seq"] - 1, "limit": 1}).json()
    assert got["entries"][0]["case_ids"] == [int(i) for i in with_ids[0]["case_ids"].split(",")]
    got = fx.as_user("audrey").get("api/audit", params={"after": without[0]["seq"] - 1, "limit": 1}).json()
    assert got["entries"][0]["case_ids"] == []


def test_a_refused_list_names_no_cases(anchor):
    fx = anchor
    r = fx.as_user("alice").get("cases")            # staff: not the list of all cases
    assert r.status_code == 403
    assert last_entry(fx)["case_ids"] is None


def test_shown_ids_edited_in_the_database_break_the_chain_there(keyed):
    fx = keyed
    s = H.Seeder(fx)
    cid = s.active("shown_edit")
    fx.as_user("olive").get("api/notices")
    target = last_entry(fx)
    assert target["case_ids"] == str(cid)
    fx.as_user("carol").get("api/cases")
    c = Db(fx.rig.db).attacker()
    c.execute("UPDATE access_log SET case_ids = NULL WHERE seq = ?", (target["seq"],))
    c.commit()
    c.close()
    body = fx.as_user("audrey").get("api/audit/verify").json()
    assert body["ok"] is False and body["first_bad_seq"] == target["seq"], body


# ---- 5: POST api/audit/verify with a kept checkpoint ----

def test_a_checkpoint_that_still_holds_passes_in_the_api_and_the_page(anchor):
    fx = anchor
    line = take(fx)
    n = int(re.search(r"entries=(\d+)", line).group(1))
    fx.as_user("carol").get("api/cases")            # the log goes on after it
    before = fx.db.log_count()
    r = post_checkpoint(fx, line)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["checkpoint"]["entries"] == n and body["entries"] > n, body
    assert fx.db.log_count() == before + 1
    assert last_entry(fx)["action"] == "audit.verify.checkpoint"
    # a line pasted with spaces and a newline around it is the same line
    assert post_checkpoint(fx, "  %s\r\n" % line).json()["ok"] is True
    # the page: a form with the token, no JavaScript needed
    audrey = fx.as_user("audrey")
    page = audrey.get("audit/verify")
    assert page.status_code == 200
    assert 'name="checkpoint"' in page.text and 'name="csrf_token"' in page.text
    assert re.search(r'<form[^>]*method="post"', page.text)
    r = audrey.post("audit/verify", data={"csrf_token": audrey.token(), "checkpoint": line}, token=None,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.text
    assert "still holds the checkpoint" in r.text
    # without the form's token: 403
    r = audrey.post("audit/verify", data={"checkpoint": line}, token=None,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403


def test_bad_forged_or_foreign_lines_are_clear_errors(anchor):
    fx = anchor
    line = take(fx)
    n = int(re.search(r"entries=(\d+)", line).group(1))
    other = write_key(os.path.join(fx.workdir, "other.key"))
    foreign = fx.admin("checkpoint", "--key", other).stdout.strip()
    fx.httpd.fix_db_owner()
    cases = [
        ("nonsense", 400, "invalid-checkpoint"),
        (line + " extra", 400, "invalid-checkpoint"),
        (line.replace("entries=%d" % n, "entries=%d" % (n - 1)), 422, "checkpoint-signature"),
        (foreign, 422, "checkpoint-signature"),
        ("", 400, "missing-field"),
    ]
    for text, status, code in cases:
        n_before = fx.db.log_count()
        r = post_checkpoint(fx, text)
        assert r.status_code == status, (text, r.status_code, r.text)
        assert r.json()["error"]["code"] == code, r.text
        assert fx.db.log_count() == n_before + 1      # refused, and logged
        assert last_entry(fx)["outcome"] == "refused"
    r = fx.as_user("audrey").post("api/audit/verify", {"checkpoint": line, "extra": 1})
    assert r.status_code == 400
    r = fx.as_user("audrey").post("api/audit/verify", {"checkpoint": line}, token="1." + "0" * 64)
    assert r.status_code == 403
    # the page shows the error at the field
    audrey = fx.as_user("audrey")
    r = audrey.post("audit/verify", data={"csrf_token": audrey.token(), "checkpoint": "nonsense"}, token=None,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "govuk-error-summary" in r.text and 'href="#checkpoint"' in r.text


@pytest.mark.parametrize("user", ["carol", "olive", "alice", "chris"])
def test_only_auditors_check_a_checkpoint_as_get_refuses_them(anchor, user):
    fx = anchor
    line = take(fx)
    get = fx.as_user(user).get("api/audit/verify")
    r = post_checkpoint(fx, line, user=user)
    assert r.status_code == get.status_code == 403, r.text
    assert "ok" not in r.json()


def test_without_a_key_on_the_server_the_api_says_so(shared_rig, workdir):
    fx = shared_rig
    key = write_key(os.path.join(workdir, "k"))
    line = fx.admin("checkpoint", "--key", key).stdout.strip()
    fx.httpd.fix_db_owner()
    r = post_checkpoint(fx, line)
    assert r.status_code == 422 and r.json()["error"]["code"] == "no-checkpoint-key", r.text


def rechain_from(fx, seq, change):
    """What an attacker with the database does: the triggers off, one entry
    changed, every hash from it on recomputed with the documented encoding."""
    entries = fx.db.query("SELECT * FROM access_log ORDER BY seq")
    k = seq - 1
    change(entries[k])
    prev = entries[k - 1]["hash"] if k else H.GENESIS
    c = Db(fx.rig.db).attacker()
    for e in entries[k:]:
        e["prev_hash"] = prev
        e["hash"] = H.entry_hash(e)
        prev = e["hash"]
        c.execute('UPDATE access_log SET "user" = ?, case_ids = ?, prev_hash = ?, hash = ? WHERE seq = ?',
                  (e["user"], e["case_ids"], e["prev_hash"], e["hash"], e["seq"]))
    c.commit()
    c.close()


@pytest.mark.parametrize("what", ["user", "case_ids"])
def test_a_rechain_after_a_checkpoint_is_reported_by_the_api_the_page_and_verify_audit(keyed, what):
    fx = keyed
    s = H.Seeder(fx)
    s.active("rechain")
    for u in ("olive", "carol", "olive"):
        fx.as_user(u).get("api/notices" if u == "olive" else "api/cases")
    line = take(fx)
    n = int(re.search(r"entries=(\d+)", line).group(1))
    cp = os.path.join(fx.workdir, "cp")
    with open(cp, "w") as f:
        f.write(line + "\n")
    assert post_checkpoint(fx, line).json()["ok"] is True
    entries = fx.db.query("SELECT * FROM access_log ORDER BY seq")
    if what == "user":
        target = entries[len(entries) // 2]["seq"]
        rechain_from(fx, target, lambda e: e.update(user="someone-else"))
    else:                                   # hide who saw a notice
        target = [e for e in entries if e["case_ids"] and e["user"] == "olive"][0]["seq"]
        rechain_from(fx, target, lambda e: e.update(case_ids=None))
    # the chain alone is fooled ...
    assert fx.as_user("audrey").get("api/audit/verify").json()["ok"] is True
    res = fx.admin("verify-audit", check=False)
    assert res.returncode == 0, res.stdout
    # ... the checkpoint is not
    r = post_checkpoint(fx, line)
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is False and body["reason"] == "rewritten" and body["first_bad_seq"] == n, body
    assert "re-chained" in body["problem"]
    res = fx.admin("verify-audit", "--checkpoint", cp, "--key", fx.key, check=False)
    fx.httpd.fix_db_owner()
    assert res.returncode == 1 and re.search(r"^bad: first bad entry %d: .*re-chained" % n, res.stdout, re.M), \
        res.stdout + res.stderr
    audrey = fx.as_user("audrey")
    page = audrey.post("audit/verify", data={"csrf_token": audrey.token(), "checkpoint": line}, token=None,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 200 and "has been changed since the checkpoint" in page.text
    # a checkpoint taken after the re-chain holds: only an older one kept off the server shows it
    assert post_checkpoint(fx, take(fx)).json()["ok"] is True


def test_entries_removed_after_a_checkpoint_are_reported_at_the_first_missing(keyed):
    fx = keyed
    s = H.Seeder(fx)
    s.referred("truncate")
    line = take(fx)
    n = int(re.search(r"entries=(\d+)", line).group(1))
    c = Db(fx.rig.db).attacker()
    c.execute("DELETE FROM access_log WHERE seq > ?", (n - 2,))
    c.commit()
    c.close()
    body = post_checkpoint(fx, line).json()   # its own entry is n - 1: still short of n
    assert body["ok"] is False and body["reason"] == "truncated" and body["first_bad_seq"] == n - 1, body


# ---- 5: the daily job ----

def sendmails(workdir):
    good, log = fake_sendmail(workdir)
    bad, _ = fake_sendmail(workdir, fail=True)
    return log, good, bad


def test_daily_checkpoint_is_mailed_to_the_auditors_and_written_to_a_directory(anchor, workdir):
    fx = anchor
    log, good, bad = sendmails(workdir)
    outdir = os.path.join(workdir, "checkpoints")
    os.mkdir(outdir, 0o750)
    send = ["--send", "--ldap-url", fx.httpd.ldap_url, "--group", rig.group_dn("auditors")]
    res = checkpoint(fx, *send, "--sendmail", good, "--dir", outdir)
    line = res.stdout.strip()
    assert "sent to 2 auditors" in res.stderr
    mails = parse_mails(log)
    assert len(mails) == 1
    headers, body = mails[0]
    assert {a.strip() for a in headers["To"].split(",")} == AUDITOR_MAILS
    assert re.fullmatch(r"Habitual contact: access log checkpoint \d{4}-\d\d-\d\d", headers["Subject"])
    assert line in body.splitlines()
    assert all(ord(ch) < 128 for ch in open(log).read())
    files = os.listdir(outdir)
    assert len(files) == 1 and re.fullmatch(r"habitual-checkpoint-\d{8}T\d{6}Z-\d+\.txt", files[0])
    path = os.path.join(outdir, files[0])
    assert open(path).read() == line + "\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    # what the auditors received is what the checks take
    assert post_checkpoint(fx, line).json()["ok"] is True
    res = fx.admin("verify-audit", "--checkpoint", path, "--key", fx.key, check=False)
    fx.httpd.fix_db_owner()
    assert res.returncode == 0 and "checkpoint ok" in res.stdout, res.stdout + res.stderr

    # a failing sendmail, or LDAP away: exit 1, said plainly (the file is still written)
    res = checkpoint(fx, *send, "--sendmail", bad, check=False)
    assert res.returncode == 1 and "not sent: sendmail exited with status 1" in res.stderr
    dead = ["--send", "--ldap-url", "ldap://127.0.0.1:%d/ou=people,dc=example,dc=org" % rig.free_port(),
            "--group", rig.group_dn("auditors")]
    res = checkpoint(fx, *dead, "--sendmail", good, "--dir", outdir, check=False)
    assert res.returncode == 1 and "LDAP" in res.stderr
    assert len(parse_mails(log)) == 1 and len(os.listdir(outdir)) == 2


def test_a_mail_value_with_a_header_in_it_is_never_written_into_the_message(anchor, workdir):
    fx = anchor
    log, good, _bad = sendmails(workdir)
    dn = rig.user_dn("dana")
    fx.slapd.modify("dn: %s\nchangetype: modify\nreplace: mail\nmail:: %s\n"
                    % (dn, base64.b64encode(b"dana@example.org\r\nBcc: mallory@example.org").decode()))
    try:
        res = checkpoint(fx, "--send", "--ldap-url", fx.httpd.ldap_url, "--group", rig.group_dn("auditors"),
                         "--sendmail", good)
        assert "not a plain address" in res.stderr
        raw = open(log).read()
        assert "mallory" not in raw and "Bcc" not in raw
        headers, _body = parse_mails(log)[0]
        assert headers["To"] == "audrey@example.org"
    finally:
        fx.slapd.modify("dn: %s\nchangetype: modify\nreplace: mail\nmail: dana@example.org\n" % dn)


@pytest.mark.parametrize("args,code", [
    (["--send"], 2),                                           # no --ldap-url / --group
    (["--ldap-url", "ldap://x/dc=y", "--group", "cn=a"], 2),   # they go with --send
    (["--dir", "/nonexistent-habitual"], 2),
    (["--dir", "WORLD"], 2),                                   # anyone may write it
    (["--bogus"], 2),
])
def test_daily_checkpoint_usage_errors(anchor, workdir, args, code):
    world = os.path.join(workdir, "world")
    os.mkdir(world)
    os.chmod(world, 0o777)
    args = [world if a == "WORLD" else a for a in args]
    res = checkpoint(anchor, *args, check=False)
    assert res.returncode == code, res.stdout + res.stderr
    assert res.stdout == ""                                    # no line printed, nothing sent
    assert os.listdir(world) == []


def test_checkpoint_help(anchor):
    res = anchor.admin("checkpoint", "--help")
    assert res.returncode == 0 and "--send" in res.stdout and "--dir" in res.stdout
