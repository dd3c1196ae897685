-- mod_habitual schema, version 2: a counter of changes to case data.
-- Every request that changes case data adds one to it in the same
-- transaction (access-log appends do not), so a process may keep an answer
-- built from case data (a user's notices) for as long as the counter has
-- not moved, in every process and on every web server alike.
CREATE TABLE change_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO change_counter (id, n) VALUES (1, 0);
