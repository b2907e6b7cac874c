-- A birth that changes every value of the hostile column.
UPDATE "<script>alert(1)</script>]]>" SET "v]]><b>&amp;|`*" = "v]]><b>&amp;|`*" || '</td>';
