DELETE FROM journal WHERE ressource IN ('enveloppe', 'engagement', 'versement');
ALTER TABLE journal ALTER COLUMN departement SET NOT NULL;
ALTER TABLE journal DROP CONSTRAINT journal_ressource_check;
ALTER TABLE journal ADD CONSTRAINT journal_ressource_check
    CHECK (ressource IN ('structure', 'convention'));
DROP TABLE versements;
DROP TABLE engagements;
DROP TABLE enveloppes_departements;
DROP TABLE enveloppes;
