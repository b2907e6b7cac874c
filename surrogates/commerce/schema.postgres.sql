-- commerce, PostgreSQL dialect: the same shop as schema.sql, in the types a
-- PostgreSQL team would choose (timestamptz, boolean, numeric). phone is the
-- last column of customers, so a rollback that re-adds it (ALTER TABLE ADD
-- COLUMN appends) restores the table exactly.

CREATE TABLE customers (
    id            integer     PRIMARY KEY,
    email         text        NOT NULL UNIQUE,
    full_name     text        NOT NULL,
    tier          text        NOT NULL DEFAULT 'standard' CHECK (tier IN ('standard', 'plus', 'vip')),
    referred_by   integer     REFERENCES customers (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz,
    phone         text        CHECK (phone IS NULL OR length(phone) BETWEEN 7 AND 20)
);

CREATE TABLE addresses (
    id            integer PRIMARY KEY,
    customer_id   integer NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind          text    NOT NULL CHECK (kind IN ('billing', 'shipping')),
    street        text    NOT NULL,
    city          text    NOT NULL,
    postcode      text    NOT NULL,
    country       char(2) NOT NULL
);

CREATE TABLE products (
    id            integer      PRIMARY KEY,
    sku           text         NOT NULL UNIQUE,
    name          text         NOT NULL,
    description   text,
    price_cents   integer      NOT NULL CHECK (price_cents > 0),
    weight_grams  numeric(8,1) CHECK (weight_grams IS NULL OR weight_grams > 0),
    is_active     boolean      NOT NULL DEFAULT true
);

CREATE TABLE orders (
    id                  integer     PRIMARY KEY,
    customer_id         integer     NOT NULL REFERENCES customers (id),
    shipping_address_id integer     REFERENCES addresses (id),
    status              text        NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')),
    placed_at           timestamptz NOT NULL,
    shipped_at          timestamptz CHECK (shipped_at IS NULL OR shipped_at >= placed_at),
    total_cents         bigint      NOT NULL CHECK (total_cents >= 0)
);

CREATE TABLE order_items (
    id               integer PRIMARY KEY,
    order_id         integer NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id       integer NOT NULL REFERENCES products (id),
    quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 20),
    unit_price_cents integer NOT NULL CHECK (unit_price_cents > 0)
);

CREATE TABLE payments (
    id            integer     PRIMARY KEY,
    order_id      integer     NOT NULL REFERENCES orders (id),
    method        text        NOT NULL CHECK (method IN ('card', 'bank_transfer', 'wallet')),
    status        text        NOT NULL CHECK (status IN ('authorized', 'captured', 'refunded', 'failed')),
    amount_cents  integer     NOT NULL CHECK (amount_cents > 0),
    paid_at       timestamptz NOT NULL,
    reference     text        NOT NULL UNIQUE
);

CREATE INDEX idx_customers_created ON customers (created_at);
CREATE INDEX idx_addresses_customer ON addresses (customer_id);
CREATE INDEX idx_orders_customer_placed ON orders (customer_id, placed_at DESC);
CREATE INDEX idx_order_items_order ON order_items (order_id);
CREATE INDEX idx_payments_order ON payments (order_id);
CREATE INDEX idx_products_active_name ON products (name) WHERE is_active;

CREATE VIEW customer_order_totals AS
SELECT c.id AS customer_id, c.email, count(o.id) AS orders, coalesce(sum(o.total_cents), 0) AS total_cents
FROM customers AS c
LEFT JOIN orders AS o ON o.customer_id = c.id
GROUP BY c.id;

CREATE FUNCTION customers_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER customers_touch_updated_at
BEFORE UPDATE OF email, full_name, tier ON customers
FOR EACH ROW EXECUTE FUNCTION customers_touch_updated_at();
