-- Places of activity (lieux d'activité, fields of the national "lieux de médiation numérique"
-- standard) and advisors (conseillers numériques) with their path. Lists of the standard are
-- stored as JSON arrays of its values. An advisor's personal data (nom, prenom, email,
-- commune_residence) is NULL once anonymised; everything the statistics use stays.

CREATE TABLE lieux (
    id                              TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    structure_id                    TEXT NOT NULL REFERENCES structures (id),
    nom                             TEXT NOT NULL CHECK (nom <> ''),
    adresse                         TEXT NOT NULL CHECK (adresse <> ''),
    code_postal                     TEXT NOT NULL CHECK (length(code_postal) = 5),
    code_insee                      TEXT NOT NULL REFERENCES communes (code_insee),
    departement                     TEXT NOT NULL REFERENCES departements (code),
    latitude                        REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude                       REAL CHECK (longitude BETWEEN -180 AND 180),
    horaires                        TEXT,
    telephone                       TEXT,
    courriels                       TEXT NOT NULL CHECK (courriels LIKE '[%'),
    site_web                        TEXT NOT NULL CHECK (site_web LIKE '[%'),
    itinerance                      TEXT NOT NULL CHECK (itinerance LIKE '[%'),
    services                        TEXT NOT NULL CHECK (services LIKE '[%'),
    modalites_acces                 TEXT NOT NULL CHECK (modalites_acces LIKE '[%'),
    publics_specifiquement_adresses TEXT NOT NULL CHECK (publics_specifiquement_adresses LIKE '[%'),
    version                         BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    cree_le                         TEXT NOT NULL,
    modifie_le                      TEXT NOT NULL CHECK (modifie_le >= cree_le),
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE INDEX lieux_departement ON lieux (departement, id);
CREATE INDEX lieux_code_insee ON lieux (code_insee, id);
CREATE INDEX lieux_structure ON lieux (structure_id, id);

CREATE TABLE conseillers (
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
    type_contrat         TEXT NOT NULL CHECK (type_contrat IN ('cdi', 'cdd', 'contrat_de_projet',
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
CREATE INDEX conseillers_convention ON conseillers (convention_id, structure_id, statut);
CREATE INDEX conseillers_structure ON conseillers (structure_id, id);
CREATE INDEX conseillers_departement ON conseillers (departement, id);

-- The journal records places and advisors too (SQLite changes a CHECK by rebuilding the table).
CREATE TABLE journal_nouveau (
    id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    horodatage   TEXT NOT NULL,
    sub          TEXT NOT NULL,
    role         TEXT NOT NULL,
    action       TEXT NOT NULL,
    ressource    TEXT NOT NULL CHECK (ressource IN ('structure', 'convention', 'enveloppe',
                                                    'engagement', 'versement', 'lieu',
                                                    'conseiller')),
    ressource_id TEXT NOT NULL,
    departement  TEXT,
    avant        TEXT,
    apres        TEXT
);
INSERT INTO journal_nouveau SELECT id, horodatage, sub, role, action, ressource, ressource_id,
    departement, avant, apres FROM journal;
DROP TABLE journal;
ALTER TABLE journal_nouveau RENAME TO journal;
CREATE INDEX journal_ressource ON journal (ressource, ressource_id, id);
CREATE INDEX journal_departement ON journal (departement, id);
