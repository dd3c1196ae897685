-- mod_habitual schema, version 10 (PostgreSQL): the safeguard that refused a
-- request; see schema/010_refusal_rules.sql.  The module's role keeps only
-- SELECT, INSERT on access_log (a new column needs no new grant).
ALTER TABLE access_log ADD COLUMN refused_rule TEXT COLLATE "C";
