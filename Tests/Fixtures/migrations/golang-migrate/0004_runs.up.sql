-- Counts its own earlier runs: a down that leaves the table makes the second up differ.
CREATE TABLE IF NOT EXISTS runs (n INTEGER NOT NULL);
INSERT INTO runs (n) SELECT count(*) FROM runs;
