-- Self-service flows and the continuity containers that may point at one.
CREATE TABLE selfservice_flows (
    id         bigint PRIMARY KEY,
    nid        text        NOT NULL,
    kind       varchar(32) NOT NULL,
    expires_at timestamp   NOT NULL
);

CREATE TABLE continuity_containers (
    id                  bigint PRIMARY KEY,
    nid                 text         NOT NULL,
    name                varchar(255) NOT NULL,
    payload             text,
    selfservice_flow_id bigint REFERENCES selfservice_flows (id),
    expires_at          timestamp    NOT NULL
);
