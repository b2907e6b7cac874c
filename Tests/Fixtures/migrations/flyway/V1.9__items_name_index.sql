-- 1.9 runs before 1.10 (Flyway compares version parts as numbers).
CREATE INDEX items_name ON items (name);
