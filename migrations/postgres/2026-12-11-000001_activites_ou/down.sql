-- Lossy: activities not at a lieu have no form before this migration and are deleted (the
-- aggregates keep counting them: recount them after a downgrade).
DELETE FROM activites WHERE type_lieu <> 'lieu_activite';
ALTER TABLE activites DROP CONSTRAINT activites_ou;
ALTER TABLE activites ALTER COLUMN lieu_id SET NOT NULL;
ALTER TABLE activites DROP COLUMN code_insee;
ALTER TABLE activites DROP COLUMN type_lieu;
ALTER TABLE activites_jour DROP COLUMN l_lieu_activite;
ALTER TABLE activites_jour DROP COLUMN l_domicile;
ALTER TABLE activites_jour DROP COLUMN l_a_distance;
ALTER TABLE activites_jour DROP COLUMN l_autre;
ALTER TABLE activites_mois DROP COLUMN l_lieu_activite;
ALTER TABLE activites_mois DROP COLUMN l_domicile;
ALTER TABLE activites_mois DROP COLUMN l_a_distance;
ALTER TABLE activites_mois DROP COLUMN l_autre;
