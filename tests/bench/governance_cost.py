#!/usr/bin/python3
"""What the governance figures cost on a generated database (README,
"Governance page": query cost), and the README's pictures of the page.

    governance_cost.py DB [--year 2025] [--shots DIR] [--pgsql]

DB is a database from gen_db.py (e.g. --cases 10000 --log 200000); a copy is
served by a private rig (slapd + httpd, tests/rig), so DB is not changed.
Prints: api/governance (the whole computation, one HTTP request, as the
auditor) and `habitual-admin report` for the last full quarter, a year and
three years, median of 5 runs after a first; then each SQL query of
hab_governance_figures for the year, median of 5, with the rows it returns
and SQLite's plan.  The queries are copied here from
mod_habitual/core/domain/governance.c (keep them in step).  With --shots DIR, also
the README's screenshots (tests/browser/shoot_governance.js in Debian's
Chromium, palette PNGs by png_palette.js): DIR/governance.png and
DIR/governance-refusals.png.  With --pgsql, also `habitual-admin --driver
pgsql report` for the same periods on a copy in a private PostgreSQL
(pg_load.py)."""

import argparse
import datetime as dt
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BROWSER = os.path.join(ROOT, "tests", "browser")
sys.path.insert(0, os.path.join(ROOT, "tests", "rig"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import rig  # noqa: E402
from conftest import Client  # noqa: E402


def last_quarter(today):
    q = (today.month - 1) // 3
    y = today.year
    if q == 0:
        q, y = 4, y - 1
    start = dt.date(y, 3 * q - 2, 1)
    end = (dt.date(y + 1, 1, 1) if q == 4 else dt.date(y, 3 * q + 1, 1)) - dt.timedelta(days=1)
    return start.isoformat(), end.isoformat()


def queries(F, T):
    AFTER = (dt.date.fromisoformat(T) + dt.timedelta(days=1)).isoformat()
    TODAY = dt.date.today().isoformat()
    IN_FORCE = ("FROM restrictions x JOIN cases c ON c.id = x.case_id "
                "LEFT JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "
                "WHERE (x.lifted_at IS NULL AND coalesce(x.in_force_from, '0') <= ? AND coalesce(x.in_force_until, '9') > ?) "
                "AND c.status IN ('referred','warned','reported','active') "
                "AND (c.status <> 'active' OR pe.end_date IS NULL OR pe.end_date >= ?)")
    FT = (F, AFTER)
    Q = [
     ("referrals", "SELECT count(*) FROM cases WHERE referred_at >= ? AND referred_at < ?", FT),
     ("warnings", "SELECT count(*) FROM warnings WHERE warned_on >= ? AND warned_on <= ?", (F, T)),
     ("reports", "SELECT count(*) FROM reports WHERE created_at >= ? AND created_at < ?", FT),
     ("reports without notice", "SELECT count(*) FROM reports rp JOIN cases c ON c.id = rp.case_id WHERE c.action_without_notice = 1 AND rp.created_at >= ? AND rp.created_at < ?", FT),
     ("decisions by outcome", "SELECT outcome, count(*) FROM decisions WHERE decided_at >= ? AND decided_at < ? GROUP BY outcome", FT),
     ("decisions deputised", "SELECT count(*) FROM decisions WHERE deputising = 1 AND decided_at >= ? AND decided_at < ?", FT),
     ("review decisions by outcome", "SELECT outcome, count(*) FROM review_decisions WHERE decided_at >= ? AND decided_at < ? GROUP BY outcome", FT),
     ("review decisions deputised", "SELECT count(*) FROM review_decisions WHERE deputising = 1 AND decided_at >= ? AND decided_at < ?", FT),
     ("designations by type", "SELECT rs.type, count(*) FROM restrictions rs JOIN decisions d ON d.case_id = rs.case_id AND d.outcome = 'approve' WHERE rs.origin = 'decision' AND d.decided_at >= ? AND d.decided_at < ? GROUP BY rs.type", FT),
     ("designations ended (every active/ended case)", "SELECT c.status, c.end_reason, c.ended_at, pe.end_date, d.start FROM cases c JOIN decisions d ON d.id = (SELECT max(id) FROM decisions WHERE case_id = c.id AND outcome = 'approve') JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id) WHERE c.status IN ('active', 'ended')", ()),
     ("reviews due: periods", "SELECT pe.case_id, pe.review_due, c.status, c.ended_at, (SELECT count(*) FROM periods p2 WHERE p2.case_id = pe.case_id AND p2.id < pe.id) FROM periods pe JOIN cases c ON c.id = pe.case_id WHERE pe.review_due >= ? AND pe.review_due <= ?", (F, T)),
     ("reviews due: every review decision", "SELECT rv.case_id, d.decided_at FROM review_decisions d JOIN reviews rv ON rv.id = d.review_id ORDER BY rv.case_id, d.id", ()),
     ("appeals received", "SELECT count(*) FROM appeals WHERE received >= ? AND received <= ?", (F, T)),
     ("appeals decided by outcome", "SELECT outcome, count(*) FROM appeal_decisions WHERE decided_at >= ? AND decided_at < ? GROUP BY outcome", FT),
     ("closed without action", "SELECT count(*) FROM cases WHERE status = 'closed' AND (end_reason IS NULL OR end_reason <> 'rejected') AND closed_at >= ? AND closed_at < ?", FT),
     ("closed on rejection", "SELECT count(*) FROM cases WHERE status = 'closed' AND end_reason = 'rejected' AND closed_at >= ? AND closed_at < ?", FT),
     ("cases by state now (every case)", "SELECT c.status, pe.end_date FROM cases c LEFT JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id)", ()),
     ("in force now by type", "SELECT x.type, count(*) " + IN_FORCE + " GROUP BY x.type", (TODAY,) * 3),
     ("people restricted now", "SELECT DISTINCT c.person_id " + IN_FORCE, (TODAY,) * 3),
     ("of them with adjustments", "SELECT DISTINCT c.person_id " + IN_FORCE + " AND EXISTS (SELECT 1 FROM reports rp WHERE rp.case_id = c.id AND (rp.safeguarding_considered = 1 OR coalesce(rp.safeguarding_adjustments, '') <> ''))", (TODAY,) * 3),
     ("monthly: referrals", "SELECT referred_at FROM cases WHERE referred_at >= ? AND referred_at < ?", FT),
     ("monthly: warnings", "SELECT warned_on FROM warnings WHERE warned_on >= ? AND warned_on < ?", FT),
     ("monthly: reports", "SELECT created_at FROM reports WHERE created_at >= ? AND created_at < ?", FT),
     ("decisions with referral and report dates", "SELECT d.outcome, d.decided_at, c.referred_at, rp.created_at FROM decisions d JOIN cases c ON c.id = d.case_id JOIN reports rp ON rp.id = d.report_id WHERE d.decided_at >= ? AND d.decided_at < ?", FT),
     ("appeals within 20 working days", "SELECT a.received, d.decided_at FROM appeal_decisions d JOIN appeals a ON a.id = d.appeal_id WHERE d.outcome <> 'withdrawn-case-ended' AND d.decided_at >= ? AND d.decided_at < ?", FT),
     ("interim restrictions", "SELECT x.lifted_at, x.lifted_reason, x.in_force_from, x.in_force_until, (SELECT count(*) FROM decisions d WHERE d.case_id = x.case_id) FROM restrictions x WHERE x.interim = 1 AND x.created_at >= ? AND x.created_at < ?", FT),
     ("refusals by rule", "SELECT refused_rule, count(*) FROM access_log WHERE outcome = 'refused' AND at >= ? AND at < ? GROUP BY refused_rule", FT),
     ("refusals by action", "SELECT action, count(*) FROM access_log WHERE outcome = 'refused' AND at >= ? AND at < ? GROUP BY action ORDER BY action", FT),
    ]
    return Q


def timed(fn, n=5):
    fn()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts), max(ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db")
    ap.add_argument("--year", type=int, default=dt.date.today().year - 1)
    ap.add_argument("--shots", default=None)
    ap.add_argument("--pgsql", action="store_true")
    a = ap.parse_args()
    today = dt.date.today()
    year = ("%d-01-01" % a.year, "%d-12-31" % a.year)
    periods = [("last quarter", last_quarter(today)), ("year %d" % a.year, year),
               ("three years", ((today - dt.timedelta(days=3 * 365)).isoformat(), today.isoformat()))]
    work = tempfile.mkdtemp(prefix="habitual-rig-cost-")
    os.chmod(work, 0o755)
    os.makedirs(os.path.join(work, "db"), mode=0o755)
    db = os.path.join(work, "db", "habitual.db")
    src = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    dst = sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.close()
    r = rig.Rig(workdir=work, db=db)
    try:
        audrey = Client(r.httpd.base(), "audrey")
        for name, (f, t) in periods:
            def api():
                resp = audrey.get("api/governance", params={"from": f, "to": t})
                assert resp.status_code == 200, resp.text
            m, lo, hi = timed(api)
            print("api/governance        %-13s %.3f s (min %.3f, max %.3f)" % (name, m, lo, hi))
            m, lo, hi = timed(lambda: rig.admin(db, "report", "--from", f, "--to", t, "--format", "json"))
            print("habitual-admin report %-13s %.3f s (min %.3f, max %.3f)" % (name, m, lo, hi))
        c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        total = 0
        print("each query for %s to %s (SQLite %s):" % (year[0], year[1], sqlite3.sqlite_version))
        for name, sql, args in queries(*year):
            rows = []

            def run():
                rows[:] = c.execute(sql, args).fetchall()
            m, _lo, _hi = timed(run)
            total += m
            plan = " / ".join(p[3] for p in c.execute("EXPLAIN QUERY PLAN " + sql, args).fetchall())
            print("%8.2f ms %7d rows  %-46s %s" % (m * 1000, len(rows), name, plan[:140]))
        print("%8.2f ms  the queries together" % (total * 1000))
        c.close()
        if a.shots:
            os.makedirs(a.shots, exist_ok=True)
            tmp = tempfile.mkdtemp(prefix="habitual-shots-")
            subprocess.run(["node", "shoot_governance.js", r.httpd.base(), "year=%d&quarter=year" % a.year, tmp],
                           cwd=BROWSER, check=True)
            for full, small in (("governance-full.png", "governance.png"),
                                ("governance-refusals-full.png", "governance-refusals.png")):
                subprocess.run(["node", "png_palette.js", os.path.join(tmp, full), os.path.join(a.shots, small)],
                               cwd=BROWSER, check=True)
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        r.stop()
    if a.pgsql:
        import pg_load
        server = pg_load.start_server()
        try:
            pdb, info = pg_load.load(a.db, server)
            print("PostgreSQL (%s): loaded %d rows in %.1f s" % (pg_load.version(), info["rows"],
                                                                info["timings"]["total_s"]))
            for name, (f, t) in periods:
                m, lo, hi = timed(lambda: rig.admin(pdb, "report", "--from", f, "--to", t, "--format", "json"))
                print("habitual-admin --driver pgsql report %-13s %.3f s (min %.3f, max %.3f)" % (name, m, lo, hi))
        finally:
            server.destroy()


if __name__ == "__main__":
    main()
