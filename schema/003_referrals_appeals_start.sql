-- mod_habitual schema, version 3 (issue 11: security review).
--
-- 1. A referral never reuses a stored person: each referral keeps the
--    person exactly as the referrer typed it (persons.reference is no longer
--    unique), cases.referred_person_id points at it for good, and
--    cases.person_id is the person the case is about, which only the CEM
--    changes (link to an existing person, or unlink back to the referral's).
--    Cases from version 2 shared one person per reference (later referrals
--    filled its blanks); their "person as referred" is that shared record,
--    as what each referrer typed was never kept.
-- 2. An appeal still pending when its case ends is closed with the case:
--    appeal_decisions.outcome 'withdrawn-case-ended'.
-- 3. Restrictions decided with a later start are in force from that date:
--    restrictions.in_force_from (NULL: in force since created); an interim
--    restriction stays until that date (restrictions.in_force_until), so a
--    violent customer's written-only has no gap before the decided ones.
--
-- SQLite cannot drop a UNIQUE or change a CHECK in place: the two tables
-- are rebuilt (habitual-admin init turns foreign keys off around the
-- migration, as SQLite's ALTER TABLE page prescribes, and checks them after).

CREATE TABLE persons_v3 (
    id            INTEGER PRIMARY KEY,
    reference     TEXT NOT NULL,
    name          TEXT NOT NULL,
    address       TEXT,
    date_of_birth TEXT
);
INSERT INTO persons_v3 (id, reference, name, address, date_of_birth)
    SELECT id, reference, name, address, date_of_birth FROM persons;
DROP TABLE persons;
ALTER TABLE persons_v3 RENAME TO persons;
CREATE INDEX persons_reference ON persons(reference);

ALTER TABLE cases ADD COLUMN referred_person_id INTEGER REFERENCES persons(id);
UPDATE cases SET referred_person_id = person_id;
CREATE INDEX cases_referred_person ON cases(referred_person_id);
ALTER TABLE cases ADD COLUMN person_linked_by TEXT;
ALTER TABLE cases ADD COLUMN person_linked_at TEXT;

CREATE TABLE appeal_decisions_v3 (
    id           INTEGER PRIMARY KEY,
    appeal_id    INTEGER NOT NULL UNIQUE REFERENCES appeals(id),
    outcome      TEXT NOT NULL CHECK (outcome IN ('uphold','vary','quash','withdrawn-case-ended')),
    reasons      TEXT NOT NULL,
    restrictions TEXT,                    -- JSON, for vary
    decided_by   TEXT NOT NULL,
    decided_at   TEXT NOT NULL,
    justified    INTEGER,                 -- R17, for vary (NULL before version 3)
    proportionate INTEGER
);
INSERT INTO appeal_decisions_v3 (id, appeal_id, outcome, reasons, restrictions, decided_by, decided_at)
    SELECT id, appeal_id, outcome, reasons, restrictions, decided_by, decided_at FROM appeal_decisions;
DROP TABLE appeal_decisions;
ALTER TABLE appeal_decisions_v3 RENAME TO appeal_decisions;

-- R17: a review's continue/vary and an appeal's vary record their findings
ALTER TABLE review_decisions ADD COLUMN justified INTEGER;
ALTER TABLE review_decisions ADD COLUMN proportionate INTEGER;

ALTER TABLE restrictions ADD COLUMN in_force_from TEXT;
ALTER TABLE restrictions ADD COLUMN in_force_until TEXT;

-- R14: a suspension in force ends the day after its `until` (as every new one does).
UPDATE restrictions SET in_force_until = date(json_extract(detail, '$.until'), '+1 day')
    WHERE type = 'suspend-contact' AND lifted_at IS NULL AND json_extract(detail, '$.until') IS NOT NULL;

-- R16: a review not decided within the grace ends the designation: the last
-- day it stays in force so (review_due + HabitualReviewGraceDays, as the
-- period was started; 28 days for periods started before version 3).
ALTER TABLE periods ADD COLUMN review_deadline TEXT;
UPDATE periods SET review_deadline = date(review_due, '+28 days');

-- R19: the chronology's last contact when the customer was warned (a report
-- needs one since); unknown (NULL) for warnings before version 3.
ALTER TABLE warnings ADD COLUMN last_contact_id INTEGER;
