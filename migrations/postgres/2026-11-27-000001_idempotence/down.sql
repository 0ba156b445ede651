DROP TABLE idempotence;
