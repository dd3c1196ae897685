-- mod_habitual schema, version 12 (PostgreSQL): access_log_cases, the index
-- api/audit?case=N searches, is written in arrears (include/habitual/store/
-- audit.h, HAB_AUDIT_INDEX_EVERY): a row for case 0 (no case has that id)
-- marks the last entry it has indexed.  Until now every entry was indexed as
-- it was written: the mark goes at the log's head.  No table changes.
INSERT INTO access_log_cases(case_id, seq) SELECT 0, max(seq) FROM access_log HAVING max(seq) IS NOT NULL;
