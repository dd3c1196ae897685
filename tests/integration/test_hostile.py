"""Issue 7, hostile input: payloads (XSS, attribute breakers, </script>,
SQL, LDAP filter metacharacters, CR/LF, template and format strings,
Unicode) in every text field of every JSON body and page form, invalid and
overlong UTF-8, duplicate keys and parameters, 10 MB bodies and identity
headers.  Stored payloads must come back byte-identical in JSON and escaped
in every page and letter; nothing else may be stored; httpd never crashes
nor answers 500 (each test's slice of the error log is scanned)."""

import html as htmllib
import re
import socket
import base64

import pytest
import requests

import rig
import helpers_procedure as hp
from conftest import LOG_TABLES, RigFixture
from helpers_procedure import known_bug
from helpers_faults import (PAYLOADS, LogWatch, assert_escaped_in, assert_no_injected_header,
                            Snapshot, hostile_walk, integrity, stop_rig, today_iso, uid)


class HostileRig(RigFixture):
    """A rig whose every answer is checked for headers the client put there."""

    def as_user(self, user):
        fresh = user not in self._clients
        c = super().as_user(user)
        if fresh:
            c.session.hooks["response"].append(lambda r, *a, **kw: assert_no_injected_header(r))
        return c


@pytest.fixture(scope="module")
def hrig():
    r = rig.Rig()
    fx = HostileRig(r)
    fx.schema = fx.db.schema()
    yield fx
    stop_rig(r)


@pytest.fixture(autouse=True)
def error_log_stays_clean(hrig):
    """Item 7: each test's part of the error log has no crash, no sanitizer
    report and no 500; and the tables are as the schema made them."""
    watch = LogWatch(hrig.httpd)
    yield
    watch.assert_clean()
    assert hrig.db.schema() == hrig.schema
    assert hrig.as_user("alice").get("api/me").status_code == 200, "httpd stopped serving"


def page(fx, user, path, status=200):
    r = fx.as_user(user).get(path)
    assert r.status_code == status, (user, path, r.status_code, r.text[:300])
    return r.text


def assert_subset(actual, expected, where="$"):
    """Every key of expected is in actual with an identical value."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), (where, actual)
        for k, v in expected.items():
            assert k in actual, "%s.%s missing" % (where, k)
            assert_subset(actual[k], v, "%s.%s" % (where, k))
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (where, actual, expected)
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_subset(a, e, "%s[%d]" % (where, i))
    else:
        assert actual == expected, "%s: %r != %r" % (where, actual, expected)


# ---- 1. stored payloads: byte-identical in JSON, escaped in every page and letter ----

# Names, references and user ids are one line: line breaks, tabs and other
# control characters are refused there (400), so the walks below carry the
# CR/LF payload only where text may span lines (test_control_characters_...).
STORED = sorted(n for n in PAYLOADS if n != "crlf")


@pytest.mark.parametrize("field", ["person.name", "person.reference", "department", "representative.name"])
def test_control_characters_in_one_line_fields_are_400_and_nothing_is_stored(hrig, field):
    fx = hrig
    before = fx.db.counts()
    body = hp.concern_body()
    head, _, tail = field.partition(".")
    if tail:
        body.setdefault(head, {"name": "x"})[tail] = PAYLOADS["crlf"]
    else:
        body[head] = PAYLOADS["crlf"]
    r = fx.as_user("alice").post("api/cases", body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == field
    assert fx.db.counts() == before


def test_line_breaks_in_narratives_are_kept(hrig):
    fx = hrig
    body = hp.concern_body(summary=PAYLOADS["crlf"], measures_taken=PAYLOADS["crlf"])
    r = fx.as_user("alice").post("api/cases", body)
    assert r.status_code == 201, r.text
    case = fx.as_user("carol").get("api/cases/%d" % r.json()["id"]).json()
    assert case["summary"] == PAYLOADS["crlf"] and case["measures_taken"] == PAYLOADS["crlf"]
    assert_escaped_in(page(fx, "carol", "cases/%d" % case["id"]), "X-Injected: yes", "case page")


@pytest.mark.parametrize("name", STORED)
def test_payload_in_every_field_comes_back_identical_in_json_and_escaped_in_html(hrig, name):
    p = PAYLOADS[name]
    fx = hrig
    cid, sent = hostile_walk(fx, p)

    # JSON: every field as sent
    case = fx.as_user("carol").get("api/cases/%d" % cid).json()
    concern = dict(sent["concern"])
    del concern["exclusion"]  # asked, not kept
    assert_subset(case, concern)
    assert_subset(case["contacts"], [{k: v for k, v in sent["contact"].items()}])
    assert_subset(case["warning"], sent["warning"])
    assert_subset(case["report"], sent["report"])
    assert_subset(case["decision"], sent["decision"])
    assert_subset(case["grants"], [sent["grant"]])
    assert_subset(case["statements"], [sent["statement"]])
    assert_subset(case["legal_hold"], sent["hold"])
    review = dict(sent["review"])
    review["decision"] = sent["review_decision"]
    assert_subset(case["reviews"], [review])
    appeal = dict(sent["appeal"])
    appeal["decision"] = sent["appeal_decision"]
    assert_subset(case["appeals"], [appeal])
    assert case["restrictions"] == sent["appeal_decision"]["restrictions"]
    names = [p + " copy", p + " rep", p + " adv"]
    letters = fx.as_user("carol").get("api/cases/%d/letters" % cid).json()["letters"]
    assert len(letters) == 4
    for letter in letters:
        assert len(letter["copied_to"]) == 3
        assert all(any(c.startswith(n) for c in letter["copied_to"]) for n in names), letter
    notice = [n for n in fx.as_user("olive").get("api/notices").json()["notices"] if n["case_id"] == cid]
    assert len(notice) == 1
    assert notice[0]["person"] == {"name": p, "reference": sent["concern"]["person"]["reference"]}
    # a notice carries only what staff act on: never an agreement's terms or the legal advice
    assert notice[0]["restrictions"] == [{k: v for k, v in r.items() if k not in ("terms", "legal_advice")}
                                         for r in sent["appeal_decision"]["restrictions"]]
    told = [n for n in fx.as_user("olive").get("api/notifications").json()["notifications"] if n["case_id"] == cid]
    assert told and all(n["person"]["name"] == p for n in told)
    absences = fx.as_user("chris").get("api/absences").json()["absences"]
    assert any(a["note"] == p for a in absences)
    listed = [c for c in fx.as_user("alice").get("api/cases").json()["cases"] if c["id"] == cid]
    assert listed and listed[0]["person"]["name"] == p
    rejected = fx.as_user("carol").get("api/cases/%d" % sent["rejected_id"]).json()
    assert rejected["status"] == "closed" and rejected["end_reason"] == "rejected"
    assert rejected["action_without_notice"] is True
    assert_subset(rejected["report"], sent["severe_report"])
    assert_subset(rejected["decision"], sent["rejection"])
    closed = fx.as_user("carol").get("api/cases/%d" % sent["closed_id"]).json()
    assert closed["status"] == "closed" and closed["end_reason"] == p

    # HTML: never raw, escaped where shown
    for user, path in [("carol", "cases/%d" % cid), ("chris", "cases/%d" % cid), ("carol", "cases"),
                       ("carol", "cases/%d/grants" % cid), ("alice", "referrals"), ("alice", "cases/%d" % cid),
                       ("olive", "notices"), ("olive", "notifications"), ("chris", "absences"),
                       ("molly", "cases/%d" % cid), ("carol", "cases/%d" % sent["rejected_id"]),
                       ("carol", "cases/%d" % sent["closed_id"])]:
        assert_escaped_in(page(fx, user, path), p, "%s as %s" % (path, user))
    for user in ("carol", "alice", "olive", "chris"):  # the home page: whatever it shows, escaped
        assert_escaped_in(page(fx, user, ""), p, "home as " + user, expect_shown=False)
    full = page(fx, "carol", "cases/%d" % cid)
    for shown in [p + " R", p + " A"]:  # the report's and the restrictions in force
        assert_escaped_in(full, shown, "case page")
    # each letter: the name, the copies, and the restrictions it imposes
    imposes = {"decision": " R", "review-outcome": " V", "appeal-outcome": " A"}
    for letter in letters:
        for path in ["cases/%d/letters/%d" % (cid, letter["id"]), "api/cases/%d/letters/%d" % (cid, letter["id"])]:
            text = page(fx, "carol", path)
            assert_escaped_in(text, p, path)
            for n in names:
                assert_escaped_in(text, n, path)
            if letter["kind"] in imposes:
                assert_escaped_in(text, p + imposes[letter["kind"]], path)
    for other in (sent["rejected_id"], sent["closed_id"]):
        for letter in fx.as_user("carol").get("api/cases/%d/letters" % other).json()["letters"]:
            path = "cases/%d/letters/%d" % (other, letter["id"])
            assert_escaped_in(page(fx, "carol", path), p, path)

    # the revoke form addresses the grant by its id, and works
    grants_page = page(fx, "carol", "cases/%d/grants" % cid)
    actions = re.findall(r'<form method="post" action="([^"]*/revoke)"', grants_page)
    assert len(actions) == 1, actions
    revoke = fx.as_user("carol").session.post("http://127.0.0.1:%d%s" % (fx.httpd.port, htmllib.unescape(actions[0])),
                                              data={"csrf_token": fx.as_user("carol").token()},
                                              allow_redirects=False, timeout=30)
    assert revoke.status_code == 303, (revoke.status_code, revoke.text[:300])
    assert fx.as_user("carol").get("api/cases/%d" % cid).json()["grants"][0]["active"] is False
    assert integrity(fx.rig.db) == ["ok"]


def _concern_form(token, p, criteria=True):
    data = [("csrf_token", token), ("exclusion", "none"), ("person_name", p), ("person_reference", p + "-" + uid()),
            ("person_address", p), ("department", p), ("summary", p), ("measures_taken", p),
            ("complaints_procedure", "exhausted"), ("vulnerable", "yes"), ("vulnerability", p),
            ("representative_name", p + " rep"), ("representative_address", p),
            ("advocate_name", p + " adv"), ("advocate_address", p)]
    if criteria:
        data += [("criteria", "excessive-contact"), ("criteria", "harassment")]
    return data


def _form_post(fx, user, path, data):
    c = fx.as_user(user)
    return c.session.post(c.url(path), data=data, allow_redirects=False, timeout=30)


@pytest.mark.parametrize("name", STORED)
def test_payload_through_the_page_forms_is_stored_as_typed_and_shown_escaped(hrig, name):
    p = PAYLOADS[name]
    fx = hrig
    token = fx.as_user("alice").token()
    data = _concern_form(token, p)
    r = _form_post(fx, "alice", "concerns/new", data)
    assert r.status_code == 303, (r.status_code, r.text[:500])
    cid = int(re.search(r"/cases/(\d+)\?done=raised$", r.headers["Location"]).group(1))
    case = fx.as_user("carol").get("api/cases/%d" % cid).json()
    sent = dict(data)
    assert case["person"]["name"] == p and case["person"]["reference"] == sent["person_reference"]
    for key in ("department", "summary", "measures_taken", "vulnerability"):
        assert case[key] == p, key
    assert case["representative"] == {"name": p + " rep", "address": p}
    assert case["advocate"] == {"name": p + " adv", "address": p}

    ctoken = fx.as_user("carol").token()
    d = hp.today()
    # the warning first: the contact after it is the behaviour a report needs (R19)
    for slug, form in [
        ("warning", [("on_day", str(d.day)), ("on_month", str(d.month)), ("on_year", str(d.year)),
                     ("method", "phone"), ("text", p)]),
        ("contacts", [("at_day", str(d.day)), ("at_month", str(d.month)), ("at_year", str(d.year)),
                      ("channel", "email"), ("direction", "outbound"), ("department", p), ("officer", p),
                      ("summary", p), ("incidents", "swearing")]),
        ("statements", [("received_day", str(d.day)), ("received_month", str(d.month)),
                        ("received_year", str(d.year)), ("text", p)]),
        ("hold", [("reason", p)]),
        ("report", [("behaviour", p), ("r_types", "behaviour-agreement"), ("r_terms", p),
                    ("r_types", "building-ban"), ("r_buildings", "Town Hall\n" + p.replace("\r", " ").replace("\n", " ")),
                    ("period_months", "6"), ("alternatives_considered", p), ("safeguarding_considered", "yes"),
                    ("safeguarding_adjustments", p)]),
    ]:
        r = _form_post(fx, "carol", "cases/%d/%s" % (cid, slug), [("csrf_token", ctoken)] + form)
        assert r.status_code == 303, (slug, r.status_code, r.text[:800])
    case = fx.as_user("carol").get("api/cases/%d" % cid).json()
    assert_subset(case["contacts"], [{"department": p, "officer": p, "summary": p, "incidents": ["swearing"]}])
    assert case["statements"][0]["text"] == p
    assert case["legal_hold"]["reason"] == p
    assert case["warning"]["text"] == p
    assert case["report"]["behaviour"] == p and case["report"]["alternatives_considered"] == p
    assert case["report"]["restrictions"][0] == {"type": "behaviour-agreement", "terms": p}
    assert case["report"]["safeguarding"] == {"considered": True, "adjustments": p}
    for user, path in [("carol", "cases/%d" % cid), ("alice", "cases/%d" % cid), ("alice", "referrals"),
                       ("chris", "cases/%d/decision" % cid)]:
        assert_escaped_in(page(fx, user, path), p, "%s as %s" % (path, user))


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_a_refused_form_echoes_what_was_typed_escaped_and_stores_nothing(hrig, name):
    """The form comes back with the user's values in value="..." and
    <textarea>: the place attribute breakers aim at."""
    p = PAYLOADS[name]
    fx = hrig
    before = fx.db.counts()
    data = _concern_form(fx.as_user("alice").token(), p, criteria=False)
    data += [("person_date_of_birth_day", p), ("person_date_of_birth_month", p), ("person_date_of_birth_year", p)]
    r = _form_post(fx, "alice", "concerns/new", data)
    assert r.status_code in (400, 422), (r.status_code, r.text[:300])
    assert "govuk-error-summary" in r.text
    assert_escaped_in(r.text, p, "re-rendered concern form")
    cid = hp.raise_case(fx)
    before = fx.db.counts()
    r = _form_post(fx, "carol", "cases/%d/contacts" % cid,
                   [("csrf_token", fx.as_user("carol").token()), ("at_day", p), ("at_month", "1"), ("at_year", "2025"),
                    ("channel", "phone"), ("direction", "inbound"), ("summary", p), ("officer", p)])
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert_escaped_in(r.text, p, "re-rendered contact form")
    r = _form_post(fx, "carol", "cases/%d/grants" % cid,
                   [("csrf_token", fx.as_user("carol").token()), ("user", p), ("reason", p),
                    ("expires_day", "1"), ("expires_month", "1"), ("expires_year", "2000")])
    assert r.status_code in (400, 409, 422), (r.status_code, r.text[:300])
    assert_escaped_in(r.text, p, "re-rendered grant form", expect_shown=r.status_code != 409)
    assert fx.db.counts() == before


def test_unknown_json_keys_made_of_payloads_are_refused_and_echoed_only_as_json(hrig):
    fx = hrig
    cid = hp.raise_case(fx)
    hp.warn(fx, cid)  # so that a report gets as far as its restrictions
    for p in PAYLOADS.values():
        before = fx.db.counts()
        body = hp.concern_body()
        body[p] = "x"
        r = fx.as_user("alice").post("api/cases", body)
        assert r.status_code == 400, (p, r.text)
        assert r.json()["error"]["code"] == "unknown-field"
        assert r.headers["Content-Type"].startswith("application/json")
        r = fx.as_user("carol").post("api/cases/%d/report" % cid,
                                     hp.report_body(restrictions=[{"type": "written-only", p: "x"}]))
        assert r.status_code == 400, (p, r.text)
        r = fx.as_user("carol").post("api/cases/%d/report" % cid, hp.report_body(restrictions=[{"type": p}]))
        assert r.status_code == 400, (p, r.text)
        assert fx.db.counts() == before


@pytest.mark.parametrize("grantee", ["a\r\nb", "a\tb", "a\x01b", "a\x7fb"], ids=["crlf", "tab", "soh", "del"])
def test_a_grant_to_a_name_with_control_characters_is_refused(hrig, grantee):
    """No user id holds a control character: refused at the door, nothing stored
    (a grant that is stored is withdrawn by its id: test_users.py)."""
    fx = hrig
    cid = hp.active_case(fx)
    carol = fx.as_user("carol")
    before = fx.db.counts()
    r = carol.post("api/cases/%d/grants" % cid, {"user": grantee, "reason": "x", "expires": today_iso(5)})
    assert r.status_code in (400, 422), r.text
    if r.status_code == 422:
        assert r.json()["error"]["code"] == "unknown-user"
    assert fx.db.counts() == before


# ---- 2. SQL and LDAP metacharacters where they could be read as syntax ----

def test_sql_in_query_parameters_is_data(hrig):
    fx = hrig
    a = fx.as_user("audrey")
    for p in (PAYLOADS["sql-drop"], PAYLOADS["sql-or"], "alice' --", "%", "_"):
        r = a.get("api/audit", params={"user": p})
        assert r.status_code == 200, (p, r.text)
        assert r.json()["entries"] == [], p
        assert_escaped_in(page(fx, "audrey", "audit?" + requests.compat.urlencode({"user": p})), p,
                          "audit page", expect_shown=False)
    for q in ({"case": "1 OR 1=1"}, {"case": "1; DROP TABLE cases"}, {"after": "0 OR 1=1"},
              {"limit": "1 UNION SELECT 1"}, {"from": "' OR '1'='1"}):
        r = a.get("api/audit", params=q)
        assert r.status_code == 400, (q, r.status_code, r.text)
    for path in ("api/cases/1%20OR%201=1", "api/cases/1;DROP%20TABLE%20cases", "api/cases/-1", "cases/1'--"):
        assert fx.as_user("carol").get(path).status_code == 404, path
    assert integrity(fx.rig.db) == ["ok"]


@pytest.mark.parametrize("grantee", ["*", "%", "_", "*)(uid=*", "alice*", "' OR '1'='1"])
def test_a_grant_to_a_wildcard_looking_name_reaches_no_one(hrig, grantee):
    """A grant names one user the directory knows: no LIKE, no LDAP filter;
    anything else is 422 unknown-user and nothing is stored."""
    fx = hrig
    cid = hp.active_case(fx, referrer="bob")
    before = fx.db.counts()
    r = fx.as_user("carol").post("api/cases/%d/grants" % cid,
                                 {"user": grantee, "reason": "need to know", "expires": today_iso(10)})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "unknown-user"
    assert fx.db.counts() == before
    for user in ("alice", "audrey"):  # plain staff and an auditor: neither the referrer nor an officer
        notices = fx.as_user(user).get("api/notices").json()["notices"]
        assert cid not in [n["case_id"] for n in notices], (user, grantee)
        assert fx.as_user(user).get("api/cases/%d" % cid).status_code == 404


def test_a_grant_to_a_name_in_capitals_is_that_user_only(hrig):
    """Case folding is the directory's (README, "Roles"): ALICE is alice, stored
    as alice, and nobody else gains anything."""
    fx = hrig
    cid = hp.active_case(fx, referrer="bob")
    r = fx.as_user("carol").post("api/cases/%d/grants" % cid,
                                 {"user": "ALICE", "reason": "need to know", "expires": today_iso(10)})
    assert r.status_code == 201, r.text
    assert r.json()["user"] == "alice"
    assert cid in [n["case_id"] for n in fx.as_user("alice").get("api/notices").json()["notices"]]
    assert cid not in [n["case_id"] for n in fx.as_user("audrey").get("api/notices").json()["notices"]]


def test_monitoring_officer_named_with_a_wildcard_is_nobody_and_refused(hrig):
    """The monitoring officer who joined a review is a directory user, named
    by the directory's own id (R5 compares ids): "*" names no one (422
    unknown-user, nothing stored); "MOLLY" is stored as molly."""
    fx = hrig
    cid = hp.active_case(fx)
    hp.expect_refusal(fx, lambda: fx.as_user("carol").post(
        "api/cases/%d/review" % cid, {"recommendation": "continue", "report": "r", "monitoring_officer": "*"}),
        422, "unknown-user", field="monitoring_officer")
    hp.review(fx, cid, monitoring_officer="MOLLY")
    assert hp.case_file(fx, cid)["reviews"][0]["monitoring_officer"] == "molly"
    out = hp.review_decide(fx, cid, "continue")
    assert out["status"] == "active", out


# ---- 3. CR/LF: nothing the client sends ends up in a response header ----

def _raw(fx, request_line, headers=b"", user=b"carol"):
    s = socket.create_connection(("127.0.0.1", fx.httpd.port), timeout=10)
    auth = base64.b64encode(user + b":" + rig.PASSWORD.encode())
    s.sendall(request_line + b"\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + auth +
              b"\r\nConnection: close\r\n" + headers + b"\r\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    return status, lines[1:], body


@pytest.mark.parametrize("target", [
    b"/habitual/api/cases/1%0d%0aX-Injected:%20yes",
    b"/habitual/api/me%0d%0aSet-Cookie:%20injected=1",
    b"/habitual/cases/{cid}?done=%0d%0aX-Injected:%20yes",
    b"/habitual/cases/{cid}?done=contacts%0d%0aLocation:%20http://injected.example/",
    b"/habitual/api/audit?user=%0d%0aX-Injected:%20yes",
    b"/habitual/cases/{cid}/x%0d%0aX-Injected:%20yes",
    b"/habitual/%0d%0aX-Injected:%20yes",
])
def test_crlf_in_the_request_line_never_reaches_a_response_header(hrig, target):
    fx = hrig
    cid = hp.raise_case(fx)
    target = target.replace(b"{cid}", str(cid).encode())
    status, headers, body = _raw(fx, b"GET " + target + b" HTTP/1.1")
    assert status in (200, 400, 403, 404), status
    names = [h.split(b":", 1)[0].lower() for h in headers]
    for h in headers:
        assert b"injected" not in h.lower(), h
    assert names.count(b"location") == 0 and b"set-cookie" not in names


def test_request_headers_are_not_echoed(hrig):
    fx = hrig
    cid = hp.raise_case(fx)
    status, headers, body = _raw(fx, b"GET /habitual/api/cases/%d HTTP/1.1" % cid,
                                 b"X-Request-Id: injected-id\r\nX-CSRF-Token: injected\r\n"
                                 b"Origin: http://injected.example\r\nX-Forwarded-For: 10.0.0.1\r\n")
    assert status == 200
    for h in headers:
        assert b"injected" not in h.lower(), h
    rid = [h.split(b":", 1)[1].strip() for h in headers if h.lower().startswith(b"x-request-id:")]
    assert len(rid) == 1 and re.fullmatch(rb"[0-9a-f]{16}", rid[0]), rid
    last = hp.last_log_entry(fx.db)
    assert last["request_id"] == rid[0].decode() and last["client"] == "127.0.0.1", last


# ---- 4. invalid and overlong UTF-8, NULs, lone surrogates ----

BODY_ROUTES = ["api/cases", "api/cases/{cid}/contacts", "api/cases/{cid}/warning", "api/cases/{cid}/close",
               "api/cases/{cid}/report", "api/cases/{cid}/decision", "api/cases/{cid}/review",
               "api/cases/{cid}/review/decision", "api/cases/{cid}/appeal", "api/cases/{cid}/appeal/decision",
               "api/cases/{cid}/grants", "api/cases/{cid}/statements", "api/cases/{cid}/hold", "api/absences"]
BODY_ROUTE_USER = {"api/cases": "alice", "api/cases/{cid}/decision": "chris",
                   "api/cases/{cid}/review/decision": "chris", "api/cases/{cid}/appeal/decision": "oscar",
                   "api/absences": "chris"}

BAD_UTF8 = {
    "overlong-slash": b"\xc0\xaf",
    "overlong-3-byte": b"\xe0\x80\xaf",
    "overlong-4-byte": b"\xf0\x80\x80\xaf",
    "overlong-nul": b"\xc0\x80",
    "utf16-surrogate": b"\xed\xa0\x80",
    "above-10ffff": b"\xf4\x90\x80\x80",
    "lone-continuation": b"\x80",
    "truncated": b"\xe2\x82",
    "ff-fe": b"\xff\xfe",
    "latin-1": b"Zo\xeb",
}


class Refusals:
    """Requests that must each be refused: the expected status, nothing
    stored, and exactly one "refused" access-log entry with that status
    each, in order.  check() compares the row counts once for the lot."""

    def __init__(self, fx):
        self.fx = fx
        self.snap = Snapshot(fx.db)
        self.before = self.snap.take()
        self.statuses = []

    def post(self, user, path, data, ctype="application/json", status=400):
        r = self.fx.as_user(user).post(path, data=data, headers={"Content-Type": ctype})
        assert r.status_code == status, (user, path, data[:80], r.status_code, r.text[:300])
        self.statuses.append(status)
        return r

    def check(self):
        after = self.snap.take()
        logged = after["access_log"] - self.before["access_log"]
        for counts in (after, self.before):
            for t in LOG_TABLES:
                counts.pop(t)
        assert after == self.before, "a refused request left rows behind"
        assert logged == len(self.statuses), (logged, len(self.statuses))
        entries = self.fx.db.query("SELECT outcome, status FROM access_log ORDER BY seq DESC LIMIT ?",
                                   (len(self.statuses),))[::-1]
        assert [e["status"] for e in entries] == self.statuses
        assert all(e["outcome"] == "refused" for e in entries), entries


@pytest.mark.parametrize("seq", sorted(BAD_UTF8))
def test_invalid_utf8_in_any_json_body_is_400(hrig, seq):
    """In a value, a key, a nested object and a list: every shape on
    api/cases, and one shape in turn on each other route."""
    fx = hrig
    cid = hp.raise_case(fx)
    raw = BAD_UTF8[seq]
    shapes = [b'{"summary":"' + raw + b'"}', b'{"sum' + raw + b'mary":"x"}',
              b'{"person":{"name":"a' + raw + b'"}}', b'{"restrictions":[{"type":"' + raw + b'"}]}']
    refusals = Refusals(fx)
    for i, route in enumerate(BODY_ROUTES):
        for body in (shapes if i == 0 else [shapes[i % len(shapes)]]):
            r = refusals.post(BODY_ROUTE_USER.get(route, "carol"), route.format(cid=cid), body)
            assert r.json()["error"]["code"] == "bad-request", r.text
    refusals.check()


@pytest.mark.parametrize("escape", [b"\\ud800", b"\\udfff", b"\\ud800\\u0041", b"\\u0000", b"a\\u0000b"])
def test_lone_surrogate_and_nul_escapes_are_400(hrig, escape):
    fx = hrig
    cid = hp.raise_case(fx)
    refusals = Refusals(fx)
    for route in BODY_ROUTES:
        refusals.post(BODY_ROUTE_USER.get(route, "carol"), route.format(cid=cid), b'{"reason":"' + escape + b'"}')
    refusals.check()


@pytest.mark.parametrize("seq", ["%C0%AF", "%E0%80%AF", "%ED%A0%80", "%F4%90%80%80", "%FF", "%E2%82", "%00", "%C0%80"])
def test_invalid_utf8_or_nul_in_forms_and_query_strings_is_400(hrig, seq):
    fx = hrig
    cid = hp.raise_case(fx)
    token = fx.as_user("carol").token()
    refusals = Refusals(fx)
    for path, user, body in [
        ("concerns/new", "alice", "csrf_token=%s&person_name=a%sb" % (fx.as_user("alice").token(), seq)),
        ("cases/%d/contacts" % cid, "carol", "csrf_token=%s&summary=%s" % (token, seq)),
        ("cases/%d/hold" % cid, "carol", "csrf_token=%s&rea%sson=x" % (token, seq)),
        ("absences", "chris", "csrf_token=%s&note=%s" % (fx.as_user("chris").token(), seq)),
    ]:
        refusals.post(user, path, body.encode(), "application/x-www-form-urlencoded")
    refusals.check()
    for user, path in [("audrey", "api/audit?user=" + seq), ("carol", "api/cases?x=" + seq),
                       ("carol", "cases/%d?done=%s" % (cid, seq)), ("audrey", "audit?user=" + seq),
                       ("carol", "api/cases/%d?%s=1" % (cid, seq))]:
        r = fx.as_user(user).get(path)
        assert r.status_code == 400, (path, r.status_code, r.text[:200])


def test_valid_non_ascii_text_round_trips(hrig):
    fx = hrig
    text = "Zo\u00eb \u00d8rsted \u2014 \u4e2d\u6587 \U0001f600 \u0645\u0631\u062d\u0628\u0627 e\u0301"
    cid = hp.raise_case(fx, person={"name": text, "reference": "U-" + uid()})
    hp.add_contact(fx, cid, summary=text)
    case = hp.case_file(fx, cid)
    assert case["person"]["name"] == text and case["contacts"][0]["summary"] == text
    html = page(fx, "carol", "cases/%d" % cid)
    assert text in html  # UTF-8 as is: never escaped byte by byte


# ---- 5. duplicate keys and duplicate parameters ----

DUPLICATE_BODIES = [
    b'{"summary":"a","summary":"b"}',
    b'{"person":{"name":"a","name":"b"}}',
    b'{"restrictions":[{"type":"written-only","type":"written-only"}]}',
    b'{"safeguarding":{"considered":true,"considered":false}}',
    b'{"a":{"b":{"c":1,"c":1}}}',
]


@pytest.mark.parametrize("body", DUPLICATE_BODIES, ids=["top", "person", "restriction", "safeguarding", "deep"])
def test_duplicate_keys_anywhere_in_any_body_are_400(hrig, body):
    fx = hrig
    cid = hp.raise_case(fx)
    refusals = Refusals(fx)
    for route in BODY_ROUTES:
        r = refusals.post(BODY_ROUTE_USER.get(route, "carol"), route.format(cid=cid), body)
        assert r.json()["error"]["code"] == "bad-request"
    refusals.check()


def test_duplicate_query_parameters_are_400(hrig):
    fx = hrig
    cid = hp.raise_case(fx)
    for user, path in [("audrey", "api/audit?limit=1&limit=2"), ("audrey", "api/audit?user=a&user=b"),
                       ("audrey", "api/audit?case=1&case=1"), ("carol", "api/cases?x=1&x=1"),
                       ("carol", "api/cases/%d?a=1&a=2" % cid), ("carol", "cases/%d?done=hold&done=hold" % cid),
                       ("audrey", "audit?user=a&user=b"), ("carol", "cases?%3Cscript%3E=1&%3Cscript%3E=2")]:
        r = fx.as_user(user).get(path)
        assert r.status_code == 400, (path, r.status_code, r.text[:200])
        if not path.startswith("api/"):
            assert "<script>" not in r.text


def test_a_duplicated_csrf_token_in_a_form_is_refused(hrig):
    fx = hrig
    cid = hp.raise_case(fx)
    t = fx.as_user("carol").token()
    before = fx.db.counts()
    r = _form_post(fx, "carol", "cases/%d/hold" % cid, [("csrf_token", t), ("csrf_token", t), ("reason", "x")])
    assert r.status_code == 403
    assert fx.db.counts() == before


@pytest.mark.parametrize("form", ["contacts", "concern"])
def test_duplicate_single_valued_form_fields_are_400(hrig, form):
    fx = hrig
    cid = hp.raise_case(fx)
    d = hp.today()
    if form == "contacts":
        user, path = "carol", "cases/%d/contacts" % cid
        data = [("csrf_token", fx.as_user("carol").token()), ("at_day", str(d.day)), ("at_month", str(d.month)),
                ("at_year", str(d.year)), ("channel", "phone"), ("direction", "inbound"),
                ("summary", "first"), ("summary", "second")]
    else:
        user, path = "alice", "concerns/new"
        data = _concern_form(fx.as_user("alice").token(), "Dupe Person") + [("person_name", "Other Person")]
    before = fx.db.counts()
    r = _form_post(fx, user, path, data)
    known_bug(r.status_code == 303, "%s answered 303 (%s)" % (path, r.headers.get("Location")))
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert fx.db.counts() == before


# ---- 6. 10 MB bodies ----

TEN_MB = 10 * 1024 * 1024


def _ten_mb_chunks():
    yield b'{"summary":"'
    chunk = b"a" * 65536
    for _ in range(TEN_MB // len(chunk)):
        yield chunk
    yield b'"}'


def test_ten_megabyte_bodies_are_413_on_every_post_route_and_httpd_keeps_serving(hrig):
    fx = hrig
    cid = hp.raise_case(fx)
    big = b'{"summary":"' + b"a" * TEN_MB + b'"}'
    refusals = Refusals(fx)
    for route in BODY_ROUTES:
        r = refusals.post(BODY_ROUTE_USER.get(route, "carol"), route.format(cid=cid), big, status=413)
        assert r.json()["error"]["code"] == "too-large"
    form = b"csrf_token=x&summary=" + b"a" * TEN_MB
    for path, user in [("concerns/new", "alice"), ("cases/%d/contacts" % cid, "carol"), ("absences", "chris"),
                       ("cases/%d/grants/alice/revoke" % cid, "carol")]:
        refusals.post(user, path, form, "application/x-www-form-urlencoded", status=413)
    refusals.check()
    # chunked, no Content-Length: the limit still holds
    for path, user in [("api/cases", "alice"), ("api/cases/%d/contacts" % cid, "carol")]:
        before = fx.db.counts()
        r = fx.as_user(user).post(path, data=_ten_mb_chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413, (path, r.status_code)
        assert fx.db.counts() == before
    # and a 10 MB body on a route that takes none
    r = fx.as_user("carol").send("DELETE", "api/cases/%d/grants/alice" % cid, data=big,
                                 headers={"Content-Type": "application/json"})
    assert r.status_code in (404, 413), r.status_code
    # still serving, on fresh and reused connections
    for _ in range(3):
        assert fx.as_user("carol").get("api/cases/%d" % cid).status_code == 200
    assert requests.get(fx.httpd.base() + "/api/me", auth=("alice", rig.PASSWORD), timeout=10).status_code == 200


# ---- 7. identity headers are ignored ----

IDENTITY_HEADERS = {"X-Remote-User": "carol", "X-Forwarded-User": "carol", "Remote-User": "carol",
                    "X-User": "carol", "X-Authenticated-User": "carol", "X-Forwarded-Preferred-Username": "carol"}


def test_identity_headers_never_sign_anyone_in(hrig):
    base = hrig.httpd.base()
    for path in ("api/me", "api/cases", "cases", "", "concerns/new"):
        r = requests.get(base + "/" + path, headers=IDENTITY_HEADERS, timeout=10)
        assert r.status_code == 401, (path, r.status_code)
    r = requests.post(base + "/api/cases", json=hp.concern_body(), timeout=10,
                      headers=dict(IDENTITY_HEADERS, **{"X-CSRF-Token": "x"}))
    assert r.status_code == 401


def test_identity_headers_do_not_change_who_is_signed_in(hrig):
    fx = hrig
    cid = hp.raise_case(fx, user="bob")  # alice may not see it; carol may
    alice = fx.as_user("alice")
    me = alice.get("api/me", headers=IDENTITY_HEADERS).json()
    assert me["user"] == "alice" and me["roles"] == ["staff"]
    assert alice.get("api/cases/%d" % cid, headers=IDENTITY_HEADERS).status_code == 404
    assert alice.get("cases/%d" % cid, headers=IDENTITY_HEADERS).status_code == 404
    r = alice.post("api/cases/%d/warning" % cid, {"on": today_iso(), "method": "letter", "text": "x"},
                   headers=IDENTITY_HEADERS)
    assert r.status_code == 404
    r = alice.post("api/cases", hp.concern_body(), headers=IDENTITY_HEADERS)
    assert r.status_code == 201
    last = hp.last_log_entry(fx.db)
    assert last["user"] == "alice" and last["roles"] == "staff", last
    assert hp.case_file(fx, r.json()["id"])["referred_by"] == "alice"
    # carol's token in alice's request, with headers saying carol: still alice's request, refused
    r = alice.post("api/cases", hp.concern_body(), token=fx.as_user("carol").token(), headers=IDENTITY_HEADERS)
    assert r.status_code == 403
    # no directory entry stays no role, whatever the headers say
    ghost = fx.as_user("ghost")
    assert ghost.get("api/me", headers=IDENTITY_HEADERS).status_code == 403
    assert ghost.get("cases", headers=IDENTITY_HEADERS).status_code == 403
