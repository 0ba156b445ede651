-- The statistics group conventions by (département, status, project deadline) and advisors by
-- (département, status, local recruitment) on every uncached answer. These covering indexes
-- give those groups in order from the index alone: no sort and no read of the wide rows (a
-- convention row carries JSON copies of its signatories and split). Measured on the national
-- dataset plus 5,000 conventions (bench/load.sh): see docs/PERFORMANCE.md.
CREATE INDEX conventions_statistiques ON conventions (departement, statut, date_limite_projet, postes_attribues);
CREATE INDEX conseillers_statistiques ON conseillers (departement, statut, recrutement_local);
