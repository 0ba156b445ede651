-- A post held under a contract whose last day is known (a fixed-term contract's `date_fin`)
-- is vacant from the day after, without any job: `libere_le` is that first vacant day. Reads
-- derive the state from it (`occupe` until the day before, `vacant` from it); the next write
-- that locks the post records the liberation in its history.
ALTER TABLE postes ADD COLUMN libere_le TEXT;
ALTER TABLE postes ADD CONSTRAINT postes_libere_si_occupe
    CHECK (libere_le IS NULL OR etat = 'occupe');
-- The posts whose holder's contract ends, for the statistics and the lists that derive them.
-- The statistics count posts by state as of a date: the covering index carries `libere_le`.
DROP INDEX postes_statistiques;
CREATE INDEX postes_statistiques ON postes (departement, etat, typologie, depuis, libere_le);

-- The statistics count the contracts in force by département and type, and those ending soon.
CREATE INDEX contrats_statistiques ON contrats (departement, type, date_debut, date_fin, date_rupture);
