-- Verify fixture:items

BEGIN;

SELECT id, name, qty FROM items WHERE 1 = 0;

ROLLBACK;
