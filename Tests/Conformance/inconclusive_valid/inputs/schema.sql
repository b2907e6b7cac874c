-- Self-service flows and the continuity containers that may point at one.
CREATE TABLE selfservice_flows (
    id         INTEGER PRIMARY KEY,
    nid        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE continuity_containers (
    id                  INTEGER PRIMARY KEY,
    nid                 TEXT NOT NULL,
    name                TEXT NOT NULL,
    payload             TEXT,
    selfservice_flow_id INTEGER REFERENCES selfservice_flows (id),
    expires_at          TEXT NOT NULL
);
