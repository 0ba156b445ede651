DROP INDEX contrats_statistiques;
DROP INDEX postes_statistiques;
CREATE INDEX postes_statistiques ON postes (departement, etat, typologie, depuis);
ALTER TABLE postes DROP CONSTRAINT postes_libere_si_occupe;
ALTER TABLE postes DROP COLUMN libere_le;
