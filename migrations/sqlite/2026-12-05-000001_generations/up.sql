-- A counter per listed resource, bumped by every change to the rows its list shows: an instance
-- keeps a page of that list while the counter is unchanged (the lists' cache,
-- docs/ARCHITECTURE.md). Triggers, not the application, bump it: a change made by any path
-- still invalidates the pages. SQLite has one writer at a time, so a bump in the writing
-- transaction never waits.
CREATE TABLE generations (
    ressource TEXT PRIMARY KEY NOT NULL,
    valeur    BIGINT NOT NULL CHECK (valeur >= 0)
);
INSERT INTO generations (ressource, valeur) VALUES ('conventions', 0);

-- What a page of conventions shows: the row (with its JSON copies of the signatories and the
-- split), the tables its scopes and filters read, and the région of its département.
CREATE TRIGGER generation_conventions_insert AFTER INSERT ON conventions
    BEGIN UPDATE generations SET valeur = valeur + 1 WHERE ressource = 'conventions'; END;
CREATE TRIGGER generation_conventions_update AFTER UPDATE ON conventions
    BEGIN UPDATE generations SET valeur = valeur + 1 WHERE ressource = 'conventions'; END;
CREATE TRIGGER generation_conventions_delete AFTER DELETE ON conventions
    BEGIN UPDATE generations SET valeur = valeur + 1 WHERE ressource = 'conventions'; END;
CREATE TRIGGER generation_conventions_signataires_insert AFTER INSERT ON conventions_signataires
    BEGIN UPDATE generations SET valeur = valeur + 1 WHERE ressource = 'conventions'; END;
CREATE TRIGGER generation_conventions_signataires_update AFTER UPDATE ON conventions_signataires
    BEGIN UPDATE generations SET valeur = valeur + 1 WHERE ressource = 'conventions'; END;
CREATE TRIGGER generation_conventions_signataires_delete AFTER DELETE ON conventions_signataires
    BEGIN UPDATE generations SET valeur = valeur + 1 WHERE ressource = 'conventions'; END;
CREATE TRIGGER generation_conventions_repartition_insert AFTER INSERT ON conventions_repartition
    BEGIN UPDATE generations SET valeur = valeur + 1 WHERE ressource = 'conventions'; END;
CREATE TRIGGER generation_conventions_repartition_update AFTER UPDATE ON conventions_repartition
    BEGIN UPDATE generations SET valeur = valeur + 1 WHERE ressource = 'conventions'; END;
CREATE TRIGGER generation_conventions_repartition_delete AFTER DELETE ON conventions_repartition
    BEGIN UPDATE generations SET valeur = valeur + 1 WHERE ressource = 'conventions'; END;
CREATE TRIGGER generation_departements_update AFTER UPDATE ON departements
    BEGIN UPDATE generations SET valeur = valeur + 1 WHERE ressource = 'conventions'; END;
