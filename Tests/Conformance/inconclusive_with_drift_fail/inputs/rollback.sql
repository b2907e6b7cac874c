-- Rollback (lossy on purpose): like commerce, but phone numbers are cut to
-- 12 characters on the way back, a classic silent loss (a narrower column
-- type, a wrong substr). Every check still passes; only the fingerprint sees it.
-- SQLite cannot add a column in the middle of a table, so customers is
-- rebuilt (SQLite's documented twelve-step procedure): new table, copy,
-- drop, rename, then the view, trigger and index that went with the old one.

DROP INDEX idx_orders_status_placed;
DROP VIEW customer_order_totals;

CREATE TABLE customers_restored (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    full_name     TEXT    NOT NULL,
    phone         TEXT    CHECK (phone IS NULL OR length(phone) BETWEEN 7 AND 20),
    tier          TEXT    NOT NULL DEFAULT 'standard' CHECK (tier IN ('standard', 'plus', 'vip')),
    referred_by   INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT
);

INSERT INTO customers_restored (id, email, full_name, phone, tier, referred_by, created_at, updated_at)
SELECT c.id, c.email, c.full_name, substr(p.phone, 1, 12), c.tier, c.referred_by, c.created_at, c.updated_at
FROM customers AS c
LEFT JOIN customer_phones AS p ON p.customer_id = c.id;

DROP TABLE customer_phones;
DROP TABLE customers;
ALTER TABLE customers_restored RENAME TO customers;

CREATE INDEX idx_customers_created ON customers (created_at);

CREATE VIEW customer_order_totals AS
SELECT c.id AS customer_id, c.email, count(o.id) AS orders, coalesce(sum(o.total_cents), 0) AS total_cents
FROM customers AS c
LEFT JOIN orders AS o ON o.customer_id = c.id
GROUP BY c.id;

CREATE TRIGGER customers_touch_updated_at
AFTER UPDATE OF email, full_name, tier ON customers
BEGIN
    UPDATE customers SET updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now') WHERE id = NEW.id;
END;
