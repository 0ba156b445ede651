ALTER TABLE engagements ALTER COLUMN beneficiaire_id DROP NOT NULL;
