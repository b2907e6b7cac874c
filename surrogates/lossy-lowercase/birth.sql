-- Birth: addresses are compared case-insensitively from now on, so store
-- them lower case.
UPDATE verifiable_addresses SET value = LOWER(value);
