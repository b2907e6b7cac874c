CREATE TABLE forged (x);
