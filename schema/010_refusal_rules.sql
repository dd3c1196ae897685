-- mod_habitual schema, version 10: the safeguard that refused a request.
-- refused_rule is "R1".."R19" on an entry refused by one of the rules of
-- SPEC §4 (the error's rule), NULL on every other entry, older ones
-- included.  It is part of the entry's hash (encoding v3, see
-- include/habitual/audit.h); entries without it keep their v1/v2 hashes, so
-- the log written before this version verifies as it always did.  The
-- governance figures count refusals by it (refusals.by_rule).
ALTER TABLE access_log ADD COLUMN refused_rule TEXT;
