-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY items_name ON items (name);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY items_name;
