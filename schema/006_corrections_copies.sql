-- mod_habitual schema, version 6: corrections with history and copies
-- added later (UK GDPR Article 16; issue 14).
-- A contact, an incident or a criterion entered in error is withdrawn, not
-- deleted: withdrawn_at marks it (it no longer counts: R8, R19, retention),
-- and the file shows it struck through with the corrections row that says
-- who withdrew it, when and why.  A correction of the person's details keeps
-- the old value beside the new.
ALTER TABLE contacts ADD COLUMN withdrawn_at TEXT;
ALTER TABLE contact_incidents ADD COLUMN withdrawn_at TEXT;
ALTER TABLE case_criteria ADD COLUMN withdrawn_at TEXT;
CREATE TABLE corrections (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    target       TEXT NOT NULL CHECK (target IN ('person','contact','incident','criterion')),
    target_id    INTEGER,                -- the person's or the contact's id; NULL for a criterion
    item         TEXT,                   -- the person's field, the incident or the criterion
    old_value    TEXT,
    new_value    TEXT,
    reason       TEXT NOT NULL,
    corrected_by TEXT NOT NULL,
    corrected_at TEXT NOT NULL
);
CREATE INDEX corrections_case ON corrections(case_id);
-- Copies added after the referral, and removed ones (kept, with who and why).
ALTER TABLE copy_recipients ADD COLUMN added_by TEXT;
ALTER TABLE copy_recipients ADD COLUMN added_at TEXT;
ALTER TABLE copy_recipients ADD COLUMN removed_at TEXT;
ALTER TABLE copy_recipients ADD COLUMN removed_by TEXT;
ALTER TABLE copy_recipients ADD COLUMN removed_reason TEXT;
