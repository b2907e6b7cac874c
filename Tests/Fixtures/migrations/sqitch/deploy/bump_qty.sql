-- Deploy fixture:bump_qty (reworked): a new table, cleanly reverted
BEGIN;
CREATE TABLE bumps (id INTEGER PRIMARY KEY, at TEXT);
COMMIT;
