-- Lossy on every dialect.
UPDATE items SET qty = qty + 1;
