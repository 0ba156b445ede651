-- Coordination: an advisor is followed by a coordinator, a person who holds a coordinator's
-- contract (a contract in force whose typology is `coordinateur`) in the same département. One
-- coordinator at most per advisor (the key), never the advisor itself; the use case checks the
-- contracts and the département when the link is made. `depuis` is the day it was made.
CREATE TABLE coordinations (
    conseiller_id   TEXT COLLATE "C" PRIMARY KEY NOT NULL REFERENCES conseillers (id),
    coordinateur_id TEXT COLLATE "C" NOT NULL REFERENCES conseillers (id),
    depuis          TEXT NOT NULL CHECK (length(depuis) = 10),
    cree_le         TEXT NOT NULL,
    CHECK (conseiller_id <> coordinateur_id)
);
-- The advisors one coordinator follows (`GET /conseillers?coordinateur_id=`).
CREATE INDEX coordinations_coordinateur ON coordinations (coordinateur_id, conseiller_id);
