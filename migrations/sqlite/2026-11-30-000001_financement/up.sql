-- Funding: envelopes, the money of each département in them (with its optional ceiling),
-- commitments (engagements) to conventions and payments (versements) against them.
-- Money is BIGINT cents, each amount within 1..10^15. The running sums on envelopes and
-- départements are written under the envelope's row lock by every money movement, and the
-- CHECKs below make the invariants hold in the database too: nothing engaged beyond an
-- envelope's amount or a département's ceiling, nothing paid beyond a commitment.

CREATE TABLE enveloppes (
    id                         TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    libelle                    TEXT NOT NULL CHECK (libelle <> ''),
    financeur                  TEXT NOT NULL CHECK (financeur <> ''),
    programme_budgetaire       TEXT,
    nature                     TEXT NOT NULL CHECK (nature IN ('postes_conseillers', 'materiel',
                                                              'connexion', 'formation', 'mixte')),
    montant_centimes           BIGINT NOT NULL
                               CHECK (montant_centimes BETWEEN 1 AND 1000000000000000),
    date_debut                 TEXT NOT NULL CHECK (length(date_debut) = 10),
    date_fin                   TEXT NOT NULL CHECK (length(date_fin) = 10),
    perimetre_departement      TEXT REFERENCES departements (code),
    objectif_postes            BIGINT CHECK (objectif_postes >= 1),
    montant_par_poste_centimes BIGINT
                               CHECK (montant_par_poste_centimes BETWEEN 1 AND 1000000000000000),
    -- live commitments + paid parts of annulled ones
    engage_centimes            BIGINT NOT NULL DEFAULT 0
                               CHECK (engage_centimes >= 0 AND engage_centimes <= montant_centimes),
    verse_centimes             BIGINT NOT NULL DEFAULT 0
                               CHECK (verse_centimes >= 0 AND verse_centimes <= engage_centimes),
    version                    BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    cree_le                    TEXT NOT NULL,
    modifie_le                 TEXT NOT NULL CHECK (modifie_le >= cree_le),
    CHECK (date_debut <= date_fin)
);

-- One row per département that has a ceiling or money in an envelope.
CREATE TABLE enveloppes_departements (
    enveloppe_id     TEXT NOT NULL REFERENCES enveloppes (id),
    departement      TEXT NOT NULL REFERENCES departements (code),
    plafond_centimes BIGINT CHECK (plafond_centimes BETWEEN 1 AND 1000000000000000),
    engage_centimes  BIGINT NOT NULL DEFAULT 0 CHECK (engage_centimes >= 0),
    verse_centimes   BIGINT NOT NULL DEFAULT 0
                     CHECK (verse_centimes >= 0 AND verse_centimes <= engage_centimes),
    PRIMARY KEY (enveloppe_id, departement),
    CHECK (plafond_centimes IS NULL OR engage_centimes <= plafond_centimes)
);

CREATE TABLE engagements (
    id               TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    enveloppe_id     TEXT NOT NULL REFERENCES enveloppes (id),
    convention_id    TEXT NOT NULL REFERENCES conventions (id),
    -- the convention's, for scopes and the sums per département
    departement      TEXT NOT NULL REFERENCES departements (code),
    montant_centimes BIGINT NOT NULL CHECK (montant_centimes BETWEEN 1 AND 1000000000000000),
    verse_centimes   BIGINT NOT NULL DEFAULT 0
                     CHECK (verse_centimes >= 0 AND verse_centimes <= montant_centimes),
    date_engagement  TEXT NOT NULL CHECK (length(date_engagement) = 10),
    objet            TEXT NOT NULL CHECK (objet <> ''),
    statut           TEXT NOT NULL CHECK (statut IN ('actif', 'annule')),
    date_annulation  TEXT CHECK (length(date_annulation) = 10),
    motif_annulation TEXT,
    version          BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    cree_le          TEXT NOT NULL,
    modifie_le       TEXT NOT NULL CHECK (modifie_le >= cree_le),
    CHECK ((statut = 'annule') = (date_annulation IS NOT NULL)),
    CHECK ((date_annulation IS NULL) = (motif_annulation IS NULL)),
    CHECK (date_annulation IS NULL OR date_annulation >= date_engagement)
);
CREATE INDEX engagements_enveloppe ON engagements (enveloppe_id, id);
CREATE INDEX engagements_convention ON engagements (convention_id, id);
CREATE INDEX engagements_departement ON engagements (departement, id);

CREATE TABLE versements (
    id               TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    engagement_id    TEXT NOT NULL REFERENCES engagements (id),
    montant_centimes BIGINT NOT NULL CHECK (montant_centimes BETWEEN 1 AND 1000000000000000),
    date_versement   TEXT NOT NULL CHECK (length(date_versement) = 10),
    reference        TEXT NOT NULL CHECK (reference <> ''),
    statut           TEXT NOT NULL CHECK (statut IN ('effectue', 'annule')),
    date_annulation  TEXT CHECK (length(date_annulation) = 10),
    motif_annulation TEXT,
    cree_le          TEXT NOT NULL,
    CHECK ((statut = 'annule') = (date_annulation IS NOT NULL)),
    CHECK ((date_annulation IS NULL) = (motif_annulation IS NULL))
);
CREATE INDEX versements_engagement ON versements (engagement_id, id);

-- The journal now records funding too; an envelope has no département (NULL: only national
-- readers see its entries). SQLite changes a CHECK or a NOT NULL by rebuilding the table.
CREATE TABLE journal_nouveau (
    id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    horodatage   TEXT NOT NULL,
    sub          TEXT NOT NULL,
    role         TEXT NOT NULL,
    action       TEXT NOT NULL,
    ressource    TEXT NOT NULL CHECK (ressource IN ('structure', 'convention', 'enveloppe',
                                                    'engagement', 'versement')),
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
