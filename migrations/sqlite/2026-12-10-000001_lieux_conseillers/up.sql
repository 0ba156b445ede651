-- The lieux where an advisor works: one or more lieux of its employer, exactly one of them
-- principal once it has any. Before, an advisor had exactly one lieu (`conseillers.lieu_id`, set
-- when it took its post), which stays as its principal lieu.
CREATE TABLE conseillers_lieux (
    conseiller_id TEXT NOT NULL REFERENCES conseillers (id),
    lieu_id       TEXT NOT NULL REFERENCES lieux (id),
    principal     BOOLEAN NOT NULL,
    PRIMARY KEY (conseiller_id, lieu_id)
);
-- At most one principal lieu per advisor.
CREATE UNIQUE INDEX conseillers_lieux_principal ON conseillers_lieux (conseiller_id)
    WHERE principal;
CREATE INDEX conseillers_lieux_lieu ON conseillers_lieux (lieu_id);

-- The data already stored: each advisor's lieu is its principal lieu.
INSERT INTO conseillers_lieux (conseiller_id, lieu_id, principal)
SELECT id, lieu_id, TRUE FROM conseillers WHERE lieu_id IS NOT NULL;
