-- Verify fixture:items_name_index: names a column that does not exist.
BEGIN;
SELECT label FROM items WHERE 1 = 0;
ROLLBACK;
