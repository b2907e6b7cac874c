-- Birth: move phone numbers out of customers into their own table, with a
-- backfill and a stricter rule, and index orders for the status dashboard.

CREATE TABLE customer_phones (
    customer_id INTEGER PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    phone       TEXT    NOT NULL CHECK (length(phone) BETWEEN 7 AND 20),
    verified    INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1))
);

INSERT INTO customer_phones (customer_id, phone)
SELECT id, phone FROM customers WHERE phone IS NOT NULL;

ALTER TABLE customers DROP COLUMN phone;

CREATE INDEX idx_orders_status_placed ON orders (status, placed_at);
