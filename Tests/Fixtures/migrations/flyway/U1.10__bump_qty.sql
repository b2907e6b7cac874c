-- Lossy: cannot know the old quantities.
UPDATE items SET qty = 0;
CREATE INDEX items_name ON items (name);
