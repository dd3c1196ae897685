"""Demo data for `make run` and the browser tests: cases in every state,
made through the JSON API as the real users would, so every page has
something to show."""

import datetime

import requests

PASSWORD = "password"


class Api:
    def __init__(self, base, user):
        self.base = base
        self.s = requests.Session()
        self.s.auth = (user, PASSWORD)
        self.token = self.s.get(base + "/api/me", timeout=30).json()["csrf_token"]

    def post(self, path, body):
        r = self.s.post(self.base + "/" + path, json=body, timeout=30,
                        headers={"X-CSRF-Token": self.token})
        if r.status_code >= 300:
            raise RuntimeError("%s %s: %d %s" % (path, body, r.status_code, r.text))
        return r.json() if r.text else {}


def day(offset):
    return (datetime.date.today() + datetime.timedelta(days=offset)).isoformat()


def months_ago(n):
    d = datetime.date.today()
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    return datetime.date(y, m + 1, min(d.day, 28)).isoformat()


def concern(name, ref, criteria, summary, **extra):
    body = {
        "person": {"name": name, "reference": ref, "address": "%s High Street\nExampleton EX1 2AB" % ref[-2:]},
        "department": "Housing", "summary": summary,
        "measures_taken": "Complaint answered at both stages; a single point of contact was offered.",
        "complaints_procedure": "exhausted", "criteria": criteria,
    }
    body.update(extra)
    return body


def seed(rig):
    base = rig.httpd.base()
    alice, bob, carol, chris, molly, olive = (Api(base, u) for u in
                                              ("alice", "bob", "carol", "chris", "molly", "olive"))
    phone = [{"type": "decline-channels", "channels": ["phone"]},
             {"type": "referral-warning"}]

    def raised(staff, name, ref, criteria, summary, **extra):
        cid = staff.post("api/cases", concern(name, ref, criteria, summary, **extra))["id"]
        staff.post("api/cases/%d/contacts" % cid, {
            "at": day(-20), "channel": "phone", "direction": "inbound", "department": "Housing",
            "summary": "Called eleven times in one morning, shouting at the officer.", "incidents": ["swearing"]})
        return cid

    def warned(cid):
        carol.post("api/cases/%d/warning" % cid, {"on": day(-15), "method": "letter",
                                                  "text": "We asked you to keep to one call a day."})

    def reported(cid, restrictions=phone, months=6, **extra):
        body = {"behaviour": "The calls continued after the warning.", "restrictions": restrictions,
                "period_months": months, "alternatives_considered": "A single point of contact; a weekly call."}
        body.update(extra)
        # the behaviour continued after the warning (R19)
        carol.post("api/cases/%d/contacts" % cid, {"at": day(0), "channel": "phone", "direction": "inbound",
                                                  "summary": "Called again, the same points as before."})
        carol.post("api/cases/%d/report" % cid, body)

    def approved(cid, start=None):
        body = {"outcome": "approve", "justified": True, "proportionate": True,
                "reasons": "Repeated abusive calls after a clear warning."}
        if not start:
            chris.post("api/cases/%d/decision" % cid, body)
            return
        # a decision starts today (or soon): one made months ago is made on
        # a server whose clock reads that day
        body["start"] = start
        with rig.as_of(datetime.date.fromisoformat(start)) as past:
            Api(past.base(), "chris").post("api/cases/%d/decision" % cid, body)

    # referred, with the copy list, a representative and vulnerability
    raised(alice, "Sam Referred", "DEMO-01", ["excessive-contact", "many-departments"],
           "Writes to every department about the same repair.", vulnerable=True,
           vulnerability="Recently bereaved; support worker involved.",
           representative={"name": "Jo Adviser", "address": "Citizens Advice, Exampleton"},
           copy_to=[{"name": "Jo Member MP", "role": "MP", "address": "House of Commons"}])
    # warned
    warned(raised(alice, "Wren Warned", "DEMO-02", ["swearing", "abusive-about-staff"], "Swears at reception staff."))
    # reported, awaiting the chief executive
    cid = raised(bob, "Rory Reported", "DEMO-03", ["harassment"], "Follows officers to their cars.")
    warned(cid)
    reported(cid)
    # active, with a notice passed to bob
    cid = raised(alice, "Ash Active", "DEMO-04", ["excessive-contact"], "Forty calls a week to the same team.")
    warned(cid)
    reported(cid, months=12)
    approved(cid)
    olive.post("api/cases/%d/grants" % cid, {"user": "bob", "reason": "Works on the estate office desk.",
                                             "expires": day(90)})
    # interim restriction after violence, not yet decided
    cid = raised(bob, "Vic Violent", "DEMO-05", ["violence"], "Threatened an officer with a chair.")
    # closed without action
    cid = raised(alice, "Cleo Closed", "DEMO-06", ["trivial-focus"], "A dispute about a bin lid.")
    carol.post("api/cases/%d/close" % cid, {"reason": "Resolved by the service manager."})
    # active, review due within a month, with an appeal waiting
    cid = raised(alice, "Rae Review", "DEMO-07", ["prolonged-abuse"], "Abusive emails over two years.")
    warned(cid)
    reported(cid, restrictions=[{"type": "written-only"}], months=12)
    approved(cid, start=months_ago(11))
    carol.post("api/cases/%d/appeal" % cid, {"received": day(-2), "grounds": "I have not been abusive."})
    # ended: removed on review
    cid = raised(bob, "Eddie Ended", "DEMO-08", ["attention-seeking"], "Copies the Prime Minister into every email.")
    warned(cid)
    reported(cid, months=6)
    approved(cid)
    carol.post("api/cases/%d/review" % cid, {"recommendation": "remove", "report": "Contact is now reasonable.",
                                             "monitoring_officer": "molly"})
    chris.post("api/cases/%d/review/decision" % cid, {"outcome": "remove", "reasons": "Behaviour has changed."})
    # lapsed: its period ended without a decision to continue
    cid = raised(alice, "Lara Lapsed", "DEMO-09", ["vexatious"], "Vindictive complaints about one officer.")
    warned(cid)
    reported(cid, months=3)
    approved(cid, start=months_ago(5))
    # the chief executive's next absence
    chris.post("api/absences", {"from": day(30), "to": day(37), "note": "Annual leave"})
