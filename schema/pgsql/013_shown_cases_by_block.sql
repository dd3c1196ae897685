-- mod_habitual schema, version 13 (PostgreSQL): the index api/audit?case=N
-- searches, by block of entries; see schema/013_shown_cases_by_block.sql.
-- Grant the module's role only SELECT, INSERT on access_log_case_blocks, as
-- on access_log.
CREATE TABLE access_log_case_blocks (
    case_id   BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq  BIGINT NOT NULL,
    PRIMARY KEY (case_id, last_seq)
);
CREATE TRIGGER access_log_case_blocks_no_update BEFORE UPDATE ON access_log_case_blocks
    FOR EACH ROW EXECUTE FUNCTION habitual_refuse_change('the access log is append-only');
CREATE TRIGGER access_log_case_blocks_no_delete BEFORE DELETE ON access_log_case_blocks
    FOR EACH ROW EXECUTE FUNCTION habitual_refuse_change('the access log is append-only');
CREATE TRIGGER access_log_case_blocks_no_truncate BEFORE TRUNCATE ON access_log_case_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION habitual_refuse_change('the access log is append-only');
