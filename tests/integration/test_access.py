"""Issue 4: need-to-know access (SPEC §5) for every endpoint of SPEC §6 and
every role, non-enumeration, grants, and the access log's completeness.

The matrix runs once (module fixture `matrix`) on a rig of its own whose
directory has two more plain staff members: gina holds active grants on the
cases with restrictions in force, eddie grants that expired yesterday (made by
a second httpd whose clock runs 30 days behind, since a grant cannot be made in
the past).  Every seeded case is referred by bob and carries marker strings in
every text field (helpers_access.py)."""

import datetime
import json
import os
import re
import statistics
import time

import pytest
import requests

import rig
import helpers_access as H
from conftest import Client
from helpers_access import GRANTED, EXPIRED, MATRIX_USERS, CASE_OFFICERS

ROUTER_C = os.path.join(rig.ROOT, "mod_habitual", "core", "domain", "router.c")
MISSING = 999999


# ---- the seeded world ----

class World:
    pass


@pytest.fixture(scope="module")
def world():
    r, fx = H.start_access_rig()
    try:
        s = H.Seeder(fx)
        s.referred("ref", contacts=2)
        s.referred("vio", violence=True)                       # interim written-only (R8)
        s.warned("warned")
        s.reported("reported", violence=True, severe=True)     # severe, police ref, interim
        active = s.active("active", suspend=True)              # suspend-contact: legal advice
        s.extras(active)                                       # statement, legal hold
        s.closed("closed")
        s.referred("t_warn")
        s.referred("t_close")
        # warned, and the behaviour went on (R19: a report needs a contact since the warning)
        H._ok(s.carol.post("api/cases/%d/contacts" % s.warned("t_report"), H.contact_body("t_report", "since")), 201)
        s.reported("t_decide")
        s.active("t_review")
        s.with_review("t_revdec")
        s.active("t_appeal")
        s.with_appeal("t_appdec")
        s.active("g4")                                          # for the grant test only
        s.referred("t_lift", violence=True)                    # interim, lifted by the CEM (R15)
        ids = dict(s.ids)
        granted_on = ["ref", "vio", "reported", "active", "t_review", "t_revdec", "t_appeal", "t_appdec"]
        for tag in granted_on:
            s.grant(ids[tag], GRANTED)
        # revoke targets: one grant per column on the active case
        for u in MATRIX_USERS:
            s.grant(ids["active"], "rv-" + u)
        # expired grants: made 30 days ago, expiring yesterday
        yesterday = H.today() - datetime.timedelta(days=1)
        past = r.other_httpd("past", "-30d")
        try:
            carol_then = Client(past.base(), "carol")
            me = carol_then.get("api/me")
            assert me.status_code == 200, me.text
            for tag in granted_on:
                s.grant(ids[tag], EXPIRED, client=carol_then, expires=yesterday)
        finally:
            past.stop()
        rows = fx.db.query("SELECT case_id, grantee, expires FROM grants WHERE grantee = ?", (EXPIRED,))
        assert len(rows) == len(granted_on) and all(g["expires"] == yesterday.isoformat() for g in rows)
        w = World()
        w.rig, w.fx, w.ids, w.seeder = r, fx, ids, s
        w.granted_on = granted_on
        w.letters_active = [l["id"] for l in fx.as_user("carol").get("api/cases/%d" % active).json()["letters"]]
        assert len(w.letters_active) >= 2, w.letters_active
        # a file attached to the active case, for the download row
        up = fx.as_user("carol").post("api/cases/%d/evidence" % active, data=b"%PDF-1.4\nmatrix\n",
                                      params={"description": "Matrix file.", "filename": "m.pdf"},
                                      headers={"Content-Type": "application/pdf"})
        assert up.status_code == 201, up.text
        w.evidence_active = up.json()["evidence"]["id"]
        yield w
    finally:
        H.stop_access_rig(r, fx)


# ---- the matrix: requests ----

def _contact(tag):
    return lambda u: H.contact_body(tag, "matrix" + u)


# row -> (method, route pattern as in router.c, case tag | MISSING | None, body(user) | None)
REQUESTS = {
    "me":                       ("GET", "api/me", None, None),
    "cases.list":               ("GET", "api/cases", None, None),
    "case.read[ref]":           ("GET", "api/cases/{id}", "ref", None),
    "case.read[vio]":           ("GET", "api/cases/{id}", "vio", None),
    "case.read[warned]":        ("GET", "api/cases/{id}", "warned", None),
    "case.read[reported]":      ("GET", "api/cases/{id}", "reported", None),
    "case.read[active]":        ("GET", "api/cases/{id}", "active", None),
    "case.read[appeal]":        ("GET", "api/cases/{id}", "t_appdec", None),
    "case.read[closed]":        ("GET", "api/cases/{id}", "closed", None),
    "case.read[missing]":       ("GET", "api/cases/{id}", MISSING, None),
    "letters[active]":          ("GET", "api/cases/{id}/letters", "active", None),
    "letters[missing]":         ("GET", "api/cases/{id}/letters", MISSING, None),
    "letter[active]":           ("GET", "api/cases/{id}/letters/{n}", "active", None),
    "letter[missing]":          ("GET", "api/cases/{id}/letters/{n}", MISSING, None),
    "notices":                  ("GET", "api/notices", None, None),
    "notifications":            ("GET", "api/notifications", None, None),
    "absences.list":            ("GET", "api/absences", None, None),
    "audit":                    ("GET", "api/audit", None, None),
    "audit.verify":             ("GET", "api/audit/verify", None, None),
    "audit.verify.checkpoint":  ("POST", "api/audit/verify", None, lambda u: {"checkpoint": "habitual-checkpoint v1"}),
    # issue 16: aggregate figures for the case officers and auditors, 404 for everyone else
    "governance":               ("GET", "api/governance", None, None),
    "contact[ref]":             ("POST", "api/cases/{id}/contacts", "ref", _contact("ref")),
    "contact[active]":          ("POST", "api/cases/{id}/contacts", "active", _contact("active")),
    "contact[closed]":          ("POST", "api/cases/{id}/contacts", "closed", _contact("closed")),
    "contact[missing]":         ("POST", "api/cases/{id}/contacts", MISSING, _contact("missing")),
    "warning[t_warn]":          ("POST", "api/cases/{id}/warning", "t_warn", lambda u: H.warning_body("t_warn")),
    "warning[missing]":         ("POST", "api/cases/{id}/warning", MISSING, lambda u: H.warning_body("missing")),
    "close[t_close]":           ("POST", "api/cases/{id}/close", "t_close", lambda u: H.close_body("t_close")),
    "report[t_report]":         ("POST", "api/cases/{id}/report", "t_report",
                                 lambda u: H.report_body("t_report", H.restrictions_for("t_report"))),
    "decision[t_decide]":       ("POST", "api/cases/{id}/decision", "t_decide", lambda u: H.decision_body("t_decide")),
    "review[t_review]":         ("POST", "api/cases/{id}/review", "t_review", lambda u: H.review_body("t_review")),
    "review.decision[t_revdec]": ("POST", "api/cases/{id}/review/decision", "t_revdec",
                                  lambda u: {"outcome": "continue", "justified": True, "proportionate": True,
                                             "reasons": H.mark("reasons", "t_revdec", "review")}),
    "appeal[t_appeal]":         ("POST", "api/cases/{id}/appeal", "t_appeal", lambda u: H.appeal_body("t_appeal")),
    "appeal.decision[t_appdec]": ("POST", "api/cases/{id}/appeal/decision", "t_appdec",
                                  lambda u: {"outcome": "uphold", "reasons": H.mark("reasons", "t_appdec", "appeal")}),
    "grant[active]":            ("POST", "api/cases/{id}/grants", "active", lambda u: H.grant_body("zed-" + u, "active")),
    "grant[ref]":               ("POST", "api/cases/{id}/grants", "ref", lambda u: H.grant_body("zed-" + u, "ref")),
    "grant.revoke[active]":     ("DELETE", "api/cases/{id}/grants/{arg}", "active", None),
    "grant.revoke[missing]":    ("DELETE", "api/cases/{id}/grants/{arg}", MISSING, None),
    "statement[active]":        ("POST", "api/cases/{id}/statements", "active", lambda u: H.statement_body("active")),
    "hold[active]":             ("POST", "api/cases/{id}/hold", "active", lambda u: H.hold_body("active")),
    # linking the referral to a stored person: the CEM's step (person 1 always exists)
    "link[ref]":                ("POST", "api/cases/{id}/link", "ref", lambda u: {"person_id": 1}),
    "unlink[ref]":              ("POST", "api/cases/{id}/unlink", "ref", lambda u: {}),
    # R15: the CEM lifts an interim restriction early, with a reason
    "interim.lift[t_lift]":     ("POST", "api/cases/{id}/interim/lift", "t_lift",
                                 lambda u: {"reason": H.mark("liftreason", "t_lift", u)}),
    # issue 14: corrections and copies, the CEM's in any state
    "person[active]":           ("POST", "api/cases/{id}/person", "active",
                                 lambda u: {"field": "address", "value": H.mark("address", "active", u),
                                            "reason": "matrix " + u}),
    "correction[active]":       ("POST", "api/cases/{id}/corrections", "active",
                                 lambda u: {"target": "contact", "id": 987654321, "reason": "matrix " + u}),
    "copies[active]":           ("POST", "api/cases/{id}/copies", "active",
                                 lambda u: {"action": "add", "name": "Matrix " + u, "role": "MP"}),
    # issue 15: reasonable adjustments, the CEM's
    "adjustments[active]":      ("POST", "api/cases/{id}/adjustments", "active",
                                 lambda u: {"format": "large-print", "notes": "matrix " + u}),
    # issue 15: the post queue; vio's interim restriction makes contact written-only (R8)
    "post[vio]":                ("POST", "api/cases/{id}/correspondence", "vio",
                                 lambda u: {"received": "2026-01-05", "channel": "letter", "summary": "matrix " + u}),
    "post[active]":             ("POST", "api/cases/{id}/correspondence", "active",
                                 lambda u: {"received": "2026-01-05", "channel": "letter", "summary": "matrix " + u}),
    "post.decide[vio]":         ("POST", "api/cases/{id}/correspondence/decision", "vio",
                                 lambda u: {"item": 987654321, "decision": "acknowledge-only",
                                            "reason": "matrix " + u}),
    "triage":                   ("GET", "api/triage", None, None),
    # issue 14: evidence; the matrix sends a JSON body and no description: 422 for whoever passes the gate
    "evidence.add[active]":     ("POST", "api/cases/{id}/evidence", "active", lambda u: {"matrix": u}),
    "evidence[active]":         ("GET", "api/cases/{id}/evidence/{n}", "active", None),
    "absence.add":              ("POST", "api/absences", None,
                                 lambda u: {"from": "2099-01-01", "to": "2099-01-05", "note": "matrix " + u}),
    "case.create":              ("POST", "api/cases", None, lambda u: H.concern_body("new_" + u)),
}

# ---- the matrix: expected status of every cell ----
#
# From README "Need to know" / SPEC §5 and the step order of README "The
# procedure as the system enforces it" (may see the case, else 404; role,
# else 403; state 409; body; rules 422).  Every seeded case is referred by
# bob.  gina holds an active grant on ref, vio, reported, active, t_review,
# t_revdec, t_appeal, t_appdec; eddie the same grants, expired yesterday.
# Notes on particular cells:
#  - a notice holder (chief officer or granted officer on a case with
#    restrictions in force, the referrer on any of their cases) may see the
#    case as a notice, so a step they may not take is 403; GET of the file and
#    its letters stays 404 ("a notice is not the file");
#  - olive on case.read[appeal]: the chief officer who may hear the pending
#    appeal reads the file (without special-category data);
#  - molly deciding (decision, review.decision) with no recorded absence of
#    the chief executive: her role may decide only while deputising, 422
#    not-deputising (R4);
#  - grants: cem on any open case, a chief officer where restrictions are in
#    force (README "Grants", SPEC §6 "chief-officer, cem"); ref has none, so
#    olive cannot see it at all (404);
#  - contact[active]: whoever holds the notice of a case in force (olive, a
#    chief officer; gina, granted) records the call they took (issue 15);
#  - contact[closed]: the referrer and the cem may add to the chronology only
#    while the case is open (409 wrong-state after the access checks);
#  - post[vio]: vio's interim restriction makes contact written-only, so
#    whoever may add to its chronology records post received; post[active]
#    (suspend-contact, letters not closed): 409 after the access checks;
#  - post.decide[vio]: the CEM passes the gate; the item named does not
#    exist, 422 unknown-entry; triage is the CEM's queue (403 to others);
#  - evidence.add[active]: the CEM and whoever holds the notice (olive, gina)
#    pass the gate, then 422 (no description); the referrer only while the
#    case is a referral (403); evidence[active]: the download is the case
#    officers' (404 for everyone else, as the file);
#  - correction[active]: the CEM passes the gate; the contact named does
#    not exist, 422 unknown-entry (a refusal that changes nothing);
#  - ghost (signed in, no directory entry) gets 403 everywhere.
# Within a row the cells run in RUN_ORDER, so the one user whose step succeeds
# changes the case only after every refusal has been seen.

EXPECTED_TABLE = """
row                        alice bob carol molly chris olive audrey gina eddie ghost
me                          200  200  200   200   200   200   200   200  200   403
cases.list                  200  200  200   200   200   200   200   200  200   403
case.read[ref]              404  200  200   200   200   404   404   404  404   403
case.read[vio]              404  200  200   200   200   404   404   404  404   403
case.read[warned]           404  200  200   200   200   404   404   404  404   403
case.read[reported]         404  200  200   200   200   404   404   404  404   403
case.read[active]           404  200  200   200   200   404   404   404  404   403
case.read[appeal]           404  200  200   200   200   200   404   404  404   403
case.read[closed]           404  200  200   200   200   404   404   404  404   403
case.read[missing]          404  404  404   404   404   404   404   404  404   403
letters[active]             404  404  200   200   200   404   404   404  404   403
letters[missing]            404  404  404   404   404   404   404   404  404   403
letter[active]              404  404  200   200   200   404   404   404  404   403
letter[missing]             404  404  404   404   404   404   404   404  404   403
notices                     200  200  200   200   200   200   200   200  200   403
notifications               403  403  403   403   403   200   403   403  403   403
absences.list               403  403  200   403   200   403   403   403  403   403
audit                       403  403  403   403   403   403   200   403  403   403
audit.verify                403  403  403   403   403   403   200   403  403   403
audit.verify.checkpoint     403  403  403   403   403   403   422   403  403   403
governance                  404  404  200   200   200   404   200   404  404   403
contact[ref]                404  201  201   403   403   404   404   404  404   403
contact[active]             404  201  201   403   403   201   404   201  404   403
contact[closed]             404  409  409   403   403   404   404   404  404   403
contact[missing]            404  404  404   404   404   404   404   404  404   403
warning[t_warn]             404  403  200   403   403   404   404   404  404   403
warning[missing]            404  404  404   404   404   404   404   404  404   403
close[t_close]              404  403  200   403   403   404   404   404  404   403
report[t_report]            404  403  200   403   403   404   404   404  404   403
decision[t_decide]          404  403  403   422   200   404   404   404  404   403
review[t_review]            404  403  200   403   403   403   404   403  404   403
review.decision[t_revdec]   404  403  403   422   200   403   404   403  404   403
appeal[t_appeal]            404  403  200   403   403   403   404   403  404   403
appeal.decision[t_appdec]   404  403  403   403   403   200   404   403  404   403
grant[active]               404  403  201   403   403   201   404   403  404   403
grant[ref]                  404  403  201   403   403   404   404   404  404   403
grant.revoke[active]        404  403  204   403   403   204   404   403  404   403
grant.revoke[missing]       404  404  404   404   404   404   404   404  404   403
statement[active]           404  403  201   403   403   403   404   403  404   403
hold[active]                404  403  200   403   403   403   404   403  404   403
link[ref]                   404  403  200   403   403   404   404   404  404   403
unlink[ref]                 404  403  200   403   403   404   404   404  404   403
interim.lift[t_lift]        404  403  200   403   403   403   404   404  404   403
person[active]              404  403  200   403   403   403   404   403  404   403
correction[active]          404  403  422   403   403   403   404   403  404   403
copies[active]              404  403  200   403   403   403   404   403  404   403
adjustments[active]         404  403  200   403   403   403   404   403  404   403
post[vio]                   404  201  201   403   403   201   404   201  404   403
post[active]                404  409  409   403   403   409   404   409  404   403
post.decide[vio]            404  403  422   403   403   403   404   403  404   403
triage                      403  403  200   403   403   403   403   403  403   403
evidence.add[active]        404  403  422   403   403   422   404   422  404   403
evidence[active]            404  404  200   200   200   404   404   404  404   403
absence.add                 403  403  201   403   201   403   403   403  403   403
case.create                 201  201  201   201   201   201   201   201  201   403
"""

RUN_ORDER = ["ghost", "alice", "audrey", EXPIRED, GRANTED, "olive", "bob", "molly", "carol", "chris"]

# Cells where the module contradicts README/SPEC: they must fail until fixed.
# (the chief executive deciding a review of a case he had approved was refused
# 422 conflict-of-interest at commit 8c2eb78; fixed in the working tree since.)
BUGS = {}


def parse_table(text):
    lines = [l.split() for l in text.strip().splitlines()]
    users = lines[0][1:]
    table = {}
    for cells in lines[1:]:
        table[cells[0]] = dict(zip(users, (int(c) for c in cells[1:])))
        assert len(cells) == len(users) + 1, cells
    return users, table


TABLE_USERS, EXPECTED = parse_table(EXPECTED_TABLE)


def router_routes():
    text = open(ROUTER_C).read()
    found = re.findall(r'\{HAB_ROUTE_\w+,\s*"(\w+)",\s*"([^"]+)",\s*"([^"]+)",\s*([^}]*)\}', text)
    # SPEC §6's JSON API; the intranet pages (routes not under api/) are not this matrix's
    return {(m, p): {"action": a, "audited": "AUD" in flags} for m, p, a, flags in found
            if p.startswith("api/")}


ROUTES = router_routes()


def cell_path(w, row, user):
    method, pattern, tag, _ = REQUESTS[row]
    cid = MISSING if tag == MISSING else (w.ids[tag] if tag else None)
    path = pattern
    if cid is not None:
        path = path.replace("{id}", str(cid))
    path = path.replace("{n}", str(w.evidence_active if "/evidence/" in pattern else w.letters_active[-1]))
    path = path.replace("{arg}", "rv-" + user)
    return path, cid


def send_as(fx, user, method, path, body=None):
    c = fx.as_user(user)
    token = None if user == "ghost" else True
    if method == "GET":
        return c.get(path)
    return c.send(method, path, body, token=token)


class Cell:
    def __init__(self, row, user, method, path, case_id, resp):
        self.row, self.user, self.method, self.path, self.case_id = row, user, method, path, case_id
        self.status = resp.status_code
        self.headers = resp.headers
        self.body = resp.content
        self.request_id = resp.headers.get("X-Request-Id")


@pytest.fixture(scope="module")
def matrix(world):
    fx = world.fx
    for u in RUN_ORDER:          # fetch every CSRF token first (api/me is not logged)
        if u != "ghost":
            fx.as_user(u).token()
    before = fx.db.log_count()
    cells = {}
    audited_requests = 0
    for row in EXPECTED:         # rows in the table's order
        method, pattern, tag, body_fn = REQUESTS[row]
        for u in RUN_ORDER:
            path, cid = cell_path(world, row, u)
            resp = send_as(fx, u, method, path, body_fn(u) if body_fn else None)
            cells[(row, u)] = Cell(row, u, method, path, cid, resp)
            if ROUTES[(method, pattern)]["audited"]:
                audited_requests += 1
    after = fx.db.log_count()
    world.matrix_log = (before, after, audited_requests)
    return cells


# ---- 1. every endpoint x every role ----

def test_table_covers_every_route_and_every_user():
    assert TABLE_USERS == MATRIX_USERS
    assert sorted(RUN_ORDER) == sorted(MATRIX_USERS)
    assert set(EXPECTED) == set(REQUESTS)
    covered = {(m, p) for m, p, _t, _b in REQUESTS.values()}
    assert covered == set(ROUTES), (set(ROUTES) - covered, covered - set(ROUTES))
    for row, cells in EXPECTED.items():
        assert set(cells) == set(MATRIX_USERS), row
    # the access log covers every route but api/me (README "The access log")
    assert {k for k, v in ROUTES.items() if not v["audited"]} == {("GET", "api/me")}
    # the columns are who the SPEC's table names
    roles = {"alice": [], "bob": [], "carol": ["cem"], "molly": ["monitoring-officer"],
             "chris": ["chief-executive"], "olive": ["chief-officers"], "audrey": ["auditors"],
             GRANTED: [], EXPIRED: []}
    for u, groups in roles.items():
        assert H.ACCESS_USERS[u][1] == groups, u


def _cell_params():
    out = []
    for row, cells in EXPECTED.items():
        for u in MATRIX_USERS:
            marks = [pytest.mark.xfail(strict=True, reason=BUGS[(row, u)])] if (row, u) in BUGS else []
            out.append(pytest.param(row, u, id="%s-%s" % (row, u), marks=marks))
    return out


@pytest.mark.parametrize("row,user", _cell_params())
def test_matrix_cell(matrix, row, user):
    c = matrix[(row, user)]
    assert c.status == EXPECTED[row][user], (row, user, c.method, c.path, c.status, c.body[:300])


def test_matrix_refusals_say_why(matrix):
    """404s are the one not-found answer; 403s name the reason; 409/422 the rule."""
    for (row, u), c in matrix.items():
        if c.status == 404:
            assert c.body == b'{"error":{"code":"not-found","message":"There is nothing here."}}\n', (row, u)
        elif c.status == 403:
            assert b'"code":"forbidden"' in c.body, (row, u, c.body)
        elif (row, u) in (("decision[t_decide]", "molly"), ("review.decision[t_revdec]", "molly")):
            assert b'"not-deputising"' in c.body, c.body
        elif c.status == 409:
            assert b'"wrong-state"' in c.body, (row, u, c.body)


def test_lists_omit_what_is_not_visible(world, matrix):
    fx, ids = world.fx, world.ids
    seeded = set(ids.values())
    listing = {u: {c["id"] for c in fx.as_user(u).get("api/cases").json()["cases"]}
               for u in MATRIX_USERS if u != "ghost"}
    for u in CASE_OFFICERS:
        assert seeded <= listing[u], u
    assert seeded <= listing["bob"]           # his referrals
    for u in ["alice", "olive", "audrey", GRANTED, EXPIRED]:
        assert not (listing[u] & seeded), u
        assert len(listing[u]) == 1            # only the concern they raised in the matrix
    # notices: who, what, until when, for those who need them
    notices = {u: {n["case_id"] for n in fx.as_user(u).get("api/notices").json()["notices"]}
               for u in MATRIX_USERS if u != "ghost"}
    in_force = {ids[t] for t in ["vio", "reported", "active", "t_decide", "t_review", "t_revdec",
                                 "t_appeal", "t_appdec", "g4"]}
    assert notices["olive"] & seeded == in_force
    assert notices["bob"] & seeded == in_force
    for u in CASE_OFFICERS:
        assert notices[u] & seeded == in_force, u
    granted_in_force = {ids[t] for t in world.granted_on if t != "ref"}
    assert notices[GRANTED] == granted_in_force
    assert notices[EXPIRED] == set()
    assert notices["alice"] == set() and notices["audrey"] == set()


# ---- 2. no marker reaches anyone without the need to know ----

MARKER_RE = re.compile(rb"MARK-([a-z]+)-([a-z0-9_]+)")
REFERRAL_ROWS = {"case.read[ref]": "ref", "case.read[vio]": "vio",   # bob's cases still 'referred'
                 "case.read[t_lift]": "t_lift"}


def _leaks(user, row, body):
    """Markers in body that this user should never have been shown."""
    out = []
    for m in MARKER_RE.finditer(body):
        kind, tag = m.group(1).decode(), m.group(2).decode()
        if user in CASE_OFFICERS:
            continue
        if kind in H.KINDS_SPECIAL:
            out.append(m.group(0))
            continue
        if user == "olive" and row == "case.read[appeal]":
            continue                       # hearing the appeal: the file minus special category
        if user == "bob" and REFERRAL_ROWS.get(row) == tag and kind in H.KINDS_CRITERIA:
            continue                       # what he raised, while it is a referral
        out.append(m.group(0))
    return out


def test_no_marker_in_any_matrix_answer_to_a_non_privileged_user(matrix):
    leaks = {}
    for (row, u), c in matrix.items():
        found = _leaks(u, row, c.body)
        if found:
            leaks[(row, u)] = sorted(set(found))
    assert not leaks, leaks
    # the allowances above were actually used: the views are as described
    assert b"MARK-criteria-ref-summary" in matrix[("case.read[ref]", "bob")].body
    assert b"MARK-chrono-ref-summary1" in matrix[("case.read[ref]", "bob")].body
    assert b"MARK-criteria-t_appdec-summary" in matrix[("case.read[appeal]", "olive")].body
    assert b"MARK-health" in matrix[("case.read[active]", "molly")].body
    assert b"MARK-safeguard" in matrix[("case.read[active]", "chris")].body


def test_special_category_never_leaves_the_case_officers(world, matrix):
    bad = [(row, u) for (row, u), c in matrix.items()
           if u not in CASE_OFFICERS and (b"MARK-health" in c.body or b"MARK-safeguard" in c.body
                                          or b'"vulnerable"' in c.body or b'"vulnerability"' in c.body)]
    assert not bad, bad


def test_no_marker_anywhere_a_non_privileged_user_can_look(world, matrix):
    """Beyond the matrix: every seeded case, its letters and the lists, as
    each user without the need to know."""
    fx, ids = world.fx, world.ids
    # cases with an appeal pending now (t_appeal's was recorded in the matrix)
    hearing = set()
    for cid in ids.values():
        appeals = fx.as_user("carol").get("api/cases/%d" % cid).json()["appeals"]
        if any(a["decision"] is None for a in appeals):
            hearing.add("api/cases/%d" % cid)
    assert hearing == {"api/cases/%d" % ids["t_appeal"]}
    leaks = {}
    for u in ["alice", "bob", "olive", "audrey", GRANTED, EXPIRED, "ghost"]:
        paths = ["api/cases", "api/notices", "api/notifications", "api/audit"]
        for tag, cid in ids.items():
            paths += ["api/cases/%d" % cid, "api/cases/%d/letters" % cid] + \
                     ["api/cases/%d/letters/%d" % (cid, n) for n in (1, 2, 3)]
        for p in paths:
            r = fx.as_user(u).get(p)
            row = {"api/cases/%d" % ids["ref"]: "case.read[ref]",
                   "api/cases/%d" % ids["vio"]: "case.read[vio]",
                   "api/cases/%d" % ids["t_lift"]: "case.read[t_lift]"}.get(p, p)
            if u == "olive" and p in hearing:
                row = "case.read[appeal]"   # the chief officer who may hear the pending appeal
            found = _leaks(u, row, r.content)
            if found:
                leaks[(u, p)] = sorted(set(found))
    assert not leaks, leaks


def test_notice_shows_no_legal_advice(world, matrix):
    ids = world.ids
    for u in ["olive", GRANTED, "bob", "carol"]:
        body = world.fx.as_user(u).get("api/notices").content
        assert b"MARK-" not in body, u
        notices = {n["case_id"]: n for n in world.fx.as_user(u).get("api/notices").json()["notices"]}
        n = notices[ids["active"]]
        suspend = [x for x in n["restrictions"] if x["type"] == "suspend-contact"]
        assert suspend and "legal_advice" not in suspend[0]


# ---- 3. "not allowed" and "does not exist" answer the same bytes ----

def _fresh(fx, user, method, path, body=None):
    """One request on a connection of its own (so Keep-Alive counters agree)."""
    c = fx.as_user(user)
    h = {"Connection": "close"}
    if method != "GET":
        h["X-CSRF-Token"] = c.token()
    if body is not None:
        h["Content-Type"] = "application/json"
    with requests.Session() as s:
        s.auth = (user, rig.PASSWORD)
        return s.request(method, c.url(path), json=body, headers=h, timeout=30)


def _same_answer(a, b):
    assert a.status_code == b.status_code == 404, (a.status_code, b.status_code, a.text, b.text)
    assert a.content == b.content
    skip = {"date", "x-request-id"}
    ha = {k.lower(): v for k, v in a.headers.items() if k.lower() not in skip}
    hb = {k.lower(): v for k, v in b.headers.items() if k.lower() not in skip}
    assert ha == hb


def test_not_allowed_and_missing_are_byte_identical(world, matrix):
    fx, ids = world.fx, world.ids
    act, ref = ids["active"], ids["ref"]
    n = world.letters_active[-1]
    pairs = [
        # GET the file: no sight / a notice holder / a grant holder vs no such case
        (("alice", "GET", "api/cases/%d" % act, None), ("alice", "GET", "api/cases/%d" % MISSING, None)),
        (("olive", "GET", "api/cases/%d" % act, None), ("olive", "GET", "api/cases/%d" % MISSING, None)),
        ((GRANTED, "GET", "api/cases/%d" % act, None), (GRANTED, "GET", "api/cases/%d" % MISSING, None)),
        ((EXPIRED, "GET", "api/cases/%d" % act, None), (EXPIRED, "GET", "api/cases/%d" % MISSING, None)),
        (("audrey", "GET", "api/cases/%d" % ref, None), ("alice", "GET", "api/cases/%d" % MISSING, None)),
        # steps
        (("alice", "POST", "api/cases/%d/warning" % ref, H.warning_body("x")),
         ("alice", "POST", "api/cases/%d/warning" % MISSING, H.warning_body("x"))),
        (("olive", "POST", "api/cases/%d/contacts" % ref, H.contact_body("x", 9)),
         ("olive", "POST", "api/cases/%d/contacts" % MISSING, H.contact_body("x", 9))),
        (("olive", "POST", "api/cases/%d/grants" % ref, H.grant_body("zed", "x")),
         ("olive", "POST", "api/cases/%d/grants" % MISSING, H.grant_body("zed", "x"))),
        ((EXPIRED, "POST", "api/cases/%d/appeal" % act, H.appeal_body("x")),
         (EXPIRED, "POST", "api/cases/%d/appeal" % MISSING, H.appeal_body("x"))),
        # letters: not allowed, no such case, no such letter
        (("bob", "GET", "api/cases/%d/letters" % act, None), ("bob", "GET", "api/cases/%d/letters" % MISSING, None)),
        (("olive", "GET", "api/cases/%d/letters/%d" % (act, n), None),
         ("carol", "GET", "api/cases/%d/letters/99" % act, None)),
        (("alice", "GET", "api/cases/%d/letters/%d" % (act, n), None),
         ("alice", "GET", "api/cases/%d/letters/1" % MISSING, None)),
        # grants DELETE: not allowed, no such case, no such grant
        (("alice", "DELETE", "api/cases/%d/grants/rv-alice" % act, None),
         ("alice", "DELETE", "api/cases/%d/grants/rv-alice" % MISSING, None)),
        (("olive", "DELETE", "api/cases/%d/grants/%s" % (ref, GRANTED), None),
         ("carol", "DELETE", "api/cases/%d/grants/nobody-at-all" % act, None)),
    ]
    for (ua, ma, pa, ba), (ub, mb, pb, bb) in pairs:
        a = _fresh(fx, ua, ma, pa, ba)
        b = _fresh(fx, ub, mb, pb, bb)
        _same_answer(a, b)


# ---- 4. grants ----

def _notices(fx, user):
    return {n["case_id"]: n for n in fx.as_user(user).get("api/notices").json()["notices"]}


def test_grant_gives_a_notice_and_revoking_takes_it_away_at_once(world, matrix):
    fx, g4 = world.fx, world.ids["g4"]
    alice, olive, carol = fx.as_user("alice"), fx.as_user("olive"), fx.as_user("carol")
    assert g4 not in _notices(fx, "alice")
    r = olive.post("api/cases/%d/grants" % g4,
                   {"user": "alice", "reason": "MARK-grantreason-g4-alice",
                    "expires": H.iso(H.today() + datetime.timedelta(days=7))})
    assert r.status_code == 201, r.text
    n = _notices(fx, "alice")[g4]
    assert set(n) == {"case_id", "person", "restrictions", "restrictions_in_words", "open_channels", "from",
                      "until", "interim", "phone_statement"}
    assert n["person"] == {"name": H.person_name("g4"), "reference": H.person_ref("g4")}
    full = carol.get("api/cases/%d" % g4).json()
    assert full["restrictions"] == H.restrictions_for("g4")
    # a notice carries no reasons: an agreement's terms stay in the file
    assert n["restrictions"] == [{k: v for k, v in r.items() if k != "terms"} for r in full["restrictions"]]
    assert "NOTICE-terms-g4" not in json.dumps(n)
    assert n["open_channels"] == ["letter", "email", "in-person", "online"]
    assert n["until"] == full["period"]["end"]
    assert n["from"] == full["period"]["start"]
    assert n["interim"] is False
    assert "letter, email, in person, online forms" in n["phone_statement"]
    raw = alice.get("api/notices").content
    assert b"MARK-" not in raw and b"reasons" not in raw
    # a notice is not the file
    assert alice.get("api/cases/%d" % g4).status_code == 404
    # revoked: gone at once, and a second revoke finds nothing
    assert olive.delete("api/cases/%d/grants/alice" % g4).status_code == 204
    assert g4 not in _notices(fx, "alice")
    assert olive.delete("api/cases/%d/grants/alice" % g4).status_code == 404
    rows = fx.db.query("SELECT revoked_by FROM grants WHERE case_id = ? AND grantee = 'alice'", (g4,))
    assert rows == [{"revoked_by": "olive"}]


def test_grant_expiring_today_still_works(world, matrix):
    fx, g4 = world.fx, world.ids["g4"]
    carol = fx.as_user("carol")
    r = carol.post("api/cases/%d/grants" % g4,
                   {"user": "alice", "reason": "last day", "expires": H.iso(H.today())})
    assert r.status_code == 201, r.text
    assert g4 in _notices(fx, "alice")
    yesterday = H.iso(H.today() - datetime.timedelta(days=1))
    r = carol.post("api/cases/%d/grants" % g4, {"user": "alice", "reason": "x", "expires": yesterday})
    assert r.status_code == 400
    assert carol.delete("api/cases/%d/grants/alice" % g4).status_code == 204
    assert g4 not in _notices(fx, "alice")


def test_expired_grant_gives_nothing(world, matrix):
    fx, ids = world.fx, world.ids
    assert _notices(fx, EXPIRED) == {}
    for tag in world.granted_on:
        assert fx.as_user(EXPIRED).get("api/cases/%d" % ids[tag]).status_code == 404
    # and it cannot be revoked any more: it has already stopped working
    assert fx.as_user("carol").delete("api/cases/%d/grants/%s" % (ids["active"], EXPIRED)).status_code == 404


def test_chief_officer_grants_only_where_restrictions_are_in_force(world, matrix):
    fx, ids = world.fx, world.ids
    body = H.grant_body("zed-only", "warned")
    assert fx.as_user("olive").post("api/cases/%d/grants" % ids["warned"], body).status_code == 404
    assert fx.as_user("carol").post("api/cases/%d/grants" % ids["warned"], body).status_code == 201
    # with an interim restriction in force (R8) the chief officer may
    assert fx.as_user("olive").post("api/cases/%d/grants" % ids["vio"], body).status_code == 201


# Regression: at commit 8c2eb78 notices of an interim written-only restriction
# said open_channels [] and "suspended" (access.c re-validated the stored
# restrictions with the added "interim": true key); fixed in the working tree.
def test_interim_written_only_notice_lists_the_open_channels(world, matrix):
    n = _notices(world.fx, "olive")[world.ids["vio"]]
    assert n["interim"] is True and n["until"] is None
    assert [r["type"] for r in n["restrictions"]] == ["written-only"]
    # README: written-only closes phone and in-person
    assert n["open_channels"] == ["letter", "email", "fax", "online"]
    assert "suspended" not in n["phone_statement"]
    full = world.fx.as_user("carol").get("api/cases/%d" % world.ids["vio"]).json()
    assert full["open_channels"] == ["letter", "email", "fax", "online"]


def test_lapsed_restrictions_give_no_notice(world, matrix):
    """R9: a period past its end is no longer in force, read from the dates:
    chief officers lose the notice.  R15: the interim one on a reported case
    stays until the decision; the one never reported (vio) has lapsed."""
    ids = world.ids
    future = world.rig.other_httpd("future", "+400d")
    try:
        olive = Client(future.base(), "olive")
        notices = {n["case_id"] for n in olive.get("api/notices").json()["notices"]}
        assert notices & set(ids.values()) == {ids["reported"]}
        assert olive.post("api/cases/%d/grants" % ids["active"], H.grant_body("zed", "x", H.today() +
                          datetime.timedelta(days=500))).status_code == 404
        carol = Client(future.base(), "carol")
        c = carol.get("api/cases/%d" % ids["active"]).json()
        assert (c["status"], c["end_reason"], c["restrictions"]) == ("ended", "lapsed", [])
        assert Client(future.base(), GRANTED).get("api/notices").json()["notices"] == []
    finally:
        future.stop()


# ---- 5. every audited request is logged exactly once, and the chain holds ----

def test_every_audited_request_added_exactly_one_entry(world, matrix):
    before, after, audited = world.matrix_log
    assert audited == sum(1 for (row, _u) in matrix if REQUESTS[row][0:2] != ("GET", "api/me"))
    assert after - before == audited, (before, after, audited)
    entries = {e["request_id"]: e for e in world.fx.db.query(
        "SELECT * FROM access_log WHERE seq > ? AND seq <= ?", (before, after))}
    assert len(entries) == audited
    for (row, u), c in matrix.items():
        method, pattern = REQUESTS[row][0:2]
        e = entries.get(c.request_id)
        if not ROUTES[(method, pattern)]["audited"]:
            assert e is None, (row, u)
            continue
        assert e is not None, (row, u, c.request_id)
        assert e["user"] == u and e["status"] == c.status, (row, u, e)
        assert e["action"] == ROUTES[(method, pattern)]["action"], (row, u, e)
        want_outcome = "allowed" if c.status < 400 else "error" if c.status >= 500 else "refused"
        assert e["outcome"] == want_outcome, (row, u, e)
        if c.case_id is not None:
            assert e["case_id"] == c.case_id, (row, u, e)
        elif row == "case.create" and c.status == 201:
            assert e["case_id"] == int(json.loads(c.body)["id"])
        if u == "ghost":
            assert e["roles"] == ""
        assert e["client"] == "127.0.0.1"


def test_chain_verifies_after_the_matrix(world, matrix):
    r = world.fx.as_user("audrey").get("api/audit/verify")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["entries"] >= world.matrix_log[1], body
    res = world.fx.admin("verify-audit", check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("ok: ")


# ---- 6. headers on answers carrying case data; nothing personal in httpd's logs ----

def _assert_security_headers(h, where):
    assert h.get("Cache-Control") == "no-store", where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") == "no-referrer", where
    assert "frame-ancestors 'none'" in h.get("Content-Security-Policy", ""), where


def test_security_headers_on_every_answer(world, matrix):
    for (row, u), c in matrix.items():
        _assert_security_headers(c.headers, (row, u))
    letter = matrix[("letter[active]", "carol")]
    assert letter.status == 200
    assert letter.headers["Content-Type"].startswith("text/html")
    assert b"<html" in letter.body
    _assert_security_headers(letter.headers, "letter")


def test_no_person_name_or_reference_in_httpd_logs(world, matrix):
    httpd = world.rig.httpd
    access = open(os.path.join(httpd.dir, "access.log"), "rb").read()
    error = open(httpd.error_log, "rb").read()
    assert access.count(b"/habitual/api/") > len(matrix) // 2
    tags = list(world.ids) + ["new_" + u for u in MATRIX_USERS]
    for tag in tags:
        for secret in (H.person_name(tag), H.person_ref(tag)):
            for enc in (secret.encode(), secret.replace(" ", "%20").encode(), secret.replace(" ", "+").encode()):
                assert enc not in access, secret
                assert enc not in error, secret
    assert b"MARK-" not in access and b"MARK-" not in error
    # URLs carry only ids
    for line in access.decode().splitlines():
        m = re.search(r'"[A-Z]+ (\S+) HTTP', line)
        if m and "/habitual/" in m.group(1):
            assert re.fullmatch(r"/habitual/api/[a-z/]*[a-z0-9/\-]*", m.group(1).split("?")[0]), line


# ---- 7. timing does not tell "not allowed" from "does not exist" ----

def test_not_allowed_and_missing_take_the_same_time(world, matrix):
    alice = world.fx.as_user("alice")
    hidden = "api/cases/%d" % world.ids["active"]
    missing = "api/cases/%d" % MISSING
    for _ in range(10):                     # warm up the connection and the LDAP cache
        alice.get(hidden)
        alice.get(missing)
    times = {hidden: [], missing: []}
    for i in range(200):
        for p in ((hidden, missing) if i % 2 else (missing, hidden)):
            t0 = time.perf_counter()
            r = alice.get(p)
            times[p].append(time.perf_counter() - t0)
            assert r.status_code == 404
    m_hidden = statistics.median(times[hidden]) * 1000
    m_missing = statistics.median(times[missing]) * 1000
    diff = abs(m_hidden - m_missing)
    print("\nTIMING not-allowed median %.3f ms, missing median %.3f ms, difference %.3f ms "
          "(p90 %.3f / %.3f ms)" % (m_hidden, m_missing, diff,
                                    sorted(times[hidden])[179] * 1000, sorted(times[missing])[179] * 1000))
    assert diff <= max(2.0, 0.3 * max(m_hidden, m_missing)), (m_hidden, m_missing)
