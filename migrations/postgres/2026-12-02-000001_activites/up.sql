-- Activities of advisors (workshops and individual help sessions) and their per-day aggregates.
--
-- No beneficiary identity is stored. `departement` and `structure_id` are the advisor's (its
-- convention's département, its employer): the scopes and the statistics read them without a
-- join. A deletion is soft (`supprime_le`): the row stays for the journal, the statistics stop
-- counting it.
--
-- `activites_jour` holds, per département and day, the sums over the activities not deleted:
-- their number, participants, minutes, and the number of activities per theme (one column per
-- theme of the closed list). Every activity write and deletion updates it in the same
-- transaction (an increment `x = x + n`, never a read-then-write), so that the statistics read
-- a number of rows that grows with territories × days, not with activities. `activites_mois` holds
-- the same sums per month, so that a whole period reads départements × months rows.

CREATE TABLE activites (
    id              TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    conseiller_id   TEXT COLLATE "C" NOT NULL REFERENCES conseillers (id),
    structure_id    TEXT COLLATE "C" NOT NULL REFERENCES structures (id),
    departement     TEXT COLLATE "C" NOT NULL REFERENCES departements (code),
    lieu_id         TEXT COLLATE "C" NOT NULL REFERENCES lieux (id),
    date            TEXT COLLATE "C" NOT NULL CHECK (length(date) = 10),
    type            TEXT NOT NULL CHECK (type IN ('atelier_collectif', 'accompagnement_individuel')),
    duree_minutes   INTEGER NOT NULL CHECK (duree_minutes BETWEEN 1 AND 600),
    nb_participants INTEGER NOT NULL CHECK (nb_participants BETWEEN 1 AND 100),
    thematiques     TEXT NOT NULL CHECK (thematiques LIKE '[%'),
    cree_le         TEXT NOT NULL,
    supprime_le     TEXT CHECK (supprime_le >= cree_le),
    CHECK (type <> 'accompagnement_individuel' OR nb_participants = 1)
);
CREATE INDEX activites_departement ON activites (departement, id);
CREATE INDEX activites_structure ON activites (structure_id, id);
CREATE INDEX activites_conseiller ON activites (conseiller_id, id);

CREATE TABLE activites_jour (
    departement                      TEXT COLLATE "C" NOT NULL REFERENCES departements (code),
    jour                             TEXT COLLATE "C" NOT NULL CHECK (length(jour) = 10),
    nombre                           BIGINT NOT NULL CHECK (nombre >= 0),
    participants                     BIGINT NOT NULL CHECK (participants >= 0),
    minutes                          BIGINT NOT NULL CHECK (minutes >= 0),
    t_echanger_avec_ses_proches      BIGINT NOT NULL CHECK (t_echanger_avec_ses_proches >= 0),
    t_trouver_un_emploi              BIGINT NOT NULL CHECK (t_trouver_un_emploi >= 0),
    t_accompagner_scolarite          BIGINT NOT NULL CHECK (t_accompagner_scolarite >= 0),
    t_donnees_personnelles           BIGINT NOT NULL CHECK (t_donnees_personnelles >= 0),
    t_verifier_les_informations      BIGINT NOT NULL CHECK (t_verifier_les_informations >= 0),
    t_demarches_en_ligne             BIGINT NOT NULL CHECK (t_demarches_en_ligne >= 0),
    t_prendre_en_main_un_equipement  BIGINT NOT NULL CHECK (t_prendre_en_main_un_equipement >= 0),
    t_naviguer_sur_internet          BIGINT NOT NULL CHECK (t_naviguer_sur_internet >= 0),
    t_courriels                      BIGINT NOT NULL CHECK (t_courriels >= 0),
    t_securite_numerique             BIGINT NOT NULL CHECK (t_securite_numerique >= 0),
    t_sante                          BIGINT NOT NULL CHECK (t_sante >= 0),
    t_budget                         BIGINT NOT NULL CHECK (t_budget >= 0),
    t_autre                          BIGINT NOT NULL CHECK (t_autre >= 0),
    PRIMARY KEY (departement, jour),
    CHECK (participants >= nombre AND minutes >= nombre)
);
CREATE INDEX activites_jour_jour ON activites_jour (jour, departement);

-- The same sums per département and month (`YYYY-MM`), kept by the same statements: the
-- statistics read whole months here and only the days of a partial month in `activites_jour`.
CREATE TABLE activites_mois (
    departement                      TEXT COLLATE "C" NOT NULL REFERENCES departements (code),
    mois                             TEXT COLLATE "C" NOT NULL CHECK (length(mois) = 7),
    nombre                           BIGINT NOT NULL CHECK (nombre >= 0),
    participants                     BIGINT NOT NULL CHECK (participants >= 0),
    minutes                          BIGINT NOT NULL CHECK (minutes >= 0),
    t_echanger_avec_ses_proches      BIGINT NOT NULL CHECK (t_echanger_avec_ses_proches >= 0),
    t_trouver_un_emploi              BIGINT NOT NULL CHECK (t_trouver_un_emploi >= 0),
    t_accompagner_scolarite          BIGINT NOT NULL CHECK (t_accompagner_scolarite >= 0),
    t_donnees_personnelles           BIGINT NOT NULL CHECK (t_donnees_personnelles >= 0),
    t_verifier_les_informations      BIGINT NOT NULL CHECK (t_verifier_les_informations >= 0),
    t_demarches_en_ligne             BIGINT NOT NULL CHECK (t_demarches_en_ligne >= 0),
    t_prendre_en_main_un_equipement  BIGINT NOT NULL CHECK (t_prendre_en_main_un_equipement >= 0),
    t_naviguer_sur_internet          BIGINT NOT NULL CHECK (t_naviguer_sur_internet >= 0),
    t_courriels                      BIGINT NOT NULL CHECK (t_courriels >= 0),
    t_securite_numerique             BIGINT NOT NULL CHECK (t_securite_numerique >= 0),
    t_sante                          BIGINT NOT NULL CHECK (t_sante >= 0),
    t_budget                         BIGINT NOT NULL CHECK (t_budget >= 0),
    t_autre                          BIGINT NOT NULL CHECK (t_autre >= 0),
    PRIMARY KEY (departement, mois),
    CHECK (participants >= nombre AND minutes >= nombre)
);

-- The journal records activities too.
ALTER TABLE journal DROP CONSTRAINT journal_ressource_check;
ALTER TABLE journal ADD CONSTRAINT journal_ressource_check
    CHECK (ressource IN ('structure', 'convention', 'enveloppe', 'engagement', 'versement', 'lieu',
                         'conseiller', 'activite'));
