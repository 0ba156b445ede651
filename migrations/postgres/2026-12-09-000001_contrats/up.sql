-- Contracts (contrats) as objects: each employment of an advisor on a post is a row with its type,
-- its dates and how it ended. Before, an advisor was one recruitment whose contract was a type.
--
-- A contract is in force from `date_debut` to its end: `date_rupture` when it was broken early,
-- else `date_fin` (fixed-term contracts; open-ended ones have none). Both are the last day worked:
-- its post is vacant from the next day. `etat` (en_cours, termine, rompu) is not stored: it is
-- computed on the service's date, so that a fixed-term contract ends without any job running.
CREATE TABLE contrats (
    id                            TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    conseiller_id                 TEXT COLLATE "C" NOT NULL REFERENCES conseillers (id),
    -- the post it binds; NULL for a contract carried over that had ended before posts existed
    poste_id                      TEXT COLLATE "C" REFERENCES postes (id),
    -- the employer, its convention and the convention's département (scopes, statistics)
    structure_id                  TEXT COLLATE "C" NOT NULL REFERENCES structures (id),
    convention_id                 TEXT COLLATE "C" NOT NULL REFERENCES conventions (id),
    departement                   TEXT COLLATE "C" NOT NULL REFERENCES departements (code),
    typologie                     TEXT NOT NULL CHECK (typologie IN ('conseiller', 'coordinateur')),
    type                          TEXT NOT NULL CHECK (type IN ('cdi', 'cdd', 'pec',
                                                                'contrat_de_projet', 'titulaire')),
    date_debut                    TEXT NOT NULL CHECK (length(date_debut) = 10),
    date_fin                      TEXT CHECK (date_fin >= date_debut),
    date_rupture                  TEXT CHECK (date_rupture >= date_debut),
    motif_rupture                 TEXT CHECK (motif_rupture IN ('non_reconduction_cdd',
                                      'licenciement', 'demission', 'rupture_conventionnelle',
                                      'fin_de_subventionnement', 'autre')),
    commentaire_rupture           TEXT,
    salaire_brut_mensuel_centimes BIGINT CHECK (salaire_brut_mensuel_centimes >= 1),
    version                       BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    cree_le                       TEXT NOT NULL,
    modifie_le                    TEXT NOT NULL CHECK (modifie_le >= cree_le),
    -- open-ended contracts have no end date
    CHECK (type NOT IN ('cdi', 'titulaire') OR date_fin IS NULL),
    CHECK ((date_rupture IS NULL) = (motif_rupture IS NULL)),
    CHECK (commentaire_rupture IS NULL OR date_rupture IS NOT NULL),
    CHECK (date_rupture IS NULL OR date_fin IS NULL OR date_rupture <= date_fin)
);
CREATE INDEX contrats_conseiller ON contrats (conseiller_id, date_debut);
CREATE INDEX contrats_departement ON contrats (departement, id);
CREATE INDEX contrats_structure ON contrats (structure_id, id);
CREATE INDEX contrats_convention ON contrats (convention_id, id);
CREATE INDEX contrats_poste ON contrats (poste_id) WHERE poste_id IS NOT NULL;

-- An occupied post names the contract under which it is held.
ALTER TABLE postes ADD COLUMN contrat_id TEXT COLLATE "C" REFERENCES contrats (id);

-- The data already stored: each advisor (one recruitment) becomes one contract of its type,
-- from its recruitment, bound to the post it holds. An advisor who left ended its contract on
-- its exit date (its last day), by motif:
--   * fin_de_contrat: a fixed-term contract (cdd, contrat_de_projet) reached its end
--     (`date_fin`); an open-ended one (cdi, titulaire) cannot, so it is a rupture `autre` with a
--     comment saying so;
--   * demission → rupture `demission`; rupture → `rupture_conventionnelle`; autre → `autre`.
-- The first model stored no planned end: a fixed-term contract still running has no `date_fin`.
CREATE TEMPORARY TABLE contrats_migres ON COMMIT DROP AS
SELECT gen_random_uuid()::text AS id, c.id AS conseiller_id, p.id AS poste_id, c.structure_id,
       c.convention_id, c.departement, c.type_contrat AS type, c.date_recrutement AS date_debut,
       CASE WHEN c.motif_sortie = 'fin_de_contrat'
                 AND c.type_contrat IN ('cdd', 'contrat_de_projet') THEN c.date_sortie END
           AS date_fin,
       CASE WHEN c.motif_sortie = 'fin_de_contrat'
                 AND c.type_contrat IN ('cdd', 'contrat_de_projet') THEN NULL
            ELSE c.date_sortie END AS date_rupture,
       CASE c.motif_sortie
            WHEN 'fin_de_contrat' THEN
                CASE WHEN c.type_contrat IN ('cdd', 'contrat_de_projet') THEN NULL ELSE 'autre' END
            WHEN 'demission' THEN 'demission'
            WHEN 'rupture' THEN 'rupture_conventionnelle'
            WHEN 'autre' THEN 'autre' END AS motif_rupture,
       CASE WHEN c.motif_sortie = 'fin_de_contrat'
                 AND c.type_contrat NOT IN ('cdd', 'contrat_de_projet')
            THEN 'Fin de contrat enregistrée avant les contrats (reprise des données).' END
           AS commentaire_rupture,
       c.cree_le, c.modifie_le
FROM conseillers c
LEFT JOIN postes p ON p.conseiller_id = c.id;

INSERT INTO contrats (id, conseiller_id, poste_id, structure_id, convention_id, departement,
                      typologie, type, date_debut, date_fin, date_rupture, motif_rupture,
                      commentaire_rupture, salaire_brut_mensuel_centimes, version, cree_le,
                      modifie_le)
SELECT id, conseiller_id, poste_id, structure_id, convention_id, departement, 'conseiller', type,
       date_debut, date_fin, date_rupture, motif_rupture, commentaire_rupture, NULL, 1, cree_le,
       modifie_le
FROM contrats_migres;

UPDATE postes SET contrat_id = m.id
FROM contrats_migres m
WHERE m.poste_id = postes.id;

ALTER TABLE postes ADD CONSTRAINT postes_occupe_contrat
    CHECK ((etat = 'occupe') = (contrat_id IS NOT NULL));

-- The journal records contracts too.
ALTER TABLE journal DROP CONSTRAINT journal_ressource_check;
ALTER TABLE journal ADD CONSTRAINT journal_ressource_check
    CHECK (ressource IN ('structure', 'convention', 'enveloppe', 'engagement', 'versement', 'lieu',
                         'conseiller', 'activite', 'poste', 'contrat'));
