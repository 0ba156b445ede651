-- Trainings (formations) and certifications as objects (issue 25 §4): an advisor trains while
-- employed, under a contract in force on the training's first day; it has one initial training
-- (whatever its employers) and any number of continuing ones; after the initial one ends it sits
-- certifications (Pix, CCP1 of the REMN title), each attempt a row with its result. Before, an
-- advisor had one `date_debut_formation` / `organisme_formation` / `date_certification`, which
-- stay as they are: they are carried over below as rows marked `reprise`, which may lack what the
-- first model did not record (hours, end, organisation, contract).
CREATE TABLE formations (
    id              TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    conseiller_id   TEXT NOT NULL REFERENCES conseillers (id),
    type            TEXT NOT NULL CHECK (type IN ('initiale', 'continue')),
    parcours_heures INTEGER CHECK (parcours_heures >= 1),
    date_debut      TEXT NOT NULL CHECK (length(date_debut) = 10),
    date_fin        TEXT CHECK (date_fin >= date_debut),
    organisme       TEXT CHECK (length(organisme) >= 1),
    -- the contract in force on the first day, and its employer
    contrat_id      TEXT REFERENCES contrats (id),
    structure_id    TEXT NOT NULL REFERENCES structures (id),
    reprise         BOOLEAN NOT NULL DEFAULT FALSE,
    version         BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    cree_le         TEXT NOT NULL,
    -- the initial training's paths
    CHECK (type <> 'initiale' OR parcours_heures IS NULL OR parcours_heures IN (105, 280, 350, 420)),
    -- only a row carried over from the first model lacks what the API requires
    CHECK (reprise OR (date_fin IS NOT NULL AND organisme IS NOT NULL AND contrat_id IS NOT NULL
                       AND (type <> 'initiale' OR parcours_heures IS NOT NULL))),
    -- a certification names its training and its person together
    UNIQUE (id, conseiller_id)
);
-- One initial training per person.
CREATE UNIQUE INDEX formations_initiale ON formations (conseiller_id) WHERE type = 'initiale';
CREATE INDEX formations_conseiller ON formations (conseiller_id, date_debut);

CREATE TABLE certifications (
    id            TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    conseiller_id TEXT NOT NULL REFERENCES conseillers (id),
    -- the initial training it follows, of the same person
    formation_id  TEXT NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('pix', 'ccp1_remn')),
    date          TEXT NOT NULL CHECK (length(date) = 10),
    resultat      TEXT NOT NULL CHECK (resultat IN ('reussie', 'echouee', 'absent')),
    reprise       BOOLEAN NOT NULL DEFAULT FALSE,
    version       BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    cree_le       TEXT NOT NULL,
    FOREIGN KEY (formation_id, conseiller_id) REFERENCES formations (id, conseiller_id)
);
CREATE INDEX certifications_formation ON certifications (formation_id, date);
CREATE INDEX certifications_conseiller ON certifications (conseiller_id, date);

-- The data already stored: each advisor whose training started has its initial training, from
-- that day, with its organisation, under the contract in force then (the latest begun by that
-- day) and that contract's employer (the advisor's own when none is found).
INSERT INTO formations (id, conseiller_id, type, parcours_heures, date_debut, date_fin, organisme,
                        contrat_id, structure_id, reprise, cree_le)
SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
           || substr(lower(hex(randomblob(2))), 2) || '-'
           || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2)
           || '-' || lower(hex(randomblob(6))),
       a.id, 'initiale', NULL, a.date_debut_formation, NULL, a.organisme_formation,
       (SELECT k.id FROM contrats k WHERE k.conseiller_id = a.id
            AND k.date_debut <= a.date_debut_formation ORDER BY k.date_debut DESC, k.id DESC LIMIT 1),
       COALESCE((SELECT k.structure_id FROM contrats k WHERE k.conseiller_id = a.id
                     AND k.date_debut <= a.date_debut_formation
                 ORDER BY k.date_debut DESC, k.id DESC LIMIT 1), a.structure_id),
       TRUE, a.modifie_le
FROM conseillers a
WHERE a.date_debut_formation IS NOT NULL;

-- Each advisor certified has passed the CCP1 of the REMN title on that date.
INSERT INTO certifications (id, conseiller_id, formation_id, type, date, resultat, reprise,
                            cree_le)
SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
           || substr(lower(hex(randomblob(2))), 2) || '-'
           || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2)
           || '-' || lower(hex(randomblob(6))),
       a.id, f.id, 'ccp1_remn', a.date_certification, 'reussie', TRUE, a.modifie_le
FROM conseillers a
JOIN formations f ON f.conseiller_id = a.id AND f.type = 'initiale'
WHERE a.date_certification IS NOT NULL;
