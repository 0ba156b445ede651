-- A commune that left the référentiel extract (merged into a commune nouvelle, say) while a
-- structure still points at it is kept, no longer current: the référentiel reads skip it and a new
-- structure cannot take it as its seat. Every commune of the loaded extract is current.
ALTER TABLE communes ADD COLUMN actuelle BOOLEAN NOT NULL DEFAULT TRUE;
