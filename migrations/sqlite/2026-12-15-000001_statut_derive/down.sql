-- Back to a stored status. Lossy where the first model cannot say it: a person under contract is
-- put back at the step its frozen path dates reached (en_poste only with a lieu); a departure's
-- date is its contracts' last day, its motif the rule's reading of the last contract's end.
-- Outside diesel's transaction, like up.sql.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE conseillers_ancien (
    id                   TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    -- the current (or last) contract's convention; NULL before any contract
    convention_id        TEXT REFERENCES conventions (id),
    -- the convention's, for scopes and statistics; before any contract, the recording structure's
    departement          TEXT NOT NULL REFERENCES departements (code),
    -- the current (or last) employer; before any contract, the structure that recorded the person
    structure_id         TEXT NOT NULL REFERENCES structures (id),
    nom                  TEXT,
    prenom               TEXT,
    email                TEXT,
    commune_residence    TEXT,
    anonymise_le         TEXT,
    recrutement_local    BOOLEAN NOT NULL,
    type_contrat         TEXT CHECK (type_contrat IN ('cdi', 'cdd', 'pec', 'contrat_de_projet',
                                                      'titulaire')),
    statut               TEXT NOT NULL CHECK (statut IN ('sans_contrat', 'recrute', 'en_formation',
                                                         'certifie', 'en_poste', 'sorti')),
    date_recrutement     TEXT CHECK (length(date_recrutement) = 10),
    date_debut_formation TEXT CHECK (date_debut_formation >= date_recrutement),
    organisme_formation  TEXT,
    date_certification   TEXT CHECK (date_certification >= date_debut_formation),
    date_prise_poste     TEXT CHECK (date_prise_poste >= date_certification),
    lieu_id              TEXT REFERENCES lieux (id),
    date_sortie          TEXT CHECK (date_sortie >= COALESCE(date_prise_poste, date_certification,
                                                             date_debut_formation, date_recrutement)),
    motif_sortie         TEXT CHECK (motif_sortie IN ('fin_de_contrat', 'rupture', 'demission',
                                                      'autre')),
    version              BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    cree_le              TEXT NOT NULL,
    modifie_le           TEXT NOT NULL CHECK (modifie_le >= cree_le),
    telephone            TEXT,
    -- the newest record of the same person (same e-mail) when the first model recorded them twice
    doublon_de           TEXT REFERENCES conseillers (id),
    -- personal data: all there (the telephone is optional), or all gone (anonymised)
    CHECK ((anonymise_le IS NULL) = (nom IS NOT NULL AND prenom IS NOT NULL AND email IS NOT NULL
                                     AND commune_residence IS NOT NULL)),
    CHECK (anonymise_le IS NULL OR (nom IS NULL AND telephone IS NULL)),
    CHECK (anonymise_le IS NULL OR statut = 'sorti'),
    CHECK (doublon_de IS NULL OR doublon_de <> id),
    -- a contract's employment, all of it or none of it (a person without a contract yet)
    CHECK ((convention_id IS NULL) = (type_contrat IS NULL)),
    CHECK ((convention_id IS NULL) = (date_recrutement IS NULL)),
    CHECK ((convention_id IS NULL) = (statut = 'sans_contrat')),
    -- the path's dates follow the status
    CHECK (date_certification IS NULL OR date_debut_formation IS NOT NULL),
    CHECK (date_prise_poste IS NULL OR (date_certification IS NOT NULL AND lieu_id IS NOT NULL)),
    CHECK ((date_sortie IS NULL) = (motif_sortie IS NULL)),
    CHECK ((statut = 'sorti') = (date_sortie IS NOT NULL)),
    CHECK (statut <> 'en_formation' OR date_debut_formation IS NOT NULL),
    CHECK (statut <> 'certifie' OR date_certification IS NOT NULL),
    CHECK (statut <> 'en_poste' OR date_prise_poste IS NOT NULL)
);

INSERT INTO conseillers_ancien (id, convention_id, departement, structure_id, nom, prenom,
    email, commune_residence, anonymise_le, recrutement_local, type_contrat, statut,
    date_recrutement, date_debut_formation, organisme_formation, date_certification,
    date_prise_poste, lieu_id, date_sortie, motif_sortie, version, cree_le, modifie_le,
    telephone, doublon_de)
SELECT c.id, c.convention_id, c.departement, c.structure_id, c.nom, c.prenom, c.email,
    c.commune_residence, c.anonymise_le, c.recrutement_local, c.type_contrat,
    CASE WHEN c.convention_id IS NULL THEN 'sans_contrat'
         WHEN c.fin_contrats < date('now') THEN 'sorti'
         WHEN c.date_prise_poste IS NOT NULL AND c.lieu_id IS NOT NULL THEN 'en_poste'
         WHEN c.date_certification IS NOT NULL THEN 'certifie'
         WHEN c.date_debut_formation IS NOT NULL THEN 'en_formation'
         ELSE 'recrute' END,
    c.date_recrutement, c.date_debut_formation, c.organisme_formation, c.date_certification,
    CASE WHEN c.lieu_id IS NOT NULL THEN c.date_prise_poste END, c.lieu_id,
    CASE WHEN c.fin_contrats < date('now') THEN c.fin_contrats END,
    CASE WHEN c.fin_contrats < date('now') THEN
        COALESCE((SELECT CASE k.motif_rupture WHEN 'demission' THEN 'demission'
                              WHEN 'autre' THEN 'autre' WHEN 'non_reconduction_cdd'
                              THEN 'fin_de_contrat' ELSE 'rupture' END
                    FROM contrats k WHERE k.conseiller_id = c.id AND k.date_rupture IS NOT NULL
                   ORDER BY k.date_rupture DESC LIMIT 1), 'fin_de_contrat') END,
    c.version, c.cree_le, c.modifie_le, c.telephone, c.doublon_de
FROM conseillers c;

DROP TABLE conseillers;
ALTER TABLE conseillers_ancien RENAME TO conseillers;

CREATE INDEX conseillers_convention ON conseillers (convention_id, structure_id, statut);
CREATE INDEX conseillers_structure ON conseillers (structure_id, id);
CREATE INDEX conseillers_departement ON conseillers (departement, id);
CREATE INDEX conseillers_statistiques ON conseillers (departement, statut, recrutement_local);
CREATE UNIQUE INDEX conseillers_email ON conseillers (lower(email))
    WHERE email IS NOT NULL AND doublon_de IS NULL;

CREATE TEMP TABLE verification_references (n INTEGER NOT NULL CHECK (n = 0));
INSERT INTO verification_references SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE verification_references;

COMMIT;
PRAGMA foreign_keys = ON;
