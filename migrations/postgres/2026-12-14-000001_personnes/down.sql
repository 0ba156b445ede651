DROP INDEX conseillers_email;
DELETE FROM conseillers WHERE statut = 'sans_contrat'
    AND NOT EXISTS (SELECT 1 FROM contrats WHERE contrats.conseiller_id = conseillers.id);
ALTER TABLE conseillers DROP CONSTRAINT conseillers_sans_contrat;
ALTER TABLE conseillers DROP CONSTRAINT conseillers_emploi_date;
ALTER TABLE conseillers DROP CONSTRAINT conseillers_emploi_type;
ALTER TABLE conseillers DROP CONSTRAINT conseillers_doublon;
ALTER TABLE conseillers DROP CONSTRAINT conseillers_telephone_anonymise;
ALTER TABLE conseillers DROP CONSTRAINT conseillers_statut_check;
ALTER TABLE conseillers ADD CONSTRAINT conseillers_statut_check
    CHECK (statut IN ('recrute', 'en_formation', 'certifie', 'en_poste', 'sorti'));
ALTER TABLE conseillers DROP CONSTRAINT conseillers_type_contrat_check;
ALTER TABLE conseillers ADD CONSTRAINT conseillers_type_contrat_check
    CHECK (type_contrat IN ('cdi', 'cdd', 'pec', 'contrat_de_projet', 'titulaire'));
ALTER TABLE conseillers DROP COLUMN doublon_de;
ALTER TABLE conseillers DROP COLUMN telephone;
ALTER TABLE conseillers ALTER COLUMN date_recrutement SET NOT NULL;
ALTER TABLE conseillers ALTER COLUMN type_contrat SET NOT NULL;
ALTER TABLE conseillers ALTER COLUMN convention_id SET NOT NULL;
