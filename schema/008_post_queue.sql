-- mod_habitual schema, version 8: the post queue for restricted
-- correspondence (issue 15).  Letters from a customer whose restrictions
-- close correspondence on a matter, or make contact written-only, are
-- acknowledged but not answered; each is still read for new issues and
-- safeguarding: recorded here when received, decided by the CEM (never
-- left undecided), flagged by notify once when it has waited too long.
CREATE TABLE correspondence (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL REFERENCES cases(id),
    received         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    summary          TEXT NOT NULL,
    recorded_by      TEXT NOT NULL,
    recorded_at      TEXT NOT NULL,
    decision         TEXT CHECK (decision IN ('acknowledge-only','new-issue','safeguarding')),
    reason           TEXT,
    routed_to        TEXT,                -- new-issue: the service it went to
    routed_reference TEXT,                -- and its reference there
    decided_by       TEXT,
    decided_at       TEXT,
    letter_number    INTEGER,             -- acknowledge-only: the letter issued
    flagged_at       TEXT                 -- when notify flagged it as waiting too long
);
CREATE INDEX correspondence_case ON correspondence(case_id);
CREATE INDEX correspondence_waiting ON correspondence(decided_at, received);
