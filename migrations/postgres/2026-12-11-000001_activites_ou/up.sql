-- Activities where they happen: at one of the advisor's lieux (`lieu_activite`, with its
-- `lieu_id`), at the beneficiary's home or elsewhere (`domicile`, `autre`, with the commune's
-- `code_insee`), or remotely (`a_distance`, neither). Before, every activity sat at a lieu of the
-- employer: the activities already stored are `lieu_activite`.
ALTER TABLE activites
    ADD COLUMN type_lieu TEXT NOT NULL DEFAULT 'lieu_activite'
        CHECK (type_lieu IN ('lieu_activite', 'domicile', 'a_distance', 'autre'));
ALTER TABLE activites ADD COLUMN code_insee TEXT COLLATE "C" REFERENCES communes (code_insee);
ALTER TABLE activites ALTER COLUMN lieu_id DROP NOT NULL;
ALTER TABLE activites ADD CONSTRAINT activites_ou
    CHECK ((type_lieu = 'lieu_activite') = (lieu_id IS NOT NULL)
           AND (type_lieu IN ('domicile', 'autre')) = (code_insee IS NOT NULL));

-- The per-day and per-month aggregates count activities by place too (`l_<type_lieu>`), kept by
-- the same increments as the other sums; the stored ones were all at a lieu.
ALTER TABLE activites_jour ADD COLUMN l_lieu_activite BIGINT NOT NULL DEFAULT 0 CHECK (l_lieu_activite >= 0);
ALTER TABLE activites_jour ADD COLUMN l_domicile BIGINT NOT NULL DEFAULT 0 CHECK (l_domicile >= 0);
ALTER TABLE activites_jour ADD COLUMN l_a_distance BIGINT NOT NULL DEFAULT 0 CHECK (l_a_distance >= 0);
ALTER TABLE activites_jour ADD COLUMN l_autre BIGINT NOT NULL DEFAULT 0 CHECK (l_autre >= 0);
ALTER TABLE activites_mois ADD COLUMN l_lieu_activite BIGINT NOT NULL DEFAULT 0 CHECK (l_lieu_activite >= 0);
ALTER TABLE activites_mois ADD COLUMN l_domicile BIGINT NOT NULL DEFAULT 0 CHECK (l_domicile >= 0);
ALTER TABLE activites_mois ADD COLUMN l_a_distance BIGINT NOT NULL DEFAULT 0 CHECK (l_a_distance >= 0);
ALTER TABLE activites_mois ADD COLUMN l_autre BIGINT NOT NULL DEFAULT 0 CHECK (l_autre >= 0);
UPDATE activites_jour SET l_lieu_activite = nombre;
UPDATE activites_mois SET l_lieu_activite = nombre;
