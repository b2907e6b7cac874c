-- Identities and their verifiable addresses, keyed by a tenant id (nid).
CREATE TABLE identities (
    id         bigint PRIMARY KEY,
    nid        text        NOT NULL,
    schema_id  varchar(64) NOT NULL,
    created_at timestamp   NOT NULL
);

CREATE TABLE verifiable_addresses (
    id          bigint PRIMARY KEY,
    identity_id bigint       NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    nid         text         NOT NULL,
    via         varchar(16)  NOT NULL,
    value       varchar(400) NOT NULL,
    verified    boolean      NOT NULL,
    created_at  timestamp    NOT NULL
);

CREATE INDEX idx_verifiable_addresses_identity ON verifiable_addresses (identity_id);
