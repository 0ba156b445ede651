-- An advisor's status is derived from its contracts on the service's date, no longer stored:
-- `sans_contrat` before any contract, `en_poste` while one is in force or to come, `sorti` once
-- none will resume. What it needs is one date per person, kept by every write of a contract:
-- `fin_contrats`, the last day of its contracts when all of them have one (a rupture, or the
-- planned end of a fixed-term contract); NULL while one is open-ended, or before any. The
-- person is `sorti` once that day has passed, without any job.
--
-- The stored `statut`, `date_sortie` and `motif_sortie` go (with the CHECKs and indexes that
-- name them): the contracts hold how each employment ended (the 2026-12-09 migration carried
-- every exit over to them). The first model's path dates stay as that model's record, no
-- longer written; the CHECK that tied its post-taking to a lieu goes, since an advisor's lieux
-- may now change after it.
ALTER TABLE conseillers ADD COLUMN fin_contrats TEXT COLLATE "C"
    CHECK (length(fin_contrats) = 10);
UPDATE conseillers c SET fin_contrats = (
    SELECT CASE WHEN COUNT(*) = COUNT(COALESCE(k.date_rupture, k.date_fin))
                THEN MAX(COALESCE(k.date_rupture, k.date_fin)) END
      FROM contrats k WHERE k.conseiller_id = c.id);

DO $$
DECLARE
    constraint_name TEXT;
BEGIN
    FOR constraint_name IN
        SELECT conname FROM pg_constraint
         WHERE conrelid = 'conseillers'::regclass AND contype = 'c'
           AND pg_get_constraintdef(oid) LIKE '%date_prise_poste IS NULL%'
    LOOP
        EXECUTE format('ALTER TABLE conseillers DROP CONSTRAINT %I', constraint_name);
    END LOOP;
END $$;

ALTER TABLE conseillers DROP COLUMN statut;
ALTER TABLE conseillers DROP COLUMN date_sortie;
ALTER TABLE conseillers DROP COLUMN motif_sortie;

-- never anonymised under an open-ended contract
ALTER TABLE conseillers ADD CONSTRAINT conseillers_anonymise_fin
    CHECK (anonymise_le IS NULL OR convention_id IS NULL OR fin_contrats IS NOT NULL);
ALTER TABLE conseillers ADD CONSTRAINT conseillers_fin_sans_contrat
    CHECK (convention_id IS NOT NULL OR fin_contrats IS NULL);

DROP INDEX IF EXISTS conseillers_convention;
DROP INDEX IF EXISTS conseillers_statistiques;
CREATE INDEX conseillers_convention ON conseillers (convention_id, structure_id, fin_contrats);
CREATE INDEX conseillers_statistiques
    ON conseillers (departement, recrutement_local, convention_id, fin_contrats);
