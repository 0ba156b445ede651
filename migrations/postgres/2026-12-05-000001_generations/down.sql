DROP TRIGGER generation_conventions_vidage ON conventions;
DROP TRIGGER generation_conventions ON departements;
DROP TRIGGER generation_conventions ON conventions_repartition;
DROP TRIGGER generation_conventions ON conventions_signataires;
DROP TRIGGER generation_conventions ON conventions;
DROP FUNCTION generation_conventions();
DROP TABLE generations;
