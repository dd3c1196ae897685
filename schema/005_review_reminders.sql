-- mod_habitual schema, version 5: the review reminders `habitual-admin
-- notify` sends the CEM, the monitoring officer and the chief executive
-- (R16): 30 days before a period's review is due, on the due date, and 7
-- days before the grace ends.  One row per period and kind, so each is sent
-- once; a failed send stays pending (email_sent_at NULL) for the next run.
CREATE TABLE review_reminders (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    period_id      INTEGER NOT NULL REFERENCES periods(id),
    kind           TEXT NOT NULL CHECK (kind IN ('review-due-in-30-days','review-due-today','review-grace-ending')),
    review_due     TEXT NOT NULL,
    decide_by      TEXT,                  -- the grace's last day (periods.review_deadline)
    created_at     TEXT NOT NULL,
    email_sent_at  TEXT,
    email_attempts INTEGER NOT NULL DEFAULT 0,
    email_error    TEXT,
    UNIQUE (period_id, kind)
);
CREATE INDEX review_reminders_case ON review_reminders(case_id);
