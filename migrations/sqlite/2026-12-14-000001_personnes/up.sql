-- People apart from their contracts. Until now an advisor existed only through a recruitment:
-- convention, contract type and recruitment date were required. A person may now be recorded
-- before any contract (`sans_contrat`: no convention, type or date yet; the structure that
-- recorded them keeps the record, in its département), has a telephone, and is one per e-mail
-- address: a unique index on the lower-cased address. People recorded twice by the first model
-- (one row per recruitment) are kept apart: the older rows point to the newest with
-- `doublon_de` and stay out of the index. The contract type gains `pec`.
--
-- SQLite drops a NOT NULL by rebuilding the table. Other tables reference `conseillers`: with
-- foreign keys off (this migration runs outside diesel's transaction, see metadata.toml), the
-- new table takes the old one's name and the references resolve to it again; the check below
-- aborts the swap if any did not.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE conseillers_nouveau (
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

-- finds each address's other records without a scan per row (dropped with the old table)
CREATE INDEX conseillers_email_ancien ON conseillers (lower(email), date_recrutement, id);

INSERT INTO conseillers_nouveau (id, convention_id, departement, structure_id, nom, prenom,
    email, commune_residence, anonymise_le, recrutement_local, type_contrat, statut,
    date_recrutement, date_debut_formation, organisme_formation, date_certification,
    date_prise_poste, lieu_id, date_sortie, motif_sortie, version, cree_le, modifie_le,
    telephone, doublon_de)
SELECT c.id, c.convention_id, c.departement, c.structure_id, c.nom, c.prenom, c.email,
    c.commune_residence, c.anonymise_le, c.recrutement_local, c.type_contrat, c.statut,
    c.date_recrutement, c.date_debut_formation, c.organisme_formation, c.date_certification,
    c.date_prise_poste, c.lieu_id, c.date_sortie, c.motif_sortie, c.version, c.cree_le,
    c.modifie_le, NULL,
    -- the newest recruitment of the same address, when it is not this one
    (SELECT n.id FROM conseillers n
      WHERE c.email IS NOT NULL AND lower(n.email) = lower(c.email) AND n.id <> c.id
        AND (n.date_recrutement, n.id) > (c.date_recrutement, c.id)
      ORDER BY n.date_recrutement DESC, n.id DESC LIMIT 1)
FROM conseillers c;

DROP TABLE conseillers;
ALTER TABLE conseillers_nouveau RENAME TO conseillers;

CREATE INDEX conseillers_convention ON conseillers (convention_id, structure_id, statut);
CREATE INDEX conseillers_structure ON conseillers (structure_id, id);
CREATE INDEX conseillers_departement ON conseillers (departement, id);
CREATE INDEX conseillers_statistiques ON conseillers (departement, statut, recrutement_local);
-- One person per e-mail address (case-insensitive), first-model duplicates aside.
CREATE UNIQUE INDEX conseillers_email ON conseillers (lower(email))
    WHERE email IS NOT NULL AND doublon_de IS NULL;

-- Every reference still resolves: a violation fails this CHECK, and the migration with it.
CREATE TEMP TABLE verification_references (n INTEGER NOT NULL CHECK (n = 0));
INSERT INTO verification_references SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE verification_references;

COMMIT;
PRAGMA foreign_keys = ON;
