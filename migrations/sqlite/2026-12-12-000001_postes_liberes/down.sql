DROP INDEX contrats_statistiques;
DROP INDEX postes_statistiques;
CREATE INDEX postes_statistiques ON postes (departement, etat, typologie, depuis);
DROP TRIGGER postes_libere_si_occupe_update;
DROP TRIGGER postes_libere_si_occupe_insert;
ALTER TABLE postes DROP COLUMN libere_le;
