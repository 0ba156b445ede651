DROP INDEX versements_tranche_unique;
ALTER TABLE versements DROP COLUMN tranche;
DROP INDEX engagements_beneficiaire;
ALTER TABLE engagements DROP COLUMN beneficiaire_id;
