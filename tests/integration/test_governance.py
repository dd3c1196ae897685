"""Issue 16: the governance page, api/governance and its CSV -- counts only,
small numbers suppressed, the same figures as `habitual-admin report` (one
core function computes all three), for the cem, the monitoring officer, the
chief executive and auditors; 404 for everyone else; every look logged."""

import csv
import datetime
import html.parser
import io

import pytest

from helpers_procedure import FutureServer, iso, today
from test_admin_ops import Seeder, admin_json, flatten, ok, uid

FEWER = "fewer than 5"
MAY_SEE = ["carol", "molly", "chris", "audrey"]
MAY_NOT = ["alice", "bob", "olive"]           # staff, staff, a chief officer

# England and Wales bank holidays (an oracle independent of dates.c)
BANK_HOLIDAYS = {datetime.date.fromisoformat(d) for d in [
    "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25",
    "2025-12-26", "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31",
    "2026-12-25", "2026-12-28", "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31",
    "2027-08-30", "2027-12-27", "2027-12-28"]}


def working_days(a, b):
    n, d = 0, a
    while d < b:
        d += datetime.timedelta(days=1)
        if d.weekday() < 5 and d not in BANK_HOLIDAYS:
            n += 1
    return n


def quarter_of(d):
    q = (d.month - 1) // 3 + 1
    start = datetime.date(d.year, 3 * q - 2, 1)
    end = (datetime.date(d.year + 1, 1, 1) if q == 4 else datetime.date(d.year, 3 * q + 1, 1)) - datetime.timedelta(days=1)
    return q, start, end


def shown(v):
    """What the page and the API show of a count."""
    if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4:
        return {"count": None, "suppressed": True}
    return v


class Tables(html.parser.HTMLParser):
    """The page's tables: caption -> list of rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self.caption, self.row, self.text, self.where = {}, None, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self.where, self.text = "caption", ""
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.where, self.text = "cell", ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self.caption = self.text.strip()
            self.tables[self.caption] = []
            self.where = None
        elif tag in ("td", "th") and self.row is not None:
            self.row.append(self.text.strip())
            self.where = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.caption].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.where:
            self.text += data


def seed(rig):
    """Six referrals `back` days ago (inside this quarter); five warned,
    reported (three with a behaviour agreement too) and approved today; one
    closed without action."""
    s, t = Seeder(rig), today()
    q, qstart, qend = quarter_of(t)
    back = min(10, (t - qstart).days)
    referred = t - datetime.timedelta(days=back)

    def body():
        return {"person": {"name": "Pat Person", "reference": "REF-" + uid()}, "department": "Housing",
                "summary": "Calls many times a day about the same repair.",
                "measures_taken": "A single point of contact was named.",
                "complaints_procedure": "exhausted", "criteria": ["excessive-contact"], "exclusion": "none"}

    if back:
        with FutureServer(rig, "-%dd" % back) as past:
            ids = [ok(past.as_user("alice").post("api/cases", body()))["id"] for _ in range(6)]
    else:
        ids = [ok(s.u["alice"].post("api/cases", body()))["id"] for _ in range(6)]
    decline = [{"type": "decline-channels", "channels": ["phone", "fax"]}]
    for i, cid in enumerate(ids[:5]):
        s.warn(cid)
        if i == 2:   # R19: a report with no contact since the warning, five times
            for _ in range(5):
                refused(s.u["carol"].post("api/cases/%d/report" % cid, REPORT), 422, "no-contact-since-warning")
        s.report(cid, decline + ([{"type": "behaviour-agreement", "terms": "One call a week."}] if i < 3 else []))
        if i == 0:   # R4: the monitoring officer, with no absence of the chief executive recorded
            refused(s.u["molly"].post("api/cases/%d/decision" % cid, APPROVE), 422, "not-deputising")
        if i == 1:   # R6: not justified, three times
            for _ in range(3):
                refused(s.u["chris"].post("api/cases/%d/decision" % cid, dict(APPROVE, justified=False)), 422,
                        "not-justified")
        s.approve(cid)
    s.close(ids[5])
    # R13: a warning on a case in force, six times
    for _ in range(6):
        refused(s.u["carol"].post("api/cases/%d/warning" % ids[0], {"on": iso(t), "method": "letter",
                                                                     "text": "Again."}), 409, "wrong-state")
    # R1: four FOI requests through the API and one through the page's form
    for _ in range(4):
        refused(s.u["alice"].post("api/cases", dict(body(), exclusion="foi-dpa")), 422, "excluded-foi-dpa")
    alice = s.u["alice"]
    page = alice.post("concerns/new", data={"csrf_token": alice.token(), "exclusion": "foi-dpa"}, token=None,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, allow_redirects=False)
    assert page.status_code == 422 and "information governance manager" in page.text, page.status_code
    # R2: no measures taken, twice
    for _ in range(2):
        refused(s.u["alice"].post("api/cases", dict(body(), measures_taken="")), 422, "missing-field")
    # no rule: a case bob may not see, twice (404)
    for _ in range(2):
        assert s.u["bob"].get("api/cases/%d" % ids[0]).status_code == 404
    return q, qstart, qend, referred


REPORT = {"behaviour": "Repeated calls after the warning.",
          "restrictions": [{"type": "decline-channels", "channels": ["phone", "fax"]}],
          "period_months": 12, "alternatives_considered": "A single point of contact; it did not help."}
APPROVE = {"outcome": "approve", "justified": True, "proportionate": True, "reasons": "Justified."}
# the refusals seed() makes, by rule, counted by hand
REFUSED_BY_RULE = {"R1": 5, "R2": 2, "R4": 1, "R6": 3, "R13": 6, "R19": 5}
REFUSED_NOT_BY_A_RULE = 2
REFUSED_BY_ACTION = {"case.create": 7, "case.report": 5, "case.decide": 4, "case.warn": 6, "case.read": 2}


def refused(r, status, code):
    assert r.status_code == status and r.json()["error"]["code"] == code, (r.status_code, r.text)


def refusal_figures():
    out = {"refusals.by_rule.R%d" % k: REFUSED_BY_RULE.get("R%d" % k, 0) for k in range(1, 20)}
    out["refusals.total"] = sum(REFUSED_BY_RULE.values()) + REFUSED_NOT_BY_A_RULE
    out["refusals.not_by_a_rule"] = REFUSED_NOT_BY_A_RULE
    return out


def hand_counted(t, qstart, qend, referred):
    wd = working_days(referred, t)
    types = ["decline-channels", "behaviour-agreement", "written-only", "third-party-only",
             "correspondence-closed", "referral-warning", "suspend-contact", "building-ban"]
    report = {
        "referrals": 6, "warnings": 5, "reports.total": 5, "reports.action_without_notice": 0,
        "decisions.approved": 5, "decisions.rejected": 0, "decisions.deputised": 0,
        "review_decisions.continue": 0, "review_decisions.vary": 0, "review_decisions.remove": 0,
        "review_decisions.deputised": 0,
        **{"designations." + k: 0 for k in types},
        "ended.removed": 0, "ended.quashed": 0, "ended.lapsed": 0,
        "duration_days.count": 0, "duration_days.median": None,
        "reviews.due": 0, "reviews.on_time": 0, "reviews.overdue": 0, "reviews.not_yet_due": 0,
        "appeals.received": 0, "appeals.decided.uphold": 0, "appeals.decided.vary": 0,
        "appeals.decided.quash": 0, "closures.without_action": 1, "closures.rejected": 0,
    }
    report["designations.decline-channels"] = 5
    report.update(refusal_figures())    # the report's too
    report["designations.behaviour-agreement"] = 3
    more = {
        "cases_now.referred": 0, "cases_now.warned": 0, "cases_now.reported": 0, "cases_now.active": 5,
        "cases_now.lapsed": 0, "cases_now.ended": 0, "cases_now.closed": 1,
        **{"in_force_now." + k: 0 for k in types},
        "adjustments.people_restricted": 5, "adjustments.with_adjustments_or_safeguarding": 0,
        "adjustments.share_percent": 0,
        "appeals.within_20_working_days": 0, "appeals.after_20_working_days": 0,
        "interim.imposed": 0,
        **{"interim.ended." + k: 0 for k in ["in_force", "decision", "time_limit", "lifted_by_cem",
                                              "case_closed", "other"]},
    }
    more["in_force_now.decline-channels"] = 5
    more["in_force_now.behaviour-agreement"] = 3
    months, d = [], qstart
    while d <= qend:
        months.append(d.strftime("%Y-%m"))
        d = (d.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    for m in months:
        more["monthly.%s.referrals" % m] = 6 if referred.strftime("%Y-%m") == m else 0
        for k, n in (("warnings", 5), ("reports", 5), ("approvals", 5), ("rejections", 0)):
            more["monthly.%s.%s" % (m, k)] = n if t.strftime("%Y-%m") == m else 0
    buckets = ["0-5", "6-10", "11-20", "21-40", "41+"]

    def bucket(v):
        return next(b for b, top in zip(buckets, [5, 10, 20, 40, 10 ** 6]) if v <= top)
    for name, v in (("referral_to_decision", wd), ("report_to_decision", 0)):
        more["working_days.%s.count" % name] = 5
        more["working_days.%s.median" % name] = v
        more["working_days.%s.p90" % name] = v
        for b in buckets:
            more["working_days.%s.buckets.%s" % (name, b)] = 5 if b == bucket(v) else 0
    return report, more


def test_page_api_csv_and_report_show_the_hand_counted_figures(own_rig):
    t = today()
    q, qstart, qend, referred = seed(own_rig)
    report, more = hand_counted(t, qstart, qend, referred)

    # the report: every figure as it is, nothing more (its format unchanged)
    out = admin_json(own_rig, "report", "--from", iso(qstart), "--to", iso(qend), "--format", "json")
    assert (out.pop("from"), out.pop("to")) == (iso(qstart), iso(qend))
    assert flatten(out) == report

    # the API: the same figures, counts from 1 to 4 suppressed
    r = own_rig.as_user("carol").get("api/governance", params={"from": iso(qstart), "to": iso(qend)})
    assert r.status_code == 200, r.text
    api = r.json()
    assert (api.pop("from"), api.pop("to"), api.pop("today"), api.pop("suppressed_below")) == \
        (iso(qstart), iso(qend), iso(t), 5)
    refusals = api.pop("refusals")
    got = {}
    for k, v in api.items():
        if isinstance(v, dict) and set(v) != {"count", "suppressed"} and set(v) != {"value", "suppressed"}:
            for k2, v2 in flatten({k: v}).items():
                got[k2] = v2
        else:
            got[k] = v
    # flatten splits suppressed objects too: put them back together
    regrouped = {}
    for k, v in got.items():
        if k.endswith(".suppressed") or k.endswith(".count") and k[:-6] + ".suppressed" in got:
            base = k.rsplit(".", 1)[0]
            regrouped[base] = {"count": None, "suppressed": True}
        elif k.endswith(".value") and k[:-6] + ".suppressed" in got:
            regrouped[k.rsplit(".", 1)[0]] = {"value": None, "suppressed": True}
        else:
            regrouped[k] = v
    # duration_days.count is a real count (0): keep it apart from suppression
    expected = {k: shown(v) for k, v in {**report, **more}.items()}
    assert regrouped == {k: v for k, v in expected.items() if not k.startswith("refusals.")}
    assert api["designations"]["behaviour-agreement"] == {"count": None, "suppressed": True}
    assert api["in_force_now"]["behaviour-agreement"] == {"count": None, "suppressed": True}
    assert api["in_force_now"]["decline-channels"] == 5
    # refusals: by rule (hand-counted, 1 to 4 suppressed), the rest, and by action
    assert refusals == {
        "total": 24,
        "by_rule": {"R%d" % k: shown(REFUSED_BY_RULE.get("R%d" % k, 0)) for k in range(1, 20)},
        "not_by_a_rule": shown(REFUSED_NOT_BY_A_RULE),
        "by_action": {a: shown(n) for a, n in REFUSED_BY_ACTION.items()}}
    assert refusals["by_rule"]["R13"] == 6 and refusals["by_rule"]["R6"] == {"count": None, "suppressed": True}

    # the page for the same quarter: its tables, and the CSV of them
    page = own_rig.as_user("chris").get("governance", params={"year": str(t.year), "quarter": str(q)})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Pat Person" not in page.text and "REF-" not in page.text
    tables = Tables()
    tables.feed(page.text)
    in_force = dict((row[0], row[1]) for row in tables.tables["Restrictions in force now, by type"][1:])
    assert in_force["behaviour-agreement"] == FEWER and in_force["decline-channels"] == "5"
    decided = dict((row[0], row[1]) for row in tables.tables["Restrictions decided, by type"][1:])
    assert decided["behaviour-agreement"] == FEWER and decided["decline-channels"] == "5"
    assert page.text.count('role="img"') == 3 and "<title id=\"chart-monthly-title\">" in page.text
    assert 'aria-labelledby="chart-rules-title chart-rules-desc"' in page.text
    by_rule = dict((row[0], row[1]) for row in tables.tables["Refusals by rule"][1:])
    assert by_rule["All refusals"] == "24"
    assert by_rule["R1 Exclusions"] == "5" and by_rule["R13 State order"] == "6"
    assert by_rule["R19 Action follows continued behaviour"] == "5"
    assert by_rule["R2 Last resort"] == FEWER and by_rule["R4 Who decides"] == FEWER
    assert by_rule["R6 Justified and proportionate"] == FEWER and by_rule["R5 No one judges their own case"] == "0"
    assert len(by_rule) == 21
    by_action = dict((row[0], row[1]) for row in tables.tables["Refusals by action"][1:])
    assert by_action == {"All refusals": "24", "case.create": "7", "case.report": "5", "case.decide": FEWER,
                         "case.warn": "6", "case.read": FEWER}
    assert 'aria-labelledby="chart-days-title chart-days-desc"' in page.text

    c = own_rig.as_user("audrey").get("governance", params={"year": str(t.year), "quarter": str(q), "format": "csv"})
    assert c.status_code == 200 and c.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(c.text)))
    assert rows[0] == ["table", "row", "column", "figure", "value", "fewer_than_5"]
    assert rows[1][3:5] == ["from", iso(qstart)] and rows[2][3:5] == ["to", iso(qend)]
    checked = 0
    for table, row, column, figure, value, fewer in rows[3:]:
        # every CSV cell is the page's cell, and the hand count
        page_rows = tables.tables[table]
        col = page_rows[0].index(column)
        cell = next(r[col] for r in page_rows[1:] if r[0] == row)
        if fewer == "yes":
            assert value == "" and cell == FEWER, (table, row, column)
        else:
            assert cell == (value or "none"), (table, row, column, cell, value)
        if figure in expected:
            want = expected[figure]
            assert (fewer == "yes") == isinstance(want, dict), figure
            if not isinstance(want, dict):
                assert value == ("" if want is None else str(want)), (figure, value, want)
            checked += 1
    assert checked >= 80
    # refusals by rule in the CSV: as hand-counted, 1 to 4 left empty
    csv_rules = {r[3]: r[4:] for r in rows if r[0] == "Refusals by rule"}
    assert csv_rules["refusals.by_rule.R13"] == ["6", "no"] and csv_rules["refusals.by_rule.R2"] == ["", "yes"]
    assert csv_rules["refusals.by_rule.R7"] == ["0", "no"] and len(csv_rules) == 21

    # the log: each refusal by a rule names it, the others none
    logged = own_rig.db.query("SELECT refused_rule, count(*) AS n FROM access_log WHERE outcome = 'refused' "
                              "GROUP BY refused_rule")
    assert {e["refused_rule"]: e["n"] for e in logged} == {**REFUSED_BY_RULE, None: REFUSED_NOT_BY_A_RULE}
    behaviour = [r for r in rows if r[3] == "in_force_now.behaviour-agreement"]
    assert behaviour and behaviour[0][4:] == ["", "yes"]


def test_only_the_case_officers_and_auditors_may_see_it_and_each_look_is_logged(own_rig):
    s = Seeder(own_rig)
    cid = s.active()
    # a grant holder: bob, granted the notice of a case with restrictions in force
    ok(s.u["carol"].post("api/cases/%d/grants" % cid,
                         {"user": "bob", "reason": "Takes the calls.",
                          "expires": iso(today() + datetime.timedelta(days=30))}))
    db = own_rig.db
    for user in MAY_NOT:
        for path in ("api/governance", "governance", "governance?format=csv"):
            r = own_rig.as_user(user).get(path)
            assert r.status_code == 404, (user, path, r.status_code)
            if path.startswith("api/"):
                assert r.json() == {"error": {"code": "not-found", "message": "There is nothing here."}}
        last = db.query('SELECT "user", action, outcome, status FROM access_log ORDER BY seq DESC LIMIT 1')[0]
        assert (last["user"], last["action"], last["outcome"], last["status"]) == \
            (user, "page.governance", "refused", 404)
        assert '/governance"' not in own_rig.as_user(user).get("").text    # not in their menu
    for user in MAY_SEE:
        before = db.log_count()
        assert own_rig.as_user(user).get("api/governance").status_code == 200
        assert own_rig.as_user(user).get("governance").status_code == 200
        entries = db.query('SELECT "user", action, outcome, status, case_id FROM access_log WHERE seq > ? '
                           "ORDER BY seq", (before,))
        assert [(e["user"], e["action"], e["outcome"], e["status"], e["case_id"]) for e in entries] == \
            [(user, "governance.read", "allowed", 200, None), (user, "page.governance", "allowed", 200, None)]
        assert '/governance"' in own_rig.as_user(user).get("").text      # in their menu
    # refusals by action; a 404 is no safeguard's refusal: none by rule
    api = own_rig.as_user("carol").get("api/governance",
                                       params={"from": iso(today()), "to": iso(today())}).json()
    assert api["refusals"]["by_action"]["governance.read"] == {"count": None, "suppressed": True}  # 3
    assert api["refusals"]["by_action"]["page.governance"] == 6
    assert api["refusals"]["by_rule"] == {"R%d" % k: 0 for k in range(1, 20)}
    assert api["refusals"]["not_by_a_rule"] == 9 and api["refusals"]["total"] == 9


def test_default_period_is_the_last_full_quarter_and_bad_periods_are_refused(shared_rig):
    t = today()
    q, qstart, _ = quarter_of(t)
    last_end = qstart - datetime.timedelta(days=1)
    _, last_start, _ = quarter_of(last_end)
    api = shared_rig.as_user("molly").get("api/governance").json()
    assert (api["from"], api["to"]) == (iso(last_start), iso(last_end))
    page = shared_rig.as_user("molly").get("governance")
    assert page.status_code == 200
    assert '<option value="%d" selected>' % last_start.year in page.text
    for params in ({"from": "2026-01-01"}, {"from": "2026-02-01", "to": "2026-01-01"},
                   {"from": "2026-13-01", "to": "2026-12-01"}, {"since": "2026-01-01"},
                   {"from": "2000-01-01", "to": "2026-01-01"}):
        r = shared_rig.as_user("molly").get("api/governance", params=params)
        assert r.status_code == 400, (params, r.text)
    for params in ({"year": "1999"}, {"year": str(t.year + 1)}, {"quarter": "5"}, {"format": "xml"},
                   {"period": "x"}):
        assert shared_rig.as_user("molly").get("governance", params=params).status_code == 400, params
    whole = shared_rig.as_user("molly").get("api/governance",
                                            params={"from": "%d-01-01" % t.year, "to": "%d-12-31" % t.year}).json()
    assert len(whole["monthly"]) == 12
