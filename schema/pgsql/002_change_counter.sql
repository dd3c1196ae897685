-- mod_habitual schema, version 2 (PostgreSQL): a counter of changes to case
-- data; see schema/002_change_counter.sql.
CREATE TABLE change_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);
INSERT INTO change_counter (id, n) VALUES (1, 0);
