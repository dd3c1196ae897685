-- mod_habitual schema, version 9: notices passed to a whole team (issue 15).
-- A team grant names a HabitualTeam (a directory group, by the name the
-- administrator gave it) instead of a user: grantee is '' and team holds
-- the name.  Who is in the team is asked of the directory at each request.
ALTER TABLE grants ADD COLUMN team TEXT;
CREATE INDEX grants_team ON grants(team, revoked_at, expires);
