#!/usr/bin/python3
"""Build a realistic mod_habitual database for the benchmark.

    gen_db.py OUT.db [--cases 10000] [--contacts N] [--log 1000000] [--seed 7]

Starts from `habitual-admin init` on an empty file (so the schema is exactly
this build's), then fills every table the way the procedure would have:
cases in every state (referred, warned, reported, active with restrictions,
periods, letters, notifications, reviews and appeals, ended, closed), a
chronology of contacts with incidents, grants (some to the officer "bob"),
and an access log whose hash chain is valid (README, "The access log").

Case ids follow referral time, as an autoincrement would.  Everything is
dated relative to today, so nothing is in the future and the derived lapse
(R9) applies to the intended cases only.

Fast: explicit ids, executemany inside one transaction, secondary indexes
dropped while loading and recreated from their own CREATE statements,
PRAGMA synchronous=OFF and journal_mode=OFF while generating; the file is
put back into WAL mode at the end.  Writes OUT.db.json beside it (the
parameters, counts and timings) and prints a summary.

Independent of the C code on purpose: the rows are written from the schema
and the README, so `habitual-admin verify-audit` and the module's own reads
check the generator (run_bench.py does both)."""

import argparse
import bisect
import datetime as dt
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
ADMIN = os.environ.get("HABITUAL_ADMIN", os.path.join(ROOT, "admin", "habitual-admin"))

GEN_VERSION = 4

# ---- the vocabularies of mod_habitual/core/base/validate.c ----
CHANNELS = ["phone", "letter", "email", "in-person", "fax", "online"]
CONTACT_KINDS = CHANNELS + ["visit", "face-to-face", "filming", "recording", "photographs", "deputation"]
INCIDENTS = ["abuse", "hate", "swearing", "violence", "harassment", "covert-recording"]
CRITERIA = [
    "complaints-exhausted", "changes-substance", "resurrects-issues", "rejects-evidence",
    "disputes-adequate-response", "no-precise-issue", "outside-remit", "trivial-focus",
    "avoids-payment", "abusive-about-staff", "prolonged-abuse", "hate-crime", "swearing",
    "violence", "excessive-contact", "many-departments", "constitution-misuse", "harassment",
    "covert-recording", "vexatious", "unreasonable-demands", "attention-seeking"]
PLAIN_CRITERIA = [c for c in CRITERIA if c != "violence"]
PLAIN_INCIDENTS = [i for i in INCIDENTS if i != "violence"]
STAGES = ["exhausted", "in-progress", "not-applicable"]

# ---- people (the rig's directory, plus a pool of ordinary staff) ----
CEM = "carol"
CHIEF_EXECUTIVE = "chris"
MONITORING_OFFICER = "molly"
CHIEF_OFFICERS = ["olive", "oscar", "dana"]
OFFICER = "bob"  # the officer holding grants whose notices are benchmarked
STAFF_POOL = ["alice"] + ["staff%04d" % i for i in range(1, 401)]
ROLES_OF = {  # comma-joined in role order (staff, cem, monitoring-officer, ...)
    "carol": "staff,cem", "chris": "staff,chief-executive", "molly": "staff,monitoring-officer",
    "olive": "staff,chief-officer", "oscar": "staff,chief-officer", "dana": "staff,chief-officer,auditor",
    "audrey": "staff,auditor", "ghost": "",
}
DEPARTMENTS = ["Housing", "Revenues and Benefits", "Waste and Recycling", "Planning", "Parking",
               "Environmental Health", "Council Tax", "Highways", "Customer Services",
               "Adult Social Care", "Children's Services", "Licensing", "Legal Services"]
FIRST = ["Alex", "Sam", "Jo", "Chris", "Pat", "Morgan", "Jamie", "Robin", "Terry", "Lesley", "Kim",
         "Dale", "Frances", "Glen", "Hilary", "Jan", "Kerry", "Lee", "Mel", "Nicky", "Remy", "Toni"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
        "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
        "Wood", "Jackson", "Clarke", "Khan", "Hughes", "Edwards", "Hill", "Moore", "Lewis"]
STREETS = ["High Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue", "London Road",
           "Victoria Street", "Queens Road", "Green Lane", "Manor Way"]
WORDS = ("the customer called again about the same matter and was told that the council had "
         "already answered in full but refused to accept the response demanded to speak to a "
         "manager and said the officer was lying shouted during the call sent twelve emails "
         "on the same day copied in the chief executive and every councillor made personal "
         "remarks about staff recorded the conversation without consent asked for the "
         "complaint to be reopened disputed the evidence provided visited the civic centre "
         "without an appointment and refused to leave until security arrived promised to "
         "keep calling until the decision is changed wrote to the local newspaper and posted "
         "the officer's name online the matter has been through every stage of the complaints "
         "procedure and the ombudsman declined to investigate").split()

DAY = 86400


def corpus(rng, n=1 << 20):
    return " ".join(rng.choice(WORDS) for _ in range(n // 6))


def fast(rng):
    """randint and choice without random.py's per-call overhead (same stream every run)."""
    rnd = rng.random

    def ri(lo, hi):
        return lo + int(rnd() * (hi - lo + 1))

    def ch(seq):
        return seq[int(rnd() * len(seq))]
    return ri, ch


class Texts:
    """Random text by slicing one large corpus: cheap for millions of rows."""

    def __init__(self, rng):
        self.rng = rng
        self.c = corpus(rng)
        self.n = len(self.c)

    def __call__(self, lo, hi):
        r = self.rng.random
        size = lo + int(r() * (hi - lo + 1))
        o = int(r() * (self.n - size - 1))
        s = self.c[o:o + size].strip()
        return (s[:1].upper() + s[1:] + ".") if s else "Noted."


# ---- dates and times (local dates = UTC here; httpd runs with the same TZ) ----

def add_months(d, n):
    y, m, day = int(d[:4]), int(d[5:7]), int(d[8:10])
    total = y * 12 + (m - 1) + n
    y, m = total // 12, total % 12 + 1
    import calendar
    day = min(day, calendar.monthrange(y, m)[1])
    return "%04d-%02d-%02d" % (y, m, day)


def add_days(d, n):
    return (dt.date.fromisoformat(d) + dt.timedelta(days=n)).isoformat()


def period_of(start, months):
    """R9: ends the day before the same date n months later; review on the
    end or 12 months after the start, whichever is sooner."""
    end = add_days(add_months(start, months), -1)
    year_on = add_months(start, 12)
    return end, (end if end <= year_on else year_on)


_TS = {}


def ts(t):
    """UTC time string of epoch seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def day(t):
    d = t // DAY
    s = _TS.get(d)
    if s is None:
        s = _TS[d] = time.strftime("%Y-%m-%d", time.gmtime(d * DAY))
        return s
    return s


def day_start(date_str):
    return int(dt.datetime.fromisoformat(date_str + "T00:00:00+00:00").timestamp())


# ---- restriction objects (SPEC §6), R7 and R8 respected ----

def restriction_set(rng, tx, violent, start, end):
    if violent:
        choice = rng.choice(["written", "written+building", "third", "suspend"])
    else:
        choice = rng.choice(["written", "decline", "decline+agreement", "third", "correspondence",
                             "building+agreement", "written+building", "warning"])
    if choice == "written":
        return [{"type": "written-only"}]
    if choice == "written+building":
        return [{"type": "written-only"},
                {"type": "building-ban", "buildings": ["Civic Centre", "Town Hall"], "injunction": False}]
    if choice == "third":
        return [{"type": "third-party-only", "third_party": "Citizens Advice, 1 Market Square"}]
    if choice == "suspend":
        until = min(add_days(start, 90), end)
        return [{"type": "suspend-contact", "legal_advice": tx(40, 200), "until": until}]
    if choice == "decline":
        return [{"type": "decline-channels", "channels": rng.sample(["phone", "email", "fax", "online"], 2)}]
    if choice == "decline+agreement":
        return [{"type": "decline-channels", "channels": ["phone"]},
                {"type": "behaviour-agreement", "terms": tx(80, 400)}]
    if choice == "correspondence":
        return [{"type": "correspondence-closed", "matter": tx(40, 200)}, {"type": "referral-warning"}]
    if choice == "building+agreement":
        return [{"type": "building-ban", "buildings": ["all"]},
                {"type": "behaviour-agreement", "terms": tx(80, 400)}]
    return [{"type": "referral-warning"}]


def dump(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# ---- the plan of one case: its state and the times of its steps ----

STATE_SHARES = [("referred", 0.06), ("warned", 0.06), ("reported", 0.03), ("active", 0.20),
                ("ended", 0.20), ("closed", 0.45)]


def plan_case(rng, state, now):
    """Times (epoch seconds) of each step, working back from the state."""
    d = lambda lo, hi: int(rng.uniform(lo, hi) * DAY)
    p = {"state": state, "lapsed": False, "violent": rng.random() < 0.06,
         "vulnerable": rng.random() < 0.10, "warned": True}
    if state == "referred":
        p["ref"] = now - d(0.05, 60)
        p["warned"] = False
    elif state == "warned":
        p["warn"] = now - d(0.05, 90)
        p["ref"] = p["warn"] - d(3, 30)
    elif state == "reported":
        p["report"] = now - d(0.05, 30)
        p["warned"] = rng.random() < 0.85
        if p["warned"]:
            p["warn"] = p["report"] - d(7, 40)
            p["ref"] = p["warn"] - d(3, 30)
        else:
            p["ref"] = p["report"] - d(3, 30)
    elif state in ("active", "ended"):
        p["decision"] = now - d(2, 1000) if state == "active" else now - d(60, 1040)
        p["report"] = p["decision"] - d(3, 20)
        p["warned"] = rng.random() < 0.85
        if p["warned"]:
            p["warn"] = p["report"] - d(7, 40)
            p["ref"] = p["warn"] - d(3, 30)
        else:
            p["ref"] = p["report"] - d(3, 30)
        p["lapsed"] = state == "active" and rng.random() < 0.10
    else:  # closed: without action (70%), or rejected at the decision
        if rng.random() < 0.70:
            p["how"] = "close"
            p["closed"] = now - d(1, 1080)
            if rng.random() < 0.5:
                p["warn"] = p["closed"] - d(3, 40)
                p["ref"] = p["warn"] - d(3, 30)
            else:
                p["warned"] = False
                p["ref"] = p["closed"] - d(3, 60)
        else:
            p["how"] = "reject"
            p["decision"] = now - d(1, 1060)
            p["report"] = p["decision"] - d(3, 20)
            p["warned"] = rng.random() < 0.85
            if p["warned"]:
                p["warn"] = p["report"] - d(7, 40)
                p["ref"] = p["warn"] - d(3, 30)
            else:
                p["ref"] = p["report"] - d(3, 30)
    return p


class Gen:
    TABLES = {
        "persons": "id, reference, name, address, date_of_birth",
        "cases": "id, person_id, status, end_reason, referred_by, referred_at, department, summary, "
                 "measures_taken, complaints_procedure, vulnerable, vulnerability, representative_name, "
                 "representative_address, advocate_name, advocate_address, action_without_notice, "
                 "closed_at, closed_by, ended_at, legal_hold_reason, legal_hold_by, legal_hold_at, updated_at",
        "case_criteria": "case_id, criterion",
        "copy_recipients": "id, case_id, position, name, role, address",
        "contacts": "id, case_id, at, channel, direction, department, officer, summary, recorded_by, recorded_at",
        "contact_incidents": "contact_id, incident",
        "warnings": "id, case_id, warned_on, method, text, warned_by, recorded_at",
        "reports": "id, case_id, behaviour, restrictions, period_months, alternatives_considered, severe, "
                   "severe_reason, safeguarding_considered, safeguarding_adjustments, police_reference, "
                   "asb_unit_consulted, author, created_at",
        "decisions": "id, case_id, report_id, outcome, justified, proportionate, reasons, start, decided_by, "
                     "acting_as, deputising, decided_at",
        "periods": "id, case_id, start, months, end_date, review_due, origin, created_at",
        "restrictions": "id, case_id, type, detail, interim, origin, created_at, lifted_at, lifted_reason",
        "reviews": "id, case_id, recommendation, report, monitoring_officer, author, created_at",
        "review_decisions": "id, review_id, outcome, reasons, period_months, restrictions, decided_by, "
                            "acting_as, deputising, decided_at",
        "appeals": "id, case_id, received, grounds, recorded_by, recorded_at",
        "appeal_decisions": "id, appeal_id, outcome, reasons, restrictions, decided_by, decided_at",
        "letters": "id, case_id, number, kind, issued_at, issued_by, subject, body, copied_to",
        "absences": "id, from_date, to_date, note, recorded_by, recorded_at",
        "notifications": "id, case_id, event, created_at, created_by, email_sent_at, email_attempts, email_error",
        "grants": "id, case_id, grantee, reason, expires, granted_by, granted_at, revoked_at, revoked_by",
        "statements": "id, case_id, received, text, recorded_by, recorded_at",
    }

    def __init__(self, db, rng, now, today):
        self.db = db
        self.rng = rng
        self.tx = Texts(rng)
        self.ri, self.ch = fast(rng)
        self.now = now
        self.today = today
        self.rows = {t: [] for t in self.TABLES}
        self.ids = {t: 0 for t in self.TABLES}
        self.counts = {t: 0 for t in self.TABLES}
        self.finished_persons = []
        self.bob_grant_cases = set()
        self.bob_expected_notices = set()
        self.person_names = {}
        self.mismatches = 0  # cases whose generated history ended in another state than planned
        self.case_restrictions = {}  # this case's restriction rows, by id (lifted in place)
        self.sql = {t: "INSERT INTO %s(%s) VALUES (%s)" % (t, cols, ",".join("?" * len(cols.split(","))))
                    for t, cols in self.TABLES.items()}

    def next_id(self, table):
        self.ids[table] += 1
        return self.ids[table]

    def add(self, table, row):
        self.rows[table].append(row)

    def flush(self):
        for t, rows in self.rows.items():
            if rows:
                self.db.executemany(self.sql[t], rows)
                self.counts[t] += len(rows)
                rows.clear()

    # -- pieces --

    def person(self, rng):
        ri, ch = self.ri, self.ch
        if self.finished_persons and rng.random() < 0.05:
            return ch(self.finished_persons)
        pid = self.next_id("persons")
        name = "%s %s" % (ch(FIRST), ch(LAST))
        addr = "%d %s, Anytown AN%d %dXY" % (ri(1, 250), ch(STREETS), ri(1, 30),
                                             ri(1, 9))
        dob = "%04d-%02d-%02d" % (ri(1935, 2004), ri(1, 12), ri(1, 28))
        self.add("persons", (pid, "HC%08d" % (pid * 7 + 1000003), name, addr, dob if rng.random() < 0.8 else None))
        self.person_names[pid] = name
        return pid

    def letter(self, cid, number, kind, at, by, copied, name, parts):
        subjects = {"warning": "Your contact with the council",
                    "decision": "Decision about your contact with the council",
                    "review-outcome": "Review of the arrangements for your contact with the council",
                    "appeal-outcome": "Decision on your appeal"}
        body = ['<p class="govuk-body">%s</p>\n<h2 class="govuk-heading-m" id="letter-subject">%s</h2>\n'
                '<p class="govuk-body">Dear %s,</p>\n' % (day(at), subjects[kind], name)]
        for part in parts:
            body.append('<section data-part="%s"><p class="govuk-body">%s</p></section>\n'
                        % (part, self.tx(150, 600)))
        body.append('<section data-part="copies" class="app-letter__copies"><p class="govuk-body">Copies: %s</p>'
                    '</section>\n' % ", ".join(copied))
        self.add("letters", (self.next_id("letters"), cid, number, kind, ts(at), by, subjects[kind],
                             "".join(body), dump(copied)))

    def notify(self, cid, event, at, by):
        sent = ts(at + 300) if at + 300 < self.now else None
        self.add("notifications", (self.next_id("notifications"), cid, event, ts(at), by, sent,
                                   1 if sent else 0, None))

    def restrictions_in(self, cid, objs, origin, at, interim=0):
        ids = []
        for o in objs:
            rid = self.next_id("restrictions")
            ids.append(rid)
            row = [rid, cid, o["type"], dump(o), interim, origin, ts(at), None, None]
            self.case_restrictions[rid] = row
            self.add("restrictions", row)
        return ids

    def lift(self, rows_ids, at, why):
        # restriction rows are lists until flushed: set lifted_at in place
        for rid in rows_ids:
            row = self.case_restrictions[rid]
            if row[7] is None:
                row[7] = ts(at)
                row[8] = why

    # -- one case --

    def case(self, cid, p, n_contacts, referrer):
        rng, tx = self.rng, self.tx
        ri, ch = self.ri, self.ch
        state = p["state"]
        self.case_restrictions = {}
        pid = self.person(rng)
        name = self.person_names.get(pid, "the customer")
        violent, vulnerable = p["violent"], p["vulnerable"]
        ref_t = p["ref"]
        criteria = set(rng.sample(PLAIN_CRITERIA, ri(1, 4)))
        violence_by_contact = violent and rng.random() < 0.5
        if violent and not violence_by_contact:
            criteria.add("violence")
        for c in sorted(criteria):
            self.add("case_criteria", (cid, c))
        copied = []
        if rng.random() < 0.3:
            for pos in range(ri(1, 2)):
                rname, role = ch([("Ward Councillor", "councillor"), ("A. Member MP", "MP"),
                                          ("Citizens Advice", "advice agency"), ("Dr R. Shah", "GP")])
                self.add("copy_recipients", (self.next_id("copy_recipients"), cid, pos, rname, role,
                                             "%d Civic Way, Anytown" % ri(1, 99)))
                copied.append("%s (%s)" % (rname, role))
        rep = ("%s %s" % (ch(FIRST), ch(LAST)), "%d Elm Close, Anytown" % ri(1, 80)) \
            if rng.random() < 0.10 else (None, None)
        adv = ("Anytown Advocacy Service", "2 Market Square, Anytown") if rng.random() < 0.05 else (None, None)
        if rep[0]:
            copied.append("%s (representative)" % rep[0])
        if adv[0]:
            copied.append("%s (advocate)" % adv[0])
        cem = CEM
        updated = ref_t
        letter_no = 0
        # R8: violence puts written-only in force at once, until the decision
        interim_ids = []
        violence_at = None
        if violent and not violence_by_contact:
            interim_ids = self.restrictions_in(cid, [{"type": "written-only"}], "interim", ref_t, 1)
        elif violent:
            hi = p.get("decision") or p.get("closed") or self.now - 60
            violence_at = ri(ref_t + 60, max(ref_t + 120, hi - 7200))
            violence_recorded = min(violence_at + ri(60, 3600), hi - 60)
            interim_ids = self.restrictions_in(cid, [{"type": "written-only"}], "interim", violence_recorded, 1)

        # -- warning --
        if p.get("warn"):
            w = p["warn"]
            self.add("warnings", (self.next_id("warnings"), cid, day(w), ch(["phone", "letter", "email"]),
                                  tx(100, 500), cem, ts(w)))
            letter_no += 1
            self.letter(cid, letter_no, "warning", w, cem, copied, name, ["warning", "behaviour", "consequences"])
            updated = max(updated, w)

        status, end_reason, closed_at, closed_by, ended_at = state, None, None, None, None
        action_without_notice = 0
        in_force = []
        if state == "closed" and p["how"] == "close":
            status, closed_at, closed_by = "closed", p["closed"], cem
            end_reason = ch(["behaviour improved", "no further contact", "resolved informally",
                                     "referral not upheld"])
            self.lift(interim_ids, closed_at, "closed without action")
            updated = max(updated, closed_at)

        # -- report --
        if p.get("report"):
            rt = p["report"]
            months = ch([6, 12, 12, 12, 18, 24])
            start_guess = day(p.get("decision") or rt)
            end_guess, _ = period_of(start_guess, months)
            proposed = restriction_set(rng, tx, violent, start_guess, end_guess)
            severe = 0 if p["warned"] else 1
            action_without_notice = severe
            self.add("reports", (self.next_id("reports"), cid, tx(200, 1200), dump(proposed), months, tx(100, 600),
                                 severe, tx(60, 300) if severe else None, 1 if vulnerable else 0,
                                 tx(80, 300) if vulnerable else None,
                                 ("CAD%07d" % ri(1, 9999999)) if violent else None,
                                 1 if violent else 0, cem, ts(rt)))
            report_id = self.ids["reports"]
            updated = max(updated, rt)

            # -- decision --
            if p.get("decision"):
                dt_ = p["decision"]
                decider, acting_as, dep = CHIEF_EXECUTIVE, "chief-executive", 0
                if rng.random() < 0.05:
                    decider, acting_as, dep = MONITORING_OFFICER, "monitoring-officer", 1
                    self.add("absences", (self.next_id("absences"), add_days(day(dt_), -2), add_days(day(dt_), 3),
                                          "Annual leave", cem, ts(dt_ - 5 * DAY)))
                approve = state in ("active", "ended")
                start = day(dt_) if approve else None
                self.add("decisions", (self.next_id("decisions"), cid, report_id,
                                       "approve" if approve else "reject", 1 if approve else 0, 1 if approve else 0,
                                       tx(100, 600), start, decider, acting_as, dep, ts(dt_)))
                self.lift(interim_ids, dt_, "decision")
                updated = max(updated, dt_)
                if not approve:
                    status, end_reason, closed_at, closed_by = "closed", "rejected", dt_, decider
                else:
                    in_force = self.restrictions_in(cid, proposed, "decision", dt_)
                    end, due = period_of(start, months)
                    self.add("periods", (self.next_id("periods"), cid, start, months, end, due, "decision", ts(dt_)))
                    letter_no += 1
                    self.letter(cid, letter_no, "decision", dt_, decider, copied, name,
                                ["reasons", "restrictions", "open-channels", "period", "review", "appeal", "ombudsman"])
                    self.notify(cid, "approved", dt_, decider)
                    status = "active"
                    final = None
                    if state == "ended":
                        final = ch(["removed", "quashed"])
                    # -- appeals --
                    if final == "quashed" or rng.random() < 0.15:
                        received = dt_ + ri(5, 20) * DAY
                        if received < self.now - DAY:
                            aid = self.next_id("appeals")
                            self.add("appeals", (aid, cid, day(received), tx(100, 600), cem, ts(received + 3600)))
                            decided = received + ri(5, 30) * DAY
                            updated = max(updated, received + 3600)
                            if decided < self.now - 3600:
                                officer = ch(CHIEF_OFFICERS)
                                if final == "quashed":
                                    outcome = "quash"
                                else:
                                    outcome = "vary" if rng.random() < 0.25 else "uphold"
                                new = restriction_set(rng, tx, violent, start, end) if outcome == "vary" else None
                                self.add("appeal_decisions", (self.next_id("appeal_decisions"), aid, outcome,
                                                              tx(100, 500), dump(new) if new else None, officer,
                                                              ts(decided)))
                                letter_no += 1
                                self.letter(cid, letter_no, "appeal-outcome", decided, officer, copied, name,
                                            ["reasons", "restrictions", "ombudsman"] if outcome != "quash" else ["reasons"])
                                updated = max(updated, decided)
                                if outcome == "vary":
                                    self.lift(in_force, decided, "varied on appeal")
                                    in_force = self.restrictions_in(cid, new, "appeal", decided)
                                    self.notify(cid, "varied", decided, officer)
                                if outcome == "quash":
                                    self.lift(in_force, decided, "quashed")
                                    self.notify(cid, "quashed", decided, officer)
                                    status, end_reason, ended_at = "ended", "quashed", decided
                                    in_force = []
                    # -- reviews: each period is reviewed by its due date --
                    while status == "active":
                        if due > self.today and final != "removed":
                            break
                        if p["lapsed"] and end < self.today:
                            break  # nobody reviewed it: it lapsed (R9, derived on read)
                        rv_t = max(day_start(start) + 30 * DAY, day_start(due) - ri(0, 21) * DAY) + 36000
                        if final == "removed" and due > self.today:
                            rv_t = min(rv_t, self.now - 20 * DAY)
                        if rv_t >= self.now - 3600:
                            break
                        rec = "remove" if final == "removed" else ("vary" if rng.random() < 0.2 else "continue")
                        rvid = self.next_id("reviews")
                        self.add("reviews", (rvid, cid, rec, tx(150, 800), MONITORING_OFFICER, cem, ts(rv_t)))
                        updated = max(updated, rv_t)
                        rd_t = rv_t + ri(1, 14) * DAY
                        if rd_t >= self.now - 3600:
                            if final == "removed":
                                rd_t = self.now - 7200
                            else:
                                break  # a review awaiting its decision
                        if rd_t <= rv_t:
                            rd_t = rv_t + 600
                        new = restriction_set(rng, tx, violent, day(rd_t), period_of(day(rd_t), months)[0]) \
                            if rec == "vary" else None
                        self.add("review_decisions", (self.next_id("review_decisions"), rvid, rec, tx(100, 500),
                                                      None if rec == "remove" else months,
                                                      dump(new) if new else None, CHIEF_EXECUTIVE,
                                                      "chief-executive", 0, ts(rd_t)))
                        letter_no += 1
                        updated = max(updated, rd_t)
                        if rec == "remove":
                            self.letter(cid, letter_no, "review-outcome", rd_t, CHIEF_EXECUTIVE, copied, name, ["reasons"])
                            self.lift(in_force, rd_t, "removed")
                            self.notify(cid, "removed", rd_t, CHIEF_EXECUTIVE)
                            status, end_reason, ended_at = "ended", "removed", rd_t
                            in_force = []
                            break
                        if rec == "vary":
                            self.lift(in_force, rd_t, "varied on review")
                            in_force = self.restrictions_in(cid, new, "review", rd_t)
                        start = day(rd_t)
                        end, due = period_of(start, months)
                        self.add("periods", (self.next_id("periods"), cid, start, months, end, due, "review", ts(rd_t)))
                        self.letter(cid, letter_no, "review-outcome", rd_t, CHIEF_EXECUTIVE, copied, name,
                                    ["reasons", "restrictions", "open-channels", "period", "review", "appeal"])
                        self.notify(cid, "varied" if rec == "vary" else "continued", rd_t, CHIEF_EXECUTIVE)
                    if state == "active" and status == "active" and not p["lapsed"] and end < self.today:
                        p["lapsed"] = True  # a pending review kept it from renewal: it lapsed
                    p["period_end"] = end
        # -- the chronology: recorded while the case is open (and before its referral) --
        if status in ("closed",):
            open_until = closed_at
        elif status == "ended":
            open_until = ended_at
        elif p["lapsed"] and p.get("period_end"):
            open_until = day_start(p["period_end"]) + DAY - 60
        else:
            open_until = self.now - 60
        open_until = min(open_until, self.now - 60)
        span_lo = ref_t - 120 * DAY
        contact_times = sorted(ri(span_lo, max(span_lo + 1, open_until - 3600)) for _ in range(n_contacts))
        violence_contact = -1
        if violence_at is not None:
            violence_contact = rng.randrange(n_contacts)
            contact_times[violence_contact] = violence_at
        for k, at in enumerate(contact_times):
            kid = self.next_id("contacts")
            if k == violence_contact:
                recorded = violence_recorded
            else:
                recorded = min(max(at, ref_t) + ri(60, 3 * 3600), open_until, self.now - 30)
            at_text = ts(at) if rng.random() < 0.8 else day(at)
            by = referrer if recorded <= ref_t + 3 * 3600 or rng.random() < 0.3 else cem
            self.add("contacts", (kid, cid, at_text, ch(CONTACT_KINDS),
                                  "inbound" if rng.random() < 0.8 else "outbound",
                                  ch(DEPARTMENTS) if rng.random() < 0.7 else None,
                                  "%s %s" % (ch(FIRST), ch(LAST)) if rng.random() < 0.6 else None,
                                  tx(60, 400), by, ts(recorded)))
            if k == violence_contact:
                self.add("contact_incidents", (kid, "violence"))
            elif rng.random() < 0.25:
                for inc in rng.sample(PLAIN_INCIDENTS, ri(1, 2)):
                    self.add("contact_incidents", (kid, inc))
            updated = max(updated, recorded)

        if status != state and not (state == "closed" and status == "closed"):
            self.mismatches += 1
        if status in ("closed", "ended"):
            self.finished_persons.append(pid)

        # -- grants: some on cases whose restrictions are in force --
        live = status == "active" and not p["lapsed"]
        if live and rng.random() < 0.15:
            g_at = max(p["decision"], self.now - 200 * DAY) + ri(1, 10) * 3600
            g_at = min(g_at, self.now - 600)
            self.add("grants", (self.next_id("grants"), cid, ch(STAFF_POOL), tx(40, 200),
                                add_days(self.today, ri(10, 300)), cem, ts(g_at), None, None))
        if p.get("bob") and status == "active":
            kind = p["bob"]
            if kind == "expired":  # granted soon after the decision, expired yesterday
                g_at = p["decision"] + 3600
                expires = add_days(self.today, -1)
            else:
                g_at = min(max(p["decision"], self.now - 200 * DAY) + 7200, self.now - 600)
                expires = add_days(self.today, ri(30, 300))
            revoked = (ts(min(g_at + 30 * DAY, self.now - 300)), cem) if kind == "revoked" else (None, None)
            self.add("grants", (self.next_id("grants"), cid, OFFICER, tx(40, 200), expires, cem, ts(g_at),
                                revoked[0], revoked[1]))
            if kind == "active" and live:
                self.bob_expected_notices.add(cid)
        if referrer == OFFICER and status in ("referred", "warned", "reported") and interim_ids:
            # R8's interim restriction on a case bob raised: his notices show it
            self.bob_expected_notices.add(cid)
        if referrer == OFFICER and live:
            self.bob_expected_notices.add(cid)

        # -- statements, legal hold --
        if rng.random() < 0.03:
            s_t = min(ref_t + ri(10, 200) * DAY, self.now - 3600)
            self.add("statements", (self.next_id("statements"), cid, day(s_t), tx(100, 800), cem, ts(s_t + 600)))
        hold = (tx(30, 120), cem, ts(min(updated + DAY, self.now - 60))) if rng.random() < 0.01 else (None, None, None)

        vuln_text = tx(40, 200) if vulnerable else None
        self.add("cases", (cid, pid, status, end_reason, referrer, ts(ref_t), ch(DEPARTMENTS), tx(100, 800),
                           tx(80, 500), ch(STAGES), 1 if vulnerable else 0, vuln_text, rep[0], rep[1],
                           adv[0], adv[1], action_without_notice, ts(closed_at) if closed_at else None,
                           closed_by, ts(ended_at) if ended_at else None, hold[0], hold[1], hold[2],
                           ts(min(updated, self.now - 30))))
        return status


# ---- the access log: canonical encoding (README) and a valid chain ----

def _field(v):
    return "-\n" if v is None else "%d:%s\n" % (len(v.encode("utf-8")), v)


def entry_hash(seq, at, user, roles, acting_as, action, case_id, outcome, status, request_id, client, prev,
               rule=None):
    """v1, or v3 for a refusal naming its rule (no case_ids here: "-")."""
    s = (("habitual-audit-v3\n" if rule else "habitual-audit-v1\n") + _field(str(seq)) + _field(at)
         + _field(user) + _field(roles)
         + _field(acting_as) + _field(action) + _field(None if case_id is None else str(case_id))
         + _field(outcome) + _field(str(status)) + _field(request_id) + _field(client) + _field(prev)
         + ("-\n" + _field(rule) if rule else ""))
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def log_templates(ncases):
    """(weight, action, users, status, has_case, acting_as[, rule]) - a plausible mix;
    a refusal by a safeguard names its rule (schema 10)."""
    staff = STAFF_POOL + [OFFICER]
    return [
        (30, "case.read", [CEM] * 6 + [CHIEF_EXECUTIVE, MONITORING_OFFICER] + CHIEF_OFFICERS, 200, True, None),
        (4, "case.read", staff, 404, True, None),
        (18, "notices.list", staff + CHIEF_OFFICERS, 200, False, None),
        (10, "page.home", staff + [CEM], 200, False, None),
        (8, "cases.list", [CEM, CHIEF_EXECUTIVE, MONITORING_OFFICER] + staff[:50], 200, False, None),
        (8, "page.case", [CEM] * 4 + [CHIEF_EXECUTIVE, MONITORING_OFFICER], 200, True, None),
        (6, "case.contact", [CEM] * 3 + staff[:100], 201, True, None),
        (3, "notifications.list", CHIEF_OFFICERS, 200, False, None),
        (2, "case.letters", [CEM, CHIEF_EXECUTIVE], 200, True, None),
        (2, "case.letter.read", [CEM, CHIEF_EXECUTIVE], 200, True, None),
        (2, "case.create", staff, 201, True, None),
        (1, "case.warn", [CEM], 200, True, None),
        (1, "case.report", [CEM], 200, True, None),
        (1, "case.decide", [CHIEF_EXECUTIVE], 200, True, "chief-executive"),
        (1, "case.grant", [CEM], 201, True, None),
        (1, "audit.list", ["audrey", "dana"], 200, False, None),
        (1, "case.contact", staff, 409, True, None),
        (1, "case.read", ["ghost"], 403, True, None),
        (1, "case.contact", [CEM], 400, True, None),
        (1, "case.warn", [CEM], 409, True, None, "R13"),
        (1, "case.decide", [MONITORING_OFFICER], 422, True, None, "R4"),
        (1, "case.report", [CEM], 422, True, None, "R19"),
        (1, "case.create", staff, 422, False, None, "R1"),
        (1, "case.decide", [CHIEF_EXECUTIVE], 422, True, None, "R5"),
    ]


def generate_log(db, rng, n, ncases, now, start_seq, prev_hash, batch=50000):
    """n entries, times spread over three years, chained from (start_seq, prev_hash).
    The fields that repeat (user, roles, acting_as, action / outcome, status) are
    encoded once per combination; entry_hash() is the plain definition and is
    checked against this fast path on the first entries."""
    ri, ch = fast(rng)
    rnd = rng.random
    templates = log_templates(ncases)
    weights = []
    acc = 0
    for t in templates:
        acc += t[0]
        weights.append(acc)
    combos = []  # per template: [(user, roles, encoded middle)], encoded tail
    for _w, action, users, status, has_case, acting_as, *rule in templates:
        rule = rule[0] if rule else None
        outcome = "allowed" if status < 400 else ("error" if status >= 500 else "refused")
        per_user = []
        for user in users:
            roles = ROLES_OF.get(user, "staff")
            per_user.append((user, roles, _field(user) + _field(roles) + _field(acting_as) + _field(action)))
        combos.append((per_user, _field(outcome) + _field(str(status)), action, status, has_case, acting_as,
                       outcome, rule))
    clients = ["10.%d.%d.%d" % (ri(0, 20), ri(0, 255), ri(1, 254)) for _ in range(5000)]
    client_fields = [_field(c) for c in clients]
    span_start = now - 1095 * DAY
    span = (now - 120) - span_start
    times = sorted(span_start + int(rnd() * span) for _ in range(n))
    sql = ("INSERT INTO access_log(seq, at, \"user\", roles, acting_as, action, case_id, outcome, status, "
           "request_id, client, prev_hash, hash, refused_rule) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
    sha = hashlib.sha256
    rows = []
    prev = prev_hash
    seq = start_seq
    last_t, last_s = None, None
    for t in times:
        seq += 1
        per_user, tail, action, status, has_case, acting_as, outcome, rule = combos[
            bisect.bisect_right(weights, rnd() * acc)]
        user, roles, middle = per_user[int(rnd() * len(per_user))]
        if has_case:
            case_id = 1 + int(rnd() * ncases)
            if status == 404 and rnd() < 0.3:
                case_id = ncases + ri(1, 1000)  # a case that does not exist
            cs = str(case_id)
            case_f = "%d:%s\n" % (len(cs), cs)
        else:
            case_id, case_f = None, "-\n"
        if t != last_t:
            last_t, last_s = t, ts(t)
        rid = "%016x" % rng.getrandbits(64)
        k = int(rnd() * 5000)
        ss = str(seq)
        enc = (("habitual-audit-v3\n" if rule else "habitual-audit-v1\n") + "%d:%s\n20:%s\n" % (len(ss), ss, last_s)
               + middle + case_f + tail + "16:" + rid + "\n" + client_fields[k] + "64:" + prev + "\n"
               + ("-\n%d:%s\n" % (len(rule), rule) if rule else ""))
        h = sha(enc.encode()).hexdigest()
        if seq - start_seq <= 100:
            assert h == entry_hash(seq, last_s, user, roles, acting_as, action, case_id, outcome, status, rid,
                                   clients[k], prev, rule), "fast encoding differs at seq %d" % seq
        rows.append((seq, last_s, user, roles, acting_as, action, case_id, outcome, status, rid, clients[k],
                     prev, h, rule))
        prev = h
        if len(rows) >= batch:
            db.executemany(sql, rows)
            rows.clear()
    if rows:
        db.executemany(sql, rows)
    return seq, prev


# ---- main ----

def admin(db, *args):
    return subprocess.run([ADMIN, "--driver", "sqlite3", "--params", db] + list(args),
                          capture_output=True, text=True)


def generate(out, cases, contacts, log_entries, seed, quiet=False):
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    timings = {}
    t0 = time.time()
    for suffix in ("", "-wal", "-shm", ".json"):
        if os.path.exists(out + suffix):
            os.remove(out + suffix)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    res = admin(out, "init")
    if res.returncode != 0:
        sys.exit("habitual-admin init failed: %s%s" % (res.stdout, res.stderr))
    rng = random.Random(seed)
    now = int(time.time()) - 120
    today = dt.date.today().isoformat()

    db = sqlite3.connect(out, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-262144")
    db.execute("PRAGMA temp_store=MEMORY")
    db.execute("PRAGMA foreign_keys=OFF")  # checked in full with foreign_key_check below
    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL").fetchall()
    db.execute("BEGIN")
    for name, _sql in indexes:
        db.execute('DROP INDEX "%s"' % name)

    # -- plans: states in fixed shares, then ids in order of referral --
    states = []
    for state, share in STATE_SHARES:
        states += [state] * int(round(cases * share))
    while len(states) < cases:
        states.append("closed")
    states = states[:cases]
    rng.shuffle(states)
    plans = [plan_case(rng, s, now) for s in states]
    plans.sort(key=lambda p: p["ref"])
    # the officer's grants (active, expired, revoked) and a few referrals of his own
    live = [i for i, p in enumerate(plans) if p["state"] == "active" and not p["lapsed"]]
    bob_cases = rng.sample(live, min(len(live), 14))
    for k, i in enumerate(bob_cases):
        plans[i]["bob"] = "active" if k < 10 else ("expired" if k < 12 else "revoked")
    early = [i for i, p in enumerate(plans) if p["state"] in ("referred", "warned")]
    bob_refs = set(rng.sample(early, min(2, len(early))))
    if bob_refs:
        plans[min(bob_refs)]["violent"] = True
    closed = [i for i, p in enumerate(plans) if p["state"] == "closed"]
    bob_refs |= set(rng.sample(closed, min(2, len(closed))))

    # -- contacts per case: at least one each, long-tailed, exactly `contacts` in all --
    weights = [rng.lognormvariate(0, 0.9) for _ in range(cases)]
    rest = max(0, contacts - cases)
    total_w = sum(weights)
    alloc = [1 + int(w / total_w * rest) for w in weights]
    short = contacts - sum(alloc)
    for i in rng.sample(range(cases), abs(short)) if short else []:
        alloc[i] += 1 if short > 0 else (-1 if alloc[i] > 1 else 0)

    g = Gen(db, rng, now, today)
    by_state = {}
    t1 = time.time()
    for i, p in enumerate(plans):
        cid = i + 1
        referrer = OFFICER if i in bob_refs else (g.ch(STAFF_POOL) if rng.random() < 0.97 else CEM)
        status = g.case(cid, p, alloc[i], referrer)
        key = status + ("/lapsed" if p["lapsed"] and status == "active" else "")
        by_state[key] = by_state.get(key, 0) + 1
        if cid % 2000 == 0:
            g.flush()
    g.flush()
    timings["cases_s"] = round(time.time() - t1, 2)

    t2 = time.time()
    head = db.execute("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1").fetchone()
    start_seq, prev = (head[0], head[1]) if head else (0, "0" * 64)
    last_seq, head_hash = generate_log(db, random.Random(seed + 1), log_entries, cases, now, start_seq, prev)
    timings["access_log_s"] = round(time.time() - t2, 2)

    t3 = time.time()
    for name, sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    timings["indexes_s"] = round(time.time() - t3, 2)

    t4 = time.time()
    fk = db.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        sys.exit("foreign_key_check failed: %r" % fk[:10])
    mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    db.execute("PRAGMA synchronous=FULL")
    db.close()
    if mode != "wal":
        sys.exit("could not put %s back into WAL mode (%s)" % (out, mode))
    timings["checks_s"] = round(time.time() - t4, 2)
    timings["total_s"] = round(time.time() - t0, 2)

    counts = dict(g.counts)
    counts["access_log"] = last_seq
    meta = {"generator": GEN_VERSION, "cases": cases, "contacts": contacts, "log": log_entries, "seed": seed,
            "today": today, "generated_at": ts(int(time.time())), "timings": timings, "counts": counts,
            "by_state": dict(sorted(by_state.items())), "officer": OFFICER,
            "officer_notices": sorted(g.bob_expected_notices), "head": head_hash,
            "bytes": os.path.getsize(out)}
    with open(out + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    if g.mismatches:
        say("warning: %d cases ended in another state than planned" % g.mismatches)
    say("%s: %d cases %s, %d contacts, %d incidents, %d restrictions, %d letters, %d log entries; "
        "%.1f MB in %.1f s (cases %.1f s, log %.1f s, indexes %.1f s, checks %.1f s)"
        % (out, cases, meta["by_state"], counts["contacts"], counts["contact_incidents"], counts["restrictions"],
           counts["letters"], last_seq, meta["bytes"] / 1e6, timings["total_s"], timings["cases_s"],
           timings["access_log_s"], timings["indexes_s"], timings["checks_s"]))
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--contacts", type=int, default=None, help="default: 10 per case")
    ap.add_argument("--log", type=int, default=1000000, help="access-log entries")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--verify", action="store_true", help="run habitual-admin verify-audit afterwards")
    a = ap.parse_args()
    generate(a.out, a.cases, a.contacts if a.contacts is not None else 10 * a.cases, a.log, a.seed)
    if a.verify:
        t = time.time()
        res = admin(a.out, "verify-audit")
        print("verify-audit: %s(exit %d, %.2f s)" % (res.stdout, res.returncode, time.time() - t))
        sys.exit(res.returncode)


if __name__ == "__main__":
    main()
