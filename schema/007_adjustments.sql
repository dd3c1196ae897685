-- mod_habitual schema, version 7: reasonable adjustments for any customer
-- (issue 15), recorded by the CEM at any time; the latest row is the one
-- in force, earlier rows are its history.  Special-category data (R10):
-- shown only to the CEM, the monitoring officer and the chief executive.
CREATE TABLE adjustments (
    id                  INTEGER PRIMARY KEY,
    case_id             INTEGER NOT NULL REFERENCES cases(id),
    format              TEXT NOT NULL CHECK (format IN ('standard','large-print','plain-text')),
    easy_read           INTEGER NOT NULL DEFAULT 0,
    named_contact       TEXT,
    third_party_name    TEXT,
    third_party_address TEXT,
    notes               TEXT,
    recorded_by         TEXT NOT NULL,
    recorded_at         TEXT NOT NULL
);
CREATE INDEX adjustments_case ON adjustments(case_id);
