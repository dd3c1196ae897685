-- mod_habitual schema, version 4: the cases a list view or the notices
-- showed, with the access-log entry that records the view.
-- case_ids is part of the entry's hash (encoding v2, see include/habitual/
-- audit.h); entries without it keep their v1 hashes.  access_log_cases is
-- the index api/audit?case=N searches: one row per (case, entry), written
-- with the entry, append-only like the log.
ALTER TABLE access_log ADD COLUMN case_ids TEXT;
CREATE TABLE access_log_cases (
    case_id INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE TRIGGER access_log_cases_no_update BEFORE UPDATE ON access_log_cases
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;
CREATE TRIGGER access_log_cases_no_delete BEFORE DELETE ON access_log_cases
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;
