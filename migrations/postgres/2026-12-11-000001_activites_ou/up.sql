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
