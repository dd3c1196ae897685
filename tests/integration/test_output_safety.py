"""Issue 11 (security review): what habitual-admin and the web exports print.

Finding 8: every CSV goes through one writer (mod_habitual/core/base/csv.c) that
puts a ' before a text cell a spreadsheet would take for a formula (= + - @
TAB CR, and ' itself so the rule can be undone).  Finding 6b: every format
of every admin verb escapes what it prints (HTML escaped, text without
control characters, JSON through jansson).  Finding 11a: verbs that print
personal data leave access-log entries, as sar does."""

import csv
import io
import json

import rig
from helpers_procedure import add_months, iso, today
from test_admin_ops import Seeder, admin_json, ok

FORMULAS = ['=HYPERLINK("http://x")', "@SUM(1)", "+1+2", "-2+3+cmd|' /C calc'!A0"]
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ESC = "\x1b[31m\x1b]0;owned\x07"


def rows_of(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def undo(cell):
    """The README's reading rule: one leading ' was added; drop it."""
    return cell[1:] if cell.startswith("'") else cell


def assert_no_formula_cells(rows):
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in "=+@\t\r" and not (cell[0] == "-" and not cell.lstrip("-").isdigit()), row


# ---- finding 8: CSV injection ----

def test_reviews_csv_neutralises_a_reference_typed_as_a_formula(own_rig):
    s, t = Seeder(own_rig), today()
    start = add_months(t, -13)  # 24 months: review due a month ago
    ids = {ref: s.active(start=start, months=24, reference=ref) for ref in FORMULAS}
    text = own_rig.admin("reviews", "--format", "csv").stdout
    rows = rows_of(text)
    assert rows[0][:2] == ["case_id", "reference"]
    got = {int(r[0]): r[1] for r in rows[1:]}
    for ref, cid in ids.items():
        assert got[cid] == "'" + ref, (ref, got[cid])
        assert undo(got[cid]) == ref
        assert ('"\'%s"' % ref.replace('"', '""')) in text
    assert_no_formula_cells(rows)
    # days_overdue is a number the tool produced: bare, even when negative
    soon = s.active(start=add_months(t, -11), months=12, reference="REF-SOON-" + iso(t))
    rows = rows_of(own_rig.admin("reviews", "--format", "csv").stdout)
    mine = [r for r in rows[1:] if int(r[0]) == soon][0]
    assert int(mine[3]) < 0


def add_sign_in(fx, user):
    with open(fx.httpd.htpasswd, "a") as f:
        # htpasswd would read a leading '-' as an option: hash for "x", then rename
        f.write(user + rig.htpasswd_line("x", rig.PASSWORD)[1:] + "\n")


def test_audit_csv_exports_neutralise_a_user_name_typed_as_a_formula(own_rig):
    """A signed-in user with no directory entry is refused and logged under
    the name they signed in with: the one text of the log a person chooses."""
    names = ['=HYPERLINK("x")', "@SUM(1)", "+1+2", "-2+3", "'quoted"]
    for name in names:
        add_sign_in(own_rig, name)
        assert own_rig.as_user(name).get("api/cases").status_code == 403
    # habitual-admin export-audit --format csv
    admin = rows_of(own_rig.admin("export-audit", "--format", "csv").stdout)
    # the web export, as the auditor
    r = own_rig.as_user("audrey").get("audit/export", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    web = rows_of(r.text)
    for rows in (admin, web):
        assert rows[0][:3] == ["seq", "at", "user"]
        users = [row[2] for row in rows[1:]]
        for name in names:
            assert "'" + name in users, (name, users)
            assert name not in users
        assert_no_formula_cells(rows)
        # the rule undone gives the stored values back: the chain re-verifies from CSV
        stored = {e["seq"]: e["user"] for e in own_rig.db.query('SELECT seq, "user" FROM access_log')}
        for row in rows[1:]:
            assert undo(row[2]) == stored[int(row[0])]
    assert own_rig.admin("verify-audit").returncode == 0


# ---- finding 6b: every admin output escaped ----

HOSTILE = SCRIPT + " " + IMG          # for one-line fields (no control characters allowed)
LONG = HOSTILE + " " + ESC + " end"   # long texts may hold an ESC: the terminal must not get it


def hostile_case(s, ref):
    """Every free text the API takes, hostile; a second case closed with a hostile reason."""
    t = today()
    cid = s.raise_case(
        reference=ref, person={"name": HOSTILE, "reference": ref, "address": LONG, "date_of_birth": "1970-01-02"},
        department=HOSTILE, summary=LONG, measures_taken=LONG, vulnerable=True, vulnerability=LONG,
        representative={"name": HOSTILE, "address": LONG}, advocate={"name": HOSTILE, "address": LONG},
        copy_to=[{"name": HOSTILE, "role": HOSTILE, "address": LONG}])
    s.contact(cid, department=HOSTILE, officer=HOSTILE, summary=LONG, incidents=["swearing"])
    s.warn(cid, text=LONG)
    s.report(cid, [{"type": "behaviour-agreement", "terms": LONG}], behaviour=LONG,
             alternatives_considered=LONG, safeguarding={"considered": True, "adjustments": LONG},
             police_reference=HOSTILE)
    s.approve(cid, reasons=LONG)
    ok(s.u["carol"].post("api/cases/%d/grants" % cid, {"user": "bob", "reason": LONG, "expires": iso(t)}))
    ok(s.u["carol"].post("api/cases/%d/statements" % cid, {"received": iso(t), "text": LONG}))
    s.review(cid, report=LONG, reasons=LONG)
    s.appeal(cid, "vary", grounds=LONG, reasons=LONG,
             restrictions=[{"type": "third-party-only", "third_party": LONG}])
    other = s.raise_case(reference=ref, person={"name": HOSTILE, "reference": ref})
    s.close(other, reason=LONG)
    s.hold(other, reason=LONG)
    return cid, other


def test_sar_in_every_format_escapes_what_staff_typed(own_rig):
    s = Seeder(own_rig)
    ref = "R-" + IMG
    cid, other = hostile_case(s, ref)
    # a letter that did not come from the module (written into the database
    # behind its back): shown as text all the same, never as markup
    own_rig.db.write("INSERT INTO letters (case_id, number, kind, issued_at, issued_by, subject, body, "
                     "copied_to) VALUES (?, 99, 'warning', '2026-01-01T00:00:00Z', 'x', ?, ?, '[]')",
                     (cid, HOSTILE, "<p>Dear you</p>" + SCRIPT + '<img src=x onerror="alert(2)">'
                      "<iframe src=//x></iframe>" + ESC))
    letters = own_rig.db.scalar("SELECT count(*) FROM letters WHERE case_id = ?", (cid,))
    assert letters >= 4

    res = own_rig.admin("sar", ref, "--format", "html", check=False)
    assert res.returncode == 0, res.stderr
    page = res.stdout
    low = page.lower()
    for tag in ("<script", "<img", "<iframe"):
        assert tag not in low, tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('<div class="letter">') == letters
    assert "Dear you" in page and "Content-Security-Policy" in page

    doc = admin_json(own_rig, "sar", ref, "--format", "json")
    # JSON: jansson escapes; the values are as stored
    assert doc["cases"][0]["summary"] == LONG and doc["person"]["name"] == HOSTILE
    raw = own_rig.admin("sar", ref, "--format", "json").stdout
    assert "\x1b" not in raw and "\\u001b" in raw.lower()

    text = own_rig.admin("sar", ref, "--format", "text").stdout
    assert "\x1b" not in text and "\x07" not in text
    assert all(ord(ch) >= 0x20 or ch in "\n\t" for ch in text)
    assert "summary: " + LONG.replace("\x1b", "?").replace("\x07", "?") in text
    assert "<iframe" not in text  # a letter is its text, in every format

    out = own_rig.admin("sar", ref, "--format", "csv").stdout
    rows = rows_of(out)
    assert rows[0] == ["field", "value"]
    fields = dict(rows[1:])
    assert fields["person.reference"] == ref and fields["cases[1].summary"] == LONG
    assert_no_formula_cells(rows)
    assert all("<script" not in v.lower() or "alert(1)" in v for v in fields.values())
    assert not any("<iframe" in v for k, v in fields.items() if k.endswith(".body"))


def test_reviews_text_carries_no_terminal_escapes(own_rig):
    """A reference cannot hold control characters (the API refuses them); one
    written into the database behind the module's back still reaches no terminal."""
    s, t = Seeder(own_rig), today()
    cid = s.active(start=add_months(t, -13), months=24, reference="R-ok-" + iso(t))
    own_rig.db.write("UPDATE persons SET reference = ? WHERE id = (SELECT person_id FROM cases WHERE id = ?)",
                     ("R-\x1b[2J\x1b]0;x\x07-\u202eevil\nline", cid))
    text = own_rig.admin("reviews").stdout
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    line = [l for l in text.splitlines() if l.startswith("case %d " % cid)][0]
    assert "R-?[2J?]0;x?-?evil?line" in line
    assert json.loads(own_rig.admin("reviews", "--format", "json").stdout)["reviews"][0]["reference"].startswith("R-\x1b")


# ---- finding 11a: verbs that print personal data are logged ----

def new_entries(fx, after):
    return fx.db.query('SELECT seq, action, case_id, "user", client FROM access_log WHERE seq > ? ORDER BY seq',
                       (after,))


def test_reviews_is_logged_once_per_case_it_names_and_the_chain_verifies(own_rig):
    s, t = Seeder(own_rig), today()
    start = add_months(t, -13)
    a = s.active(start=start, months=24)
    b = s.active(start=start, months=24)
    for fmt in ("text", "csv", "json"):
        last = own_rig.db.scalar("SELECT max(seq) FROM access_log")
        own_rig.admin("reviews", "--format", fmt)
        got = new_entries(own_rig, last)
        assert sorted(e["case_id"] for e in got) == sorted([a, b]), got
        assert {e["action"] for e in got} == {"admin.reviews"}
        assert all(e["user"].startswith("admin:") and e["client"] == "habitual-admin" for e in got)
    assert own_rig.admin("verify-audit").returncode == 0


def test_reviews_with_nothing_due_still_leaves_one_entry(own_rig):
    last = own_rig.db.scalar("SELECT coalesce(max(seq), 0) FROM access_log")
    assert own_rig.admin("reviews").stdout == ""
    got = new_entries(own_rig, last)
    assert [(e["action"], e["case_id"]) for e in got] == [("admin.reviews", None)]
    assert own_rig.admin("verify-audit").returncode == 0


def test_report_prints_no_personal_data_and_is_not_logged(own_rig):
    s = Seeder(own_rig)
    s.active(reference="REF-REPORT-" + iso(today()))
    before = own_rig.db.log_count()
    out = own_rig.admin("report", "--from", iso(today()), "--to", iso(today())).stdout
    assert "REF-REPORT" not in out and "Pat Person" not in out
    assert own_rig.db.log_count() == before
