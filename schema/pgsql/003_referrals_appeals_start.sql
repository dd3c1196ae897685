-- mod_habitual schema, version 3 (issue 11): see schema/003_referrals_appeals_start.sql.
ALTER TABLE persons DROP CONSTRAINT persons_reference_key;
CREATE INDEX persons_reference ON persons(reference);

ALTER TABLE cases ADD COLUMN referred_person_id BIGINT REFERENCES persons(id);
UPDATE cases SET referred_person_id = person_id;
CREATE INDEX cases_referred_person ON cases(referred_person_id);
ALTER TABLE cases ADD COLUMN person_linked_by TEXT COLLATE "C";
ALTER TABLE cases ADD COLUMN person_linked_at TEXT COLLATE "C";

ALTER TABLE appeal_decisions DROP CONSTRAINT appeal_decisions_outcome_check;
ALTER TABLE appeal_decisions ADD CONSTRAINT appeal_decisions_outcome_check
    CHECK (outcome IN ('uphold','vary','quash','withdrawn-case-ended'));

ALTER TABLE appeal_decisions ADD COLUMN justified INTEGER;      -- R17, for vary
ALTER TABLE appeal_decisions ADD COLUMN proportionate INTEGER;
ALTER TABLE review_decisions ADD COLUMN justified INTEGER;      -- R17, for continue and vary
ALTER TABLE review_decisions ADD COLUMN proportionate INTEGER;

ALTER TABLE restrictions ADD COLUMN in_force_from TEXT COLLATE "C";
ALTER TABLE restrictions ADD COLUMN in_force_until TEXT COLLATE "C";

-- R14: a suspension in force ends the day after its `until` (as every new one does).
UPDATE restrictions SET in_force_until = to_char((detail::json->>'until')::date + 1, 'YYYY-MM-DD')
    WHERE type = 'suspend-contact' AND lifted_at IS NULL AND detail::json->>'until' IS NOT NULL;

-- R16: see schema/003_referrals_appeals_start.sql.
ALTER TABLE periods ADD COLUMN review_deadline TEXT COLLATE "C";
UPDATE periods SET review_deadline = to_char(review_due::date + 28, 'YYYY-MM-DD');

-- R19: see schema/003_referrals_appeals_start.sql.
ALTER TABLE warnings ADD COLUMN last_contact_id BIGINT;
