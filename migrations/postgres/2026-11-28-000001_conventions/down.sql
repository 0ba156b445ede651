ALTER TABLE idempotence DROP COLUMN etag;
DROP TABLE journal;
DROP TABLE avenants;
DROP TABLE conventions_repartition;
DROP TABLE conventions_signataires;
DROP TABLE conventions_numeros;
DROP TABLE conventions;
DROP TABLE structures;
