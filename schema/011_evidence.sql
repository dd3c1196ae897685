-- mod_habitual schema, version 11: evidence attached to a case (issue 14).
-- A file with a description, linked to a contact if given; its bytes in
-- evidence_chunks, one row per 192 KiB (stored as 256 KiB of base64 text,
-- the same on both engines), so no process ever holds a whole file.  Its
-- type is the one its content showed when it came; sha256 is also in the
-- access-log entry of the upload.
CREATE TABLE evidence (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    contact_id   INTEGER REFERENCES contacts(id),
    description  TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL CHECK (size > 0),
    sha256       TEXT NOT NULL,
    chunks       INTEGER NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX evidence_case ON evidence(case_id);
CREATE TABLE evidence_chunks (
    evidence_id INTEGER NOT NULL REFERENCES evidence(id),
    seq         INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (evidence_id, seq)
);
