-- Back to advisors that exist only through a recruitment (people recorded without a contract
-- are deleted; `pec` stays allowed). Outside diesel's transaction, like up.sql.
PRAGMA foreign_keys = OFF;
BEGIN;
DELETE FROM conseillers WHERE statut = 'sans_contrat';
CREATE TABLE conseillers_ancien (
    id                   TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    convention_id        TEXT NOT NULL REFERENCES conventions (id),
    -- the convention's, for scopes and statistics
    departement          TEXT NOT NULL REFERENCES departements (code),
    structure_id         TEXT NOT NULL REFERENCES structures (id),
    nom                  TEXT,
    prenom               TEXT,
    email                TEXT,
    commune_residence    TEXT,
    anonymise_le         TEXT,
    recrutement_local    BOOLEAN NOT NULL,
    type_contrat         TEXT NOT NULL CHECK (type_contrat IN ('cdi', 'cdd', 'pec', 'contrat_de_projet',
                                                              'titulaire')),
    statut               TEXT NOT NULL CHECK (statut IN ('recrute', 'en_formation', 'certifie',
                                                         'en_poste', 'sorti')),
    date_recrutement     TEXT NOT NULL CHECK (length(date_recrutement) = 10),
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
    -- personal data: all there, or all gone (anonymised)
    CHECK ((anonymise_le IS NULL) = (nom IS NOT NULL AND prenom IS NOT NULL AND email IS NOT NULL
                                     AND commune_residence IS NOT NULL)),
    CHECK (anonymise_le IS NULL OR nom IS NULL),
    CHECK (anonymise_le IS NULL OR statut = 'sorti'),
    -- the path's dates follow the status
    CHECK (date_certification IS NULL OR date_debut_formation IS NOT NULL),
    CHECK (date_prise_poste IS NULL OR (date_certification IS NOT NULL AND lieu_id IS NOT NULL)),
    CHECK ((date_sortie IS NULL) = (motif_sortie IS NULL)),
    CHECK ((statut = 'sorti') = (date_sortie IS NOT NULL)),
    CHECK (statut <> 'en_formation' OR date_debut_formation IS NOT NULL),
    CHECK (statut <> 'certifie' OR date_certification IS NOT NULL),
    CHECK (statut <> 'en_poste' OR date_prise_poste IS NOT NULL)
);
INSERT INTO conseillers_ancien (id, convention_id, departement, structure_id, nom, prenom, email,
    commune_residence, anonymise_le, recrutement_local, type_contrat, statut, date_recrutement,
    date_debut_formation, organisme_formation, date_certification, date_prise_poste, lieu_id,
    date_sortie, motif_sortie, version, cree_le, modifie_le)
SELECT id, convention_id, departement, structure_id, nom, prenom, email, commune_residence,
    anonymise_le, recrutement_local, type_contrat, statut, date_recrutement, date_debut_formation,
    organisme_formation, date_certification, date_prise_poste, lieu_id, date_sortie, motif_sortie,
    version, cree_le, modifie_le
FROM conseillers;
DROP TABLE conseillers;
ALTER TABLE conseillers_ancien RENAME TO conseillers;
CREATE INDEX conseillers_convention ON conseillers (convention_id, structure_id, statut);
CREATE INDEX conseillers_structure ON conseillers (structure_id, id);
CREATE INDEX conseillers_departement ON conseillers (departement, id);
CREATE INDEX conseillers_statistiques ON conseillers (departement, statut, recrutement_local);
COMMIT;
PRAGMA foreign_keys = ON;
