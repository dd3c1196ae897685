-- mod_habitual schema, version 4 (PostgreSQL): the cases a list view or the
-- notices showed; see schema/004_shown_case_ids.sql.  Grant the module's
-- role only SELECT, INSERT on access_log_cases, as on access_log.
ALTER TABLE access_log ADD COLUMN case_ids TEXT COLLATE "C";
CREATE TABLE access_log_cases (
    case_id BIGINT NOT NULL,
    seq     BIGINT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE TRIGGER access_log_cases_no_update BEFORE UPDATE ON access_log_cases
    FOR EACH ROW EXECUTE FUNCTION habitual_refuse_change('the access log is append-only');
CREATE TRIGGER access_log_cases_no_delete BEFORE DELETE ON access_log_cases
    FOR EACH ROW EXECUTE FUNCTION habitual_refuse_change('the access log is append-only');
CREATE TRIGGER access_log_cases_no_truncate BEFORE TRUNCATE ON access_log_cases
    FOR EACH STATEMENT EXECUTE FUNCTION habitual_refuse_change('the access log is append-only');
