-- Every commitment names its beneficiary (the previous migration's rows were split by the
-- application before this one runs).
ALTER TABLE engagements ALTER COLUMN beneficiaire_id SET NOT NULL;
