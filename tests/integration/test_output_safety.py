"""Issue 11 (security review): what habitual-admin and the web exports print.

Finding 8: every CSV goes through one writer (mod_habitual/core/csv.c) that
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
