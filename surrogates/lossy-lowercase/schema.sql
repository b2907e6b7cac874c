-- Identities and their verifiable addresses, keyed by a tenant id (nid).
CREATE TABLE identities (
    id         INTEGER PRIMARY KEY,
    nid        TEXT    NOT NULL,
    schema_id  TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);

CREATE TABLE verifiable_addresses (
    id          INTEGER PRIMARY KEY,
    identity_id INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    nid         TEXT    NOT NULL,
    via         TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    verified    INTEGER NOT NULL,
    created_at  TEXT    NOT NULL
);

CREATE INDEX idx_verifiable_addresses_identity ON verifiable_addresses (identity_id);
