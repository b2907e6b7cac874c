-- Revert fixture:items

BEGIN;

DROP TABLE items;

COMMIT;
