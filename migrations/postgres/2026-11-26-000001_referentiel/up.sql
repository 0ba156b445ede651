-- Référentiel territorial (Etalab découpage administratif), read-only for the API.
-- Codes are text: "2A", "971", "01001" are not numbers.
-- Keys use the "C" collation: byte order, as on SQLite, so that both backends sort (and
-- paginate) alike whatever the cluster's locale.

CREATE TABLE regions (
    code      TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(code) BETWEEN 2 AND 3),
    nom       TEXT NOT NULL CHECK (nom <> ''),
    chef_lieu TEXT,
    zone      TEXT NOT NULL CHECK (zone IN ('metro', 'drom', 'com'))
);

CREATE TABLE departements (
    code      TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(code) BETWEEN 2 AND 3),
    nom       TEXT NOT NULL CHECK (nom <> ''),
    region    TEXT COLLATE "C" NOT NULL REFERENCES regions (code),
    chef_lieu TEXT,
    zone      TEXT NOT NULL CHECK (zone IN ('metro', 'drom', 'com'))
);
CREATE INDEX departements_region ON departements (region, code);

CREATE TABLE communes (
    code_insee    TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(code_insee) = 5),
    nom           TEXT NOT NULL CHECK (nom <> ''),
    -- lower-case ASCII, accents stripped, punctuation as single spaces: the search key
    nom_recherche TEXT COLLATE "C" NOT NULL,
    departement   TEXT COLLATE "C" NOT NULL REFERENCES departements (code),
    region        TEXT COLLATE "C" NOT NULL REFERENCES regions (code),
    siren         TEXT CHECK (siren IS NULL OR length(siren) = 9),
    population    BIGINT CHECK (population IS NULL OR population >= 0)
);
CREATE INDEX communes_recherche ON communes (nom_recherche, code_insee);
CREATE INDEX communes_departement ON communes (departement, nom_recherche, code_insee);
CREATE INDEX communes_siren ON communes (siren);

CREATE TABLE communes_codes_postaux (
    code_postal TEXT COLLATE "C" NOT NULL CHECK (length(code_postal) = 5),
    code_insee  TEXT COLLATE "C" NOT NULL REFERENCES communes (code_insee),
    PRIMARY KEY (code_postal, code_insee)
);

CREATE TABLE epci (
    siren         TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(siren) = 9),
    nom           TEXT NOT NULL CHECK (nom <> ''),
    nom_recherche TEXT COLLATE "C" NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('CA', 'CC', 'CU', 'METRO', 'MET69', 'EPT')),
    population    BIGINT CHECK (population IS NULL OR population >= 0)
);
CREATE INDEX epci_recherche ON epci (nom_recherche, siren);

CREATE TABLE epci_membres (
    epci_siren TEXT COLLATE "C" NOT NULL REFERENCES epci (siren),
    code_insee TEXT COLLATE "C" NOT NULL REFERENCES communes (code_insee),
    PRIMARY KEY (epci_siren, code_insee)
);
CREATE INDEX epci_membres_commune ON epci_membres (code_insee, epci_siren);

-- One row per loaded data set: its checksum says whether the embedded data changed.
CREATE TABLE referentiel_chargements (
    jeu        TEXT PRIMARY KEY NOT NULL,
    empreinte  TEXT NOT NULL,
    charge_le  TEXT NOT NULL
);
