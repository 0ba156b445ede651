-- An advisor's status is derived from its contracts on the service's date, no longer stored:
-- `sans_contrat` before any contract, `en_poste` while one is in force or to come, `sorti` once
-- none will resume. What it needs is one date per person, kept by every write of a contract:
-- `fin_contrats`, the last day of its contracts when all of them have one (a rupture, or the
-- planned end of a fixed-term contract); NULL while one is open-ended, or before any. The
-- person is `sorti` once that day has passed, without any job.
--
-- The stored `statut`, `date_sortie` and `motif_sortie` go: the contracts hold how each
-- employment ended (the 2026-12-09 migration carried every exit over to them). The first
-- model's path dates (`date_debut_formation`, `organisme_formation`, `date_certification`,
-- `date_prise_poste`) stay as that model's record, no longer written: trainings and
-- certifications are their own tables (2026-12-13), and the lieux are the advisor's lieux
-- (2026-12-10), which may now change after the post was taken.
--
-- SQLite drops a column that CHECKs name by rebuilding the table (outside diesel's
-- transaction, foreign keys off, as in 2026-12-14-000001_personnes).
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
    date_recrutement     TEXT CHECK (length(date_recrutement) = 10),
    -- the first model's path (no longer written)
    date_debut_formation TEXT CHECK (date_debut_formation >= date_recrutement),
    organisme_formation  TEXT,
    date_certification   TEXT CHECK (date_certification >= date_debut_formation),
    date_prise_poste     TEXT CHECK (date_prise_poste >= date_certification),
    -- the principal lieu (kept equal to the principal of `conseillers_lieux`)
    lieu_id              TEXT REFERENCES lieux (id),
    version              BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    cree_le              TEXT NOT NULL,
    modifie_le           TEXT NOT NULL CHECK (modifie_le >= cree_le),
    telephone            TEXT,
    -- the newest record of the same person (same e-mail) when the first model recorded them twice
    doublon_de           TEXT REFERENCES conseillers (id),
    -- the last day of its contracts when all have one; NULL while one is open-ended, or before any
    fin_contrats         TEXT CHECK (length(fin_contrats) = 10),
    -- personal data: all there (the telephone is optional), or all gone (anonymised)
    CHECK ((anonymise_le IS NULL) = (nom IS NOT NULL AND prenom IS NOT NULL AND email IS NOT NULL
                                     AND commune_residence IS NOT NULL)),
    CHECK (anonymise_le IS NULL OR (nom IS NULL AND telephone IS NULL)),
    -- never anonymised under an open-ended contract
    CHECK (anonymise_le IS NULL OR convention_id IS NULL OR fin_contrats IS NOT NULL),
    CHECK (doublon_de IS NULL OR doublon_de <> id),
    -- a contract's employment, all of it or none of it (a person without a contract yet)
    CHECK ((convention_id IS NULL) = (type_contrat IS NULL)),
    CHECK ((convention_id IS NULL) = (date_recrutement IS NULL)),
    CHECK (convention_id IS NOT NULL OR fin_contrats IS NULL),
    CHECK (date_certification IS NULL OR date_debut_formation IS NOT NULL)
);

INSERT INTO conseillers_nouveau (id, convention_id, departement, structure_id, nom, prenom,
    email, commune_residence, anonymise_le, recrutement_local, type_contrat, date_recrutement,
    date_debut_formation, organisme_formation, date_certification, date_prise_poste, lieu_id,
    version, cree_le, modifie_le, telephone, doublon_de, fin_contrats)
SELECT c.id, c.convention_id, c.departement, c.structure_id, c.nom, c.prenom, c.email,
    c.commune_residence, c.anonymise_le, c.recrutement_local, c.type_contrat, c.date_recrutement,
    c.date_debut_formation, c.organisme_formation, c.date_certification, c.date_prise_poste,
    c.lieu_id, c.version, c.cree_le, c.modifie_le, c.telephone, c.doublon_de,
    -- every contract has a last day: the latest of them; one without: NULL
    (SELECT CASE WHEN COUNT(*) = COUNT(COALESCE(k.date_rupture, k.date_fin))
                 THEN MAX(COALESCE(k.date_rupture, k.date_fin)) END
       FROM contrats k WHERE k.conseiller_id = c.id)
FROM conseillers c;

DROP TABLE conseillers;
ALTER TABLE conseillers_nouveau RENAME TO conseillers;

CREATE INDEX conseillers_convention ON conseillers (convention_id, structure_id, fin_contrats);
CREATE INDEX conseillers_structure ON conseillers (structure_id, id);
CREATE INDEX conseillers_departement ON conseillers (departement, id);
CREATE INDEX conseillers_statistiques
    ON conseillers (departement, recrutement_local, convention_id, fin_contrats);
-- One person per e-mail address (case-insensitive), first-model duplicates aside.
CREATE UNIQUE INDEX conseillers_email ON conseillers (lower(email))
    WHERE email IS NOT NULL AND doublon_de IS NULL;

-- Every reference still resolves: a violation fails this CHECK, and the migration with it.
CREATE TEMP TABLE verification_references (n INTEGER NOT NULL CHECK (n = 0));
INSERT INTO verification_references SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE verification_references;

COMMIT;
PRAGMA foreign_keys = ON;
