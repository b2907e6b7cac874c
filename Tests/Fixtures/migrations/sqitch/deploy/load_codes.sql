BEGIN;
CREATE TABLE codes (code TEXT PRIMARY KEY);
\copy codes from program 'cat codes.txt'
COMMIT;
