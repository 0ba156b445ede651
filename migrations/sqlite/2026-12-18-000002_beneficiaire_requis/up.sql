-- Every commitment names its beneficiary (the previous migration's rows were split by the
-- application before this one runs). SQLite adds a NOT NULL by rebuilding the table; its
-- payments, which reference it, are rebuilt with it: each new table is created beside the old
-- one (the payments' referencing the new commitments), filled, the old ones dropped (children
-- first, so that no reference is left dangling), and the new ones renamed, which renames the
-- reference too.
CREATE TABLE engagements_neufs (
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
    -- the employer of the convention it goes to
    beneficiaire_id  TEXT NOT NULL REFERENCES structures (id),
    CHECK ((statut = 'annule') = (date_annulation IS NOT NULL)),
    CHECK ((date_annulation IS NULL) = (motif_annulation IS NULL)),
    CHECK (date_annulation IS NULL OR date_annulation >= date_engagement)
);
INSERT INTO engagements_neufs (id, enveloppe_id, convention_id, departement, montant_centimes,
                               verse_centimes, date_engagement, objet, statut, date_annulation,
                               motif_annulation, version, cree_le, modifie_le, beneficiaire_id)
SELECT id, enveloppe_id, convention_id, departement, montant_centimes, verse_centimes,
       date_engagement, objet, statut, date_annulation, motif_annulation, version, cree_le,
       modifie_le, beneficiaire_id
FROM engagements;

CREATE TABLE versements_neufs (
    id               TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    engagement_id    TEXT NOT NULL REFERENCES engagements_neufs (id),
    montant_centimes BIGINT NOT NULL CHECK (montant_centimes BETWEEN 1 AND 1000000000000000),
    date_versement   TEXT NOT NULL CHECK (length(date_versement) = 10),
    reference        TEXT NOT NULL CHECK (reference <> ''),
    statut           TEXT NOT NULL CHECK (statut IN ('effectue', 'annule')),
    date_annulation  TEXT CHECK (length(date_annulation) = 10),
    motif_annulation TEXT,
    cree_le          TEXT NOT NULL,
    tranche          BIGINT CHECK (tranche BETWEEN 1 AND 120),
    CHECK ((statut = 'annule') = (date_annulation IS NOT NULL)),
    CHECK ((date_annulation IS NULL) = (motif_annulation IS NULL))
);
INSERT INTO versements_neufs (id, engagement_id, montant_centimes, date_versement, reference,
                              statut, date_annulation, motif_annulation, cree_le, tranche)
SELECT id, engagement_id, montant_centimes, date_versement, reference, statut, date_annulation,
       motif_annulation, cree_le, tranche
FROM versements;

DROP TABLE versements;
DROP TABLE engagements;
ALTER TABLE engagements_neufs RENAME TO engagements;
ALTER TABLE versements_neufs RENAME TO versements;

CREATE INDEX engagements_enveloppe ON engagements (enveloppe_id, id);
CREATE INDEX engagements_convention ON engagements (convention_id, id);
CREATE INDEX engagements_departement ON engagements (departement, id);
CREATE INDEX engagements_beneficiaire ON engagements (beneficiaire_id, id);
CREATE INDEX versements_engagement ON versements (engagement_id, id);
-- An instalment is paid once per commitment: a cancelled payment frees it.
CREATE UNIQUE INDEX versements_tranche_unique ON versements (engagement_id, tranche)
    WHERE statut = 'effectue' AND tranche IS NOT NULL;
