CREATE INDEX items_name ON items (name);
