-- A post held under a contract whose last day is known (a fixed-term contract's `date_fin`)
-- is vacant from the day after, without any job: `libere_le` is that first vacant day. Reads
-- derive the state from it (`occupe` until the day before, `vacant` from it); the next write
-- that locks the post records the liberation in its history.
ALTER TABLE postes ADD COLUMN libere_le TEXT;
-- SQLite cannot add a CHECK to a table: a trigger keeps `libere_le` on occupied posts only.
CREATE TRIGGER postes_libere_si_occupe_insert BEFORE INSERT ON postes
WHEN NEW.libere_le IS NOT NULL AND NEW.etat <> 'occupe'
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: postes_libere_si_occupe');
END;
CREATE TRIGGER postes_libere_si_occupe_update BEFORE UPDATE ON postes
WHEN NEW.libere_le IS NOT NULL AND NEW.etat <> 'occupe'
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: postes_libere_si_occupe');
END;
-- The statistics count posts by state as of a date: the covering index carries `libere_le`.
DROP INDEX postes_statistiques;
CREATE INDEX postes_statistiques ON postes (departement, etat, typologie, depuis, libere_le);

-- The statistics count the contracts in force by département and type, and those ending soon.
CREATE INDEX contrats_statistiques ON contrats (departement, type, date_debut, date_fin, date_rupture);
