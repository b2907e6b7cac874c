CREATE TABLE "<script>alert(1)</script>]]>" (
    id INTEGER PRIMARY KEY,
    "v]]><b>&amp;|`*" TEXT NOT NULL
);
