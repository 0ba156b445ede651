-- A counter per listed resource, bumped by every committed change to the rows its list shows:
-- an instance keeps a page of that list while the counter is unchanged (the lists' cache,
-- docs/ARCHITECTURE.md), so that a page is never older than the last commit, on any instance.
-- Triggers, not the application, bump it: a change made by any path (a new module, a repair
-- by hand in psql) still invalidates the pages.
CREATE TABLE generations (
    ressource TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    valeur    BIGINT NOT NULL CHECK (valeur >= 0)
) WITH (fillfactor = 10); -- one row updated by every write of its resource (see argent_fillfactor)
INSERT INTO generations (ressource, valeur) VALUES ('conventions', 0);

-- Once per transaction, at its commit (the triggers below are deferred): the counter's row lock
-- is then the last a transaction takes, so two writers of different conventions wait for each
-- other's commit at most, never in a cycle (an immediate bump, taken before the second
-- convention's row lock, could deadlock a transaction that moves an advisor between two
-- conventions with one that changes the second).
CREATE FUNCTION generation_conventions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('cnfs.generation_conventions', true) IS DISTINCT FROM 'faite' THEN
        PERFORM set_config('cnfs.generation_conventions', 'faite', true);
        UPDATE generations SET valeur = valeur + 1 WHERE ressource = 'conventions';
    END IF;
    RETURN NULL;
END $$;

-- What a page of conventions shows: the row (with its JSON copies of the signatories and the
-- split), the tables its scopes and filters read, and the région of its département.
CREATE CONSTRAINT TRIGGER generation_conventions AFTER INSERT OR UPDATE OR DELETE ON conventions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION generation_conventions();
CREATE CONSTRAINT TRIGGER generation_conventions AFTER INSERT OR UPDATE OR DELETE ON conventions_signataires
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION generation_conventions();
CREATE CONSTRAINT TRIGGER generation_conventions AFTER INSERT OR UPDATE OR DELETE ON conventions_repartition
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION generation_conventions();
CREATE CONSTRAINT TRIGGER generation_conventions AFTER UPDATE ON departements
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION generation_conventions();
-- TRUNCATE fires no row trigger.
CREATE TRIGGER generation_conventions_vidage AFTER TRUNCATE ON conventions
    FOR EACH STATEMENT EXECUTE FUNCTION generation_conventions();
