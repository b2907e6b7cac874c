-- Needs the index of 1.9 to exist: it drops it.
DROP INDEX items_name;
UPDATE items SET qty = qty + 1;
