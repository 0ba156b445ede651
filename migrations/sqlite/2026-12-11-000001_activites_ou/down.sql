DELETE FROM activites WHERE type_lieu <> 'lieu_activite';
CREATE TABLE activites_ancien (
    id              TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    conseiller_id   TEXT NOT NULL REFERENCES conseillers (id),
    structure_id    TEXT NOT NULL REFERENCES structures (id),
    departement     TEXT NOT NULL REFERENCES departements (code),
    lieu_id         TEXT NOT NULL REFERENCES lieux (id),
    date            TEXT NOT NULL CHECK (length(date) = 10),
    type            TEXT NOT NULL CHECK (type IN ('atelier_collectif', 'accompagnement_individuel')),
    duree_minutes   INTEGER NOT NULL CHECK (duree_minutes BETWEEN 1 AND 600),
    nb_participants INTEGER NOT NULL CHECK (nb_participants BETWEEN 1 AND 100),
    thematiques     TEXT NOT NULL CHECK (thematiques LIKE '[%'),
    cree_le         TEXT NOT NULL,
    supprime_le     TEXT CHECK (supprime_le >= cree_le),
    CHECK (type <> 'accompagnement_individuel' OR nb_participants = 1)
);
INSERT INTO activites_ancien SELECT id, conseiller_id, structure_id, departement, lieu_id, date,
    type, duree_minutes, nb_participants, thematiques, cree_le, supprime_le FROM activites;
DROP TABLE activites;
ALTER TABLE activites_ancien RENAME TO activites;
CREATE INDEX activites_departement ON activites (departement, id);
CREATE INDEX activites_structure ON activites (structure_id, id);
CREATE INDEX activites_conseiller ON activites (conseiller_id, id);
