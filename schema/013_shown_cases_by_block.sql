-- mod_habitual schema, version 13: the index api/audit?case=N searches
-- names, for each block of entries it has indexed, each case some entry of
-- the block showed, once (include/habitual/store/audit.h,
-- HAB_AUDIT_INDEX_EVERY): a search reads the block's entries by their own
-- case_ids.  A block's row for case 0 (no case has that id) marks it
-- indexed.  access_log_cases, one row per (case, entry), is kept as it is
-- and no longer written: it indexes the entries up to its own mark, where
-- the first block begins.  Append-only, as the log.
CREATE TABLE access_log_case_blocks (
    case_id   INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL,
    PRIMARY KEY (case_id, last_seq)
);
CREATE TRIGGER access_log_case_blocks_no_update BEFORE UPDATE ON access_log_case_blocks
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;
CREATE TRIGGER access_log_case_blocks_no_delete BEFORE DELETE ON access_log_case_blocks
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;
