-- Baseline for `make bench`: SQLite generating rows of the commerce shape by
-- itself (INSERT … SELECT … FROM generate_series), in one transaction, with
-- the same scratch pragmas and the same row counts as rehearse's generator.
-- @S@ is replaced by the scale.
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA foreign_keys = OFF;

PRAGMA cache_size = -65536;
BEGIN;
INSERT INTO customers
SELECT value, 'user' || value || '.' || hex(randomblob(3)) || '@example.test', 'Name ' || hex(randomblob(4)),
       CASE WHEN abs(random()) % 4 = 0 THEN NULL ELSE printf('+999 %09d', abs(random()) % 1000000000) END,
       CASE abs(random()) % 10 WHEN 0 THEN 'vip' WHEN 1 THEN 'plus' ELSE 'standard' END,
       CASE WHEN value > 1 AND abs(random()) % 7 = 0 THEN 1 + abs(random()) % (value - 1) END,
       datetime(1546300800 + abs(random()) % 220000000, 'unixepoch'),
       CASE WHEN abs(random()) % 5 < 2 THEN datetime(1767225600 + abs(random()) % 13000000, 'unixepoch') END
FROM generate_series(1, 2000 * @S@);
INSERT INTO addresses
SELECT value, 1 + abs(random()) % (2000 * @S@), CASE abs(random()) % 3 WHEN 0 THEN 'billing' ELSE 'shipping' END,
       (1 + abs(random()) % 400) || ' ' || hex(randomblob(3)) || ' Road', 'City ' || hex(randomblob(2)),
       'PC' || abs(random()) % 1000000, 'GB'
FROM generate_series(1, 3000 * @S@);
INSERT INTO products
SELECT value, 'SKU-' || printf('%08d', value), 'Product ' || hex(randomblob(3)),
       CASE WHEN abs(random()) % 5 = 0 THEN NULL ELSE 'Made up text ' || hex(randomblob(12)) END,
       199 + abs(random()) % 249800, CASE WHEN abs(random()) % 10 = 0 THEN NULL ELSE 5 + (abs(random()) % 249950) / 10.0 END,
       CASE WHEN abs(random()) % 10 = 0 THEN 0 ELSE 1 END
FROM generate_series(1, 500 * @S@);
INSERT INTO orders
SELECT value, 1 + abs(random()) % (2000 * @S@), CASE WHEN abs(random()) % 20 = 0 THEN NULL ELSE 1 + abs(random()) % (3000 * @S@) END,
       'delivered', datetime(1577836800 + value % 200000000, 'unixepoch'),
       CASE WHEN abs(random()) % 10 < 3 THEN NULL ELSE datetime(1577836800 + value % 200000000 + 3600 + abs(random()) % 1206000, 'unixepoch') END,
       abs(random()) % 500001
FROM generate_series(1, 8000 * @S@);
INSERT INTO order_items
SELECT value, 1 + abs(random()) % (8000 * @S@), 1 + abs(random()) % (500 * @S@), 1 + abs(random()) % 6, 199 + abs(random()) % 249800
FROM generate_series(1, 20000 * @S@);
INSERT INTO payments
SELECT value, 1 + abs(random()) % (8000 * @S@), 'card', 'captured', 100 + abs(random()) % 499900,
       datetime(1577836800 + abs(random()) % 200000000, 'unixepoch'), hex(randomblob(12))
FROM generate_series(1, 7000 * @S@);
COMMIT;
