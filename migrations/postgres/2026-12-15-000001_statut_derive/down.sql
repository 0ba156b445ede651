-- Back to a stored status. Lossy where the first model cannot say it: a person under contract is
-- put back at the step its frozen path dates reached; a departure's date is its contracts' last
-- day, its motif the rule's reading of the last contract's end.
ALTER TABLE conseillers ADD COLUMN statut TEXT;
ALTER TABLE conseillers ADD COLUMN date_sortie TEXT COLLATE "C";
ALTER TABLE conseillers ADD COLUMN motif_sortie TEXT;
UPDATE conseillers c SET
    statut = CASE
        WHEN c.convention_id IS NULL THEN 'sans_contrat'
        WHEN c.fin_contrats < to_char(current_date, 'YYYY-MM-DD') THEN 'sorti'
        WHEN c.date_prise_poste IS NOT NULL AND c.lieu_id IS NOT NULL THEN 'en_poste'
        WHEN c.date_certification IS NOT NULL THEN 'certifie'
        WHEN c.date_debut_formation IS NOT NULL THEN 'en_formation'
        ELSE 'recrute' END,
    date_sortie = CASE WHEN c.fin_contrats < to_char(current_date, 'YYYY-MM-DD')
                       THEN c.fin_contrats END,
    motif_sortie = CASE WHEN c.fin_contrats < to_char(current_date, 'YYYY-MM-DD') THEN
        COALESCE((SELECT CASE k.motif_rupture WHEN 'demission' THEN 'demission'
                              WHEN 'autre' THEN 'autre' WHEN 'non_reconduction_cdd'
                              THEN 'fin_de_contrat' ELSE 'rupture' END
                    FROM contrats k WHERE k.conseiller_id = c.id AND k.date_rupture IS NOT NULL
                   ORDER BY k.date_rupture DESC LIMIT 1), 'fin_de_contrat') END;
ALTER TABLE conseillers ALTER COLUMN statut SET NOT NULL;
ALTER TABLE conseillers ADD CONSTRAINT conseillers_statut_check
    CHECK (statut IN ('sans_contrat', 'recrute', 'en_formation', 'certifie', 'en_poste', 'sorti'));
ALTER TABLE conseillers ADD CONSTRAINT conseillers_sans_contrat
    CHECK ((convention_id IS NULL) = (statut = 'sans_contrat'));
ALTER TABLE conseillers ADD CONSTRAINT conseillers_sortie
    CHECK ((statut = 'sorti') = (date_sortie IS NOT NULL));
ALTER TABLE conseillers DROP CONSTRAINT conseillers_anonymise_fin;
ALTER TABLE conseillers DROP CONSTRAINT conseillers_fin_sans_contrat;
DROP INDEX conseillers_convention;
DROP INDEX conseillers_statistiques;
ALTER TABLE conseillers DROP COLUMN fin_contrats;
CREATE INDEX conseillers_convention ON conseillers (convention_id, structure_id, statut);
CREATE INDEX conseillers_statistiques ON conseillers (departement, statut, recrutement_local);
