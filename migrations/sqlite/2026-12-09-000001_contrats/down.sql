DELETE FROM journal WHERE ressource = 'contrat';
CREATE TABLE journal_ancien (
    id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    horodatage   TEXT NOT NULL,
    sub          TEXT NOT NULL,
    role         TEXT NOT NULL,
    action       TEXT NOT NULL,
    ressource    TEXT NOT NULL CHECK (ressource IN ('structure', 'convention', 'enveloppe',
                                                    'engagement', 'versement', 'lieu',
                                                    'conseiller', 'activite', 'poste')),
    ressource_id TEXT NOT NULL,
    departement  TEXT,
    avant        TEXT,
    apres        TEXT
);
INSERT INTO journal_ancien SELECT id, horodatage, sub, role, action, ressource, ressource_id,
    departement, avant, apres FROM journal;
DROP TABLE journal;
ALTER TABLE journal_ancien RENAME TO journal;
CREATE INDEX journal_ressource ON journal (ressource, ressource_id, id);
CREATE INDEX journal_departement ON journal (departement, id);
DROP TRIGGER postes_occupe_contrat_insert;
DROP TRIGGER postes_occupe_contrat_update;
ALTER TABLE postes DROP COLUMN contrat_id;
DROP TABLE contrats;
