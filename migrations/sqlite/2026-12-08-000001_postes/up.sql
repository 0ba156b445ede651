-- Posts (postes) as objects: each post a host holds in a convention's split is a row, with its
-- state (vacant, occupe, rendu), the date of that state, its typology (conseiller or
-- coordinateur), its occupant, and its history. Before, a host's posts were a count in the split.
--
-- The split says how many of a host's posts are coordinator posts.
ALTER TABLE conventions_repartition
    ADD COLUMN postes_coordinateur BIGINT NOT NULL DEFAULT 0
        CHECK (postes_coordinateur >= 0 AND postes_coordinateur <= postes);

CREATE TABLE postes (
    id            TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    convention_id TEXT NOT NULL REFERENCES conventions (id),
    -- the host, which a transfer changes
    structure_id  TEXT NOT NULL REFERENCES structures (id),
    -- the convention's, for scopes, filters and statistics
    departement   TEXT NOT NULL REFERENCES departements (code),
    typologie     TEXT NOT NULL CHECK (typologie IN ('conseiller', 'coordinateur')),
    etat          TEXT NOT NULL CHECK (etat IN ('vacant', 'occupe', 'rendu')),
    -- the date of the current state
    depuis        TEXT NOT NULL CHECK (length(depuis) = 10),
    conseiller_id TEXT REFERENCES conseillers (id),
    version       BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    cree_le       TEXT NOT NULL,
    modifie_le    TEXT NOT NULL CHECK (modifie_le >= cree_le),
    CHECK ((etat = 'occupe') = (conseiller_id IS NOT NULL))
);
-- One post per advisor at a time: a second occupation of the same person fails here too.
CREATE UNIQUE INDEX postes_conseiller ON postes (conseiller_id) WHERE conseiller_id IS NOT NULL;
CREATE INDEX postes_departement ON postes (departement, id);
CREATE INDEX postes_convention ON postes (convention_id, structure_id, etat, depuis);
CREATE INDEX postes_structure ON postes (structure_id, id);
-- statistics: by département, state and typology; vacant since
CREATE INDEX postes_statistiques ON postes (departement, etat, typologie, depuis);

-- A post's history, append-only: each event with its date, the state it leaves, the host and the
-- occupant then.
CREATE TABLE postes_historique (
    poste_id      TEXT NOT NULL REFERENCES postes (id),
    rang          BIGINT NOT NULL CHECK (rang >= 1),
    date          TEXT NOT NULL CHECK (length(date) = 10),
    evenement     TEXT NOT NULL CHECK (evenement IN ('attribution', 'occupation', 'liberation',
                                                     'transfert', 'rendu')),
    etat          TEXT NOT NULL CHECK (etat IN ('vacant', 'occupe', 'rendu')),
    structure_id  TEXT NOT NULL REFERENCES structures (id),
    conseiller_id TEXT REFERENCES conseillers (id),
    PRIMARY KEY (poste_id, rang)
);

-- The data already stored: the posts of every validated hosting project, one per post of each
-- host's split (all of the conseiller typology: coordinators did not exist).
--   * a convention ended (terminee, resiliee) after its validation: its posts are rendu since
--     its end (no advisor was active then: the rules refused the end otherwise);
--   * otherwise a host's active advisors, oldest recruitment first, occupy its first posts, since
--     their recruitment;
--   * its other posts are vacant: the k-th of them since the day after the k-th most recent exit
--     of the host's advisors in that convention (each exit freed a post; the most recent ones are
--     the least likely to have been filled again), else since the validation.
CREATE TEMPORARY TABLE postes_migres AS
WITH RECURSIVE numeros (n) AS (
    SELECT 1 UNION ALL SELECT n + 1 FROM numeros
    WHERE n < (SELECT COALESCE(MAX(postes), 0) FROM conventions_repartition)
),
parts AS (
    SELECT r.convention_id, r.structure_id, r.postes, c.departement, c.statut, c.date_validation,
           COALESCE(c.date_resiliation, c.date_cloture) AS date_fin
    FROM conventions_repartition r JOIN conventions c ON c.id = r.convention_id
    WHERE c.date_validation IS NOT NULL
),
actifs AS (
    SELECT convention_id, structure_id, id AS conseiller_id, date_recrutement,
           ROW_NUMBER() OVER (PARTITION BY convention_id, structure_id
                              ORDER BY date_recrutement, id) AS n
    FROM conseillers WHERE statut <> 'sorti'
),
sorties AS (
    SELECT convention_id, structure_id, date_sortie,
           ROW_NUMBER() OVER (PARTITION BY convention_id, structure_id
                              ORDER BY date_sortie DESC, id) AS k
    FROM conseillers WHERE statut = 'sorti'
),
occupes AS (
    SELECT convention_id, structure_id, COUNT(*) AS nombre FROM actifs
    GROUP BY convention_id, structure_id
)
SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
           || substr(lower(hex(randomblob(2))), 2) || '-'
           || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2)
           || '-' || lower(hex(randomblob(6))) AS id, p.convention_id, p.structure_id, p.departement,
       p.date_validation,
       CASE WHEN p.statut IN ('terminee', 'resiliee') THEN 'rendu'
            WHEN a.conseiller_id IS NOT NULL THEN 'occupe'
            ELSE 'vacant' END AS etat,
       CASE WHEN p.statut IN ('terminee', 'resiliee') THEN p.date_fin
            WHEN a.conseiller_id IS NOT NULL THEN a.date_recrutement
            ELSE COALESCE(MAX(p.date_validation, date(s.date_sortie, '+1 day')),
                          p.date_validation) END AS depuis,
       CASE WHEN p.statut IN ('terminee', 'resiliee') THEN NULL ELSE a.conseiller_id END
           AS conseiller_id,
       s.date_sortie
FROM parts p
JOIN numeros ON numeros.n <= p.postes
LEFT JOIN actifs a ON a.convention_id = p.convention_id AND a.structure_id = p.structure_id
                  AND a.n = numeros.n
LEFT JOIN occupes o ON o.convention_id = p.convention_id AND o.structure_id = p.structure_id
LEFT JOIN sorties s ON s.convention_id = p.convention_id AND s.structure_id = p.structure_id
                   AND a.conseiller_id IS NULL
                   AND s.k = numeros.n - COALESCE(o.nombre, 0);

INSERT INTO postes (id, convention_id, structure_id, departement, typologie, etat, depuis,
                    conseiller_id, version, cree_le, modifie_le)
SELECT id, convention_id, structure_id, departement, 'conseiller', etat, depuis, conseiller_id,
       1, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z',
       strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
FROM postes_migres;

-- Their history as far as the old data tells it: attributed (vacant) at the validation; then
-- occupied since the recruitment, or freed after an exit, or returned at the end.
INSERT INTO postes_historique (poste_id, rang, date, evenement, etat, structure_id, conseiller_id)
SELECT id, 1, date_validation, 'attribution', 'vacant', structure_id, NULL FROM postes_migres
UNION ALL
SELECT id, 2, depuis,
       CASE etat WHEN 'occupe' THEN 'occupation' WHEN 'rendu' THEN 'rendu' ELSE 'liberation' END,
       etat, structure_id, conseiller_id
FROM postes_migres
WHERE etat <> 'vacant' OR date_sortie IS NOT NULL;

DROP TABLE postes_migres;

-- The journal records posts too (SQLite changes a CHECK by rebuilding the table).
CREATE TABLE journal_nouveau (
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
INSERT INTO journal_nouveau SELECT id, horodatage, sub, role, action, ressource, ressource_id,
    departement, avant, apres FROM journal;
DROP TABLE journal;
ALTER TABLE journal_nouveau RENAME TO journal;
CREATE INDEX journal_ressource ON journal (ressource, ressource_id, id);
CREATE INDEX journal_departement ON journal (departement, id);
