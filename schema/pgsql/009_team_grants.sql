-- mod_habitual schema, version 9 (PostgreSQL): team grants; see
-- schema/009_team_grants.sql.
ALTER TABLE grants ADD COLUMN team TEXT COLLATE "C";
CREATE INDEX grants_team ON grants(team, revoked_at, expires);
