-- Deploy fixture:bump_qty (as of @v1)
BEGIN;
UPDATE items SET qty = qty + 1;
COMMIT;
