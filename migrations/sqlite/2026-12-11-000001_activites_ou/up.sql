-- Activities where they happen: at one of the advisor's lieux (`lieu_activite`, with its
-- `lieu_id`), at the beneficiary's home or elsewhere (`domicile`, `autre`, with the commune's
-- `code_insee`), or remotely (`a_distance`, neither). Before, every activity sat at a lieu of the
-- employer: the activities already stored are `lieu_activite`. (SQLite makes `lieu_id` nullable
-- by rebuilding the table; nothing references it.)
CREATE TABLE activites_nouveau (
    id              TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    conseiller_id   TEXT NOT NULL REFERENCES conseillers (id),
    structure_id    TEXT NOT NULL REFERENCES structures (id),
    departement     TEXT NOT NULL REFERENCES departements (code),
    lieu_id         TEXT REFERENCES lieux (id),
    date            TEXT NOT NULL CHECK (length(date) = 10),
    type            TEXT NOT NULL CHECK (type IN ('atelier_collectif', 'accompagnement_individuel')),
    duree_minutes   INTEGER NOT NULL CHECK (duree_minutes BETWEEN 1 AND 600),
    nb_participants INTEGER NOT NULL CHECK (nb_participants BETWEEN 1 AND 100),
    thematiques     TEXT NOT NULL CHECK (thematiques LIKE '[%'),
    cree_le         TEXT NOT NULL,
    supprime_le     TEXT CHECK (supprime_le >= cree_le),
    type_lieu       TEXT NOT NULL DEFAULT 'lieu_activite'
                    CHECK (type_lieu IN ('lieu_activite', 'domicile', 'a_distance', 'autre')),
    code_insee      TEXT REFERENCES communes (code_insee),
    CHECK (type <> 'accompagnement_individuel' OR nb_participants = 1),
    CHECK ((type_lieu = 'lieu_activite') = (lieu_id IS NOT NULL)
           AND (type_lieu IN ('domicile', 'autre')) = (code_insee IS NOT NULL))
);
INSERT INTO activites_nouveau (id, conseiller_id, structure_id, departement, lieu_id, date, type,
    duree_minutes, nb_participants, thematiques, cree_le, supprime_le, type_lieu, code_insee)
SELECT id, conseiller_id, structure_id, departement, lieu_id, date, type, duree_minutes,
    nb_participants, thematiques, cree_le, supprime_le, 'lieu_activite', NULL FROM activites;
DROP TABLE activites;
ALTER TABLE activites_nouveau RENAME TO activites;
CREATE INDEX activites_departement ON activites (departement, id);
CREATE INDEX activites_structure ON activites (structure_id, id);
CREATE INDEX activites_conseiller ON activites (conseiller_id, id);
