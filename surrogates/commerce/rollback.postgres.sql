-- Rollback, PostgreSQL dialect: put phone back as the last column of
-- customers (where schema.postgres.sql has it), with its CHECK under its
-- original name, copy the numbers back, and drop what birth added.

ALTER TABLE customers
    ADD COLUMN phone text CONSTRAINT customers_phone_check CHECK (phone IS NULL OR length(phone) BETWEEN 7 AND 20);

UPDATE customers AS c
SET phone = p.phone
FROM customer_phones AS p
WHERE p.customer_id = c.id;

DROP TABLE customer_phones;
DROP INDEX idx_orders_status_placed;
