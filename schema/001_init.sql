-- mod_habitual schema, version 1: the whole data model of SPEC §3–5.
-- Applied only by `habitual-admin init`, inside one transaction.
-- Dates are TEXT 'YYYY-MM-DD'; times are TEXT UTC 'YYYY-MM-DDTHH:MM:SSZ';
-- booleans are INTEGER 0/1; user ids are the single sign-on user names.

CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
);

-- The customer a case concerns.  One row per council reference.
CREATE TABLE persons (
    id            INTEGER PRIMARY KEY,
    reference     TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    address       TEXT,
    date_of_birth TEXT
);

CREATE TABLE cases (
    id                     INTEGER PRIMARY KEY,
    person_id              INTEGER NOT NULL REFERENCES persons(id),
    status                 TEXT NOT NULL CHECK (status IN
                           ('referred','warned','reported','active','ended','closed')),
    end_reason             TEXT,          -- lapsed, removed, quashed, or the close reason
    referred_by            TEXT NOT NULL,
    referred_at            TEXT NOT NULL,
    department             TEXT NOT NULL,
    summary                TEXT NOT NULL,
    measures_taken         TEXT NOT NULL, -- R2
    complaints_procedure   TEXT NOT NULL CHECK (complaints_procedure IN
                           ('exhausted','in-progress','not-applicable')),
    vulnerable             INTEGER NOT NULL DEFAULT 0 CHECK (vulnerable IN (0,1)),
    vulnerability          TEXT,          -- special category (R10)
    representative_name    TEXT,
    representative_address TEXT,
    advocate_name          TEXT,
    advocate_address       TEXT,
    action_without_notice  INTEGER NOT NULL DEFAULT 0, -- R3: reported unwarned, severe
    closed_at              TEXT,
    closed_by              TEXT,
    ended_at               TEXT,
    legal_hold_reason      TEXT,          -- never purged while set
    legal_hold_by          TEXT,
    legal_hold_at          TEXT,
    updated_at             TEXT NOT NULL
);
CREATE INDEX cases_person ON cases(person_id);
CREATE INDEX cases_status ON cases(status);
CREATE INDEX cases_referred_by ON cases(referred_by);

CREATE TABLE case_criteria (
    case_id   INTEGER NOT NULL REFERENCES cases(id),
    criterion TEXT NOT NULL,
    PRIMARY KEY (case_id, criterion)
);

-- Who letters are copied to (R11): practitioners, conciliator, CAB, MP, ...
CREATE TABLE copy_recipients (
    id       INTEGER PRIMARY KEY,
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    role     TEXT NOT NULL,
    address  TEXT
);
CREATE INDEX copy_recipients_case ON copy_recipients(case_id, position);

-- The chronology.
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    at          TEXT NOT NULL,
    channel     TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
    department  TEXT,
    officer     TEXT,
    summary     TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX contacts_case ON contacts(case_id, at);

CREATE TABLE contact_incidents (
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    incident   TEXT NOT NULL,
    PRIMARY KEY (contact_id, incident)
);

CREATE TABLE warnings (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    warned_on   TEXT NOT NULL,
    method      TEXT NOT NULL CHECK (method IN ('phone','letter','email')),
    text        TEXT NOT NULL,
    warned_by   TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX warnings_case ON warnings(case_id);

-- The CEM's report to the chief executive; restrictions proposed as JSON
-- (the SPEC's restriction objects, validated before they are stored).
CREATE TABLE reports (
    id                       INTEGER PRIMARY KEY,
    case_id                  INTEGER NOT NULL REFERENCES cases(id),
    behaviour                TEXT NOT NULL,
    restrictions             TEXT NOT NULL,
    period_months            INTEGER NOT NULL,
    alternatives_considered  TEXT NOT NULL,
    severe                   INTEGER NOT NULL DEFAULT 0,
    severe_reason            TEXT,
    safeguarding_considered  INTEGER,      -- special category (R10)
    safeguarding_adjustments TEXT,         -- special category (R10)
    police_reference         TEXT,         -- R8: a reference, or why not reported
    asb_unit_consulted       INTEGER,
    author                   TEXT NOT NULL,
    created_at               TEXT NOT NULL
);
CREATE INDEX reports_case ON reports(case_id);

CREATE TABLE decisions (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    report_id     INTEGER NOT NULL REFERENCES reports(id),
    outcome       TEXT NOT NULL CHECK (outcome IN ('approve','reject')),
    justified     INTEGER NOT NULL,
    proportionate INTEGER NOT NULL,
    reasons       TEXT NOT NULL,
    start         TEXT,
    decided_by    TEXT NOT NULL,
    acting_as     TEXT NOT NULL CHECK (acting_as IN ('chief-executive','monitoring-officer')),
    deputising    INTEGER NOT NULL DEFAULT 0,
    decided_at    TEXT NOT NULL
);
CREATE INDEX decisions_case ON decisions(case_id);

-- Periods of designation (R9).  The newest row of a case is its current one.
CREATE TABLE periods (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    start      TEXT NOT NULL,
    months     INTEGER NOT NULL CHECK (months > 0),
    end_date   TEXT NOT NULL,             -- last day in force
    review_due TEXT NOT NULL,
    origin     TEXT NOT NULL CHECK (origin IN ('decision','review','appeal')),
    created_at TEXT NOT NULL
);
CREATE INDEX periods_case ON periods(case_id);
CREATE INDEX periods_end ON periods(end_date);

-- Restrictions in force (lifted_at NULL) and past ones.  interim = 1 for
-- the written-only restriction R8 imposes until the decision.
CREATE TABLE restrictions (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    type          TEXT NOT NULL,
    detail        TEXT NOT NULL,          -- the restriction object as JSON
    interim       INTEGER NOT NULL DEFAULT 0,
    origin        TEXT NOT NULL CHECK (origin IN ('interim','decision','review','appeal')),
    created_at    TEXT NOT NULL,
    lifted_at     TEXT,
    lifted_reason TEXT
);
CREATE INDEX restrictions_case ON restrictions(case_id, lifted_at);

CREATE TABLE reviews (
    id                 INTEGER PRIMARY KEY,
    case_id            INTEGER NOT NULL REFERENCES cases(id),
    recommendation     TEXT NOT NULL CHECK (recommendation IN ('continue','vary','remove')),
    report             TEXT NOT NULL,
    monitoring_officer TEXT NOT NULL,
    author             TEXT NOT NULL,
    created_at         TEXT NOT NULL
);
CREATE INDEX reviews_case ON reviews(case_id);

CREATE TABLE review_decisions (
    id            INTEGER PRIMARY KEY,
    review_id     INTEGER NOT NULL UNIQUE REFERENCES reviews(id),
    outcome       TEXT NOT NULL CHECK (outcome IN ('continue','vary','remove')),
    reasons       TEXT NOT NULL,
    period_months INTEGER,
    restrictions  TEXT,                   -- JSON, for vary
    decided_by    TEXT NOT NULL,
    acting_as     TEXT NOT NULL,
    deputising    INTEGER NOT NULL DEFAULT 0,
    decided_at    TEXT NOT NULL
);

CREATE TABLE appeals (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    received    TEXT NOT NULL,
    grounds     TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX appeals_case ON appeals(case_id);

CREATE TABLE appeal_decisions (
    id           INTEGER PRIMARY KEY,
    appeal_id    INTEGER NOT NULL UNIQUE REFERENCES appeals(id),
    outcome      TEXT NOT NULL CHECK (outcome IN ('uphold','vary','quash')),
    reasons      TEXT NOT NULL,
    restrictions TEXT,                    -- JSON, for vary
    decided_by   TEXT NOT NULL,
    decided_at   TEXT NOT NULL
);

-- Letters as issued (R11): stored once, never changed.
CREATE TABLE letters (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    number     INTEGER NOT NULL,          -- n in api/cases/{id}/letters/{n}
    kind       TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    issued_by  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,             -- HTML fragment, escaped when generated
    copied_to  TEXT NOT NULL,             -- JSON array
    UNIQUE (case_id, number)
);
CREATE TRIGGER letters_never_change BEFORE UPDATE ON letters
BEGIN
    SELECT RAISE(ABORT, 'issued letters never change');
END;

-- Recorded absences of the chief executive (R4).
CREATE TABLE absences (
    id          INTEGER PRIMARY KEY,
    from_date   TEXT NOT NULL,
    to_date     TEXT NOT NULL CHECK (to_date >= from_date),
    note        TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX absences_dates ON absences(from_date, to_date);

-- What chief officers are told (R12); email delivery state for `notify`.
CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    event          TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    email_sent_at  TEXT,
    email_attempts INTEGER NOT NULL DEFAULT 0,
    email_error    TEXT
);
CREATE INDEX notifications_created ON notifications(created_at);

-- Notices passed to a named officer (SPEC §5).
CREATE TABLE grants (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    grantee    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    expires    TEXT NOT NULL,              -- last day the grant works
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT
);
CREATE INDEX grants_grantee ON grants(grantee, revoked_at, expires);
CREATE INDEX grants_case ON grants(case_id);

-- The customer's own statements disputing a record.
CREATE TABLE statements (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    received    TEXT NOT NULL,
    text        TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX statements_case ON statements(case_id);

-- The access log: one row per request that touches case data or the log.
-- Append-only and hash-chained; no personal data beyond user and case id.
-- No foreign key on case_id: entries outlive purged cases, and refusals
-- for cases that never existed are logged too.
CREATE TABLE access_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    user       TEXT NOT NULL,
    roles      TEXT NOT NULL,
    acting_as  TEXT,
    action     TEXT NOT NULL,
    case_id    INTEGER,
    outcome    TEXT NOT NULL,
    status     INTEGER NOT NULL,
    request_id TEXT,
    client     TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX access_log_at ON access_log(at);
CREATE INDEX access_log_user ON access_log(user);
CREATE INDEX access_log_case ON access_log(case_id);
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;
