BEGIN;
CREATE INDEX items_name ON items (name);
COMMIT;
