-- People apart from their contracts. Until now an advisor existed only through a recruitment:
-- convention, contract type and recruitment date were required. A person may now be recorded
-- before any contract (`sans_contrat`: no convention, type or date yet; the structure that
-- recorded them keeps the record, in its département), has a telephone, and is one per e-mail
-- address: a unique index on the lower-cased address. People recorded twice by the first model
-- (one row per recruitment) are kept apart: the older rows point to the newest with
-- `doublon_de` and stay out of the index. The contract type gains `pec`.
ALTER TABLE conseillers ALTER COLUMN convention_id DROP NOT NULL;
ALTER TABLE conseillers ALTER COLUMN type_contrat DROP NOT NULL;
ALTER TABLE conseillers ALTER COLUMN date_recrutement DROP NOT NULL;
ALTER TABLE conseillers ADD COLUMN telephone TEXT;
ALTER TABLE conseillers ADD COLUMN doublon_de TEXT COLLATE "C" REFERENCES conseillers (id);

ALTER TABLE conseillers DROP CONSTRAINT conseillers_type_contrat_check;
ALTER TABLE conseillers ADD CONSTRAINT conseillers_type_contrat_check
    CHECK (type_contrat IN ('cdi', 'cdd', 'pec', 'contrat_de_projet', 'titulaire'));
ALTER TABLE conseillers DROP CONSTRAINT conseillers_statut_check;
ALTER TABLE conseillers ADD CONSTRAINT conseillers_statut_check
    CHECK (statut IN ('sans_contrat', 'recrute', 'en_formation', 'certifie', 'en_poste', 'sorti'));
ALTER TABLE conseillers ADD CONSTRAINT conseillers_telephone_anonymise
    CHECK (anonymise_le IS NULL OR telephone IS NULL);
ALTER TABLE conseillers ADD CONSTRAINT conseillers_doublon
    CHECK (doublon_de IS NULL OR doublon_de <> id);
-- a contract's employment, all of it or none of it (a person without a contract yet)
ALTER TABLE conseillers ADD CONSTRAINT conseillers_emploi_type
    CHECK ((convention_id IS NULL) = (type_contrat IS NULL));
ALTER TABLE conseillers ADD CONSTRAINT conseillers_emploi_date
    CHECK ((convention_id IS NULL) = (date_recrutement IS NULL));
ALTER TABLE conseillers ADD CONSTRAINT conseillers_sans_contrat
    CHECK ((convention_id IS NULL) = (statut = 'sans_contrat'));

-- The newest recruitment of each address keeps it; older ones point to it (the index finds an
-- address's other records without a scan per row).
CREATE INDEX conseillers_email_ancien ON conseillers (lower(email), date_recrutement, id);
UPDATE conseillers c SET doublon_de = (
    SELECT n.id FROM conseillers n
     WHERE lower(n.email) = lower(c.email) AND n.id <> c.id
       AND (n.date_recrutement, n.id) > (c.date_recrutement, c.id)
     ORDER BY n.date_recrutement DESC, n.id DESC LIMIT 1)
 WHERE c.email IS NOT NULL
   AND EXISTS (SELECT 1 FROM conseillers n
                WHERE lower(n.email) = lower(c.email) AND n.id <> c.id
                  AND (n.date_recrutement, n.id) > (c.date_recrutement, c.id));
DROP INDEX conseillers_email_ancien;
-- One person per e-mail address (case-insensitive), first-model duplicates aside.
CREATE UNIQUE INDEX conseillers_email ON conseillers (lower(email))
    WHERE email IS NOT NULL AND doublon_de IS NULL;
