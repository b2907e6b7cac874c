-- Forgets to drop the table.
UPDATE runs SET n = n;
