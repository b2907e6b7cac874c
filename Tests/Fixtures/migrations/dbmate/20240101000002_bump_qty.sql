-- migrate:up
-- A backfill whose down cannot know the old values: lossy.
UPDATE items SET qty = qty + 1;

-- migrate:down
UPDATE items SET qty = 0;
