DELETE FROM activites WHERE type_lieu <> 'lieu_activite';
ALTER TABLE activites DROP CONSTRAINT activites_ou;
ALTER TABLE activites ALTER COLUMN lieu_id SET NOT NULL;
ALTER TABLE activites DROP COLUMN code_insee;
ALTER TABLE activites DROP COLUMN type_lieu;
