-- Idempotency-Key records (IETF draft "The Idempotency-Key HTTP Header Field"): one per caller and
-- key, written in the same transaction as the effect it protects, kept at least 24 h.
-- Times are RFC 3339 UTC text with microseconds (fixed width: text order is time order).
CREATE TABLE idempotence (
    appelant  TEXT NOT NULL CHECK (appelant <> ''),
    cle       TEXT NOT NULL CHECK (length(cle) BETWEEN 1 AND 255),
    -- SHA-256 (hex) of the method, the path and the canonical JSON body
    empreinte TEXT NOT NULL CHECK (length(empreinte) = 64),
    -- the stored response; NULL only inside the claiming transaction
    statut    INTEGER CHECK (statut IS NULL OR statut BETWEEN 200 AND 599),
    corps     TEXT,
    location  TEXT,
    cree_le   TEXT NOT NULL,
    expire_le TEXT NOT NULL CHECK (expire_le > cree_le),
    PRIMARY KEY (appelant, cle)
);
CREATE INDEX idempotence_expiration ON idempotence (expire_le);
