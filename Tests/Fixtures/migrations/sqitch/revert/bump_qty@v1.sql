-- Revert fixture:bump_qty (as of @v1): lossy
BEGIN;
UPDATE items SET qty = 0;
COMMIT;
