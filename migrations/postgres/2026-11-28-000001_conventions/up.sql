-- Host structures, conventions (with their signatories, hosting project and avenants), the
-- per-département numbering of conventions, and the journal of changes.
-- Dates are 'YYYY-MM-DD' text and instants RFC 3339 UTC text with microseconds (fixed width: text
-- order is time order), as on SQLite. Ids are UUID v7 text (time-ordered). Every row that can be
-- changed carries a version: its ETag.

CREATE TABLE structures (
    id            TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    siret         TEXT COLLATE "C" NOT NULL UNIQUE CHECK (length(siret) = 14),
    siren         TEXT COLLATE "C" NOT NULL CHECK (siren = substr(siret, 1, 9)),
    nom           TEXT NOT NULL CHECK (nom <> ''),
    nom_recherche TEXT COLLATE "C" NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('commune', 'epci', 'departement', 'region',
                                                'autre_public', 'association', 'autre_prive')),
    code_insee    TEXT COLLATE "C" NOT NULL REFERENCES communes (code_insee),
    departement   TEXT COLLATE "C" NOT NULL REFERENCES departements (code),
    version       BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    cree_le       TEXT NOT NULL,
    modifie_le    TEXT NOT NULL CHECK (modifie_le >= cree_le)
);
CREATE INDEX structures_departement ON structures (departement, id);
CREATE INDEX structures_recherche ON structures (nom_recherche, id);
CREATE INDEX structures_code_insee ON structures (code_insee);

CREATE TABLE conventions (
    id                 TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    numero             TEXT COLLATE "C" NOT NULL UNIQUE,
    departement        TEXT COLLATE "C" NOT NULL REFERENCES departements (code),
    intitule           TEXT NOT NULL CHECK (intitule <> ''),
    postes_attribues   BIGINT NOT NULL CHECK (postes_attribues >= 1),
    -- posts held by active advisors (kept by the advisors module); never above the posts granted
    postes_pourvus     BIGINT NOT NULL DEFAULT 0
                       CHECK (postes_pourvus >= 0 AND postes_pourvus <= postes_attribues),
    delai_projet_mois  BIGINT NOT NULL CHECK (delai_projet_mois BETWEEN 1 AND 24),
    statut             TEXT NOT NULL CHECK (statut IN ('brouillon', 'signee', 'projet_depose',
                                                       'en_execution', 'terminee', 'resiliee')),
    date_signature     TEXT CHECK (length(date_signature) = 10),
    date_limite_projet TEXT CHECK (length(date_limite_projet) = 10),
    date_depot         TEXT CHECK (length(date_depot) = 10),
    lieux_prevus       BIGINT CHECK (lieux_prevus >= 0),
    date_validation    TEXT CHECK (length(date_validation) = 10),
    date_cloture       TEXT CHECK (length(date_cloture) = 10),
    date_resiliation   TEXT CHECK (length(date_resiliation) = 10),
    motif_resiliation  TEXT,
    -- Copies of conventions_signataires and conventions_repartition as JSON text
    -- (["<structure id>", …] and [{"structure_id": "…", "postes": n}, …]), written by the same
    -- repo functions in the same transaction: a convention, or a page of them, reads in one query.
    -- The tables stay the source for scopes, foreign keys and the rules.
    signataires        TEXT NOT NULL CHECK (signataires LIKE '["%'),
    repartition        TEXT NOT NULL CHECK (repartition LIKE '[%'),
    version            BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    cree_le            TEXT NOT NULL,
    modifie_le         TEXT NOT NULL CHECK (modifie_le >= cree_le),
    -- the effective dates follow the life cycle
    CHECK ((date_signature IS NULL) = (date_limite_projet IS NULL)),
    CHECK (date_limite_projet IS NULL OR date_limite_projet > date_signature),
    CHECK (date_depot IS NULL OR (date_signature IS NOT NULL AND date_depot >= date_signature)),
    CHECK (date_validation IS NULL OR (date_depot IS NOT NULL AND date_validation >= date_depot)),
    CHECK (date_cloture IS NULL OR (date_validation IS NOT NULL AND date_cloture >= date_validation)),
    CHECK ((date_resiliation IS NULL) = (motif_resiliation IS NULL)),
    CHECK (date_resiliation IS NULL
           OR date_resiliation >= COALESCE(date_validation, date_depot, date_signature, date_resiliation)),
    CHECK (statut <> 'brouillon' OR date_signature IS NULL),
    CHECK (statut IN ('brouillon', 'resiliee') OR date_signature IS NOT NULL),
    CHECK (statut NOT IN ('projet_depose', 'en_execution', 'terminee') OR date_depot IS NOT NULL),
    CHECK (statut NOT IN ('en_execution', 'terminee') OR date_validation IS NOT NULL),
    CHECK ((statut = 'terminee') = (date_cloture IS NOT NULL)),
    CHECK ((statut = 'resiliee') = (date_resiliation IS NOT NULL))
);
CREATE INDEX conventions_departement ON conventions (departement, id);
CREATE INDEX conventions_statut ON conventions (statut, id);

-- The next number of each département: CNFS-<département>-<year>-<sequence>.
CREATE TABLE conventions_numeros (
    departement TEXT COLLATE "C" PRIMARY KEY NOT NULL REFERENCES departements (code),
    dernier     BIGINT NOT NULL CHECK (dernier >= 0)
);

CREATE TABLE conventions_signataires (
    convention_id TEXT COLLATE "C" NOT NULL REFERENCES conventions (id),
    structure_id  TEXT COLLATE "C" NOT NULL REFERENCES structures (id),
    PRIMARY KEY (convention_id, structure_id)
);
CREATE INDEX conventions_signataires_structure ON conventions_signataires (structure_id, convention_id);

-- The hosting project's split of the posts among host structures (the current one; an avenant
-- after the project replaces it, and the journal keeps the previous one).
CREATE TABLE conventions_repartition (
    convention_id TEXT COLLATE "C" NOT NULL REFERENCES conventions (id),
    structure_id  TEXT COLLATE "C" NOT NULL REFERENCES structures (id),
    postes        BIGINT NOT NULL CHECK (postes >= 1),
    PRIMARY KEY (convention_id, structure_id)
);
CREATE INDEX conventions_repartition_structure ON conventions_repartition (structure_id, convention_id);

-- Avenants: append-only; postes_attribues of the convention follows them.
CREATE TABLE avenants (
    id              TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    convention_id   TEXT COLLATE "C" NOT NULL REFERENCES conventions (id),
    rang            BIGINT NOT NULL CHECK (rang >= 1),
    type            TEXT NOT NULL CHECK (type IN ('ajout', 'retrait')),
    nombre_postes   BIGINT NOT NULL CHECK (nombre_postes >= 1),
    motif           TEXT NOT NULL CHECK (motif <> ''),
    postes_avant    BIGINT NOT NULL CHECK (postes_avant >= 1),
    postes_apres    BIGINT NOT NULL CHECK (postes_apres >= 1),
    auteur          TEXT NOT NULL,
    cree_le         TEXT NOT NULL,
    UNIQUE (convention_id, rang),
    CHECK (postes_apres = CASE type WHEN 'ajout' THEN postes_avant + nombre_postes
                                    ELSE postes_avant - nombre_postes END)
);

-- Who changed what, when: written in the same transaction as the change; never updated.
CREATE TABLE journal (
    id           TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    horodatage   TEXT NOT NULL,
    sub          TEXT NOT NULL,
    role         TEXT NOT NULL,
    action       TEXT NOT NULL,
    ressource    TEXT COLLATE "C" NOT NULL CHECK (ressource IN ('structure', 'convention')),
    ressource_id TEXT COLLATE "C" NOT NULL,
    -- the département of the object, for the préfecture's scope
    departement  TEXT COLLATE "C" NOT NULL,
    -- JSON objects of the changed fields, before and after
    avant        TEXT,
    apres        TEXT
);
CREATE INDEX journal_ressource ON journal (ressource, ressource_id, id);
CREATE INDEX journal_departement ON journal (departement, id);

-- A replayed response carries the ETag of the object it wrote, as the first one did.
ALTER TABLE idempotence ADD COLUMN etag TEXT;
