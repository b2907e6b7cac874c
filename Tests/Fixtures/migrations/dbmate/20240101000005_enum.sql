-- migrate:up
CREATE TYPE mood AS ENUM ('sad', 'ok');
ALTER TYPE mood ADD VALUE 'happy';
CREATE DATABASE never_made;

-- migrate:down
DROP TYPE mood;
