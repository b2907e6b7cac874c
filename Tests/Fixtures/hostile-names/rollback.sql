-- A lossy rollback: it puts back only half of the values.
UPDATE "<script>alert(1)</script>]]>" SET "v]]><b>&amp;|`*" = substr("v]]><b>&amp;|`*", 1, length("v]]><b>&amp;|`*") - 5) WHERE id % 2 = 0;
