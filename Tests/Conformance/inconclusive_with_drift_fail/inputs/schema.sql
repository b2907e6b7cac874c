-- commerce: the production-shaped schema the surrogate is generated from.
-- Keys, foreign keys (one nullable and self-referencing), UNIQUE, NOT NULL,
-- CHECK, secondary and partial indexes, a view and a trigger.

CREATE TABLE customers (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    full_name     TEXT    NOT NULL,
    phone         TEXT    CHECK (phone IS NULL OR length(phone) BETWEEN 7 AND 20),
    tier          TEXT    NOT NULL DEFAULT 'standard' CHECK (tier IN ('standard', 'plus', 'vip')),
    referred_by   INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT
);

CREATE TABLE addresses (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('billing', 'shipping')),
    street        TEXT    NOT NULL,
    city          TEXT    NOT NULL,
    postcode      TEXT    NOT NULL,
    country       TEXT    NOT NULL CHECK (length(country) = 2)
);

CREATE TABLE products (
    id            INTEGER PRIMARY KEY,
    sku           TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    description   TEXT,
    price_cents   INTEGER NOT NULL CHECK (price_cents > 0),
    weight_grams  REAL    CHECK (weight_grams IS NULL OR weight_grams > 0),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
);

CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY,
    customer_id         INTEGER NOT NULL REFERENCES customers (id),
    shipping_address_id INTEGER REFERENCES addresses (id),
    status              TEXT    NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')),
    placed_at           TEXT    NOT NULL,
    shipped_at          TEXT    CHECK (shipped_at IS NULL OR shipped_at >= placed_at),
    total_cents         INTEGER NOT NULL CHECK (total_cents >= 0)
);

CREATE TABLE order_items (
    id               INTEGER PRIMARY KEY,
    order_id         INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id       INTEGER NOT NULL REFERENCES products (id),
    quantity         INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 20),
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents > 0)
);

CREATE TABLE payments (
    id            INTEGER PRIMARY KEY,
    order_id      INTEGER NOT NULL REFERENCES orders (id),
    method        TEXT    NOT NULL CHECK (method IN ('card', 'bank_transfer', 'wallet')),
    status        TEXT    NOT NULL CHECK (status IN ('authorized', 'captured', 'refunded', 'failed')),
    amount_cents  INTEGER NOT NULL CHECK (amount_cents > 0),
    paid_at       TEXT    NOT NULL,
    reference     TEXT    NOT NULL UNIQUE
);

CREATE INDEX idx_customers_created ON customers (created_at);
CREATE INDEX idx_addresses_customer ON addresses (customer_id);
CREATE INDEX idx_orders_customer_placed ON orders (customer_id, placed_at DESC);
CREATE INDEX idx_order_items_order ON order_items (order_id);
CREATE INDEX idx_payments_order ON payments (order_id);
CREATE INDEX idx_products_active_name ON products (name) WHERE is_active = 1;

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
